#include "agent/deletes/influxql_delete.h"

#include <algorithm>
#include <cctype>
#include <limits>

#include "agent/deletes/influxql_lexer.h"
#include "agent/deletes/tag_keys.h"
#include "common/codec/utf8.h"
#include "common/config/timestamp.h"

namespace edgerepl::deletes {
namespace {

using influxql::IsKeyword;
using influxql::Token;
using influxql::TokenType;

constexpr std::string_view kReplicated = " is not supported when deletes are replicated";

std::string_view Trim(std::string_view s) {
  auto space = [](char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
  };
  while (!s.empty() && space(s.front())) s.remove_prefix(1);
  while (!s.empty() && space(s.back())) s.remove_suffix(1);
  return s;
}

std::string Quote(std::string_view s, char quote) {
  std::string out(1, quote);
  for (char c : s) {
    if (c == '\\' || c == quote) {
      out.push_back('\\');
      out.push_back(c);
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out.push_back(c);
    }
  }
  out.push_back(quote);
  return out;
}

// A time value's term: one operand of a sum like now() - 1h.
struct Term {
  bool negative = false;
  Token token;
  bool call = false;  // now()
};

class Parser {
 public:
  Parser(std::vector<Token> tokens, std::string_view statement, int64_t now_ns)
      : tokens_(std::move(tokens)), statement_(statement), now_ns_(now_ns) {}

  Result<DeleteSpec> Parse() {
    if (Status s = ParseStatement(); !s.ok()) return s;
    __int128 start = std::max<__int128>(start_, kMinTimeNs);
    __int128 stop = std::min<__int128>(stop_, kMaxTimeNs);
    if (start > stop) {
      return Fail("the time conditions select no time (from " + ToString(start_) + " to " +
                  ToString(stop_) + " ns)");
    }
    spec_.start_ns = static_cast<int64_t>(start);
    spec_.stop_ns = static_cast<int64_t>(stop);
    return spec_;
  }

 private:
  static std::string ToString(__int128 v) {
    if (v > std::numeric_limits<int64_t>::max()) return "beyond " + std::to_string(kMaxTimeNs);
    if (v < std::numeric_limits<int64_t>::min()) return "before " + std::to_string(kMinTimeNs);
    return std::to_string(static_cast<int64_t>(v));
  }

  const Token* Peek(size_t ahead = 0) const {
    return pos_ + ahead < tokens_.size() ? &tokens_[pos_ + ahead] : nullptr;
  }
  const Token& Take() { return tokens_[pos_++]; }
  bool PeekKeyword(std::string_view k) const { return Peek() && IsKeyword(*Peek(), k); }
  bool PeekType(TokenType t) const { return Peek() && Peek()->type == t; }

  Status Fail(std::string why) const { return Status::InvalidArgument(name_ + ": " + why); }
  Status Unsupported(std::string what, std::string_view advice) const {
    return Fail(what + std::string(kReplicated) + "; " + std::string(advice));
  }
  // The statement text of tokens [from, to), for messages.
  std::string Text(size_t from, size_t to) const {
    if (from >= to || from >= tokens_.size()) return "";
    size_t end = tokens_[std::min(to, tokens_.size()) - 1].end;
    return std::string(statement_.substr(tokens_[from].begin, end - tokens_[from].begin));
  }
  std::string Describe(const Token* t) const {
    if (t == nullptr) return "the end of the statement";
    if (t->type == TokenType::kBad) return t->text;
    return "\"" + std::string(statement_.substr(t->begin, t->end - t->begin)) + "\"";
  }
  Status Unexpected(std::string_view expected) const {
    const Token* t = Peek();
    if (t && t->type == TokenType::kBad) return Fail(t->text);
    return Fail("expected " + std::string(expected) + ", found " + Describe(t));
  }

  Status ParseStatement() {
    if (PeekKeyword("DELETE")) {
      Take();
      name_ = "DELETE";
    } else if (PeekKeyword("DROP") && Peek(1) && IsKeyword(*Peek(1), "SERIES")) {
      pos_ += 2;
      name_ = "DROP SERIES";
      spec_.kind = DeleteSpec::Kind::kDropSeries;
    } else {
      name_ = "delete";
      return Unexpected("DELETE or DROP SERIES");
    }
    if (PeekKeyword("ON")) {
      return Unsupported("ON <database>",
                         "the delete acts on the request's database (the db parameter)");
    }
    bool from = false, where = false;
    if (PeekKeyword("FROM")) {
      Take();
      from = true;
      if (Status s = ParseSource(); !s.ok()) return s;
    }
    if (PeekKeyword("WHERE")) {
      Take();
      where = true;
      if (Status s = ParseOr(); !s.ok()) return s;
    }
    if (PeekType(TokenType::kSemicolon)) return Fail("one statement at a time (found ';')");
    if (Peek())
      return Unexpected(from || where ? "AND or the end of the statement" : "FROM or WHERE");
    if (!from && !where) return Unexpected("FROM or WHERE");
    return Status::Ok();
  }

