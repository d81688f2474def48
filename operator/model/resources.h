// The operator's view of the resources it reads, as plain values decoded from the API's JSON
// (decode.h). Defaults are those of the CRD schema (crds/), so an object stored without them
// (a CRD applied without defaulting) means the same thing.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/config/config.h"
#include "common/config/selector.h"
#include "operator/model/field_error.h"

namespace edgerepl::op {

inline constexpr char kGroup[] = "edgerepl.io";
inline constexpr char kVersion[] = "v1alpha1";
inline constexpr char kApiVersion[] = "edgerepl.io/v1alpha1";
inline constexpr char kAgentComponentLabel[] = "app.kubernetes.io/component";
inline constexpr char kAgentComponentValue[] = "edgerepl-agent";
inline constexpr char kAgentAdminPortName[] = "edgerepl-admin";
// On agent pods: the resourceVersion of the config Secret the operator last told the kubelet
// about (controllers/config_nudge.h). It tells nothing of the content and changes exactly when the
// content does.
inline constexpr char kConfigVersionAnnotation[] = "edgerepl.io/agent-config-version";
inline constexpr char kAgentConfigSecretName[] = "edgerepl-agent-config";
inline constexpr char kAgentConfigKey[] = "agent.yaml";
// The namespace's admin token, rendered as the agents' adminToken (the kubectl plugin reads it).
inline constexpr char kAgentAdminSecretName[] = "edgerepl-agent-admin";
inline constexpr char kAgentAdminTokenKey[] = "token";

struct ObjectMeta {
  std::string namespace_;
  std::string name;
  std::string uid;
  std::string resource_version;
  int64_t generation = 0;
  bool deleting = false;  // deletionTimestamp set
  std::map<std::string, std::string> labels;
};

struct SecretKeyRef {
  std::string name;
  std::string key;
  bool operator==(const SecretKeyRef&) const = default;
};

// The Secret keys of the Secret types a Remote names whole (kubernetes.io/tls and
// kubernetes.io/basic-auth), as Kubernetes defines them.
inline constexpr char kTlsCertKey[] = "tls.crt";
inline constexpr char kTlsKeyKey[] = "tls.key";
inline constexpr char kBasicAuthUsernameKey[] = "username";
inline constexpr char kBasicAuthPasswordKey[] = "password";

struct RemoteSpec {
  std::string url;
  std::string org_id;
  // Empty name: no token (allowed for protocol v1 only: a 1.x without auth, or basicAuthSecretRef).
  SecretKeyRef token_secret_ref{"", "token"};
  std::string protocol = "v2";
  std::optional<SecretKeyRef> ca_secret_ref;  // key defaults to ca.crt
  std::optional<std::string> tls_secret_ref;  // a kubernetes.io/tls Secret: client cert for mTLS
  // A kubernetes.io/basic-auth Secret: an InfluxDB 1.x user (protocol v1 only).
  std::optional<std::string> basic_auth_secret_ref;
  std::string credentials_in = "header";  // header | query, with basic_auth_secret_ref
  bool insecure_skip_verify = false;
  std::string timeout = "30s";
  std::string description;
};

struct Remote {
  ObjectMeta meta;
  RemoteSpec spec;
  FieldErrors decode_errors;  // wrong types in spec
};

// spec.backfill: a range of history to copy (docs/backfill.md). Times stay as written, RFC 3339,
// so a bad one is reported with its text.
struct BackfillSpec {
  std::string from;
  std::string to;
  int64_t max_points_per_second = static_cast<int64_t>(config::kDefaultBackfillMaxPointsPerSecond);
};

struct ReplicationSpec {
  std::string remote_ref;  // spec.remoteRef.name
  std::string local_bucket;
  std::string local_bucket_id;
  std::string local_org;
  std::string remote_bucket;
  std::string remote_bucket_id;
  int64_t max_queue_size_bytes = static_cast<int64_t>(config::kDefaultMaxQueueSizeBytes);
  int64_t max_age_seconds = static_cast<int64_t>(config::kDefaultMaxAgeSeconds);
  bool drop_non_retryable_data = false;
  bool replicate_deletes = false;
  bool suspend = false;
  std::vector<std::string> measurements;
  config::LabelSelector agent_selector;
  int64_t max_in_flight = config::kDefaultMaxInFlight;
  int64_t batch_max_bytes = static_cast<int64_t>(config::kDefaultBatchMaxBytes);
  int64_t batch_max_points = static_cast<int64_t>(config::kDefaultBatchMaxPoints);
  std::string backoff_min = "250ms";
  std::string backoff_max = "30s";
  std::optional<BackfillSpec> backfill;
};

struct Replication {
  ObjectMeta meta;
  ReplicationSpec spec;
  FieldErrors decode_errors;
};

struct Secret {
  ObjectMeta meta;
  std::map<std::string, std::string> data;  // decoded bytes; never logged
};

struct AgentPod {
  ObjectMeta meta;
  std::string pod_ip;          // status.podIP; empty until scheduled
  int admin_port = 0;          // the container port named edgerepl-admin; 0 when none
  bool running = false;        // status.phase == Running
  std::string config_version;  // annotation kConfigVersionAnnotation; empty when absent
};

}  // namespace edgerepl::op
