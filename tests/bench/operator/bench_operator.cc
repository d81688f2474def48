// The operator at scale against a real kube-apiserver and etcd (tests/support/kube): N
// Replications over M namespaces, each namespace with its Remote, the Remote's token Secret and
// agent pods. The agents are simulated: each pod's admin port is a loopback server answering
// GET /api/v1/replications for the Replications of its namespace, so the operator polls,
// aggregates and writes status as it would in a cluster. The operator binary runs as a child
// process with leader election on (as the chart deploys it).
//
// Measured in steady state (after every Replication is Ready): the operator's CPU per status cycle
// (/proc/<pid>/stat), the API requests it makes per second as the API server saw them (the
// server's audit log, filtered by user agent), its RSS (/proc/<pid>/status), and the time from a
// spec change (a merge patch of one Replication) to the agents' config Secret carrying it.
//
//   bench_operator [--replications 1000] [--namespaces 100] [--pods-per-namespace 1]
//                  [--seconds 120] [--warmup S] [--status-interval 15] [--changes 8] [--quiet]
//                  [--operator <binary>] [--flag <extra operator flag>]...
//
// --warmup (default: one status interval) waits after convergence before the window opens: with
// a status budget the steady state begins once every Replication's first live refresh is due
// (Replications / --status-qps seconds, 200 at the defaults).
//
// Agents are busy by default: every answer moves the queue size and the last success time, so
// every Replication's live numbers change every cycle (the most status writes the operator can be
// asked for). --quiet answers the same numbers every time (idle replications).
// Exit status 77 when no kube-apiserver/etcd or kubectl can be had.
#include <signal.h>
#include <unistd.h>

#include <cpprest/json.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <mutex>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "common/config/parse.h"
#include "operator/kube/config.h"
#include "operator/kube/resource.h"
#include "operator/kube/rest_client.h"
#include "tests/support/fault_server/fault_server.h"
#include "tests/support/kube/envtest.h"
#include "tests/support/process.h"
#include "tests/support/servers.h"
#include "tests/support/temp_dir.h"

namespace edgerepl::bench {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using web::json::value;

constexpr char kUserAgent[] = "edgerepl-bench";
constexpr char kOperatorAgentPrefix[] = "edgerepl-operator";

struct Args {
  int replications = 1000;
  int namespaces = 100;
  int pods_per_namespace = 1;
  int seconds = 120;
  int warmup = -1;  // -1: one status interval
  int status_interval = 15;
  int changes = 8;
  bool quiet = false;
  std::string operator_binary;
  std::vector<std::string> operator_flags;
};

[[noreturn]] void Usage(const std::string& why) {
  std::fprintf(
      stderr,
      "bench_operator: %s\nusage: bench_operator [--replications N] [--namespaces M] "
      "[--pods-per-namespace P] [--seconds S] [--warmup S] [--status-interval S] [--changes K] "
      "[--quiet] [--operator BINARY] [--flag OPERATOR_FLAG]...\n",
      why.c_str());
  std::exit(2);
}

Args ParseArgs(int argc, char** argv) {
  Args a;
  const char* bin = std::getenv("EDGEREPL_BINARY_DIR");
  a.operator_binary = std::string(bin != nullptr ? bin : ".") + "/operator/edgerepl-operator";
  for (int i = 1; i < argc; ++i) {
    std::string k = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) Usage(k + " needs a value");
      return argv[++i];
    };
    auto number = [&]() {
      std::string v = next();
      char* end = nullptr;
      long n = std::strtol(v.c_str(), &end, 10);
      if (end == v.c_str() || *end != '\0' || n <= 0) Usage(k + ": not a positive number: " + v);
      return static_cast<int>(n);
    };
    if (k == "--replications") {
      a.replications = number();
    } else if (k == "--namespaces") {
      a.namespaces = number();
    } else if (k == "--pods-per-namespace") {
      a.pods_per_namespace = number();
    } else if (k == "--seconds") {
      a.seconds = number();
    } else if (k == "--warmup") {
      a.warmup = number();
    } else if (k == "--status-interval") {
      a.status_interval = number();
    } else if (k == "--changes") {
      a.changes = number();
    } else if (k == "--quiet") {
      a.quiet = true;
    } else if (k == "--operator") {
      a.operator_binary = next();
    } else if (k == "--flag") {
      a.operator_flags.push_back(next());
    } else {
      Usage("unknown argument " + k);
    }
  }
  if (a.warmup < 0) a.warmup = a.status_interval;
  if (a.replications < a.namespaces) Usage("--replications must be at least --namespaces");
  return a;
}