  Status ParseSource() {
    const Token* t = Peek();
    if (t && t->type == TokenType::kRegex) {
      // /.*/ names every measurement, the one regex with a meaning both APIs share.
      if (t->text != ".*") {
        return Unsupported("a regex in FROM (" + Describe(t) + ")",
                           "name one measurement, or send one delete per measurement");
      }
      Take();
    } else if (t && t->type == TokenType::kIdent && (t->quoted || !IsReserved(*t))) {
      spec_.measurement = Take().text;
    } else {
      return Unexpected("a measurement after FROM");
    }
    if (PeekType(TokenType::kDot)) {
      return Unsupported("a qualified measurement (" + Text(pos_ - 1, pos_ + 2) + "...)",
                         "a delete acts on every retention policy of the request's database; "
                         "name the measurement alone");
    }
    if (PeekType(TokenType::kComma)) {
      return Unsupported("a list of measurements in FROM", "send one delete per measurement");
    }
    return Status::Ok();
  }

  static bool IsReserved(const Token& t) {
    for (std::string_view k : {"FROM", "WHERE", "AND", "OR", "ON", "DELETE", "DROP", "SERIES"}) {
      if (IsKeyword(t, k)) return true;
    }
    return false;
  }

  Status ParseOr() {
    if (Status s = ParseAnd(); !s.ok()) return s;
    if (PeekKeyword("OR")) {
      return Unsupported("\"OR\"", "send one delete per condition");
    }
    return Status::Ok();
  }

  Status ParseAnd() {
    while (true) {
      if (Status s = ParseUnary(); !s.ok()) return s;
      if (!PeekKeyword("AND")) return Status::Ok();
      Take();
    }
  }

  Status ParseUnary() {
    if (PeekType(TokenType::kLParen)) {
      Take();
      if (Status s = ParseOr(); !s.ok()) return s;
      if (!PeekType(TokenType::kRParen)) return Unexpected("')'");
      Take();
      return Status::Ok();
    }
    return ParseComparison();
  }

  // term (('+' | '-') term)*, a term optionally preceded by '-'.
  Status ParseOperand(std::vector<Term>* out) {
    bool negative = false;
    while (true) {
      if (PeekType(TokenType::kOperator) && Peek()->text == "-") {
        Take();
        negative = !negative;
        continue;
      }
      const Token* t = Peek();
      if (t == nullptr || t->type == TokenType::kBad) return Unexpected("a tag, time or value");
      if (t->type == TokenType::kIdent && !t->quoted && IsKeyword(*t, "NOW")) {
        if (!(Peek(1) && Peek(1)->type == TokenType::kLParen && Peek(2) &&
              Peek(2)->type == TokenType::kRParen)) {
          return Fail("now must be called as now()");
        }
        Term term{negative, Take(), /*call=*/true};
        pos_ += 2;
        out->push_back(std::move(term));
      } else if (t->type == TokenType::kIdent || t->type == TokenType::kString ||
                 t->type == TokenType::kInteger || t->type == TokenType::kFloat ||
                 t->type == TokenType::kDuration || t->type == TokenType::kRegex) {
        if (t->type == TokenType::kIdent && !t->quoted && IsReserved(*t)) {
          return Unexpected("a tag, time or value");
        }
        out->push_back(Term{negative, Take()});
      } else if (t->type == TokenType::kLParen) {
        return Unsupported("a parenthesized value (" + Describe(t) + ")",
                           "write the time as one value, optionally +/- durations");
      } else {
        return Unexpected("a tag, time or value");
      }
      if (PeekType(TokenType::kOperator) && (Peek()->text == "*" || Peek()->text == "/")) {
        return Unsupported("arithmetic with " + Describe(Peek()),
                           "write the time as one value, optionally +/- durations");
      }
      if (!(PeekType(TokenType::kOperator) && (Peek()->text == "+" || Peek()->text == "-"))) {
        return Status::Ok();
      }
      negative = Take().text == "-";
    }
  }

