// One replication's queue metrics (DESIGN.md §7), all labelled replication=<name>. The families
// live in the registry the agent passes in and are shared by every replication; this object owns
// only its labelled series and removes them when destroyed, so a replication removed by a reload
// leaves no series behind.
#pragma once

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <map>
#include <mutex>
#include <string>
#include <string_view>

namespace edgerepl::queue {

// Drop reasons the queue itself records; the agent adds queue_full, the sender non_retryable and
// skipped.
inline constexpr std::string_view kDropExpired = "expired";
inline constexpr std::string_view kDropCorrupt = "corrupt";
inline constexpr std::string_view kDropQueueFull = "queue_full";

class QueueMetrics {
 public:
  // `registry` must outlive this object.
  QueueMetrics(prometheus::Registry& registry, std::string replication);
  ~QueueMetrics();
  QueueMetrics(const QueueMetrics&) = delete;
  QueueMetrics& operator=(const QueueMetrics&) = delete;

  void Enqueued(uint64_t points, uint64_t bytes);
  void Dropped(std::string_view reason, uint64_t points, uint64_t bytes);
  void SetSize(uint64_t bytes, uint64_t max_bytes, uint64_t pending_points,
               double oldest_pending_age_seconds);
  void ObserveFsync(double seconds);

 private:
  std::string replication_;
  prometheus::Family<prometheus::Counter>& enqueued_points_family_;
  prometheus::Family<prometheus::Counter>& enqueued_bytes_family_;
  prometheus::Family<prometheus::Gauge>& bytes_family_;
  prometheus::Family<prometheus::Gauge>& max_bytes_family_;
  prometheus::Family<prometheus::Gauge>& pending_points_family_;
  prometheus::Family<prometheus::Gauge>& oldest_age_family_;
  prometheus::Family<prometheus::Counter>& dropped_points_family_;
  prometheus::Family<prometheus::Counter>& dropped_bytes_family_;
  prometheus::Family<prometheus::Histogram>& fsync_family_;
  prometheus::Counter& enqueued_points_;
  prometheus::Counter& enqueued_bytes_;
  prometheus::Gauge& bytes_;
  prometheus::Gauge& max_bytes_;
  prometheus::Gauge& pending_points_;
  prometheus::Gauge& oldest_age_;
  prometheus::Histogram& fsync_;
  std::mutex mu_;  // guards dropped_
  std::map<std::string, std::pair<prometheus::Counter*, prometheus::Counter*>, std::less<>>
      dropped_;
};

}  // namespace edgerepl::queue
