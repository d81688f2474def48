#include "agent/lineprotocol/scanner.h"

#include <algorithm>
#include <charconv>
#include <cstring>

#include "agent/lineprotocol/field_value.h"

namespace edgerepl::lp {
namespace {

bool Fail(std::string* error, std::string_view what) {
  error->assign(what);
  return false;
}

bool IsNumericStart(char c) {
  return (c >= '0' && c <= '9') || c == '.' || c == '-' || c == 'N' || c == 'n';
}

// A set of bytes the scanner stops at, so the common bytes are skipped with one table lookup.
class ByteSet {
 public:
  constexpr explicit ByteSet(std::string_view members) : member_{} {
    for (char c : members) member_[static_cast<unsigned char>(c)] = true;
  }
  bool Has(char c) const { return member_[static_cast<unsigned char>(c)]; }

 private:
  bool member_[256];
};

constexpr ByteSet kMeasurementStops(", ");
constexpr ByteSet kTagStops(" ,=");
constexpr ByteSet kFieldStops("\\\"=, ");

// The first index >= i whose byte is in `stops` and does not follow a backslash, or buf.size().
// This is the escape rule of measurements and tags: a byte after any backslash, even an escaped
// one, is literal. REQUIRES: i >= 1.
size_t FindUnescaped(std::string_view buf, size_t i, const ByteSet& stops) {
  const size_t n = buf.size();
  for (;; ++i) {
    while (i < n && !stops.Has(buf[i])) ++i;
    if (i >= n || buf[i - 1] != '\\') return i;
  }
}

// The byte range of an (escaped) tag key.
std::string_view KeyOf(std::string_view line, const TagSpan& t) {
  return line.substr(t.key_begin, t.key_end - t.key_begin);
}

// models.walkFields in 2.x re-splits the field set with simpler escaping rules than scanFields:
// a key ends at the first '=' not preceded by a backslash, a value at the first ',' outside
// quotes. A key with no '=' found that way is rejected, and each field's series key must fit.
bool WalkFields(std::string_view fields, size_t key_length, std::string* error) {
  while (!fields.empty()) {
    size_t i = 0;
    while (i < fields.size() && !(fields[i] == '=' && (i == 0 || fields[i - 1] != '\\'))) ++i;
    const std::string_view key = fields.substr(0, i);
    if (i + 2 > fields.size()) {
      error->assign("invalid value: field-key=");
      error->append(key);
      return false;
    }
    const size_t series_key = key_length + key.size() + kV2SeriesKeyOverhead;
    if (series_key > kMaxKeyLength) {
      *error = "max key length exceeded: " + std::to_string(series_key) + " > " +
               std::to_string(kMaxKeyLength);
      return false;
    }
    fields.remove_prefix(i + 1);
    bool quoted = false;
    i = 0;
    while (i < fields.size()) {
      const char c = fields[i];
      if (c == '\\' && i + 1 < fields.size() && (fields[i + 1] == '"' || fields[i + 1] == '\\')) {
        i += 2;
        continue;
      }
      if (c == '"') quoted = !quoted;
      if (c == ',' && !quoted) break;
      ++i;
    }
    fields.remove_prefix(i < fields.size() ? i + 1 : i);
  }
  return true;
}

}  // namespace

size_t SkipWhitespace(std::string_view s, size_t i) {
  while (i < s.size() && (s[i] == ' ' || s[i] == '\t' || s[i] == '\0')) ++i;
  return i;
}

bool Scanner::CheckDuplicateTags(std::string_view line, std::string* error) {
  bool sorted = true;
  for (size_t j = 1; j < tags_.size(); ++j) {
    const int cmp = KeyOf(line, tags_[j - 1]).compare(KeyOf(line, tags_[j]));
    if (cmp == 0) return Fail(error, "duplicate tags");
    if (cmp > 0) {
      sorted = false;
      break;
    }
  }
  if (sorted) return true;
  order_.resize(tags_.size());
  for (size_t j = 0; j < order_.size(); ++j) order_[j] = static_cast<uint32_t>(j);
  std::sort(order_.begin(), order_.end(),
            [&](uint32_t a, uint32_t b) { return KeyOf(line, tags_[a]) < KeyOf(line, tags_[b]); });
  for (size_t j = 1; j < order_.size(); ++j) {
    if (KeyOf(line, tags_[order_[j - 1]]) == KeyOf(line, tags_[order_[j]])) {
      return Fail(error, "duplicate tags");
    }
  }
  return true;
}

bool Scanner::Scan(std::string_view buf, Precision precision, ScannedPoint* p, std::string* error) {
  tags_.clear();
  error->clear();
  const size_t n = buf.size();

  // Measurement: anything up to an unescaped ',' or ' '; a backslash escapes the next byte
  // whatever it is (models.scanMeasurement).
  if (n == 0 || buf[0] == ',') return Fail(error, "missing measurement");
  size_t i = FindUnescaped(buf, 1, kMeasurementStops);
  if (i >= n) return Fail(error, "missing fields");
  bool has_tags = buf[i] == ',';
  p->measurement_end = i;

  // Tags: key=value pairs; a key ends at '=' and a value at ',' or ' ' unless the byte before
  // is a backslash (models.scanTagsKey / scanTagsValue).
  while (has_tags) {
    ++i;  // past the ','
    const size_t key_begin = i;
    if (i >= n || buf[i] == ' ' || buf[i] == ',' || buf[i] == '=') {
      return Fail(error, "missing tag key");
    }
    i = FindUnescaped(buf, i + 1, kTagStops);
    if (i >= n || buf[i] != '=') return Fail(error, "missing tag value");
    const size_t key_end = i;
    ++i;
    if (i >= n || buf[i] == ',' || buf[i] == ' ') return Fail(error, "missing tag value");
    i = FindUnescaped(buf, i + 1, kTagStops);
    if (i >= n) return Fail(error, "missing fields");
    if (buf[i] == '=') return Fail(error, "invalid tag format");
    has_tags = buf[i] == ',';
    tags_.push_back(TagSpan{static_cast<uint32_t>(key_begin), static_cast<uint32_t>(key_end),
                            static_cast<uint32_t>(i)});
  }
  if (tags_.size() > 1 && !CheckDuplicateTags(buf, error)) return false;
  p->key_end = i;
  if (i > kMaxKeyLength) {
    *error =
        "max key length exceeded: " + std::to_string(i) + " > " + std::to_string(kMaxKeyLength);
    return false;
  }

  // Fields (models.scanFields): a backslash escapes the next byte anywhere; a '"' opens or
  // closes a string only in a value position (more '=' than ',' seen so far).
  const size_t fields_begin = SkipWhitespace(buf, i);
  i = fields_begin;
  bool quoted = false;
  size_t equals = 0;
  size_t commas = 0;
  while (i < n) {
    while (i < n && !kFieldStops.Has(buf[i])) ++i;
    if (i >= n) break;
    const char c = buf[i];
    if (c == '\\' && i + 1 < n) {
      i += 2;
      continue;
    }
    if (c == '"' && equals > commas) {
      quoted = !quoted;
      ++i;
      continue;
    }
    if (c == '=' && !quoted) {
      ++equals;
      if ((buf[i - 1] == ' ' || buf[i - 1] == ',') && buf[i - 2] != '\\') {
        return Fail(error, "missing field key");
      }
      if (i + 1 >= n || buf[i + 1] == ',' || buf[i + 1] == ' ') {
        return Fail(error, "missing field value");
      }
      const char v = buf[i + 1];
      if (IsNumericStart(v)) {
        FieldType type;
        i = ScanNumber(buf, i + 1, &type, error);
        if (!error->empty()) return false;
        continue;
      }
      if (v != '"') {
        i = ScanBoolean(buf, i + 1, error);
        if (!error->empty()) return false;
        continue;
      }
    }
    if (c == ',' && !quoted) ++commas;
    if (c == ' ' && !quoted) break;
    ++i;
  }
  if (quoted) return Fail(error, "unbalanced quotes");
  if (equals == 0 || commas != equals - 1) return Fail(error, "invalid field format");
  if (i == fields_begin) return Fail(error, "missing fields");
  p->fields_begin = fields_begin;
  p->fields_end = i;
  p->field_count = equals;

  // Timestamp (models.scanTime): optional, an optionally negative decimal integer; nothing but
  // spaces may follow it.
  const size_t ts_begin = SkipWhitespace(buf, i);
  i = ts_begin;
  while (i < n && buf[i] != '\n' && buf[i] != ' ') {
    if (!(i == ts_begin && buf[i] == '-') && (buf[i] < '0' || buf[i] > '9')) {
      return Fail(error, "bad timestamp");
    }
    ++i;
  }
  p->has_timestamp = i > ts_begin;
  p->timestamp_begin = ts_begin;
  p->timestamp_end = i;
  if (p->has_timestamp) {
    const std::string_view text = buf.substr(ts_begin, i - ts_begin);
    int64_t value = 0;
    auto r = std::from_chars(text.data(), text.data() + text.size(), value);
    if (r.ec != std::errc() || r.ptr != text.data() + text.size()) {
      *error = "strconv.ParseInt: parsing \"" + std::string(text) + "\": " +
               (r.ec == std::errc::result_out_of_range ? "value out of range" : "invalid syntax");
      return false;
    }
    auto ns = ToNanos(value, precision);
    if (!ns) {
      *error = "time outside range " + std::to_string(kMinNanoTime) + " - " +
               std::to_string(kMaxNanoTime);
      return false;
    }
    p->timestamp_ns = *ns;
    for (; i < n; ++i) {
      if (buf[i] != ' ') return Fail(error, "point is invalid");
    }
  }

  const std::string_view fields = buf.substr(fields_begin, p->fields_end - fields_begin);
  const size_t key_length = p->key_end;
  if ((key_length + fields.size() + kV2SeriesKeyOverhead > kMaxKeyLength ||
       std::memchr(fields.data(), '\\', fields.size()) != nullptr) &&
      !WalkFields(fields, key_length, error)) {
    return false;
  }
  return true;
}

}  // namespace edgerepl::lp
