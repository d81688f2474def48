#include "agent/admin/status_json.h"

#include "agent/admin/json.h"
#include "common/codec/rfc3339.h"
#include "common/config/timestamp.h"
#include "common/log/redact.h"

namespace edgerepl::admin {
namespace {

void WriteReplication(JsonWriter& w, const ReplicationStatus& r) {
  w.BeginObject();
  w.Key("id").String(r.id);
  w.Key("name").String(r.name);
  w.Key("remote").String(r.remote);
  w.Key("localBucket").String(r.local_bucket);
  w.Key("localBucketID").String(r.local_bucket_id);
  w.Key("localOrg").String(r.local_org);
  w.Key("remoteBucket").String(r.remote_bucket);
  w.Key("remoteBucketID").String(r.remote_bucket_id);
  w.Key("maxQueueSizeBytes").Uint(r.max_queue_size_bytes);
  w.Key("maxAgeSeconds").Uint(r.max_age_seconds);
  w.Key("currentQueueSizeBytes").Uint(r.current_queue_size_bytes);
  w.Key("pendingPoints").Uint(r.pending_points);
  w.Key("latestResponseCode").Int(r.latest_response_code);
  // Redacted by the sender already; again here, as this text leaves the process (and reaches the
  // operator's status and events).
  w.Key("latestErrorMessage").String(log::GlobalSecrets().Redact(r.latest_error_message));
  w.Key("lastSuccessTime");
  if (r.last_success_time) {
    w.String(codec::FormatRfc3339(*r.last_success_time, codec::Fraction::kMillis));
  } else {
    w.Null();
  }
  w.Key("consecutiveFailures").Uint(r.consecutive_failures);
  w.Key("oldestPendingAgeSeconds").Double(r.oldest_pending_age_seconds);
  w.Key("state").String(sender::StateName(r.state));
  w.Key("dropped").BeginObject();
  for (const auto& [reason, points] : r.dropped_points) w.Key(reason).Uint(points);
  w.EndObject();
  if (r.deletes) {
    w.Key("deletes").BeginObject();
    for (const auto& [result, n] : *r.deletes) w.Key(result).Uint(n);
    w.EndObject();
  }
  if (r.backfill) {
    const BackfillStatus& b = *r.backfill;
    w.Key("backfill").BeginObject();
    w.Key("from").String(config::FormatTimestamp(b.from_ns));
    w.Key("to").String(config::FormatTimestamp(b.to_ns));
    w.Key("doneUntil").String(config::FormatTimestamp(b.done_until_ns));
    w.Key("points").Uint(b.points);
    w.Key("pendingPoints").Uint(b.pending_points);
    w.Key("maxPointsPerSecond").Uint(b.max_points_per_second);
    w.Key("state").String(b.state);
    w.Key("origin").String(b.origin);
    if (!b.last_error.empty()) {
      w.Key("lastError").String(log::GlobalSecrets().Redact(b.last_error));
    }
    w.EndObject();
  }
  w.EndObject();
}

}  // namespace

std::string ReplicationJson(const ReplicationStatus& r) {
  JsonWriter w;
  WriteReplication(w, r);
  return w.str();
}

std::string ReplicationsJson(std::string_view version, std::string_view config_hash,
                             const std::vector<ReplicationStatus>& replications) {
  JsonWriter w;
  w.BeginObject();
  w.Key("version").String(version);
  w.Key("configHash").String(config_hash);
  w.Key("replications").BeginArray();
  for (const auto& r : replications) WriteReplication(w, r);
  w.EndArray();
  w.EndObject();
  return w.str();
}

std::string InfluxReplicationsJson(const std::vector<ReplicationStatus>& replications) {
  JsonWriter w;
  w.BeginObject();
  w.Key("replications").BeginArray();
  for (const auto& r : replications) {
    w.BeginObject();
    w.Key("id").String(r.id);
    w.Key("orgID").String(r.local_org);
    w.Key("name").String(r.name);
    w.Key("description").String("");
    w.Key("remoteID").String(r.remote);
    // InfluxDB identifies the local bucket by ID only; a replication matched by name reports it.
    w.Key("localBucketID").String(r.local_bucket_id.empty() ? r.local_bucket : r.local_bucket_id);
    w.Key("remoteBucketID").String(r.remote_bucket_id);
    // InfluxDB 2.7 serializes this field with a capital R (a JSON tag slip); clients that follow
    // the OpenAPI spec read the lower-case form, so both are written.
    w.Key("RemoteBucketName").String(r.remote_bucket);
    w.Key("remoteBucketName").String(r.remote_bucket);
    w.Key("maxQueueSizeBytes").Uint(r.max_queue_size_bytes);
    w.Key("currentQueueSizeBytes").Uint(r.current_queue_size_bytes);
    w.Key("remainingBytesToBeSynced").Uint(r.current_queue_size_bytes);
    if (r.latest_response_code != 0) w.Key("latestResponseCode").Int(r.latest_response_code);
    if (!r.latest_error_message.empty()) {
      w.Key("latestErrorMessage").String(log::GlobalSecrets().Redact(r.latest_error_message));
    }
    w.Key("dropNonRetryableData").Bool(r.drop_non_retryable_data);
    w.Key("maxAgeSeconds").Uint(r.max_age_seconds);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return w.str();
}

}  // namespace edgerepl::admin