double Seconds(Clock::duration d) {
  return std::chrono::duration<double>(d).count();
}

std::string Rfc3339Millis(std::chrono::system_clock::time_point t) {
  std::time_t secs = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[40];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
  char out[48];
  std::snprintf(out, sizeof out, "%s.%03dZ", buf, static_cast<int>(ms % 1000));
  return out;
}

// --- the simulated agents -------------------------------------------------------------------

struct SimReplication {
  std::string id;  // the Replication's UID, as the operator renders it
  std::string name;
};

// What every agent of a namespace runs; filled as the Replications are created.
class Sites {
 public:
  void Add(const std::string& ns, SimReplication r) {
    std::lock_guard<std::mutex> lock(mu_);
    sites_[ns].push_back(std::move(r));
  }
  std::vector<SimReplication> Of(const std::string& ns) const {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = sites_.find(ns);
    return it == sites_.end() ? std::vector<SimReplication>{} : it->second;
  }

 private:
  mutable std::mutex mu_;
  std::map<std::string, std::vector<SimReplication>> sites_;
};

// The agent admin API's status document (docs/agent-api.md) for the Replications of `ns`.
std::string AgentReport(const std::vector<SimReplication>& reps, bool quiet, std::mt19937& rng) {
  value root = value::object();
  root["version"] = value::string("0.1.0");
  root["configHash"] = value::string(std::string(64, '0'));
  value list = value::array(reps.size());
  const std::string now = Rfc3339Millis(std::chrono::system_clock::now());
  for (size_t i = 0; i < reps.size(); ++i) {
    value r = value::object();
    r["id"] = value::string(reps[i].id);
    r["name"] = value::string(reps[i].name);
    r["maxQueueSizeBytes"] = value::number(int64_t{67108860});
    r["currentQueueSizeBytes"] = value::number(quiet ? 0 : int64_t(rng() % 500000));
    r["pendingPoints"] = value::number(quiet ? 0 : int64_t(rng() % 5000));
    r["latestResponseCode"] = value::number(204);
    r["lastSuccessTime"] = value::string(quiet ? "2026-12-01T00:00:00.000Z" : now);
    r["consecutiveFailures"] = value::number(0);
    r["oldestPendingAgeSeconds"] = value::number(quiet ? 0.0 : double(rng() % 3000) / 1000);
    r["state"] = value::string(quiet ? "Idle" : "Replicating");
    value dropped = value::object();
    dropped["queue_full"] = value::number(0);
    dropped["expired"] = value::number(0);
    r["dropped"] = dropped;
    list[i] = r;
  }
  root["replications"] = list;
  return root.serialize();
}

// --- the operator process -------------------------------------------------------------------

struct ProcSample {
  double cpu_seconds = 0;  // utime + stime
  long rss_kib = 0;
  long hwm_kib = 0;
  int threads = 0;
};

ProcSample SampleProcess(pid_t pid) {
  ProcSample s;
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  // Fields after the parenthesised command name (which may hold spaces): state is field 3.
  size_t close = text.rfind(')');
  if (close != std::string::npos) {
    std::istringstream in(text.substr(close + 2));
    std::vector<std::string> f;
    std::string x;
    while (in >> x) f.push_back(x);
    // utime and stime are fields 14 and 15, i.e. 11 and 12 after the state (field 3).
    if (f.size() > 12) {
      double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
      s.cpu_seconds = (std::stod(f[11]) + std::stod(f[12])) / ticks;
    }
  }
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) s.rss_kib = std::atol(line.c_str() + 6);
    if (line.rfind("VmHWM:", 0) == 0) s.hwm_kib = std::atol(line.c_str() + 6);
    if (line.rfind("Threads:", 0) == 0) s.threads = std::atoi(line.c_str() + 8);
  }
  return s;
}

