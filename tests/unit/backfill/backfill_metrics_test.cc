// One replication's backfill series: what each call sets, the state as one series at 1, and the
// series gone with the object.
#include "agent/backfill/backfill_metrics.h"

#include <gtest/gtest.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include <sstream>
#include <string>

namespace edgerepl::backfill {
namespace {

std::string Text(prometheus::Registry& r) {
  std::ostringstream out;
  prometheus::TextSerializer().Serialize(out, r.Collect());
  return out.str();
}

bool Has(prometheus::Registry& r, const std::string& line) {
  return Text(r).find(line + "\n") != std::string::npos;
}

TEST(BackfillMetricsTest, EveryFamilyIsThereBeforeAnyBackfill) {
  prometheus::Registry r;
  BackfillMetrics m(r, "rep");
  EXPECT_TRUE(Has(r, "edgerepl_backfill_read_points_total{replication=\"rep\"} 0"));
  EXPECT_TRUE(Has(r, "edgerepl_backfill_local_query_errors_total{replication=\"rep\"} 0"));
  EXPECT_TRUE(
      Has(r, "edgerepl_backfill_local_query_duration_seconds_count{replication=\"rep\"} 0"));
  EXPECT_TRUE(Has(r, "edgerepl_backfill_progress_ratio{replication=\"rep\"} 0"));
  EXPECT_TRUE(Has(r, "edgerepl_backfill_pending_points{replication=\"rep\"} 0"));
  EXPECT_TRUE(Has(r, "edgerepl_backfill_state{replication=\"rep\",state=\"None\"} 1"));
  EXPECT_TRUE(Has(r, "edgerepl_backfill_state{replication=\"rep\",state=\"Reading\"} 0"));
}

TEST(BackfillMetricsTest, QueriesReadsAndPending) {
  prometheus::Registry r;
  BackfillMetrics m(r, "rep");
  m.ObserveQuery(0.02, true);
  m.ObserveQuery(3, false);
  m.Read(20000);
  m.Read(5);
  m.SetPending(42, 4096);
  EXPECT_TRUE(
      Has(r, "edgerepl_backfill_local_query_duration_seconds_count{replication=\"rep\"} 2"));
  EXPECT_TRUE(Has(r,
                  "edgerepl_backfill_local_query_duration_seconds_bucket{replication=\"rep\","
                  "le=\"0.025\"} 1"));
  EXPECT_TRUE(Has(r, "edgerepl_backfill_local_query_errors_total{replication=\"rep\"} 1"));
  EXPECT_TRUE(Has(r, "edgerepl_backfill_read_points_total{replication=\"rep\"} 20005"));
  EXPECT_TRUE(Has(r, "edgerepl_backfill_pending_points{replication=\"rep\"} 42"));
  EXPECT_TRUE(Has(r, "edgerepl_backfill_queue_bytes{replication=\"rep\"} 4096"));
}

TEST(BackfillMetricsTest, ProgressIsDoneUntilInSecondsAndAShareOfTheRange) {
  prometheus::Registry r;
  BackfillMetrics m(r, "rep");
  m.SetProgress(1'000'000'000'000'000'000, 1'000'000'400'000'000'000, 1'000'000'100'000'000'000);
  EXPECT_TRUE(Has(r,
                  "edgerepl_backfill_done_until_timestamp_seconds{replication=\"rep\"} "
                  "1000000100"));
  EXPECT_TRUE(Has(r, "edgerepl_backfill_progress_ratio{replication=\"rep\"} 0.25"));
  m.SetProgress(7, 7, 7);  // an empty range is done
  EXPECT_TRUE(Has(r, "edgerepl_backfill_progress_ratio{replication=\"rep\"} 1"));
  m.SetProgress(0, 10, 20);  // never above 1
  EXPECT_TRUE(Has(r, "edgerepl_backfill_progress_ratio{replication=\"rep\"} 1"));
  m.SetProgress(-20, -10, -30);  // nor below 0; times before 1970 are negative
  EXPECT_TRUE(Has(r, "edgerepl_backfill_progress_ratio{replication=\"rep\"} 0"));
}

TEST(BackfillMetricsTest, OneStateAtATime) {
  prometheus::Registry r;
  BackfillMetrics m(r, "rep");
  for (State s : kAllStates) {
    m.SetState(s);
    for (State other : kAllStates) {
      EXPECT_TRUE(Has(r, "edgerepl_backfill_state{replication=\"rep\",state=\"" +
                             std::string(StateName(other)) + "\"} " + (other == s ? "1" : "0")))
          << StateName(s) << " / " << StateName(other);
    }
  }
  EXPECT_EQ(StateName(State::kDraining), "Draining");
}

TEST(BackfillMetricsTest, TheSeriesGoWithTheObjectAndOthersStay) {
  prometheus::Registry r;
  BackfillMetrics kept(r, "kept");
  {
    BackfillMetrics gone(r, "gone");
    EXPECT_NE(Text(r).find("replication=\"gone\""), std::string::npos);
  }
  EXPECT_EQ(Text(r).find("replication=\"gone\""), std::string::npos);
  EXPECT_TRUE(Has(r, "edgerepl_backfill_state{replication=\"kept\",state=\"None\"} 1"));
}

}  // namespace
}  // namespace edgerepl::backfill
