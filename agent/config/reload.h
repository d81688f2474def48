// Hot reload of the agent's config file (DESIGN.md §5): on SIGHUP and whenever the file changes.
//
// The file's DIRECTORY is watched with inotify, not the file: Kubernetes updates a mounted
// Secret by writing a new timestamped directory and renaming a `..data` symlink over the old
// one, so the file's own inode never changes. Bursts of events are debounced; then the file is
// re-parsed, and the apply callback runs only when the new config is valid and its ConfigHash
// differs. The directories of tokenFiles are watched as well, so a rotated token is picked
// up. An invalid file keeps the old config: the error is logged (it never holds a token)
// and reported, so the agent can set edgerepl_config_last_reload_successful to 0. An empty file
// counts as invalid on reload (it is usually a file caught mid-rewrite).
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/config/config.h"
#include "common/config/parse.h"
#include "common/status.h"

namespace edgerepl::config {

struct ReloadOptions {
  std::string path;  // the config file
  ParseOptions parse;
  // Quiet time after the last file event before re-reading, so a file written in several steps
  // is read once, whole.
  std::chrono::milliseconds debounce{200};
};

class ConfigReloader {
 public:
  // Runs on the reloader thread (or the ReloadNow caller) with a new, valid, changed config.
  using ApplyFn = std::function<void(const Config& config)>;
  // Runs after every reload attempt: OK when the file was valid (applied or unchanged), else the
  // error (its message names the field path and never holds a token).
  using ReportFn = std::function<void(const Status& outcome)>;

  // `current` is the config in effect now (its hash is the baseline for "changed").
  ConfigReloader(ReloadOptions options, const Config& current, ApplyFn apply, ReportFn report);
  ~ConfigReloader();  // Stop()s; also unroutes SIGHUP if it pointed here
  ConfigReloader(const ConfigReloader&) = delete;
  ConfigReloader& operator=(const ConfigReloader&) = delete;

  // Starts watching the file's directory and the reloader thread.
  Status Start();
  void Stop();

  // Asks the reloader thread to reload now, without debounce. Async-signal-safe (one write to
  // an eventfd), so a SIGHUP handler or a signalfd loop in main may call it.
  void RequestReload();

  // Re-reads the file on the calling thread (serialized with the reloader thread). `applied` is
  // set to whether the apply callback ran. The callbacks may call current_hash() and the
  // counters, but not ReloadNow().
  Status ReloadNow(bool* applied = nullptr);

  std::string current_hash() const;
  uint64_t successful_reloads() const { return ok_count_.load(); }
  uint64_t failed_reloads() const { return failed_count_.load(); }

 private:
  void Run();
  Result<Config> LoadEffective() const;
  // Watches a tokenFile's directory too, so a rotated token file reloads.
  void AddTokenWatch(const std::string& dir);
  std::string TokenPath(const std::string& token_file) const;

  const ReloadOptions options_;
  const ApplyFn apply_;
  const ReportFn report_;
  std::mutex reload_mu_;  // serializes reloads (held while the callbacks run)
  mutable std::mutex hash_mu_;
  std::string current_hash_;  // GUARDED_BY(hash_mu_)
  int inotify_fd_ = -1;
  int event_fd_ = -1;
  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> ok_count_{0};
  std::atomic<uint64_t> failed_count_{0};
  std::thread thread_;
  std::vector<std::string> token_dirs_;  // token directories of the initial config
};

// Installs a SIGHUP handler that calls `reloader->RequestReload()`; nullptr restores the default
// action. One target per process; `reloader` must stay alive until unrouted (its destructor
// unroutes itself). Agents that handle signals with signalfd/sigwait call RequestReload()
// themselves instead.
Status RouteSighupTo(ConfigReloader* reloader);

}  // namespace edgerepl::config
