// Which job a replication runs from its stored progress and its config's range: a config range
// runs once, removing it cancels the job it started, and an admin job stands until a new config
// range (docs/backfill.md "How to ask for one").
#include "agent/backfill/plan.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>

namespace edgerepl::backfill {
namespace {

config::BackfillConfig Range(int64_t from, int64_t to, uint64_t rate = 50000) {
  config::BackfillConfig b;
  b.from_ns = from;
  b.to_ns = to;
  b.max_points_per_second = rate;
  return b;
}

// A config job over [from, to) that has read up to `done`.
Progress ConfigJob(int64_t from, int64_t to, int64_t done, uint64_t points = 0) {
  Progress p;
  p.from_ns = from;
  p.to_ns = to;
  p.max_points_per_second = 50000;
  p.origin = Origin::kConfig;
  p.done_until_ns = done;
  p.points = points;
  p.config_range = std::pair<int64_t, int64_t>{from, to};
  return p;
}

TEST(BackfillPlanFromConfigTest, NoConfigAndNothingStoredIsNoJob) {
  EXPECT_FALSE(PlanFromConfig(std::nullopt, std::nullopt).has_value());
}

TEST(BackfillPlanFromConfigTest, ANewRangeStartsAtItsFirstNanosecond) {
  std::optional<Progress> p = PlanFromConfig(std::nullopt, Range(1000, 5000, 1234));
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->from_ns, 1000);
  EXPECT_EQ(p->to_ns, 5000);
  EXPECT_EQ(p->done_until_ns, 1000);
  EXPECT_EQ(p->points, 0u);
  EXPECT_EQ(p->max_points_per_second, 1234u);
  EXPECT_EQ(p->origin, Origin::kConfig);
  EXPECT_FALSE(p->cancelled);
  EXPECT_EQ(p->config_range, (std::pair<int64_t, int64_t>{1000, 5000}));
}

TEST(BackfillPlanFromConfigTest, AnEmptyRangeIsAJobAlreadyDone) {
  // from == to holds no nanosecond: the job is born finished and the runner reads nothing.
  std::optional<Progress> p = PlanFromConfig(std::nullopt, Range(7, 7));
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->done_until_ns, p->to_ns);
}

TEST(BackfillPlanFromConfigTest, TheWholeTimeLineIsKeptExactly) {
  constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  std::optional<Progress> p = PlanFromConfig(std::nullopt, Range(kMin, kMax));
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->from_ns, kMin);
  EXPECT_EQ(p->to_ns, kMax);
  EXPECT_EQ(p->done_until_ns, kMin);
  EXPECT_EQ(p->config_range, (std::pair<int64_t, int64_t>{kMin, kMax}));
}

TEST(BackfillPlanFromConfigTest, TheSameRangeResumesWhereItStopped) {
  Progress stored = ConfigJob(1000, 5000, 3000, 42);
  std::optional<Progress> p = PlanFromConfig(stored, Range(1000, 5000));
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(*p, stored);  // nothing to store again
}

TEST(BackfillPlanFromConfigTest, TheSameRangeFinishedIsLeftAlone) {
  Progress stored = ConfigJob(1000, 5000, 5000, 99);
  std::optional<Progress> p = PlanFromConfig(stored, Range(1000, 5000));
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(*p, stored);
}

TEST(BackfillPlanFromConfigTest, TheSameRangeTakesTheConfigsNewRate) {
  Progress stored = ConfigJob(1000, 5000, 3000, 42);
  std::optional<Progress> p = PlanFromConfig(stored, Range(1000, 5000, 10));
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->max_points_per_second, 10u);
  EXPECT_EQ(p->done_until_ns, 3000);
  EXPECT_EQ(p->points, 42u);
}

TEST(BackfillPlanFromConfigTest, ADifferentRangeStartsANewJob) {
  Progress stored = ConfigJob(1000, 5000, 5000, 99);
  for (config::BackfillConfig next : {Range(1000, 6000), Range(999, 5000), Range(0, 1)}) {
    std::optional<Progress> p = PlanFromConfig(stored, next);
    ASSERT_TRUE(p.has_value());
    EXPECT_EQ(p->from_ns, next.from_ns);
    EXPECT_EQ(p->to_ns, next.to_ns);
    EXPECT_EQ(p->done_until_ns, next.from_ns);
    EXPECT_EQ(p->points, 0u);
  }
}

