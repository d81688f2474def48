#include <gtest/gtest.h>

#include <climits>
#include <span>
#include <string>
#include <vector>

#include "agent/queue/fs.h"
#include "tests/support/temp_dir.h"

namespace edgerepl::queue {
namespace {

// Part i holds i % 7 bytes, so some parts are empty and more parts than IOV_MAX are needed.
std::vector<std::string> Parts(size_t n) {
  std::vector<std::string> parts;
  for (size_t i = 0; i < n; ++i) parts.emplace_back(i % 7, static_cast<char>('a' + i % 26));
  return parts;
}

TEST(PosixFileTest, ScatterReadFillsEveryPartInOrder) {
  edgerepl::testing::TempDir dir;
  std::vector<std::string> parts = Parts(3 * IOV_MAX + 5);
  std::vector<std::string_view> views(parts.begin(), parts.end());
  std::string all;
  for (const std::string& p : parts) all += p;
  auto f = PosixFileSystem().Open(dir.path() + "/f", true);
  ASSERT_TRUE(f.ok());
  ASSERT_TRUE((*f)->Write(0, "header").ok());
  ASSERT_TRUE((*f)->WriteV(6, views).ok());

  std::vector<std::string> back;
  for (const std::string& p : parts) back.emplace_back(p.size(), '\0');
  std::vector<std::span<char>> spans(back.begin(), back.end());
  Result<size_t> got = (*f)->ReadV(6, spans);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(*got, all.size());
  EXPECT_EQ(back, parts);
}

TEST(PosixFileTest, ScatterReadStopsShortAtEndOfFile) {
  edgerepl::testing::TempDir dir;
  auto f = PosixFileSystem().Open(dir.path() + "/f", true);
  ASSERT_TRUE(f.ok());
  ASSERT_TRUE((*f)->Write(0, "0123456789").ok());
  std::string a(4, '\0'), b(4, '\0'), c(4, '\0');
  Result<size_t> got = (*f)->ReadV(1, {std::span<char>(a), std::span<char>(b), std::span<char>(c)});
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(*got, 9u);
  EXPECT_EQ(a, "1234");
  EXPECT_EQ(b, "5678");
  EXPECT_EQ(c.substr(0, 1), "9");
  got = (*f)->ReadV(20, {std::span<char>(a)});
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(*got, 0u);
}

}  // namespace
}  // namespace edgerepl::queue
