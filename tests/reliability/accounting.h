// The exact-accounting checker: what the load generator was promised (2xx) against what a real
// influxd holds, with the agent's drop counters as the only allowed explanation of a difference.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "tests/reliability/load_generator.h"

namespace edgerepl::reliability {

struct RemoteView {
  std::vector<uint8_t> present;  // indexed by seq: 1 when the remote holds it
  uint64_t distinct = 0;         // distinct seq values stored
  uint64_t rows = 0;             // stored points; > distinct means a seq landed twice
  uint64_t misplaced = 0;        // points whose timestamp no longer matches their seq
};

// Reads every seq of run `run` from influxd's `db` (through /query, in time windows; the point
// with seq n has timestamp base_ns + n). nullopt when the remote does not answer.
std::optional<RemoteView> ReadRemote(int influx_port, const std::string& db, const std::string& run,
                                     int64_t base_ns, uint64_t max_seq);

struct AccountingReport {
  uint64_t sent = 0, acked = 0, unknown = 0, refused = 0;
  uint64_t remote_distinct = 0, remote_rows = 0, remote_misplaced = 0;
  uint64_t acked_missing = 0;  // must be explained by drops (zero when nothing was dropped)
  uint64_t unknown_present = 0;
  uint64_t refused_present = 0;  // the agent answered an error yet the point was replicated
  std::vector<uint64_t> missing_examples;  // first seq of each missing range (up to 20)
  std::map<std::string, double> dropped;   // reason -> points, from the agent's metrics
  double dropped_total = 0;
  double resent = 0;  // points the agent sent more than once (absorbed by the remote's dedup)
  // Lines of partial writes the agent counted as refused by the local
  // (edgerepl_write_refused_points_total): the client's refused points, counted.
  double write_refused = 0;
  // Filled by CompareWithLocal: the local database against the remote, whatever the client heard.
  bool local_read = false;
  uint64_t local_distinct = 0;
  uint64_t local_not_remote = 0;  // stored locally, missing at the remote (the crash gap)
  uint64_t remote_not_local = 0;  // at the remote, not in the local database
  std::vector<uint64_t> local_not_remote_examples;  // first seq of each range (up to 20)

  // Every acknowledged point is at the remote or counted as dropped; nothing is stored twice at
  // different timestamps.
  bool Explained() const;
  std::string Summary() const;
};

// Fills the local_* fields of `report`: what the local database holds that the remote does not,
// and the reverse. Both sides should hold the same points once the queue drained.
void CompareWithLocal(const RemoteView& local, const RemoteView& remote, AccountingReport* report);

AccountingReport Account(const std::vector<PointFate>& fates, const RemoteView& remote,
                         const std::map<std::string, double>& dropped_by_reason,
                         double sent_points_metric);

}  // namespace edgerepl::reliability
