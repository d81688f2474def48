// The shared envtest control plane (tests/support/kube: etcd + kube-apiserver, admin token,
// kubeconfig) plus kubectl, for the operator's integration tests. Tests skip with a visible
// message when no API server or kubectl can be had.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "tests/support/kube/envtest.h"
#include "tests/support/temp_dir.h"

namespace edgerepl::op::testing {

struct KubectlResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr
};

// Runs a shell command, capturing stdout and stderr.
KubectlResult RunCommand(const std::string& command);

class ApiServer {
 public:
  ApiServer();
  ~ApiServer();

  // Starts etcd and the API server and waits for /readyz; false with *why on failure.
  bool Start(std::string* why);

  const std::string& kubeconfig() const { return server_->kubeconfig(); }
  const std::string& kubectl() const { return kubectl_; }
  // The API server's minor version (20 for 1.20).
  int minor_version() const { return server_->assets().minor; }

  // kubectl --kubeconfig=<ours> <args>, with `stdin_text` piped in when not empty.
  KubectlResult Kubectl(const std::string& args, const std::string& stdin_text = "") const;

 private:
  edgerepl::testing::TempDir dir_;
  std::unique_ptr<edgerepl::testing::KubeApiServer> server_;
  std::string kubectl_ = "kubectl";
};

}  // namespace edgerepl::op::testing
