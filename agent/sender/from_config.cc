#include "agent/sender/from_config.h"

namespace edgerepl::sender {

SenderOptions SenderOptionsFromConfig(const config::RemoteConfig& remote,
                                      const config::ReplicationConfig& replication) {
  SenderOptions o;
  o.replication_name = replication.name;
  o.protocol = remote.protocol == config::Protocol::kV1 ? Protocol::kV1 : Protocol::kV2;
  o.org_id = remote.org_id;
  o.bucket_is_id = replication.remote_bucket.empty();
  o.bucket = o.bucket_is_id ? replication.remote_bucket_id : replication.remote_bucket;
  o.token = remote.token;
  o.user.username = remote.username;
  o.user.password = remote.password;
  o.user.in_query = remote.credentials_in == config::CredentialsIn::kQuery;
  o.batch.max_bytes = replication.batch.max_bytes;
  o.batch.max_points = replication.batch.max_points;
  o.backoff_min = replication.backoff.min;
  o.backoff_max = replication.backoff.max;
  o.drop_non_retryable = replication.drop_non_retryable_data;
  o.suspend = replication.suspend;
  o.max_in_flight = static_cast<int>(replication.max_in_flight);
  o.linger = kDefaultBatchLinger;
  o.cursor_interval = kDefaultCursorInterval;
  o.max_age = std::chrono::seconds(replication.max_age_seconds);
  return o;
}

http::HttpClientOptions HttpOptionsFromConfig(const config::RemoteConfig& remote) {
  http::HttpClientOptions o;
  o.base_url = remote.url;
  o.timeout = remote.timeout;
  o.tls.ca_file = remote.ca_file;
  o.tls.client_cert_file = remote.cert_file;
  o.tls.client_key_file = remote.key_file;
  o.tls.insecure_skip_verify = remote.insecure_skip_verify;
  return o;
}

}  // namespace edgerepl::sender
