#include "common/config/render.h"

#include <openssl/evp.h>
#include <yaml-cpp/yaml.h>

#include <cstdio>

#include "common/codec/hex.h"
#include "common/config/duration.h"
#include "common/config/timestamp.h"

namespace edgerepl::config {
namespace {

// Every string is double-quoted, so values that look like numbers, booleans, YAML syntax or
// hold quotes, colons, line breaks and non-ASCII text come back unchanged.
void Str(YAML::Emitter& e, const char* key, const std::string& value) {
  e << YAML::Key << key << YAML::Value << YAML::DoubleQuoted << value;
}
void Num(YAML::Emitter& e, const char* key, uint64_t value) {
  e << YAML::Key << key << YAML::Value << std::to_string(value);
}
void Bool(YAML::Emitter& e, const char* key, bool value) {
  e << YAML::Key << key << YAML::Value << (value ? "true" : "false");
}
void Dur(YAML::Emitter& e, const char* key, std::chrono::milliseconds value) {
  e << YAML::Key << key << YAML::Value << FormatDuration(value);
}
void Enum(YAML::Emitter& e, const char* key, std::string_view value) {
  e << YAML::Key << key << YAML::Value << std::string(value);
}

void StrList(YAML::Emitter& e, const std::vector<std::string>& values) {
  e << YAML::BeginSeq;
  for (const std::string& v : values) e << YAML::DoubleQuoted << v;
  e << YAML::EndSeq;
}

void RenderSelector(YAML::Emitter& e, const LabelSelector& s) {
  e << YAML::BeginMap;
  e << YAML::Key << "matchLabels" << YAML::Value << YAML::BeginMap;
  for (const auto& [k, v] : s.match_labels) {
    e << YAML::Key << YAML::DoubleQuoted << k << YAML::Value << YAML::DoubleQuoted << v;
  }
  e << YAML::EndMap;
  e << YAML::Key << "matchExpressions" << YAML::Value << YAML::BeginSeq;
  for (const SelectorRequirement& req : s.match_expressions) {
    e << YAML::BeginMap;
    Str(e, "key", req.key);
    Enum(e, "operator", SelectorOperatorName(req.op));
    e << YAML::Key << "values" << YAML::Value;
    StrList(e, req.values);
    e << YAML::EndMap;
  }
  e << YAML::EndSeq;
  e << YAML::EndMap;
}

std::string RenderImpl(const Config& c, bool resolved_tokens) {
  YAML::Emitter e;
  e << YAML::BeginMap;
  Str(e, "listen", c.listen);
  Str(e, "adminListen", c.admin_listen);
  Str(e, "adminToken", c.admin_token);
  e << YAML::Key << "local" << YAML::Value << YAML::BeginMap;
  Str(e, "url", c.local.url);
  Dur(e, "timeout", c.local.timeout);
  // Only what was given: the operator renders a tokenFile alone, and an unset token adds nothing.
  if (!c.local.token_file.empty()) {
    Str(e, "tokenFile", c.local.token_file);
    if (resolved_tokens) Str(e, "resolvedToken", c.local.token);  // hash input only
  } else if (!c.local.token.empty()) {
    Str(e, "token", c.local.token);
  }
  e << YAML::EndMap;
  Str(e, "dataDir", c.data_dir);
  Enum(e, "durability", DurabilityName(c.durability));
  Dur(e, "syncInterval", c.sync_interval);
  Num(e, "maxBodyBytes", c.max_body_bytes);
  Num(e, "maxBodyMemoryBytes", c.max_body_memory_bytes);
  Enum(e, "queueFullPolicy", QueueFullPolicyName(c.queue_full_policy));
  Dur(e, "orphanGracePeriod", c.orphan_grace_period);
  Str(e, "podLabelsFile", c.pod_labels_file);
  Str(e, "instanceID", c.instance_id);

  e << YAML::Key << "remotes" << YAML::Value << YAML::BeginSeq;
  for (const RemoteConfig& r : c.remotes) {
    e << YAML::BeginMap;
    Str(e, "name", r.name);
    Str(e, "url", r.url);
    Str(e, "orgID", r.org_id);
    if (r.token_file.empty()) {
      Str(e, "token", r.token);
    } else {
      Str(e, "tokenFile", r.token_file);
      if (resolved_tokens) Str(e, "resolvedToken", r.token);  // hash input only
    }
    Str(e, "username", r.username);
    if (r.password_file.empty()) {
      Str(e, "password", r.password);
    } else {
      Str(e, "passwordFile", r.password_file);
      if (resolved_tokens) Str(e, "resolvedPassword", r.password);  // hash input only
    }
    Enum(e, "credentialsIn", CredentialsInName(r.credentials_in));
    Enum(e, "protocol", ProtocolName(r.protocol));
    Str(e, "caFile", r.ca_file);
    Str(e, "certFile", r.cert_file);
    Str(e, "keyFile", r.key_file);
    Bool(e, "insecureSkipVerify", r.insecure_skip_verify);
    Dur(e, "timeout", r.timeout);
    e << YAML::EndMap;
  }
  e << YAML::EndSeq;

  e << YAML::Key << "replications" << YAML::Value << YAML::BeginSeq;
  for (const ReplicationConfig& r : c.replications) {
    e << YAML::BeginMap;
    Str(e, "id", r.id);
    Str(e, "name", r.name);
    Str(e, "remote", r.remote);
    Str(e, "localBucket", r.local_bucket);
    Str(e, "localBucketID", r.local_bucket_id);
    Str(e, "localOrg", r.local_org);
    Str(e, "remoteBucket", r.remote_bucket);
    Str(e, "remoteBucketID", r.remote_bucket_id);
    Num(e, "maxQueueSizeBytes", r.max_queue_size_bytes);
    Num(e, "maxAgeSeconds", r.max_age_seconds);
    Bool(e, "dropNonRetryableData", r.drop_non_retryable_data);
    Bool(e, "replicateDeletes", r.replicate_deletes);
    Bool(e, "suspend", r.suspend);
    e << YAML::Key << "measurements" << YAML::Value;
    StrList(e, r.measurements);
    e << YAML::Key << "selector" << YAML::Value;
    RenderSelector(e, r.selector);
    Num(e, "maxInFlight", r.max_in_flight);
    e << YAML::Key << "batch" << YAML::Value << YAML::BeginMap;
    Num(e, "maxBytes", r.batch.max_bytes);
    Num(e, "maxPoints", r.batch.max_points);
    e << YAML::EndMap;
    e << YAML::Key << "backoff" << YAML::Value << YAML::BeginMap;
    Dur(e, "min", r.backoff.min);
    Dur(e, "max", r.backoff.max);
    e << YAML::EndMap;
    if (r.backfill) {
      e << YAML::Key << "backfill" << YAML::Value << YAML::BeginMap;
      Str(e, "from", FormatTimestamp(r.backfill->from_ns));
      Str(e, "to", FormatTimestamp(r.backfill->to_ns));
      Num(e, "maxPointsPerSecond", r.backfill->max_points_per_second);
      e << YAML::EndMap;
    }
    e << YAML::EndMap;
  }
  e << YAML::EndSeq;
  e << YAML::EndMap;
  return std::string(e.c_str()) + "\n";
}

}  // namespace

std::string Render(const Config& config) {
  return RenderImpl(config, false);
}

std::string ConfigHash(const Config& config) {
  std::string text = RenderImpl(config, true);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(text.data(), text.size(), digest, &len, EVP_sha256(), nullptr);
  // Wipe the plaintext that held the tokens before the buffer is freed.
  OPENSSL_cleanse(text.data(), text.size());
  return codec::HexEncode(std::string_view(reinterpret_cast<const char*>(digest), len));
}

}  // namespace edgerepl::config
