#include "operator/model/validate.h"

#include <optional>
#include <set>
#include <tuple>

#include "common/config/duration.h"
#include "common/config/timestamp.h"
#include "common/config/validate.h"
#include "operator/model/translate.h"

namespace edgerepl::op {
namespace {

std::string Quote(const std::string& s) {
  return "\"" + s + "\"";
}

// Rewrites a config error path ("replications[0].selector.matchLabels: …") into the resource's
// field path ("spec.agentSelector.matchLabels: …").
FieldError MapConfigError(const std::string& error, const std::string& prefix) {
  size_t colon = error.find(": ");
  std::string path = colon == std::string::npos ? "" : error.substr(0, colon);
  std::string message = colon == std::string::npos ? error : error.substr(colon + 2);
  if (path.rfind(prefix, 0) != 0) return {"spec", error};
  std::string rest = path.substr(prefix.size());
  if (!rest.empty() && rest[0] == '.') rest.erase(0, 1);
  // A rule on two fields is reported on their object in the file; a resource names the field a
  // user would change.
  static const std::pair<const char*, const char*> kObjectRules[] = {
      {"set only one of remoteBucket and remoteBucketID", "remoteBucketID"},
  };
  if (rest.empty()) {
    for (const auto& [rule, field] : kObjectRules) {
      if (message == rule) rest = field;
    }
  }
  static const std::pair<const char*, const char*> kRenames[] = {
      {"selector", "agentSelector"},
      {"remote", "remoteRef.name"},
      {"id", "metadata.uid"},
      {"name", "metadata.name"},
      {"token", "tokenSecretRef"},
      {"caFile", "caSecretRef"},
      {"certFile", "tlsSecretRef"},
      {"keyFile", "tlsSecretRef"},
      {"username", "basicAuthSecretRef"},
      {"password", "basicAuthSecretRef"},
  };
  std::string head = rest.substr(0, rest.find_first_of(".["));
  std::string tail = rest.substr(head.size());
  for (const auto& [from, to] : kRenames) {
    if (head == from) {
      std::string mapped = std::string(to) + tail;
      if (mapped.rfind("metadata.", 0) == 0) return {mapped, message};
      return {"spec." + mapped, message};
    }
  }
  return {rest.empty() ? "spec" : "spec." + rest, message};
}

// Appends the config model's own errors (the agent's parser is the final word on what the file
// may hold) for fields not already reported.
void AddConfigErrors(const config::Config& config, const std::string& prefix, FieldErrors* errors) {
  std::set<std::string> seen;
  for (const FieldError& e : *errors) seen.insert(e.field);
  for (const std::string& e : config::Validate(config)) {
    FieldError mapped = MapConfigError(e, prefix);
    if (seen.insert(mapped.field).second) errors->push_back(std::move(mapped));
  }
}

// The config model holds these counts unsigned; a negative one cannot be handed to its rules.
void CheckNotNegative(FieldErrors* errors, const std::string& field, int64_t value) {
  if (value < 0) errors->push_back({field, "must be at least 0, got " + std::to_string(value)});
}

bool HasField(const FieldErrors& errors, const std::string& field) {
  for (const FieldError& e : errors) {
    if (e.field == field) return true;
  }
  return false;
}

// The CRD's date-time format and CEL rule, checked here too: a 1.20 server has no CEL, and its
// date-time format accepts forms (no offset) the agent does not.
void CheckBackfill(const BackfillSpec& b, FieldErrors* errors) {
  std::optional<int64_t> from;
  std::optional<int64_t> to;
  for (auto [key, text, out] : {std::tuple{"from", &b.from, &from}, std::tuple{"to", &b.to, &to}}) {
    const std::string field = std::string("spec.backfill.") + key;
    if (HasField(*errors, field)) continue;
    if (text->empty()) {
      errors->push_back({field, "required"});
      continue;
    }
    *out = config::ParseTimestamp(*text);
    if (!*out) {
      errors->push_back({field, "invalid time " + Quote(*text) +
                                    " (expected RFC 3339, e.g. 2026-01-01T00:00:00Z)"});
    }
  }
  if (from && to && *to <= *from) {
    errors->push_back(
        {"spec.backfill.to", "must be after backfill.from (" + b.from + "), got " + b.to});
  }
  if (!HasField(*errors, "spec.backfill.maxPointsPerSecond")) {
    CheckNotNegative(errors, "spec.backfill.maxPointsPerSecond", b.max_points_per_second);
  }
}

}  // namespace

FieldErrors ValidateRemote(const Remote& remote) {
  FieldErrors errors = remote.decode_errors;
  const RemoteSpec& s = remote.spec;
  if (s.url.empty() && !HasField(errors, "spec.url")) errors.push_back({"spec.url", "required"});
  if (s.protocol != "v2" && s.protocol != "v1") {
    errors.push_back({"spec.protocol", "must be v2 or v1, got " + Quote(s.protocol)});
  }
  bool v1 = s.protocol == "v1";
  bool has_token = !s.token_secret_ref.name.empty();
  bool has_user = s.basic_auth_secret_ref.has_value();
  if (!has_token && !v1) {
    errors.push_back({"spec.tokenSecretRef.name", "required for protocol v2"});
  }
  if (s.token_secret_ref.key.empty()) errors.push_back({"spec.tokenSecretRef.key", "required"});
  if (s.ca_secret_ref.has_value()) {
    if (s.ca_secret_ref->name.empty()) errors.push_back({"spec.caSecretRef.name", "required"});
    if (s.ca_secret_ref->key.empty()) errors.push_back({"spec.caSecretRef.key", "required"});
  }
  if (s.tls_secret_ref.has_value() && s.tls_secret_ref->empty()) {
    errors.push_back({"spec.tlsSecretRef.name", "required"});
  }
  if (has_user) {
    if (s.basic_auth_secret_ref->empty()) {
      errors.push_back({"spec.basicAuthSecretRef.name", "required"});
    }
    if (!v1) {
      errors.push_back({"spec.basicAuthSecretRef", "only with protocol v1 (v2 takes a token)"});
    } else if (has_token) {
      errors.push_back({"spec.basicAuthSecretRef",
                        "set only one of tokenSecretRef and "
                        "basicAuthSecretRef"});
    }
  }
  if (s.credentials_in != "header" && s.credentials_in != "query") {
    errors.push_back(
        {"spec.credentialsIn", "must be header or query, got " + Quote(s.credentials_in)});
  } else if (s.credentials_in == "query" && !has_user) {
    errors.push_back({"spec.credentialsIn", "query only with basicAuthSecretRef"});
  }
  if (auto d = config::ParseDuration(s.timeout); !d || d->count() <= 0) {
    errors.push_back(
        {"spec.timeout", "must be a positive duration like 10s or 1m, got " + Quote(s.timeout)});
  }
  config::Config c;
  // Stand-ins for the Secrets' values, which are checked when resolved; conflicts are reported
  // above with the resource's field names, so the stand-in holds only one kind of credential.
  ResolvedSecrets stand_in;
  if (has_token) {
    stand_in.token = "token";
  } else if (has_user && v1) {
    stand_in.username = "user";
    stand_in.password = "password";
  }
  if (s.tls_secret_ref.has_value()) {
    stand_in.cert_file = "/tls.crt";
    stand_in.key_file = "/tls.key";
  }
  c.remotes.push_back(ToRemoteConfig(remote, stand_in));
  if (!has_user) c.remotes[0].credentials_in = config::CredentialsIn::kHeader;
  if (c.remotes[0].name.empty()) c.remotes[0].name = "remote";
  AddConfigErrors(c, "remotes[0]", &errors);
  return errors;
}

FieldErrors ValidateReplication(const Replication& replication, const Remote* remote) {
  FieldErrors errors = replication.decode_errors;
  const ReplicationSpec& s = replication.spec;
  if (s.remote_ref.empty()) errors.push_back({"spec.remoteRef.name", "required"});
  // What only the resource can get wrong: counts below zero, and (below) durations and times
  // that are text here. Every other rule is the agent's config rules, on the translated form.
  for (auto [field, value] : {std::pair{"spec.maxQueueSizeBytes", s.max_queue_size_bytes},
                              std::pair{"spec.maxAgeSeconds", s.max_age_seconds},
                              std::pair{"spec.maxInFlight", s.max_in_flight},
                              std::pair{"spec.batch.maxBytes", s.batch_max_bytes},
                              std::pair{"spec.batch.maxPoints", s.batch_max_points}}) {
    if (!HasField(errors, field)) CheckNotNegative(&errors, field, value);
  }
  auto min = config::ParseDuration(s.backoff_min);
  auto max = config::ParseDuration(s.backoff_max);
  if (!min || min->count() <= 0) {
    errors.push_back(
        {"spec.backoff.min",
         "must be a positive duration like 250ms, 30s or 1m30s, got " + Quote(s.backoff_min)});
  }
  if (!max || max->count() <= 0) {
    errors.push_back(
        {"spec.backoff.max",
         "must be a positive duration like 250ms, 30s or 1m30s, got " + Quote(s.backoff_max)});
  }
  if (s.backfill) CheckBackfill(*s.backfill, &errors);
  bool v1 = remote != nullptr && remote->spec.protocol == "v1";

  // The rules: the agent's own, on the translated replication, with a valid stand-in remote.
  config::Config c;
  config::RemoteConfig stand_in;
  stand_in.name = s.remote_ref.empty() ? "remote" : s.remote_ref;
  stand_in.url = "http://remote";
  stand_in.org_id = "org";
  stand_in.token = "token";
  stand_in.protocol = v1 ? config::Protocol::kV1 : config::Protocol::kV2;
  c.remotes.push_back(stand_in);
  c.replications.push_back(ToReplicationConfig(replication));
  if (c.replications[0].remote.empty()) c.replications[0].remote = stand_in.name;
  if (c.replications[0].id.empty()) c.replications[0].id = "uid";
  if (c.replications[0].name.empty()) c.replications[0].name = "name";
  AddConfigErrors(c, "replications[0]", &errors);
  return errors;
}

}  // namespace edgerepl::op
