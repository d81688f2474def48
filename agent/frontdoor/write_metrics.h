// The write path's metrics (DESIGN.md §7).
#pragma once

#include <prometheus/counter.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <map>
#include <mutex>
#include <string>

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

 private:
  prometheus::Family<prometheus::Counter>& requests_;
  prometheus::Counter& points_;
  prometheus::Counter& bytes_;
  prometheus::Histogram& duration_;
  prometheus::Histogram& local_duration_;
  prometheus::Histogram& added_duration_;
  std::mutex mu_;
  std::map<std::pair<Api, int>, prometheus::Counter*> by_code_;  // GUARDED_BY(mu_)
};

}  // namespace edgerepl::frontdoor
