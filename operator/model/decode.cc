#include "operator/model/decode.h"

#include "common/codec/base64.h"
#include "operator/model/json_fields.h"

namespace edgerepl::op {
namespace {

const web::json::value* Field(const web::json::value& object, const char* key) {
  if (!object.is_object()) return nullptr;
  const web::json::object& obj = object.as_object();
  auto it = obj.find(key);
  if (it == obj.end() || it->second.is_null()) return nullptr;
  return &it->second;
}

std::string StringField(const web::json::value& object, const char* key) {
  const web::json::value* v = Field(object, key);
  return v != nullptr && v->is_string() ? v->as_string() : std::string();
}

SecretKeyRef DecodeKeyRef(JsonFields r, const std::string& default_key) {
  SecretKeyRef ref{"", default_key};
  r.String("name", &ref.name);
  r.String("key", &ref.key);
  return ref;
}

void DecodeSelector(JsonFields r, config::LabelSelector* selector, FieldErrors* errors) {
  r.StringMap("matchLabels", &selector->match_labels);
  const web::json::value* exprs = r.Get("matchExpressions");
  if (exprs == nullptr) return;
  std::string path = r.PathOf("matchExpressions");
  if (!exprs->is_array()) {
    errors->push_back({path, "expected a list"});
    return;
  }
  const web::json::array& arr = exprs->as_array();
  for (size_t i = 0; i < arr.size(); ++i) {
    std::string epath = path + "[" + std::to_string(i) + "]";
    JsonFields er(&arr.at(i), epath, errors);
    config::SelectorRequirement req;
    er.String("key", &req.key);
    std::string op;
    er.String("operator", &op);
    if (op == "In") {
      req.op = config::SelectorOperator::kIn;
    } else if (op == "NotIn") {
      req.op = config::SelectorOperator::kNotIn;
    } else if (op == "Exists") {
      req.op = config::SelectorOperator::kExists;
    } else if (op == "DoesNotExist") {
      req.op = config::SelectorOperator::kDoesNotExist;
    } else {
      errors->push_back({er.PathOf("operator"),
                         "must be one of In, NotIn, Exists, DoesNotExist, got \"" + op + "\""});
    }
    er.StringList("values", &req.values);
    selector->match_expressions.push_back(std::move(req));
  }
}

}  // namespace

ObjectMeta DecodeMeta(const web::json::value& object) {
  ObjectMeta meta;
  const web::json::value* m = Field(object, "metadata");
  if (m == nullptr || !m->is_object()) return meta;
  meta.namespace_ = StringField(*m, "namespace");
  meta.name = StringField(*m, "name");
  meta.uid = StringField(*m, "uid");
  meta.resource_version = StringField(*m, "resourceVersion");
  if (const web::json::value* g = Field(*m, "generation"); g != nullptr && g->is_number()) {
    meta.generation = g->as_number().to_int64();
  }
  meta.deleting = Field(*m, "deletionTimestamp") != nullptr;
  if (const web::json::value* l = Field(*m, "labels"); l != nullptr && l->is_object()) {
    for (const auto& [k, v] : l->as_object()) {
      if (v.is_string()) meta.labels.emplace(k, v.as_string());
    }
  }
  return meta;
}

Remote DecodeRemote(const web::json::value& object) {
  Remote remote;
  remote.meta = DecodeMeta(object);
  JsonFields spec(Field(object, "spec"), "spec", &remote.decode_errors);
  RemoteSpec& s = remote.spec;
  spec.String("url", &s.url);
  spec.String("orgID", &s.org_id);
  s.token_secret_ref = DecodeKeyRef(spec.Object("tokenSecretRef"), "token");
  spec.String("protocol", &s.protocol);
  if (spec.Has("caSecretRef")) s.ca_secret_ref = DecodeKeyRef(spec.Object("caSecretRef"), "ca.crt");
  if (spec.Has("tlsSecretRef")) {
    s.tls_secret_ref.emplace();
    spec.Object("tlsSecretRef").String("name", &*s.tls_secret_ref);
  }
  if (spec.Has("basicAuthSecretRef")) {
    s.basic_auth_secret_ref.emplace();
    spec.Object("basicAuthSecretRef").String("name", &*s.basic_auth_secret_ref);
  }
  spec.String("credentialsIn", &s.credentials_in);
  spec.Bool("insecureSkipVerify", &s.insecure_skip_verify);
  spec.String("timeout", &s.timeout);
  spec.String("description", &s.description);
  return remote;
}

Replication DecodeReplication(const web::json::value& object) {
  Replication rep;
  rep.meta = DecodeMeta(object);
  FieldErrors* errors = &rep.decode_errors;
  JsonFields spec(Field(object, "spec"), "spec", errors);
  ReplicationSpec& s = rep.spec;
  spec.Object("remoteRef").String("name", &s.remote_ref);
  spec.String("localBucket", &s.local_bucket);
  spec.String("localBucketID", &s.local_bucket_id);
  spec.String("localOrg", &s.local_org);
  spec.String("remoteBucket", &s.remote_bucket);
  spec.String("remoteBucketID", &s.remote_bucket_id);
  spec.Int("maxQueueSizeBytes", &s.max_queue_size_bytes);
  spec.Int("maxAgeSeconds", &s.max_age_seconds);
  spec.Bool("dropNonRetryableData", &s.drop_non_retryable_data);
  spec.Bool("replicateDeletes", &s.replicate_deletes);
  spec.Bool("suspend", &s.suspend);
  spec.StringList("measurements", &s.measurements);
  DecodeSelector(spec.Object("agentSelector"), &s.agent_selector, errors);
  spec.Int("maxInFlight", &s.max_in_flight);
  JsonFields batch = spec.Object("batch");
  batch.Int("maxBytes", &s.batch_max_bytes);
  batch.Int("maxPoints", &s.batch_max_points);
  JsonFields backoff = spec.Object("backoff");
  backoff.String("min", &s.backoff_min);
  backoff.String("max", &s.backoff_max);
  if (spec.Has("backfill")) {
    JsonFields backfill = spec.Object("backfill");
    BackfillSpec& b = s.backfill.emplace();
    backfill.String("from", &b.from);
    backfill.String("to", &b.to);
    backfill.Int("maxPointsPerSecond", &b.max_points_per_second);
  }
  return rep;
}

Secret DecodeSecret(const web::json::value& object) {
  Secret secret;
  secret.meta = DecodeMeta(object);
  if (const web::json::value* d = Field(object, "data"); d != nullptr && d->is_object()) {
    for (const auto& [k, v] : d->as_object()) {
      if (!v.is_string()) continue;
      if (auto bytes = codec::Base64Decode(v.as_string()))
        secret.data.emplace(k, std::move(*bytes));
    }
  }
  // stringData is write-only in the API, but objects built by hand (tests, dry runs) may carry it.
  if (const web::json::value* d = Field(object, "stringData"); d != nullptr && d->is_object()) {
    for (const auto& [k, v] : d->as_object()) {
      if (v.is_string()) secret.data[k] = v.as_string();
    }
  }
  return secret;
}

AgentPod DecodeAgentPod(const web::json::value& object) {
  AgentPod pod;
  pod.meta = DecodeMeta(object);
  if (const web::json::value* meta = Field(object, "metadata"); meta != nullptr) {
    if (const web::json::value* a = Field(*meta, "annotations"); a != nullptr) {
      pod.config_version = StringField(*a, kConfigVersionAnnotation);
    }
  }
  if (const web::json::value* st = Field(object, "status"); st != nullptr) {
    pod.pod_ip = StringField(*st, "podIP");
    pod.running = StringField(*st, "phase") == "Running";
  }
  const web::json::value* spec = Field(object, "spec");
  const web::json::value* containers = spec != nullptr ? Field(*spec, "containers") : nullptr;
  if (containers == nullptr || !containers->is_array()) return pod;
  for (const web::json::value& c : containers->as_array()) {
    const web::json::value* ports = Field(c, "ports");
    if (ports == nullptr || !ports->is_array()) continue;
    for (const web::json::value& p : ports->as_array()) {
      if (StringField(p, "name") != kAgentAdminPortName) continue;
      const web::json::value* n = Field(p, "containerPort");
      if (n != nullptr && n->is_number()) {
        pod.admin_port = n->as_number().to_int32();
        return pod;
      }
    }
  }
  return pod;
}

bool IsAgentPod(const ObjectMeta& meta) {
  auto it = meta.labels.find(kAgentComponentLabel);
  return it != meta.labels.end() && it->second == kAgentComponentValue;
}

}  // namespace edgerepl::op
