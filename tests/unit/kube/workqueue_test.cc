// Work queue guarantees: de-duplication, one worker per key, re-queue of keys added while being
// processed, delayed adds, rate-limited retries and the workqueue_* metrics.
#include "operator/kube/workqueue.h"

#include <gtest/gtest.h>
#include <prometheus/text_serializer.h>

#include <atomic>
#include <set>
#include <thread>

namespace edgerepl::kube {
namespace {

using std::chrono::milliseconds;

double Metric(prometheus::Registry& r, const std::string& name) {
  for (const auto& f : r.Collect()) {
    if (f.name != name) continue;
    for (const auto& m : f.metric) {
      if (f.type == prometheus::MetricType::Counter) return m.counter.value;
      if (f.type == prometheus::MetricType::Gauge) return m.gauge.value;
      if (f.type == prometheus::MetricType::Histogram) return m.histogram.sample_count;
    }
  }
  return -1;
}

TEST(WorkQueue, DeduplicatesAndRequeuesKeysAddedWhileProcessing) {
  prometheus::Registry registry;
  WorkQueue q("test", RealClock::Instance(), &registry);
  q.Add("a");
  q.Add("a");
  q.Add("b");
  EXPECT_EQ(q.Len(), 2u);
  EXPECT_EQ(Metric(registry, "workqueue_depth"), 2);
  EXPECT_EQ(Metric(registry, "workqueue_adds_total"), 2);

  auto first = q.Get();
  ASSERT_EQ(first, "a");
  q.Add("a");              // changed again while being reconciled
  EXPECT_EQ(q.Len(), 1u);  // not handed out a second time meanwhile
  auto second = q.Get();
  ASSERT_EQ(second, "b");
  q.Done("b");
  EXPECT_EQ(q.Len(), 0u);
  q.Done("a");  // now it comes back
  EXPECT_EQ(q.Len(), 1u);
  EXPECT_EQ(q.Get(), "a");
  q.Done("a");
  EXPECT_EQ(Metric(registry, "workqueue_queue_duration_seconds"), 3);
  EXPECT_EQ(Metric(registry, "workqueue_work_duration_seconds"), 3);
  EXPECT_EQ(Metric(registry, "workqueue_depth"), 0);
}

TEST(WorkQueue, NeverGivesOneKeyToTwoWorkers) {
  WorkQueue q("workers", RealClock::Instance());
  std::mutex mu;
  std::set<std::string> busy;
  std::atomic<bool> overlap{false};
  std::atomic<int> processed{0};
  std::vector<std::thread> workers;
  for (int w = 0; w < 4; ++w) {
    workers.emplace_back([&] {
      while (auto key = q.Get()) {
        {
          std::lock_guard<std::mutex> lock(mu);
          if (!busy.insert(*key).second) overlap = true;
        }
        std::this_thread::sleep_for(std::chrono::microseconds(200));
        {
          std::lock_guard<std::mutex> lock(mu);
          busy.erase(*key);
        }
        processed++;
        q.Done(*key);
      }
    });
  }
  for (int i = 0; i < 2000; ++i) q.Add("k" + std::to_string(i % 5));
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (q.Len() > 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(milliseconds(5));
  }
  std::this_thread::sleep_for(milliseconds(50));
  q.ShutDown();
  for (auto& t : workers) t.join();
  EXPECT_FALSE(overlap.load());
  EXPECT_GE(processed.load(), 5);
  EXPECT_LT(processed.load(), 2000);  // de-duplicated
}

TEST(WorkQueue, AddAfterAndRateLimitedRetries) {
  prometheus::Registry registry;
  std::vector<RateLimiterPtr> limiters;
  limiters.push_back(
      std::make_unique<ItemExponentialRateLimiter>(milliseconds(20), milliseconds(1000)));
  WorkQueue q("delays", RealClock::Instance(), &registry,
              std::make_unique<MaxOfRateLimiter>(std::move(limiters)));
  auto t0 = std::chrono::steady_clock::now();
  q.AddAfter("late", milliseconds(120));
  q.AddAfter("early", milliseconds(40));
  q.AddAfter("early", milliseconds(500));  // the earlier deadline stays
  EXPECT_EQ(q.Len(), 0u);
  EXPECT_EQ(q.Get(), "early");
  auto t_early = std::chrono::steady_clock::now() - t0;
  EXPECT_EQ(q.Get(), "late");
  auto t_late = std::chrono::steady_clock::now() - t0;
  EXPECT_GE(t_early, milliseconds(40));
  EXPECT_GE(t_late, milliseconds(120));
  EXPECT_LT(t_late, milliseconds(450));
  q.Done("early");
  q.Done("late");

  // Failures back off 20, 40, 80 ms; Forget starts over.
  std::vector<milliseconds> waits;
  for (int i = 0; i < 3; ++i) {
    auto start = std::chrono::steady_clock::now();
    q.AddRateLimited("x");
    ASSERT_EQ(q.Get(), "x");
    waits.push_back(
        std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - start));
    q.Done("x");
  }
  EXPECT_GE(waits[0], milliseconds(20));
  EXPECT_GE(waits[1], milliseconds(40));
  EXPECT_GE(waits[2], milliseconds(80));
  EXPECT_EQ(q.NumRequeues("x"), 3);
  q.Forget("x");
  EXPECT_EQ(q.NumRequeues("x"), 0);
  EXPECT_EQ(Metric(registry, "workqueue_retries_total"), 3);
}

TEST(WorkQueue, ShutDownWakesWaitingWorkers) {
  WorkQueue q("shutdown", RealClock::Instance());
  std::optional<std::string> got = "unset";
  std::thread t([&] { got = q.Get(); });
  std::this_thread::sleep_for(milliseconds(50));
  q.AddAfter("never", std::chrono::hours(1));
  q.ShutDown();
  t.join();
  EXPECT_FALSE(got.has_value());
  EXPECT_TRUE(q.ShuttingDown());
  q.Add("ignored");
  EXPECT_EQ(q.Len(), 0u);
}

}  // namespace
}  // namespace edgerepl::kube