// --- the API server's audit log -------------------------------------------------------------

// One RequestReceived event per request (the policy omits the other stages).
const char kAuditPolicy[] = R"(apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: ["ResponseStarted", "ResponseComplete", "Panic"]
rules:
- level: Metadata
)";

struct AuditCount {
  long total = 0;
  std::map<std::string, long> by_call;  // "verb resource[/subresource]"
};

// The operator's requests logged between byte offsets `from` and `to` of the audit log.
AuditCount CountOperatorRequests(const std::string& path, std::streamoff from, std::streamoff to) {
  AuditCount c;
  std::ifstream in(path);
  in.seekg(from);
  std::string line;
  while (in.tellg() >= 0 && in.tellg() < to && std::getline(in, line)) {
    if (line.find(kOperatorAgentPrefix) == std::string::npos) continue;
    value e;
    try {
      e = value::parse(line);
    } catch (const std::exception&) {
      continue;
    }
    std::string ua = kube::Object::StringField(e, "userAgent");
    if (ua.rfind(kOperatorAgentPrefix, 0) != 0) continue;
    const value& ref = kube::Object::Field(e, "objectRef");
    std::string what =
        kube::Object::StringField(e, "verb") + " " + kube::Object::StringField(ref, "resource");
    std::string sub = kube::Object::StringField(ref, "subresource");
    if (!sub.empty()) what += "/" + sub;
    ++c.total;
    ++c.by_call[what];
  }
  return c;
}

std::streamoff FileSize(const std::string& path) {
  std::ifstream in(path, std::ios::ate | std::ios::binary);
  return in ? static_cast<std::streamoff>(in.tellg()) : 0;
}

// --- objects --------------------------------------------------------------------------------

const kube::ResourceType& NamespacesType() {
  static const kube::ResourceType t{"", "v1", "namespaces", "Namespace", false};
  return t;
}
const kube::ResourceType& RemotesType() {
  static const kube::ResourceType t{"edgerepl.io", "v1alpha1", "remotes", "Remote", true};
  return t;
}
const kube::ResourceType& ReplicationsType() {
  static const kube::ResourceType t{"edgerepl.io", "v1alpha1", "replications", "Replication", true};
  return t;
}

std::string NamespaceName(int i) {
  char b[32];
  std::snprintf(b, sizeof b, "site-%03d", i);
  return b;
}

std::string ReplicationName(int i) {
  return "rep-" + std::to_string(i);
}

Status Must(const Result<kube::Object>& r, const std::string& what) {
  if (r.ok()) return Status::Ok();
  return Status(r.status().code(), what + ": " + r.status().message());
}

