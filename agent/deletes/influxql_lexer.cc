#include "agent/deletes/influxql_lexer.h"

#include <cctype>
#include <limits>
#include <optional>

namespace edgerepl::deletes::influxql {
namespace {

// InfluxQL lets identifiers hold any Unicode letter; every non-ASCII byte is taken as part of one
// (the statement is sent on as written, so this only decides where a token ends).
bool IsIdentFirst(unsigned char c) {
  return std::isalpha(c) || c == '_' || c >= 0x80;
}
bool IsIdentChar(unsigned char c) {
  return IsIdentFirst(c) || std::isdigit(c);
}
bool IsDigit(char c) {
  return c >= '0' && c <= '9';
}

constexpr std::string_view kMicro = "\xC2\xB5";  // µ in UTF-8

// The length and nanoseconds of the duration unit at the start of `s`, if one is there.
std::optional<std::pair<size_t, int64_t>> DurationUnit(std::string_view s) {
  if (s.starts_with("ns")) return std::pair<size_t, int64_t>{2, 1};
  if (s.starts_with("ms")) return std::pair<size_t, int64_t>{2, 1'000'000};
  if (s.starts_with(kMicro)) return std::pair<size_t, int64_t>{kMicro.size(), 1'000};
  if (s.empty()) return std::nullopt;
  switch (s[0]) {
    case 'u':
      return std::pair<size_t, int64_t>{1, 1'000};
    case 's':
      return std::pair<size_t, int64_t>{1, 1'000'000'000};
    case 'm':
      return std::pair<size_t, int64_t>{1, 60'000'000'000};
    case 'h':
      return std::pair<size_t, int64_t>{1, 3'600'000'000'000};
    case 'd':
      return std::pair<size_t, int64_t>{1, 86'400'000'000'000};
    case 'w':
      return std::pair<size_t, int64_t>{1, 604'800'000'000'000};
    default:
      return std::nullopt;
  }
}

class Lexer {
 public:
  explicit Lexer(std::string_view q) : q_(q) {}

  std::vector<Token> Run() {
    std::vector<Token> out;
    while (true) {
      SkipSpaceAndComments();
      if (i_ >= q_.size()) break;
      bool regex_here = RegexAllowed(out);
      Token t = Next(regex_here);
      bool bad = t.type == TokenType::kBad;
      out.push_back(std::move(t));
      if (bad) break;
    }
    return out;
  }

 private:
  static bool RegexAllowed(const std::vector<Token>& before) {
    if (before.empty()) return false;
    const Token& p = before.back();
    if (p.type == TokenType::kComma) return true;
    if (p.type == TokenType::kOperator) return p.text == "=~" || p.text == "!~";
    return IsKeyword(p, "FROM") || IsKeyword(p, "BY");
  }

  void SkipSpaceAndComments() {
    while (i_ < q_.size()) {
      char c = q_[i_];
      if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v') {
        ++i_;
      } else if (q_.substr(i_, 2) == "--") {
        size_t nl = q_.find('\n', i_);
        i_ = nl == std::string_view::npos ? q_.size() : nl + 1;
      } else if (q_.substr(i_, 2) == "/*") {
        size_t close = q_.find("*/", i_ + 2);
        i_ = close == std::string_view::npos ? q_.size() : close + 2;
      } else {
        return;
      }
    }
  }

  Token Make(TokenType type, size_t begin, std::string text = {}) {
    Token t;
    t.type = type;
    t.text = std::move(text);
    t.begin = begin;
    t.end = i_;
    return t;
  }

  Token Bad(size_t begin, std::string why) {
    i_ = q_.size();
    return Make(TokenType::kBad, begin, std::move(why));
  }

  Token Next(bool regex_here) {
    size_t begin = i_;
    char c = q_[i_];
    if (c == '"' || c == '\'') return Quoted(begin, c);
    if (IsDigit(c)) return Number(begin);
    if (IsIdentFirst(static_cast<unsigned char>(c))) {
      while (i_ < q_.size() && IsIdentChar(static_cast<unsigned char>(q_[i_]))) ++i_;
      return Make(TokenType::kIdent, begin, std::string(q_.substr(begin, i_ - begin)));
    }
    if (c == '/' && regex_here) return Regex(begin);
    ++i_;
    switch (c) {
      case '(':
        return Make(TokenType::kLParen, begin, "(");
      case ')':
        return Make(TokenType::kRParen, begin, ")");
      case ',':
        return Make(TokenType::kComma, begin, ",");
      case '.':
        return Make(TokenType::kDot, begin, ".");
      case ';':
        return Make(TokenType::kSemicolon, begin, ";");
      case '+':
      case '-':
      case '*':
      case '/':
        return Make(TokenType::kOperator, begin, std::string(1, c));
      default:
        break;
    }
    std::string_view two = q_.substr(begin, 2);
    if (two == "=~" || two == "!~" || two == "!=" || two == "<>" || two == "<=" || two == ">=") {
      ++i_;
      return Make(TokenType::kOperator, begin, std::string(two));
    }
    if (c == '=' || c == '<' || c == '>')
      return Make(TokenType::kOperator, begin, std::string(1, c));
    return Bad(begin, "unexpected character '" + std::string(1, c) + "'");
  }

  Token Quoted(size_t begin, char quote) {
    std::string text;
    ++i_;
    while (true) {
      if (i_ >= q_.size() || q_[i_] == '\n') {
        return Bad(begin,
                   std::string("unterminated ") + (quote == '"' ? "quoted identifier" : "string"));
      }
      char c = q_[i_++];
      if (c == quote) break;
      if (c != '\\') {
        text.push_back(c);
        continue;
      }
      char e = i_ < q_.size() ? q_[i_++] : '\0';
      if (e == 'n') {
        text.push_back('\n');
      } else if (e == '\\' || e == '"' || e == '\'') {
        text.push_back(e);
      } else {
        return Bad(begin,
                   "bad escape \\" + std::string(1, e) + " (InfluxQL takes \\n \\\\ \\\" \\')");
      }
    }
    Token t = Make(quote == '"' ? TokenType::kIdent : TokenType::kString, begin, std::move(text));
    t.quoted = quote == '"';
    return t;
  }

  Token Number(size_t begin) {
    while (i_ < q_.size() && IsDigit(q_[i_])) ++i_;
    if (i_ + 1 < q_.size() && q_[i_] == '.' && IsDigit(q_[i_ + 1])) {
      ++i_;
      while (i_ < q_.size() && IsDigit(q_[i_])) ++i_;
      return Make(TokenType::kFloat, begin, std::string(q_.substr(begin, i_ - begin)));
    }
    if (!DurationUnit(q_.substr(i_))) {
      return Make(TokenType::kInteger, begin, std::string(q_.substr(begin, i_ - begin)));
    }
    // A duration literal, possibly compound ("1h30m"): digits and a unit, repeated.
    i_ = begin;
    __int128 total = 0;
    size_t seg = begin;
    while (true) {
      __int128 n = 0;
      while (i_ < q_.size() && IsDigit(q_[i_])) {
        n = n * 10 + (q_[i_++] - '0');
        if (n > std::numeric_limits<int64_t>::max()) return Bad(begin, "duration out of range");
      }
      auto unit = DurationUnit(q_.substr(i_));
      if (i_ == seg || !unit) return Bad(begin, "bad duration literal");
      i_ += unit->first;
      total += n * unit->second;
      if (total > std::numeric_limits<int64_t>::max()) return Bad(begin, "duration out of range");
      if (i_ >= q_.size() || !IsDigit(q_[i_])) break;
      seg = i_;
    }
    if (i_ < q_.size() && IsIdentChar(static_cast<unsigned char>(q_[i_]))) {
      return Bad(begin, "bad duration literal");
    }
    Token t = Make(TokenType::kDuration, begin, std::string(q_.substr(begin, i_ - begin)));
    t.ns = static_cast<int64_t>(total);
    return t;
  }

  Token Regex(size_t begin) {
    ++i_;
    while (i_ < q_.size()) {
      char c = q_[i_];
      if (c == '\\' && i_ + 1 < q_.size()) {
        i_ += 2;
        continue;
      }
      if (c == '\n') break;
      if (c == '/') {
        ++i_;
        return Make(TokenType::kRegex, begin, std::string(q_.substr(begin + 1, i_ - begin - 2)));
      }
      ++i_;
    }
    return Bad(begin, "unterminated regex");
  }

  std::string_view q_;
  size_t i_ = 0;
};

}  // namespace

std::vector<Token> Tokenize(std::string_view q) {
  return Lexer(q).Run();
}

bool IsKeyword(const Token& t, std::string_view keyword) {
  if (t.type != TokenType::kIdent || t.quoted || t.text.size() != keyword.size()) return false;
  for (size_t i = 0; i < keyword.size(); ++i) {
    if (std::toupper(static_cast<unsigned char>(t.text[i])) != keyword[i]) return false;
  }
  return true;
}

}  // namespace edgerepl::deletes::influxql
