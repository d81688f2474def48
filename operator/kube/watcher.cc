// fmt (through spdlog) must be seen before cpprestsdk's headers.
#include <spdlog/spdlog.h>

#include "operator/kube/watcher.h"

#include <algorithm>

#include "operator/kube/event_decoder.h"

namespace edgerepl::kube {

std::string_view DeltaTypeName(DeltaType type) {
  switch (type) {
    case DeltaType::kAdded:
      return "added";
    case DeltaType::kUpdated:
      return "updated";
    case DeltaType::kDeleted:
      return "deleted";
  }
  return "unknown";
}

Watcher::Watcher(RestClient& client, WatcherOptions options, WatcherCallbacks callbacks,
                 Random& random)
    : client_(client),
      options_(std::move(options)),
      callbacks_(std::move(callbacks)),
      random_(random) {}

std::string Watcher::last_resource_version() const {
  std::lock_guard<std::mutex> lock(mu_);
  return resource_version_;
}

void Watcher::Stop() {
  std::lock_guard<std::mutex> lock(mu_);
  stopped_.store(true);
  if (stream_ != nullptr) stream_->Cancel();
  stop_cv_.notify_all();
}

std::string Watcher::Describe() const {
  std::string what = options_.type.plural;
  if (!options_.namespace_.empty()) what += " in " + options_.namespace_;
  if (!options_.label_selector.empty()) what += " (" + options_.label_selector + ")";
  return what;
}

bool Watcher::SleepUnlessStopped(std::chrono::milliseconds d) {
  std::unique_lock<std::mutex> lock(mu_);
  return !stop_cv_.wait_for(lock, d, [&] { return stopped_.load(); });
}

std::chrono::milliseconds Watcher::NextBackoff() {
  const int64_t min = options_.backoff_min.count();
  const int64_t max = options_.backoff_max.count();
  int64_t d = min;
  for (int i = 0; i < failures_ && d < max; ++i) d *= 2;
  d = std::min(d, max);
  ++failures_;
  d += static_cast<int64_t>(random_.Uniform(static_cast<uint64_t>(d) + 1));
  return std::chrono::milliseconds(std::min(d, max));
}

void Watcher::Deliver(const Delta& delta) {
  if (callbacks_.on_delta) callbacks_.on_delta(delta);
}

void Watcher::Run() {
  Clock& clock = client_.clock();
  bool need_list = true;
  auto healthy_since = clock.Now();
  while (!stopped_.load()) {
    Status s;
    if (need_list) {
      s = Relist();
      if (s.ok()) need_list = false;
    }
    if (s.ok()) {
      auto started = clock.Now();
      s = WatchOnce();
      if (s.ok() && clock.Now() - started < std::chrono::seconds(1) && watches_.load() > 1) {
        // A server that ends every watch at once would otherwise be hammered in a tight loop.
        s = Status::Unavailable("watch ended immediately");
      }
      if (IsGone(s)) {
        // The version is compacted away: only a relist can continue, and it should happen now.
        spdlog::info("watch {}: {}; relisting", Describe(), s.ToString());
        if (callbacks_.on_error) callbacks_.on_error(s);
        need_list = true;
        continue;
      }
    }
    if (s.ok()) continue;
    if (stopped_.load()) break;
    if (callbacks_.on_error) callbacks_.on_error(s);
    if (clock.Now() - healthy_since >= options_.backoff_reset_after) failures_ = 0;
    // Without a word here a watch that keeps failing (the API server away, RBAC refusing the
    // list) leaves the operator unready with nothing in its log saying why.
    std::chrono::milliseconds wait = NextBackoff();
    spdlog::warn("watch {}: {}; retrying in {} ms", Describe(), s.ToString(), wait.count());
    if (!SleepUnlessStopped(wait)) break;
    healthy_since = clock.Now();
  }
}

Status Watcher::Relist() {
  ListOptions lo;
  lo.label_selector = options_.label_selector;
  lo.field_selector = options_.field_selector;
  lo.limit = options_.page_size;
  Result<ObjectList> list = client_.List(options_.type, options_.namespace_, lo);
  if (stopped_.load()) return Status::Aborted("watcher stopped");
  if (!list.ok()) return list.status();
  lists_.fetch_add(1);

  std::map<std::string, ObjectPtr> fresh;
  for (Object& item : list->items) {
    auto ptr = std::make_shared<const Object>(std::move(item));
    fresh.emplace(ptr->Key(), std::move(ptr));
  }
  // Vanished objects first, so a handler never sees more objects than exist.
  for (const auto& [key, old] : known_) {
    if (fresh.find(key) == fresh.end()) Deliver({DeltaType::kDeleted, old, nullptr});
  }
  for (const auto& [key, obj] : fresh) {
    auto it = known_.find(key);
    if (it == known_.end()) {
      Deliver({DeltaType::kAdded, obj, nullptr});
    } else if (it->second->resource_version() != obj->resource_version()) {
      Deliver({DeltaType::kUpdated, obj, it->second});
    }
  }
  known_ = std::move(fresh);
  {
    std::lock_guard<std::mutex> lock(mu_);
    resource_version_ = list->resource_version;
  }
  if (callbacks_.on_synced) callbacks_.on_synced();
  return Status::Ok();
}

Status Watcher::WatchOnce() {
  WatchOptions wo;
  wo.label_selector = options_.label_selector;
  wo.field_selector = options_.field_selector;
  wo.resource_version = last_resource_version();
  wo.allow_bookmarks = true;
  wo.timeout_seconds = options_.timeout_seconds;
  Result<StreamResponse> resp = client_.Watch(options_.type, options_.namespace_, wo);
  if (!resp.ok()) return resp.status();
  watches_.fetch_add(1);
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopped_.load()) return Status::Aborted("watcher stopped");
    stream_ = resp->body.get();
  }
  // The server ends the watch after timeoutSeconds; silence well past that is a dead connection.
  const auto idle = std::chrono::seconds(options_.timeout_seconds + 5);
  EventDecoder decoder;
  std::string chunk;
  Status result;
  for (;;) {
    Result<bool> more = resp->body->Read(&chunk, idle);
    if (!more.ok()) {
      result = more.status();
      break;
    }
    if (!*more) {
      if (decoder.pending() > 0) result = Status::Unavailable("watch stream ended mid-event");
      break;
    }
    decoder.Feed(chunk);
    chunk.clear();
    bool failed = false;
    for (;;) {
      Result<std::optional<std::string>> event = decoder.Next();
      if (!event.ok()) {
        result = Status::Unavailable(event.status().message());
        failed = true;
        break;
      }
      if (!event->has_value()) break;
      Status handled = HandleEvent(**event);
      if (!handled.ok()) {
        result = handled;
        failed = true;
        break;
      }
    }
    if (failed) break;
  }
  std::lock_guard<std::mutex> lock(mu_);
  stream_ = nullptr;
  if (stopped_.load()) return Status::Aborted("watcher stopped");
  return result;
}

