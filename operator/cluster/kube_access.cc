#include "operator/cluster/kube_access.h"

#include <sys/stat.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "common/config/parse.h"
#include "operator/model/base64.h"

namespace edgerepl::op {
namespace {

constexpr char kServiceAccountDir[] = "/var/run/secrets/kubernetes.io/serviceaccount";

std::string Dir(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? "." : path.substr(0, slash);
}

std::string Resolve(const std::string& base_dir, const std::string& path) {
  if (path.empty() || path[0] == '/') return path;
  return base_dir + "/" + path;
}

// A private directory for inline credentials, created once per process.
Result<std::string> PrivateDir() {
  static std::mutex mu;
  static std::string dir;
  std::lock_guard<std::mutex> lock(mu);
  if (!dir.empty()) return dir;
  std::string tmpl = "/tmp/edgerepl-operator-XXXXXX";
  if (mkdtemp(tmpl.data()) == nullptr) return Status::FromErrno(errno, "mkdtemp");
  dir = tmpl;
  return dir;
}

Result<std::string> WriteData(const std::string& name, const std::string& base64) {
  std::optional<std::string> bytes = Base64Decode(base64);
  if (!bytes) return Status::InvalidArgument(name + " is not valid base64");
  Result<std::string> dir = PrivateDir();
  if (!dir.ok()) return dir.status();
  std::string path = *dir + "/" + name;
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << *bytes;
  if (!out) return Status::FromErrno(errno, "write " + path);
  chmod(path.c_str(), 0600);
  return path;
}

const YAML::Node Named(const YAML::Node& list, const std::string& name) {
  if (!list || !list.IsSequence()) return YAML::Node();
  for (const YAML::Node& item : list) {
    if (item["name"] && item["name"].as<std::string>("") == name) return item;
  }
  return YAML::Node();
}

std::string Str(const YAML::Node& n, const char* key) {
  return n && n.IsMap() && n[key] && n[key].IsScalar() ? n[key].Scalar() : std::string();
}

}  // namespace

Result<KubeAccess> LoadKubeconfig(const std::string& path) {
  Result<std::string> text = config::ReadWholeFile(path);
  if (!text.ok()) return text.status();
  YAML::Node root;
  try {
    root = YAML::Load(*text);
  } catch (const std::exception& e) {
    return Status::InvalidArgument(path + ": not YAML: " + e.what());
  }
  if (!root.IsMap()) return Status::InvalidArgument(path + ": not a kubeconfig");
  std::string context_name = Str(root, "current-context");
  if (context_name.empty()) return Status::InvalidArgument(path + ": current-context is not set");
  YAML::Node context = Named(root["contexts"], context_name)["context"];
  if (!context)
    return Status::InvalidArgument(path + ": context \"" + context_name + "\" not found");
  std::string cluster_name = Str(context, "cluster");
  std::string user_name = Str(context, "user");
  YAML::Node cluster = Named(root["clusters"], cluster_name)["cluster"];
  if (!cluster)
    return Status::InvalidArgument(path + ": cluster \"" + cluster_name + "\" not found");
  YAML::Node user = Named(root["users"], user_name)["user"];

  const std::string base = Dir(path);
  KubeAccess a;
  a.source = path + " (context " + context_name + ")";
  a.server = Str(cluster, "server");
  while (!a.server.empty() && a.server.back() == '/') a.server.pop_back();
  if (a.server.empty())
    return Status::InvalidArgument(path + ": clusters[" + cluster_name + "].server is empty");
  a.insecure_skip_verify = Str(cluster, "insecure-skip-tls-verify") == "true";
  if (std::string d = Str(cluster, "certificate-authority-data"); !d.empty()) {
    Result<std::string> f = WriteData("ca.crt", d);
    if (!f.ok())
      return Status::InvalidArgument(path +
                                     ": certificate-authority-data: " + f.status().message());
    a.ca_file = *f;
  } else {
    a.ca_file = Resolve(base, Str(cluster, "certificate-authority"));
  }
  if (user && user.IsMap()) {
    if (user["exec"] || user["auth-provider"]) {
      return Status::InvalidArgument(path + ": users[" + user_name +
                                     "]: exec and auth-provider plugins are not supported; use a "
                                     "token or a client certificate");
    }
    a.token = Str(user, "token");
    a.token_file = Resolve(base, Str(user, "tokenFile"));
    if (std::string d = Str(user, "client-certificate-data"); !d.empty()) {
      Result<std::string> f = WriteData("client.crt", d);
      if (!f.ok()) return f.status();
      a.client_cert_file = *f;
    } else {
      a.client_cert_file = Resolve(base, Str(user, "client-certificate"));
    }
    if (std::string d = Str(user, "client-key-data"); !d.empty()) {
      Result<std::string> f = WriteData("client.key", d);
      if (!f.ok()) return f.status();
      a.client_key_file = *f;
    } else {
      a.client_key_file = Resolve(base, Str(user, "client-key"));
    }
  }
  if (std::string ns = Str(context, "namespace"); !ns.empty()) a.namespace_ = ns;
  return a;
}

Result<KubeAccess> LoadInCluster() {
  const char* host = std::getenv("KUBERNETES_SERVICE_HOST");
  const char* port = std::getenv("KUBERNETES_SERVICE_PORT");
  if (host == nullptr || port == nullptr || *host == '\0') {
    return Status::NotFound("not in a pod (KUBERNETES_SERVICE_HOST unset)");
  }
  KubeAccess a;
  std::string h = host;
  if (h.find(':') != std::string::npos) h = "[" + h + "]";
  a.server = "https://" + h + ":" + port;
  a.ca_file = std::string(kServiceAccountDir) + "/ca.crt";
  a.token_file = std::string(kServiceAccountDir) + "/token";
  a.source = "in-cluster";
  if (Result<std::string> ns =
          config::ReadWholeFile(std::string(kServiceAccountDir) + "/namespace");
      ns.ok() && !ns->empty()) {
    a.namespace_ = *ns;
  }
  return a;
}

Result<KubeAccess> LoadKubeAccess(const std::string& kubeconfig_flag) {
  if (!kubeconfig_flag.empty()) return LoadKubeconfig(kubeconfig_flag);
  if (const char* env = std::getenv("KUBECONFIG"); env != nullptr && *env != '\0') {
    std::string first = env;
    first = first.substr(0, first.find(':'));
    return LoadKubeconfig(first);
  }
  Result<KubeAccess> in = LoadInCluster();
  if (in.ok() || in.status().code() != StatusCode::kNotFound) return in;
  const char* home = std::getenv("HOME");
  if (home == nullptr) return Status::NotFound("no kubeconfig and not in a pod");
  return LoadKubeconfig(std::string(home) + "/.kube/config");
}

BearerToken::BearerToken(const KubeAccess& access, std::chrono::seconds refresh)
    : token_(access.token), file_(access.token_file), refresh_(refresh) {}

std::string BearerToken::Get() {
  std::lock_guard<std::mutex> lock(mu_);
  if (file_.empty()) return token_;
  auto now = std::chrono::steady_clock::now();
  if (token_.empty() || now - read_at_ >= refresh_) {
    // A failed read keeps the last token: the kubelet swaps the file atomically.
    if (Result<std::string> t = config::ReadWholeFile(file_); t.ok()) {
      std::string v = *t;
      while (!v.empty() && (v.back() == '\n' || v.back() == '\r')) v.pop_back();
      token_ = v;
      read_at_ = now;
    }
  }
  return token_;
}

}  // namespace edgerepl::op
