// One reliability scenario's world: a local and a remote influxd (v1, exact counts), optionally
// the fault proxy between agent and remote, the agent itself, and the steps every scenario
// shares: load, drain, account, latency statistics, and well-aimed kills.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/config/config.h"
#include "tests/reliability/accounting.h"
#include "tests/reliability/agent_runner.h"
#include "tests/reliability/load_generator.h"
#include "tests/support/fault_proxy/fault_proxy.h"
#include "tests/support/servers.h"
#include "tests/support/temp_dir.h"

namespace edgerepl::reliability {

inline constexpr char kReplicationId[] = "acct-repl";
inline constexpr char kDb[] = "acct";

// Scenario length: EDGEREPL_RELIABILITY_SECONDS (set by scripts/reliability.sh) selects the long
// form; unset means the short form of ctest.
int64_t LongSeconds();
bool IsLongForm();
int64_t EnvInt(const char* name, int64_t fallback);

struct WorldOptions {
  bool proxy = false;    // agent -> fault proxy -> remote
  std::string data_dir;  // default: a temp dir
  std::string token;     // remote token (a v1 influxd without auth ignores it)
  std::string admin_token;
  int replications = 1;    // ids acct-repl, acct-repl-1, ...
  std::string remote_url;  // overrides the remote (e.g. a closed port)
  int max_in_flight = 1;   // every replication's maxInFlight
};

class World {
 public:
  explicit World(WorldOptions options = {});
  ~World();

  // Starts both influxds, the proxy and the agent; false (with a reason) when something is
  // missing on this machine: the caller skips visibly.
  bool Up(std::string* why);

  testing::Influxd& local() { return *local_; }
  testing::Influxd& remote() { return *remote_; }
  testing::FaultProxy* proxy() { return proxy_.get(); }
  AgentRunner& agent() { return *agent_; }
  const std::string& dir() const { return dir_.path(); }
  std::string queue_dir(int i = 0) const;
  config::Config BaseConfig() const;

  LoadOptions Load(const std::string& run) const;

  // Waits until the agent has nothing pending and the remote's count stopped moving.
  bool Drain(const std::string& run, std::chrono::seconds timeout);
  // Reads the remote and the agent's counters and balances them against `fates`.
  AccountingReport Check(const std::string& run, const std::vector<PointFate>& fates);
  long long RemoteCount(const std::string& run);

 private:
  WorldOptions options_;
  testing::TempDir dir_;
  std::unique_ptr<testing::Influxd> local_;
  std::unique_ptr<testing::Influxd> remote_;
  std::unique_ptr<testing::FaultProxy> proxy_;
  std::unique_ptr<AgentRunner> agent_;
};

inline constexpr int64_t kBaseNs = 1700000000000000000;

struct LatencyStats {
  size_t n = 0;
  double p50_ms = 0, p99_ms = 0, max_ms = 0;
  std::string ToString() const;
};
// Statistics of the 2xx answers among `samples` taken in [from, to).
LatencyStats Stats(const std::vector<LatencySample>& samples,
                   std::chrono::steady_clock::time_point from,
                   std::chrono::steady_clock::time_point to);

// Kills `agent` with SIGKILL the moment a file whose name ends in `suffix` is created (or renamed
// into) `dir`, or after `timeout` when none is. True when the event triggered the kill.
bool KillOnCreate(AgentRunner& agent, const std::string& dir, const std::string& suffix,
                  std::chrono::milliseconds timeout);

}  // namespace edgerepl::reliability
