#include "agent/frontdoor/write_metrics.h"

#include "agent/frontdoor/partial_write.h"

namespace edgerepl::frontdoor {
namespace {

// From 0.5 ms (a small write with interval durability) to about 16 s (a 32 MiB body behind a slow
// local disk), doubling.
prometheus::Histogram::BucketBoundaries LatencyBuckets() {
  prometheus::Histogram::BucketBoundaries b;
  for (double v = 0.0005; v < 20; v *= 2) b.push_back(v);
  return b;
}

// The agent's own share of a write is usually a fraction of a millisecond (an fdatasync and a scan
// of the body), so these start at 100 µs, with bounds at 1 and 2 ms, where latency budgets for a
// write front door are usually set.
prometheus::Histogram::BucketBoundaries AddedBuckets() {
  return {0.0001, 0.0002, 0.0005, 0.00075, 0.001, 0.0015, 0.002, 0.003, 0.005, 0.0075,
          0.01,   0.02,   0.05,   0.1,     0.25,  0.5,    1,     2.5,   5,     10};
}

}  // namespace

WriteMetrics::WriteMetrics(prometheus::Registry& registry)
    : requests_(prometheus::BuildCounter()
                    .Name("edgerepl_write_requests_total")
                    .Help("Write requests (/api/v2/write api=v2, /write api=v1) answered, by the "
                          "HTTP status the client got.")
                    .Register(registry)),
      points_(prometheus::BuildCounter()
                  .Name("edgerepl_write_points_total")
                  .Help("Points the local InfluxDB accepted through the write front door.")
                  .Register(registry)
                  .Add({})),
      bytes_(prometheus::BuildCounter()
                 .Name("edgerepl_write_bytes_total")
                 .Help("Normalized line-protocol bytes the local InfluxDB accepted through the "
                       "write front door.")
                 .Register(registry)
                 .Add({})),
      duration_(prometheus::BuildHistogram()
                    .Name("edgerepl_write_duration_seconds")
                    .Help("Time from receiving a write request to answering it, as the client "
                          "sees it (includes the local write and the queue sync).")
                    .Register(registry)
                    .Add({}, LatencyBuckets())),
      local_duration_(prometheus::BuildHistogram()
                          .Name("edgerepl_local_write_duration_seconds")
                          .Help("Time the local InfluxDB took to answer a forwarded write.")
                          .Register(registry)
                          .Add({}, LatencyBuckets())),
      added_duration_(prometheus::BuildHistogram()
                          .Name("edgerepl_write_added_duration_seconds")
                          .Help("What a successful write spent in the agent besides the local "
                                "InfluxDB's answer (decoding, validation, the queue append and "
                                "its sync): the latency the agent adds to a client's write.")
                          .Register(registry)
                          .Add({}, AddedBuckets())),
      body_memory_(prometheus::BuildGauge()
                       .Name("edgerepl_write_body_memory_bytes")
                       .Help("Request bodies held in memory now by the write port, against "
                             "maxBodyMemoryBytes.")
                       .Register(registry)
                       .Add({})),
      body_memory_refused_(prometheus::BuildCounter()
                               .Name("edgerepl_write_body_memory_refused_total")
                               .Help("Requests on the write port answered 503 because "
                                     "maxBodyMemoryBytes of bodies were held already.")
                               .Register(registry)
                               .Add({})),
      refused_(prometheus::BuildCounter()
                   .Name("edgerepl_write_refused_points_total")
                   .Help("Lines of partial writes the local InfluxDB refused (and so were not "
                         "replicated), by reason: field_type_conflict, retention_policy, parse, "
                         "other, undetermined.")
                   .Register(registry)),
      unreplicated_(prometheus::BuildCounter()
                        .Name("edgerepl_write_unreplicated_points_total")
                        .Help("Points the local InfluxDB accepted for a database a replication "
                              "covers that no replication took, by bucket (db/rp for /write) and "
                              "reason: retention_policy (another rp), measurement_filter.")
                        .Register(registry)) {
  // Declared with zeros from the start, so a dashboard's rate() and an alert's increase() see a
  // series before the first refusal instead of "no data".
  for (std::string_view reason : {kRefusedFieldTypeConflict, kRefusedRetention, kRefusedParse,
                                  kRefusedOther, kRefusedUndetermined}) {
    refused_by_reason_.emplace(std::string(reason),
                               &refused_.Add({{"reason", std::string(reason)}}));
  }
}

void WriteMetrics::ObserveRefused(std::string_view reason, uint64_t points) {
  prometheus::Counter* counter;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = refused_by_reason_.find(reason);
    if (it == refused_by_reason_.end()) {
      it = refused_by_reason_
               .emplace(std::string(reason), &refused_.Add({{"reason", std::string(reason)}}))
               .first;
    }
    counter = it->second;
  }
  counter->Increment(static_cast<double>(points));
}

bool WriteMetrics::ObserveUnreplicated(const std::string& bucket, std::string_view reason,
                                       uint64_t points) {
  prometheus::Counter* counter;
  bool first = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto& slot = unreplicated_by_key_[{bucket, std::string(reason)}];
    if (slot == nullptr) {
      slot = &unreplicated_.Add({{"bucket", bucket}, {"reason", std::string(reason)}});
    }
    counter = slot;
    first = unreplicated_logged_.insert(bucket).second;
  }
  counter->Increment(static_cast<double>(points));
  return first;
}

void WriteMetrics::BodyMemory(int64_t delta) {
  body_memory_.Increment(static_cast<double>(delta));
}

void WriteMetrics::BodyMemoryRefused() {
  body_memory_refused_.Increment();
}

void WriteMetrics::ObserveRequest(Api api, int code, double seconds) {
  duration_.Observe(seconds);
  prometheus::Counter* counter;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto& slot = by_code_[{api, code}];
    if (slot == nullptr) {
      slot =
          &requests_.Add({{"api", api == Api::kV2 ? "v2" : "v1"}, {"code", std::to_string(code)}});
    }
    counter = slot;
  }
  counter->Increment();
}

void WriteMetrics::ObserveAccepted(uint64_t points, uint64_t bytes) {
  points_.Increment(static_cast<double>(points));
  bytes_.Increment(static_cast<double>(bytes));
}

void WriteMetrics::ObserveAdded(double seconds) {
  added_duration_.Observe(seconds);
}

void WriteMetrics::ObserveLocalWrite(double seconds) {
  local_duration_.Observe(seconds);
}

}  // namespace edgerepl::frontdoor
