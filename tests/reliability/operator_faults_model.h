// What the operator must converge to, kept by the test as it changes objects through the API:
// Remotes with token Secrets, Replications pointing at them (or at a Remote that does not exist),
// all created, edited and deleted at random (seeded). Converged() reads the cluster and compares
// the rendered agent config Secret and every object's status with what the final specs say,
// computed here from the specs alone (not with the operator's own rendering code).
#pragma once

#include <cstdint>
#include <map>
#include <random>
#include <set>
#include <string>

#include "common/status.h"
#include "operator/kube/rest_client.h"

namespace edgerepl::reliability {

class OperatorFaultsModel {
 public:
  // Objects go into namespace `ns` (which must exist) through `client`. Tokens are
  // `token_prefix` + a counter, so a scan can look for the prefix.
  OperatorFaultsModel(kube::RestClient& client, std::string ns, uint32_t seed,
                      std::string token_prefix, int remotes = 2, int replications = 4);

  // The initial objects: every Remote with its Secret, every Replication.
  Status CreateAll();
  // One random change (token rotation, Secret deleted or recreated, Replication edited, moved to
  // another or a missing Remote, suspended, deleted or recreated, Remote URL changed). `what`
  // says which. The model follows only changes the API accepted.
  Status MutateOnce(std::string* what = nullptr);

  // True when the config Secret and every status match the specs; otherwise `diff` says what
  // differs first. Errors reading the API count as not converged.
  bool Converged(std::string* diff);

  const std::string& ns() const { return ns_; }
  // Every token value ever written, for the secrets scan.
  const std::set<std::string>& tokens() const { return tokens_; }
  int mutations() const { return mutations_; }

 private:
  struct RemoteSpec {
    std::string url;
    bool secret = true;
    std::string token;
  };
  struct ReplicationSpec {
    bool present = true;
    std::string remote;
    std::string local_bucket;
    std::string remote_bucket;
    int64_t max_queue = 0;
    bool suspend = false;
  };

  Status PutRemote(const std::string& name);
  Status PutSecret(const std::string& remote, const std::string& token);
  Status PutReplication(const std::string& name, const ReplicationSpec& spec);
  Status PatchReplication(const std::string& name, const std::string& spec_json);
  std::string NextToken();
  std::string SecretName(const std::string& remote) const { return remote + "-token"; }
  bool Resolved(const std::string& remote) const;
  bool CheckConfig(std::string* diff);
  bool CheckStatus(const std::string& plural, const std::string& name,
                   const std::string& want_ready, std::string* diff);

  kube::RestClient& client_;
  std::string ns_;
  std::mt19937 random_;
  std::string token_prefix_;
  int counter_ = 0;
  int mutations_ = 0;
  std::map<std::string, RemoteSpec> remotes_;
  std::map<std::string, ReplicationSpec> replications_;
  std::set<std::string> tokens_;
};

// The Replication Ready condition the operator must report for a Replication with no agent pods:
// "False/RemoteNotFound", "False/RemoteNotReady" or (in the config, but nobody runs it)
// "False/NoAgents".
std::string ExpectedReplicationReady(bool remote_exists, bool remote_resolved);

}  // namespace edgerepl::reliability