  static bool IsVar(const std::vector<Term>& o) {
    return o.size() == 1 && !o[0].negative && !o[0].call && o[0].token.type == TokenType::kIdent;
  }
  static bool IsTime(const std::vector<Term>& o) {
    if (!IsVar(o)) return false;
    std::string lower = o[0].token.text;
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char c) { return std::tolower(c); });
    return lower == "time";
  }

  Status ParseComparison() {
    size_t first = pos_;
    std::vector<Term> lhs, rhs;
    if (Status s = ParseOperand(&lhs); !s.ok()) return s;
    if (!PeekType(TokenType::kOperator) || Peek()->text == "+" || Peek()->text == "-" ||
        Peek()->text == "*" || Peek()->text == "/") {
      if (PeekType(TokenType::kOperator)) {
        return Unsupported("arithmetic with " + Describe(Peek()),
                           "write the time as one value, optionally +/- durations");
      }
      return Unexpected("a comparison (=, <, <=, >, >=)");
    }
    std::string op = Take().text;
    if (op == "=~" || op == "!~") {
      return Unsupported("a regex condition (" + op + ")", "name each tag value with =");
    }
    if (Status s = ParseOperand(&rhs); !s.ok()) return s;
    std::string cond = Text(first, pos_);

    if (IsTime(rhs) && !IsTime(lhs)) {
      std::swap(lhs, rhs);
      op = Flip(op);
    }
    if (IsTime(lhs)) return TimeCondition(op, rhs, cond);
    if (IsVar(rhs) && !IsVar(lhs)) std::swap(lhs, rhs);
    if (!IsVar(lhs)) {
      return Fail("the condition " + cond + " names no tag and no time");
    }
    if (op == "!=" || op == "<>") {
      return Unsupported("\"" + op + "\" (in " + cond + ")",
                         "a replicated delete names tag values with = only");
    }
    if (op != "=") {
      return Unsupported("comparing a tag or field with " + op + " (in " + cond + ")",
                         "a replicated delete takes tag = 'value' and time conditions only");
    }
    if (rhs.size() != 1 || rhs[0].negative || rhs[0].token.type != TokenType::kString) {
      return Unsupported("the condition " + cond,
                         "compare a tag with a 'single-quoted string' (conditions on fields "
                         "cannot be deleted by)");
    }
    if (std::string_view why = UnportableTagKey(lhs[0].token.text); !why.empty()) {
      return Unsupported("the tag key \"" + lhs[0].token.text + "\"", why);
    }
    spec_.tags.emplace_back(lhs[0].token.text, rhs[0].token.text);
    return Status::Ok();
  }

  static std::string Flip(const std::string& op) {
    if (op == "<") return ">";
    if (op == "<=") return ">=";
    if (op == ">") return "<";
    if (op == ">=") return "<=";
    return op;
  }

  Status TimeCondition(const std::string& op, const std::vector<Term>& value,
                       const std::string& cond) {
    if (spec_.kind == DeleteSpec::Kind::kDropSeries) {
      return Fail("a time condition (" + cond +
                  ") is refused by InfluxDB in DROP SERIES; use DELETE to remove a time range");
    }
    if (op == "!=" || op == "<>") {
      return Unsupported("\"" + op + "\" on time (in " + cond + ")",
                         "give the range with >, >=, <, <= or =");
    }
    __int128 t = 0;
    for (size_t i = 0; i < value.size(); ++i) {
      const Term& term = value[i];
      Result<__int128> v = TermValue(term, i == 0, cond);
      if (!v.ok()) return v.status();
      t += term.negative ? -*v : *v;
      // Far beyond InfluxDB's range already: stop before the sum could overflow.
      if (t > (static_cast<__int128>(1) << 100) || t < -(static_cast<__int128>(1) << 100)) {
        return Fail("the time in " + cond + " is out of range");
      }
    }
    if (op == ">=" || op == "=") start_ = std::max(start_, t);
    if (op == ">") start_ = std::max(start_, t + 1);
    if (op == "<=" || op == "=") stop_ = std::min(stop_, t);
    if (op == "<") stop_ = std::min(stop_, t - 1);
    return Status::Ok();
  }

