#include <gtest/gtest.h>

#include <string>

#include "common/codec/hex.h"

namespace edgerepl::codec {
namespace {

TEST(HexTest, DigitValuesOfBothCases) {
  EXPECT_EQ(HexDigitValue('0'), 0);
  EXPECT_EQ(HexDigitValue('9'), 9);
  EXPECT_EQ(HexDigitValue('a'), 10);
  EXPECT_EQ(HexDigitValue('F'), 15);
  for (char c : std::string("gG/:@`\x00 \xff", 9)) EXPECT_EQ(HexDigitValue(c), -1) << int(c);
}

TEST(HexTest, EncodesEveryByteAsTwoLowercaseDigits) {
  EXPECT_EQ(HexEncode(""), "");
  EXPECT_EQ(HexEncode(std::string("\x00\x0f\xa5\xff", 4)), "000fa5ff");
  std::string all;
  for (int b = 0; b < 256; ++b) all.push_back(static_cast<char>(b));
  const std::string hex = HexEncode(all);
  ASSERT_EQ(hex.size(), 512u);
  for (size_t i = 0; i < all.size(); ++i) {
    EXPECT_EQ(HexDigitValue(hex[2 * i]) * 16 + HexDigitValue(hex[2 * i + 1]), int(i));
  }
}

}  // namespace
}  // namespace edgerepl::codec
