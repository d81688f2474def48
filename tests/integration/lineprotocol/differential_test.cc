// The corpus (corpus.txt) checked two ways in one test: by the library (Normalize) and by a real
// InfluxDB 1.x (Debian `influxdb`) answering the same write. Verdicts must agree, except for the
// cases in kExpectedDifferences, where InfluxDB 1.x and 2.x differ and we follow 2.x (also listed
// in docs/line-protocol.md). For bodies both accept, the values InfluxDB stored are compared with
// what the normalized body means, and the normalized body, written on its own, must store the
// same points.
#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <iostream>
#include <map>
#include <set>
#include <sstream>
#include <tuple>

#include "agent/lineprotocol/decode.h"
#include "agent/lineprotocol/line_end.h"
#include "agent/lineprotocol/normalize.h"
#include "tests/integration/lineprotocol/mini_json.h"
#include "tests/support/process.h"
#include "tests/support/servers.h"
#include "tests/support/temp_dir.h"

namespace edgerepl::lp {
namespace {

using edgerepl::testing::Influxd;
using edgerepl::testing::Json;

// Corpus text of a case -> why InfluxDB 1.x answers differently from the library (which follows
// InfluxDB 2.x). A listed case that stops differing fails the test, so the list stays true.
const std::map<std::string, std::string>& ExpectedDifferences() {
  static const std::string kUnsigned =
      "unsigned integers (`u`) are part of line protocol in 2.x; InfluxDB 1.x parses them only "
      "with a build option, off in Debian's 1.6, and answers \"invalid number\"";
  static const std::string kTypeConflict =
      "field type conflict is decided by storage against the schema, not by the parser: 2.x's "
      "parser accepts the line too, and its storage refuses it (partial write); the agent "
      "writes to the local InfluxDB first and passes that answer on";
  static const std::string kTimeKey =
      "storage drops a field or tag named \"time\" (partial write); not a parse rule in 1.x "
      "or 2.x, so the local InfluxDB answers it";
  static const std::string kBackslashName =
      "accepted by both; InfluxDB 1.6 unescapes a measurement ending in an escaped backslash "
      "differently when indexing it, and cannot query the point back";
  static const std::string kNoSafeTimestamp =
      "InfluxDB accepts it (bytes after a closing quote end up in the string value), but the "
      "trailing backslash would escape the space before the timestamp the agent must add: "
      "refused rather than stored with another meaning";
  static const std::string kIgnoredRest =
      "InfluxDB's line splitter takes the '\"' after a leading space as an open string, keeps "
      "the newline in the line, and silently ignores what follows it; refused rather than "
      "replicate a body whose meaning depends on that";
  static const auto* kDiffs = new std::map<std::string, std::string>{
      {"cpu value=\"a\"\\", kNoSafeTimestamp},
      {" s=\"m f=1 {LF}junk", kIgnoredRest},
      {"cpu value=1u", kUnsigned},
      {"cpu value=0u", kUnsigned},
      {"cpu value=18446744073709551615u", kUnsigned},
      {"cpu value=18446744073709551616u", kUnsigned},
      {"cpu value=1{LF}mem free=2i{LF}disk used=3u", kUnsigned},
      {"cpu value=1,value=\"x\"", kTypeConflict},
      {"cpu value=1,value=2i", kTypeConflict},
      {"cpu value=1i,value=t", kTypeConflict},
      {"cpu value=\"multi{LF}line\" 1{LF}cpu value=2 2", kTypeConflict},
      {"cpu time=1", kTimeKey},
      {"cpu,time=a value=1", kTimeKey},
      {"cpu\\\\,host=a value=1", kBackslashName},
      {"cpu\\\\\\ x value=1", kBackslashName},
      {"<key of 65520 bytes, field key f>",
       "series key limit per field: 2.x counts org and bucket IDs and its own separators "
       "(key + field + 22 bytes <= 65535), 1.x counts key + field + 4"},
  };
  return *kDiffs;
}

struct Case {
  int corpus_line = 0;
  std::string text;  // as in the corpus, markers included
  std::string precision = "n";
  std::string body;
};

std::string Decode(std::string text) {
  static const std::pair<const char*, char> kMarkers[] = {
      {"{LF}", '\n'}, {"{CR}", '\r'}, {"{TAB}", '\t'}, {"{NUL}", '\0'}};
  std::string out;
  for (size_t i = 0; i < text.size();) {
    bool replaced = false;
    for (const auto& [marker, c] : kMarkers) {
      if (text.compare(i, std::strlen(marker), marker) == 0) {
        out.push_back(c);
        i += std::strlen(marker);
        replaced = true;
        break;
      }
    }
    if (!replaced) out.push_back(text[i++]);
  }
  return out;
}

std::vector<Case> LoadCorpus() {
  const char* src = std::getenv("EDGEREPL_SOURCE_DIR");
  const std::string path =
      std::string(src ? src : ".") + "/tests/integration/lineprotocol/corpus.txt";
  std::istringstream in(edgerepl::testing::ReadFileOrDie(path));
  std::vector<Case> cases;
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    if (line.empty() || line[0] == '#') continue;
    Case c;
    c.corpus_line = number;
    c.text = line;
    if (line.rfind("{p=", 0) == 0) {
      const size_t close = line.find('}');
      c.precision = line.substr(3, close - 3);
      line = line.substr(close + 2);
    }
    c.body = Decode(line);
    cases.push_back(std::move(c));
  }
  return cases;
}

// Programmatic cases too long for the corpus file: keys at InfluxDB's length limits.
void AddKeyLengthCases(std::vector<Case>* cases) {
  auto add = [&](std::string label, std::string body) {
    Case c;
    c.text = std::move(label);
    c.body = std::move(body);
    cases->push_back(std::move(c));
  };
  add("<key of 65540 bytes>", "m,t=" + std::string(65536, 'v') + " f=1");
  add("<key of 65500 bytes, field key f>", "m,t=" + std::string(65496, 'v') + " f=1");
  add("<key of 65520 bytes, field key f>", "m,t=" + std::string(65516, 'v') + " f=1");
}

// One stored point as InfluxDB returns it.
struct StoredPoint {
  std::string measurement;
  std::map<std::string, std::string> tags;
  std::string time;
  std::map<std::string, Json> fields;  // non-null columns only
};

std::vector<StoredPoint> QueryAll(int port, const std::string& db) {
  const std::string q = "SELECT * FROM /.*/ GROUP BY *";
  std::string body;
  const int status =
      edgerepl::testing::HttpRequest(port, "GET",
                                     "/query?epoch=ns&db=" + edgerepl::testing::UrlEncode(db) +
                                         "&q=" + edgerepl::testing::UrlEncode(q),
                                     {}, "", &body);
  EXPECT_EQ(status, 200) << body;
  auto json = edgerepl::testing::ParseJson(body);
  EXPECT_TRUE(json.has_value()) << body;
  std::vector<StoredPoint> out;
  if (!json) return out;
  const Json* results = json->Get("results");
  if (!results || results->items.empty()) return out;
  const Json* series = results->items[0].Get("series");
  if (!series) return out;
  for (const Json& s : series->items) {
    std::map<std::string, std::string> tags;
    if (const Json* t = s.Get("tags")) {
      for (size_t i = 0; i < t->keys.size(); ++i) {
        if (!t->items[i].text.empty()) tags[t->keys[i]] = t->items[i].text;
      }
    }
    const Json* columns = s.Get("columns");
    for (const Json& row : s.Get("values")->items) {
      StoredPoint p;
      p.measurement = s.Get("name")->text;
      p.tags = tags;
      for (size_t k = 0; k < row.items.size(); ++k) {
        const std::string& col = columns->items[k].text;
        if (k == 0) {
          p.time = row.items[k].text;
        } else if (row.items[k].kind != Json::Kind::kNull) {
          p.fields[col] = row.items[k];
        }
      }
      out.push_back(std::move(p));
    }
  }
  return out;
}

// What a normalized body means: one expected point per line, duplicate fields resolved as
// storage resolves them (the last one wins).
std::vector<DecodedPoint> Expected(const std::string& normalized) {
  std::vector<DecodedPoint> points;
  for (size_t pos = 0; pos < normalized.size();) {
    const size_t end = FindLineEnd(normalized, pos);
    auto p = DecodeLine(normalized.substr(pos, end - pos));
    EXPECT_TRUE(p.ok()) << p.status().ToString();
    if (p.ok()) points.push_back(std::move(*p));
    pos = end + 1;
  }
  return points;
}

// "" when the stored value matches the decoded field, else what differs.
std::string CompareField(const DecodedField& f, const Json& stored) {
  switch (f.type) {
    case FieldType::kFloat:
      if (stored.kind == Json::Kind::kNumber &&
          std::strtod(stored.text.c_str(), nullptr) == std::strtod(f.value.c_str(), nullptr)) {
        return "";
      }
      break;
    case FieldType::kInteger:
    case FieldType::kUnsigned:
      if (stored.kind == Json::Kind::kNumber &&
          stored.text.find_first_of(".eE") == std::string::npos &&
          std::strtoll(stored.text.c_str(), nullptr, 10) ==
              std::strtoll(f.value.c_str(), nullptr, 10)) {
        return "";
      }
      break;
    case FieldType::kBoolean:
      if (stored.kind == Json::Kind::kBool && stored.boolean == (f.value == "true")) return "";
      break;
    case FieldType::kString:
      if (stored.kind == Json::Kind::kString && stored.text == f.value) return "";
      break;
  }
  return "field " + f.key + ": expected " + f.value + ", stored " +
         (stored.kind == Json::Kind::kString ? "\"" + stored.text + "\"" : stored.text);
}

// "" when `stored` holds exactly the `expected` points; otherwise the first difference.
// With check_time false, points stamped with `default_ns` (lines written without a timestamp,
// which InfluxDB stamped with its own clock) are matched by series only.
std::string ComparePoints(const std::vector<DecodedPoint>& expected,
                          const std::vector<StoredPoint>& stored, bool check_time,
                          int64_t default_ns) {
  std::map<std::tuple<std::string, std::map<std::string, std::string>, std::string>,
           std::map<std::string, DecodedField>>
      want;
  for (const DecodedPoint& p : expected) {
    std::map<std::string, std::string> tags(p.tags.begin(), p.tags.end());
    const std::string time =
        (check_time || p.timestamp_ns != default_ns) ? std::to_string(p.timestamp_ns) : "*";
    auto& fields = want[{p.measurement, tags, time}];
    for (const DecodedField& f : p.fields) fields[f.key] = f;
  }
  if (want.size() != stored.size()) {
    return "expected " + std::to_string(want.size()) + " points, stored " +
           std::to_string(stored.size());
  }
  for (const StoredPoint& s : stored) {
    auto it = want.find({s.measurement, s.tags, s.time});
    if (it == want.end()) it = want.find({s.measurement, s.tags, "*"});
    if (it == want.end()) return "unexpected stored point in " + s.measurement + " at " + s.time;
    if (it->second.size() != s.fields.size()) {
      return "field count of " + s.measurement + ": expected " + std::to_string(it->second.size()) +
             ", stored " + std::to_string(s.fields.size());
    }
    for (const auto& [key, field] : it->second) {
      auto sf = s.fields.find(key);
      if (sf == s.fields.end()) return "field " + key + " not stored";
      std::string diff = CompareField(field, sf->second);
      if (!diff.empty()) return diff;
    }
  }
  return "";
}

// JSON string escaping as Go writes it, for finding a reason inside influxd's error body.
std::string JsonEscaped(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(c);
    } else if (c == '<' || c == '>' || c == '&') {  // Go escapes these for HTML safety
      out += c == '<' ? "\\u003c" : c == '>' ? "\\u003e" : "\\u0026";
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::string Printable(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '\n') {
      out += "{LF}";
    } else if (c == '\r') {
      out += "{CR}";
    } else if (c == '\t') {
      out += "{TAB}";
    } else if (c == '\0') {
      out += "{NUL}";
    } else {
      out.push_back(c);
    }
  }
  return out.size() > 200 ? out.substr(0, 200) + "..." : out;
}

