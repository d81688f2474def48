#include "tests/integration/operator/api_server.h"

#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <fstream>

namespace edgerepl::op::testing {
namespace {

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

ApiServer::ApiServer() = default;

ApiServer::~ApiServer() {
  if (server_) server_->Stop();
}

bool ApiServer::Start(std::string* why) {
  std::optional<edgerepl::testing::EnvtestAssets> assets =
      edgerepl::testing::FindEnvtestAssets(why);
  if (!assets) return false;
  if (auto k = edgerepl::testing::FindExecutable("kubectl")) {
    kubectl_ = *k;
  } else if (::access((assets->dir + "/kubectl").c_str(), X_OK) == 0) {
    kubectl_ = assets->dir + "/kubectl";
  } else {
    *why = "no kubectl (Debian kubernetes-client)";
    return false;
  }
  server_ = std::make_unique<edgerepl::testing::KubeApiServer>(*assets);
  Status s = server_->Start();
  if (!s.ok()) {
    *why = "kube-apiserver did not start: " + s.ToString();
    return false;
  }
  return true;
}

KubectlResult ApiServer::Kubectl(const std::string& args, const std::string& stdin_text) const {
  std::string cmd = kubectl_ + " --kubeconfig=" + kubeconfig() + " " + args;
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
