#include <gtest/gtest.h>

#include "common/codec/query.h"

namespace edgerepl::codec {
namespace {

TEST(QueryParamTest, DecodesTheFirstOccurrence) {
  std::string_view q = "org=my%20org&bucket=b%2Frp&bucket=second&flag&precision=s&x=a+b";
  EXPECT_EQ(QueryParam(q, "org"), "my org");
  EXPECT_EQ(QueryParam(q, "bucket"), "b/rp");
  EXPECT_EQ(QueryParam(q, "flag"), "");
  EXPECT_EQ(QueryParam(q, "x"), "a b");
  EXPECT_EQ(QueryParam(q, "missing"), std::nullopt);
  EXPECT_EQ(QueryParam("", "org"), std::nullopt);
}

TEST(QueryParamTest, NamesAreDecodedBeforeTheyAreCompared) {
  EXPECT_EQ(QueryParam("%62ucket=x", "bucket"), "x");
  EXPECT_EQ(QueryParam("a=1&&b=2", "b"), "2");
  EXPECT_EQ(QueryParam("=orphan&k=v", ""), "orphan");
}

TEST(QueryUnescapeTest, KeepsMalformedEscapes) {
  EXPECT_EQ(QueryUnescape("%41%zz%4"), "A%zz%4");
  EXPECT_EQ(QueryUnescape("%"), "%");
  EXPECT_EQ(QueryUnescape("50%25"), "50%");
  EXPECT_EQ(QueryUnescape("%e2%82%AC+x"), "\xE2\x82\xAC x");
}

}  // namespace
}  // namespace edgerepl::codec
