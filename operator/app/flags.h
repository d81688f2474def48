// The operator's command line (controller-runtime's flag names where one exists).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "common/status.h"
#include "operator/app/agent_settings.h"

namespace edgerepl::op {

struct Flags {
  std::string kubeconfig;               // empty: $KUBECONFIG, in-cluster, ~/.kube/config
  std::vector<std::string> namespaces;  // empty: every namespace
  bool leader_elect = false;
  std::string leader_election_namespace;  // empty: the kubeconfig's or the pod's namespace
  std::string leader_election_id = "edgerepl-operator";
  std::string identity;  // empty: hostname + pid
  std::string metrics_bind_address = ":8080";
  std::string health_probe_bind_address = ":8081";
  std::chrono::milliseconds status_interval{15000};
  double status_qps = 5;         // live-number status patches per second over all Replications
  bool probe_remotes = true;     // Remote Ready from a probe of the remote (remote_prober.h)
  bool nudge_agent_pods = true;  // annotate agent pods on a config change (config_nudge.h)
  std::string log_level = "info";
  std::string log_format = "text";
  // Agent-wide settings written into every rendered agent.yaml (must match the agent pods).
  std::string agent_listen = ":8186";
  std::string agent_admin_listen = ":9186";
  std::string agent_local_url = "http://127.0.0.1:8086";
  std::string agent_local_token_file;  // local.tokenFile; empty: none (the backfill's credential)
  std::string agent_data_dir = "/var/lib/edgerepl";
  std::string agent_config_dir = "/etc/edgerepl";
  std::string agent_pod_labels_file = "/etc/podinfo/labels";
  uint64_t agent_max_body_memory_bytes = 268435456;  // maxBodyMemoryBytes (docs/config.md)
  AgentSettings agent_settings;                      // --agent-setting, in order
  // The sidecar injection webhook (docs/sidecar.md); off unless webhook_bind_address is set.
  std::string webhook_bind_address;
  std::string webhook_sidecar_file = "/etc/edgerepl-webhook/sidecar.json";
  std::string webhook_cert_dir;  // cert-manager's tls.crt/tls.key; empty: self-managed Secret
  std::string webhook_secret = "edgerepl-webhook-tls";
  std::string webhook_config_name;         // MutatingWebhookConfiguration that gets the caBundle
  std::string webhook_service;             // Service name: the certificate's DNS names
  std::vector<std::string> webhook_hosts;  // more DNS names or IPs for the certificate
  bool help = false;
  bool version = false;  // --version: print "edgerepl-operator <version>" and exit
};

// "--name=value" or "--name value"; booleans also as a bare "--name". Unknown flags and bad
// values are kInvalidArgument naming the flag.
Result<Flags> ParseFlags(const std::vector<std::string>& args);

std::string FlagsUsage();

}  // namespace edgerepl::op
