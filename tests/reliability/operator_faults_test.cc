// The operator process under faults, end to end: the real edgerepl-operator binary against a real
// kube-apiserver and etcd while Remotes, Replications and token Secrets are created, changed and
// deleted. Each case injects one fault several times (the API server restarted, watch versions
// compacted away so resuming is a 410, another writer racing on the same objects, the leader
// killed with SIGKILL) and after each one waits until the rendered agent config and every status
// say what the final specs say. Every case ends with a scan of statuses, events, ConfigMaps, the
// operator's logs and /metrics for the tokens it used.
//
// Short form by default; the long form (scripts/reliability.sh <seconds> operator) repeats each
// fault for EDGEREPL_RELIABILITY_SECONDS, or EDGEREPL_OPERATOR_FAULT_CYCLES times.
#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

#include "common/codec/base64.h"
#include "tests/reliability/operator_faults_env.h"
#include "tests/reliability/operator_faults_model.h"

namespace edgerepl::reliability {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

std::string SourceDir() {
  const char* s = std::getenv("EDGEREPL_SOURCE_DIR");
  return s != nullptr && *s != '\0' ? s : EDGEREPL_TEST_SOURCE_DIR;
}

std::string OperatorBinary() {
  const char* s = std::getenv("EDGEREPL_BINARY_DIR");
  return std::string(s != nullptr && *s != '\0' ? s : EDGEREPL_TEST_BINARY_DIR) +
         "/operator/edgerepl-operator";
}

// How many times each fault is injected: EDGEREPL_OPERATOR_FAULT_CYCLES, else as many as fit in
// EDGEREPL_RELIABILITY_SECONDS (at least `short_cycles`), else `short_cycles`.
class CyclePlan {
 public:
  explicit CyclePlan(int short_cycles) : min_(short_cycles), start_(Clock::now()) {
    if (const char* c = std::getenv("EDGEREPL_OPERATOR_FAULT_CYCLES"); c && *c) {
      min_ = std::max(1, std::atoi(c));
    } else if (const char* s = std::getenv("EDGEREPL_RELIABILITY_SECONDS"); s && *s) {
      duration_ = std::chrono::seconds(std::atoi(s));
    }
  }
  bool More(int done) const { return done < min_ || Clock::now() - start_ < duration_; }

 private:
  int min_;
  Clock::time_point start_;
  Clock::duration duration_{0};
};

double Seconds(Clock::duration d) {
  return std::chrono::duration<double>(d).count();
}

std::string Summary(std::vector<double> v) {
  if (v.empty()) return "none";
  std::sort(v.begin(), v.end());
  std::ostringstream out;
  out.precision(2);
  out << std::fixed << "n=" << v.size() << " min=" << v.front() << "s median=" << v[v.size() / 2]
      << "s max=" << v.back() << "s";
  return out.str();
}

std::string Slurp(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string Tail(const std::string& text, size_t n = 4000) {
  return text.size() <= n ? text : text.substr(text.size() - n);
}

// The sum of every sample of `name` whose labels contain `label` ("" for any).
double MetricSum(const std::string& metrics, const std::string& name, const std::string& label) {
  double sum = 0;
  std::istringstream in(metrics);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(name, 0) != 0 || line.find(label) == std::string::npos) continue;
    size_t sp = line.rfind(' ');
    if (sp != std::string::npos) sum += std::atof(line.c_str() + sp + 1);
  }
  return sum;
}

// Changes specs through the model every `period` on its own thread until stopped.
class Mutator {
 public:
  Mutator(OperatorFaultsModel& model, std::chrono::milliseconds period)
      : thread_([this, &model, period] {
          while (!stop_.load()) {
            Status s = model.MutateOnce();
            if (!s.ok()) errors_.push_back(s.ToString());
            std::this_thread::sleep_for(period);
          }
        }) {}
  ~Mutator() { Stop(); }
  // The API errors the mutations met (the peer API server is never restarted: none expected).
  std::vector<std::string> Stop() {
    stop_.store(true);
    if (thread_.joinable()) thread_.join();
    return errors_;
  }

