#include "agent/deletes/v2_delete.h"

#include <cpprest/json.h>

#include <algorithm>
#include <cctype>
#include <exception>
#include <optional>

#include "agent/deletes/influxql_lexer.h"
#include "agent/deletes/tag_keys.h"
#include "common/codec/utf8.h"
#include "common/config/timestamp.h"

namespace edgerepl::deletes {
namespace {

using influxql::IsKeyword;
using influxql::Token;
using influxql::TokenType;

Status Refuse(std::string_view member, std::string_view why) {
  return Status::InvalidArgument("v2 delete: \"" + std::string(member) + "\" " + std::string(why));
}

// The predicate is lexed as InfluxQL, so a bare InfluxQL keyword cannot be a key or a value
// (InfluxDB's predicate parser refuses it); NAME is the exception it allows as a key.
bool IsInfluxQLKeyword(const Token& t) {
  static constexpr std::string_view kKeywords[] = {"ALL",
                                                   "ALTER",
                                                   "ANALYZE",
                                                   "AND",
                                                   "ANY",
                                                   "AS",
                                                   "ASC",
                                                   "BEGIN",
                                                   "BY",
                                                   "CARDINALITY",
                                                   "CONTINUOUS",
                                                   "CREATE",
                                                   "DATABASE",
                                                   "DATABASES",
                                                   "DEFAULT",
                                                   "DELETE",
                                                   "DESC",
                                                   "DESTINATIONS",
                                                   "DIAGNOSTICS",
                                                   "DISTINCT",
                                                   "DROP",
                                                   "DURATION",
                                                   "END",
                                                   "EVERY",
                                                   "EXACT",
                                                   "EXPLAIN",
                                                   "FALSE",
                                                   "FIELD",
                                                   "FOR",
                                                   "FROM",
                                                   "GRANT",
                                                   "GRANTS",
                                                   "GROUP",
                                                   "GROUPS",
                                                   "IN",
                                                   "INF",
                                                   "INSERT",
                                                   "INTO",
                                                   "KEY",
                                                   "KEYS",
                                                   "KILL",
                                                   "LIMIT",
                                                   "MEASUREMENT",
                                                   "MEASUREMENTS",
                                                   "NAME",
                                                   "OFFSET",
                                                   "ON",
                                                   "OR",
                                                   "ORDER",
                                                   "PASSWORD",
                                                   "POLICIES",
                                                   "POLICY",
                                                   "PRIVILEGES",
                                                   "QUERIES",
                                                   "QUERY",
                                                   "READ",
                                                   "REPLICATION",
                                                   "RESAMPLE",
                                                   "RETENTION",
                                                   "REVOKE",
                                                   "SELECT",
                                                   "SERIES",
                                                   "SET",
                                                   "SHARD",
                                                   "SHARDS",
                                                   "SHOW",
                                                   "SLIMIT",
                                                   "SOFFSET",
                                                   "STATS",
                                                   "SUBSCRIPTION",
                                                   "SUBSCRIPTIONS",
                                                   "TAG",
                                                   "TO",
                                                   "TRUE",
                                                   "USER",
                                                   "USERS",
                                                   "VALUES",
                                                   "WHERE",
                                                   "WITH",
                                                   "WRITE"};
  return std::any_of(std::begin(kKeywords), std::end(kKeywords),
                     [&](std::string_view k) { return IsKeyword(t, k); });
}

std::string QuoteIdent(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '\\' || c == '"') {
      out.push_back('\\');
      out.push_back(c);
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out.push_back(c);
    }
  }
  return out + "\"";
}

// The predicate grammar InfluxDB's delete takes: rules joined by AND (OR is parsed there but not
// applied by the storage engine), parentheses allowed.
class PredicateParser {
 public:
  PredicateParser(std::string_view text, DeleteSpec* spec)
      : tokens_(influxql::Tokenize(text)), text_(text), spec_(spec) {}

  Status Parse() {
    if (tokens_.empty()) return Status::Ok();
    if (Status s = ParseOr(); !s.ok()) return s;
    if (pos_ < tokens_.size()) return Unexpected("AND or the end of the predicate");
    return Status::Ok();
  }

 private:
  const Token* Peek() const { return pos_ < tokens_.size() ? &tokens_[pos_] : nullptr; }
  bool PeekType(TokenType t) const { return Peek() && Peek()->type == t; }
  Status Fail(std::string why) const { return Refuse("predicate", why); }
  std::string Describe(const Token* t) const {
    if (t == nullptr) return "the end";
    return "\"" + std::string(text_.substr(t->begin, t->end - t->begin)) + "\"";
  }
  Status Unexpected(std::string_view expected) const {
    const Token* t = Peek();
    if (t && t->type == TokenType::kBad) return Fail(t->text);
    return Fail("expected " + std::string(expected) + ", found " + Describe(t));
  }

  Status ParseOr() {
    if (Status s = ParseAnd(); !s.ok()) return s;
    if (Peek() && IsKeyword(*Peek(), "OR")) {
      return Fail("uses OR, which InfluxDB's delete does not apply; send one delete per condition");
    }
    return Status::Ok();
  }

  Status ParseAnd() {
    while (true) {
      if (PeekType(TokenType::kLParen)) {
        ++pos_;
        if (Status s = ParseOr(); !s.ok()) return s;
        if (!PeekType(TokenType::kRParen)) return Unexpected("')'");
        ++pos_;
      } else if (Status s = ParseRule(); !s.ok()) {
        return s;
      }
      if (!(Peek() && IsKeyword(*Peek(), "AND"))) return Status::Ok();
      ++pos_;
    }
  }

