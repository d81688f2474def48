#include <gtest/gtest.h>
#include <prometheus/text_serializer.h>

#include "operator/app/flags.h"
#include "operator/app/metrics.h"
#include "operator/app/operator_runtime.h"

namespace edgerepl::op {
namespace {

TEST(Flags, Defaults) {
  Result<Flags> f = ParseFlags({});
  ASSERT_TRUE(f.ok());
  EXPECT_TRUE(f->namespaces.empty());
  EXPECT_FALSE(f->leader_elect);
  EXPECT_EQ(f->metrics_bind_address, ":8080");
  EXPECT_EQ(f->health_probe_bind_address, ":8081");
  EXPECT_EQ(f->status_interval, std::chrono::seconds(15));
}

TEST(Flags, BothFormsRepeatableNamespacesAndBareBooleans) {
  Result<Flags> f = ParseFlags({"--kubeconfig=/k", "--namespace", "a", "--namespace=b",
                                "--leader-elect", "--status-interval=2s", "--log-level", "debug",
                                "--metrics-bind-address=127.0.0.1:0"});
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  EXPECT_EQ(f->kubeconfig, "/k");
  EXPECT_EQ(f->namespaces, (std::vector<std::string>{"a", "b"}));
  EXPECT_TRUE(f->leader_elect);
  EXPECT_EQ(f->status_interval, std::chrono::seconds(2));
  EXPECT_EQ(f->log_level, "debug");
  EXPECT_EQ(f->metrics_bind_address, "127.0.0.1:0");
  EXPECT_FALSE(ParseFlags({"--leader-elect=false"})->leader_elect);
}

TEST(Flags, Version) {
  EXPECT_FALSE(ParseFlags({})->version);
  Result<Flags> f = ParseFlags({"--version"});
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  EXPECT_TRUE(f->version);
  EXPECT_NE(FlagsUsage().find("--version\n"), std::string::npos);
}

TEST(Flags, AgentBodyMemoryBudget) {
  EXPECT_EQ(ParseFlags({})->agent_max_body_memory_bytes, 268435456u);
  Result<Flags> f = ParseFlags({"--agent-max-body-memory-bytes=67108864"});
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  EXPECT_EQ(f->agent_max_body_memory_bytes, 67108864u);
}

TEST(Flags, AgentSettingsReachTheRenderedConfig) {
  Result<Flags> f =
      ParseFlags({"--agent-setting=durability=interval", "--agent-setting", "syncInterval=250ms",
                  "--agent-setting=maxBodyBytes=1048576", "--agent-setting=queueFullPolicy=reject",
                  "--agent-setting=orphanGracePeriod=1h", "--agent-setting=local.timeout=5s"});
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  config::Config c;
  ASSERT_TRUE(ApplyAgentSettings(f->agent_settings, &c).ok());
  EXPECT_EQ(c.durability, config::Durability::kInterval);
  EXPECT_EQ(c.sync_interval, std::chrono::milliseconds(250));
  EXPECT_EQ(c.max_body_bytes, 1048576u);
  EXPECT_EQ(c.queue_full_policy, config::QueueFullPolicy::kReject);
  EXPECT_EQ(c.orphan_grace_period, std::chrono::hours(1));
  EXPECT_EQ(c.local.timeout, std::chrono::seconds(5));
  // Without the flag every setting keeps the agent's default.
  config::Config d;
  ASSERT_TRUE(ApplyAgentSettings(ParseFlags({})->agent_settings, &d).ok());
  EXPECT_EQ(d, config::Config{});
}

// The backfill's credential reaches agents as a file path only: the operator never reads it.
TEST(Flags, AgentLocalTokenFileIsRenderedOnlyWhenSet) {
  Result<Flags> f = ParseFlags({"--agent-local-token-file=/etc/edgerepl/local-token/token"});
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  NamespaceRender with = RenderNamespace({}, AgentRenderSettings(*f));
  EXPECT_EQ(with.config.local.token_file, "/etc/edgerepl/local-token/token");
  EXPECT_NE(with.data["agent.yaml"].find("local:\n  url: \"http://127.0.0.1:8086\"\n  timeout: "
                                         "30s\n  tokenFile: \"/etc/edgerepl/local-token/token\"\n"),
            std::string::npos)
      << with.data["agent.yaml"];

  NamespaceRender without = RenderNamespace({}, AgentRenderSettings(*ParseFlags({})));
  EXPECT_EQ(without.config.local.token_file, "");
  EXPECT_EQ(without.data["agent.yaml"].find("tokenFile"), std::string::npos)
      << without.data["agent.yaml"];
  EXPECT_NE(without.data["agent.yaml"].find("local:\n  url: \"http://127.0.0.1:8086\"\n  timeout: "
                                            "30s\n"),
            std::string::npos)
      << without.data["agent.yaml"];
}

TEST(Flags, ErrorsNameTheFlag) {
  struct Case {
    std::vector<std::string> args;
    const char* part;
  };
  const Case cases[] = {
      {{"--nope"}, "unknown flag --nope"},
      {{"--status-interval=soon"}, "--status-interval"},
      {{"--status-interval=10ms"}, "at least 100ms"},
      {{"--leader-elect=maybe"}, "--leader-elect"},
      {{"--kubeconfig"}, "needs a value"},
      {{"stray"}, "unexpected argument"},
      {{"--namespace="}, "--namespace"},
      {{"--agent-max-body-memory-bytes=lots"}, "--agent-max-body-memory-bytes"},
      {{"--agent-max-body-memory-bytes=1024"}, "at least 1048576"},
      {{"--agent-setting=durability=fast"}, "--agent-setting durability: unknown value"},
      {{"--agent-setting=syncInterval=1.5s"}, "--agent-setting syncInterval:"},
      {{"--agent-setting=adminToken=x"}, "--agent-setting: unknown key \"adminToken\""},
      {{"--agent-setting=durability"}, "expected KEY=VALUE"},
  };
  for (const Case& c : cases) {
    Result<Flags> f = ParseFlags(c.args);
    ASSERT_FALSE(f.ok()) << c.args[0];
    EXPECT_NE(f.status().message().find(c.part), std::string::npos) << f.status().message();
  }
}

TEST(OperatorMetrics, ControllerRuntimeNames) {
  prometheus::Registry registry;
  OperatorMetrics m(registry, "edgerepl");
  m.ObserveReconcile("success", std::chrono::milliseconds(3));
  m.ObserveReconcile("error", std::chrono::milliseconds(30));
  m.SetAgents(3, 2);
  std::string text = prometheus::TextSerializer().Serialize(registry.Collect());
  EXPECT_NE(
      text.find(R"(controller_runtime_reconcile_total{controller="edgerepl",result="success"} 1)"),
      std::string::npos)
      << text;
  EXPECT_NE(
      text.find(R"(controller_runtime_reconcile_total{controller="edgerepl",result="error"} 1)"),
      std::string::npos);
  EXPECT_NE(text.find(R"(controller_runtime_reconcile_errors_total{controller="edgerepl"} 1)"),
            std::string::npos);
  EXPECT_NE(
      text.find(R"(controller_runtime_reconcile_time_seconds_count{controller="edgerepl"} 2)"),
      std::string::npos);
  EXPECT_NE(text.find("edgerepl_agents_reachable 2"), std::string::npos);
}

}  // namespace
}  // namespace edgerepl::op
