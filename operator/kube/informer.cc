#include "operator/kube/informer.h"

namespace edgerepl::kube {

ObjectPtr Store::Get(std::string_view ns, std::string_view name) const {
  return GetByKey(MakeKey(ns, name));
}

ObjectPtr Store::GetByKey(std::string_view key) const {
  std::shared_lock<std::shared_mutex> lock(mu_);
  auto it = items_.find(key);
  return it == items_.end() ? nullptr : it->second;
}

std::vector<ObjectPtr> Store::List() const {
  std::shared_lock<std::shared_mutex> lock(mu_);
  std::vector<ObjectPtr> out;
  out.reserve(items_.size());
  for (const auto& [k, v] : items_) out.push_back(v);
  return out;
}

std::vector<ObjectPtr> Store::ListNamespace(std::string_view ns) const {
  std::string prefix(ns);
  prefix += '/';
  std::shared_lock<std::shared_mutex> lock(mu_);
  std::vector<ObjectPtr> out;
  for (auto it = items_.lower_bound(prefix); it != items_.end(); ++it) {
    if (it->first.compare(0, prefix.size(), prefix) != 0) break;
    out.push_back(it->second);
  }
  return out;
}

std::vector<std::string> Store::Keys() const {
  std::shared_lock<std::shared_mutex> lock(mu_);
  std::vector<std::string> out;
  out.reserve(items_.size());
  for (const auto& [k, v] : items_) out.push_back(k);
  return out;
}

size_t Store::size() const {
  std::shared_lock<std::shared_mutex> lock(mu_);
  return items_.size();
}

void Store::Upsert(ObjectPtr object) {
  std::string key = object->Key();
  std::unique_lock<std::shared_mutex> lock(mu_);
  items_[key] = std::move(object);
}

void Store::Remove(std::string_view key) {
  std::unique_lock<std::shared_mutex> lock(mu_);
  auto it = items_.find(key);
  if (it != items_.end()) items_.erase(it);
}

Informer::Informer(RestClient& client, WatcherOptions options, Random& random) {
  WatcherCallbacks callbacks;
  callbacks.on_delta = [this](const Delta& d) { OnDelta(d); };
  callbacks.on_synced = [this] { OnSynced(); };
  callbacks.on_error = [this](const Status& s) {
    if (on_error_) on_error_(s);
  };
  watcher_ = std::make_unique<Watcher>(client, std::move(options), std::move(callbacks), random);
}

Informer::~Informer() {
  Stop();
}

void Informer::AddHandler(EventHandler handler) {
  handlers_.push_back(std::move(handler));
}

void Informer::SetErrorHandler(std::function<void(const Status&)> on_error) {
  on_error_ = std::move(on_error);
}

void Informer::Start() {
  if (thread_.joinable()) return;
  thread_ = std::thread([this] { watcher_->Run(); });
}

void Informer::Stop() {
  {
    std::lock_guard<std::mutex> lock(sync_mu_);
    stopped_.store(true);
  }
  sync_cv_.notify_all();
  watcher_->Stop();
  if (thread_.joinable()) thread_.join();
}

bool Informer::WaitForSync(std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(sync_mu_);
  sync_cv_.wait_for(lock, timeout, [&] { return synced_.load() || stopped_.load(); });
  return synced_.load();
}

void Informer::OnDelta(const Delta& delta) {
  // The store changes first, so a handler that looks the key up sees the new state.
  switch (delta.type) {
    case DeltaType::kAdded:
      store_.Upsert(delta.object);
      for (auto& h : handlers_) {
        if (h.on_add) h.on_add(delta.object);
      }
      break;
    case DeltaType::kUpdated:
      store_.Upsert(delta.object);
      for (auto& h : handlers_) {
        if (h.on_update) h.on_update(delta.old, delta.object);
      }
      break;
    case DeltaType::kDeleted:
      store_.Remove(delta.object->Key());
      for (auto& h : handlers_) {
        if (h.on_delete) h.on_delete(delta.object);
      }
      break;
  }
}

void Informer::OnSynced() {
  {
    std::lock_guard<std::mutex> lock(sync_mu_);
    synced_.store(true);
  }
  sync_cv_.notify_all();
}

}  // namespace edgerepl::kube
