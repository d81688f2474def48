#include "operator/controllers/secret_writer.h"

#include "common/codec/base64.h"
#include "operator/model/decode.h"

namespace edgerepl::op {
namespace {

web::json::value DataJson(const std::map<std::string, std::string>& data) {
  web::json::value d = web::json::value::object();
  for (const auto& [k, v] : data) d[k] = web::json::value::string(codec::Base64Encode(v));
  return d;
}

void SetManagedBy(web::json::value& secret) {
  web::json::value& meta = secret["metadata"];
  if (!meta.is_object()) meta = web::json::value::object();
  web::json::value& labels = meta["labels"];
  if (!labels.is_object()) labels = web::json::value::object();
  labels["app.kubernetes.io/managed-by"] = web::json::value::string("edgerepl-operator");
  labels["app.kubernetes.io/component"] = web::json::value::string("edgerepl-agent-config");
}

}  // namespace

Result<SecretWrite> ApplyConfigSecret(ClusterWriter& writer, const std::string& ns,
                                      const std::string& name,
                                      const std::map<std::string, std::string>& data,
                                      int attempts) {
  Status last;
  for (int i = 0; i < attempts; ++i) {
    Result<std::optional<web::json::value>> current = writer.GetSecret(ns, name);
    if (!current.ok()) return current.status();
    if (!current->has_value()) {
      web::json::value secret = web::json::value::object();
      secret["apiVersion"] = web::json::value::string("v1");
      secret["kind"] = web::json::value::string("Secret");
      secret["metadata"] = web::json::value::object();
      secret["metadata"]["name"] = web::json::value::string(name);
      secret["metadata"]["namespace"] = web::json::value::string(ns);
      SetManagedBy(secret);
      secret["type"] = web::json::value::string("Opaque");
      secret["data"] = DataJson(data);
      last = writer.CreateSecret(ns, secret);
      if (last.ok()) return SecretWrite::kCreated;
      if (last.code() != StatusCode::kConflict) return last;
      continue;  // created by someone else meanwhile: read it and compare
    }
    web::json::value secret = **current;
    if (DecodeSecret(secret).data == data) return SecretWrite::kUnchanged;
    secret["data"] = DataJson(data);
    if (secret.has_field("stringData")) secret.erase("stringData");
    SetManagedBy(secret);
    last = writer.UpdateSecret(ns, secret);
    if (last.ok()) return SecretWrite::kUpdated;
    if (last.code() != StatusCode::kConflict) return last;
  }
  return last;
}

}  // namespace edgerepl::op
