#include "operator/render/namespace_config.h"

#include <algorithm>

#include "common/config/render.h"
#include "operator/model/reasons.h"
#include "operator/model/translate.h"
#include "operator/model/validate.h"

namespace edgerepl::op {
namespace {

std::string Quote(const std::string& s) {
  return "\"" + s + "\"";
}

// The value of ref in the namespace's Secrets, or a verdict saying what is missing.
const std::string* Lookup(const NamespaceInput& input, const SecretKeyRef& ref,
                          const std::string& field, Verdict* verdict) {
  auto it = input.secrets.find(ref.name);
  if (it == input.secrets.end()) {
    *verdict = {false, reason::kSecretNotFound,
                field + ": Secret " + Quote(ref.name) + " not found"};
    return nullptr;
  }
  auto kv = it->second.data.find(ref.key);
  if (kv == it->second.data.end()) {
    *verdict = {false, reason::kSecretNotFound,
                field + ": Secret " + Quote(ref.name) + " has no key " + Quote(ref.key)};
    return nullptr;
  }
  return &kv->second;
}

std::string TrimTrailingSpace(std::string s) {
  while (!s.empty() &&
         (s.back() == '\n' || s.back() == '\r' || s.back() == ' ' || s.back() == '\t')) {
    s.pop_back();
  }
  return s;
}

struct ResolvedRemote {
  const Remote* remote = nullptr;
  config::RemoteConfig config;
  std::string ca_key;  // Secret data key of its CA file; empty: none
  std::string ca_pem;
};

}  // namespace

NamespaceRender RenderNamespace(const NamespaceInput& input, const RenderSettings& settings) {
  NamespaceRender out;
  std::map<std::string, ResolvedRemote> resolved;
  for (const Remote& remote : input.remotes) {
    const std::string& name = remote.meta.name;
    Verdict& v = out.remotes[name];
    out.remote_references[name] = 0;
    FieldErrors errors = ValidateRemote(remote);
    if (!errors.empty()) {
      bool url = std::any_of(errors.begin(), errors.end(),
                             [](const FieldError& e) { return e.field == "spec.url"; });
      v = {false, url ? reason::kInvalidURL : reason::kInvalidSpec, JoinErrors(errors)};
      continue;
    }
    const std::string* token =
        Lookup(input, remote.spec.token_secret_ref, "spec.tokenSecretRef", &v);
    if (token == nullptr) continue;
    std::string trimmed = TrimTrailingSpace(*token);
    if (trimmed.empty()) {
      v = {false, reason::kSecretNotFound,
           "spec.tokenSecretRef: key " + Quote(remote.spec.token_secret_ref.key) + " of Secret " +
               Quote(remote.spec.token_secret_ref.name) + " is empty"};
      continue;
    }
    ResolvedRemote r;
    r.remote = &remote;
    if (remote.spec.ca_secret_ref.has_value()) {
      const std::string* ca = Lookup(input, *remote.spec.ca_secret_ref, "spec.caSecretRef", &v);
      if (ca == nullptr) continue;
      r.ca_key = "ca-" + name + ".crt";
      r.ca_pem = *ca;
    }
    r.config = ToRemoteConfig(remote, trimmed,
                              r.ca_key.empty() ? "" : settings.mount_dir + "/" + r.ca_key);
    v = {true, reason::kResolved,
         "token Secret " + Quote(remote.spec.token_secret_ref.name) + " resolved"};
    resolved.emplace(name, std::move(r));
  }

  std::vector<const Replication*> replications;
  for (const Replication& rep : input.replications) replications.push_back(&rep);
  std::sort(replications.begin(), replications.end(),
            [](const Replication* a, const Replication* b) { return a->meta.name < b->meta.name; });

  config::Config& config = out.config;
  config = settings.base;
  config.remotes.clear();
  config.replications.clear();
  config.pod_labels_file.clear();
  std::map<std::string, bool> used_remotes;
  for (const Replication* rep : replications) {
    if (rep->meta.deleting) continue;
    Verdict& v = out.replications[rep->meta.name];
    const std::string& remote_name = rep->spec.remote_ref;
    const Remote* remote = nullptr;
    for (const Remote& r : input.remotes) {
      if (r.meta.name == remote_name) remote = &r;
    }
    if (remote != nullptr) ++out.remote_references[remote_name];
    FieldErrors errors = ValidateReplication(*rep, remote);
    if (!errors.empty()) {
      v = {false, reason::kInvalidSpec, JoinErrors(errors)};
      continue;
    }
    if (remote == nullptr) {
      v = {false, reason::kRemoteNotFound,
           "spec.remoteRef.name: Remote " + Quote(remote_name) + " not found in this namespace"};
      continue;
    }
    const Verdict& rv = out.remotes[remote_name];
    if (!rv.ok) {
      v = {false, reason::kRemoteNotReady,
           "spec.remoteRef.name: Remote " + Quote(remote_name) + " is not ready (" + rv.reason +
               ": " + rv.message + ")"};
      continue;
    }
    v = {true, reason::kAccepted, "in the agents' config Secret"};
    config.replications.push_back(ToReplicationConfig(*rep));
    if (!rep->spec.agent_selector.empty()) config.pod_labels_file = settings.pod_labels_file;
    used_remotes[remote_name] = true;
  }
  for (const auto& [name, r] : resolved) {
    if (!used_remotes.count(name)) continue;
    config.remotes.push_back(r.config);
    if (!r.ca_key.empty()) out.data[r.ca_key] = r.ca_pem;
  }
  out.data[kAgentConfigKey] = config::Render(config);
  return out;
}

}  // namespace edgerepl::op
