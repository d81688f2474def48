#include "agent/backfill/influxql_reader.h"

#include <spdlog/spdlog.h>

#include "common/codec/base64.h"
#include "common/codec/percent.h"

namespace edgerepl::backfill {
namespace {

// When SHOW FIELD KEYS lists a key with more than one type, the query engine reads every shard's
// values as the first of these it holds (influxql's type order), so the backfill writes them so.
int TypeRank(FieldType t) {
  switch (t) {
    case FieldType::kFloat:
      return 0;
    case FieldType::kInteger:
      return 1;
    case FieldType::kUnsigned:
      return 2;
    case FieldType::kString:
      return 3;
    case FieldType::kBoolean:
      return 4;
  }
  return 5;
}

// The first error of an answer (top level or any statement's); empty when none.
std::string AnswerError(const JsonValue& answer) {
  if (const JsonValue* e = answer.Find("error"); e && e->kind == JsonValue::Kind::kString) {
    return e->text;
  }
  if (const JsonValue* results = answer.Find("results")) {
    for (const JsonValue& r : results->items) {
      if (const JsonValue* e = r.Find("error"); e && e->kind == JsonValue::Kind::kString) {
        return e->text;
      }
    }
  }
  return "";
}

// Whether the local's max-row-limit cut the answer: influxd flags the cut result or series.
bool Cut(const JsonValue& results) {
  for (const JsonValue& r : results.items) {
    if (const JsonValue* p = r.Find("partial"); p && p->boolean) return true;
    const JsonValue* series = r.Find("series");
    if (!series) continue;
    for (const JsonValue& s : series->items) {
      if (const JsonValue* p = s.Find("partial"); p && p->boolean) return true;
    }
  }
  return false;
}

// The results of a SHOW answer. A cut list would leave measurements or fields out without a
// word, so it is an error (it names the setting) rather than a shorter list.
Result<const JsonValue*> ShowResults(const JsonValue& answer, const std::string& statement) {
  const JsonValue* results = answer.Find("results");
  if (!results) return Status::Internal("local query: no results in the answer");
  if (Cut(*results)) {
    return Status::Unavailable("local query: the answer to " + statement +
                               " was cut short by the local database's [http] max-row-limit; "
                               "raise it above the number of measurements and fields");
  }
  return results;
}

}  // namespace

std::string QuoteIdentifier(const std::string& name) {
  std::string out = "\"";
  for (char c : name) {
    if (c == '"' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  out.push_back('"');
  return out;
}

std::string LocalAuthorization(const std::string& token) {
  if (token.empty()) return "";
  if (token.find(':') != std::string::npos) return "Basic " + codec::Base64Encode(token);
  return "Token " + token;
}

InfluxqlReader::InfluxqlReader(http::HttpClient& local, InfluxqlSource source, std::string token)
    : local_(local), source_(std::move(source)), authorization_(LocalAuthorization(token)) {}

std::string InfluxqlReader::From(const std::string& measurement) const {
  if (source_.rp.empty()) return QuoteIdentifier(measurement);
  return QuoteIdentifier(source_.rp) + "." + QuoteIdentifier(measurement);
}

Result<JsonValue> InfluxqlReader::Query(const std::string& statements) {
  http::HttpRequest req;
  req.method = "POST";
  req.target = "/query?db=" + codec::PercentEncode(source_.db) + "&epoch=ns";
  req.headers.emplace_back("Content-Type", "application/x-www-form-urlencoded");
  req.headers.emplace_back("Accept", "application/json");
  req.body = "q=" + codec::PercentEncode(statements);
  if (!authorization_.empty()) req.headers.emplace_back("Authorization", authorization_);
  Result<http::HttpResponse> resp = local_.Send(req);
  if (!resp.ok()) return Status::Unavailable("local query: " + resp.status().message());
  Result<JsonValue> answer = ParseJson(resp->body);
  if (resp->status / 100 != 2) {
    std::string message = answer.ok() ? AnswerError(*answer) : "";
    if (message.empty()) message = resp->body.substr(0, 200);
    if (resp->status == 401 || resp->status == 403) {
      // The local's words ("authorization failed") do not say which setting is missing.
      std::string hint =
          authorization_.empty()
              ? "set local.token or local.tokenFile"
              : "check local.token or local.tokenFile (it must be allowed to read the database)";
      return Status::Unavailable("the local database refused the backfill's query (HTTP " +
                                 std::to_string(resp->status) + "): " + hint +
                                 "; it answered: " + message);
    }
    return Status::Unavailable("local query answered " + std::to_string(resp->status) + ": " +
                               message);
  }
  if (!answer.ok()) return Status::Internal("local query: " + answer.status().message());
  if (std::string e = AnswerError(*answer); !e.empty()) {
    return Status::Unavailable("local query: " + e);
  }
  return answer;
}

Status InfluxqlReader::LoadMeasurements() {
  measurements_.clear();
  if (!source_.measurements.empty()) {
    measurements_ = source_.measurements;
  } else {
    const std::string statement = "SHOW MEASUREMENTS";
    Result<JsonValue> answer = Query(statement);
    if (!answer.ok()) return answer.status();
    Result<const JsonValue*> results = ShowResults(*answer, statement);
    if (!results.ok()) return results.status();
    for (const JsonValue& r : (*results)->items) {
      const JsonValue* series = r.Find("series");
      if (!series) continue;
      for (const JsonValue& s : series->items) {
        const JsonValue* values = s.Find("values");
        if (!values) continue;
        for (const JsonValue& row : values->items) {
          if (!row.items.empty() && row.items[0].kind == JsonValue::Kind::kString) {
            measurements_.push_back(row.items[0].text);
          }
        }
      }
    }
  }
  measurements_loaded_ = true;
  return Status::Ok();
}

Status InfluxqlReader::LoadFields(const std::string& measurement) {
  const std::string statement = "SHOW FIELD KEYS FROM " + From(measurement);
  Result<JsonValue> answer = Query(statement);
  if (!answer.ok()) return answer.status();
  Result<const JsonValue*> results = ShowResults(*answer, statement);
  if (!results.ok()) return results.status();
  std::map<std::string, FieldType> fields;
  for (const JsonValue& r : (*results)->items) {
    const JsonValue* series = r.Find("series");
    if (!series) continue;
    for (const JsonValue& s : series->items) {
      const JsonValue* values = s.Find("values");
      if (!values) continue;
      for (const JsonValue& row : values->items) {
        if (row.items.size() < 2 || row.items[0].kind != JsonValue::Kind::kString) continue;
        std::optional<FieldType> type = ParseFieldType(row.items[1].text);
        if (!type) {
          return Status::Internal("measurement \"" + measurement + "\" field \"" +
                                  row.items[0].text + "\": unknown type \"" + row.items[1].text +
                                  "\"");
        }
        auto [it, inserted] = fields.emplace(row.items[0].text, *type);
        if (!inserted && it->second != *type) {
          if (conflicts_.insert(measurement + "." + it->first).second) {
            spdlog::warn(
                "backfill: measurement {} field {} is {} in some shards and {} in others; the "
                "local query engine reads it as {}",
                measurement, it->first, FieldTypeName(it->second), FieldTypeName(*type),
                FieldTypeName(TypeRank(*type) < TypeRank(it->second) ? *type : it->second));
          }
          if (TypeRank(*type) < TypeRank(it->second)) it->second = *type;
        }
      }
    }
  }
  fields_[measurement] = std::move(fields);
  return Status::Ok();
}

Result<WindowData> InfluxqlReader::Read(int64_t from_ns, int64_t to_ns) {
  if (!measurements_loaded_) EDGEREPL_RETURN_IF_ERROR(LoadMeasurements());
  WindowData out;
  if (measurements_.empty()) return out;
  const std::string where = " WHERE time >= " + std::to_string(from_ns) + " AND time < " +
                            std::to_string(to_ns) + " GROUP BY *";
  std::string statements;
  for (const std::string& m : measurements_) {
    if (!statements.empty()) statements += "; ";
    statements += "SELECT * FROM " + From(m) + where;
  }
  Result<JsonValue> answer = Query(statements);
  if (!answer.ok()) return answer.status();
  const JsonValue* results = answer->Find("results");
  if (!results) return Status::Internal("local query: no results in the answer");
  // One result per statement. A cut that falls right after a statement's last row leaves the
  // later statements out with no partial flag: their windows were not read.
  out.partial = Cut(*results) || results->items.size() < measurements_.size();
  std::vector<std::pair<std::string, std::string>> tags;
  std::vector<FieldValue> fields;
  for (const JsonValue& r : results->items) {
    const JsonValue* series = r.Find("series");
    if (!series) continue;
    for (const JsonValue& s : series->items) {
      const JsonValue* name = s.Find("name");
      const JsonValue* columns = s.Find("columns");
      const JsonValue* values = s.Find("values");
      if (!name || !columns || !values) continue;
      const std::string& measurement = name->text;
      tags.clear();
      if (const JsonValue* t = s.Find("tags")) {
        for (const auto& [k, v] : t->members) tags.emplace_back(k, v.text);
      }
      // Column i's field type; the time column is 0.
      std::vector<std::optional<FieldType>> types(columns->items.size());
      for (int attempt = 0; attempt < 2; ++attempt) {
        auto known = fields_.find(measurement);
        bool missing = known == fields_.end();
        for (size_t i = 1; i < columns->items.size() && !missing; ++i) {
          auto f = known->second.find(columns->items[i].text);
          if (f == known->second.end()) {
            missing = true;
          } else {
            types[i] = f->second;
          }
        }
        if (!missing) break;
        if (attempt == 1) {
          return Status::Internal("measurement \"" + measurement +
                                  "\": a column is not in SHOW FIELD KEYS");
        }
        EDGEREPL_RETURN_IF_ERROR(LoadFields(measurement));
      }
      for (const JsonValue& row : values->items) {
        if (row.items.size() != columns->items.size() || row.items.empty() ||
            row.items[0].kind != JsonValue::Kind::kNumber) {
          return Status::Internal("local query: a row does not match its columns");
        }
        fields.clear();
        for (size_t i = 1; i < row.items.size(); ++i) {
          const JsonValue& v = row.items[i];
          if (v.IsNull()) continue;
          FieldValue f;
          f.key = columns->items[i].text;
          f.type = *types[i];
          if (v.kind == JsonValue::Kind::kBool) {
            f.value = v.boolean ? "true" : "false";
          } else {
            f.value = v.text;
          }
          // The value's JSON kind must fit the type, or the line would not parse (or would
          // change meaning) at the remote.
          bool fits = (f.type == FieldType::kString) == (v.kind == JsonValue::Kind::kString) &&
                      (f.type == FieldType::kBoolean) == (v.kind == JsonValue::Kind::kBool);
          if (!fits) continue;
          fields.push_back(std::move(f));
        }
        if (fields.empty()) continue;
        AppendLine(measurement, tags, fields, row.items[0].text, &out.lines);
        ++out.points;
      }
    }
  }
  return out;
}

}  // namespace edgerepl::backfill
