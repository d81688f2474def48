// The edgerepl-agent binary as a child process on free loopback ports, for tests that run the
// whole data path against real servers.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

namespace edgerepl::testing {

// The built agent (EDGEREPL_BINARY_DIR/agent/app/edgerepl-agent).
std::string AgentBinary();

class AgentProcess {
 public:
  // `body` is the YAML config without listen/adminListen, which are added with free ports. The
  // config file and the agent's log live in `dir`.
  AgentProcess(const TempDir& dir, std::string body);
  ~AgentProcess();

  // Starts and waits up to 30 s for /readyz = 200 (or just /healthz when `wait_ready` is false).
  // False when the agent exited or did not become ready.
  bool Start(bool wait_ready = true);
  // SIGTERM; returns the exit status (as from waitpid) or -1 on timeout.
  int Stop(std::chrono::milliseconds grace = std::chrono::seconds(30));
  void Kill();
  bool Running();
  void Signal(int sig);
  // Replaces the config body (ports kept) for a reload test.
  void RewriteConfig(const std::string& body);
  void WriteRawConfig(const std::string& text);

  // For the next Start: arguments after the defaults, environment entries ("KEY=VALUE"), and
  // whether --waiting-admin-listen is passed (default yes: it also allows an empty config).
  void SetExtraArgs(std::vector<std::string> args) { extra_args_ = std::move(args); }
  void SetExtraEnv(std::vector<std::string> env) { extra_env_ = std::move(env); }
  void SetWaitingFlag(bool on) { waiting_flag_ = on; }
  // The running process's id (-1 when none) and its resident memory in KiB from
  // /proc/<pid>/status: "VmRSS" now, "VmHWM" the peak. 0 when unknown.
  pid_t pid() const { return process_ ? process_->pid() : -1; }
  long MemoryKiB(const std::string& field = "VmRSS") const;

  int write_port() const { return write_port_; }
  int admin_port() const { return admin_port_; }
  const std::string& config_path() const { return config_path_; }
  const std::string& log_path() const { return log_path_; }
  std::string Log() const;

  // POST /write?<query> (v1) through the agent; returns the status (0: no answer).
  int WriteV1(const std::string& query, const std::string& body, std::string* response = nullptr,
              const std::map<std::string, std::string>& headers = {});
  // GET on the admin port; the body.
  std::string Admin(const std::string& path, int* status = nullptr);
  std::string Replications() { return Admin("/api/v1/replications"); }
  std::string Metrics() { return Admin("/metrics"); }
  // Waits until every replication reports pendingPoints 0; false on timeout.
  bool WaitDrained(std::chrono::seconds timeout);

 private:
  std::string Header() const;

  std::string dir_;
  std::string config_path_;
  std::string log_path_;
  int write_port_;
  int admin_port_;
  std::unique_ptr<ChildProcess> process_;
  std::vector<std::string> extra_args_;
  std::vector<std::string> extra_env_;
  bool waiting_flag_ = true;
};

// The first integer value of `"key":` in a JSON text; -1 when absent.
long long JsonInt(const std::string& json, const std::string& key);
// The first string value of `"key":"…"`; empty when absent.
std::string JsonStr(const std::string& json, const std::string& key);
// The value of a sample line `name{labels} value` (or `name value`) in Prometheus text; -1 when
// absent. `series` is everything before the value, e.g. `edgerepl_queue_bytes{replication="r"}`.
double MetricValue(const std::string& text, const std::string& series);

}  // namespace edgerepl::testing
