// The webhook's serving certificate when cert-manager is not asked to make it: a CA of its own and
// a leaf signed by it for the Service's DNS names, both ECDSA P-256 (fast to make at start, and
// accepted by every kube-apiserver since 1.13). The API server trusts the CA through the
// caBundle of the MutatingWebhookConfiguration; nothing else ever trusts it.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "common/status.h"

namespace edgerepl::webhook {

struct CertBundle {
  std::string ca_pem;    // the CA certificate (the caBundle)
  std::string cert_pem;  // the serving certificate
  std::string key_pem;   // its private key (PKCS#8)
};

struct CertRequest {
  std::vector<std::string> dns_names;     // e.g. svc, svc.ns, svc.ns.svc
  std::vector<std::string> ip_addresses;  // e.g. 127.0.0.1 for a webhook reached by URL
  std::chrono::hours validity{24 * 365};  // the leaf's; the CA lives ten times as long
};

// A fresh CA and serving certificate. kInternal when OpenSSL fails (it names the step).
Result<CertBundle> GenerateCerts(const CertRequest& request);

// True when `bundle` parses, the key matches the certificate, the certificate is signed by the CA,
// names every entry of `request`, and stays valid for at least `min_remaining`; `why` says what
// failed otherwise. A certificate kept in a Secret is reused only when this holds.
bool CertsUsable(const CertBundle& bundle, const CertRequest& request,
                 std::chrono::hours min_remaining, std::string* why);

}  // namespace edgerepl::webhook
