// One budget for the request bodies held in memory across all connections of a server. A body
// is read whole before its handler runs, so without it the memory a server may hold is
// connections × the body limit (10,000 × 32 MiB); with it, about the budget.
//
// Nothing here blocks: the server's io threads ask for memory, and one that must wait for it is
// woken by a later release, so a connection waiting for memory holds no thread.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>

namespace edgerepl::httpserver {

class BodyBudget {
 public:
  // `limit` 0: no budget (every request fits at once).
  explicit BodyBudget(uint64_t limit) : limit_(limit) {}

  // Raising the limit wakes every watcher.
  void SetLimit(uint64_t limit);
  // Takes `bytes` more for a request that holds `own` already when they fit now: what does not
  // fit under the limit is granted while no other request holds any, so one body over the whole
  // budget (maxBodyBytes above it) still gets through, alone.
  bool TryAcquire(uint64_t bytes, uint64_t own);
  // TryAcquire; when that fails, `wake` is registered under the same lock (so a release between
  // the two is not missed) and called after every later release or SetLimit, on that caller's
  // thread and without the lock held, until Forget. Returns 0 when acquired, else the watch's id.
  uint64_t AcquireOrWatch(uint64_t bytes, uint64_t own, std::function<void()> wake);
  void Forget(uint64_t watch);
  // Forgets every watch and registers no more: the server is going away.
  void Close();
  void Release(uint64_t bytes);
  uint64_t held() const;
  uint64_t limit() const;

 private:
  bool FitsLocked(uint64_t bytes, uint64_t own) const;
  void WakeAll();

  mutable std::mutex mu_;
  uint64_t limit_;                                      // GUARDED_BY(mu_)
  uint64_t held_ = 0;                                   // GUARDED_BY(mu_)
  uint64_t next_watch_ = 1;                             // GUARDED_BY(mu_)
  bool closed_ = false;                                 // GUARDED_BY(mu_)
  std::map<uint64_t, std::function<void()>> watchers_;  // GUARDED_BY(mu_)
};

}  // namespace edgerepl::httpserver
