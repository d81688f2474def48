#include "agent/lineprotocol/split.h"

#include <gtest/gtest.h>

namespace edgerepl::lp {
namespace {

std::string Join(const std::vector<std::string_view>& chunks) {
  std::string s;
  for (auto c : chunks) s.append(c);
  return s;
}

using Chunks = std::vector<std::string_view>;

TEST(SplitTest, ByPoints) {
  const std::string body = "a f=1 1\nb f=1 1\nc f=1 1\n";
  EXPECT_EQ(SplitLines(body, 0, 2), (Chunks{"a f=1 1\nb f=1 1\n", "c f=1 1\n"}));
  EXPECT_EQ(SplitLines(body, 0, 1), (Chunks{"a f=1 1\n", "b f=1 1\n", "c f=1 1\n"}));
  EXPECT_EQ(SplitLines(body, 0, 3), (Chunks{body}));
  EXPECT_EQ(SplitLines(body, 0, 0), (Chunks{body}));
}

TEST(SplitTest, ByBytesAtExactBounds) {
  const std::string body = "a f=1 1\nb f=1 1\nc f=1 1\n";  // 8 bytes a line
  EXPECT_EQ(SplitLines(body, 16, 0), (Chunks{"a f=1 1\nb f=1 1\n", "c f=1 1\n"}));
  EXPECT_EQ(SplitLines(body, 15, 0), (Chunks{"a f=1 1\n", "b f=1 1\n", "c f=1 1\n"}));
  EXPECT_EQ(SplitLines(body, 24, 0), (Chunks{body}));
  EXPECT_EQ(SplitLines(body, 23, 0), (Chunks{"a f=1 1\nb f=1 1\n", "c f=1 1\n"}));
}

TEST(SplitTest, LongLineIsItsOwnChunk) {
  const std::string big = "big f=\"" + std::string(100, 'x') + "\" 1\n";
  const std::string body = "a f=1 1\n" + big + "b f=1 1\n";
  auto chunks = SplitLines(body, 20, 100);
  ASSERT_EQ(chunks.size(), 3u);
  EXPECT_EQ(chunks[0], "a f=1 1\n");
  EXPECT_EQ(chunks[1], big);
  EXPECT_EQ(chunks[2], "b f=1 1\n");
}

TEST(SplitTest, QuotedNewlineNeverSplitsAPoint) {
  const std::string body = "m s=\"x\ny\" 1\nn f=1 1\n";
  EXPECT_EQ(SplitLines(body, 0, 1), (Chunks{"m s=\"x\ny\" 1\n", "n f=1 1\n"}));
}

TEST(SplitTest, EdgeCases) {
  EXPECT_TRUE(SplitLines("", 10, 10).empty());
  EXPECT_EQ(SplitLines("a f=1", 1, 1), (Chunks{"a f=1"}));  // no final newline
  EXPECT_EQ(SplitLines("a f=1\nb f=2", 6, 0), (Chunks{"a f=1\n", "b f=2"}));
}

TEST(SplitTest, ChunksConcatenateBackAndRespectBounds) {
  std::string body;
  for (int i = 0; i < 500; ++i) {
    body += "m" + std::to_string(i) + std::string(i % 37, 'x') + " f=" + std::to_string(i) + "\n";
  }
  for (size_t max_bytes : {0, 1, 50, 64, 333, 4096}) {
    for (size_t max_points : {0, 1, 3, 7, 100}) {
      auto chunks = SplitLines(body, max_bytes, max_points);
      EXPECT_EQ(Join(chunks), body);
      for (auto c : chunks) {
        const size_t lines = static_cast<size_t>(std::count(c.begin(), c.end(), '\n'));
        if (max_points) {
          EXPECT_LE(lines, max_points);
        }
        if (max_bytes && lines > 1) {
          EXPECT_LE(c.size(), max_bytes);
        }
        EXPECT_FALSE(c.empty());
      }
    }
  }
}

}  // namespace
}  // namespace edgerepl::lp
