#include "operator/kube_cluster/kube_cluster.h"

#include <set>

#include "operator/model/resources.h"

namespace edgerepl::op {
namespace {

const kube::ResourceType& TypeOf(Kind kind) {
  switch (kind) {
    case Kind::kRemote:
      return RemotesType();
    case Kind::kReplication:
      return ReplicationsType();
    case Kind::kSecret:
      return kube::SecretsType();
    case Kind::kPod:
      return kube::PodsType();
  }
  return kube::SecretsType();
}

}  // namespace

const kube::ResourceType& RemotesType() {
  static const kube::ResourceType t{kGroup, kVersion, "remotes", "Remote", true};
  return t;
}

const kube::ResourceType& ReplicationsType() {
  static const kube::ResourceType t{kGroup, kVersion, "replications", "Replication", true};
  return t;
}

KubeCluster::KubeCluster(kube::RestClient& client, std::vector<std::string> namespaces,
                         Random& random, std::function<void(const std::string& ns)> changed)
    : client_(client), namespaces_(std::move(namespaces)) {
  std::vector<std::string> scopes =
      namespaces_.empty() ? std::vector<std::string>{""} : namespaces_;
  for (Kind kind : {Kind::kRemote, Kind::kReplication, Kind::kSecret, Kind::kPod}) {
    for (const std::string& ns : scopes) {
      kube::WatcherOptions options;
      options.type = TypeOf(kind);
      options.namespace_ = ns;
      if (kind == Kind::kPod) {
        options.label_selector = std::string(kAgentComponentLabel) + "=" + kAgentComponentValue;
      }
      auto informer = std::make_unique<kube::Informer>(client, options, random);
      kube::EventHandler handler;
      handler.on_add = [changed](const kube::ObjectPtr& o) { changed(o->namespace_()); };
      handler.on_update = [changed](const kube::ObjectPtr&, const kube::ObjectPtr& o) {
        changed(o->namespace_());
      };
      handler.on_delete = [changed](const kube::ObjectPtr& o) { changed(o->namespace_()); };
      informer->AddHandler(std::move(handler));
      informers_[kind].push_back(std::move(informer));
    }
  }
}

KubeCluster::~KubeCluster() {
  Stop();
}

void KubeCluster::Start() {
  for (auto& [kind, list] : informers_) {
    for (auto& i : list) i->Start();
  }
}

void KubeCluster::Stop() {
  for (auto& [kind, list] : informers_) {
    for (auto& i : list) i->Stop();
  }
}

bool KubeCluster::synced() const {
  for (const auto& [kind, list] : informers_) {
    for (const auto& i : list) {
      if (!i->HasSynced()) return false;
    }
  }
  return true;
}

std::vector<web::json::value> KubeCluster::List(Kind kind, const std::string& ns) const {
  std::vector<web::json::value> out;
  auto it = informers_.find(kind);
  if (it == informers_.end()) return out;
  for (const auto& informer : it->second) {
    for (const kube::ObjectPtr& o : informer->store().ListNamespace(ns)) out.push_back(o->json());
  }
  return out;
}

std::vector<std::string> KubeCluster::Namespaces() const {
  std::set<std::string> seen;
  for (Kind kind : {Kind::kRemote, Kind::kReplication, Kind::kPod}) {
    auto it = informers_.find(kind);
    if (it == informers_.end()) continue;
    for (const auto& informer : it->second) {
      for (const kube::ObjectPtr& o : informer->store().List()) seen.insert(o->namespace_());
    }
  }
  return {seen.begin(), seen.end()};
}

Result<std::optional<web::json::value>> KubeCluster::GetSecret(const std::string& ns,
                                                               const std::string& name) {
  Result<kube::Object> s = client_.Get(kube::SecretsType(), ns, name);
  if (s.ok()) return std::optional<web::json::value>(s->json());
  if (s.status().code() == StatusCode::kNotFound) return std::optional<web::json::value>();
  return s.status();
}

Status KubeCluster::CreateSecret(const std::string& ns, const web::json::value& secret) {
  return client_.Create(kube::SecretsType(), ns, kube::Object(secret)).status();
}

Status KubeCluster::UpdateSecret(const std::string&, const web::json::value& secret) {
  return client_.Update(kube::SecretsType(), kube::Object(secret)).status();
}

Status KubeCluster::PatchStatus(Kind kind, const std::string& ns, const std::string& name,
                                const web::json::value& patch) {
  return client_.MergePatch(TypeOf(kind), ns, name, patch, "status").status();
}

Status KubeCluster::CreateEvent(const std::string& ns, const web::json::value& event) {
  return client_.Create(kube::EventsType(), ns, kube::Object(event)).status();
}

Status KubeCluster::PatchPod(const std::string& ns, const std::string& name,
                             const web::json::value& patch) {
  return client_.MergePatch(TypeOf(Kind::kPod), ns, name, patch).status();
}

}  // namespace edgerepl::op
