// The agent's App in-process, with scripted HTTP servers as the local InfluxDB and the remote:
// reloads that change, remove and re-add a replication keep its queued data; selectors follow the
// pod labels; readiness follows the local InfluxDB.
#include "agent/app/app.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <thread>

#include "tests/support/fault_server/fault_server.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

namespace edgerepl::app {
namespace {

using edgerepl::testing::FaultServer;
using edgerepl::testing::Reply;
using edgerepl::testing::TempDir;
using edgerepl::testing::WriteFileOrDie;

Reply ReplyWith(int code) {
  Reply r;
  r.status = code;
  return r;
}

template <typename Pred>
bool Eventually(Pred pred, std::chrono::milliseconds timeout = std::chrono::seconds(15)) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return pred();
}

class AppTest : public ::testing::Test {
 protected:
  std::string Top() const {
    return "listen: \"127.0.0.1:0\"\nadminListen: \"127.0.0.1:0\"\nlocal: {url: \"" + local_.url() +
           "\", timeout: 5s}\ndataDir: \"" + dir_.Join("data") +
           "\"\norphanGracePeriod: 1h\nremotes:\n  - {name: remote, url: \"" + remote_.url() +
           "\", protocol: v1, timeout: 2s}\n";
  }
  static std::string Replication(const std::string& id, const std::string& extra = "") {
    return "  - {id: " + id + ", name: n-" + id + ", remote: remote, localBucket: db, " +
           "remoteBucket: db, backoff: {min: 50ms, max: 200ms}" + extra + "}\n";
  }
  void WriteConfig(const std::string& replications) {
    std::string text = Top() + "replications:\n" + replications;
    WriteFileOrDie(dir_.Join("agent.yaml.tmp"), text);
    std::filesystem::rename(dir_.Join("agent.yaml.tmp"), dir_.Join("agent.yaml"));
  }
  std::unique_ptr<App> StartApp() {
    AppOptions options;
    options.config_path = dir_.Join("agent.yaml");
    auto app = App::Start(options);
    EXPECT_TRUE(app.ok()) << app.status().ToString();
    return app.ok() ? std::move(app).value() : nullptr;
  }
  int Write(App& app, const std::string& body) {
    return edgerepl::testing::HttpRequest(app.write_port(), "POST", "/write?db=db", {}, body);
  }
  // Reloads and waits for the new config to be in effect.
  void Reload(App& app, const std::string& replications) {
    std::string before = app.ConfigHash();
    WriteConfig(replications);
    app.RequestReload();
    ASSERT_TRUE(Eventually([&] { return app.ConfigHash() != before; }));
  }
  static uint64_t Pending(App& app) {
    uint64_t n = 0;
    for (const auto& r : app.Replications()) n += r.pending_points;
    return n;
  }

