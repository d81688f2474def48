// List-then-watch for one resource type, as client-go's reflector and kube-rs's watcher do it:
//   list (paged) -> deliver the difference to what was known -> Synced -> watch from the list's
//   resourceVersion (allowWatchBookmarks, timeoutSeconds ~290) -> on a clean end or a dropped
//   connection resume from the last seen version -> on 410 Gone (HTTP status or ERROR event)
//   relist and deliver the difference as added / updated / deleted.
// Failures back off 800 ms -> 30 s with full jitter, reset after two healthy minutes. A stream that
// stays silent past timeoutSeconds + 5 s counts as dropped.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "common/clock.h"
#include "operator/kube/resource.h"
#include "operator/kube/rest_client.h"

namespace edgerepl::kube {

enum class DeltaType { kAdded, kUpdated, kDeleted };
std::string_view DeltaTypeName(DeltaType type);

struct Delta {
  DeltaType type;
  ObjectPtr object;  // the new state; for kDeleted the last state known
  ObjectPtr old;     // kUpdated: the state before (null otherwise)
};

struct WatcherOptions {
  ResourceType type;
  std::string namespace_;  // "" : all namespaces
  std::string label_selector;
  std::string field_selector;
  int64_t page_size = 500;
  int timeout_seconds = 290;
  std::chrono::milliseconds backoff_min{800};
  std::chrono::milliseconds backoff_max{30000};
  std::chrono::seconds backoff_reset_after{120};
};

struct WatcherCallbacks {
  // Every change, in order. Called on the watcher's thread.
  std::function<void(const Delta&)> on_delta;
  // After each complete (re)list has been delivered.
  std::function<void()> on_synced;
  // A failed step (the watcher retries by itself); for logs and metrics.
  std::function<void(const Status&)> on_error;
};

class Watcher {
 public:
  // `client`, `random` must outlive the watcher. Sleeps use the client's clock.
  Watcher(RestClient& client, WatcherOptions options, WatcherCallbacks callbacks, Random& random);

  // Runs until Stop(); blocks the calling thread.
  void Run();
  // Ends Run() promptly (cancels the open stream, interrupts the backoff wait). Thread-safe.
  void Stop();

  // Counters for tests and logs.
  int lists() const { return lists_.load(); }
  int watches() const { return watches_.load(); }
  std::string last_resource_version() const;

 private:
  // One list; delivers the difference. kAborted when stopped.
  Status Relist();
  // One watch connection until it ends. Returns kAborted with ApiCode 410 when the version
  // expired, ok when the server ended the watch normally.
  Status WatchOnce();
  Status HandleEvent(const std::string& text);
  void Deliver(const Delta& delta);
  bool SleepUnlessStopped(std::chrono::milliseconds d);
  // client-go's watch backoff: min * 2^failures capped at max, plus up to as much again in jitter
  // (capped at max too).
  std::chrono::milliseconds NextBackoff();
  // "secrets", "pods in edge (app=x)": what this watcher watches, for log lines.
  std::string Describe() const;

  RestClient& client_;
  const WatcherOptions options_;
  const WatcherCallbacks callbacks_;
  Random& random_;
  int failures_ = 0;

  std::map<std::string, ObjectPtr> known_;  // what was delivered, by key (watcher thread only)
  mutable std::mutex mu_;
  std::string resource_version_;  // guarded by mu_
  BodyStream* stream_ = nullptr;  // guarded by mu_; the open watch, for Stop()
  std::condition_variable stop_cv_;
  std::atomic<bool> stopped_{false};
  std::atomic<int> lists_{0};
  std::atomic<int> watches_{0};
};

}  // namespace edgerepl::kube
