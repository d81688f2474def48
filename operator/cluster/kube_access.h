// Where the Kubernetes API is and how to authenticate to it: a kubeconfig (--kubeconfig, the
// first file of $KUBECONFIG, ~/.kube/config) or the in-cluster service account. Inline data
// (certificate-authority-data, client certificate and key data) is written to private files,
// because the HTTP seam takes file paths. Exec and auth-provider plugins are refused by name.
#pragma once

#include <chrono>
#include <mutex>
#include <string>

#include "common/status.h"

namespace edgerepl::op {

struct KubeAccess {
  std::string server;  // "https://host:port", no trailing slash
  std::string ca_file;
  std::string client_cert_file;
  std::string client_key_file;
  bool insecure_skip_verify = false;
  std::string token;       // a fixed bearer token, or
  std::string token_file;  // a rotated one, re-read at least once a minute
  std::string namespace_ = "default";
  std::string source;  // for messages: the file and context, or "in-cluster"
};

Result<KubeAccess> LoadKubeconfig(const std::string& path);
// KUBERNETES_SERVICE_HOST/PORT and /var/run/secrets/kubernetes.io/serviceaccount; kNotFound when
// not in a pod.
Result<KubeAccess> LoadInCluster();
// --kubeconfig, then $KUBECONFIG, then in-cluster, then ~/.kube/config.
Result<KubeAccess> LoadKubeAccess(const std::string& kubeconfig_flag);

// The bearer token in effect: fixed, or the file's content re-read every `refresh`.
class BearerToken {
 public:
  explicit BearerToken(const KubeAccess& access,
                       std::chrono::seconds refresh = std::chrono::seconds(60));
  std::string Get();

 private:
  std::string token_;
  std::string file_;
  std::chrono::seconds refresh_;
  std::mutex mu_;
  std::chrono::steady_clock::time_point read_at_{};
};

}  // namespace edgerepl::op
