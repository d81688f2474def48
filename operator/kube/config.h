// Where the API server is and how to authenticate: from a kubeconfig file (--kubeconfig,
// $KUBECONFIG, ~/.kube/config) or from the in-cluster service account. Every failure is a Status
// naming the file and the field, never an exception.
//
// Bearer tokens from files (the service account's projected token, a kubeconfig `tokenFile`) are
// rotated by the kubelet, so TokenSource re-reads the file at least once a minute instead of
// caching it for the life of the process.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "common/clock.h"
#include "common/status.h"

namespace edgerepl::kube {

// A bearer token: fixed, or read from a file and refreshed every `refresh` (one minute by default).
class TokenSource {
 public:
  static std::shared_ptr<TokenSource> Static(std::string token);
  // `clock` must outlive the source.
  static std::shared_ptr<TokenSource> FromFile(
      std::string path, const Clock& clock, std::chrono::seconds refresh = std::chrono::minutes(1));

  // The current token. A file that cannot be read after it was read once keeps the last token
  // (the kubelet replaces it atomically, so a failed read is transient); the first read's error
  // is returned as kInvalidArgument/kIoError.
  Result<std::string> Token();
  // Forces the next Token() to re-read the file (after a 401).
  void Invalidate();
  const std::string& path() const { return path_; }

 private:
  TokenSource() = default;

  std::string path_;  // empty: static
  const Clock* clock_ = nullptr;
  std::chrono::seconds refresh_{60};
  std::mutex mu_;
  std::string token_;
  std::optional<std::chrono::steady_clock::time_point> read_at_;
  bool stale_ = false;
};
using TokenSourcePtr = std::shared_ptr<TokenSource>;

struct TlsConfig {
  std::string ca_pem;  // PEM bundle; empty: the system roots
  std::string client_cert_pem;
  std::string client_key_pem;
  bool insecure_skip_verify = false;
};

struct Config {
  std::string server;  // "https://10.0.0.1:443"; no trailing slash
  TlsConfig tls;
  TokenSourcePtr token;  // null: no bearer token (client certificates or basic auth)
  std::string username;  // basic auth, when both are set
  std::string password;
  std::string namespace_ = "default";  // the context's namespace, or the pod's own
  std::string source;  // "in-cluster" or the kubeconfig path and context, for messages
};

// Paths of the in-cluster service account; overridable for tests.
struct InClusterPaths {
  std::string token_file = "/var/run/secrets/kubernetes.io/serviceaccount/token";
  std::string ca_file = "/var/run/secrets/kubernetes.io/serviceaccount/ca.crt";
  std::string namespace_file = "/var/run/secrets/kubernetes.io/serviceaccount/namespace";
};

// Environment lookup seam (getenv by default).
using GetEnv = std::function<std::optional<std::string>(const std::string&)>;
GetEnv ProcessEnv();

// KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT plus the service account files.
// kNotFound when the variables are unset (not running in a pod).
Result<Config> LoadInClusterConfig(const Clock& clock, const GetEnv& env = ProcessEnv(),
                                   const InClusterPaths& paths = {});

// Parses kubeconfig files (a `:`-separated list merges like kubectl: the first file to set a map
// entry or current-context wins) and resolves `context` (empty: current-context). Relative file
// references are resolved against the file that names them. Supports server,
// certificate-authority(-data), insecure-skip-tls-verify, client-certificate(-data),
// client-key(-data), token, tokenFile, username/password and the context namespace; exec and
// auth-provider plugins are refused with a message saying so.
Result<Config> LoadKubeconfig(const std::string& paths, const Clock& clock,
                              const std::string& context = "");

// The usual order: an explicit --kubeconfig, then $KUBECONFIG, then in-cluster, then
// ~/.kube/config.
Result<Config> LoadDefaultConfig(const std::string& kubeconfig_flag, const Clock& clock,
                                 const GetEnv& env = ProcessEnv());

}  // namespace edgerepl::kube
