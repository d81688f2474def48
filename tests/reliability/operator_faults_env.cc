#include "tests/reliability/operator_faults_env.h"

#include <signal.h>
#include <unistd.h>

#include <array>
#include <cstdio>

#include "common/clock.h"
#include "operator/kube/config.h"

namespace edgerepl::reliability {
namespace {

using namespace std::chrono_literals;

int RunShell(const std::string& command, std::string* output) {
  FILE* p = ::popen((command + " 2>&1").c_str(), "r");
  if (p == nullptr) return -1;
  std::string out;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), p)) > 0) out.append(buf.data(), n);
  int status = ::pclose(p);
  if (output != nullptr) *output = out;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace

OperatorFaultsEnv::OperatorFaultsEnv() = default;

OperatorFaultsEnv::~OperatorFaultsEnv() {
  client_.reset();
  relay_.reset();
  if (server_) server_->Stop();
}

bool OperatorFaultsEnv::Start(const std::string& source_dir, std::string* why) {
  std::optional<testing::EnvtestAssets> assets = testing::FindEnvtestAssets(why);
  if (!assets) return false;
  if (assets->etcdctl.empty()) {
    *why = "no etcdctl (Debian etcd-client): the 410 case compacts etcd with it";
    return false;
  }
  if (auto k = testing::FindExecutable("kubectl")) {
    kubectl_ = *k;
  } else if (::access((assets->dir + "/kubectl").c_str(), X_OK) == 0) {
    kubectl_ = assets->dir + "/kubectl";
  } else {
    *why = "no kubectl (Debian kubernetes-client)";
    return false;
  }
  testing::EnvtestOptions options;
  options.watch_cache = false;
  server_ = std::make_unique<testing::KubeApiServer>(*assets, options);
  Status s = server_->Start();
  if (s.ok()) s = server_->StartPeer();
  if (!s.ok()) {
    *why = "kube-apiserver did not start: " + s.ToString();
    return false;
  }
  Result<kube::Config> config =
      kube::LoadKubeconfig(server_->peer_kubeconfig(), RealClock::Instance());
  if (!config.ok()) {
    *why = "kubeconfig: " + config.status().ToString();
    return false;
  }
  Result<std::unique_ptr<kube::RestClient>> client =
      kube::RestClient::Make(*config, RealClock::Instance(), nullptr, [] {
        // The test's own writers and checks are not to be throttled like a controller.
        kube::RestClientOptions o;
        o.qps = 500;
        o.burst = 1000;
        return o;
      }());
  if (!client.ok()) {
    *why = "client: " + client.status().ToString();
    return false;
  }
  client_ = std::move(*client);
  std::string out;
  if (Kubectl("apply --validate=false -f " + source_dir + "/crds/", &out) != 0 ||
      Kubectl("wait --for condition=established --timeout=60s crd/remotes.edgerepl.io "
              "crd/replications.edgerepl.io",
              &out) != 0) {
    *why = "installing the CRDs failed: " + out;
    return false;
  }
  return true;
}

int OperatorFaultsEnv::Kubectl(const std::string& args, std::string* output) {
  return RunShell(kubectl_ + " --kubeconfig=" + server_->peer_kubeconfig() + " " + args, output);
}

std::string OperatorFaultsEnv::NewNamespace(const std::string& prefix) {
  static int counter = 0;
  std::string name = prefix + "-" + std::to_string(::getpid()) + "-" + std::to_string(++counter);
  static const kube::ResourceType kNamespaces{"", "v1", "namespaces", "Namespace", false};
  kube::Object ns;
  ns.set_name(name);
  Result<kube::Object> created = client_->Create(kNamespaces, "", ns);
  return created.ok() ? name : "";
}

