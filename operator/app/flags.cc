#include "operator/app/flags.h"

#include <charconv>
#include <cstdlib>
#include <functional>
#include <map>

#include "common/config/duration.h"

namespace edgerepl::op {
namespace {

struct Spec {
  bool boolean;
  std::function<Status(Flags&, const std::string&)> set;
  const char* help;
};

Status SetBool(bool* out, const std::string& name, const std::string& v) {
  if (v == "true" || v == "1") {
    *out = true;
  } else if (v == "false" || v == "0") {
    *out = false;
  } else {
    return Status::InvalidArgument("--" + name + ": expected true or false, got \"" + v + "\"");
  }
  return Status::Ok();
}

const std::map<std::string, Spec>& Specs() {
  static const auto* specs = new std::map<std::string, Spec>{
      {"kubeconfig",
       {false,
        [](Flags& f, const std::string& v) {
          f.kubeconfig = v;
          return Status::Ok();
        },
        "path to a kubeconfig (default: $KUBECONFIG, in-cluster, ~/.kube/config)"}},
      {"namespace",
       {false,
        [](Flags& f, const std::string& v) {
          if (v.empty()) return Status::InvalidArgument("--namespace: empty");
          f.namespaces.push_back(v);
          return Status::Ok();
        },
        "namespace to watch; repeatable (default: every namespace)"}},
      {"leader-elect",
       {true,
        [](Flags& f, const std::string& v) { return SetBool(&f.leader_elect, "leader-elect", v); },
        "elect a leader with a coordination.k8s.io Lease; only the leader writes"}},
      {"probe-remotes",
       {true,
        [](Flags& f, const std::string& v) {
          return SetBool(&f.probe_remotes, "probe-remotes", v);
        },
        "probe each Remote's URL, credentials and buckets for its Ready condition (default true)"}},
      {"nudge-agent-pods",
       {true,
        [](Flags& f, const std::string& v) {
          return SetBool(&f.nudge_agent_pods, "nudge-agent-pods", v);
        },
        "annotate agent pods when their config changes, so the kubelet delivers it at once "
        "instead of on its periodic sync; needs patch on pods (default true)"}},
      {"leader-election-namespace",
       {false,
        [](Flags& f, const std::string& v) {
          f.leader_election_namespace = v;
          return Status::Ok();
        },
        "namespace of the Lease (default: the kubeconfig's or the pod's)"}},
      {"leader-election-id",
       {false,
        [](Flags& f, const std::string& v) {
          f.leader_election_id = v;
          return Status::Ok();
        },
        "name of the Lease (default edgerepl-operator)"}},
      {"identity",
       {false,
        [](Flags& f, const std::string& v) {
          f.identity = v;
          return Status::Ok();
        },
        "this process's name in the Lease (default: hostname_pid)"}},
      {"metrics-bind-address",
       {false,
        [](Flags& f, const std::string& v) {
          f.metrics_bind_address = v;
          return Status::Ok();
        },
        "address of /metrics (default :8080; \"0\" disables)"}},
      {"health-probe-bind-address",
       {false,
        [](Flags& f, const std::string& v) {
          f.health_probe_bind_address = v;
          return Status::Ok();
        },
        "address of /healthz and /readyz (default :8081; \"0\" disables)"}},
      {"status-interval",
       {false,
        [](Flags& f, const std::string& v) {
          auto d = config::ParseDuration(v);
          if (!d || d->count() < 100) {
            return Status::InvalidArgument(
                "--status-interval: expected a duration of at least "
                "100ms like 15s, got \"" +
                v + "\"");
          }
          f.status_interval = *d;
          return Status::Ok();
        },
        "how often agents are polled and status written (default 15s)"}},
      {"status-qps",
       {false,
        [](Flags& f, const std::string& v) {
          char* end = nullptr;
          double q = std::strtod(v.c_str(), &end);
          if (v.empty() || end != v.c_str() + v.size() || !(q >= 0) || q > 1e6) {
            return Status::InvalidArgument(
                "--status-qps: expected a number of patches per second like 5 (0: no budget), "
                "got \"" +
                v + "\"");
          }
          f.status_qps = q;
          return Status::Ok();
        },
        "live-number status patches per second over all Replications (default 5; 0: none): "
        "past statusInterval x this many Replications, each one's numbers are written less "
        "often than every interval; condition changes go at once"}},
      {"log-level",
       {false,
        [](Flags& f, const std::string& v) {
          f.log_level = v;
          return Status::Ok();
        },
        "trace, debug, info, warn, error (default info)"}},
      {"log-format",
       {false,
        [](Flags& f, const std::string& v) {
          f.log_format = v;
          return Status::Ok();
        },
        "text or json (default text)"}},
      {"agent-listen",
       {false,
        [](Flags& f, const std::string& v) {
          f.agent_listen = v;
          return Status::Ok();
        },
        "listen of the rendered agent.yaml (default :8186)"}},
      {"agent-admin-listen",
       {false,
        [](Flags& f, const std::string& v) {
          f.agent_admin_listen = v;
          return Status::Ok();
        },
        "adminListen of the rendered agent.yaml (default :9186)"}},
      {"agent-local-url",
       {false,
        [](Flags& f, const std::string& v) {
          f.agent_local_url = v;
          return Status::Ok();
        },
        "local.url of the rendered agent.yaml (default http://127.0.0.1:8086)"}},
      {"agent-local-token-file",
       {false,
        [](Flags& f, const std::string& v) {
          f.agent_local_token_file = v;
          return Status::Ok();
        },
        "local.tokenFile of the rendered agent.yaml: where agents read the local database's "
        "credential for backfills; every agent must have the file (default: none)"}},
      {"agent-data-dir",
       {false,
        [](Flags& f, const std::string& v) {
          f.agent_data_dir = v;
          return Status::Ok();
        },
        "dataDir of the rendered agent.yaml (default /var/lib/edgerepl)"}},
      {"agent-config-dir",
       {false,
        [](Flags& f, const std::string& v) {
          f.agent_config_dir = v;
          return Status::Ok();
        },
        "where agents mount edgerepl-agent-config; CA files are referenced there "
        "(default /etc/edgerepl)"}},
      {"agent-pod-labels-file",
       {false,
        [](Flags& f, const std::string& v) {
          f.agent_pod_labels_file = v;
          return Status::Ok();
        },
        "podLabelsFile written when a Replication has an agentSelector "
        "(default /etc/podinfo/labels)"}},
      {"agent-max-body-memory-bytes",
       {false,
        [](Flags& f, const std::string& v) {
          uint64_t n = 0;
          auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
          if (ec != std::errc() || end != v.data() + v.size() || n < (1u << 20)) {
            return Status::InvalidArgument(
                "--agent-max-body-memory-bytes: expected a byte count of at least 1048576, "
                "got \"" +
                v + "\"");
          }
          f.agent_max_body_memory_bytes = n;
          return Status::Ok();
        },
        "maxBodyMemoryBytes of the rendered agent.yaml: request bodies held in memory at once "
        "(default 268435456)"}},
      {"agent-setting",
       {false,
        [](Flags& f, const std::string& v) -> Status {
          auto setting = ParseAgentSetting(v);
          if (!setting.ok()) return setting.status();
          f.agent_settings.push_back(*setting);
          config::Config scratch;
          return ApplyAgentSettings(f.agent_settings, &scratch);
        },
        "KEY=VALUE: an agent-wide setting of the rendered agent.yaml (durability, syncInterval, "
        "maxBodyBytes, queueFullPolicy, orphanGracePeriod, local.timeout); repeatable"}},
      {"webhook-bind-address",
       {false,
        [](Flags& f, const std::string& v) {
          f.webhook_bind_address = v;
          return Status::Ok();
        },
        "serve the sidecar injection webhook (HTTPS) here, e.g. :9443 (default: off)"}},
      {"webhook-sidecar-file",
       {false,
        [](Flags& f, const std::string& v) {
          f.webhook_sidecar_file = v;
          return Status::Ok();
        },
        "the agent container to inject, as the chart renders it "
        "(default /etc/edgerepl-webhook/sidecar.json)"}},
      {"webhook-cert-dir",
       {false,
        [](Flags& f, const std::string& v) {
          f.webhook_cert_dir = v;
          return Status::Ok();
        },
        "directory with tls.crt and tls.key (cert-manager); default: a certificate of its own"}},
      {"webhook-secret",
       {false,
        [](Flags& f, const std::string& v) {
          if (v.empty()) return Status::InvalidArgument("--webhook-secret: empty");
          f.webhook_secret = v;
          return Status::Ok();
        },
        "Secret (in the operator's namespace) keeping the self-managed webhook certificate "
        "(default edgerepl-webhook-tls)"}},
      {"webhook-config-name",
       {false,
        [](Flags& f, const std::string& v) {
          f.webhook_config_name = v;
          return Status::Ok();
        },
        "MutatingWebhookConfiguration whose caBundle the operator keeps current"}},
      {"webhook-service",
       {false,
        [](Flags& f, const std::string& v) {
          f.webhook_service = v;
          return Status::Ok();
        },
        "Service of the webhook: its DNS names go into the certificate"}},
      {"webhook-host",
       {false,
        [](Flags& f, const std::string& v) {
          if (v.empty()) return Status::InvalidArgument("--webhook-host: empty");
          f.webhook_hosts.push_back(v);
          return Status::Ok();
        },
        "another DNS name or IP address for the webhook certificate; repeatable"}},
      {"help",
       {true, [](Flags& f, const std::string& v) { return SetBool(&f.help, "help", v); },
        "print this help"}},
      {"version",
       {true, [](Flags& f, const std::string& v) { return SetBool(&f.version, "version", v); },
        "print the version and exit"}},
  };
  return *specs;
}

}  // namespace

Result<Flags> ParseFlags(const std::vector<std::string>& args) {
  Flags flags;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg.rfind("--", 0) != 0 && arg.rfind("-", 0) != 0) {
      return Status::InvalidArgument("unexpected argument \"" + arg + "\"");
    }
    std::string body = arg.substr(arg.rfind("--", 0) == 0 ? 2 : 1);
    std::string name = body, value;
    bool has_value = false;
    if (size_t eq = body.find('='); eq != std::string::npos) {
      name = body.substr(0, eq);
      value = body.substr(eq + 1);
      has_value = true;
    }
    auto it = Specs().find(name);
    if (it == Specs().end()) return Status::InvalidArgument("unknown flag --" + name);
    if (!has_value) {
      if (it->second.boolean) {
        value = "true";
      } else if (i + 1 < args.size()) {
        value = args[++i];
      } else {
        return Status::InvalidArgument("--" + name + ": needs a value");
      }
    }
    if (Status s = it->second.set(flags, value); !s.ok()) return s;
  }
  return flags;
}

std::string FlagsUsage() {
  std::string out = "usage: edgerepl-operator [flags]\n";
  for (const auto& [name, spec] : Specs()) {
    out += "  --" + name + (spec.boolean ? "" : " VALUE") + "\n      " + spec.help + "\n";
  }
  return out;
}

}  // namespace edgerepl::op