 private:
  std::atomic<bool> stop_{false};
  std::vector<std::string> errors_;
  std::thread thread_;
};

// Restarts operator processes that exited, as the kubelet restarts a crashed container.
class Supervisor {
 public:
  explicit Supervisor(std::vector<OperatorProcess*> processes)
      : processes_(std::move(processes)), thread_([this] {
          while (!stop_.load()) {
            for (OperatorProcess* p : processes_) p->RestartIfExited();
            std::this_thread::sleep_for(250ms);
          }
        }) {}
  ~Supervisor() {
    stop_.store(true);
    thread_.join();
  }

 private:
  std::vector<OperatorProcess*> processes_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

class OperatorFaults : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    env_ = new OperatorFaultsEnv();
    if (::access(OperatorBinary().c_str(), X_OK) != 0) {
      skip_ = "edgerepl-operator is not built (" + OperatorBinary() + ")";
      return;
    }
    auto start = Clock::now();
    if (!env_->Start(SourceDir(), &skip_)) return;
    std::cout << "control plane up in " << Seconds(Clock::now() - start) << " s\n";
  }
  static void TearDownTestSuite() {
    delete env_;
    env_ = nullptr;
  }

  void SetUp() override {
    if (!skip_.empty()) GTEST_SKIP() << "skipped: " << skip_;
    std::string name = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    std::string prefix;
    for (char c : name.substr(0, 20)) prefix += static_cast<char>(std::tolower(c));
    ns_ = env_->NewNamespace(prefix);
    ASSERT_FALSE(ns_.empty());
    seed_ = static_cast<uint32_t>(std::random_device{}());
    std::ostringstream tp;
    tp << "edgerepl-SECRET-opfaults-" << std::hex << seed_ << "-";
    token_prefix_ = tp.str();
    std::cout << "namespace " << ns_ << ", seed " << seed_ << "\n";
    model_ = std::make_unique<OperatorFaultsModel>(env_->client(), ns_, seed_, token_prefix_);
    ASSERT_TRUE(model_->CreateAll().ok());
  }

  void TearDown() override {
    if (model_ == nullptr) return;
    ScanForTokens();
    for (auto& p : operators_) p->Stop();
    if (HasFailure()) {
      for (auto& p : operators_) {
        std::cout << "---- " << p->log_path() << " (tail)\n" << Tail(Slurp(p->log_path()));
      }
    }
  }

  OperatorProcess& StartOperator(const std::string& identity, std::string kubeconfig = "") {
    if (kubeconfig.empty()) kubeconfig = env_->server().kubeconfig();
    operators_.push_back(std::make_unique<OperatorProcess>(
        OperatorBinary(), kubeconfig, dir_.path(), identity,
        std::vector<std::string>{"--leader-elect", "--leader-election-namespace=" + ns_}));
    operators_.back()->Start();
    return *operators_.back();
  }

  // Seconds until the model's view holds, or a failure naming what still differs.
  std::optional<double> WaitConverged(std::chrono::seconds timeout) {
    auto start = Clock::now();
    std::string diff;
    while (Clock::now() - start < timeout) {
      if (model_->Converged(&diff)) return Seconds(Clock::now() - start);
      std::this_thread::sleep_for(200ms);
    }
    if (model_->Converged(&diff)) return Seconds(Clock::now() - start);
    ADD_FAILURE() << "not converged after " << timeout.count() << " s: " << diff;
    return std::nullopt;
  }

  // Point 7 of the reliability issue: no token in any status, Event or ConfigMap of any
  // namespace, nor in the operator's logs or /metrics; in clear or base64.
  void ScanForTokens() {
    std::vector<std::pair<std::string, std::string>> texts;
    const kube::ResourceType remotes{"edgerepl.io", "v1alpha1", "remotes", "Remote", true};
    const kube::ResourceType replications{"edgerepl.io", "v1alpha1", "replications", "Replication",
                                          true};
    const kube::ResourceType configmaps{"", "v1", "configmaps", "ConfigMap", true};
    size_t events = 0, statuses = 0;
    for (const kube::ResourceType* type :
         {&remotes, &replications, &configmaps, &kube::EventsType()}) {
      Result<kube::ObjectList> list = env_->client().List(*type, "", {});
      ASSERT_TRUE(list.ok()) << type->plural << ": " << list.status().ToString();
      for (const kube::Object& o : list->items) {
        const bool custom = type == &remotes || type == &replications;
        if (custom && !o.json().has_object_field("status")) continue;
        texts.push_back({type->plural + "/" + o.Key(),
                         custom ? o.json().at("status").serialize() : o.json().serialize()});
        if (type == &kube::EventsType() && o.namespace_() == ns_) ++events;
        if (custom && o.namespace_() == ns_) ++statuses;
      }
    }
    size_t log_bytes = 0;
    for (auto& p : operators_) {
      std::string log = Slurp(p->log_path());
      log_bytes += log.size();
      texts.push_back({p->log_path(), log});
      if (p->Running()) texts.push_back({p->identity() + " /metrics", p->Metrics()});
    }
    std::vector<std::string> needles = {token_prefix_};
    for (const std::string& t : model_->tokens()) needles.push_back(codec::Base64Encode(t));
    int hits = 0;
    for (const auto& [where, text] : texts) {
      for (const std::string& n : needles) {
        if (text.find(n) != std::string::npos) {
          ++hits;
          ADD_FAILURE() << "token (" << n << ") found in " << where;
        }
      }
    }
    // The scan saw what the operator wrote, or it proves nothing.
    EXPECT_GT(events, 0u) << "no Events in " << ns_;
    EXPECT_GT(statuses, 0u);
    EXPECT_GT(log_bytes, 0u);
    std::cout << "secrets scan: " << texts.size() << " texts (" << events << " events, " << statuses
              << " statuses, " << log_bytes << " log bytes), " << needles.size() << " token forms, "
              << hits << " hits\n";
  }

  static OperatorFaultsEnv* env_;
  static std::string skip_;
  std::string ns_;
  uint32_t seed_ = 0;
  std::string token_prefix_;
  std::unique_ptr<OperatorFaultsModel> model_;
  testing::TempDir dir_;
  std::vector<std::unique_ptr<OperatorProcess>> operators_;
};