Result<OperatorFaultsEnv::Restart> OperatorFaultsEnv::RestartApiServer(bool compact) {
  using std::chrono::duration_cast;
  using std::chrono::milliseconds;
  Restart r;
  auto start = std::chrono::steady_clock::now();
  server_->StopApiServer();
  r.stopping = duration_cast<milliseconds>(std::chrono::steady_clock::now() - start);
  if (compact) EDGEREPL_RETURN_IF_ERROR(server_->CompactEtcd());
  EDGEREPL_RETURN_IF_ERROR(server_->StartApiServer());
  r.away = duration_cast<milliseconds>(std::chrono::steady_clock::now() - start);
  return r;
}

const std::string& OperatorFaultsEnv::RelayKubeconfig() {
  if (relay_ == nullptr) {
    const std::string url = server_->url();  // https://127.0.0.1:<port>
    const std::string api = url.substr(url.find("://") + 3);
    relay_ = std::make_unique<TcpRelay>(std::stoi(api.substr(api.rfind(':') + 1)));
    std::string text = testing::ReadFileOrDie(server_->kubeconfig());
    text.replace(text.find(api), api.size(), "127.0.0.1:" + std::to_string(relay_->port()));
    relay_kubeconfig_ = dir_.Join("relay-kubeconfig");
    testing::WriteFileOrDie(relay_kubeconfig_, text);
  }
  return relay_kubeconfig_;
}

std::string OperatorFaultsEnv::LeaseHolder(const std::string& ns, const std::string& name) {
  Result<kube::Object> lease = client_->Get(kube::LeasesType(), ns, name);
  if (!lease.ok()) return "";
  const web::json::value& j = lease->json();
  if (!j.has_object_field("spec") || !j.at("spec").has_string_field("holderIdentity")) return "";
  return j.at("spec").at("holderIdentity").as_string();
}

OperatorProcess::OperatorProcess(std::string binary, std::string kubeconfig, std::string log_dir,
                                 std::string identity, std::vector<std::string> extra_flags)
    : binary_(std::move(binary)),
      kubeconfig_(std::move(kubeconfig)),
      log_dir_(std::move(log_dir)),
      identity_(std::move(identity)),
      extra_(std::move(extra_flags)) {}

OperatorProcess::~OperatorProcess() {
  Stop();
}

void OperatorProcess::Start() {
  std::lock_guard<std::mutex> lock(mu_);
  metrics_port_ = testing::PickFreePort();
  health_port_ = testing::PickFreePort();
  std::vector<std::string> argv = {
      binary_, "--kubeconfig=" + kubeconfig_,
      "--metrics-bind-address=127.0.0.1:" + std::to_string(metrics_port_),
      "--health-probe-bind-address=127.0.0.1:" + std::to_string(health_port_),
      "--status-interval=1s", "--identity=" + identity_, "--log-level=debug",
      // The model checks the render's verdict (True/Resolved) of remotes that do not exist.
      "--probe-remotes=false"};
  argv.insert(argv.end(), extra_.begin(), extra_.end());
  process_ = std::make_unique<testing::ChildProcess>(argv, log_path());
}

bool OperatorProcess::RestartIfExited() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (process_ == nullptr || process_->Running()) return false;
    ++restarts_;
  }
  Start();
  return true;
}

void OperatorProcess::Kill() {
  std::lock_guard<std::mutex> lock(mu_);
  if (process_ == nullptr) return;
  process_->Signal(SIGKILL);
  process_->Wait(10s);
}

void OperatorProcess::Stop() {
  std::lock_guard<std::mutex> lock(mu_);
  if (process_ != nullptr) process_->Stop(10s);
}

bool OperatorProcess::Running() {
  std::lock_guard<std::mutex> lock(mu_);
  return process_ != nullptr && process_->Running();
}

std::string OperatorProcess::Metrics() {
  int port;
  {
    std::lock_guard<std::mutex> lock(mu_);
    port = metrics_port_;
  }
  std::string body;
  testing::HttpGetStatus(port, "/metrics", &body);
  return body;
}

bool OperatorProcess::Ready() {
  int port;
  {
    std::lock_guard<std::mutex> lock(mu_);
    port = health_port_;
  }
  return testing::HttpGetStatus(port, "/readyz") == 200;
}

}  // namespace edgerepl::reliability
