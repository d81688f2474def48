#include "tests/integration/operator/api_server.h"

#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>

namespace edgerepl::op::testing {
namespace {

using edgerepl::testing::ChildProcess;
using edgerepl::testing::PickFreePort;
using edgerepl::testing::WaitForTcp;

bool Executable(const std::string& path) {
  return ::access(path.c_str(), X_OK) == 0;
}

KubectlResult Run(const std::string& command) {
  KubectlResult r;
  FILE* p = ::popen((command + " 2>&1").c_str(), "r");
  if (p == nullptr) return r;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), p)) > 0) r.output.append(buf.data(), n);
  int status = ::pclose(p);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

}  // namespace

KubectlResult RunCommand(const std::string& command) {
  return Run(command);
}

std::optional<std::string> ApiServer::FindAssets(std::string* why) {
  std::vector<std::string> dirs;
  if (const char* a = std::getenv("KUBEBUILDER_ASSETS"); a != nullptr && *a != '\0') {
    dirs.push_back(a);
  }
  std::string cache;
  if (const char* c = std::getenv("EDGEREPL_ENVTEST_CACHE"); c != nullptr && *c != '\0') {
    cache = c;
  } else if (const char* home = std::getenv("HOME"); home != nullptr) {
    cache = std::string(home) + "/.cache/edgerepl/envtest";
  }
  std::error_code ec;
  if (!cache.empty() && std::filesystem::is_directory(cache, ec)) {
    for (const auto& e : std::filesystem::directory_iterator(cache, ec)) {
      dirs.push_back(e.path().string() + "/bin");
    }
  }
  for (const std::string& d : dirs) {
    if (Executable(d + "/kube-apiserver") &&
        (Executable(d + "/etcd") || edgerepl::testing::FindExecutable("etcd"))) {
      return d;
    }
  }
  *why = "no kube-apiserver: set KUBEBUILDER_ASSETS or run scripts/envtest.sh";
  return std::nullopt;
}

ApiServer::ApiServer() = default;

ApiServer::~ApiServer() {
  Stop();
}

bool ApiServer::Start(std::string* why) {
  std::optional<std::string> assets = FindAssets(why);
  if (!assets) return false;
  if (auto k = edgerepl::testing::FindExecutable("kubectl")) {
    kubectl_ = *k;
  } else if (Executable(*assets + "/kubectl")) {
    kubectl_ = *assets + "/kubectl";
  } else {
    *why = "no kubectl (Debian kubernetes-client)";
    return false;
  }
  std::string etcd = Executable(*assets + "/etcd") ? *assets + "/etcd"
                                                   : *edgerepl::testing::FindExecutable("etcd");
  const int etcd_port = PickFreePort(), peer_port = PickFreePort(), api_port = PickFreePort();
  const std::string etcd_url = "http://127.0.0.1:" + std::to_string(etcd_port);
  etcd_ = std::make_unique<ChildProcess>(
      std::vector<std::string>{etcd, "--data-dir", dir_.Join("etcd"), "--listen-client-urls",
                               etcd_url, "--advertise-client-urls", etcd_url, "--listen-peer-urls",
                               "http://127.0.0.1:" + std::to_string(peer_port),
                               "--unsafe-no-fsync"},
      dir_.Join("etcd.log"));
  if (!WaitForTcp(etcd_port, std::chrono::seconds(20))) {
    *why = "etcd did not start (see " + dir_.Join("etcd.log") + ")";
    return false;
  }
  // The service-account signing key, required by the API server since 1.20.
  if (Run("openssl genrsa -out " + dir_.Join("sa.key") + " 2048").exit_code != 0) {
    *why = "openssl genrsa failed";
    return false;
  }
  {
    std::ofstream tokens(dir_.Join("tokens.csv"));
    tokens << "admin-token,admin,admin,system:masters\n";
  }
  apiserver_ = std::make_unique<ChildProcess>(
      std::vector<std::string>{
          *assets + "/kube-apiserver", "--etcd-servers", etcd_url, "--bind-address", "127.0.0.1",
          "--secure-port", std::to_string(api_port), "--cert-dir", dir_.Join("certs"),
          "--token-auth-file", dir_.Join("tokens.csv"), "--authorization-mode", "AlwaysAllow",
          "--service-account-issuer", "https://kubernetes.default.svc",
          "--service-account-key-file", dir_.Join("sa.key"), "--service-account-signing-key-file",
          dir_.Join("sa.key"), "--service-cluster-ip-range", "10.0.0.0/24",
          // No controller-manager creates default ServiceAccounts here.
          "--disable-admission-plugins", "ServiceAccount"},
      dir_.Join("apiserver.log"));
  kubeconfig_ = dir_.Join("kubeconfig");
  {
    std::ofstream k(kubeconfig_);
    k << "apiVersion: v1\nkind: Config\nclusters:\n- name: envtest\n  cluster:\n"
         "    server: https://127.0.0.1:"
      << api_port
      << "\n    insecure-skip-tls-verify: true\nusers:\n- name: admin\n  user:\n"
         "    token: admin-token\ncontexts:\n- name: envtest\n  context:\n"
         "    cluster: envtest\n    user: admin\n    namespace: default\n"
         "current-context: envtest\n";
  }
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::chrono::steady_clock::now() < deadline) {
    KubectlResult r = Kubectl("get --raw /readyz");
    if (r.exit_code == 0 && r.output.find("ok") != std::string::npos) {
      KubectlResult v = Kubectl("get --raw /version");
      size_t at = v.output.find("\"minor\"");
      if (at != std::string::npos) {
        size_t q = v.output.find('"', v.output.find(':', at) + 1);
        minor_ = std::atoi(v.output.c_str() + q + 1);
      }
      return true;
    }
    if (!apiserver_->Running()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
  }
  *why = "kube-apiserver did not become ready (see " + dir_.Join("apiserver.log") + ")";
  return false;
}

void ApiServer::Stop() {
  if (apiserver_) apiserver_->Stop(std::chrono::seconds(5));
  if (etcd_) etcd_->Stop(std::chrono::seconds(5));
  apiserver_.reset();
  etcd_.reset();
}

KubectlResult ApiServer::Kubectl(const std::string& args, const std::string& stdin_text) const {
  std::string cmd = kubectl_ + " --kubeconfig=" + kubeconfig_ + " " + args;
  if (stdin_text.empty()) return Run(cmd);
  std::string file = dir_.Join("stdin-" + std::to_string(::getpid()) + "-" +
                               std::to_string(std::rand()) + ".yaml");
  {
    std::ofstream f(file);
    f << stdin_text;
  }
  KubectlResult r = Run(cmd + " < " + file);
  std::remove(file.c_str());
  return r;
}

}  // namespace edgerepl::op::testing