OperatorFaultsEnv* OperatorFaults::env_ = nullptr;
std::string OperatorFaults::skip_;

// The API server is stopped (SIGTERM) and started again on the same etcd while specs change
// before, during (through the second API server) and right after. An outage longer than the
// Lease's renew deadline costs the operator its leadership, and it exits as controller-runtime
// does; it is restarted as the kubelet would.
TEST_F(OperatorFaults, ConvergesAcrossApiServerRestarts) {
  OperatorProcess& op = StartOperator("op-restarts");
  Supervisor supervisor({&op});
  ASSERT_TRUE(WaitConverged(60s).has_value()) << "no initial convergence";
  std::vector<double> away, stopping, converged;
  CyclePlan plan(1);
  int cycle = 0;
  for (; plan.More(cycle); ++cycle) {
    for (int i = 0; i < 3; ++i) ASSERT_TRUE(model_->MutateOnce().ok());
    Result<OperatorFaultsEnv::Restart> down{OperatorFaultsEnv::Restart{}};
    {
      Mutator during(*model_, 300ms);
      down = env_->RestartApiServer(/*compact=*/false);
      ASSERT_TRUE(during.Stop().empty());
    }
    ASSERT_TRUE(down.ok()) << down.status().ToString();
    away.push_back(down->away.count() / 1000.0);
    stopping.push_back(down->stopping.count() / 1000.0);
    for (int i = 0; i < 2; ++i) ASSERT_TRUE(model_->MutateOnce().ok());
    std::optional<double> took = WaitConverged(90s);
    ASSERT_TRUE(took.has_value()) << "cycle " << cycle;
    converged.push_back(*took);
  }
  std::cout << "restart cycles: " << cycle << ", mutations: " << model_->mutations()
            << ", API server away: " << Summary(away) << " (of which stopping " << Summary(stopping)
            << "), converged after restart: " << Summary(converged)
            << ", operator restarts (lost leadership): " << op.restarts() << "\n";
}

