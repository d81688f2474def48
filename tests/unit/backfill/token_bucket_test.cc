// The backfill's rate limit on a fake clock: it starts full, allows debt and answers exactly how
// long the debt takes to pay back.
#include "agent/backfill/token_bucket.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <limits>

#include "tests/unit/queue/fault_fs.h"

namespace edgerepl::backfill {
namespace {

using std::chrono::milliseconds;
using std::chrono::nanoseconds;
using std::chrono::seconds;

class BackfillTokenBucketTest : public ::testing::Test {
 protected:
  queue::testing::FakeClock clock_;
};

TEST_F(BackfillTokenBucketTest, AFullBucketLetsTheBurstThroughAtOnce) {
  TokenBucket b(clock_, 1000, 1000);
  EXPECT_EQ(b.Wait(), nanoseconds(0));
  b.Take(1000);
  EXPECT_EQ(b.Wait(), nanoseconds(0));
  b.Take(1);
  EXPECT_EQ(b.Wait(), milliseconds(1));
}

TEST_F(BackfillTokenBucketTest, DebtIsPaidBackAtTheRate) {
  TokenBucket b(clock_, 1000, 1000);
  b.Take(3000);  // a window bigger than the burst is not refused
  EXPECT_EQ(b.Wait(), seconds(2));
  clock_.Advance(milliseconds(500));
  EXPECT_EQ(b.Wait(), milliseconds(1500));
  clock_.Advance(milliseconds(1500));
  EXPECT_EQ(b.Wait(), nanoseconds(0));
}

TEST_F(BackfillTokenBucketTest, OverTimeThePointsTakenFollowTheRate) {
  // Take a window whenever the bucket allows: after the first burst, 10 s at 5000/s admit 50000.
  TokenBucket b(clock_, 5000, 2000);
  uint64_t taken = 0;
  const auto start = clock_.Now();
  while (clock_.Now() - start < seconds(10)) {
    if (nanoseconds w = b.Wait(); w > nanoseconds(0)) {
      clock_.Advance(w);
      continue;
    }
    b.Take(700);
    taken += 700;
  }
  // Off by at most the last window and the time its wait ran past the 10 s.
  EXPECT_GE(taken, 2000u + 50000u - 700u);
  EXPECT_LE(taken, 2000u + 50000u + 2 * 700u);
}

TEST_F(BackfillTokenBucketTest, IdleTimeFillsTheBucketOnlyUpToTheBurst) {
  TokenBucket b(clock_, 100, 1000);
  b.Take(1000);
  clock_.Advance(std::chrono::hours(1));
  b.Take(1500);  // 1000 saved up, 500 in debt
  EXPECT_EQ(b.Wait(), seconds(5));
}

TEST_F(BackfillTokenBucketTest, TheWaitRoundsUpToTheNextNanosecond) {
  TokenBucket b(clock_, 3, 0);
  b.Take(1);
  EXPECT_EQ(b.Wait(), nanoseconds(333333334));
  clock_.Advance(nanoseconds(333333333));
  EXPECT_EQ(b.Wait(), nanoseconds(1));  // never zero while still in debt
}

TEST_F(BackfillTokenBucketTest, AZeroRateIsOnePointASecond) {
  TokenBucket b(clock_, 0, 0);
  b.Take(3);
  EXPECT_EQ(b.Wait(), seconds(3));
}

TEST_F(BackfillTokenBucketTest, AHugeRateBarelyWaits) {
  TokenBucket b(clock_, std::numeric_limits<uint64_t>::max(), 0);
  b.Take(1'000'000'000'000);
  EXPECT_EQ(b.Wait(), nanoseconds(55));               // 1e12 / 2^64 s, rounded up
  TokenBucket config_max(clock_, 10'000'000, 20000);  // the config's upper bound
  config_max.Take(20000 + 10'000'000);
  EXPECT_EQ(config_max.Wait(), seconds(1));
}

TEST_F(BackfillTokenBucketTest, ANewRateAppliesToTheDebtAndANewBurstCapsTheSavings) {
  TokenBucket b(clock_, 1000, 1000);
  b.Take(3000);
  b.SetRate(4000, 1000);
  EXPECT_EQ(b.Wait(), milliseconds(500));
  clock_.Advance(seconds(10));
  b.SetRate(4000, 100);  // 1000 saved, cut to the new burst
  b.Take(500);
  EXPECT_EQ(b.Wait(), milliseconds(100));
}

}  // namespace
}  // namespace edgerepl::backfill
