// The alert rules and the Grafana dashboard query only metrics a real agent exports: a real
// edgerepl-agent in front of a real influxd replicates a write to a second database, and its
// /metrics must declare every edgerepl_* name that `chartcheck --used-metrics` lists (the rules as
// the real helm renders them, and the dashboard). Operator names are checked against the DESIGN §7
// contract in tests/chart (no operator binary runs here).
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/process.h"
#include "tests/support/servers.h"
#include "tests/support/temp_dir.h"

namespace edgerepl::testing {
namespace {

std::string EnvOr(const char* name, const std::string& fallback) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' ? v : fallback;
}

// Runs a command and returns its stdout; empty on failure.
std::string RunCommand(const std::string& command) {
  std::string out;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, pipe)) > 0) out.append(buf, n);
  if (pclose(pipe) != 0) return "";
  return out;
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) out.push_back(line);
  }
  return out;
}

// Metric family names declared by "# TYPE <name> <type>" lines of a Prometheus text scrape.
std::set<std::string> DeclaredFamilies(const std::string& scrape) {
  std::set<std::string> out;
  for (const std::string& line : Lines(scrape)) {
    if (line.rfind("# TYPE ", 0) != 0) continue;
    std::istringstream fields(line.substr(7));
    std::string name;
    fields >> name;
    out.insert(name);
  }
  return out;
}

// The value of the first sample whose line starts with `prefix` ("name{labels"), or -1.
double SampleValue(const std::string& scrape, const std::string& prefix) {
  for (const std::string& line : Lines(scrape)) {
    if (line.rfind(prefix, 0) == 0) {
      return std::strtod(line.substr(line.rfind(' ') + 1).c_str(), nullptr);
    }
  }
  return -1;
}

// Names the agent owns: edgerepl_* except the operator's edgerepl_agents*.
bool AgentOwned(const std::string& name) {
  return name.rfind("edgerepl_", 0) == 0 && name.rfind("edgerepl_agents", 0) != 0;
}

class MetricsScrapeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    source_ = EnvOr("EDGEREPL_SOURCE_DIR", ".");
    const std::string binary = EnvOr("EDGEREPL_BINARY_DIR", EDGEREPL_TEST_BINARY_DIR);
    agent_ = EnvOr("EDGEREPL_AGENT_BIN", binary + "/agent/app/edgerepl-agent");
    chartcheck_ = EnvOr("EDGEREPL_CHARTCHECK", binary + "/tests/chart/bin/chartcheck");
    helm_ = EnvOr("EDGEREPL_HELM", EDGEREPL_TEST_HELM);
    if (!FindExecutable(agent_)) GTEST_SKIP() << "edgerepl-agent not built at " << agent_;
    if (!FindExecutable(chartcheck_)) GTEST_SKIP() << "chartcheck not built at " << chartcheck_;
    if (!FindExecutable(helm_))
      GTEST_SKIP() << "helm not found at '" << helm_ << "' (scripts/kube-tools.sh)";
    if (!Influxd::Available()) GTEST_SKIP() << "influxd not installed (Debian influxdb)";
  }

  std::string source_, agent_, chartcheck_, helm_;
};

