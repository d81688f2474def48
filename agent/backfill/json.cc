#include "agent/backfill/json.h"

#include "common/codec/hex.h"
#include "common/codec/utf8.h"

namespace edgerepl::backfill {
namespace {

// Nesting deeper than this is refused: influxd's answers are four levels deep.
constexpr int kMaxDepth = 64;

class Parser {
 public:
  explicit Parser(std::string_view s) : s_(s) {}

  Result<JsonValue> Document() {
    JsonValue v;
    if (!Value(&v, 0)) return Error();
    Space();
    if (i_ != s_.size()) {
      error_ = "trailing data";
      return Error();
    }
    return v;
  }

 private:
  Status Error() const {
    return Status::InvalidArgument("invalid JSON at byte " + std::to_string(i_) + ": " + error_);
  }
  void Space() {
    while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\n' || s_[i_] == '\r' || s_[i_] == '\t'))
      ++i_;
  }
  bool Fail(const char* message) {
    error_ = message;
    return false;
  }
  bool Literal(std::string_view word) {
    if (s_.substr(i_, word.size()) != word) return Fail("unknown literal");
    i_ += word.size();
    return true;
  }

  bool Value(JsonValue* v, int depth) {
    if (depth > kMaxDepth) return Fail("nested too deeply");
    Space();
    if (i_ >= s_.size()) return Fail("unexpected end");
    char c = s_[i_];
    if (c == '{') return Object(v, depth);
    if (c == '[') return Array(v, depth);
    if (c == '"') {
      v->kind = JsonValue::Kind::kString;
      return String(&v->text);
    }
    if (c == 't' || c == 'f') {
      v->kind = JsonValue::Kind::kBool;
      v->boolean = c == 't';
      return Literal(c == 't' ? "true" : "false");
    }
    if (c == 'n') {
      v->kind = JsonValue::Kind::kNull;
      return Literal("null");
    }
    return Number(v);
  }

  bool Number(JsonValue* v) {
    size_t start = i_;
    if (i_ < s_.size() && s_[i_] == '-') ++i_;
    size_t digits = i_;
    while (i_ < s_.size() && s_[i_] >= '0' && s_[i_] <= '9') ++i_;
    if (i_ == digits) return Fail("expected a value");
    if (i_ < s_.size() && s_[i_] == '.') {
      ++i_;
      size_t frac = i_;
      while (i_ < s_.size() && s_[i_] >= '0' && s_[i_] <= '9') ++i_;
      if (i_ == frac) return Fail("digits expected after '.'");
    }
    if (i_ < s_.size() && (s_[i_] == 'e' || s_[i_] == 'E')) {
      ++i_;
      if (i_ < s_.size() && (s_[i_] == '+' || s_[i_] == '-')) ++i_;
      size_t exp = i_;
      while (i_ < s_.size() && s_[i_] >= '0' && s_[i_] <= '9') ++i_;
      if (i_ == exp) return Fail("digits expected in exponent");
    }
    v->kind = JsonValue::Kind::kNumber;
    v->text.assign(s_.substr(start, i_ - start));
    return true;
  }

  bool Hex4(uint32_t* out) {
    if (i_ + 4 > s_.size()) return Fail("short \\u escape");
    uint32_t v = 0;
    for (int k = 0; k < 4; ++k) {
      const int digit = codec::HexDigitValue(s_[i_++]);
      if (digit < 0) return Fail("bad \\u escape");
      v = (v << 4) | static_cast<uint32_t>(digit);
    }
    *out = v;
    return true;
  }

  bool String(std::string* out) {
    ++i_;  // the opening quote
    out->clear();
    while (true) {
      size_t run = i_;
      while (i_ < s_.size() && s_[i_] != '"' && s_[i_] != '\\') ++i_;
      out->append(s_.substr(run, i_ - run));
      if (i_ >= s_.size()) return Fail("unterminated string");
      if (s_[i_] == '"') {
        ++i_;
        return true;
      }
      ++i_;  // backslash
      if (i_ >= s_.size()) return Fail("unterminated string");
      char e = s_[i_++];
      switch (e) {
        case '"':
        case '\\':
        case '/':
          out->push_back(e);
          break;
        case 'b':
          out->push_back('\b');
          break;
        case 'f':
          out->push_back('\f');
          break;
        case 'n':
          out->push_back('\n');
          break;
        case 'r':
          out->push_back('\r');
          break;
        case 't':
          out->push_back('\t');
          break;
        case 'u': {
          uint32_t cp;
          if (!Hex4(&cp)) return false;
          // A surrogate is only half a character: one without its other half would become
          // bytes that are not UTF-8.
          if (cp >= 0xDC00 && cp <= 0xDFFF) return Fail("unpaired surrogate");
          if (cp >= 0xD800 && cp < 0xDC00) {
            if (s_.substr(i_, 2) != "\\u") return Fail("unpaired surrogate");
            i_ += 2;
            uint32_t low;
            if (!Hex4(&low)) return false;
            if (low < 0xDC00 || low > 0xDFFF) return Fail("unpaired surrogate");
            cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
          }
          codec::AppendUtf8(cp, *out);
          break;
        }
        default:
          return Fail("unknown escape");
      }
    }
  }

  bool Array(JsonValue* v, int depth) {
    v->kind = JsonValue::Kind::kArray;
    ++i_;
    Space();
    if (i_ < s_.size() && s_[i_] == ']') {
      ++i_;
      return true;
    }
    while (true) {
      v->items.emplace_back();
      if (!Value(&v->items.back(), depth + 1)) return false;
      Space();
      if (i_ < s_.size() && s_[i_] == ',') {
        ++i_;
        continue;
      }
      if (i_ < s_.size() && s_[i_] == ']') {
        ++i_;
        return true;
      }
      return Fail("expected ',' or ']'");
    }
  }

  bool Object(JsonValue* v, int depth) {
    v->kind = JsonValue::Kind::kObject;
    ++i_;
    Space();
    if (i_ < s_.size() && s_[i_] == '}') {
      ++i_;
      return true;
    }
    while (true) {
      Space();
      if (i_ >= s_.size() || s_[i_] != '"') return Fail("expected a member name");
      std::string key;
      if (!String(&key)) return false;
      Space();
      if (i_ >= s_.size() || s_[i_] != ':') return Fail("expected ':'");
      ++i_;
      v->members.emplace_back(std::move(key), JsonValue());
      if (!Value(&v->members.back().second, depth + 1)) return false;
      Space();
      if (i_ < s_.size() && s_[i_] == ',') {
        ++i_;
        continue;
      }
      if (i_ < s_.size() && s_[i_] == '}') {
        ++i_;
        return true;
      }
      return Fail("expected ',' or '}'");
    }
  }

  std::string_view s_;
  size_t i_ = 0;
  std::string error_;
};

}  // namespace

const JsonValue* JsonValue::Find(std::string_view key) const {
  if (kind != Kind::kObject) return nullptr;
  for (const auto& [k, v] : members) {
    if (k == key) return &v;
  }
  return nullptr;
}

Result<JsonValue> ParseJson(std::string_view text) {
  return Parser(text).Document();
}

}  // namespace edgerepl::backfill
