// A real etcd + kube-apiserver on free loopback ports for the operator's integration tests, as Go
// operators use envtest. Binaries come from $KUBEBUILDER_ASSETS or the cache scripts/envtest.sh
// fills (~/.cache/edgerepl/envtest/<version>/bin); tests skip with a visible message without them.
// Token authentication (an admin token in system:masters), AlwaysAllow authorization, and a
// kubeconfig written for kubectl and the operator. kubectl runs through Kubectl().
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "tests/support/process.h"
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
  // The directory holding kube-apiserver and etcd, or nullopt (with *why) when there is none.
  static std::optional<std::string> FindAssets(std::string* why);

  ApiServer();
  ~ApiServer();

  // Starts etcd and the API server and waits for /readyz; false with *why on failure.
  bool Start(std::string* why);
  void Stop();

  const std::string& kubeconfig() const { return kubeconfig_; }
  const std::string& kubectl() const { return kubectl_; }
  // "1.20" etc. from /version.
  int minor_version() const { return minor_; }

  // kubectl --kubeconfig=<ours> <args>, with `stdin_text` piped in when not empty.
  KubectlResult Kubectl(const std::string& args, const std::string& stdin_text = "") const;

 private:
  edgerepl::testing::TempDir dir_;
  std::unique_ptr<edgerepl::testing::ChildProcess> etcd_, apiserver_;
  std::string kubeconfig_, kubectl_ = "kubectl";
  int minor_ = 0;
};

}  // namespace edgerepl::op::testing
