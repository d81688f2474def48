// The sidecar injection webhook as the operator runs it: the sidecar template, the serving
// certificate (cert-manager's files, or its own kept in a Secret with the caBundle written into
// the MutatingWebhookConfiguration), the HTTPS listener, and an hourly check that renews a
// self-managed certificate before it ends. Served by every replica, leader or not: admission
// must not wait for an election.
#pragma once

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/status.h"
#include "operator/kube/rest_client.h"
#include "operator/webhook/serving_certs.h"
#include "operator/webhook/sidecar_template.h"
#include "operator/webhook/tls_server.h"

namespace edgerepl::webhook {

struct WebhookOptions {
  std::string bind_address;  // ":9443"
  std::string sidecar_file;
  // cert-manager: tls.crt and tls.key are read from here (the caBundle is cert-manager's job).
  // Empty: self-managed.
  std::string cert_dir;
  std::string secret_namespace;  // self-managed: where the certificate Secret lives
  std::string secret_name;
  std::string config_name;  // the MutatingWebhookConfiguration to write the caBundle into
  std::vector<std::string> dns_names;
  std::vector<std::string> ip_addresses;
};

class Webhook {
 public:
  // `client` must outlive the webhook and must not be gated on leadership.
  static Result<std::unique_ptr<Webhook>> Start(WebhookOptions options, kube::RestClient& client);
  ~Webhook();
  void Stop();

 private:
  Webhook(WebhookOptions options, kube::RestClient& client);
  Status ServeWith(const CertBundle& bundle);
  void RenewLoop();
  void RecordEphemeralQueue(const struct AdmissionRequest& request, const std::string& warning);

  WebhookOptions options_;
  kube::RestClient& client_;
  SidecarTemplate sidecar_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  CertBundle current_;
  TlsServerPtr server_;
  std::thread renewer_;
};

}  // namespace edgerepl::webhook
