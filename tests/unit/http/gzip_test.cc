#include "common/codec/gzip.h"

#include <gtest/gtest.h>
#include <zlib.h>

namespace edgerepl::codec {
namespace {

std::string Lines(int n) {
  std::string s;
  for (int i = 0; i < n; ++i) {
    s += "cpu,host=edge-" + std::to_string(i % 7) + " usage=" + std::to_string(i * 0.37) +
         ",n=" + std::to_string(i) + "i " + std::to_string(1700000000000000000LL + i) + "\n";
  }
  return s;
}

TEST(GzipTest, RoundTrip) {
  std::string in = Lines(10000);
  auto gz = GzipCompress(in);
  ASSERT_TRUE(gz.ok());
  EXPECT_LT(gz->size(), in.size() / 4);
  auto out = GzipDecompress(*gz, 1 << 30);
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(*out, in);
}

TEST(GzipTest, ZlibReadsOurOutput) {
  std::string in = Lines(100);
  std::string gz = GzipCompress(in).value();
  z_stream zs{};
  ASSERT_EQ(inflateInit2(&zs, 16 + MAX_WBITS), Z_OK);
  std::string out(in.size() + 10, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(gz.data());
  zs.avail_in = static_cast<uInt>(gz.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(inflate(&zs, Z_FINISH), Z_STREAM_END);
  out.resize(zs.total_out);
  inflateEnd(&zs);
  EXPECT_EQ(out, in);
}

TEST(GzipTest, DecompressLimitRefusesBombs) {
  std::string gz = GzipCompress(std::string(1 << 20, 'a')).value();
  EXPECT_TRUE(GzipDecompress(gz, 1000).status().IsNoSpace());
}

TEST(GzipTest, CorruptInputIsAnError) {
  EXPECT_FALSE(GzipDecompress("not gzip at all", 1000).ok());
}

TEST(GzipTest, EmptyInput) {
  std::string gz = GzipCompress("").value();
  EXPECT_EQ(GzipDecompress(gz, 10).value(), "");
}

}  // namespace
}  // namespace edgerepl::codec
