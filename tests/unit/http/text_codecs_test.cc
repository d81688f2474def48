#include <gtest/gtest.h>

#include <string>

#include "common/codec/base64.h"
#include "common/codec/percent.h"

namespace edgerepl::codec {
namespace {

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
