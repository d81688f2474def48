// An informer: a Watcher feeding a Store (one per kind, by namespace/name) and the registered
// handlers. Readers get immutable snapshots of objects (ObjectPtr), so a handler or a reconciler
// may keep one while the cache moves on. Handlers run on the informer's thread, one at a time,
// after the store reflects the change; they should only enqueue keys.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/clock.h"
#include "operator/kube/resource.h"
#include "operator/kube/rest_client.h"
#include "operator/kube/watcher.h"

namespace edgerepl::kube {

// A thread-safe map from MakeKey(namespace, name) to the latest object.
class Store {
 public:
  ObjectPtr Get(std::string_view ns, std::string_view name) const;
  ObjectPtr GetByKey(std::string_view key) const;
  std::vector<ObjectPtr> List() const;
  std::vector<ObjectPtr> ListNamespace(std::string_view ns) const;
  std::vector<std::string> Keys() const;
  size_t size() const;

  void Upsert(ObjectPtr object);
  void Remove(std::string_view key);

 private:
  mutable std::shared_mutex mu_;
  std::map<std::string, ObjectPtr, std::less<>> items_;
};

struct EventHandler {
  std::function<void(const ObjectPtr&)> on_add;
  std::function<void(const ObjectPtr& old_object, const ObjectPtr& new_object)> on_update;
  std::function<void(const ObjectPtr&)> on_delete;  // the last state known
};

class Informer {
 public:
  // `client` and `random` must outlive the informer.
  Informer(RestClient& client, WatcherOptions options, Random& random);
  ~Informer();  // Stop()
  Informer(const Informer&) = delete;
  Informer& operator=(const Informer&) = delete;

  // Register before Start(); handlers registered later miss earlier events.
  void AddHandler(EventHandler handler);
  // Errors of the underlying watcher (it retries by itself).
  void SetErrorHandler(std::function<void(const Status&)> on_error);

  // Starts the list/watch thread.
  void Start();
  void Stop();

  const Store& store() const { return store_; }
  // True once the first list was delivered to the store and the handlers.
  bool HasSynced() const { return synced_.load(); }
  // Waits for HasSynced(); false on timeout or Stop().
  bool WaitForSync(std::chrono::milliseconds timeout);

  const Watcher& watcher() const { return *watcher_; }

 private:
  void OnDelta(const Delta& delta);
  void OnSynced();

  Store store_;
  std::vector<EventHandler> handlers_;
  std::function<void(const Status&)> on_error_;
  std::unique_ptr<Watcher> watcher_;
  std::thread thread_;
  std::atomic<bool> synced_{false};
  std::atomic<bool> stopped_{false};
  std::mutex sync_mu_;
  std::condition_variable sync_cv_;
};

}  // namespace edgerepl::kube
