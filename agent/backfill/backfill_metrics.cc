#include "agent/backfill/backfill_metrics.h"

namespace edgerepl::backfill {

std::string_view StateName(State s) {
  switch (s) {
    case State::kNone:
      return "None";
    case State::kReading:
      return "Reading";
    case State::kDraining:
      return "Draining";
    case State::kComplete:
      return "Complete";
    case State::kCancelled:
      return "Cancelled";
  }
  return "None";
}

BackfillMetrics::BackfillMetrics(prometheus::Registry& registry, std::string replication)
    : replication_(std::move(replication)),
      read_family_(prometheus::BuildCounter()
                       .Name("edgerepl_backfill_read_points_total")
                       .Help("Points a backfill read from the local database and queued")
                       .Register(registry)),
      query_family_(prometheus::BuildHistogram()
                        .Name("edgerepl_backfill_local_query_duration_seconds")
                        .Help("Time a backfill's query of one window took at the local database")
                        .Register(registry)),
      errors_family_(prometheus::BuildCounter()
                         .Name("edgerepl_backfill_local_query_errors_total")
                         .Help("Backfill queries the local database failed or refused")
                         .Register(registry)),
      done_family_(prometheus::BuildGauge()
                       .Name("edgerepl_backfill_done_until_timestamp_seconds")
                       .Help("Unix time before which the backfill has queued every point")
                       .Register(registry)),
      ratio_family_(prometheus::BuildGauge()
                        .Name("edgerepl_backfill_progress_ratio")
                        .Help("Share of the backfill's time range read, 0 to 1")
                        .Register(registry)),
      pending_family_(prometheus::BuildGauge()
                          .Name("edgerepl_backfill_pending_points")
                          .Help("Backfilled points queued and not yet accepted by the remote")
                          .Register(registry)),
      bytes_family_(prometheus::BuildGauge()
                        .Name("edgerepl_backfill_queue_bytes")
                        .Help("Bytes on disk of the backfill's own queue")
                        .Register(registry)),
      state_family_(prometheus::BuildGauge()
                        .Name("edgerepl_backfill_state")
                        .Help("1 for the backfill's current state, 0 for the others")
                        .Register(registry)),
      read_(read_family_.Add({{"replication", replication_}})),
      query_(query_family_.Add({{"replication", replication_}},
                               prometheus::Histogram::BucketBoundaries{
                                   0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30})),
      errors_(errors_family_.Add({{"replication", replication_}})),
      done_(done_family_.Add({{"replication", replication_}})),
      ratio_(ratio_family_.Add({{"replication", replication_}})),
      pending_(pending_family_.Add({{"replication", replication_}})),
      bytes_(bytes_family_.Add({{"replication", replication_}})) {
  for (size_t i = 0; i < kAllStates.size(); ++i) {
    states_[i] = &state_family_.Add(
        {{"replication", replication_}, {"state", std::string(StateName(kAllStates[i]))}});
  }
  SetState(State::kNone);
}

BackfillMetrics::~BackfillMetrics() {
  read_family_.Remove(&read_);
  query_family_.Remove(&query_);
  errors_family_.Remove(&errors_);
  done_family_.Remove(&done_);
  ratio_family_.Remove(&ratio_);
  pending_family_.Remove(&pending_);
  bytes_family_.Remove(&bytes_);
  for (prometheus::Gauge* g : states_) state_family_.Remove(g);
}

void BackfillMetrics::ObserveQuery(double seconds, bool ok) {
  query_.Observe(seconds);
  if (!ok) errors_.Increment();
}

void BackfillMetrics::Read(uint64_t points) {
  read_.Increment(static_cast<double>(points));
}

void BackfillMetrics::SetProgress(int64_t from_ns, int64_t to_ns, int64_t done_until_ns) {
  done_.Set(static_cast<double>(done_until_ns) / 1e9);
  double span = static_cast<double>(to_ns) - static_cast<double>(from_ns);
  double ratio =
      span > 0 ? (static_cast<double>(done_until_ns) - static_cast<double>(from_ns)) / span : 1.0;
  ratio_.Set(ratio < 0 ? 0 : (ratio > 1 ? 1 : ratio));
}

void BackfillMetrics::SetPending(uint64_t points, uint64_t bytes) {
  pending_.Set(static_cast<double>(points));
  bytes_.Set(static_cast<double>(bytes));
}

void BackfillMetrics::SetState(State state) {
  for (size_t i = 0; i < kAllStates.size(); ++i) states_[i]->Set(kAllStates[i] == state ? 1 : 0);
}

}  // namespace edgerepl::backfill