TEST(BackfillPlanFromConfigTest, RemovingTheRangeCancelsTheJobItStarted) {
  std::optional<Progress> p = PlanFromConfig(ConfigJob(1000, 5000, 3000, 42), std::nullopt);
  ASSERT_TRUE(p.has_value());
  EXPECT_TRUE(p->cancelled);
  EXPECT_FALSE(p->config_range.has_value());
  EXPECT_EQ(p->done_until_ns, 3000);  // the record of how far it got stays
  EXPECT_EQ(p->points, 42u);
}

TEST(BackfillPlanFromConfigTest, RemovingTheRangeOfAFinishedJobDoesNotCallItCancelled) {
  std::optional<Progress> p = PlanFromConfig(ConfigJob(1000, 5000, 5000, 42), std::nullopt);
  ASSERT_TRUE(p.has_value());
  EXPECT_FALSE(p->cancelled);
  EXPECT_FALSE(p->config_range.has_value());
}

TEST(BackfillPlanFromConfigTest, TheRangeAddedAgainAfterItsRemovalIsANewRequest) {
  std::optional<Progress> removed = PlanFromConfig(ConfigJob(1000, 5000, 5000, 42), std::nullopt);
  std::optional<Progress> p = PlanFromConfig(removed, Range(1000, 5000));
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->done_until_ns, 1000);
  EXPECT_EQ(p->points, 0u);
  EXPECT_FALSE(p->cancelled);
}

TEST(BackfillPlanFromConfigTest, AJobCancelledByTheAdminCallStaysCancelledUnderTheSameRange) {
  // DELETE on the admin port marks the config's job cancelled and keeps its config range; the
  // next reload or restart with that range must not start reading again.
  Progress stored = ConfigJob(1000, 5000, 3000, 42);
  stored.cancelled = true;
  std::optional<Progress> p = PlanFromConfig(stored, Range(1000, 5000));
  ASSERT_TRUE(p.has_value());
  EXPECT_TRUE(p->cancelled);
  EXPECT_EQ(p->done_until_ns, 3000);
}

TEST(BackfillPlanFromConfigTest, AnAdminJobStandsWhileTheConfigKeepsTheRangeItStartedUnder) {
  Progress admin = PlanFromAdmin(Range(10, 20, 7), Range(1000, 5000));
  admin.done_until_ns = 15;
  std::optional<Progress> p = PlanFromConfig(admin, Range(1000, 5000, 99));
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(*p, admin);  // the config's rate is not the admin job's
}

TEST(BackfillPlanFromConfigTest, AnAdminJobStandsWhenTheConfigHasNoRange) {
  Progress admin = PlanFromAdmin(Range(10, 20), std::nullopt);
  std::optional<Progress> p = PlanFromConfig(admin, std::nullopt);
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(*p, admin);
}

TEST(BackfillPlanFromConfigTest, AnAdminJobIsNotCancelledWhenTheConfigsRangeGoes) {
  Progress admin = PlanFromAdmin(Range(10, 20), Range(1000, 5000));
  std::optional<Progress> p = PlanFromConfig(admin, std::nullopt);
  ASSERT_TRUE(p.has_value());
  EXPECT_FALSE(p->cancelled);
  EXPECT_EQ(p->origin, Origin::kAdmin);
  EXPECT_FALSE(p->config_range.has_value());
}

TEST(BackfillPlanFromConfigTest, ANewConfigRangeReplacesAnAdminJob) {
  Progress admin = PlanFromAdmin(Range(10, 20), Range(1000, 5000));
  std::optional<Progress> p = PlanFromConfig(admin, Range(2000, 3000));
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->origin, Origin::kConfig);
  EXPECT_EQ(p->from_ns, 2000);
  EXPECT_EQ(p->done_until_ns, 2000);
}

TEST(BackfillPlanFromAdminTest, StartsAtTheRequestsFromAndRemembersTheConfigsRange) {
  Progress p = PlanFromAdmin(Range(-50, 50, 3), Range(1000, 5000));
  EXPECT_EQ(p.origin, Origin::kAdmin);
  EXPECT_EQ(p.from_ns, -50);
  EXPECT_EQ(p.to_ns, 50);
  EXPECT_EQ(p.done_until_ns, -50);
  EXPECT_EQ(p.max_points_per_second, 3u);
  EXPECT_EQ(p.points, 0u);
  EXPECT_FALSE(p.cancelled);
  EXPECT_EQ(p.config_range, (std::pair<int64_t, int64_t>{1000, 5000}));
  EXPECT_FALSE(PlanFromAdmin(Range(-50, 50), std::nullopt).config_range.has_value());
}

}  // namespace
}  // namespace edgerepl::backfill
