#include "tests/reliability/operator_faults_model.h"

#include <algorithm>
#include <sstream>
#include <vector>

#include "common/codec/base64.h"
#include "common/config/parse.h"

namespace edgerepl::reliability {
namespace {

using web::json::value;

const kube::ResourceType& Remotes() {
  static const kube::ResourceType t{"edgerepl.io", "v1alpha1", "remotes", "Remote", true};
  return t;
}
const kube::ResourceType& Replications() {
  static const kube::ResourceType t{"edgerepl.io", "v1alpha1", "replications", "Replication", true};
  return t;
}

constexpr char kGhostRemote[] = "ghost";  // never created: RemoteNotFound
constexpr char kConfigSecret[] = "edgerepl-agent-config";
constexpr int64_t kMinQueue = 134217728;

std::string Quoted(const std::string& s) {
  return value::string(s).serialize();
}

// "status/reason" of condition `type`, and its observedGeneration.
std::string ConditionOf(const value& object, const std::string& type, int64_t* generation) {
  *generation = -1;
  if (!object.has_object_field("status") || !object.at("status").has_array_field("conditions")) {
    return "";
  }
  for (const value& c : object.at("status").at("conditions").as_array()) {
    if (!c.has_string_field("type") || c.at("type").as_string() != type) continue;
    if (c.has_integer_field("observedGeneration")) {
      *generation = c.at("observedGeneration").as_number().to_int64();
    }
    std::string status = c.has_string_field("status") ? c.at("status").as_string() : "";
    std::string reason = c.has_string_field("reason") ? c.at("reason").as_string() : "";
    return status + "/" + reason;
  }
  return "";
}

}  // namespace

std::string ExpectedReplicationReady(bool remote_exists, bool remote_resolved) {
  if (!remote_exists) return "False/RemoteNotFound";
  if (!remote_resolved) return "False/RemoteNotReady";
  return "False/NoAgents";
}

OperatorFaultsModel::OperatorFaultsModel(kube::RestClient& client, std::string ns, uint32_t seed,
                                         std::string token_prefix, int remotes, int replications)
    : client_(client), ns_(std::move(ns)), random_(seed), token_prefix_(std::move(token_prefix)) {
  for (int i = 0; i < remotes; ++i) {
    remotes_["r" + std::to_string(i)] =
        RemoteSpec{"https://r" + std::to_string(i) + ".example:8086", true, ""};
  }
  for (int i = 0; i < replications; ++i) {
    ReplicationSpec s;
    s.remote = "r" + std::to_string(i % remotes);
    s.local_bucket = "local-" + std::to_string(i);
    s.remote_bucket = "remote-" + std::to_string(i);
    s.max_queue = kMinQueue;
    replications_["p" + std::to_string(i)] = s;
  }
}

std::string OperatorFaultsModel::NextToken() {
  std::string t = token_prefix_ + std::to_string(++counter_);
  tokens_.insert(t);
  return t;
}

Status OperatorFaultsModel::PutSecret(const std::string& remote, const std::string& token) {
  value data = value::object();
  data["token"] = value::string(codec::Base64Encode(token));
  Result<kube::Object> patched =
      client_.MergePatch(kube::SecretsType(), ns_, SecretName(remote), [&] {
        value p = value::object();
        p["data"] = data;
        return p;
      }());
  if (patched.ok()) return Status::Ok();
  if (patched.status().code() != StatusCode::kNotFound) return patched.status();
  kube::Object secret;
  secret.set_name(SecretName(remote));
  secret.set_namespace(ns_);
  secret.json()["type"] = value::string("Opaque");
  secret.json()["data"] = data;
  return client_.Create(kube::SecretsType(), ns_, secret).status();
}

Status OperatorFaultsModel::PutRemote(const std::string& name) {
  const RemoteSpec& r = remotes_.at(name);
  Result<kube::Object> created = client_.Create(
      Remotes(), ns_,
      kube::Object(value::parse(
          R"({"metadata":{"name":)" + Quoted(name) + R"(},"spec":{"url":)" + Quoted(r.url) +
          R"(,"orgID":"0123456789abcdef","protocol":"v2","tokenSecretRef":{"name":)" +
          Quoted(SecretName(name)) + R"(,"key":"token"}}})")));
  return created.status();
}

Status OperatorFaultsModel::PutReplication(const std::string& name, const ReplicationSpec& s) {
  Result<kube::Object> created = client_.Create(
      Replications(), ns_,
      kube::Object(value::parse(
          R"({"metadata":{"name":)" + Quoted(name) + R"(},"spec":{"remoteRef":{"name":)" +
          Quoted(s.remote) + R"(},"localBucket":)" + Quoted(s.local_bucket) +
          R"(,"remoteBucket":)" + Quoted(s.remote_bucket) + R"(,"maxQueueSizeBytes":)" +
          std::to_string(s.max_queue) + R"(,"suspend":)" + (s.suspend ? "true" : "false") + "}}")));
  return created.status();
}

Status OperatorFaultsModel::PatchReplication(const std::string& name,
                                             const std::string& spec_json) {
  return client_
      .MergePatch(Replications(), ns_, name, value::parse(R"({"spec":)" + spec_json + "}"))
      .status();
}

Status OperatorFaultsModel::CreateAll() {
  for (auto& [name, r] : remotes_) {
    r.token = NextToken();
    EDGEREPL_RETURN_IF_ERROR(PutSecret(name, r.token));
    EDGEREPL_RETURN_IF_ERROR(PutRemote(name));
  }
  for (const auto& [name, s] : replications_) {
    EDGEREPL_RETURN_IF_ERROR(PutReplication(name, s));
  }
  return Status::Ok();
}

Status OperatorFaultsModel::MutateOnce(std::string* what) {
  ++mutations_;
  std::vector<std::string> remote_names, rep_names;
  for (const auto& [n, r] : remotes_) remote_names.push_back(n);
  for (const auto& [n, r] : replications_) rep_names.push_back(n);
  auto pick = [&](const std::vector<std::string>& from) {
    return from[std::uniform_int_distribution<size_t>(0, from.size() - 1)(random_)];
  };
  std::string note;
  Status s;
  int op = std::uniform_int_distribution<int>(0, 7)(random_);
  if (op <= 1) {  // token rotation, or the Secret back
    const std::string remote = pick(remote_names);
    const std::string token = NextToken();
    s = PutSecret(remote, token);
    if (s.ok()) {
      remotes_[remote].secret = true;
      remotes_[remote].token = token;
    }
    note = "token of " + remote + " rotated";
  } else if (op == 2) {  // the Secret goes away
    const std::string remote = pick(remote_names);
    if (!remotes_[remote].secret) return MutateOnce(what);
    s = client_.Delete(kube::SecretsType(), ns_, SecretName(remote));
    if (s.ok()) remotes_[remote].secret = false;
    note = "token Secret of " + remote + " deleted";
  } else if (op == 3) {  // a Remote's URL
    const std::string remote = pick(remote_names);
    const std::string url = "https://" + remote + "-" + std::to_string(++counter_) + ".example";
    s = client_
            .MergePatch(Remotes(), ns_, remote,
                        value::parse(R"({"spec":{"url":)" + Quoted(url) + "}}"))
            .status();
    if (s.ok()) remotes_[remote].url = url;
    note = "url of " + remote + " changed";
  } else {
    const std::string name = pick(rep_names);
    ReplicationSpec& rep = replications_[name];
    if (!rep.present) {  // recreated, with a new UID
      ReplicationSpec next = rep;
      next.present = true;
      next.local_bucket = "local-" + std::to_string(++counter_);
      s = PutReplication(name, next);
      if (s.ok()) rep = next;
      note = name + " recreated";
    } else if (op == 4) {
      const std::string bucket = "local-" + std::to_string(++counter_);
      const int64_t queue = kMinQueue + 4096 * counter_;
      s = PatchReplication(name, R"({"localBucket":)" + Quoted(bucket) +
                                     R"(,"maxQueueSizeBytes":)" + std::to_string(queue) + "}");
      if (s.ok()) {
        rep.local_bucket = bucket;
        rep.max_queue = queue;
      }
      note = name + " edited";
    } else if (op == 5) {
      // Mostly another real Remote, sometimes one that does not exist.
      std::string remote = std::uniform_int_distribution<int>(0, 3)(random_) == 0
                               ? std::string(kGhostRemote)
                               : pick(remote_names);
      s = PatchReplication(name, R"({"remoteRef":{"name":)" + Quoted(remote) + "}}");
      if (s.ok()) rep.remote = remote;
      note = name + " moved to " + remote;
    } else if (op == 6) {
      s = PatchReplication(name,
                           std::string(R"({"suspend":)") + (rep.suspend ? "false" : "true") + "}");
      if (s.ok()) rep.suspend = !rep.suspend;
      note = name + " suspend toggled";
    } else {
      s = client_.Delete(Replications(), ns_, name);
      if (s.ok()) rep.present = false;
      note = name + " deleted";
    }
  }
  if (what != nullptr) *what = note;
  return s;
}

bool OperatorFaultsModel::Resolved(const std::string& remote) const {
  auto it = remotes_.find(remote);
  return it != remotes_.end() && it->second.secret;
}

bool OperatorFaultsModel::CheckConfig(std::string* diff) {
  // What the file must say, one line per remote and replication, in a canonical form.
  std::set<std::string> want;
  std::set<std::string> used;
  for (const auto& [name, rep] : replications_) {
    if (!rep.present || !Resolved(rep.remote)) continue;
    Result<kube::Object> o = client_.Get(Replications(), ns_, name);
    if (!o.ok()) {
      *diff = "get replication " + name + ": " + o.status().ToString();
      return false;
    }
    want.insert("replication " + name + " id=" + o->json().at("metadata").at("uid").as_string() +
                " remote=" + rep.remote + " local=" + rep.local_bucket + " remoteBucket=" +
                rep.remote_bucket + " maxQueue=" + std::to_string(rep.max_queue) +
                " suspend=" + (rep.suspend ? "true" : "false"));
    used.insert(rep.remote);
  }
  for (const std::string& remote : used) {
    const RemoteSpec& r = remotes_.at(remote);
    want.insert("remote " + remote + " url=" + r.url + " token=" + r.token);
  }

  Result<kube::Object> secret = client_.Get(kube::SecretsType(), ns_, kConfigSecret);
  if (!secret.ok()) {
    *diff = "config Secret: " + secret.status().ToString();
    return false;
  }
  const value& j = secret->json();
  if (!j.has_object_field("data") || !j.at("data").has_string_field("agent.yaml")) {
    *diff = "config Secret has no agent.yaml";
    return false;
  }
  std::optional<std::string> yaml = codec::Base64Decode(j.at("data").at("agent.yaml").as_string());
  Result<config::Config> c =
      yaml ? config::ParseConfig(*yaml) : Result<config::Config>(Status::InvalidArgument("base64"));
  if (!c.ok()) {
    *diff = "agent.yaml does not parse: " + c.status().ToString();
    return false;
  }
  std::set<std::string> got;
  for (const auto& rep : c->replications) {
    got.insert("replication " + rep.name + " id=" + rep.id + " remote=" + rep.remote +
               " local=" + rep.local_bucket + " remoteBucket=" + rep.remote_bucket +
               " maxQueue=" + std::to_string(rep.max_queue_size_bytes) +
               " suspend=" + (rep.suspend ? "true" : "false"));
  }
  for (const auto& r : c->remotes) {
    got.insert("remote " + r.name + " url=" + r.url + " token=" + r.token);
  }
  if (got == want) return true;
  std::ostringstream out;
  out << "agent.yaml differs:";
  for (const auto& w : want) {
    if (!got.count(w)) out << "\n  missing: " << w;
  }
  for (const auto& g : got) {
    if (!want.count(g)) out << "\n  unexpected: " << g;
  }
  *diff = out.str();
  return false;
}

bool OperatorFaultsModel::CheckStatus(const std::string& plural, const std::string& name,
                                      const std::string& want_ready, std::string* diff) {
  const kube::ResourceType& type = plural == "remotes" ? Remotes() : Replications();
  Result<kube::Object> o = client_.Get(type, ns_, name);
  if (!o.ok()) {
    *diff = plural + "/" + name + ": " + o.status().ToString();
    return false;
  }
  const value& j = o->json();
  const int64_t generation = j.at("metadata").at("generation").as_number().to_int64();
  int64_t observed = -1;
  if (j.has_object_field("status") && j.at("status").has_integer_field("observedGeneration")) {
    observed = j.at("status").at("observedGeneration").as_number().to_int64();
  }
  int64_t condition_generation = -1;
  std::string ready = ConditionOf(j, "Ready", &condition_generation);
  if (observed == generation && condition_generation == generation && ready == want_ready) {
    return true;
  }
  *diff = plural + "/" + name + ": Ready " + ready + " (want " + want_ready +
          "), status.observedGeneration " + std::to_string(observed) +
          ", condition observedGeneration " + std::to_string(condition_generation) +
          ", generation " + std::to_string(generation);
  return false;
}

bool OperatorFaultsModel::Converged(std::string* diff) {
  if (!CheckConfig(diff)) return false;
  for (const auto& [name, r] : remotes_) {
    if (!CheckStatus("remotes", name, r.secret ? "True/Resolved" : "False/SecretNotFound", diff)) {
      return false;
    }
  }
  for (const auto& [name, rep] : replications_) {
    if (!rep.present) {
      Result<kube::Object> o = client_.Get(Replications(), ns_, name);
      if (o.ok() || o.status().code() != StatusCode::kNotFound) {
        *diff = "replications/" + name + " should be gone";
        return false;
      }
      continue;
    }
    const bool exists = remotes_.count(rep.remote) > 0;
    if (!CheckStatus("replications", name,
                     ExpectedReplicationReady(exists, exists && Resolved(rep.remote)), diff)) {
      return false;
    }
  }
  return true;
}

}  // namespace edgerepl::reliability
