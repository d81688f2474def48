#include <gtest/gtest.h>

#include <string>

#include "common/codec/base64.h"
#include "common/codec/percent.h"
#include "common/codec/utf8.h"

namespace edgerepl::codec {
namespace {

TEST(Utf8Test, AcceptsWellFormedTextOfEveryLength) {
  EXPECT_TRUE(IsValidUtf8(""));
  EXPECT_TRUE(IsValidUtf8("plain ascii"));
  EXPECT_TRUE(IsValidUtf8("\xC2\x80"));                  // U+0080, the first 2-byte form
  EXPECT_TRUE(IsValidUtf8("\xE0\xA0\x80"));              // U+0800
  EXPECT_TRUE(IsValidUtf8("\xED\x9F\xBF"));              // U+D7FF, just below the surrogates
  EXPECT_TRUE(IsValidUtf8("\xEE\x80\x80"));              // U+E000, just above them
  EXPECT_TRUE(IsValidUtf8("\xF0\x90\x80\x80"));          // U+10000
  EXPECT_TRUE(IsValidUtf8("\xF4\x8F\xBF\xBF"));          // U+10FFFF, the last code point
  EXPECT_TRUE(IsValidUtf8("caf\xC3\xA9 \xE2\x82\xAC"));  // "café €"
  EXPECT_EQ(Utf8SequenceLength("a\xE2\x82\xAC", 1), 3u);
}

TEST(Utf8Test, RefusesWhatRfc3629Forbids) {
  EXPECT_FALSE(IsValidUtf8("\x80"));                  // a lone continuation byte
  EXPECT_FALSE(IsValidUtf8("\xC0\xAF"));              // overlong '/'
  EXPECT_FALSE(IsValidUtf8("\xE0\x80\xAF"));          // overlong, 3 bytes
  EXPECT_FALSE(IsValidUtf8("\xF0\x80\x80\xAF"));      // overlong, 4 bytes
  EXPECT_FALSE(IsValidUtf8("\xED\xA0\x80"));          // U+D800, a surrogate
  EXPECT_FALSE(IsValidUtf8("\xF4\x90\x80\x80"));      // past U+10FFFF
  EXPECT_FALSE(IsValidUtf8("\xF8\x88\x80\x80\x80"));  // a 5-byte form
  EXPECT_FALSE(IsValidUtf8("\xFF"));
  EXPECT_FALSE(IsValidUtf8("ab\xE2\x82"));  // truncated at the end
  EXPECT_FALSE(IsValidUtf8("\xE2\x82x"));   // a non-continuation inside
  EXPECT_EQ(Utf8SequenceLength("\xC3", 0), 0u);
}

TEST(PercentEncodeTest, KeepsOnlyUnreservedCharacters) {
  EXPECT_EQ(PercentEncode("AZaz09-._~"), "AZaz09-._~");
  EXPECT_EQ(PercentEncode("my db/rp"), "my%20db%2Frp");
  EXPECT_EQ(PercentEncode("a&b=c?d#e+f%"), "a%26b%3Dc%3Fd%23e%2Bf%25");
  EXPECT_EQ(PercentEncode(std::string("\x00\xff\x80", 3)), "%00%FF%80");
  EXPECT_EQ(PercentEncode("é"), "%C3%A9");  // UTF-8 bytes, each encoded
  EXPECT_EQ(PercentEncode(""), "");
}

TEST(Base64Test, EncodesEveryPaddingLength) {
  EXPECT_EQ(Base64Encode(""), "");
  EXPECT_EQ(Base64Encode("f"), "Zg==");
  EXPECT_EQ(Base64Encode("fo"), "Zm8=");
  EXPECT_EQ(Base64Encode("foo"), "Zm9v");
  EXPECT_EQ(Base64Encode(std::string("\xff\xfe\x00", 3)), "//4A");
  EXPECT_EQ(Base64Decode("//4A"), std::string("\xff\xfe\x00", 3));
}

}  // namespace
}  // namespace edgerepl::codec
