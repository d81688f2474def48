// The world of the operator fault tests: a real etcd and two kube-apiservers on it (envtest,
// tests/support/kube) with the CRDs installed. The operator processes talk to the first server
// only; the test reads and writes through the second, so it keeps working while the first one is
// restarted. Watches are served from etcd (no watch cache), so compacting etcd makes resuming
// from an old version a real 410 Gone.
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "operator/kube/rest_client.h"
#include "tests/reliability/operator_faults_relay.h"
#include "tests/support/kube/envtest.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

namespace edgerepl::reliability {

class OperatorFaultsEnv {
 public:
  OperatorFaultsEnv();
  ~OperatorFaultsEnv();

  // etcd, both API servers, the CRDs; false with `why` when something is missing (the test
  // skips) or did not start.
  bool Start(const std::string& source_dir, std::string* why);

  testing::KubeApiServer& server() { return *server_; }
  // A client on the second API server (never restarted by the tests).
  kube::RestClient& client() { return *client_; }
  // A namespace of its own for one test.
  std::string NewNamespace(const std::string& prefix);
  // kubectl on the second API server.
  int Kubectl(const std::string& args, std::string* output = nullptr);

  struct Restart {
    std::chrono::milliseconds stopping{0};  // SIGTERM until it exited
    std::chrono::milliseconds away{0};      // SIGTERM until ready again
  };
  // Restarts the first API server (SIGTERM, then the same flags, port and etcd); with
  // `compact`, etcd's history is compacted while it is down, so every watch resumed from an
  // older version gets 410.
  Result<Restart> RestartApiServer(bool compact);

  // A kubeconfig for the first API server through a TCP relay (started on first use), whose
  // connections the test can cut.
  const std::string& RelayKubeconfig();
  TcpRelay& relay() { return *relay_; }
  // Compacts etcd's history up to now: resuming a watch from an older version is a 410.
  Status CompactEtcd() { return server_->CompactEtcd(); }

  // Holder of Lease `name` in `ns` ("" when none or unreadable).
  std::string LeaseHolder(const std::string& ns, const std::string& name = "edgerepl-operator");

 private:
  testing::TempDir dir_;
  std::unique_ptr<testing::KubeApiServer> server_;
  std::unique_ptr<kube::RestClient> client_;
  std::string kubectl_;
  std::unique_ptr<TcpRelay> relay_;
  std::string relay_kubeconfig_;
};

// One edgerepl-operator process. Start() launches it with fresh metrics and health ports; its
// output is appended to <log_dir>/<identity>.log across restarts.
class OperatorProcess {
 public:
  OperatorProcess(std::string binary, std::string kubeconfig, std::string log_dir,
                  std::string identity, std::vector<std::string> extra_flags);
  ~OperatorProcess();

  void Start();
  // As a kubelet would: starts it again when it has exited. True when it did.
  bool RestartIfExited();
  void Kill();  // SIGKILL, waits for the exit
  void Stop();  // SIGTERM
  bool Running();

  const std::string& identity() const { return identity_; }
  std::string log_path() const { return log_dir_ + "/" + identity_ + ".log"; }
  int restarts() const { return restarts_; }
  std::string Metrics();
  bool Ready();

 private:
  std::mutex mu_;
  std::string binary_, kubeconfig_, log_dir_, identity_;
  std::vector<std::string> extra_;
  int metrics_port_ = 0;
  int health_port_ = 0;
  int restarts_ = 0;
  std::unique_ptr<testing::ChildProcess> process_;
};

}  // namespace edgerepl::reliability
