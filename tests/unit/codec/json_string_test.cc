#include <gtest/gtest.h>

#include <cpprest/json.h>

#include <string>

#include "common/codec/json_string.h"

namespace edgerepl::codec {
namespace {

TEST(JsonStringTest, EscapesQuotesBackslashesAndControlBytes) {
  EXPECT_EQ(JsonString(""), "\"\"");
  EXPECT_EQ(JsonString("a\"b\\c\nd\re\tf\x01g\x1f"), "\"a\\\"b\\\\c\\nd\\re\\tf\\u0001g\\u001f\"");
  EXPECT_EQ(JsonString(std::string("nul\0here", 8)), "\"nul\\u0000here\"");
  // '/' and DEL need no escape, and Go-style HTML escaping is not applied.
  EXPECT_EQ(JsonString("a/b\x7f<&>"), "\"a/b\x7f<&>\"");
}

TEST(JsonStringTest, KeepsWellFormedUtf8AndReplacesTheRest) {
  EXPECT_EQ(JsonString("caf\xC3\xA9 \xF0\x9F\x98\x80"), "\"caf\xC3\xA9 \xF0\x9F\x98\x80\"");
  // A lone continuation byte, an overlong '/', a surrogate, a truncated sequence at the end:
  // each invalid byte is one U+FFFD.
  EXPECT_EQ(JsonString("a\x80z"), "\"a\xEF\xBF\xBDz\"");
  EXPECT_EQ(JsonString("\xC0\xAF"), "\"\xEF\xBF\xBD\xEF\xBF\xBD\"");
  EXPECT_EQ(JsonString("\xED\xA0\x80"), "\"\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\"");
  EXPECT_EQ(JsonString("ok\xE2\x82"), "\"ok\xEF\xBF\xBD\xEF\xBF\xBD\"");
}

TEST(JsonStringTest, AppendsToWhatIsThere) {
  std::string out = "{\"k\":";
  AppendJsonString("v", out);
  out += '}';
  EXPECT_EQ(out, "{\"k\":\"v\"}");
}

// Every byte string, however malformed, comes out as a literal a JSON parser reads back; where
// the input was valid UTF-8 it reads back exactly.
TEST(JsonStringTest, EveryOutputParsesAndValidTextRoundTrips) {
  uint64_t state = 88172645463325252ull;
  auto next = [&] {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return state;
  };
  const std::string alphabet = std::string("a\"\\\n\r\t\x01\x1f\x7f/\0", 11) +
                               "\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80\x80\xC0\xED\xA0\xFF";
  for (int round = 0; round < 2000; ++round) {
    std::string s;
    const size_t len = next() % 24;
    for (size_t i = 0; i < len; ++i) s.push_back(alphabet[next() % alphabet.size()]);
    const std::string literal = JsonString(s);
    std::error_code ec;
    web::json::value v = web::json::value::parse(literal, ec);
    ASSERT_FALSE(ec) << literal;
    ASSERT_TRUE(v.is_string());
  }
  for (const std::string s : {"plain", "caf\xC3\xA9", "tab\there", "q\"b\\", "\xF0\x9F\x98\x80"}) {
    std::error_code ec;
    EXPECT_EQ(web::json::value::parse(JsonString(s), ec).as_string(), s);
  }
}

}  // namespace
}  // namespace edgerepl::codec