  TempDir dir_;
  FaultServer local_;
  FaultServer remote_;
};

TEST_F(AppTest, ReloadChangeRemoveReAddKeepsQueuedData) {
  remote_.Script({ReplyWith(503)});
  WriteConfig(Replication("rep-1"));
  auto app = StartApp();
  ASSERT_NE(app, nullptr);
  ASSERT_EQ(Write(*app, "m v=1 1\nm v=2 2\nm v=3 3\n"), 204);
  ASSERT_TRUE(Eventually([&] { return Pending(*app) == 3; }));
  EXPECT_TRUE(Eventually([&] { return app->Replications()[0].consecutive_failures > 0; }));

  // Changed settings: the queue and its data stay.
  Reload(*app, Replication("rep-1", ", batch: {maxPoints: 2}"));
  EXPECT_EQ(Pending(*app), 3u);

  // Removed: no longer runs, its queue directory stays as an orphan.
  Reload(*app, "");
  EXPECT_TRUE(app->Replications().empty());
  EXPECT_TRUE(std::filesystem::exists(dir_.Join("data/queues/rep-1")));
  ASSERT_EQ(Write(*app, "m v=4 4\n"), 204);  // not replicated now

  // Re-added: the queued points are still there and drain once the remote accepts.
  Reload(*app, Replication("rep-1"));
  EXPECT_EQ(Pending(*app), 3u);
  remote_.Script({ReplyWith(204)});
  app->RetryNow("rep-1");
  ASSERT_TRUE(Eventually([&] { return Pending(*app) == 0; }));
  auto lines = remote_.accepted_lines();
  EXPECT_EQ(lines, (std::vector<std::string>{"m v=1 1", "m v=2 2", "m v=3 3"}));
  app->Shutdown();
}

TEST_F(AppTest, RestartDrainsWhatWasQueued) {
  remote_.Script({ReplyWith(503)});
  WriteConfig(Replication("rep-1"));
  {
    auto app = StartApp();
    ASSERT_NE(app, nullptr);
    ASSERT_EQ(Write(*app, "m v=1 1\nm v=2 2\n"), 204);
    app->Shutdown();
  }
  EXPECT_TRUE(remote_.accepted_lines().empty());
  remote_.Script({ReplyWith(204)});
  auto app = StartApp();
  ASSERT_NE(app, nullptr);
  ASSERT_TRUE(Eventually([&] { return remote_.accepted_lines().size() == 2; }));
  EXPECT_TRUE(Eventually([&] { return Pending(*app) == 0; }));
}

TEST_F(AppTest, SelectorsFollowPodLabels) {
  WriteFileOrDie(dir_.Join("labels"), "app=\"edge\"\nzone=\"a\"\n");
  std::string text = "podLabelsFile: \"" + dir_.Join("labels") + "\"\n";
  WriteConfig(Replication("edge-only", ", selector: {matchLabels: {app: edge}}") +
              Replication("core-only", ", selector: {matchLabels: {app: core}}") +
              Replication("everyone"));
  // podLabelsFile is a top-level field: prepend it.
  std::string config = text + edgerepl::testing::ReadFileOrDie(dir_.Join("agent.yaml"));
  WriteFileOrDie(dir_.Join("agent.yaml"), config);
  auto app = StartApp();
  ASSERT_NE(app, nullptr);
  std::vector<std::string> ids;
  for (const auto& r : app->Replications()) ids.push_back(r.id);
  EXPECT_EQ(ids, (std::vector<std::string>{"edge-only", "everyone"}));
}

TEST_F(AppTest, ChangedPodLabelsReselectWithoutReload) {
  WriteFileOrDie(dir_.Join("labels"), "app=\"edge\"\n");
  WriteConfig(Replication("edge-only", ", selector: {matchLabels: {app: edge}}") +
              Replication("core-only", ", selector: {matchLabels: {app: core}}"));
  std::string config = "podLabelsFile: \"" + dir_.Join("labels") + "\"\n" +
                       edgerepl::testing::ReadFileOrDie(dir_.Join("agent.yaml"));
  WriteFileOrDie(dir_.Join("agent.yaml"), config);
  AppOptions options;
  options.config_path = dir_.Join("agent.yaml");
  options.maintenance_interval = std::chrono::seconds(1);
  auto started = App::Start(options);
  ASSERT_TRUE(started.ok()) << started.status().ToString();
  auto& app = *started;
  auto ids = [&] {
    std::vector<std::string> out;
    for (const auto& r : app->Replications()) out.push_back(r.id);
    return out;
  };
  EXPECT_EQ(ids(), std::vector<std::string>{"edge-only"});
  WriteFileOrDie(dir_.Join("labels"), "app=\"core\"\n");
  EXPECT_TRUE(Eventually([&] { return ids() == std::vector<std::string>{"core-only"}; }));
}

TEST_F(AppTest, ReadyOnlyWhileLocalAnswersPing) {
  WriteConfig(Replication("rep-1"));
  auto app = StartApp();
  ASSERT_NE(app, nullptr);
  EXPECT_TRUE(app->Ready().ok()) << app->Ready().ToString();
  local_.Script({ReplyWith(500)});
  EXPECT_FALSE(app->Ready().ok());
  EXPECT_NE(app->Ready().message().find("500"), std::string::npos);
}

TEST_F(AppTest, InvalidConfigRefusesToStart) {
  WriteFileOrDie(dir_.Join("agent.yaml"), Top() + "replications:\n  - {id: x}\n");
  AppOptions options;
  options.config_path = dir_.Join("agent.yaml");
  auto app = App::Start(options);
  ASSERT_FALSE(app.ok());
  EXPECT_NE(app.status().message().find("replications[0]"), std::string::npos)
      << app.status().message();
}

// An empty or comment-only file, or one without a replication, would run the agent on every
// interface accepting writes that are replicated nowhere: refused, naming what is missing, unless
// the agent is a sidecar waiting for the operator's config (--waiting-admin-listen).
TEST_F(AppTest, HalfConfiguredFileRefusesToStartUnlessAllowed) {
  AppOptions options;
  options.config_path = dir_.Join("agent.yaml");
  for (const std::string& text : {std::string(""), std::string("# nothing yet\n")}) {
    WriteFileOrDie(options.config_path, text);
    auto app = App::Start(options);
    ASSERT_FALSE(app.ok()) << "started with \"" << text << "\"";
    EXPECT_NE(app.status().message().find("no `local` section and no replication"),
              std::string::npos)
        << app.status().message();
    EXPECT_NE(app.status().message().find("--waiting-admin-listen"), std::string::npos);
  }
  WriteFileOrDie(options.config_path, Top());
  auto no_replication = App::Start(options);
  ASSERT_FALSE(no_replication.ok());
  EXPECT_NE(no_replication.status().message().find("has no replication"), std::string::npos)
      << no_replication.status().message();
  options.allow_unconfigured = true;
  WriteFileOrDie(options.config_path, Top());
  auto allowed = App::Start(options);
  ASSERT_TRUE(allowed.ok()) << allowed.status().ToString();
  EXPECT_GT((*allowed)->write_port(), 0);
}

// In Kubernetes the config is an optional Secret the operator renders later: until the file
// exists the agent answers /healthz, is not ready, and opens no write port; then it starts
// without a restart.
TEST_F(AppTest, MissingConfigIsWaitedForThenLoaded) {
  AppOptions options;
  options.config_path = dir_.Join("agent.yaml");
  options.waiting_admin_listen = "127.0.0.1:0";
  auto started = App::Start(options);
  ASSERT_TRUE(started.ok()) << started.status().ToString();
  App& app = **started;
  ASSERT_GT(app.admin_port(), 0);
  EXPECT_EQ(app.write_port(), 0);
  std::string body;
  EXPECT_EQ(edgerepl::testing::HttpRequest(app.admin_port(), "GET", "/healthz", {}, ""), 200);
  EXPECT_EQ(edgerepl::testing::HttpRequest(app.admin_port(), "GET", "/readyz", {}, "", &body), 503);
  EXPECT_NE(body.find("config not loaded"), std::string::npos) << body;
  EXPECT_TRUE(app.Replications().empty());

  // A broken first version keeps it waiting; the fixed one starts it.
  WriteFileOrDie(dir_.Join("agent.yaml"), Top() + "replications:\n  - {id: x}\n");
  std::this_thread::sleep_for(std::chrono::milliseconds(600));
  EXPECT_EQ(app.write_port(), 0);
  WriteConfig(Replication("rep-1"));
  ASSERT_TRUE(Eventually([&] { return app.write_port() > 0; }));
  EXPECT_TRUE(Eventually([&] {
    return edgerepl::testing::HttpRequest(app.admin_port(), "GET", "/readyz", {}, "") == 200;
  }));
  ASSERT_EQ(app.Replications().size(), 1u);
  EXPECT_EQ(Write(app, "m v=1 1\n"), 204);
  EXPECT_TRUE(Eventually([&] { return Pending(app) == 0 && !remote_.accepted_lines().empty(); }));

  // Later changes are ordinary reloads.
  Reload(app, Replication("rep-1") + Replication("rep-2"));
  EXPECT_EQ(app.Replications().size(), 2u);
}

TEST_F(AppTest, MissingConfigMovesAdminPortToTheConfiguredOne) {
  AppOptions options;
  options.config_path = dir_.Join("agent.yaml");
  options.waiting_admin_listen = "127.0.0.1:0";
  auto started = App::Start(options);
  ASSERT_TRUE(started.ok()) << started.status().ToString();
  App& app = **started;
  int waiting_port = app.admin_port();
  int configured = edgerepl::testing::PickFreePort();
  std::string top = Top();
  top.replace(top.find("adminListen: \"127.0.0.1:0\""), 26,
              "adminListen: \"127.0.0.1:" + std::to_string(configured) + "\"");
  WriteFileOrDie(dir_.Join("agent.yaml"), top + "replications:\n" + Replication("rep-1"));
  ASSERT_TRUE(Eventually([&] { return app.admin_port() == configured; }));
  EXPECT_EQ(edgerepl::testing::HttpRequest(configured, "GET", "/healthz", {}, ""), 200);
  EXPECT_EQ(edgerepl::testing::HttpRequest(waiting_port, "GET", "/healthz", {}, ""), 0);
}

}  // namespace
}  // namespace edgerepl::app