// Namespace, token Secret, Remote, Replications and agent pods of site `i`.
Status CreateSite(kube::RestClient& client, Sites& sites, int i, int first_rep, int reps, int pods,
                  const std::vector<int>& pod_ports, const std::string& remote_url) {
  const std::string ns = NamespaceName(i);
  kube::Object n;
  n.set_name(ns);
  if (Status s = Must(client.Create(NamespacesType(), "", n), "namespace " + ns); !s.ok()) return s;
  kube::Object secret(value::parse(R"({"apiVersion":"v1","kind":"Secret","metadata":
      {"name":"remote-token"},"type":"Opaque","stringData":{"token":"bench-token-)" +
                                   std::to_string(i) + R"("}})"));
  if (Status s = Must(client.Create(kube::SecretsType(), ns, secret), "secret"); !s.ok()) return s;
  kube::Object remote(value::parse(R"({"apiVersion":"edgerepl.io/v1alpha1","kind":"Remote",
      "metadata":{"name":"central"},"spec":{"url":")" +
                                   remote_url + R"(","orgID":"0123456789abcdef","protocol":"v2",
      "tokenSecretRef":{"name":"remote-token","key":"token"}}})"));
  if (Status s = Must(client.Create(RemotesType(), ns, remote), "remote"); !s.ok()) return s;
  for (int r = first_rep; r < first_rep + reps; ++r) {
    const std::string name = ReplicationName(r);
    kube::Object rep(value::parse(R"({"apiVersion":"edgerepl.io/v1alpha1","kind":"Replication",
        "metadata":{"name":")" + name +
                                  R"("},"spec":{"remoteRef":{"name":"central"},
        "localBucket":"telegraf-)" +
                                  std::to_string(r) + R"(","remoteBucket":"edge-)" +
                                  std::to_string(r) + R"("}})"));
    Result<kube::Object> created = client.Create(ReplicationsType(), ns, rep);
    if (Status s = Must(created, "replication " + name); !s.ok()) return s;
    sites.Add(ns, {created->uid(), name});
  }
  for (int p = 0; p < pods; ++p) {
    const std::string name = "influxdb-" + std::to_string(p);
    const int port = pod_ports[static_cast<size_t>(p)];
    kube::Object pod(value::parse(R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":")" + name +
                                  R"(","labels":
        {"app.kubernetes.io/component":"edgerepl-agent"}},"spec":{"containers":[{"name":"agent",
        "image":"edgerepl-agent","ports":[{"name":"edgerepl-admin","containerPort":)" +
                                  std::to_string(port) + "}]}]}}"));
    if (Status s = Must(client.Create(kube::PodsType(), ns, pod), "pod " + name); !s.ok()) {
      return s;
    }
    // No kubelet runs: the pod's status is set as one would set it.
    value st = value::parse(
        R"({"status":{"phase":"Running","podIP":"127.0.0.1","podIPs":[{"ip":"127.0.0.1"}]}})");
    if (Status s = Must(client.MergePatch(kube::PodsType(), ns, name, st, "status"), "pod status");
        !s.ok()) {
      return s;
    }
  }
  return Status::Ok();
}

struct Convergence {
  int replications = 0;
  int ready = 0;        // Ready=True
  int replicating = 0;  // Replicating=True
};

Convergence ReadConvergence(kube::RestClient& client) {
  Convergence c;
  Result<kube::ObjectList> list = client.List(ReplicationsType(), "", {});
  if (!list.ok()) return c;
  for (const kube::Object& o : list->items) {
    ++c.replications;
    const value& conds = kube::Object::Field(o.status(), "conditions");
    if (!conds.is_array()) continue;
    for (const value& cond : conds.as_array()) {
      std::string type = kube::Object::StringField(cond, "type");
      bool is_true = kube::Object::StringField(cond, "status") == "True";
      if (type == "Ready" && is_true) ++c.ready;
      if (type == "Replicating" && is_true) ++c.replicating;
    }
  }
  return c;
}

// batch.maxPoints of replication `name` in the namespace's rendered agent config, or 0.
uint64_t RenderedMaxPoints(kube::RestClient& client, const std::string& ns,
                           const std::string& name) {
  Result<kube::Object> s = client.Get(kube::SecretsType(), ns, "edgerepl-agent-config");
  if (!s.ok()) return 0;
  std::optional<std::string> yaml = kube::secret::Data(*s, "agent.yaml");
  if (!yaml) return 0;
  Result<config::Config> c = config::ParseConfig(*yaml);
  if (!c.ok()) return 0;
  for (const config::ReplicationConfig& r : c->replications) {
    if (r.name == name) return r.batch.max_points;
  }
  return 0;
}

std::string FindKubectl() {
  for (const char* env : {"EDGEREPL_TOOLS_BIN", "KUBEBUILDER_ASSETS"}) {
    const char* d = std::getenv(env);
    if (d == nullptr || *d == '\0') continue;
    std::string p = std::string(d) + "/kubectl";
    if (::access(p.c_str(), X_OK) == 0) return p;
  }
  return "kubectl";
}

std::string Verdict(bool met) {
  return met ? "met" : "MISSED";
}

int Run(const Args& args) {
  std::string why;
  std::optional<testing::EnvtestAssets> assets = testing::FindEnvtestAssets(&why);
  if (!assets) {
    std::printf("skipped: %s\n", why.c_str());
    return 77;
  }
  if (::access(args.operator_binary.c_str(), X_OK) != 0) {
    std::printf("skipped: no operator binary at %s (set EDGEREPL_BINARY_DIR or --operator)\n",
                args.operator_binary.c_str());
    return 77;
  }
  testing::TempDir dir;
  const std::string policy = dir.Join("audit-policy.yaml");
  const std::string audit_log = dir.Join("audit.log");
  testing::WriteFileOrDie(policy, kAuditPolicy);
  testing::EnvtestOptions options;
  options.extra_args = {"--audit-policy-file=" + policy, "--audit-log-path=" + audit_log,
                        "--audit-log-maxsize=0"};
  testing::KubeApiServer api(*assets, options);
  auto t_start = Clock::now();
  if (Status s = api.Start(); !s.ok()) {
    std::fprintf(stderr, "kube-apiserver did not start: %s\n", s.ToString().c_str());
    return 1;
  }
  std::printf("kube-apiserver %d.%d ready in %.1f s\n", assets->major, assets->minor,
              Seconds(Clock::now() - t_start));

  const std::string source = EDGEREPL_BENCH_SOURCE_DIR;
  std::string kubectl = FindKubectl();
  if (testing::RunToCompletion({kubectl, "--kubeconfig=" + api.kubeconfig(), "apply",
                                "--validate=false", "-f", source + "/crds/"},
                               dir.Join("kubectl.log")) != 0) {
    std::printf("skipped: kubectl apply -f crds/ failed (see %s)\n",
                dir.Join("kubectl.log").c_str());
    return 77;
  }
  RealClock& clock = RealClock::Instance();
  Result<kube::Config> config = kube::LoadKubeconfig(api.kubeconfig(), clock);
  if (!config.ok()) {
    std::fprintf(stderr, "kubeconfig: %s\n", config.status().ToString().c_str());
    return 1;
  }
  kube::RestClientOptions client_options;
  client_options.qps = 0;  // the bench's own calls are not what is measured
  client_options.user_agent = kUserAgent;
  auto client = kube::RestClient::Make(*config, clock, nullptr, client_options);
  if (!client.ok()) return 1;
  kube::RestClient& api_client = **client;
  for (auto deadline = Clock::now() + 60s;;) {
    if (api_client.ListPage(ReplicationsType(), "default", {}).ok()) break;
    if (Clock::now() > deadline) {
      std::fprintf(stderr, "the Replication CRD was not served within 60 s\n");
      return 1;
    }
    std::this_thread::sleep_for(200ms);
  }

  // The agents: one loopback server per pod of a site (pods of all sites share the ports).
  Sites sites;
  std::vector<std::unique_ptr<testing::FaultServer>> agents;
  std::atomic<long> polls{0};
  for (int site = 0; site < args.namespaces; ++site) {
    for (int p = 0; p < args.pods_per_namespace; ++p) {
      auto server = std::make_unique<testing::FaultServer>();
      const std::string ns = NamespaceName(site);
      auto rng = std::make_shared<std::mt19937>(static_cast<unsigned>(site * 131 + p));
      auto mu = std::make_shared<std::mutex>();
      server->SetHandler(
          [&sites, &polls, ns, rng, mu, quiet = args.quiet](const testing::FaultRequest& req) {
            testing::Reply r;
            if (req.method != "GET" || req.target != "/api/v1/replications") {
              r.status = 404;
              return r;
            }
            ++polls;
            std::lock_guard<std::mutex> lock(*mu);
            r.status = 200;
            r.headers.push_back({"Content-Type", "application/json"});
            r.body = AgentReport(sites.Of(ns), quiet, *rng);
            return r;
          });
      agents.push_back(std::move(server));
    }
  }
  // The remote every Remote names: it accepts the probes (an empty-bodied write answered 204).
  testing::FaultServer remote;

  auto t_create = Clock::now();
  {
    std::atomic<int> next{0};
    std::atomic<bool> failed{false};
    std::vector<std::thread> workers;
    for (int w = 0; w < 4; ++w) {
      workers.emplace_back([&] {
        for (int site; (site = next++) < args.namespaces && !failed.load();) {
          int per = args.replications / args.namespaces;
          int extra = site < args.replications % args.namespaces ? 1 : 0;
          int first = site * per + std::min(site, args.replications % args.namespaces);
          std::vector<int> ports;
          for (int p = 0; p < args.pods_per_namespace; ++p) {
            ports.push_back(
                agents[static_cast<size_t>(site * args.pods_per_namespace + p)]->port());
          }
          Status s = CreateSite(api_client, sites, site, first, per + extra,
                                args.pods_per_namespace, ports, remote.url());
          if (!s.ok()) {
            std::fprintf(stderr, "creating site %d: %s\n", site, s.ToString().c_str());
            failed.store(true);
          }
        }
      });
    }
    for (auto& t : workers) t.join();
    if (failed.load()) return 1;
  }
  std::printf("created %d namespaces, %d Replications, %d agent pods in %.1f s\n", args.namespaces,
              args.replications, args.namespaces * args.pods_per_namespace,
              Seconds(Clock::now() - t_create));

  const int metrics_port = testing::PickFreePort();
  const int health_port = testing::PickFreePort();
  std::vector<std::string> argv = {
      args.operator_binary,
      "--kubeconfig=" + api.kubeconfig(),
      "--metrics-bind-address=127.0.0.1:" + std::to_string(metrics_port),
      "--health-probe-bind-address=127.0.0.1:" + std::to_string(health_port),
      "--status-interval=" + std::to_string(args.status_interval) + "s",
      "--leader-elect",
      "--leader-election-namespace=default",
      "--identity=bench-operator",
      "--log-level=info"};
  argv.insert(argv.end(), args.operator_flags.begin(), args.operator_flags.end());
  const std::string operator_log = dir.Join("operator.log");
  auto t_operator = Clock::now();
  testing::ChildProcess op(argv, operator_log);

  // Converged: every Replication Ready and Replicating (the first status of each written).
  Convergence conv;
  const auto converge_deadline = t_operator + std::chrono::seconds(120 + args.replications / 2);
  while (Clock::now() < converge_deadline) {
    std::this_thread::sleep_for(2s);
    if (!op.Running()) {
      std::fprintf(stderr, "the operator exited; its log: %s\n", operator_log.c_str());
      return 1;
    }
    conv = ReadConvergence(api_client);
    if (conv.ready == args.replications && conv.replicating == args.replications) break;
  }
  if (conv.ready != args.replications || conv.replicating != args.replications) {
    std::fprintf(stderr, "not converged: %d of %d Ready, %d Replicating; log %s\n", conv.ready,
                 args.replications, conv.replicating, operator_log.c_str());
    return 1;
  }
  const double converge_s = Seconds(Clock::now() - t_operator);
  std::printf("every Replication Ready and Replicating %.1f s after the operator started\n",
              converge_s);

  // The first statuses' aftermath (their watch events, the gate's first interval) is kept out of
  // the measured window.
  std::this_thread::sleep_for(std::chrono::seconds(args.warmup));

  const long polls0 = polls.load();
  const std::streamoff audit0 = FileSize(audit_log);
  const ProcSample s0 = SampleProcess(op.pid());
  const auto t0 = Clock::now();
  long rss_max = s0.rss_kib;
  while (Clock::now() - t0 < std::chrono::seconds(args.seconds)) {
    std::this_thread::sleep_for(1s);
    rss_max = std::max(rss_max, SampleProcess(op.pid()).rss_kib);
  }
  const ProcSample s1 = SampleProcess(op.pid());
  const double window = Seconds(Clock::now() - t0);
  const std::streamoff audit1 = FileSize(audit_log);
  const long polls_done = polls.load() - polls0;
  AuditCount requests = CountOperatorRequests(audit_log, audit0, audit1);
  const double cycles = window / args.status_interval;
  const double cpu_per_cycle = (s1.cpu_seconds - s0.cpu_seconds) / cycles;
  const double rps = static_cast<double>(requests.total) / window;

  // Spec changes, spread over a status cycle so some land while the agents are being polled.
  std::vector<double> latencies;
  std::mt19937 rng(7);
  for (int k = 0; k < args.changes; ++k) {
    int site = static_cast<int>(rng() % static_cast<unsigned>(args.namespaces));
    std::vector<SimReplication> reps = sites.Of(NamespaceName(site));
    const SimReplication& target = reps[rng() % reps.size()];
    const uint64_t points = 1000 + static_cast<uint64_t>(k) * 7 + rng() % 5;
    value patch =
        value::parse(R"({"spec":{"batch":{"maxPoints":)" + std::to_string(points) + "}}}");
    auto t = Clock::now();
    Result<kube::Object> patched =
        api_client.MergePatch(ReplicationsType(), NamespaceName(site), target.name, patch);
    if (!patched.ok()) {
      std::fprintf(stderr, "patch: %s\n", patched.status().ToString().c_str());
      return 1;
    }
    double took = -1;
    while (Clock::now() - t < 60s) {
      if (RenderedMaxPoints(api_client, NamespaceName(site), target.name) == points) {
        took = Seconds(Clock::now() - t);
        break;
      }
      std::this_thread::sleep_for(10ms);
    }
    if (took < 0) {
      std::fprintf(stderr, "change %d (%s/%s) not rendered within 60 s\n", k,
                   NamespaceName(site).c_str(), target.name.c_str());
      return 1;
    }
    latencies.push_back(took);
    std::this_thread::sleep_for(std::chrono::milliseconds(
        rng() % static_cast<unsigned>(args.status_interval * 1000) + 200));
  }
  std::vector<double> sorted = latencies;
  std::sort(sorted.begin(), sorted.end());
  const double change_max = sorted.back();
  const double change_median = sorted[sorted.size() / 2];
  const ProcSample s_end = SampleProcess(op.pid());
  rss_max = std::max(rss_max, s_end.rss_kib);

  std::printf("\n%d Replications, %d namespaces, %d agent pods (%s agents), status interval %d s\n",
              args.replications, args.namespaces, args.namespaces * args.pods_per_namespace,
              args.quiet ? "quiet" : "busy", args.status_interval);
  std::printf("steady window %.0f s after a %d s warm-up (%.1f cycles, %ld agent polls)\n\n",
              window, args.warmup, cycles, polls_done);
  std::printf("| measure | measured | target | |\n|---|---|---|---|\n");
  std::printf("| operator CPU per status cycle | %.3f s | < 1 s | %s |\n", cpu_per_cycle,
              Verdict(cpu_per_cycle < 1.0).c_str());
  std::printf("| API requests per second, steady | %.2f | <= 10 | %s |\n", rps,
              Verdict(rps <= 10.0).c_str());
  std::printf("| RSS (max sampled; VmHWM %.1f MiB) | %.1f MiB | <= 100 MiB | %s |\n",
              s_end.hwm_kib / 1024.0, rss_max / 1024.0, Verdict(rss_max <= 100 * 1024).c_str());
  std::printf(
      "| spec change to config Secret (max of %zu; median %.3f s) | %.3f s | <= 2 s | %s |\n",
      latencies.size(), change_median, change_max, Verdict(change_max <= 2.0).c_str());
  std::printf("\nconverged in %.1f s; operator threads %d\n", converge_s, s_end.threads);
  std::printf("operator requests in the window, by call (API server audit log):\n");
  std::vector<std::pair<long, std::string>> calls;
  for (const auto& [what, n] : requests.by_call) calls.push_back({n, what});
  std::sort(calls.rbegin(), calls.rend());
  for (const auto& [n, what] : calls) {
    std::printf("  %-40s %6ld  (%.2f/s)\n", what.c_str(), n, static_cast<double>(n) / window);
  }
  std::fflush(stdout);
  op.Signal(SIGTERM);
  op.Wait(20s);
  return 0;
}

}  // namespace
}  // namespace edgerepl::bench

int main(int argc, char** argv) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);  // progress lines as they happen, also into a file
  return edgerepl::bench::Run(edgerepl::bench::ParseArgs(argc, argv));
}
