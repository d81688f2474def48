#include <gtest/gtest.h>

#include "common/httpserver/server.h"

namespace edgerepl::httpserver {
namespace {

TEST(ParseListenAddress, Forms) {
  auto any = ParseListenAddress(":9186");
  ASSERT_TRUE(any.ok());
  EXPECT_EQ(any->host, "");
  EXPECT_EQ(any->port, 9186);
  auto loop = ParseListenAddress("127.0.0.1:0");
  ASSERT_TRUE(loop.ok());
  EXPECT_EQ(loop->host, "127.0.0.1");
  EXPECT_EQ(loop->port, 0);
  auto v6 = ParseListenAddress("[::1]:80");
  ASSERT_TRUE(v6.ok());
  EXPECT_EQ(v6->host, "::1");
}

TEST(ParseListenAddress, RejectsMalformed) {
  EXPECT_FALSE(ParseListenAddress("9186").ok());
  EXPECT_FALSE(ParseListenAddress("host:").ok());
  EXPECT_FALSE(ParseListenAddress("host:70000").ok());
  EXPECT_FALSE(ParseListenAddress("host:12ab").ok());
}

TEST(OriginFormTarget, AbsoluteFormKeepsPathAndQuery) {
  EXPECT_EQ(OriginFormTarget("/write?db=x"), "/write?db=x");
  EXPECT_EQ(OriginFormTarget("http://h:8086/write?db=x"), "/write?db=x");
  EXPECT_EQ(OriginFormTarget("HTTPS://h/api/v2/write"), "/api/v2/write");
  EXPECT_EQ(OriginFormTarget("http://h"), "/");
  EXPECT_EQ(OriginFormTarget("http://h?db=x"), "?db=x");
  EXPECT_EQ(OriginFormTarget("*"), "*");
}

TEST(OtherTransferCoding, OnlyChunkedIsKnown) {
  EXPECT_EQ(OtherTransferCoding("chunked"), "");
  EXPECT_EQ(OtherTransferCoding(" Chunked "), "");
  EXPECT_EQ(OtherTransferCoding("gzip, chunked"), "gzip");
  EXPECT_EQ(OtherTransferCoding("chunked, x-custom"), "x-custom");
}

}  // namespace
}  // namespace edgerepl::httpserver
