// The part of InfluxQL's lexical grammar the delete statements and the statement splitter need:
// identifiers (bare or "quoted"), 'strings', numbers, duration literals, regexes, operators and
// punctuation, with whitespace and comments (-- to the end of the line, /* ... */) skipped.
// Quoted text takes InfluxQL's escapes (\n \\ \" \'); a raw newline or another escape inside
// quotes is a bad token, as InfluxDB's scanner has it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace edgerepl::deletes::influxql {

enum class TokenType {
  kIdent,     // text unescaped; quoted says whether it was "double-quoted"
  kString,    // 'single-quoted', text unescaped
  kInteger,   // text as written
  kFloat,     // text as written
  kDuration,  // ns holds the value
  kRegex,     // /.../, text between the slashes as written
  kOperator,  // = != <> < <= > >= =~ !~ + - * /
  kLParen,
  kRParen,
  kComma,
  kDot,
  kSemicolon,
  kBad,  // text says what is wrong; the token runs to the end of the input
};

struct Token {
  TokenType type;
  std::string text;
  bool quoted = false;
  int64_t ns = 0;
  size_t begin = 0;  // byte range in the input
  size_t end = 0;
};

// Every token of `q`, in order. A regex is recognized where InfluxQL allows one (after FROM, BY,
// a ',' or =~ / !~); elsewhere '/' is the division operator. After a kBad token nothing follows.
std::vector<Token> Tokenize(std::string_view q);

// Whether a token is the bare (unquoted) keyword `keyword` (upper case), in any case.
bool IsKeyword(const Token& t, std::string_view keyword);

}  // namespace edgerepl::deletes::influxql
