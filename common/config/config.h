// The agent's configuration (DESIGN.md §5) as plain values. The agent parses it from YAML
// (parse.h); the operator builds it from Remote and Replication resources and renders it into the
// agents' Secret (render.h). Every default here is the documented default (docs/config.md).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/config/selector.h"

namespace edgerepl::config {

enum class Durability { kSync, kInterval };
enum class QueueFullPolicy { kDrop, kReject };
enum class Protocol { kV2, kV1 };
// Where a v1 remote's username and password go: HTTP Basic auth, or the `u` and `p` query
// parameters that InfluxDB 1.x before 1.8 also reads.
enum class CredentialsIn { kHeader, kQuery };

// Bounds shared by the parser, the operator's validation and the CRD schema.
inline constexpr uint64_t kDefaultMaxQueueSizeBytes = 67108860;
inline constexpr uint64_t kMinMaxQueueSizeBytes = 33554430;  // InfluxDB's own minimum
inline constexpr uint64_t kDefaultMaxAgeSeconds = 604800;    // 0 = no limit
// influxd's default max-body-size (1.x `[http] max-body-size`): maxBodyBytes bounds the body as
// received and the normalized body the local InfluxDB is sent, so by default the agent forwards
// nothing a default influxd refuses.
inline constexpr uint64_t kDefaultMaxBodyBytes = 25000000;
// Request bodies held in memory at once across all connections of the write port: sized for a
// sidecar (about ten bodies of the default maxBodyBytes).
inline constexpr uint64_t kDefaultMaxBodyMemoryBytes = 256 * 1024 * 1024;
inline constexpr uint64_t kDefaultBatchMaxBytes = 500000;
inline constexpr uint64_t kMaxBatchMaxBytes = 64 * 1024 * 1024;
inline constexpr uint64_t kDefaultBatchMaxPoints = 5000;
inline constexpr uint64_t kMaxBatchMaxPoints = 1000000;
// A ceiling: the sender starts at one request and goes up to it only while a backlog drains and
// the remote keeps up (agent/sender/in_flight_limit.h).
inline constexpr uint32_t kDefaultMaxInFlight = 4;
inline constexpr uint32_t kMaxMaxInFlight = 8;
inline constexpr size_t kMaxReplicationIdBytes = 128;  // the id names a directory

struct LocalConfig {
  std::string url = "http://127.0.0.1:8086";
  std::chrono::milliseconds timeout{std::chrono::seconds(30)};
  // What the backfill's queries send to an auth-enabled local: "user:password" (InfluxDB 1.x,
  // sent as Basic) or an InfluxDB 2.x token. Given inline, or read from token_file at load; a
  // secret like a remote's token. Writes through the agent carry their clients' own credentials.
  std::string token;
  std::string token_file;  // empty when the token was inline
  bool operator==(const LocalConfig&) const = default;
};

struct RemoteConfig {
  std::string name;
  std::string url;  // http or https with a host; a path prefix is kept
  std::string org_id;
  // The token in effect: given inline, or read from token_file when the config was loaded.
  // Never logged, never in status, metrics or error messages.
  std::string token;
  std::string token_file;  // empty when the token was inline
  // protocol v1 only, instead of a token: InfluxDB 1.x's user and password. The password is a
  // secret exactly like the token (given inline, or read from password_file at load).
  std::string username;
  std::string password;
  std::string password_file;  // empty when the password was inline
  CredentialsIn credentials_in = CredentialsIn::kHeader;
  Protocol protocol = Protocol::kV2;
  std::string ca_file;
  std::string cert_file;  // optional TLS client certificate (PEM), with key_file
  std::string key_file;
  bool insecure_skip_verify = false;
  std::chrono::milliseconds timeout{std::chrono::seconds(30)};
  bool operator==(const RemoteConfig&) const = default;
};

struct BatchConfig {
  uint64_t max_bytes = kDefaultBatchMaxBytes;
  uint64_t max_points = kDefaultBatchMaxPoints;
  bool operator==(const BatchConfig&) const = default;
};

struct BackoffConfig {
  std::chrono::milliseconds min{250};
  std::chrono::milliseconds max{std::chrono::seconds(30)};
  bool operator==(const BackoffConfig&) const = default;
};

// Points a backfill reads from the local database per second, by default: a few local queries a
// second, which a 1.x influxd on a small node serves beside its write load (docs/backfill.md).
inline constexpr uint64_t kDefaultBackfillMaxPointsPerSecond = 50000;
inline constexpr uint64_t kMaxBackfillMaxPointsPerSecond = 10000000;

// A time range already in the local database to copy to the remote (docs/backfill.md). The
// agent runs each distinct range once: its progress is kept beside the queue, so a restart or a
// reload resumes it and a finished one is not repeated.
struct BackfillConfig {
  int64_t from_ns = 0;  // inclusive
  int64_t to_ns = 0;    // exclusive
  uint64_t max_points_per_second = kDefaultBackfillMaxPointsPerSecond;
  bool operator==(const BackfillConfig&) const = default;
};

struct ReplicationConfig {
  std::string id;  // queue identity (directory name); the operator uses the Replication's UID
  std::string name;
  std::string remote;           // names a RemoteConfig
  std::string local_bucket;     // v2 bucket name, or v1 "db" / "db/rp"
  std::string local_bucket_id;  // optional alias
  std::string local_org;        // optional: the org parameter must match too
  std::string remote_bucket;    // exactly one of remote_bucket and remote_bucket_id
  std::string remote_bucket_id;
  uint64_t max_queue_size_bytes = kDefaultMaxQueueSizeBytes;
  uint64_t max_age_seconds = kDefaultMaxAgeSeconds;  // 0 = no limit
  bool drop_non_retryable_data = false;
  // Deletes sent through the agent (v1 DELETE / DROP SERIES on /query, v2 /api/v2/delete) are
  // queued in order with the writes and applied at the remote (docs/deletes.md). Off by default,
  // as InfluxDB's replication never deletes.
  bool replicate_deletes = false;
  bool suspend = false;
  std::vector<std::string> measurements;  // empty = all
  LabelSelector selector;                 // empty = every agent
  uint32_t max_in_flight = kDefaultMaxInFlight;
  BatchConfig batch;
  BackoffConfig backoff;
  std::optional<BackfillConfig> backfill;
  bool operator==(const ReplicationConfig&) const = default;
};

struct Config {
  std::string listen = ":8186";
  std::string admin_listen = ":9186";
  std::string admin_token;  // secret; empty = mutating admin calls are open
  LocalConfig local;
  std::string data_dir = "/var/lib/edgerepl";
  Durability durability = Durability::kSync;
  std::chrono::milliseconds sync_interval{100};  // durability: interval only
  uint64_t max_body_bytes = kDefaultMaxBodyBytes;
  uint64_t max_body_memory_bytes = kDefaultMaxBodyMemoryBytes;
  QueueFullPolicy queue_full_policy = QueueFullPolicy::kDrop;
  std::chrono::milliseconds orphan_grace_period{std::chrono::hours(24)};
  std::string pod_labels_file;  // empty: selectors are not evaluated (every replication runs)
  std::string instance_id;
  std::vector<RemoteConfig> remotes;
  std::vector<ReplicationConfig> replications;
  // Whether the file had a `local` section (every field of it has a default, so only this tells
  // an empty or comment-only file from a configured one). Not rendered, not hashed, and not part
  // of the config's value: a rendered config reads back equal to the one rendered.
  struct Presence {
    bool given = false;
    bool operator==(const Presence&) const { return true; }
  };
  Presence local_given;
  bool operator==(const Config&) const = default;

  const RemoteConfig* FindRemote(std::string_view name) const;
};

std::string_view DurabilityName(Durability d);            // "sync" | "interval"
std::string_view QueueFullPolicyName(QueueFullPolicy p);  // "drop" | "reject"
std::string_view ProtocolName(Protocol p);                // "v2" | "v1"
std::string_view CredentialsInName(CredentialsIn c);      // "header" | "query"

// The replications this agent runs: all of them when `labels` is null (no podLabelsFile),
// otherwise those whose selector matches the pod's labels. Order is kept.
std::vector<const ReplicationConfig*> SelectReplications(const Config& config,
                                                         const Labels* labels);

// Every secret the config holds (remote tokens and passwords, the local token, adminToken), for
// log redaction.
std::vector<std::string> Secrets(const Config& config);

}  // namespace edgerepl::config
