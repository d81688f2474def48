#include "agent/config/reload.h"

#include <signal.h>
#include <unistd.h>

#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <filesystem>
#include <mutex>
#include <thread>
#include <vector>

#include "common/config/render.h"
#include "common/log/log.h"
#include "tests/support/temp_dir.h"

namespace edgerepl::config {
namespace {

using namespace std::chrono_literals;

std::string ConfigText(const std::string& bucket) {
  return "remotes:\n  - {name: cloud, url: \"http://127.0.0.1:1\", orgID: o, token: tok-123}\n"
         "replications:\n  - {id: r1, name: r1, remote: cloud, localBucket: b, remoteBucket: " +
         bucket + "}\n";
}
const char kBroken[] =
    "replications:\n  - {id: r1, name: r1, remote: clod, localBucket: b, "
    "remoteBucket: x}\n";

// Records every callback, thread-safely.
class Recorder {
 public:
  void Apply(const Config& c) {
    std::lock_guard lock(mu_);
    applied_.push_back(c.replications.empty() ? "" : c.replications[0].remote_bucket);
  }
  void Report(const Status& s) {
    std::lock_guard lock(mu_);
    reports_.push_back(s);
  }
  std::vector<std::string> applied() {
    std::lock_guard lock(mu_);
    return applied_;
  }
  std::vector<Status> reports() {
    std::lock_guard lock(mu_);
    return reports_;
  }

 private:
  std::mutex mu_;
  std::vector<std::string> applied_;
  std::vector<Status> reports_;
};

// Polls `pred` until it holds or 5 s pass.
template <typename Pred>
bool WaitFor(Pred pred) {
  for (auto end = std::chrono::steady_clock::now() + 5s; std::chrono::steady_clock::now() < end;
       std::this_thread::sleep_for(5ms)) {
    if (pred()) return true;
  }
  return pred();
}

class ReloadTest : public ::testing::Test {
 protected:
  // A plain file in the directory.
  void StartWithPlainFile(std::chrono::milliseconds debounce = 20ms) {
    path_ = dir_.Join("agent.yaml");
    testing::WriteFileOrDie(path_, ConfigText("v1"));
    Start(debounce);
  }

  // The layout the kubelet gives a mounted Secret.
  void StartWithSecretLayout() {
    std::filesystem::create_directory(dir_.Join("..2026_01_01_00_00_00.000000001"));
    testing::WriteFileOrDie(dir_.Join("..2026_01_01_00_00_00.000000001/agent.yaml"),
                            ConfigText("v1"));
    std::filesystem::create_directory_symlink("..2026_01_01_00_00_00.000000001",
                                              dir_.Join("..data"));
    std::filesystem::create_symlink("..data/agent.yaml", dir_.Join("agent.yaml"));
    path_ = dir_.Join("agent.yaml");
    Start(20ms);
  }

  // What the kubelet's atomic writer does on a Secret update.
  void SwapSecret(const std::string& ts, const std::string& text) {
    std::string old_target = std::filesystem::read_symlink(dir_.Join("..data"));
    std::filesystem::create_directory(dir_.Join(ts));
    testing::WriteFileOrDie(dir_.Join(ts + "/agent.yaml"), text);
    std::filesystem::create_directory_symlink(ts, dir_.Join("..data_tmp"));
    std::filesystem::rename(dir_.Join("..data_tmp"), dir_.Join("..data"));
    std::filesystem::remove_all(dir_.Join(old_target));
  }

  void Start(std::chrono::milliseconds debounce) {
    Result<Config> initial = LoadConfigFile(path_);
    ASSERT_TRUE(initial.ok()) << initial.status().ToString();
    ReloadOptions options;
    options.path = path_;
    options.debounce = debounce;
    reloader_ = std::make_unique<ConfigReloader>(
        options, *initial, [this](const Config& c) { rec_.Apply(c); },
        [this](const Status& s) { rec_.Report(s); });
    ASSERT_TRUE(reloader_->Start().ok());
  }

  void AtomicReplace(const std::string& text) {
    testing::WriteFileOrDie(path_ + ".tmp", text);
    ASSERT_EQ(std::rename((path_ + ".tmp").c_str(), path_.c_str()), 0);
  }

  size_t Applied() { return rec_.applied().size(); }
  size_t Reports() { return rec_.reports().size(); }

