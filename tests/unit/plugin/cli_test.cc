#include "plugin/cli.h"

#include <gtest/gtest.h>

namespace edgerepl::plugin {
namespace {

Result<Command> Parse(std::vector<std::string> args) {
  return ParseCommand(args);
}

TEST(ParseCommand, StatusWithKubectlFlagSpellings) {
  auto c = Parse({"status", "-n", "influx", "-o", "json"});
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->verb, "status");
  EXPECT_EQ(c->namespace_, "influx");
  EXPECT_EQ(c->output, "json");
  c = Parse({"-A", "status", "-ojson"});
  ASSERT_TRUE(c.ok());
  EXPECT_TRUE(c->all_namespaces);
  EXPECT_EQ(c->output, "json");
  c = Parse({"status", "--namespace=x", "--context", "edge", "--kubeconfig=/k"});
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->namespace_, "x");
  EXPECT_EQ(c->context, "edge");
  EXPECT_EQ(c->kubeconfig, "/k");
  c = Parse({"status", "-ninflux"});
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->namespace_, "influx");
}

TEST(ParseCommand, ActionsNeedOneReplicationAndOnePodChoice) {
  auto c = Parse({"skip-head", "edge-to-cloud", "--pod", "db-0"});
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->replication, "edge-to-cloud");
  EXPECT_EQ(c->pod, "db-0");
  c = Parse({"retry-now", "r-1", "--all-pods", "-n", "influx"});
  ASSERT_TRUE(c.ok());
  EXPECT_TRUE(c->all_pods);
  EXPECT_NE(Parse({"skip-head", "r"}).status().message().find("--pod"), std::string::npos);
  EXPECT_NE(Parse({"skip-head", "r", "--pod", "p", "--all-pods"}).status().message().find("--pod"),
            std::string::npos);
  EXPECT_NE(Parse({"skip-head", "--all-pods"}).status().message().find("replication"),
            std::string::npos);
  EXPECT_NE(Parse({"retry-now", "r", "--all-pods", "-A"}).status().message().find("-n"),
            std::string::npos);
}

TEST(ParseCommand, BackfillBuildsTheAgentsRequest) {
  auto c = Parse({"backfill", "edge-to-cloud", "--from", "2026-01-01T00:00:00+01:00",
                  "--to=2026-01-02T00:00:00.5Z", "--max-points-per-second", "20000", "--all-pods"});
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->verb, "backfill");
  EXPECT_EQ(c->replication, "edge-to-cloud");
  EXPECT_FALSE(c->cancel);
  EXPECT_EQ(
      c->backfill_body,
      R"({"from":"2025-12-31T23:00:00Z","to":"2026-01-02T00:00:00.5Z","maxPointsPerSecond":20000})");
  c = Parse({"backfill", "r", "--from=2026-01-01T00:00:00Z", "--to=2026-01-02T00:00:00Z", "--pod",
             "db-0"});
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->backfill_body, R"({"from":"2026-01-01T00:00:00Z","to":"2026-01-02T00:00:00Z"})");
  c = Parse({"backfill", "r", "--cancel", "--pod", "db-0"});
  ASSERT_TRUE(c.ok());
  EXPECT_TRUE(c->cancel);
  EXPECT_EQ(c->backfill_body, "");
}

TEST(ParseCommand, BackfillMistakesNameTheFlag) {
  const std::string to = "--to=2026-01-02T00:00:00Z";
  auto message = [](std::vector<std::string> args) { return Parse(args).status().message(); };
  EXPECT_NE(message({"backfill", "r", to, "--all-pods"}).find("--from is required"),
            std::string::npos);
  EXPECT_NE(message({"backfill", "r", "--from=2026-01-01T00:00:00Z", "--all-pods"}).find("--to"),
            std::string::npos);
  EXPECT_NE(
      message({"backfill", "r", "--from=yesterday", to, "--all-pods"}).find("--from: invalid"),
      std::string::npos);
  EXPECT_NE(message({"backfill", "r", "--from=2026-01-03T00:00:00Z", to, "--all-pods"})
                .find("--to: must be after --from"),
            std::string::npos);
  EXPECT_NE(message({"backfill", "r", "--from=2026-01-01T00:00:00Z", to,
                     "--max-points-per-second=0", "--all-pods"})
                .find("--max-points-per-second"),
            std::string::npos);
  EXPECT_NE(message({"backfill", "r", "--from=2026-01-01T00:00:00Z", to}).find("--pod"),
            std::string::npos);
  EXPECT_NE(message({"backfill", "r", "--cancel", to, "--all-pods"}).find("--cancel"),
            std::string::npos);
  EXPECT_NE(message({"retry-now", "r", to, "--all-pods"}).find("are for backfill"),
            std::string::npos);
}

TEST(ParseCommand, MistakesNameTheFlag) {
  EXPECT_NE(Parse({"status", "-o", "yaml"}).status().message().find("--output"), std::string::npos);
  EXPECT_NE(Parse({"status", "--bogus"}).status().message().find("--bogus"), std::string::npos);
  EXPECT_NE(Parse({"status", "-n"}).status().message().find("--namespace"), std::string::npos);
  EXPECT_NE(Parse({"frobnicate"}).status().message().find("frobnicate"), std::string::npos);
  EXPECT_FALSE(Parse({}).ok());
  EXPECT_EQ(Parse({"--help"})->verb, "help");
}

}  // namespace
}  // namespace edgerepl::plugin
