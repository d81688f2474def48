#include "operator/model/translate.h"

#include <algorithm>

#include "common/config/duration.h"
#include "common/config/timestamp.h"

namespace edgerepl::op {

config::RemoteConfig ToRemoteConfig(const Remote& remote, ResolvedSecrets secrets) {
  config::RemoteConfig c;
  c.name = remote.meta.name;
  c.url = remote.spec.url;
  c.org_id = remote.spec.org_id;
  c.token = std::move(secrets.token);
  c.username = std::move(secrets.username);
  c.password = std::move(secrets.password);
  c.credentials_in = remote.spec.credentials_in == "query" ? config::CredentialsIn::kQuery
                                                           : config::CredentialsIn::kHeader;
  c.protocol = remote.spec.protocol == "v1" ? config::Protocol::kV1 : config::Protocol::kV2;
  c.ca_file = std::move(secrets.ca_file);
  c.cert_file = std::move(secrets.cert_file);
  c.key_file = std::move(secrets.key_file);
  c.insecure_skip_verify = remote.spec.insecure_skip_verify;
  if (auto d = config::ParseDuration(remote.spec.timeout)) c.timeout = *d;
  return c;
}

config::ReplicationConfig ToReplicationConfig(const Replication& replication) {
  const ReplicationSpec& s = replication.spec;
  config::ReplicationConfig c;
  c.id = replication.meta.uid;
  c.name = replication.meta.name;
  c.remote = s.remote_ref;
  c.local_bucket = s.local_bucket;
  c.local_bucket_id = s.local_bucket_id;
  c.local_org = s.local_org;
  c.remote_bucket = s.remote_bucket;
  c.remote_bucket_id = s.remote_bucket_id;
  c.max_queue_size_bytes = static_cast<uint64_t>(std::max<int64_t>(s.max_queue_size_bytes, 0));
  c.max_age_seconds = static_cast<uint64_t>(std::max<int64_t>(s.max_age_seconds, 0));
  c.drop_non_retryable_data = s.drop_non_retryable_data;
  c.replicate_deletes = s.replicate_deletes;
  c.suspend = s.suspend;
  c.measurements = s.measurements;
  c.selector = s.agent_selector;
  c.max_in_flight = static_cast<uint32_t>(std::clamp<int64_t>(s.max_in_flight, 0, UINT32_MAX));
  c.batch.max_bytes = static_cast<uint64_t>(std::max<int64_t>(s.batch_max_bytes, 0));
  c.batch.max_points = static_cast<uint64_t>(std::max<int64_t>(s.batch_max_points, 0));
  if (auto d = config::ParseDuration(s.backoff_min)) c.backoff.min = *d;
  if (auto d = config::ParseDuration(s.backoff_max)) c.backoff.max = *d;
  if (s.backfill) {
    // Times that do not parse stay at zero: validation reports them by their text.
    config::BackfillConfig& b = c.backfill.emplace();
    if (auto t = config::ParseTimestamp(s.backfill->from)) b.from_ns = *t;
    if (auto t = config::ParseTimestamp(s.backfill->to)) b.to_ns = *t;
    b.max_points_per_second =
        static_cast<uint64_t>(std::max<int64_t>(s.backfill->max_points_per_second, 0));
  }
  return c;
}

}  // namespace edgerepl::op
