// The small JSON reader: numbers keep their text, strings are unescaped (surrogate pairs
// included), and anything that is not one JSON value is refused naming the byte where it fails.
#include "agent/backfill/json.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace edgerepl::backfill {
namespace {

JsonValue ParseOk(std::string_view text) {
  Result<JsonValue> v = ParseJson(text);
  EXPECT_TRUE(v.ok()) << text << ": " << v.status().ToString();
  return v.ok() ? *v : JsonValue{};
}

TEST(BackfillJsonTest, NumbersKeepTheirTextExactly) {
  for (const char* n :
       {"0", "-0", "1", "1.0", "1.50", "-12.5e+3", "1E-7", "5e-324", "0.30000000000000004",
        "-9223372036854775808", "18446744073709551615", "123456789012345678901234567890"}) {
    JsonValue v = ParseOk(n);
    EXPECT_EQ(v.kind, JsonValue::Kind::kNumber) << n;
    EXPECT_EQ(v.text, n);
  }
}

TEST(BackfillJsonTest, LiteralsAndContainers) {
  JsonValue v = ParseOk(" {\"a\": [true, false, null, \"s\", 1], \"b\": {}, \"c\": []} ");
  ASSERT_EQ(v.kind, JsonValue::Kind::kObject);
  const JsonValue* a = v.Find("a");
  ASSERT_NE(a, nullptr);
  ASSERT_EQ(a->items.size(), 5u);
  EXPECT_EQ(a->items[0].kind, JsonValue::Kind::kBool);
  EXPECT_TRUE(a->items[0].boolean);
  EXPECT_EQ(a->items[1].kind, JsonValue::Kind::kBool);
  EXPECT_FALSE(a->items[1].boolean);
  EXPECT_TRUE(a->items[2].IsNull());
  EXPECT_EQ(a->items[3].text, "s");
  EXPECT_EQ(a->items[4].text, "1");
  EXPECT_EQ(v.Find("b")->kind, JsonValue::Kind::kObject);
  EXPECT_TRUE(v.Find("b")->members.empty());
  EXPECT_EQ(v.Find("c")->kind, JsonValue::Kind::kArray);
  EXPECT_EQ(v.Find("missing"), nullptr);
  EXPECT_EQ(a->Find("a"), nullptr);  // not an object
}

TEST(BackfillJsonTest, MembersStayInDocumentOrderAndFindGivesTheFirst) {
  // influxd's series tags come sorted; the order read is the order written back.
  JsonValue v = ParseOk("{\"z\":1,\"a\":2,\"z\":3}");
  ASSERT_EQ(v.members.size(), 3u);
  EXPECT_EQ(v.members[0].first, "z");
  EXPECT_EQ(v.members[1].first, "a");
  EXPECT_EQ(v.Find("z")->text, "1");
}

TEST(BackfillJsonTest, StringEscapesAreUnescaped) {
  struct Case {
    const char* json;
    std::string text;
  };
  const std::vector<Case> cases = {
      {R"("")", ""},
      {R"("plain")", "plain"},
      {R"("\" \\ \/ \b \f \n \r \t")", "\" \\ / \b \f \n \r \t"},
      {R"("\u0041\u00e9\u20AC")", "A\xc3\xa9\xe2\x82\xac"},
      {R"("\u0000")", std::string(1, '\0')},
      {R"("\ud83d\ude00")", "\xf0\x9f\x98\x80"},  // U+1F600 from its surrogate pair
      {R"("\uDBFF\uDFFF")", "\xf4\x8f\xbf\xbf"},  // U+10FFFF, the last code point
      {"\"\xe2\x82\xac raw\"", "\xe2\x82\xac raw"},
  };
  for (const Case& c : cases) {
    JsonValue v = ParseOk(c.json);
    EXPECT_EQ(v.kind, JsonValue::Kind::kString) << c.json;
    EXPECT_EQ(v.text, c.text) << c.json;
  }
  EXPECT_EQ(ParseOk(R"({"k\"ey": 1})").members[0].first, "k\"ey");
}

TEST(BackfillJsonTest, MalformedInputIsRefusedNamingTheOffset) {
  struct Case {
    std::string json;
    const char* message;
  };
  const std::vector<Case> cases = {
      {"", "invalid JSON at byte 0: unexpected end"},
      {"   ", "invalid JSON at byte 3: unexpected end"},
      {"tru", "invalid JSON at byte 0: unknown literal"},
      {"nul", "invalid JSON at byte 0: unknown literal"},
      {"-", "invalid JSON at byte 1: expected a value"},
      {"+1", "invalid JSON at byte 0: expected a value"},
      {".5", "invalid JSON at byte 0: expected a value"},
      {"1.", "invalid JSON at byte 2: digits expected after '.'"},
      {"1e", "invalid JSON at byte 2: digits expected in exponent"},
      {"1e+", "invalid JSON at byte 3: digits expected in exponent"},
      {"1 2", "invalid JSON at byte 2: trailing data"},
      {"{} x", "invalid JSON at byte 3: trailing data"},
      {"\"abc", "invalid JSON at byte 4: unterminated string"},
      {"\"abc\\", "invalid JSON at byte 5: unterminated string"},
      {R"("\x")", "invalid JSON at byte 3: unknown escape"},
      {R"("\u12")", "invalid JSON at byte 3: short \\u escape"},
      {R"("\u12G4")", "invalid JSON at byte 6: bad \\u escape"},
      {R"("\ud83d\u0041")", "invalid JSON at byte 13: unpaired surrogate"},
      {R"("\ud83d")", "invalid JSON at byte 7: unpaired surrogate"},
      {R"("\ud83dx")", "invalid JSON at byte 7: unpaired surrogate"},
      {R"("\ude00")", "invalid JSON at byte 7: unpaired surrogate"},
      {"[1,2", "invalid JSON at byte 4: expected ',' or ']'"},
      {"[1 2]", "invalid JSON at byte 3: expected ',' or ']'"},
      {"[1,]", "invalid JSON at byte 3: expected a value"},
      {"{\"a\":}", "invalid JSON at byte 5: expected a value"},
      {"{\"a\" 1}", "invalid JSON at byte 5: expected ':'"},
      {"{a:1}", "invalid JSON at byte 1: expected a member name"},
      {"{\"a\":1,}", "invalid JSON at byte 7: expected a member name"},
      {"{\"a\":1", "invalid JSON at byte 6: expected ',' or '}'"},
  };
  for (const Case& c : cases) {
    Result<JsonValue> v = ParseJson(c.json);
    ASSERT_FALSE(v.ok()) << c.json;
    EXPECT_EQ(v.status().code(), StatusCode::kInvalidArgument) << c.json;
    EXPECT_EQ(v.status().message(), c.message) << c.json;
  }
}

TEST(BackfillJsonTest, NestingIsBoundedSoDeepInputCannotExhaustTheStack) {
  // influxd's answers are four levels deep; 65 levels still parse, deeper is refused.
  EXPECT_TRUE(ParseJson(std::string(65, '[') + std::string(65, ']')).ok());
  Result<JsonValue> deep = ParseJson(std::string(66, '[') + std::string(66, ']'));
  ASSERT_FALSE(deep.ok());
  EXPECT_EQ(deep.status().message(), "invalid JSON at byte 65: nested too deeply");
  EXPECT_FALSE(ParseJson(std::string(1 << 20, '[')).ok());
}

}  // namespace
}  // namespace edgerepl::backfill