  testing::TempDir dir_;
  std::string path_;
  Recorder rec_;
  std::unique_ptr<ConfigReloader> reloader_;
};

TEST_F(ReloadTest, RewriteInPlaceApplies) {
  StartWithPlainFile();
  testing::WriteFileOrDie(path_, ConfigText("v2"));
  ASSERT_TRUE(WaitFor([&] { return Applied() == 1; }));
  EXPECT_EQ(rec_.applied()[0], "v2");
  EXPECT_TRUE(rec_.reports().back().ok());
}

TEST_F(ReloadTest, AtomicRenameApplies) {
  StartWithPlainFile();
  AtomicReplace(ConfigText("v2"));
  ASSERT_TRUE(WaitFor([&] { return Applied() == 1; }));
  EXPECT_EQ(rec_.applied()[0], "v2");
}

TEST_F(ReloadTest, KubeletDataSymlinkSwapApplies) {
  StartWithSecretLayout();
  std::string before = reloader_->current_hash();
  SwapSecret("..2026_01_01_00_01_00.000000002", ConfigText("v2"));
  ASSERT_TRUE(WaitFor([&] { return Applied() == 1; }));
  EXPECT_EQ(rec_.applied()[0], "v2");
  EXPECT_NE(reloader_->current_hash(), before);
  SwapSecret("..2026_01_01_00_02_00.000000003", ConfigText("v3"));
  ASSERT_TRUE(WaitFor([&] { return Applied() == 2; }));
  EXPECT_EQ(rec_.applied()[1], "v3");
}

TEST_F(ReloadTest, SighupReloadsWithoutFileEvents) {
  // A debounce longer than the wait: only the signal can cause a reload in time.
  StartWithPlainFile(60s);
  ASSERT_TRUE(RouteSighupTo(reloader_.get()).ok());
  testing::WriteFileOrDie(path_, ConfigText("v2"));
  ASSERT_EQ(raise(SIGHUP), 0);
  ASSERT_TRUE(WaitFor([&] { return Applied() == 1; }));
  EXPECT_EQ(rec_.applied()[0], "v2");
  ASSERT_TRUE(RouteSighupTo(nullptr).ok());
}

TEST_F(ReloadTest, UnchangedContentReportsSuccessWithoutApplying) {
  StartWithPlainFile();
  AtomicReplace("# a comment changes the bytes, not the config\n" + ConfigText("v1"));
  ASSERT_TRUE(WaitFor([&] { return Reports() >= 1; }));
  EXPECT_TRUE(rec_.reports().back().ok());
  EXPECT_EQ(Applied(), 0u);
}

TEST_F(ReloadTest, BrokenFileKeepsOldConfigThenFixedFileApplies) {
  StartWithPlainFile();
  std::string before = reloader_->current_hash();
  AtomicReplace(kBroken);
  ASSERT_TRUE(WaitFor([&] { return Reports() >= 1; }));
  Status failure = rec_.reports().back();
  EXPECT_FALSE(failure.ok());
  EXPECT_EQ(failure.message(), "replications[0].remote: unknown remote \"clod\"");
  EXPECT_EQ(Applied(), 0u);
  EXPECT_EQ(reloader_->current_hash(), before);
  EXPECT_EQ(reloader_->failed_reloads(), 1u);

  AtomicReplace(ConfigText("v2"));
  ASSERT_TRUE(WaitFor([&] { return Applied() == 1; }));
  EXPECT_EQ(rec_.applied()[0], "v2");
  EXPECT_TRUE(rec_.reports().back().ok());
}

TEST_F(ReloadTest, DeletedFileIsAFailureNotAnEmptyConfig) {
  StartWithPlainFile();
  ASSERT_EQ(unlink(path_.c_str()), 0);
  ASSERT_TRUE(WaitFor([&] { return Reports() >= 1; }));
  EXPECT_EQ(rec_.reports().back().code(), StatusCode::kNotFound);
  EXPECT_EQ(Applied(), 0u);
}

TEST_F(ReloadTest, EmptyFileIsRefusedOnReload) {
  StartWithPlainFile();
  AtomicReplace("\n");
  ASSERT_TRUE(WaitFor([&] { return Reports() >= 1; }));
  EXPECT_EQ(rec_.reports().back().message(), path_ + " is empty; keeping the current config");
  EXPECT_EQ(Applied(), 0u);
}

TEST_F(ReloadTest, NewTokensAreRedactedAndFailuresNeverLogTokens) {
  std::ostringstream logs;
  log::InstallLogging(log::LogOptions{}, std::make_shared<spdlog::sinks::ostream_sink_mt>(logs));
  StartWithPlainFile();
  std::string with_new_token = ConfigText("v2");
  with_new_token.replace(with_new_token.find("tok-123"), 7, "tok-rotated-77");
  AtomicReplace(with_new_token);
  ASSERT_TRUE(WaitFor([&] { return Applied() == 1; }));
  EXPECT_EQ(log::GlobalSecrets().Redact("x tok-rotated-77 y"), "x [REDACTED] y");

  // An invalid file's token is never registered, so the error must not carry it at all.
  AtomicReplace(
      std::string(kBroken) +
      "remotes:\n  - {name: cloud, url: \"ftp://h\", orgID: o, token: tok-never-valid}\n");
  ASSERT_TRUE(WaitFor([&] { return reloader_->failed_reloads() == 1; }));
  spdlog::default_logger()->flush();
  EXPECT_NE(logs.str().find("keeping the current config"), std::string::npos) << logs.str();
  EXPECT_EQ(logs.str().find("tok-never-valid"), std::string::npos) << logs.str();
  EXPECT_EQ(logs.str().find("tok-rotated-77"), std::string::npos) << logs.str();
  for (const Status& s : rec_.reports()) {
    EXPECT_EQ(s.message().find("tok-"), std::string::npos) << s.message();
  }
  spdlog::set_default_logger(log::MakeLogger(log::LogOptions{}));
}

TEST_F(ReloadTest, RotatedTokenFileInAnotherDirectoryApplies) {
  testing::TempDir token_dir;
  testing::WriteFileOrDie(token_dir.Join("token"), "tok-old\n");
  path_ = dir_.Join("agent.yaml");
  testing::WriteFileOrDie(path_,
                          "remotes:\n  - {name: cloud, url: \"http://h\", orgID: o, tokenFile: " +
                              token_dir.Join("token") + "}\n");
  Config seen;
  Result<Config> initial = LoadConfigFile(path_);
  ASSERT_TRUE(initial.ok()) << initial.status().ToString();
  ReloadOptions options;
  options.path = path_;
  options.debounce = 20ms;
  std::mutex mu;
  reloader_ = std::make_unique<ConfigReloader>(
      options, *initial,
      [&](const Config& c) {
        std::lock_guard lock(mu);
        seen = c;
        rec_.Apply(c);
      },
      nullptr);
  ASSERT_TRUE(reloader_->Start().ok());
  testing::WriteFileOrDie(token_dir.Join("token.tmp"), "tok-new\n");
  ASSERT_EQ(std::rename(token_dir.Join("token.tmp").c_str(), token_dir.Join("token").c_str()), 0);
  ASSERT_TRUE(WaitFor([&] { return Applied() == 1; }));
  std::lock_guard lock(mu);
  EXPECT_EQ(seen.remotes[0].token, "tok-new");
}

TEST_F(ReloadTest, BurstOfWritesIsDebouncedIntoOneReload) {
  StartWithPlainFile(300ms);
  for (int i = 0; i < 5; ++i) {
    testing::WriteFileOrDie(path_, ConfigText("v" + std::to_string(i + 2)));
    std::this_thread::sleep_for(10ms);
  }
  ASSERT_TRUE(WaitFor([&] { return Applied() == 1; }));
  std::this_thread::sleep_for(400ms);
  EXPECT_EQ(Applied(), 1u);
  EXPECT_EQ(rec_.applied()[0], "v6");
  EXPECT_EQ(reloader_->successful_reloads(), 1u);
}

TEST_F(ReloadTest, ReloadNowIsSynchronous) {
  StartWithPlainFile(60s);
  testing::WriteFileOrDie(path_, ConfigText("v2"));
  bool applied = false;
  ASSERT_TRUE(reloader_->ReloadNow(&applied).ok());
  EXPECT_TRUE(applied);
  ASSERT_TRUE(reloader_->ReloadNow(&applied).ok());
  EXPECT_FALSE(applied);
}

}  // namespace
}  // namespace edgerepl::config