TEST(LineProtocolDifferentialTest, CorpusAgreesWithInfluxd) {
  if (!Influxd::Available()) GTEST_SKIP() << "influxd not installed (Debian package influxdb)";
  std::vector<Case> cases = LoadCorpus();
  ASSERT_GE(cases.size(), 200u);
  AddKeyLengthCases(&cases);

  Influxd influxd;
  influxd.Start();
  const int64_t now_ns = 1'700'000'000'000'000'000;
  std::set<std::string> differing;
  int accepted_by_both = 0;
  int values_checked = 0;
  int rejected_by_both = 0;
  int same_reason = 0;
  for (size_t k = 0; k < cases.size(); ++k) {
    const Case& c = cases[k];
    SCOPED_TRACE("corpus line " + std::to_string(c.corpus_line) + ": " + c.text);
    const std::string db = "c" + std::to_string(k);
    influxd.CreateDatabase(db);
    std::string response;
    const int status = influxd.Write(db, c.body, c.precision, &response);
    ASSERT_TRUE(status == 204 || status == 400) << status << " " << response;
    const bool influx_ok = status == 204;

    NormalizeOptions o;
    o.precision = *ParsePrecisionV1(c.precision);
    o.now_ns = now_ns;
    std::string normalized;
    auto ours = Normalize(c.body, o, &normalized);

    std::string difference;
    if (influx_ok != ours.ok()) {
      difference = std::string("influxd ") + (influx_ok ? "accepts" : "rejects: " + response) +
                   "; library " + (ours.ok() ? "accepts" : "rejects: " + ours.status().message());
    } else if (influx_ok) {
      ++accepted_by_both;
      const auto expected = Expected(normalized);
      difference =
          ComparePoints(expected, QueryAll(influxd.port(), db), /*check_time=*/false, now_ns);
      if (difference.empty()) {
        // The normalized body alone must store the very same points, timestamps included.
        const std::string ndb = "n" + std::to_string(k);
        influxd.CreateDatabase(ndb);
        const int nstatus = influxd.Write(ndb, normalized, "n", &response);
        EXPECT_EQ(nstatus, 204) << response << " for normalized " << Printable(normalized);
        difference =
            ComparePoints(expected, QueryAll(influxd.port(), ndb), /*check_time=*/true, now_ns);
        if (!difference.empty()) difference = "normalized body: " + difference;
      }
      if (difference.empty()) ++values_checked;
    }

    if (!influx_ok && !ours.ok() && c.body.find('\n') == std::string::npos) {
      ++rejected_by_both;
      // Same reason as InfluxDB: its message is "unable to parse '<line>': <reason>", ours adds
      // "line <n>: " before the reason (and a hint after it for CRLF).
      const std::string& m = ours.status().message();
      const size_t at = m.find("': line 1: ");
      std::string reason = at == std::string::npos ? m : m.substr(at + 11);
      reason = reason.substr(0, reason.find(" (the line ends with \\r"));
      if (response.find("': " + JsonEscaped(reason) + "\"}") != std::string::npos) {
        ++same_reason;
      } else {
        difference = "reasons differ: influxd " + Printable(response) + ", library: " + reason;
      }
    }

    const auto listed = ExpectedDifferences().find(c.text);
    if (!difference.empty()) {
      differing.insert(c.text);
      if (listed == ExpectedDifferences().end()) {
        ADD_FAILURE() << "unexpected difference for " << Printable(c.body) << ": " << difference;
      }
    } else if (listed != ExpectedDifferences().end()) {
      ADD_FAILURE() << "listed as an expected difference but both agree: " << c.text;
    }
  }
  std::cout << cases.size() << " cases, " << accepted_by_both << " accepted by both, "
            << values_checked << " with stored values checked, " << differing.size()
            << " expected differences; " << same_reason << " of " << rejected_by_both
            << " one-line bodies both reject give InfluxDB's reason\n";
  EXPECT_GE(values_checked, 50);
}

}  // namespace
}  // namespace edgerepl::lp
