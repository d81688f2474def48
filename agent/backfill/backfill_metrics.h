// One replication's backfill metrics, labelled replication=<name>. Every replication has them
// (zero without a backfill), so the dashboard's queries always find their families. The series
// are removed when this object goes, as the queue's and the sender's are.
#pragma once

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <array>
#include <string>
#include <string_view>

namespace edgerepl::backfill {

// A backfill's states as status and metrics name them.
enum class State { kNone, kReading, kDraining, kComplete, kCancelled };
inline constexpr std::array<State, 5> kAllStates = {State::kNone, State::kReading, State::kDraining,
                                                    State::kComplete, State::kCancelled};
std::string_view StateName(State s);  // "None", "Reading", "Draining", "Complete", "Cancelled"

class BackfillMetrics {
 public:
  BackfillMetrics(prometheus::Registry& registry, std::string replication);
  ~BackfillMetrics();
  BackfillMetrics(const BackfillMetrics&) = delete;
  BackfillMetrics& operator=(const BackfillMetrics&) = delete;

  void ObserveQuery(double seconds, bool ok);
  void Read(uint64_t points);
  void SetProgress(int64_t from_ns, int64_t to_ns, int64_t done_until_ns);
  void SetPending(uint64_t points, uint64_t bytes);
  void SetState(State state);

 private:
  std::string replication_;
  prometheus::Family<prometheus::Counter>& read_family_;
  prometheus::Family<prometheus::Histogram>& query_family_;
  prometheus::Family<prometheus::Counter>& errors_family_;
  prometheus::Family<prometheus::Gauge>& done_family_;
  prometheus::Family<prometheus::Gauge>& ratio_family_;
  prometheus::Family<prometheus::Gauge>& pending_family_;
  prometheus::Family<prometheus::Gauge>& bytes_family_;
  prometheus::Family<prometheus::Gauge>& state_family_;
  prometheus::Counter& read_;
  prometheus::Histogram& query_;
  prometheus::Counter& errors_;
  prometheus::Gauge& done_;
  prometheus::Gauge& ratio_;
  prometheus::Gauge& pending_;
  prometheus::Gauge& bytes_;
  std::array<prometheus::Gauge*, kAllStates.size()> states_{};
};

}  // namespace edgerepl::backfill
