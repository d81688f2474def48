// DESIGN.md §4's table, row by row.
#include "agent/sender/classify.h"

#include <gtest/gtest.h>

namespace edgerepl::sender {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

const auto kNow = std::chrono::system_clock::from_time_t(1445412480);  // Wed, 21 Oct 2015 07:28:00
const milliseconds kCap = seconds(300);                                // backoff.max 30s × 10

struct Row {
  int status;
  Action action;
};

TEST(ClassifyTest, DesignTable) {
  const Row rows[] = {
      {200, Action::kSuccess},      {204, Action::kSuccess},  {400, Action::kNonRetryable},
      {422, Action::kNonRetryable}, {413, Action::kTooLarge}, {401, Action::kUnauthorized},
      {403, Action::kUnauthorized}, {404, Action::kNotFound}, {429, Action::kThrottled},
      {503, Action::kThrottled},    {500, Action::kRetry},    {502, Action::kRetry},
      {504, Action::kRetry},        {0, Action::kRetry},      {301, Action::kRetry},
      {409, Action::kRetry},
  };
  for (const Row& row : rows) {
    EXPECT_EQ(Classify(row.status, {}, kNow, kCap).action, row.action) << row.status;
  }
}

TEST(ClassifyTest, RetryAfterSecondsOn429And503) {
  auto d = Classify(429, {{"retry-after", "7"}}, kNow, kCap);
  ASSERT_TRUE(d.retry_after.has_value());
  EXPECT_EQ(*d.retry_after, seconds(7));
  d = Classify(503, {{"Retry-After", "2"}}, kNow, kCap);
  EXPECT_EQ(d.retry_after, milliseconds(2000));
}

TEST(ClassifyTest, RetryAfterIgnoredOnOtherStatuses) {
  EXPECT_FALSE(Classify(500, {{"Retry-After", "7"}}, kNow, kCap).retry_after.has_value());
}

TEST(ClassifyTest, RetryAfterHttpDate) {
  EXPECT_EQ(ParseRetryAfter("Wed, 21 Oct 2015 07:28:30 GMT", kNow, kCap), seconds(30));
  EXPECT_EQ(ParseRetryAfter("Wednesday, 21-Oct-15 07:29:00 GMT", kNow, kCap), seconds(60));
  EXPECT_EQ(ParseRetryAfter("Wed Oct 21 07:28:05 2015", kNow, kCap), seconds(5));
}

TEST(ClassifyTest, RetryAfterInThePastIsZero) {
  EXPECT_EQ(ParseRetryAfter("Wed, 21 Oct 2015 07:00:00 GMT", kNow, kCap), milliseconds(0));
}

TEST(ClassifyTest, RetryAfterCapped) {
  EXPECT_EQ(ParseRetryAfter("86400", kNow, kCap), kCap);
  EXPECT_EQ(ParseRetryAfter("99999999999999999999", kNow, kCap), kCap);
  EXPECT_EQ(ParseRetryAfter("Thu, 22 Oct 2015 07:28:00 GMT", kNow, kCap), kCap);
}

TEST(ClassifyTest, RetryAfterGarbageFallsBackToBackoff) {
  EXPECT_FALSE(ParseRetryAfter("soon", kNow, kCap).has_value());
  EXPECT_FALSE(ParseRetryAfter("", kNow, kCap).has_value());
  EXPECT_FALSE(ParseRetryAfter("-5", kNow, kCap).has_value());
  EXPECT_FALSE(Classify(429, {{"Retry-After", "later"}}, kNow, kCap).retry_after.has_value());
}

}  // namespace
}  // namespace edgerepl::sender

namespace edgerepl::sender {
namespace {

TEST(ClassifyTest, RetryDelayIsNeverShorterThanTheBackoffStep) {
  using std::chrono::milliseconds;
  EXPECT_EQ(RetryDelay(std::nullopt, milliseconds(800)), milliseconds(800));
  EXPECT_EQ(RetryDelay(milliseconds(0), milliseconds(800)), milliseconds(800));
  EXPECT_EQ(RetryDelay(milliseconds(300), milliseconds(800)), milliseconds(800));
  EXPECT_EQ(RetryDelay(milliseconds(5000), milliseconds(800)), milliseconds(5000));
}

}  // namespace
}  // namespace edgerepl::sender