  Status ParseRule() {
    const Token* key = Peek();
    if (!key || key->type != TokenType::kIdent ||
        (!key->quoted && IsInfluxQLKeyword(*key) && !IsKeyword(*key, "NAME"))) {
      if (key && key->type == TokenType::kIdent) {
        return Fail("key " + Describe(key) + " is an InfluxQL keyword; double-quote it");
      }
      return Unexpected("a key");
    }
    ++pos_;
    std::string k = key->quoted ? key->text : IsKeyword(*key, "NAME") ? "name" : key->text;
    const Token* op = Peek();
    if (!op || op->type != TokenType::kOperator) return Unexpected("= after " + Describe(key));
    ++pos_;
    if (op->text == "!=") {
      return Fail("uses !=, which cannot be replicated; a delete names tag values with = only");
    }
    if (op->text == "=~" || op->text == "!~") {
      return Fail("uses a regex (" + op->text +
                  "), which InfluxDB's delete does not support; name each value with =");
    }
    if (op->text != "=")
      return Fail("uses " + Describe(op) + "; a delete takes key=\"value\" only");

    const Token* v = Peek();
    std::string value;
    if (v && v->type == TokenType::kIdent && (v->quoted || !IsInfluxQLKeyword(*v))) {
      value = v->text;
    } else if (v && (v->type == TokenType::kInteger || v->type == TokenType::kFloat)) {
      value = v->text;
    } else if (v && IsKeyword(*v, "TRUE")) {
      value = "true";
    } else if (v && IsKeyword(*v, "FALSE")) {
      value = "false";
    } else if (v && v->type == TokenType::kString) {
      return Fail("value " + Describe(v) + " is single-quoted; write it double-quoted (\"value\")");
    } else {
      return Unexpected("a double-quoted value after " + Describe(key) + "=");
    }
    ++pos_;

    if (k == "_field" || k == "_value" || k == "_time") {
      return Fail("names " + k +
                  ", which InfluxDB's delete refuses; delete by measurement and tags");
    }
    if (k == "_measurement") {
      if (spec_->measurement && *spec_->measurement != value) {
        return Fail("names two measurements; send one delete per measurement");
      }
      spec_->measurement = value;
      return Status::Ok();
    }
    if (std::string_view why = UnportableTagKey(k); !why.empty()) {
      return Fail("names the tag key \"" + k +
                  "\", which cannot be replicated: " + std::string(why));
    }
    spec_->tags.emplace_back(std::move(k), std::move(value));
    return Status::Ok();
  }

  std::vector<Token> tokens_;
  std::string_view text_;
  DeleteSpec* spec_;
  size_t pos_ = 0;
};

// Go's JSON decoding, which InfluxDB uses, matches member names case-insensitively.
const web::json::value* Member(const web::json::object& o, std::string_view name) {
  for (const auto& [key, value] : o) {
    if (key.size() == name.size() &&
        std::equal(key.begin(), key.end(), name.begin(), [](char a, char b) {
          return std::tolower(static_cast<unsigned char>(a)) == b;
        })) {
      return &value;
    }
  }
  return nullptr;
}

Result<int64_t> Time(const web::json::object& o, std::string_view name) {
  const web::json::value* v = Member(o, name);
  if (v == nullptr)
    return Refuse(name, "is required (an RFC 3339 time, e.g. \"2026-01-01T00:00:00Z\")");
  if (!v->is_string()) return Refuse(name, "must be an RFC 3339 time string");
  std::optional<int64_t> t = config::ParseTimestamp(v->as_string());
  if (!t) {
    return Refuse(name,
                  "is not an RFC 3339 time within InfluxDB's range: \"" + v->as_string() + "\"");
  }
  return *t;
}

}  // namespace

Result<DeleteSpec> ParseV2Delete(std::string_view json_body) {
  if (!codec::IsValidUtf8(json_body)) {
    return Status::InvalidArgument(
        "v2 delete: the body is not valid UTF-8 (InfluxDB would read other bytes as U+FFFD)");
  }
  web::json::value body;
  try {
    body = web::json::value::parse(std::string(json_body));
  } catch (const std::exception& e) {
    return Status::InvalidArgument(std::string("v2 delete: the body is not JSON: ") + e.what());
  }
  if (!body.is_object()) return Status::InvalidArgument("v2 delete: the body is not a JSON object");
  const web::json::object& o = body.as_object();
  DeleteSpec spec;
  Result<int64_t> start = Time(o, "start");
  if (!start.ok()) return start.status();
  Result<int64_t> stop = Time(o, "stop");
  if (!stop.ok()) return stop.status();
  if (*start > *stop) return Refuse("start", "is after \"stop\"");
  spec.start_ns = *start;
  spec.stop_ns = *stop;
  if (const web::json::value* p = Member(o, "predicate"); p != nullptr && !p->is_null()) {
    if (!p->is_string()) return Refuse("predicate", "must be a string");
    if (Status s = PredicateParser(p->as_string(), &spec).Parse(); !s.ok()) return s;
  }
  return spec;
}

std::string RenderV2Body(const DeleteSpec& spec) {
  std::string predicate;
  auto add = [&](std::string_view key, std::string_view value) {
    if (!predicate.empty()) predicate += " AND ";
    predicate += QuoteIdent(key) + "=" + QuoteIdent(value);
  };
  if (spec.measurement) add("_measurement", *spec.measurement);
  for (const auto& [key, value] : spec.tags) add(key, value);
  web::json::value body = web::json::value::object(/*keep_order=*/true);
  body["start"] = web::json::value::string(config::FormatTimestamp(spec.start_ns));
  body["stop"] = web::json::value::string(config::FormatTimestamp(spec.stop_ns));
  if (!predicate.empty()) body["predicate"] = web::json::value::string(predicate);
  return body.serialize();
}

}  // namespace edgerepl::deletes
