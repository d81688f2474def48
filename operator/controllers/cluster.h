// The controllers' seams to the cluster: a read side (the informers' caches; reconcilers read
// the cache, never the triggering event) and a write side (the few writes the operator makes).
// The app wires both to operator/kube; unit tests use in-memory fakes.
#pragma once

#include <cpprest/json.h>

#include <optional>
#include <string>
#include <vector>

#include "common/status.h"

namespace edgerepl::op {

enum class Kind { kRemote, kReplication, kSecret, kPod };

class ClusterCache {
 public:
  virtual ~ClusterCache() = default;
  // Every cached object of `kind` in `ns` (agent pods only for kPod), as the API returned them.
  virtual std::vector<web::json::value> List(Kind kind, const std::string& ns) const = 0;
  // Every namespace holding a Remote, a Replication or an agent pod.
  virtual std::vector<std::string> Namespaces() const = 0;
};

class ClusterWriter {
 public:
  virtual ~ClusterWriter() = default;
  // A fresh read (not the cache) for optimistic concurrency; nullopt when it does not exist.
  virtual Result<std::optional<web::json::value>> GetSecret(const std::string& ns,
                                                            const std::string& name) = 0;
  // kConflict when it exists already (create) or the resourceVersion is stale (update).
  virtual Status CreateSecret(const std::string& ns, const web::json::value& secret) = 0;
  virtual Status UpdateSecret(const std::string& ns, const web::json::value& secret) = 0;
  // application/merge-patch+json on the /status subresource.
  virtual Status PatchStatus(Kind kind, const std::string& ns, const std::string& name,
                             const web::json::value& patch) = 0;
  virtual Status CreateEvent(const std::string& ns, const web::json::value& event) = 0;
  // application/merge-patch+json on a pod (the operator sets one annotation on agent pods).
  virtual Status PatchPod(const std::string& ns, const std::string& name,
                          const web::json::value& patch) = 0;
};

// GET http://<ip>:<port>/api/v1/replications of one agent: the body, or why it could not be read.
class AgentClient {
 public:
  virtual ~AgentClient() = default;
  // The operator's reads carry the namespace's admin token (empty while it has none), so they
  // are its own calls as the agents see them; reads are open, so an agent that has not loaded a
  // rotated token yet still answers.
  virtual Result<std::string> GetReplications(const std::string& ip, int port,
                                              const std::string& admin_token) = 0;
};

}  // namespace edgerepl::op
