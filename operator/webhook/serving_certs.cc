// spdlog (fmt) before cpprest: cpprest's U() macro breaks fmt's templates.
#include <spdlog/spdlog.h>

#include "operator/webhook/serving_certs.h"

#include "common/codec/base64.h"

namespace edgerepl::webhook {
namespace {

constexpr int kConflictRetries = 5;

std::optional<CertBundle> FromSecret(const kube::Object& secret) {
  auto ca = kube::secret::Data(secret, "ca.crt");
  auto cert = kube::secret::Data(secret, "tls.crt");
  auto key = kube::secret::Data(secret, "tls.key");
  if (!ca || !cert || !key) return std::nullopt;
  return CertBundle{*ca, *cert, *key};
}

void Fill(kube::Object& secret, const CertBundle& b) {
  secret.json()["type"] = web::json::value::string("kubernetes.io/tls");
  kube::secret::SetData(secret, "ca.crt", b.ca_pem);
  kube::secret::SetData(secret, "tls.crt", b.cert_pem);
  kube::secret::SetData(secret, "tls.key", b.key_pem);
}

}  // namespace

const kube::ResourceType& MutatingWebhookConfigurationsType() {
  static const kube::ResourceType t{"admissionregistration.k8s.io", "v1",
                                    "mutatingwebhookconfigurations", "MutatingWebhookConfiguration",
                                    false};
  return t;
}

Result<CertBundle> EnsureServingCert(kube::RestClient& client, const ServingCertOptions& o) {
  for (int attempt = 0; attempt < kConflictRetries; ++attempt) {
    Result<kube::Object> existing =
        client.Get(kube::SecretsType(), o.secret_namespace, o.secret_name);
    if (!existing.ok() && existing.status().code() != StatusCode::kNotFound) {
      return existing.status();
    }
    if (existing.ok()) {
      std::string why = "it has no ca.crt, tls.crt and tls.key";
      std::optional<CertBundle> stored = FromSecret(*existing);
      if (stored && CertsUsable(*stored, o.request, o.renew_before, &why)) return *stored;
      spdlog::info("webhook certificate in Secret {}/{} is replaced: {}", o.secret_namespace,
                   o.secret_name, why);
    }
    Result<CertBundle> fresh = GenerateCerts(o.request);
    if (!fresh.ok()) return fresh.status();
    Status written;
    if (existing.ok()) {
      kube::Object secret = *existing;
      Fill(secret, *fresh);
      written = client.Update(kube::SecretsType(), secret).status();
    } else {
      kube::Object secret;
      secret.set_name(o.secret_name);
      secret.set_namespace(o.secret_namespace);
      secret.set_label("app.kubernetes.io/component", "operator");
      Fill(secret, *fresh);
      written = client.Create(kube::SecretsType(), o.secret_namespace, secret).status();
    }
    if (written.ok()) {
      spdlog::info("webhook certificate written to Secret {}/{}", o.secret_namespace,
                   o.secret_name);
      return *fresh;
    }
    // Another replica wrote first: take its certificate on the next round.
    if (written.code() != StatusCode::kConflict) return written;
  }
  return Status::Unavailable("webhook certificate Secret " + o.secret_namespace + "/" +
                             o.secret_name + ": still conflicting after " +
                             std::to_string(kConflictRetries) + " attempts");
}

Status EnsureCaBundle(kube::RestClient& client, const std::string& name,
                      const std::string& ca_pem) {
  const std::string encoded = codec::Base64Encode(ca_pem);
  for (int attempt = 0; attempt < kConflictRetries; ++attempt) {
    Result<kube::Object> config = client.Get(MutatingWebhookConfigurationsType(), "", name);
    if (!config.ok()) return config.status();
    kube::Object updated = *config;
    bool changed = false;
    auto& json = updated.json();
    if (!json.has_array_field("webhooks")) {
      return Status::InvalidArgument("MutatingWebhookConfiguration " + name + ": no webhooks");
    }
    for (auto& hook : json["webhooks"].as_array()) {
      if (!hook.has_object_field("clientConfig")) continue;
      auto& cc = hook["clientConfig"];
      if (cc.has_string_field("caBundle") && cc["caBundle"].as_string() == encoded) continue;
      cc["caBundle"] = web::json::value::string(encoded);
      changed = true;
    }
    if (!changed) return Status::Ok();
    Status s = client.Update(MutatingWebhookConfigurationsType(), updated).status();
    if (s.ok()) {
      spdlog::info("caBundle written to MutatingWebhookConfiguration {}", name);
      return s;
    }
    if (s.code() != StatusCode::kConflict) return s;
  }
  return Status::Unavailable("MutatingWebhookConfiguration " + name +
                             ": still conflicting after retries");
}

}  // namespace edgerepl::webhook
