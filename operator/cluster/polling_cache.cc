#include "operator/cluster/polling_cache.h"

#include "operator/model/decode.h"

namespace edgerepl::op {
namespace {

struct KindPath {
  const char* group_version;
  const char* plural;
  const char* query;
};

KindPath PathOf(Kind kind) {
  switch (kind) {
    case Kind::kRemote:
      return {"edgerepl.io/v1alpha1", "remotes", ""};
    case Kind::kReplication:
      return {"edgerepl.io/v1alpha1", "replications", ""};
    case Kind::kSecret:
      return {"v1", "secrets", ""};
    case Kind::kPod:
      return {"v1", "pods", "?labelSelector=app.kubernetes.io%2Fcomponent%3Dedgerepl-agent"};
  }
  return {"v1", "", ""};
}

}  // namespace

PollingCache::PollingCache(ApiClient& api, std::vector<std::string> namespaces)
    : api_(api), namespaces_(std::move(namespaces)) {}

Status PollingCache::Refresh(std::set<std::string>* changed) {
  Status first;
  for (Kind kind : {Kind::kRemote, Kind::kReplication, Kind::kSecret, Kind::kPod}) {
    Status s = RefreshKind(kind, changed);
    if (!s.ok() && first.ok()) first = s;
  }
  return first;
}

Status PollingCache::RefreshKind(Kind kind, std::set<std::string>* changed) {
  KindPath p = PathOf(kind);
  std::map<std::string, std::map<std::string, web::json::value>> fresh;
  std::vector<std::string> scopes =
      namespaces_.empty() ? std::vector<std::string>{""} : namespaces_;
  for (const std::string& ns : scopes) {
    Result<web::json::value> list =
        api_.Get(CollectionPath(p.group_version, p.plural, ns) + p.query);
    if (!list.ok()) return list.status();
    if (!list->has_array_field("items")) continue;
    for (const web::json::value& item : list->at("items").as_array()) {
      ObjectMeta m = DecodeMeta(item);
      fresh[m.namespace_][m.name] = item;
    }
  }
  std::lock_guard<std::mutex> lock(mu_);
  auto& old = objects_[kind];
  std::set<std::string> all_ns;
  for (const auto& [ns, objs] : old) all_ns.insert(ns);
  for (const auto& [ns, objs] : fresh) all_ns.insert(ns);
  for (const std::string& ns : all_ns) {
    auto a = old.find(ns);
    auto b = fresh.find(ns);
    if (a == old.end() || b == fresh.end()) {
      changed->insert(ns);
      continue;
    }
    if (a->second.size() != b->second.size()) {
      changed->insert(ns);
      continue;
    }
    for (const auto& [name, obj] : b->second) {
      auto o = a->second.find(name);
      if (o == a->second.end() ||
          DecodeMeta(o->second).resource_version != DecodeMeta(obj).resource_version) {
        changed->insert(ns);
        break;
      }
    }
  }
  old = std::move(fresh);
  synced_kinds_.insert(kind);
  return Status::Ok();
}

bool PollingCache::synced() const {
  std::lock_guard<std::mutex> lock(mu_);
  return synced_kinds_.size() == 4;
}

std::vector<web::json::value> PollingCache::List(Kind kind, const std::string& ns) const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<web::json::value> out;
  auto k = objects_.find(kind);
  if (k == objects_.end()) return out;
  auto n = k->second.find(ns);
  if (n == k->second.end()) return out;
  for (const auto& [name, obj] : n->second) out.push_back(obj);
  return out;
}

std::vector<std::string> PollingCache::Namespaces() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::set<std::string> seen;
  for (Kind kind : {Kind::kRemote, Kind::kReplication, Kind::kPod}) {
    auto k = objects_.find(kind);
    if (k == objects_.end()) continue;
    for (const auto& [ns, objs] : k->second) {
      if (!objs.empty()) seen.insert(ns);
    }
  }
  return {seen.begin(), seen.end()};
}

}  // namespace edgerepl::op
