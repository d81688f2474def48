#include "tests/reliability/world.h"

#include <poll.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <sstream>
#include <thread>

#include "tests/reliability/http_post.h"

namespace edgerepl::reliability {

int64_t EnvInt(const char* name, int64_t fallback) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' ? std::atoll(v) : fallback;
}

int64_t LongSeconds() {
  return EnvInt("EDGEREPL_RELIABILITY_SECONDS", 0);
}

bool IsLongForm() {
  return LongSeconds() > 0;
}

World::World(WorldOptions options) : options_(std::move(options)) {}

World::~World() {
  agent_.reset();
  proxy_.reset();
}

std::string World::queue_dir(int i) const {
  std::string id = i == 0 ? kReplicationId : std::string(kReplicationId) + "-" + std::to_string(i);
  std::string data = options_.data_dir.empty() ? dir_.Join("data") : options_.data_dir;
  return data + "/queues/" + id;
}

config::Config World::BaseConfig() const {
  config::Config c;
  c.local.url = local_->url();
  c.local.timeout = std::chrono::seconds(10);
  c.data_dir = options_.data_dir.empty() ? dir_.Join("data") : options_.data_dir;
  c.admin_token = options_.admin_token;
  // Fast retries keep drains short; the real defaults are exercised by the sender's tests.
  config::RemoteConfig r;
  r.name = "remote";
  r.url = !options_.remote_url.empty() ? options_.remote_url
          : proxy_                     ? proxy_->url()
                                       : remote_->url();
  r.protocol = config::Protocol::kV1;
  r.token = options_.token;
  r.timeout = std::chrono::seconds(2);
  c.remotes.push_back(r);
  for (int i = 0; i < options_.replications; ++i) {
    config::ReplicationConfig rep;
    rep.id = i == 0 ? kReplicationId : std::string(kReplicationId) + "-" + std::to_string(i);
    rep.name = i == 0 ? "acct" : "acct-" + std::to_string(i);
    rep.remote = "remote";
    rep.local_bucket = kDb;
    rep.remote_bucket = kDb;
    rep.max_age_seconds = 0;
    rep.backoff.min = std::chrono::milliseconds(50);
    rep.backoff.max = std::chrono::milliseconds(1000);
    rep.max_in_flight = static_cast<uint32_t>(options_.max_in_flight);
    c.replications.push_back(rep);
  }
  return c;
}

bool World::Up(std::string* why) {
  if (!testing::Influxd::Available()) {
    *why = "influxd is not installed";
    return false;
  }
  std::optional<std::string> bin = FindAgentBinary();
  if (!bin) {
    *why = "the edgerepl-agent binary is not built (set EDGEREPL_AGENT_BIN)";
    return false;
  }
  local_ = std::make_unique<testing::Influxd>();
  remote_ = std::make_unique<testing::Influxd>();
  local_->Start();
  remote_->Start();
  local_->CreateDatabase(kDb);
  remote_->CreateDatabase(kDb);
  if (options_.proxy) proxy_ = std::make_unique<testing::FaultProxy>(remote_->port());
  agent_ = std::make_unique<AgentRunner>(*bin, BaseConfig(), dir_.path());
  agent_->Start();
  if (!agent_->WaitReady(std::chrono::seconds(30))) {
    *why = "the agent did not become ready; log: " + agent_->log_path();
    return false;
  }
  return true;
}

LoadOptions World::Load(const std::string& run) const {
  LoadOptions o;
  o.port = agent_->write_port();
  o.target = std::string("/write?db=") + kDb + "&precision=ns";
  o.run = run;
  o.base_ns = kBaseNs;
  o.writers = 4;
  o.points_per_request = 100;
  o.log_path = dir_.Join("load-" + run + ".log");
  return o;
}

long long World::RemoteCount(const std::string& run) {
  std::string json = remote_->Query("SELECT count(seq) FROM acct WHERE gen='" + run + "'", kDb);
  size_t v = json.find("\"values\":[[");
  if (v == std::string::npos) return json.empty() ? -1 : 0;
  size_t comma = json.find(',', v);
  return std::atoll(json.c_str() + comma + 1);
}