size_t CountOf(const std::string& text, const std::string& needle) {
  size_t n = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

// The operator's connections (watches and all) are cut and refused for a moment while specs
// change and etcd's history is compacted: every watch resumes from a version that is gone, gets
// 410 and must relist. Short enough that the Lease survives, so the same process recovers.
TEST_F(OperatorFaults, ConvergesAfterWatchVersionsAreCompactedAway) {
  OperatorProcess& op = StartOperator("op-gone", env_->RelayKubeconfig());
  Supervisor supervisor({&op});
  ASSERT_TRUE(WaitConverged(60s).has_value()) << "no initial convergence";
  std::vector<double> converged;
  size_t gone_seen = 0;
  CyclePlan plan(1);
  int cycle = 0;
  for (; plan.More(cycle); ++cycle) {
    for (int i = 0; i < 3; ++i) ASSERT_TRUE(model_->MutateOnce().ok());
    const size_t relists_before = CountOf(Slurp(op.log_path()), "relisting");
    env_->relay().SetRefusing(true);
    env_->relay().CutAll();
    for (int i = 0; i < 6; ++i) {
      ASSERT_TRUE(model_->MutateOnce().ok());
      std::this_thread::sleep_for(200ms);
    }
    Status compacted = env_->CompactEtcd();
    ASSERT_TRUE(compacted.ok()) << compacted.ToString();
    env_->relay().SetRefusing(false);
    for (int i = 0; i < 2; ++i) ASSERT_TRUE(model_->MutateOnce().ok());
    std::optional<double> took = WaitConverged(60s);
    ASSERT_TRUE(took.has_value()) << "cycle " << cycle;
    converged.push_back(*took);
    // The watches really expired: the operator relisted after a 410.
    const std::string log = Slurp(op.log_path());
    const size_t relists = CountOf(log, "relisting") - relists_before;
    EXPECT_GT(relists, 0u) << "no watch saw 410 in cycle " << cycle;
    EXPECT_NE(log.find("410"), std::string::npos);
    gone_seen += relists;
    if (cycle == 0 && relists > 0) {
      size_t at = log.rfind("relisting");
      size_t from = log.rfind('\n', at);
      std::cout << "last relist: " << log.substr(from + 1, log.find('\n', at) - from - 1) << "\n";
    }
  }
  EXPECT_EQ(op.restarts(), 0) << "the outage was meant to be shorter than the renew deadline";
  std::cout << "410 cycles: " << cycle << ", mutations: " << model_->mutations()
            << ", watches relisted after 410: " << gone_seen
            << ", connections cut: " << env_->relay().connections_cut()
            << ", converged after reconnecting: " << Summary(converged)
            << ", operator restarts: " << op.restarts() << "\n";
}

// Another writer on the same objects while specs change: it touches the config Secret with fresh
// and with stale resourceVersions (the stale ones must be refused with 409, the fresh ones race
// the operator's own updates into 409s), overwrites statuses with a made-up condition, and adds
// labels. The operator must end with the final specs in the file (no lost update) and its own
// statuses back.
TEST_F(OperatorFaults, ConvergesDespiteAConflictingWriter) {
  OperatorProcess& op = StartOperator("op-conflicts");
  Supervisor supervisor({&op});
  ASSERT_TRUE(WaitConverged(60s).has_value()) << "no initial convergence";
  kube::RestClient& client = env_->client();
  const kube::ResourceType remotes{"edgerepl.io", "v1alpha1", "remotes", "Remote", true};
  const kube::ResourceType replications{"edgerepl.io", "v1alpha1", "replications", "Replication",
                                        true};
  Result<kube::Object> stale_secret = client.Get(kube::SecretsType(), ns_, "edgerepl-agent-config");
  ASSERT_TRUE(stale_secret.ok());

  struct Counts {
    int fresh_ok = 0, fresh_conflict = 0, stale_conflict = 0, stale_accepted = 0;
    int status_overwrites = 0, status_conflicts = 0, labels = 0, other_errors = 0;
  };
  Counts total;
  std::vector<double> converged;
  CyclePlan plan(1);
  int cycle = 0;
  for (; plan.More(cycle); ++cycle) {
    Counts c;
    std::atomic<bool> stop{false};
    std::thread writer([&] {
      int n = 0;
      std::optional<kube::Object> stale_status;
      while (!stop.load()) {
        ++n;
        // The config Secret, fresh: read, annotate, write back.
        Result<kube::Object> s = client.Get(kube::SecretsType(), ns_, "edgerepl-agent-config");
        if (s.ok()) {
          s->set_annotation("faults.edgerepl.io/touched", std::to_string(n));
          Status u = client.Update(kube::SecretsType(), *s).status();
          if (u.ok()) {
            ++c.fresh_ok;
          } else if (u.code() == StatusCode::kConflict) {
            ++c.fresh_conflict;
          } else {
            ++c.other_errors;
          }
        }
        // The same Secret from long ago: refused.
        kube::Object old = *stale_secret;
        old.set_annotation("faults.edgerepl.io/stale", std::to_string(n));
        Status u = client.Update(kube::SecretsType(), old).status();
        if (u.code() == StatusCode::kConflict) {
          ++c.stale_conflict;
        } else if (u.ok()) {
          ++c.stale_accepted;
        } else {
          ++c.other_errors;
        }
        // A status overwritten with a condition the operator never sets, and labels added.
        const kube::ResourceType& type = n % 2 == 0 ? remotes : replications;
        const std::string name =
            n % 2 == 0 ? "r" + std::to_string(n / 2 % 2) : "p" + std::to_string(n / 2 % 4);
        Result<kube::Object> o = client.Get(type, ns_, name);
        if (o.ok()) {
          if (stale_status && stale_status->name() == name) {
            Status st = client.UpdateStatus(type, *stale_status).status();
            if (st.code() == StatusCode::kConflict) ++c.status_conflicts;
          }
          stale_status = *o;
          o->json()["status"] = web::json::value::parse(
              R"({"observedGeneration":0,"conditions":[{"type":"Ready","status":"Unknown",)"
              R"("reason":"Overwritten","message":"by another writer","observedGeneration":0,)"
              R"("lastTransitionTime":"2020-01-01T00:00:00Z"}]})");
          Status st = client.UpdateStatus(type, *o).status();
          if (st.ok()) {
            ++c.status_overwrites;
          } else if (st.code() == StatusCode::kConflict) {
            ++c.status_conflicts;
          } else if (st.code() != StatusCode::kNotFound) {
            ++c.other_errors;
          }
          Status l =
              client
                  .MergePatch(
                      type, ns_, name,
                      web::json::value::parse(R"({"metadata":{"labels":{"faults.edgerepl.io/n":")" +
                                              std::to_string(n) + R"("}}})"))
                  .status();
          if (l.ok()) ++c.labels;
        }
        std::this_thread::sleep_for(5ms);
      }
    });
    {
      Mutator specs(*model_, 150ms);
      std::this_thread::sleep_for(4s);
      ASSERT_TRUE(specs.Stop().empty());
    }
    stop.store(true);
    writer.join();
    EXPECT_EQ(c.stale_accepted, 0);
    EXPECT_GT(c.stale_conflict, 0);
    EXPECT_GT(c.status_overwrites, 0);
    EXPECT_EQ(c.other_errors, 0);
    std::optional<double> took = WaitConverged(60s);
    ASSERT_TRUE(took.has_value()) << "cycle " << cycle;
    converged.push_back(*took);
    total.fresh_ok += c.fresh_ok;
    total.fresh_conflict += c.fresh_conflict;
    total.stale_conflict += c.stale_conflict;
    total.status_overwrites += c.status_overwrites;
    total.status_conflicts += c.status_conflicts;
    total.labels += c.labels;
  }
  const double operator_conflicts =
      MetricSum(op.Metrics(), "rest_client_requests_total", "code=\"409\"");
  std::cout << "conflict cycles: " << cycle << ", mutations: " << model_->mutations()
            << ", other writer: config Secret updates " << total.fresh_ok << " ok / "
            << total.fresh_conflict << " 409, stale updates " << total.stale_conflict
            << " 409, status overwrites " << total.status_overwrites << " ("
            << total.status_conflicts << " 409), label patches " << total.labels
            << "; operator's own 409s: " << operator_conflicts
            << "; converged after: " << Summary(converged) << "\n";
}

