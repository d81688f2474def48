// The real agent binary as a child process for reliability scenarios: config rendered through
// the shared config model, fixed ports across restarts (so clients and the fault proxy keep
// their targets), kill -9, and reads of its admin endpoints.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/config/config.h"
#include "tests/reliability/prom_text.h"
#include "tests/support/process.h"

namespace edgerepl::reliability {

// The agent executable: $EDGEREPL_AGENT_BIN, else edgerepl-agent in the build tree
// ($EDGEREPL_BINARY_DIR, or the tree this test binary is in). nullopt when it is not built.
std::optional<std::string> FindAgentBinary();

class AgentRunner {
 public:
  // `config` is completed with listen/adminListen on fixed free loopback ports. The config file
  // and the log (appended across restarts) live in `work_dir`.
  AgentRunner(std::string binary, config::Config config, const std::string& work_dir);
  ~AgentRunner();

  const config::Config& config() const { return config_; }
  int write_port() const { return write_port_; }
  int admin_port() const { return admin_port_; }
  const std::string& config_path() const { return config_path_; }
  const std::string& log_path() const { return log_path_; }

  // Writes the config file (again) and starts the process; Ready waits for /readyz 200.
  void Start();
  bool WaitReady(std::chrono::milliseconds timeout);
  bool Running();
  pid_t pid() const;
  void Kill9();
  void Stop();  // SIGTERM, then SIGKILL after a grace period
  // Where the next Start's output goes (by default work_dir/agent.log, appended across
  // restarts); the crash loop gives every cycle a log of its own.
  void SetLogPath(std::string path) { log_path_ = std::move(path); }
  // Replaces the config on disk (applies at the next Start, or on reload).
  void SetConfig(config::Config config);

  std::vector<PromSample> Metrics();  // empty when the admin port does not answer
  std::string AdminGet(const std::string& path, int* status = nullptr);
  // Resident set size of the process in KiB (from /proc), 0 if unknown; the peak with
  // `field` = "VmHWM".
  long RssKiB(const std::string& field = "VmRSS") const;

 private:
  std::string binary_;
  config::Config config_;
  std::string log_path_;
  std::string config_path_;
  int write_port_;
  int admin_port_;
  std::unique_ptr<testing::ChildProcess> process_;
};

}  // namespace edgerepl::reliability
