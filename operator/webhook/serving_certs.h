// The self-managed serving certificate, kept in a Secret of the webhook's own (type
// kubernetes.io/tls, keys tls.crt, tls.key, ca.crt) so every operator replica serves the same one
// and a restart does not change the caBundle; and the caBundle written into the
// MutatingWebhookConfiguration the chart creates for the operator.
#pragma once

#include <chrono>
#include <string>

#include "common/status.h"
#include "operator/kube/rest_client.h"
#include "operator/webhook/certs.h"

namespace edgerepl::webhook {

const kube::ResourceType& MutatingWebhookConfigurationsType();

struct ServingCertOptions {
  std::string secret_namespace;
  std::string secret_name;
  CertRequest request;
  // A stored certificate closer than this to its end is replaced.
  std::chrono::hours renew_before{24 * 30};
};

// The Secret's certificate when CertsUsable, else a new one written to the Secret (created, or
// updated with its resourceVersion). When another replica wrote first (AlreadyExists, Conflict),
// its certificate is read back and used, so all replicas converge on one.
Result<CertBundle> EnsureServingCert(kube::RestClient& client, const ServingCertOptions& options);

// Sets clientConfig.caBundle of every webhook in the configuration `name` to `ca_pem`; no write
// when they all have it already. Retries on Conflict.
Status EnsureCaBundle(kube::RestClient& client, const std::string& name, const std::string& ca_pem);

}  // namespace edgerepl::webhook
