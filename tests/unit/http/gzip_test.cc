#include "common/codec/gzip.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <thread>
#include <vector>

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
  EXPECT_FALSE(GzipDecompress("", 10).ok());
}

// `cat a.gz b.gz` is a valid gzip body (RFC 1952 §2.2) that InfluxDB inflates completely.
TEST(GzipTest, EveryMemberOfAMultiMemberBodyIsInflated) {
  std::string a = Lines(50);
  std::string b = Lines(3000);
  std::string body = GzipCompress(a).value() + GzipCompress(b).value() + GzipCompress("").value();
  EXPECT_EQ(GzipDecompress(body, 1 << 30).value(), a + b);
  // The limit bounds the sum of the members, not each one.
  EXPECT_TRUE(GzipDecompress(body, a.size() + b.size() - 1).status().IsNoSpace());
  EXPECT_EQ(GzipDecompress(body, a.size() + b.size()).value(), a + b);
}

TEST(GzipTest, GarbageAfterAMemberIsAnError) {
  std::string body = GzipCompress(Lines(10)).value() + "trailing";
  Result<std::string> out = GzipDecompress(body, 1 << 20);
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(out.status().message().find("after a complete member"), std::string::npos);
}

// The trailer's size field is only a hint: a lying one must neither break inflation nor make the
// codec allocate past the limit.
TEST(GzipTest, LyingSizeTrailerIsOnlyAHint) {
  std::string in = Lines(2000);
  std::string gz = GzipCompress(in).value();
  for (uint32_t lie : {1u, 7u, 0xffffffffu, static_cast<uint32_t>(in.size() * 3)}) {
    std::string forged = gz;
    for (int i = 0; i < 4; ++i) forged[forged.size() - 4 + i] = static_cast<char>(lie >> (8 * i));
    // libdeflate checks ISIZE, so the forged body is refused as corrupt, never over-allocated.
    Result<std::string> out = GzipDecompress(forged, in.size() * 2);
    EXPECT_FALSE(out.ok()) << lie;
    EXPECT_FALSE(out.status().IsNoSpace()) << lie;
  }
  EXPECT_EQ(GzipDecompress(gz, in.size()).value(), in);
}

TEST(GzipTest, EveryLevelRoundTripsOnOneThread) {
  std::string in = Lines(300);
  for (int level = 1; level <= 12; ++level) {
    EXPECT_EQ(GzipDecompress(GzipCompress(in, level).value(), in.size()).value(), in) << level;
  }
  EXPECT_FALSE(GzipCompress(in, 13).ok());
  EXPECT_FALSE(GzipCompress(in, -1).ok());
}

// Compressors are pooled across threads: concurrent bodies of different sizes and levels must
// each come back exactly.
TEST(GzipTest, ConcurrentCompressionsDoNotShareState) {
  std::vector<std::thread> threads;
  std::vector<int> failures(8, 0);
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([t, &failures] {
      for (int i = 0; i < 40; ++i) {
        std::string in = Lines(50 + 37 * ((t * 40 + i) % 61));
        int level = 1 + (t + i) % 3;
        Result<std::string> gz = GzipCompress(in, level);
        if (!gz.ok()) {
          ++failures[t];
          continue;
        }
        Result<std::string> back = GzipDecompress(*gz, in.size());
        if (!back.ok() || *back != in) ++failures[t];
      }
    });
  }
  for (std::thread& th : threads) th.join();
  for (int t = 0; t < 8; ++t) EXPECT_EQ(failures[t], 0) << "thread " << t;
}

}  // namespace
}  // namespace edgerepl::codec
