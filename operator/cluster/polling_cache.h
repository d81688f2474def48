// ClusterCache over the REST API by periodic LIST: Remotes, Replications, Secrets and agent
// Pods (label app.kubernetes.io/component=edgerepl-agent) of the watched namespaces. Refresh()
// swaps in a kind's whole list at once (readers never see half a relist) and returns the
// namespaces whose objects changed (by name and resourceVersion), which the caller enqueues.
#pragma once

#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "operator/cluster/api_client.h"
#include "operator/controllers/cluster.h"

namespace edgerepl::op {

class PollingCache : public ClusterCache {
 public:
  // `namespaces` empty = every namespace. `api` must outlive the cache.
  PollingCache(ApiClient& api, std::vector<std::string> namespaces);

  // Lists every kind once. On error the previous lists stay; the namespaces changed so far are
  // still returned through `changed`.
  Status Refresh(std::set<std::string>* changed);
  bool synced() const;

  std::vector<web::json::value> List(Kind kind, const std::string& ns) const override;
  std::vector<std::string> Namespaces() const override;

 private:
  Status RefreshKind(Kind kind, std::set<std::string>* changed);

  ApiClient& api_;
  std::vector<std::string> namespaces_;
  mutable std::mutex mu_;
  // kind -> namespace -> name -> object
  std::map<Kind, std::map<std::string, std::map<std::string, web::json::value>>> objects_;
  std::set<Kind> synced_kinds_;
};

}  // namespace edgerepl::op
