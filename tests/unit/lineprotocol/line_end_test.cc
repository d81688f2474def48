#include "agent/lineprotocol/line_end.h"

#include <gtest/gtest.h>

namespace edgerepl::lp {
namespace {

TEST(LineEndTest, PlainLines) {
  EXPECT_EQ(FindLineEnd("a b=1\nc d=2", 0), 5u);
  EXPECT_EQ(FindLineEnd("a b=1\nc d=2", 6), 11u);
  EXPECT_EQ(FindLineEnd("a b=1", 0), 5u);
  EXPECT_EQ(FindLineEnd("", 0), 0u);
  EXPECT_EQ(FindLineEnd("\n\n", 1), 1u);
}

TEST(LineEndTest, QuotedNewlineBelongsToTheLine) {
  const std::string body = "m s=\"a\nb\" 1\nn f=1\n";
  EXPECT_EQ(FindLineEnd(body, 0), body.find("\nn"));
  // A quote in a tag value or field key does not open a string.
  EXPECT_EQ(FindLineEnd("m,t=\"x f=1\ny", 0), 10u);
  EXPECT_EQ(FindLineEnd("m \"k=1\ny", 0), 6u);
  // Quote after a comma-separated key in value position.
  const std::string two = "m a=1,s=\"x\ny\",b=2\nz";
  EXPECT_EQ(FindLineEnd(two, 0), two.find("\nz"));
  // Unbalanced quote: the rest of the body is one line.
  EXPECT_EQ(FindLineEnd("m s=\"x\nn f=1\n", 0), 13u);
}

TEST(LineEndTest, EscapedNewlineBelongsToTheLine) {
  EXPECT_EQ(FindLineEnd("m,t=a\\\nb f=1\nz", 0), 12u);
  // An escaped backslash does not escape the newline after it.
  EXPECT_EQ(FindLineEnd("m,t=a\\\\\nz", 0), 7u);
  // InfluxDB only skips a backslash pair while two more bytes follow.
  EXPECT_EQ(FindLineEnd("m f=1\\\n", 0), 6u);
  EXPECT_EQ(FindLineEnd("m f=1\\\nx", 0), 8u);
}

TEST(LineEndTest, EscapedQuoteDoesNotOpenString) {
  const std::string body = "m s=\"a\\\"\nb\" 1\nz";
  EXPECT_EQ(FindLineEnd(body, 0), body.find("\nz"));
}

}  // namespace
}  // namespace edgerepl::lp
