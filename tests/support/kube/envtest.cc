#include "tests/support/kube/envtest.h"

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <random>
#include <sstream>
#include <thread>

#include "operator/kube/transport_cpprest.h"

namespace edgerepl::testing {
namespace {

bool IsExecutable(const std::string& path) {
  return ::access(path.c_str(), X_OK) == 0;
}

std::string Slurp(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string Tail(const std::string& text, size_t n = 3000) {
  return text.size() <= n ? text : text.substr(text.size() - n);
}

std::string CacheRoot() {
  if (const char* c = std::getenv("EDGEREPL_ENVTEST_CACHE"); c && *c) return c;
  if (const char* x = std::getenv("XDG_CACHE_HOME"); x && *x) {
    return std::string(x) + "/edgerepl/envtest";
  }
  const char* home = std::getenv("HOME");
  return std::string(home ? home : "") + "/.cache/edgerepl/envtest";
}

// "Kubernetes v1.20.2" -> (1, 20).
bool ReadVersion(const std::string& apiserver, int* major, int* minor) {
  TempDir tmp;
  std::string log = tmp.Join("version");
  if (RunToCompletion({apiserver, "--version"}, log, std::chrono::seconds(30)) != 0) return false;
  std::string out = Slurp(log);
  size_t v = out.find(" v");
  if (v == std::string::npos) return false;
  return std::sscanf(out.c_str() + v + 2, "%d.%d", major, minor) == 2;
}

std::optional<EnvtestAssets> AssetsIn(const std::string& dir) {
  EnvtestAssets a;
  a.dir = dir;
  a.kube_apiserver = dir + "/kube-apiserver";
  if (!IsExecutable(a.kube_apiserver)) return std::nullopt;
  a.etcd = dir + "/etcd";
  if (!IsExecutable(a.etcd)) {
    auto on_path = FindExecutable("etcd");
    if (!on_path) return std::nullopt;
    a.etcd = *on_path;
  }
  if (IsExecutable(dir + "/etcdctl")) {
    a.etcdctl = dir + "/etcdctl";
  } else if (auto on_path = FindExecutable("etcdctl")) {
    a.etcdctl = *on_path;
  }
  if (!ReadVersion(a.kube_apiserver, &a.major, &a.minor)) return std::nullopt;
  return a;
}

}  // namespace

int RunToCompletion(const std::vector<std::string>& argv, const std::string& log,
                    std::chrono::milliseconds timeout) {
  std::vector<std::string> args = argv;
  if (args.empty()) return -1;
  if (args[0].find('/') == std::string::npos) {
    auto found = FindExecutable(args[0]);
    if (!found) return -1;
    args[0] = *found;
  }
  ChildProcess p(args, log);
  std::optional<int> status = p.Wait(timeout);
  if (!status) {
    p.Stop(std::chrono::seconds(1));
    return -1;
  }
  return WIFEXITED(*status) ? WEXITSTATUS(*status) : -1;
}

std::optional<EnvtestAssets> FindEnvtestAssets(std::string* why) {
  if (const char* env = std::getenv("KUBEBUILDER_ASSETS"); env && *env) {
    if (auto a = AssetsIn(env)) return a;
    if (why)
      *why = std::string("KUBEBUILDER_ASSETS=") + env + " holds no usable kube-apiserver and etcd";
    return std::nullopt;
  }
  const std::string root = CacheRoot();
  std::vector<std::string> dirs;
  if (DIR* d = ::opendir(root.c_str())) {
    while (dirent* e = ::readdir(d)) {
      std::string name = e->d_name;
      if (name.empty() || name[0] == '.') continue;
      dirs.push_back(root + "/" + name + "/bin");
    }
    ::closedir(d);
  }
  std::optional<EnvtestAssets> best;
  for (const auto& dir : dirs) {
    auto a = AssetsIn(dir);
    if (a && (!best || std::tie(a->major, a->minor) > std::tie(best->major, best->minor))) best = a;
  }
  if (!best && why) {
    *why = "no kube-apiserver: run scripts/envtest.sh (builds one into " + root +
           ") or set KUBEBUILDER_ASSETS to an envtest bin directory";
  }
  return best;
}

KubeApiServer::KubeApiServer(EnvtestAssets assets, EnvtestOptions options)
    : assets_(std::move(assets)), options_(std::move(options)) {}

KubeApiServer::~KubeApiServer() {
  Stop();
}

Status KubeApiServer::MakeCertificates() {
  const std::string d = dir_.path();
  const std::string log = dir_.Join("openssl.log");
  WriteFileOrDie(dir_.Join("server.ext"),
                 "subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes.default.svc\n"
                 "extendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n"
                 "keyUsage=digitalSignature,keyEncipherment\n");
  const std::vector<std::vector<std::string>> steps = {
      {"openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", d + "/ca.key", "-out",
       d + "/ca.crt", "-days", "2", "-subj", "/CN=edgerepl-envtest-ca"},
      {"openssl", "req", "-newkey", "rsa:2048", "-nodes", "-keyout", d + "/server.key", "-out",
       d + "/server.csr", "-subj", "/CN=kube-apiserver"},
      {"openssl", "x509", "-req", "-in", d + "/server.csr", "-CA", d + "/ca.crt", "-CAkey",
       d + "/ca.key", "-CAcreateserial", "-out", d + "/server.crt", "-days", "2", "-extfile",
       d + "/server.ext"},
      {"openssl", "genrsa", "-out", d + "/sa.key", "2048"},
      {"openssl", "rsa", "-in", d + "/sa.key", "-pubout", "-out", d + "/sa.pub"},
  };
  for (const auto& step : steps) {
    if (RunToCompletion(step, log) != 0) {
      return Status::Internal("openssl failed: " + Tail(Slurp(log)));
    }
  }
  ca_file_ = d + "/ca.crt";
  std::random_device rd;
  std::ostringstream tok;
  for (int i = 0; i < 4; ++i) tok << std::hex << rd();
  token_ = tok.str();
  WriteFileOrDie(dir_.Join("tokens.csv"),
                 token_ + ",envtest-admin,envtest-admin,\"system:masters\"\n");
  kubeconfig_ = dir_.Join("kubeconfig");
  return Status::Ok();
}

Status KubeApiServer::Start() {
  EDGEREPL_RETURN_IF_ERROR(MakeCertificates());
  etcd_port_ = PickFreePort();
  etcd_peer_port_ = PickFreePort();
  api_port_ = PickFreePort();
  const std::string client = etcd_endpoint();
  const std::string peer = "http://127.0.0.1:" + std::to_string(etcd_peer_port_);
  etcd_ = std::make_unique<ChildProcess>(
      std::vector<std::string>{assets_.etcd, "--data-dir", dir_.Join("etcd"), "--name", "envtest",
                               "--listen-client-urls", client, "--advertise-client-urls", client,
                               "--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer,
                               "--initial-cluster", "envtest=" + peer},
      dir_.Join("etcd.log"));
  if (!WaitForTcp(etcd_port_, std::chrono::seconds(30))) {
    return Status::Unavailable("etcd did not start: " + Tail(Slurp(dir_.Join("etcd.log"))));
  }
  WriteKubeconfig(kubeconfig_, api_port_);
  return StartApiServer();
}

void KubeApiServer::WriteKubeconfig(const std::string& path, int port) {
  WriteFileOrDie(path,
                 "apiVersion: v1\nkind: Config\nclusters:\n- name: envtest\n  cluster:\n"
                 "    server: https://127.0.0.1:" +
                     std::to_string(port) + "\n    certificate-authority: " + ca_file_ +
                     "\nusers:\n- name: admin\n  user:\n    token: " + token_ +
                     "\ncontexts:\n- name: envtest\n  context:\n    cluster: envtest\n"
                     "    user: admin\n    namespace: default\ncurrent-context: envtest\n");
}

Status KubeApiServer::StartApiServer() {
  apiserver_ = Launch(api_port_, apiserver_log());
  return WaitReady(*apiserver_, api_port_, apiserver_log(), std::chrono::minutes(2));
}

Status KubeApiServer::StartPeer() {
  if (peer_port_ == 0) {
    peer_port_ = PickFreePort();
    peer_kubeconfig_ = dir_.Join("peer-kubeconfig");
    WriteKubeconfig(peer_kubeconfig_, peer_port_);
  }
  std::string log = dir_.Join("peer-apiserver.log");
  peer_ = Launch(peer_port_, log);
  return WaitReady(*peer_, peer_port_, log, std::chrono::minutes(2));
}

void KubeApiServer::StopPeer() {
  if (peer_) {
    peer_->Stop(std::chrono::seconds(15));
    peer_.reset();
  }
}

std::unique_ptr<ChildProcess> KubeApiServer::Launch(int port, const std::string& log) {
  const std::string d = dir_.path();
  std::vector<std::string> argv = {
      assets_.kube_apiserver,
      "--etcd-servers=" + etcd_endpoint(),
      "--bind-address=127.0.0.1",
      "--advertise-address=127.0.0.1",
      "--secure-port=" + std::to_string(port),
      "--cert-dir=" + d + "/certs",
      "--tls-cert-file=" + d + "/server.crt",
      "--tls-private-key-file=" + d + "/server.key",
      "--client-ca-file=" + ca_file_,
      "--token-auth-file=" + d + "/tokens.csv",
      "--authorization-mode=RBAC",
      "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
      "--service-account-key-file=" + d + "/sa.pub",
      "--service-account-signing-key-file=" + d + "/sa.key",
      "--service-cluster-ip-range=10.0.0.0/24",
      "--allow-privileged=true",
      // No controller-manager runs, so nothing would create the default ServiceAccount pods need.
      "--disable-admission-plugins=ServiceAccount",
  };
  if (!options_.watch_cache) argv.push_back("--watch-cache=false");
  argv.insert(argv.end(), options_.extra_args.begin(), options_.extra_args.end());
  return std::make_unique<ChildProcess>(argv, log);
}

Status KubeApiServer::WaitReady(ChildProcess& process, int port, const std::string& log,
                                std::chrono::milliseconds timeout) {
  kube::Config config;
  config.server = "https://127.0.0.1:" + std::to_string(port);
  config.tls.ca_pem = Slurp(ca_file_);
  kube::TransportOptions topts;
  topts.request_timeout = std::chrono::seconds(5);
  auto transport = kube::MakeCpprestTransport(config, topts);
  if (!transport.ok()) return transport.status();
  auto deadline = std::chrono::steady_clock::now() + timeout;
  std::string last;
  while (std::chrono::steady_clock::now() < deadline) {
    if (!process.Running()) {
      return Status::Unavailable("kube-apiserver exited: " + Tail(Slurp(log)));
    }
    http::HttpRequest req;
    req.method = "GET";
    req.target = "/readyz";
    req.headers.emplace_back("Authorization", "Bearer " + token_);
    auto resp = (*transport)->Send(req);
    if (resp.ok() && resp->status == 200) return Status::Ok();
    last = resp.ok() ? std::to_string(resp->status) + " " + Tail(resp->body, 600)
                     : resp.status().ToString();
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
  return Status::Unavailable("kube-apiserver not ready: " + last + "\n" + Tail(Slurp(log)));
}

void KubeApiServer::StopApiServer() {
  if (apiserver_) {
    apiserver_->Stop(std::chrono::seconds(15));
    apiserver_.reset();
  }
}

void KubeApiServer::Stop() {
  StopPeer();
  StopApiServer();
  if (etcd_) {
    etcd_->Stop(std::chrono::seconds(10));
    etcd_.reset();
  }
}

Result<std::string> KubeApiServer::Etcdctl(const std::vector<std::string>& args) {
  if (assets_.etcdctl.empty()) return Status::NotFound("no etcdctl (Debian etcd-client)");
  static int counter = 0;
  std::string log = dir_.Join("etcdctl-" + std::to_string(++counter) + ".log");
  std::vector<std::string> argv = {"/usr/bin/env", "ETCDCTL_API=3", assets_.etcdctl,
                                   "--endpoints=" + etcd_endpoint()};
  argv.insert(argv.end(), args.begin(), args.end());
  int rc = RunToCompletion(argv, log);
  std::string out = Slurp(log);
  if (rc != 0) return Status::Internal("etcdctl failed (" + std::to_string(rc) + "): " + out);
  return out;
}

Status KubeApiServer::CompactEtcd() {
  Result<std::string> status = Etcdctl({"endpoint", "status", "--write-out=json"});
  if (!status.ok()) return status.status();
  // [{"Endpoint":...,"Status":{"header":{...,"revision":123,...},...}}]
  size_t at = status->find("\"revision\":");
  if (at == std::string::npos) return Status::Internal("no revision in: " + *status);
  long long revision = std::atoll(status->c_str() + at + 11);
  Result<std::string> out = Etcdctl({"compact", std::to_string(revision), "--physical"});
  return out.ok() ? Status::Ok() : out.status();
}

}  // namespace edgerepl::testing
