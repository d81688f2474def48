#include "agent/queue/queue_metrics.h"

#include <gtest/gtest.h>
#include <prometheus/text_serializer.h>

#include <sstream>

#include "agent/queue/queue.h"
#include "tests/support/temp_dir.h"
#include "tests/unit/queue/fault_fs.h"

namespace edgerepl::queue {
namespace {

std::string Text(prometheus::Registry& r) {
  std::ostringstream out;
  prometheus::TextSerializer().Serialize(out, r.Collect());
  return out.str();
}

bool Has(prometheus::Registry& r, const std::string& line) {
  return Text(r).find(line) != std::string::npos;
}

TEST(QueueMetricsTest, QueueReportsThroughItsMetrics) {
  prometheus::Registry registry;
  edgerepl::testing::TempDir dir;
  testing::FakeClock clock;
  {
    QueueMetrics metrics(registry, "r1");
    QueueOptions o;
    o.dir = dir.Join("q");
    o.max_bytes = 1000;
    o.max_age_seconds = 60;
    auto q = Queue::Open(o, PosixFileSystem(), clock, &metrics);
    ASSERT_TRUE(q.ok());
    ASSERT_TRUE((*q)->Append("m v=1i\nm v=2i\n", 2).ok());
    clock.Advance(std::chrono::seconds(10));
    (*q)->Stats();
    EXPECT_TRUE(Has(registry, "edgerepl_queue_enqueued_points_total{replication=\"r1\"} 2"));
    EXPECT_TRUE(Has(registry, "edgerepl_queue_enqueued_bytes_total{replication=\"r1\"} 14"));
    EXPECT_TRUE(Has(registry, "edgerepl_queue_bytes{replication=\"r1\"} 34"));
    EXPECT_TRUE(Has(registry, "edgerepl_queue_max_bytes{replication=\"r1\"} 1000"));
    EXPECT_TRUE(Has(registry, "edgerepl_queue_pending_points{replication=\"r1\"} 2"));
    EXPECT_TRUE(Has(registry, "edgerepl_queue_oldest_pending_age_seconds{replication=\"r1\"} 10"));
    EXPECT_TRUE(Has(registry, "edgerepl_queue_fsync_duration_seconds_count{replication=\"r1\"}"));
    (*q)->CountDropped(5, 50, kDropQueueFull);
    EXPECT_TRUE(
        Has(registry,
            "edgerepl_queue_dropped_points_total{reason=\"queue_full\",replication=\"r1\"} 5"));
    EXPECT_TRUE(
        Has(registry,
            "edgerepl_queue_dropped_bytes_total{reason=\"queue_full\",replication=\"r1\"} 50"));
    clock.Advance(std::chrono::seconds(60));
    EXPECT_TRUE((*q)->ReadNext(1000)->empty());
    EXPECT_TRUE(Has(
        registry, "edgerepl_queue_dropped_points_total{reason=\"expired\",replication=\"r1\"} 2"));
    EXPECT_TRUE(Has(registry, "edgerepl_queue_pending_points{replication=\"r1\"} 0"));
    EXPECT_TRUE(Has(registry, "edgerepl_queue_bytes{replication=\"r1\"} 0"));
    (*q)->SetLimits(2000, 60);
    EXPECT_TRUE(Has(registry, "edgerepl_queue_max_bytes{replication=\"r1\"} 2000"));
  }
  // Closed: no series left behind.
  EXPECT_EQ(Text(registry).find("replication=\"r1\""), std::string::npos);
}

TEST(QueueMetricsTest, TwoReplicationsShareFamilies) {
  prometheus::Registry registry;
  QueueMetrics a(registry, "a");
  {
    QueueMetrics b(registry, "b");
    a.Enqueued(1, 1);
    b.Enqueued(2, 2);
    EXPECT_TRUE(Has(registry, "edgerepl_queue_enqueued_points_total{replication=\"b\"} 2"));
  }
  EXPECT_TRUE(Has(registry, "edgerepl_queue_enqueued_points_total{replication=\"a\"} 1"));
  EXPECT_FALSE(Has(registry, "replication=\"b\""));
}

}  // namespace
}  // namespace edgerepl::queue
