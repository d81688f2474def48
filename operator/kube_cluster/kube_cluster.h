// The controllers' cluster seams (operator/controllers/cluster.h) over the Kubernetes client
// library (operator/kube): one list-then-watch informer per kind and watched namespace feeds the
// cache and reports changed namespaces; writes go through the library's RestClient, whose
// write_allowed hook keeps a deposed leader from writing.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "common/clock.h"
#include "operator/controllers/cluster.h"
#include "operator/kube/informer.h"
#include "operator/kube/rest_client.h"

namespace edgerepl::op {

const kube::ResourceType& RemotesType();
const kube::ResourceType& ReplicationsType();

class KubeCluster : public ClusterCache, public ClusterWriter {
 public:
  // `client` and `random` must outlive this. `namespaces` empty = every namespace. `changed(ns)`
  // runs on informer threads after the cache reflects a change in `ns`.
  KubeCluster(kube::RestClient& client, std::vector<std::string> namespaces, Random& random,
              std::function<void(const std::string& ns)> changed);
  ~KubeCluster();

  void Start();
  void Stop();
  bool synced() const;

  std::vector<web::json::value> List(Kind kind, const std::string& ns) const override;
  std::vector<std::string> Namespaces() const override;

  Result<std::optional<web::json::value>> GetSecret(const std::string& ns,
                                                    const std::string& name) override;
  Status CreateSecret(const std::string& ns, const web::json::value& secret) override;
  Status UpdateSecret(const std::string& ns, const web::json::value& secret) override;
  Status PatchStatus(Kind kind, const std::string& ns, const std::string& name,
                     const web::json::value& patch) override;
  Status CreateEvent(const std::string& ns, const web::json::value& event) override;
  Status PatchPod(const std::string& ns, const std::string& name,
                  const web::json::value& patch) override;

 private:
  kube::RestClient& client_;
  std::vector<std::string> namespaces_;
  std::map<Kind, std::vector<std::unique_ptr<kube::Informer>>> informers_;
};

}  // namespace edgerepl::op