Status Watcher::HandleEvent(const std::string& text) {
  Result<Object> event = Object::Parse(text);
  if (!event.ok()) return Status::Unavailable("watch event: " + event.status().message());
  std::string type = Object::StringField(event->json(), "type");
  const web::json::value& raw = Object::Field(event->json(), "object");
  if (!raw.is_object()) return Status::Unavailable("watch event without an object: " + type);
  if (type == "ERROR") return StatusFromStatusObject(raw);

  auto obj = std::make_shared<Object>(raw);
  std::string rv = obj->resource_version();
  if (type == "BOOKMARK") {
    if (!rv.empty()) {
      std::lock_guard<std::mutex> lock(mu_);
      resource_version_ = rv;
    }
    return Status::Ok();
  }
  if (obj->kind().empty()) obj->set_type(options_.type);
  ObjectPtr ptr = std::move(obj);
  std::string key = ptr->Key();
  if (type == "ADDED" || type == "MODIFIED") {
    auto it = known_.find(key);
    if (it == known_.end()) {
      known_.emplace(key, ptr);
      Deliver({DeltaType::kAdded, ptr, nullptr});
    } else if (it->second->resource_version() != rv) {
      ObjectPtr old = it->second;
      it->second = ptr;
      Deliver({DeltaType::kUpdated, ptr, old});
    }
  } else if (type == "DELETED") {
    known_.erase(key);
    Deliver({DeltaType::kDeleted, ptr, nullptr});
  } else {
    return Status::Unavailable("watch event of unknown type \"" + type + "\"");
  }
  if (!rv.empty()) {
    std::lock_guard<std::mutex> lock(mu_);
    resource_version_ = rv;
  }
  return Status::Ok();
}

}  // namespace edgerepl::kube
