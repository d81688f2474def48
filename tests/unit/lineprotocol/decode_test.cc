#include "agent/lineprotocol/decode.h"

#include <gtest/gtest.h>

namespace edgerepl::lp {
namespace {

TEST(DecodeTest, UnescapesEverything) {
  auto p = DecodeLine(
      "c\\ p\\,u,t\\ k=v\\,1\\=2,b=x\\\\y s=\"a\\\"b\\\\c\\d\",f\\=k=1.5,i=-3i,u=4u,t=T 99");
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(p->measurement, "c p,u");
  ASSERT_EQ(p->tags.size(), 2u);
  EXPECT_EQ(p->tags[0], (std::pair<std::string, std::string>{"t k", "v,1=2"}));
  EXPECT_EQ(p->tags[1], (std::pair<std::string, std::string>{"b", "x\\\\y"}));
  ASSERT_EQ(p->fields.size(), 5u);
  EXPECT_EQ(p->fields[0].key, "s");
  EXPECT_EQ(p->fields[0].type, FieldType::kString);
  EXPECT_EQ(p->fields[0].value, "a\"b\\c\\d");
  EXPECT_EQ(p->fields[1].key, "f=k");
  EXPECT_EQ(p->fields[1].type, FieldType::kFloat);
  EXPECT_EQ(p->fields[1].value, "1.5");
  EXPECT_EQ(p->fields[2].type, FieldType::kInteger);
  EXPECT_EQ(p->fields[2].value, "-3");
  EXPECT_EQ(p->fields[3].type, FieldType::kUnsigned);
  EXPECT_EQ(p->fields[3].value, "4");
  EXPECT_EQ(p->fields[4].type, FieldType::kBoolean);
  EXPECT_EQ(p->fields[4].value, "true");
  EXPECT_TRUE(p->has_timestamp);
  EXPECT_EQ(p->timestamp_ns, 99);
}

TEST(DecodeTest, PrecisionAndMissingTimestamp) {
  auto p = DecodeLine("  m f=F 3", Precision::kMilliseconds);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->timestamp_ns, 3'000'000);
  EXPECT_EQ(p->fields[0].value, "false");
  auto q = DecodeLine("m f=1");
  ASSERT_TRUE(q.ok());
  EXPECT_FALSE(q->has_timestamp);
}

TEST(DecodeTest, InvalidLine) {
  auto p = DecodeLine("m f=");
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.status().message(), "missing field value");
}

}  // namespace
}  // namespace edgerepl::lp
