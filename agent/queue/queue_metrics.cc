#include "agent/queue/queue_metrics.h"

namespace edgerepl::queue {
namespace {

using prometheus::BuildCounter;
using prometheus::BuildGauge;
using prometheus::BuildHistogram;

}  // namespace

QueueMetrics::QueueMetrics(prometheus::Registry& registry, std::string replication)
    : replication_(std::move(replication)),
      enqueued_points_family_(BuildCounter()
                                  .Name("edgerepl_queue_enqueued_points_total")
                                  .Help("Points appended to the queue, counted once durable per "
                                        "the durability setting")
                                  .Register(registry)),
      enqueued_bytes_family_(BuildCounter()
                                 .Name("edgerepl_queue_enqueued_bytes_total")
                                 .Help("Line-protocol bytes appended to the queue, counted with "
                                       "enqueued points")
                                 .Register(registry)),
      bytes_family_(BuildGauge()
                        .Name("edgerepl_queue_bytes")
                        .Help("Bytes of unacknowledged records on disk, record headers included; "
                              "compared with the max to refuse appends")
                        .Register(registry)),
      max_bytes_family_(BuildGauge()
                            .Name("edgerepl_queue_max_bytes")
                            .Help("Configured maxQueueSizeBytes")
                            .Register(registry)),
      pending_points_family_(BuildGauge()
                                 .Name("edgerepl_queue_pending_points")
                                 .Help("Points queued and not yet acknowledged by the remote")
                                 .Register(registry)),
      oldest_age_family_(BuildGauge()
                             .Name("edgerepl_queue_oldest_pending_age_seconds")
                             .Help("Age of the oldest unacknowledged record (replication lag), "
                                   "0 when the queue is empty")
                             .Register(registry)),
      dropped_points_family_(BuildCounter()
                                 .Name("edgerepl_queue_dropped_points_total")
                                 .Help("Points that will never reach the remote, by reason: "
                                       "queue_full, expired, corrupt, non_retryable, skipped")
                                 .Register(registry)),
      dropped_bytes_family_(BuildCounter()
                                .Name("edgerepl_queue_dropped_bytes_total")
                                .Help("Line-protocol bytes dropped, by reason as for points")
                                .Register(registry)),
      fsync_family_(BuildHistogram()
                        .Name("edgerepl_queue_fsync_duration_seconds")
                        .Help("Time one fdatasync of a queue segment took (one per commit group)")
                        .Register(registry)),
      enqueued_points_(enqueued_points_family_.Add({{"replication", replication_}})),
      enqueued_bytes_(enqueued_bytes_family_.Add({{"replication", replication_}})),
      bytes_(bytes_family_.Add({{"replication", replication_}})),
      max_bytes_(max_bytes_family_.Add({{"replication", replication_}})),
      pending_points_(pending_points_family_.Add({{"replication", replication_}})),
      oldest_age_(oldest_age_family_.Add({{"replication", replication_}})),
      // A write with durability: sync waits for one of these, so the bounds match the write
      // path's added-time histogram where a write's latency budget is spent (1, 2 ms).
      fsync_(fsync_family_.Add({{"replication", replication_}},
                               prometheus::Histogram::BucketBoundaries{
                                   0.0001, 0.0002, 0.0005, 0.00075, 0.001, 0.0015, 0.002, 0.003,
                                   0.005, 0.0075, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5})) {}

QueueMetrics::~QueueMetrics() {
  for (auto& [reason, counters] : dropped_) {
    dropped_points_family_.Remove(counters.first);
    dropped_bytes_family_.Remove(counters.second);
  }
  enqueued_points_family_.Remove(&enqueued_points_);
  enqueued_bytes_family_.Remove(&enqueued_bytes_);
  bytes_family_.Remove(&bytes_);
  max_bytes_family_.Remove(&max_bytes_);
  pending_points_family_.Remove(&pending_points_);
  oldest_age_family_.Remove(&oldest_age_);
  fsync_family_.Remove(&fsync_);
}

void QueueMetrics::Enqueued(uint64_t points, uint64_t bytes) {
  enqueued_points_.Increment(static_cast<double>(points));
  enqueued_bytes_.Increment(static_cast<double>(bytes));
}

void QueueMetrics::Dropped(std::string_view reason, uint64_t points, uint64_t bytes) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = dropped_.find(reason);
  if (it == dropped_.end()) {
    std::map<std::string, std::string> labels{{"replication", replication_},
                                              {"reason", std::string(reason)}};
    it = dropped_
             .emplace(std::string(reason), std::make_pair(&dropped_points_family_.Add(labels),
                                                          &dropped_bytes_family_.Add(labels)))
             .first;
  }
  it->second.first->Increment(static_cast<double>(points));
  it->second.second->Increment(static_cast<double>(bytes));
}

void QueueMetrics::SetSize(uint64_t bytes, uint64_t max_bytes, uint64_t pending_points,
                           double oldest_pending_age_seconds) {
  bytes_.Set(static_cast<double>(bytes));
  max_bytes_.Set(static_cast<double>(max_bytes));
  pending_points_.Set(static_cast<double>(pending_points));
  oldest_age_.Set(oldest_pending_age_seconds);
}

void QueueMetrics::ObserveFsync(double seconds) {
  fsync_.Observe(seconds);
}

}  // namespace edgerepl::queue
