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
  std::map<std::string, std::string> files;  // Secret data keys beside agent.yaml: CA, client cert
};

// Reads every Secret the Remote names into `r` (files beside agent.yaml for the CA and the client
// certificate); false with `v` saying which field's Secret or key is missing or empty.
bool Resolve(const NamespaceInput& input, const Remote& remote, const RenderSettings& settings,
             ResolvedRemote* r, Verdict* v) {
  const RemoteSpec& s = remote.spec;
  const std::string& name = remote.meta.name;
  ResolvedSecrets secrets;
  std::vector<std::string> resolved;
  auto non_empty = [&](const SecretKeyRef& ref, const std::string& field,
                       std::string* out) -> bool {
    const std::string* value = Lookup(input, ref, field, v);
    if (value == nullptr) return false;
    *out = TrimTrailingSpace(*value);
    if (out->empty()) {
      *v = {false, reason::kSecretNotFound,
            field + ": key " + Quote(ref.key) + " of Secret " + Quote(ref.name) + " is empty"};
      return false;
    }
    return true;
  };
  if (!s.token_secret_ref.name.empty()) {
    if (!non_empty(s.token_secret_ref, "spec.tokenSecretRef", &secrets.token)) return false;
    resolved.push_back("token Secret " + Quote(s.token_secret_ref.name));
  }
  if (s.basic_auth_secret_ref.has_value()) {
    const std::string& secret = *s.basic_auth_secret_ref;
    if (!non_empty({secret, kBasicAuthUsernameKey}, "spec.basicAuthSecretRef", &secrets.username) ||
        !non_empty({secret, kBasicAuthPasswordKey}, "spec.basicAuthSecretRef", &secrets.password)) {
      return false;
    }
    resolved.push_back("basic-auth Secret " + Quote(secret));
  }
  if (s.ca_secret_ref.has_value()) {
    const std::string* ca = Lookup(input, *s.ca_secret_ref, "spec.caSecretRef", v);
    if (ca == nullptr) return false;
    r->files["ca-" + name + ".crt"] = *ca;
    secrets.ca_file = settings.mount_dir + "/ca-" + name + ".crt";
  }
  if (s.tls_secret_ref.has_value()) {
    const std::string& secret = *s.tls_secret_ref;
    const std::string* cert = Lookup(input, {secret, kTlsCertKey}, "spec.tlsSecretRef", v);
    if (cert == nullptr) return false;
    const std::string* key = Lookup(input, {secret, kTlsKeyKey}, "spec.tlsSecretRef", v);
    if (key == nullptr) return false;
    r->files["tls-" + name + ".crt"] = *cert;
    r->files["tls-" + name + ".key"] = *key;
    secrets.cert_file = settings.mount_dir + "/tls-" + name + ".crt";
    secrets.key_file = settings.mount_dir + "/tls-" + name + ".key";
    resolved.push_back("TLS Secret " + Quote(secret));
  }
  r->config = ToRemoteConfig(remote, std::move(secrets));
  std::string message;
  for (const std::string& part : resolved) message += (message.empty() ? "" : ", ") + part;
  *v = {true, reason::kResolved,
        message.empty() ? "no credentials (protocol v1)" : message + " resolved"};
  return true;
}

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
    ResolvedRemote r;
    r.remote = &remote;
    if (!Resolve(input, remote, settings, &r, &v)) continue;
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
    out.resolved_remotes[name] = r.config;
    out.remote_files[name] = r.files;
    if (!used_remotes.count(name)) continue;
    config.remotes.push_back(r.config);
    for (const auto& [key, content] : r.files) out.data[key] = content;
  }
  out.data[kAgentConfigKey] = config::Render(config);
  return out;
}

}  // namespace edgerepl::op
