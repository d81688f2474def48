// A real Kubernetes control plane for integration tests, as Go operators get from envtest: etcd and
// kube-apiserver on free loopback ports in a temp dir, with a throwaway CA and serving certificate,
// a service-account signing key and a static admin token (group system:masters, RBAC on). Start()
// waits for /readyz and writes a kubeconfig.
//
// Binaries: $KUBEBUILDER_ASSETS (any envtest bin directory: kube-apiserver, etcd, optionally
// etcdctl), else the newest ~/.cache/edgerepl/envtest/<version>/bin built by scripts/envtest.sh
// ($EDGEREPL_ENVTEST_CACHE overrides the cache root). Tests call Available() and GTEST_SKIP with
// its reason when there is none.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

namespace edgerepl::testing {

struct EnvtestAssets {
  std::string dir;
  std::string kube_apiserver;
  std::string etcd;
  std::string etcdctl;  // empty when none was found
  int major = 0;
  int minor = 0;  // from `kube-apiserver --version`
};

// nullopt with `why` set when no usable kube-apiserver and etcd exist.
std::optional<EnvtestAssets> FindEnvtestAssets(std::string* why);

struct EnvtestOptions {
  // false: every watch is served straight from etcd instead of the API server's watch cache, so
  // compacting etcd expires old versions with a real 410 (with the cache, history lives in the
  // API server's memory and a compaction does not show).
  bool watch_cache = true;
  // Appended to kube-apiserver's flags (an audit log for a benchmark, say).
  std::vector<std::string> extra_args;
};

class KubeApiServer {
 public:
  explicit KubeApiServer(EnvtestAssets assets, EnvtestOptions options = {});
  ~KubeApiServer();
  KubeApiServer(const KubeApiServer&) = delete;
  KubeApiServer& operator=(const KubeApiServer&) = delete;

  // Certificates, etcd, then the API server; waits for /readyz (up to two minutes).
  Status Start();
  // Stops only the API server (SIGTERM) and starts it again on the same port and etcd.
  void StopApiServer();
  Status StartApiServer();
  void Stop();

  // A second kube-apiserver on the same etcd (as in an HA control plane), so a test can change
  // objects while the first one is down. Its kubeconfig differs only in the port.
  Status StartPeer();
  void StopPeer();
  const std::string& peer_kubeconfig() const { return peer_kubeconfig_; }

  const EnvtestAssets& assets() const { return assets_; }
  std::string url() const { return "https://127.0.0.1:" + std::to_string(api_port_); }
  const std::string& kubeconfig() const { return kubeconfig_; }
  const std::string& token() const { return token_; }
  const std::string& ca_file() const { return ca_file_; }
  std::string etcd_endpoint() const { return "http://127.0.0.1:" + std::to_string(etcd_port_); }
  std::string apiserver_log() const { return dir_.Join("apiserver.log"); }

  // Runs etcdctl (API v3) against this etcd; its stdout, or an error with its output.
  Result<std::string> Etcdctl(const std::vector<std::string>& args);
  // Compacts etcd's history up to its current revision: older resourceVersions are gone (410).
  Status CompactEtcd();

 private:
  Status MakeCertificates();
  Status WaitReady(ChildProcess& process, int port, const std::string& log,
                   std::chrono::milliseconds timeout);
  std::unique_ptr<ChildProcess> Launch(int port, const std::string& log);
  void WriteKubeconfig(const std::string& path, int port);

  EnvtestAssets assets_;
  EnvtestOptions options_;
  TempDir dir_;
  int etcd_port_ = 0;
  int etcd_peer_port_ = 0;
  int api_port_ = 0;
  int peer_port_ = 0;
  std::string peer_kubeconfig_;
  std::unique_ptr<ChildProcess> peer_;
  std::string token_;
  std::string ca_file_;
  std::string kubeconfig_;
  std::unique_ptr<ChildProcess> etcd_;
  std::unique_ptr<ChildProcess> apiserver_;
};

// Runs argv to completion (output to `log`); the exit status, or -1 when it could not run.
int RunToCompletion(const std::vector<std::string>& argv, const std::string& log,
                    std::chrono::milliseconds timeout = std::chrono::seconds(60));

}  // namespace edgerepl::testing
