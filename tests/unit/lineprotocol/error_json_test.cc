#include "agent/lineprotocol/error_json.h"

#include <gtest/gtest.h>

namespace edgerepl::lp {
namespace {

TEST(ErrorJsonTest, Escapes) {
  EXPECT_EQ(
      ErrorJson("invalid", "unable to parse 'm f=': line 1: missing field value"),
      R"({"code":"invalid","message":"unable to parse 'm f=': line 1: missing field value"})");
  EXPECT_EQ(ErrorJson("invalid", "a\"b\\c\nd\re\tf"),
            R"({"code":"invalid","message":"a\"b\\c\nd\re\tf"})");
  EXPECT_EQ(ErrorJson("invalid", std::string_view("\x01\x1f\0", 3)),
            R"({"code":"invalid","message":"\u0001\u001f\u0000"})");
  EXPECT_EQ(ErrorJson("", ""), R"({"code":"","message":""})");
}

TEST(ErrorJsonTest, KeepsValidUtf8AndReplacesInvalidBytes) {
  EXPECT_EQ(ErrorJson("invalid", "ü€😀"), "{\"code\":\"invalid\",\"message\":\"ü€😀\"}");
  const std::string bad =
      "a\xff"
      "b\xc3"
      "c\xed\xa0\x80"
      "d\xc0\xaf"
      "e\xf4\x90\x80\x80";
  EXPECT_EQ(ErrorJson("invalid", bad),
            "{\"code\":\"invalid\",\"message\":\"a\xEF\xBF\xBD"
            "b\xEF\xBF\xBD"
            "c\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD"
            "d\xEF\xBF\xBD\xEF\xBF\xBD"
            "e\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\"}");
  // A truncated sequence at the very end.
  EXPECT_EQ(ErrorJson("c", "x\xe2\x82"),
            "{\"code\":\"c\",\"message\":\"x\xEF\xBF\xBD\xEF\xBF\xBD\"}");
}

}  // namespace
}  // namespace edgerepl::lp