// Two operator processes with leader election; the leader is killed with SIGKILL while specs
// change. The survivor must take the Lease within 20 s and converge; a replacement process (a new
// pod, a new identity) joins as the follower.
TEST_F(OperatorFaults, LeaderKilledDuringChangesIsReplacedWithin20s) {
  OperatorProcess* a = &StartOperator("op-0");
  OperatorProcess* b = &StartOperator("op-1");
  ASSERT_TRUE(WaitConverged(60s).has_value()) << "no initial convergence";
  std::vector<double> takeover, converged;
  CyclePlan plan(1);
  int cycle = 0;
  for (; plan.More(cycle); ++cycle) {
    std::string holder;
    auto deadline = Clock::now() + 30s;
    while (Clock::now() < deadline) {
      holder = env_->LeaseHolder(ns_);
      if (holder == a->identity() || holder == b->identity()) break;
      std::this_thread::sleep_for(200ms);
    }
    ASSERT_TRUE(holder == a->identity() || holder == b->identity()) << "holder '" << holder << "'";
    OperatorProcess* leader = holder == a->identity() ? a : b;
    OperatorProcess* follower = leader == a ? b : a;
    // The follower must be up (caches synced) to take over at all.
    deadline = Clock::now() + 30s;
    while (Clock::now() < deadline && !follower->Ready()) std::this_thread::sleep_for(200ms);
    ASSERT_TRUE(follower->Ready()) << follower->identity() << " not ready";
    std::optional<double> took;
    {
      Mutator during(*model_, 300ms);
      std::this_thread::sleep_for(1s);
      leader->Kill();
      auto killed = Clock::now();
      while (Clock::now() - killed < 30s) {
        if (env_->LeaseHolder(ns_) == follower->identity()) {
          took = Seconds(Clock::now() - killed);
          break;
        }
        std::this_thread::sleep_for(100ms);
      }
      std::this_thread::sleep_for(1s);
      ASSERT_TRUE(during.Stop().empty());
    }
    ASSERT_TRUE(took.has_value()) << "no new leader within 30 s";
    EXPECT_LT(*took, 20.0);
    takeover.push_back(*took);
    std::optional<double> c = WaitConverged(60s);
    ASSERT_TRUE(c.has_value()) << "cycle " << cycle;
    converged.push_back(*c);
    // The killed pod's replacement.
    OperatorProcess* fresh = &StartOperator("op-" + std::to_string(cycle + 2));
    a = follower;
    b = fresh;
  }
  std::cout << "failover cycles: " << cycle << ", mutations: " << model_->mutations()
            << ", new leader after SIGKILL: " << Summary(takeover)
            << ", converged after takeover: " << Summary(converged) << "\n";
}

}  // namespace
}  // namespace edgerepl::reliability