bool World::Drain(const std::string& run, std::chrono::seconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  long long last = -2;
  int stable = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    std::vector<PromSample> m = agent_->Metrics();
    bool metrics = !m.empty();
    double pending = SumMetric(m, "edgerepl_queue_pending_points");
    long long count = RemoteCount(run);
    stable = (count == last) ? stable + 1 : 0;
    last = count;
    // Nothing pending and the remote no longer changing (2 s without pending metrics).
    if (metrics && pending == 0 && stable >= 2) return true;
    if (!metrics && stable >= 8) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
  // Say why, so a failed drain can be diagnosed from the test output alone.
  std::string log = testing::ReadFileOrDie(agent_->log_path());
  std::printf(
      "drain of run %s timed out: remote count %lld\n/api/v1/replications: %s\n"
      "agent log (tail):\n%s\n",
      run.c_str(), last, agent_->AdminGet("/api/v1/replications").c_str(),
      log.substr(log.size() > 3000 ? log.size() - 3000 : 0).c_str());
  return false;
}

AccountingReport World::Check(const std::string& run, const std::vector<PointFate>& fates) {
  std::vector<PromSample> m = agent_->Metrics();
  std::map<std::string, double> dropped = SumBy(m, "edgerepl_queue_dropped_points_total", "reason");
  for (auto it = dropped.begin(); it != dropped.end();) {
    it = it->second == 0 ? dropped.erase(it) : std::next(it);
  }
  double sent = SumMetric(m, "edgerepl_remote_sent_points_total");
  std::optional<RemoteView> view = ReadRemote(remote_->port(), kDb, run, kBaseNs, fates.size());
  if (!view) {
    AccountingReport broken;
    broken.acked_missing = fates.size();
    broken.missing_examples = {0};
    return broken;
  }
  AccountingReport report = Account(fates, *view, dropped, sent);
  std::optional<RemoteView> local = ReadRemote(local_->port(), kDb, run, kBaseNs, fates.size());
  if (local) CompareWithLocal(*local, *view, &report);
  report.write_refused = SumMetric(m, "edgerepl_write_refused_points_total");
  return report;
}

std::string LatencyStats::ToString() const {
  std::ostringstream s;
  s << "n=" << n << " p50=" << p50_ms << "ms p99=" << p99_ms << "ms max=" << max_ms << "ms";
  return s.str();
}

LatencyStats Stats(const std::vector<LatencySample>& samples,
                   std::chrono::steady_clock::time_point from,
                   std::chrono::steady_clock::time_point to) {
  std::vector<double> ms;
  for (const LatencySample& s : samples) {
    if (s.at >= from && s.at < to && s.status / 100 == 2) ms.push_back(s.latency.count() / 1000.0);
  }
  LatencyStats st;
  st.n = ms.size();
  if (ms.empty()) return st;
  std::sort(ms.begin(), ms.end());
  st.p50_ms = ms[ms.size() / 2];
  st.p99_ms = ms[std::min(ms.size() - 1, ms.size() * 99 / 100)];
  st.max_ms = ms.back();
  return st;
}

bool KillOnCreate(AgentRunner& agent, const std::string& dir, const std::string& suffix,
                  std::chrono::milliseconds timeout) {
  int fd = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  bool triggered = false;
  if (fd >= 0 && ::inotify_add_watch(fd, dir.c_str(), IN_CREATE | IN_MOVED_TO) >= 0) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    alignas(inotify_event) char buf[4096];
    while (!triggered) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) break;
      pollfd p{fd, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
      ssize_t n = ::read(fd, buf, sizeof buf);
      for (ssize_t off = 0; n > 0 && off < n;) {
        auto* ev = reinterpret_cast<inotify_event*>(buf + off);
        std::string name = ev->len > 0 ? ev->name : "";
        if (name.size() >= suffix.size() &&
            name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0) {
          // Straight to kill(2): every microsecond here lets the agent finish the step.
          ::kill(agent.pid(), SIGKILL);
          triggered = true;
          break;
        }
        off += static_cast<ssize_t>(sizeof(inotify_event) + ev->len);
      }
    }
  } else {
    std::this_thread::sleep_for(timeout);
  }
  if (fd >= 0) ::close(fd);
  agent.Kill9();
  return triggered;
}

}  // namespace edgerepl::reliability
