#include "common/backoff/backoff.h"

#include <gtest/gtest.h>

namespace edgerepl {
namespace {

using std::chrono::milliseconds;

class PinnedRandom final : public Random {
 public:
  uint64_t Uniform(uint64_t bound) override {
    last_bound = bound;
    return bound == 0 ? 0 : std::min(value, bound - 1);
  }
  uint64_t value = 0;
  uint64_t last_bound = 0;
};

TEST(BackoffTest, CeilingDoublesFromMinToMax) {
  PinnedRandom random;
  random.value = UINT64_MAX;  // always the ceiling
  Backoff b(milliseconds(250), milliseconds(30000), random);
  std::vector<int64_t> got;
  for (int i = 0; i < 10; ++i) got.push_back(b.NextBackOff().count());
  EXPECT_EQ(got,
            (std::vector<int64_t>{250, 500, 1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000}));
}

TEST(BackoffTest, FullJitterCanBeZero) {
  PinnedRandom random;
  random.value = 0;
  Backoff b(milliseconds(250), milliseconds(30000), random);
  EXPECT_EQ(b.NextBackOff(), milliseconds(0));
  EXPECT_EQ(random.last_bound, 251u);  // uniform over [0, 250]
  random.value = 123;
  EXPECT_EQ(b.NextBackOff(), milliseconds(123));
  EXPECT_EQ(random.last_bound, 501u);
}

TEST(BackoffTest, ResetStartsOver) {
  PinnedRandom random;
  random.value = UINT64_MAX;
  Backoff b(milliseconds(100), milliseconds(1000), random);
  (void)b.NextBackOff();
  (void)b.NextBackOff();
  b.Reset();
  EXPECT_EQ(b.NextBackOff(), milliseconds(100));
}

}  // namespace
}  // namespace edgerepl
