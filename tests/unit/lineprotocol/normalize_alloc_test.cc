// Normalize must not allocate per line: the allocations of one call are the same for 100 lines
// as for 20,000. Global operator new is replaced in this binary (and only here) to count them.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <new>

#include "agent/lineprotocol/normalize.h"

namespace {
std::atomic<size_t> g_allocations{0};
}  // namespace

void* operator new(size_t n) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept {
  std::free(p);
}
void operator delete(void* p, size_t) noexcept {
  std::free(p);
}

namespace edgerepl::lp {
namespace {

// Lines with everything that could tempt an allocation: unsorted tags (the duplicate check
// sorts), escapes, strings with quoted newlines, comments, no timestamps, precision scaling.
std::string Body(int lines) {
  std::string body = "# generated\n";
  for (int i = 0; i < lines; ++i) {
    body += "cpu\\ x,z=" + std::to_string(i % 7) + ",host=h" + std::to_string(i) +
            ",a\\,b=c d=1.5,e=" + std::to_string(i) + "i,s=\"x\\\"y\nz\",b=t";
    if (i % 3) body += " " + std::to_string(1'700'000'000 + i);
    body += "\n";
  }
  return body;
}

size_t AllocationsOfOneCall(const std::string& body) {
  NormalizeOptions o;
  o.precision = Precision::kSeconds;
  o.now_ns = 1'700'000'000'000'000'000;
  o.extra_tag_key = "_instance_id";
  o.extra_tag_value = "edge 1";
  std::string out;
  const size_t before = g_allocations.load();
  auto r = Normalize(body, o, &out);
  const size_t after = g_allocations.load();
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return after - before;
}

TEST(NormalizeAllocationTest, AllocationsDoNotGrowWithLines) {
  const std::string small = Body(100);
  const std::string large = Body(20'000);
  const size_t small_allocs = AllocationsOfOneCall(small);
  const size_t large_allocs = AllocationsOfOneCall(large);
  EXPECT_GT(small_allocs, 0u);  // the output's reservation: proves the counting works
  EXPECT_EQ(large_allocs, small_allocs);
  EXPECT_LE(large_allocs, 8u);  // output, extra tag, scanner tables: a handful per call
}

}  // namespace
}  // namespace edgerepl::lp
