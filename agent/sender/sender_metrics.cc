#include "agent/sender/sender_metrics.h"

namespace edgerepl::sender {
namespace {

using prometheus::BuildCounter;
using prometheus::BuildGauge;
using prometheus::BuildHistogram;

}  // namespace

SenderMetrics::SenderMetrics(prometheus::Registry& registry, std::string replication)
    : replication_(std::move(replication)),
      requests_(BuildCounter()
                    .Name("edgerepl_remote_requests_total")
                    .Help("HTTP attempts to the remote, counted when the answer (or the transport "
                          "error, code 0) arrives, by status code")
                    .Register(registry)),
      duration_family_(BuildHistogram()
                           .Name("edgerepl_remote_request_duration_seconds")
                           .Help("Time from sending a write request to the end of its answer")
                           .Register(registry)),
      points_family_(BuildCounter()
                         .Name("edgerepl_remote_sent_points_total")
                         .Help("Points the remote accepted (2xx)")
                         .Register(registry)),
      bytes_family_(BuildCounter()
                        .Name("edgerepl_remote_sent_bytes_total")
                        .Help("Line-protocol bytes the remote accepted, before compression")
                        .Register(registry)),
      wire_family_(BuildCounter()
                       .Name("edgerepl_remote_sent_wire_bytes_total")
                       .Help("Compressed request body bytes the remote accepted")
                       .Register(registry)),
      last_success_family_(BuildGauge()
                               .Name("edgerepl_remote_last_success_timestamp_seconds")
                               .Help("Unix time of the last write the remote accepted")
                               .Register(registry)),
      state_family_(BuildGauge()
                        .Name("edgerepl_replication_state")
                        .Help("1 for the replication's current state, 0 for the others")
                        .Register(registry)),
      in_flight_limit_family_(BuildGauge()
                                  .Name("edgerepl_remote_in_flight_limit")
                                  .Help("Requests the sender may have out at once now: "
                                        "maxInFlight, or with the adaptive window 1 up to it")
                                  .Register(registry)),
      deletes_family_(BuildCounter()
                          .Name("edgerepl_deletes_total")
                          .Help("Replicated deletes (replicateDeletes) by what became of them: "
                                "queued, applied at the remote, refused by it, dropped")
                          .Register(registry)),
      duration_(
          duration_family_.Add({{"replication", replication_}},
                               prometheus::Histogram::BucketBoundaries{
                                   0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30})),
      points_(points_family_.Add({{"replication", replication_}})),
      bytes_(bytes_family_.Add({{"replication", replication_}})),
      wire_(wire_family_.Add({{"replication", replication_}})),
      last_success_(last_success_family_.Add({{"replication", replication_}})),
      in_flight_limit_(in_flight_limit_family_.Add({{"replication", replication_}})) {
  for (State s : kAllStates) {
    states_[s] =
        &state_family_.Add({{"replication", replication_}, {"state", std::string(StateName(s))}});
  }
  // Declared with zeros, so rate() sees a series before the first delete.
  for (std::string_view r : kDeleteResults) {
    deletes_.emplace(std::string(r), &deletes_family_.Add({{"replication", replication_},
                                                           {"result", std::string(r)}}));
  }
}

SenderMetrics::~SenderMetrics() {
  for (auto& [code, counter] : by_code_) requests_.Remove(counter);
  duration_family_.Remove(&duration_);
  points_family_.Remove(&points_);
  bytes_family_.Remove(&bytes_);
  wire_family_.Remove(&wire_);
  last_success_family_.Remove(&last_success_);
  in_flight_limit_family_.Remove(&in_flight_limit_);
  for (auto& [s, gauge] : states_) state_family_.Remove(gauge);
  for (auto& [r, counter] : deletes_) deletes_family_.Remove(counter);
}

void SenderMetrics::SetInFlightLimit(int requests) {
  in_flight_limit_.Set(requests);
}

void SenderMetrics::ObserveRequest(int code, double seconds) {
  duration_.Observe(seconds);
  std::lock_guard<std::mutex> lock(mu_);
  auto it = by_code_.find(code);
  if (it == by_code_.end()) {
    it = by_code_
             .emplace(code, &requests_.Add(
                                {{"replication", replication_}, {"code", std::to_string(code)}}))
             .first;
  }
  it->second->Increment();
}

void SenderMetrics::ObserveSent(uint64_t points, uint64_t bytes, uint64_t wire_bytes,
                                double unix_seconds) {
  points_.Increment(static_cast<double>(points));
  bytes_.Increment(static_cast<double>(bytes));
  wire_.Increment(static_cast<double>(wire_bytes));
  last_success_.Set(unix_seconds);
}

void SenderMetrics::CountDelete(std::string_view result) {
  auto it = deletes_.find(result);
  if (it == deletes_.end()) return;
  it->second->Increment();
  std::lock_guard<std::mutex> lock(deletes_mu_);
  ++delete_counts_[it->first];
}

std::map<std::string, uint64_t> SenderMetrics::DeleteCounts() const {
  std::map<std::string, uint64_t> out;
  for (std::string_view r : kDeleteResults) out[std::string(r)] = 0;
  std::lock_guard<std::mutex> lock(deletes_mu_);
  for (const auto& [r, n] : delete_counts_) out[r] = n;
  return out;
}

void SenderMetrics::SetState(State state) {
  for (auto& [s, gauge] : states_) gauge->Set(s == state ? 1 : 0);
}

}  // namespace edgerepl::sender