  Result<__int128> TermValue(const Term& term, bool first, const std::string& cond) {
    const Token& t = term.token;
    switch (t.type) {
      case TokenType::kInteger: {
        // -9223372036854775808 is an int64 too: the magnitude may reach 2^63 when negated.
        const __int128 limit =
            static_cast<__int128>(std::numeric_limits<int64_t>::max()) + (term.negative ? 1 : 0);
        __int128 v = 0;
        for (char c : t.text) {
          v = v * 10 + (c - '0');
          if (v > limit) return Fail("the integer " + t.text + " in " + cond + " is out of range");
        }
        return v;
      }
      case TokenType::kDuration:
        return static_cast<__int128>(t.ns);
      case TokenType::kString:
      case TokenType::kIdent:  // now()
        if (!first || term.negative) {
          return Fail("in " + cond + ", only durations or integers can be added to a time");
        }
        if (t.type == TokenType::kIdent) {
          if (!term.call) return Fail("time is compared with the name " + Describe(&t));
          return static_cast<__int128>(now_ns_);
        }
        if (std::optional<int64_t> v = ParseTime(t.text)) return static_cast<__int128>(*v);
        return Fail("'" + t.text + "' in " + cond +
                    " is not a time: write RFC 3339 ('2026-01-01T00:00:00Z') or nanoseconds");
      case TokenType::kFloat:
        return Fail("time is compared with the number " + t.text + " in " + cond +
                    "; write the time as an integer of nanoseconds or an RFC 3339 string");
      default:
        return Fail("time is compared with " + Describe(&t) + " in " + cond);
    }
  }

  // RFC 3339, and the two shorter forms InfluxQL also takes: 'YYYY-MM-DD HH:MM:SS[.frac]' and
  // 'YYYY-MM-DD', both UTC.
  static std::optional<int64_t> ParseTime(const std::string& s) {
    if (std::optional<int64_t> v = config::ParseTimestamp(s)) return v;
    if (s.size() == 10) return config::ParseTimestamp(s + "T00:00:00Z");
    if (s.size() >= 19 && s[10] == ' ') {
      std::string rfc = s;
      rfc[10] = 'T';
      return config::ParseTimestamp(rfc + "Z");
    }
    return std::nullopt;
  }

  std::vector<Token> tokens_;
  std::string_view statement_;
  int64_t now_ns_;
  size_t pos_ = 0;
  std::string name_;
  DeleteSpec spec_;
  __int128 start_ = kMinTimeNs;
  __int128 stop_ = kMaxTimeNs;
};

}  // namespace

std::vector<std::string> SplitStatements(std::string_view q) {
  std::vector<std::string> out;
  size_t begin = 0;
  auto emit = [&](size_t end) {
    std::string_view s = Trim(q.substr(begin, end - begin));
    if (!s.empty()) out.emplace_back(s);
  };
  for (const Token& t : influxql::Tokenize(q)) {
    if (t.type != TokenType::kSemicolon) continue;
    emit(t.begin);
    begin = t.end;
  }
  emit(q.size());
  return out;
}

bool IsDeleteStatement(std::string_view statement) {
  std::vector<Token> tokens = influxql::Tokenize(statement);
  if (tokens.empty()) return false;
  if (IsKeyword(tokens[0], "DELETE")) return true;
  return tokens.size() >= 2 && IsKeyword(tokens[0], "DROP") && IsKeyword(tokens[1], "SERIES");
}

Result<DeleteSpec> ParseInfluxQLDelete(std::string_view statement, int64_t now_ns) {
  if (!codec::IsValidUtf8(statement)) {
    return Status::InvalidArgument(
        "delete: the statement is not valid UTF-8 (InfluxDB would read other bytes as U+FFFD)");
  }
  return Parser(influxql::Tokenize(statement), statement, now_ns).Parse();
}

std::string RenderInfluxQL(const DeleteSpec& spec) {
  bool full_time = spec.start_ns <= kMinTimeNs && spec.stop_ns >= kMaxTimeNs;
  // A DROP SERIES with a time range cannot be said in InfluxQL; a DELETE of that range removes
  // no more than was asked.
  bool drop = spec.kind == DeleteSpec::Kind::kDropSeries && full_time;
  std::string out = drop ? "DROP SERIES" : "DELETE";
  std::vector<std::string> conds;
  for (const auto& [key, value] : spec.tags)
    conds.push_back(Quote(key, '"') + "=" + Quote(value, '\''));
  if (spec.start_ns > kMinTimeNs) conds.push_back("time >= " + std::to_string(spec.start_ns));
  if (spec.stop_ns < kMaxTimeNs) conds.push_back("time <= " + std::to_string(spec.stop_ns));
  if (spec.measurement) {
    out += " FROM " + Quote(*spec.measurement, '"');
  } else if (conds.empty()) {
    out += " FROM /.*/";  // InfluxDB refuses a statement with neither FROM nor WHERE
  }
  for (size_t i = 0; i < conds.size(); ++i) out += (i == 0 ? " WHERE " : " AND ") + conds[i];
  return out;
}

}  // namespace edgerepl::deletes