TEST_F(MetricsScrapeTest, RulesAndDashboardUseOnlyMetricsTheAgentExports) {
  const std::vector<std::string> used = Lines(RunCommand(chartcheck_ + " --used-metrics --helm " +
                                                         helm_ + " " + source_ + "/helm/edgerepl"));
  ASSERT_GT(used.size(), 10u) << "chartcheck --used-metrics listed too little";

  Influxd influxd;
  influxd.Start();
  influxd.CreateDatabase("telegraf");
  influxd.CreateDatabase("replica");

  TempDir dir;
  const int write_port = PickFreePort();
  const int admin_port = PickFreePort();
  // Nothing listens here: the "stuck" replication backs off, so its head can be skipped, which
  // makes the lazily created dropped counters appear.
  const int closed_port = PickFreePort();
  std::ostringstream config;
  config << "listen: \"127.0.0.1:" << write_port << "\"\n"
         << "adminListen: \"127.0.0.1:" << admin_port << "\"\n"
         << "local: {url: \"" << influxd.url() << "\", timeout: 10s}\n"
         << "dataDir: \"" << dir.Join("data") << "\"\n"
         << "remotes:\n"
         << "  - name: sink\n"
         << "    url: \"" << influxd.url() << "\"\n"
         << "    token: \"unused:unused\"\n"
         << "    protocol: v1\n"
         << "  - name: nowhere\n"
         << "    url: \"http://127.0.0.1:" << closed_port << "\"\n"
         << "    token: \"unused:unused\"\n"
         << "    protocol: v1\n"
         << "    timeout: 1s\n"
         << "replications:\n"
         << "  - id: scrape-test\n"
         << "    name: scrape-test\n"
         << "    remote: sink\n"
         << "    localBucket: telegraf\n"
         << "    remoteBucket: replica\n"
         << "    backoff: {min: 50ms, max: 1s}\n"
         << "  - id: stuck\n"
         << "    name: stuck\n"
         << "    remote: nowhere\n"
         << "    localBucket: telegraf\n"
         << "    remoteBucket: replica\n"
         << "    backoff: {min: 50ms, max: 1s}\n";
  WriteFileOrDie(dir.Join("agent.yaml"), config.str());
  ChildProcess agent({agent_, "--config", dir.Join("agent.yaml"), "--log-level", "debug"},
                     dir.Join("agent.log"));
  ASSERT_TRUE(WaitForTcp(admin_port, std::chrono::seconds(20)))
      << "agent did not start:\n"
      << ReadFileOrDie(dir.Join("agent.log"));

  const std::string line = "cpu,host=edge-1 usage=12.5 1700000000000000000\n";
  ASSERT_EQ(HttpRequest(write_port, "POST", "/write?db=telegraf", {}, line), 204)
      << ReadFileOrDie(dir.Join("agent.log"));
  // A write to another retention policy of the replicated database is stored locally and taken
  // by no replication, which makes the per-bucket unreplicated counter appear.
  influxd.Query("CREATE RETENTION POLICY \"short\" ON \"telegraf\" DURATION 1h REPLICATION 1");
  ASSERT_EQ(HttpRequest(write_port, "POST", "/write?db=telegraf&rp=short", {},
                        "cpu,host=edge-1 usage=1 " +
                            std::to_string(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                               std::chrono::system_clock::now().time_since_epoch())
                                               .count()) +
                            "\n"),
            204)
      << ReadFileOrDie(dir.Join("agent.log"));

  // Wait until the point was delivered, so the sender's series exist with real values.
  std::string scrape;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (std::chrono::steady_clock::now() < deadline) {
    scrape.clear();
    if (HttpGetStatus(admin_port, "/metrics", &scrape) == 200 &&
        SampleValue(scrape, "edgerepl_remote_sent_points_total{replication=\"scrape-test\"}") >=
            1) {
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_GE(SampleValue(scrape, "edgerepl_remote_sent_points_total{replication=\"scrape-test\"}"),
            1)
      << "the point was not replicated; agent log:\n"
      << ReadFileOrDie(dir.Join("agent.log")) << "\nscrape:\n"
      << scrape;
  EXPECT_EQ(influxd.CountPoints("replica", "cpu", "usage"), 1);

  // Drop the stuck replication's head batch so the dropped counters exist (reason skipped).
  int skip = 0;
  for (int i = 0; i < 50 && skip != 202; ++i) {
    skip = HttpRequest(admin_port, "POST", "/api/v1/replications/stuck/skip-head", {}, "");
    if (skip != 202) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_EQ(skip, 202);
  for (int i = 0; i < 100; ++i) {
    scrape.clear();
    HttpGetStatus(admin_port, "/metrics", &scrape);
    if (SampleValue(scrape, "edgerepl_queue_dropped_points_total{") >= 1) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_GE(SampleValue(scrape, "edgerepl_queue_dropped_points_total{"), 1)
      << "skip-head did not count a drop; scrape:\n"
      << scrape;

  const std::set<std::string> declared = DeclaredFamilies(scrape);
  int checked = 0;
  for (const std::string& name : used) {
    if (!AgentOwned(name)) continue;
    ++checked;
    EXPECT_TRUE(declared.count(name) > 0)
        << name
        << " is used by an alert or the dashboard but the agent's /metrics does not declare it";
  }
  EXPECT_GT(checked, 15);

  // DESIGN §7: every exported name passes promtool's lint.
  if (FindExecutable("promtool")) {
    WriteFileOrDie(dir.Join("scrape.txt"), scrape);
    const std::string lint =
        RunCommand("promtool check metrics < " + dir.Join("scrape.txt") + " 2>&1; echo rc=$?");
    EXPECT_NE(lint.find("rc=0"), std::string::npos) << "promtool check metrics:\n" << lint;
  }
  agent.Stop();
}

}  // namespace
}  // namespace edgerepl::testing
