// The write path's metrics (DESIGN.md §7).
#pragma once

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <map>
#include <mutex>
#include <set>
#include <string>
#include <string_view>

#include "agent/frontdoor/routing.h"

namespace edgerepl::frontdoor {

class WriteMetrics {
 public:
  // `registry` must outlive this object.
  explicit WriteMetrics(prometheus::Registry& registry);

  // One answered write request (any outcome), with the time the client waited.
  void ObserveRequest(Api api, int code, double seconds);
  // Points and normalized line-protocol bytes the local InfluxDB accepted.
  void ObserveAccepted(uint64_t points, uint64_t bytes);
  void ObserveLocalWrite(double seconds);
  // What a write the local InfluxDB took spent in the agent besides that local write: decoding,
  // validation, the queue append and its sync.
  void ObserveAdded(double seconds);
  // Request bodies held in memory (the write port's body budget) changed by `delta` bytes.
  void BodyMemory(int64_t delta);
  // A request refused with 503 because the body budget was spent.
  void BodyMemoryRefused();
  // Lines of a partial write the local InfluxDB refused, by reason (partial_write.h).
  void ObserveRefused(std::string_view reason, uint64_t points);
  // Points the local InfluxDB accepted for a database some replication covers that no
  // replication took, by bucket as written ("db/rp" for v1) and reason (coverage.h). Returns
  // true the first time this bucket is seen, so the caller logs once per bucket.
  bool ObserveUnreplicated(const std::string& bucket, std::string_view reason, uint64_t points);

 private:
  prometheus::Family<prometheus::Counter>& requests_;
  prometheus::Counter& points_;
  prometheus::Counter& bytes_;
  prometheus::Histogram& duration_;
  prometheus::Histogram& local_duration_;
  prometheus::Histogram& added_duration_;
  prometheus::Gauge& body_memory_;
  prometheus::Counter& body_memory_refused_;
  prometheus::Family<prometheus::Counter>& refused_;
  prometheus::Family<prometheus::Counter>& unreplicated_;
  std::mutex mu_;
  std::map<std::pair<Api, int>, prometheus::Counter*> by_code_;                 // GUARDED_BY(mu_)
  std::map<std::string, prometheus::Counter*, std::less<>> refused_by_reason_;  // GUARDED_BY(mu_)
  // (bucket, reason) -> counter; GUARDED_BY(mu_)
  std::map<std::pair<std::string, std::string>, prometheus::Counter*> unreplicated_by_key_;
  std::set<std::string, std::less<>> unreplicated_logged_;  // GUARDED_BY(mu_)
};

}  // namespace edgerepl::frontdoor
