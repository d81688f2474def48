// The per-namespace renderer's pure core: every Remote, Replication and Secret of one namespace
// to the content of the agents' config Secret (edgerepl-agent-config: key agent.yaml, plus one
// CA file per Remote with a caSecretRef), and a verdict per resource for its Ready condition.
// Only valid Replications whose Remote resolves are in the file; only Remotes they use are.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "common/config/config.h"
#include "operator/model/resources.h"

namespace edgerepl::op {

struct RenderSettings {
  // Agent-wide settings (listen, adminListen, local, dataDir, durability, …) copied into every
  // rendered file; its remotes and replications are ignored.
  config::Config base;
  // Where agents mount the config Secret: CA files are referenced below it.
  std::string mount_dir = "/etc/edgerepl";
  // Written as podLabelsFile only when some replication has an agentSelector, because an agent
  // started with podLabelsFile needs the downward-API file.
  std::string pod_labels_file = "/etc/podinfo/labels";
};

struct Verdict {
  bool ok = false;
  std::string reason;   // a constant of reasons.h
  std::string message;  // names the field or the missing object; never a secret
  bool operator==(const Verdict&) const = default;
};

struct NamespaceInput {
  std::vector<Remote> remotes;
  std::vector<Replication> replications;
  std::map<std::string, Secret> secrets;  // by name
};

struct NamespaceRender {
  config::Config config;
  std::map<std::string, std::string> data;       // the Secret's data: agent.yaml, CA files
  std::map<std::string, Verdict> remotes;        // by Remote name
  std::map<std::string, int> remote_references;  // Replications naming each Remote
  std::map<std::string, Verdict> replications;   // by Replication name
  // Every Remote whose Secrets resolved, used or not, and its files (name → content, the names
  // of its ca_file, cert_file, key_file): what the operator probes.
  std::map<std::string, config::RemoteConfig> resolved_remotes;
  std::map<std::string, std::map<std::string, std::string>> remote_files;
};

NamespaceRender RenderNamespace(const NamespaceInput& input, const RenderSettings& settings);

}  // namespace edgerepl::op
