#include "tests/reliability/agent_runner.h"

#include <csignal>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "common/config/render.h"
#include "tests/reliability/http_post.h"
#include "tests/support/temp_dir.h"

namespace edgerepl::reliability {

std::optional<std::string> FindAgentBinary() {
  if (const char* env = std::getenv("EDGEREPL_AGENT_BIN"); env != nullptr && *env != '\0') {
    return testing::FindExecutable(env);
  }
  std::string bin;
  if (const char* env = std::getenv("EDGEREPL_BINARY_DIR"); env != nullptr && *env != '\0') {
    bin = env;
  } else {
    // This test binary lives in <build>/tests/reliability/.
    std::error_code ec;
    std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", ec);
    if (ec) return std::nullopt;
    bin = self.parent_path().parent_path().parent_path().string();
  }
  for (const char* sub : {"/agent/app/", "/agent/"}) {
    std::string path = bin + sub + "edgerepl-agent";
    std::error_code ec;
    if (std::filesystem::is_regular_file(path, ec)) return testing::FindExecutable(path);
  }
  return std::nullopt;
}

AgentRunner::AgentRunner(std::string binary, config::Config config, const std::string& work_dir)
    : binary_(std::move(binary)),
      config_(std::move(config)),
      log_path_(work_dir + "/agent.log"),
      config_path_(work_dir + "/agent.yaml"),
      write_port_(testing::PickFreePort()),
      admin_port_(testing::PickFreePort()) {
  config_.listen = "127.0.0.1:" + std::to_string(write_port_);
  config_.admin_listen = "127.0.0.1:" + std::to_string(admin_port_);
}

AgentRunner::~AgentRunner() {
  if (process_) process_->Stop(std::chrono::seconds(5));
}

void AgentRunner::SetConfig(config::Config config) {
  config.listen = config_.listen;
  config.admin_listen = config_.admin_listen;
  config_ = std::move(config);
  testing::WriteFileOrDie(config_path_, config::Render(config_));
}

void AgentRunner::Start() {
  testing::WriteFileOrDie(config_path_, config::Render(config_));
  {
    // The moment of the start in the log itself, so a slow start can be taken apart from the
    // agent's own timestamps.
    std::ofstream log(log_path_, std::ios::app);
    auto now = std::chrono::system_clock::now();
    std::time_t t = std::chrono::system_clock::to_time_t(now);
    char stamp[32];
    std::strftime(stamp, sizeof stamp, "%FT%T", std::gmtime(&t));
    const long long us =
        std::chrono::duration_cast<std::chrono::microseconds>(now.time_since_epoch()).count() %
        1000000;
    char frac[8];
    std::snprintf(frac, sizeof frac, "%06lld", us);
    log << stamp << "." << frac << "Z (test) starting " << binary_ << "\n";
  }
  process_ = std::make_unique<testing::ChildProcess>(
      std::vector<std::string>{binary_, "--config", config_path_}, log_path_);
}

bool AgentRunner::WaitReady(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (!Running()) return false;
    HttpResult r = HttpCall(admin_port_, "GET", "/readyz", "", std::chrono::seconds(2));
    if (r.status == 200) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

bool AgentRunner::Running() {
  return process_ && process_->Running();
}

pid_t AgentRunner::pid() const {
  return process_ ? process_->pid() : -1;
}

void AgentRunner::Kill9() {
  if (!process_) return;
  process_->Signal(SIGKILL);
  process_->Wait(std::chrono::seconds(10));
}

void AgentRunner::Stop() {
  if (process_) process_->Stop(std::chrono::seconds(10));
}

std::vector<PromSample> AgentRunner::Metrics() {
  HttpResult r = HttpCall(admin_port_, "GET", "/metrics", "", std::chrono::seconds(5));
  if (r.status != 200) return {};
  return ParsePromText(r.body);
}

std::string AgentRunner::AdminGet(const std::string& path, int* status) {
  HttpResult r = HttpCall(admin_port_, "GET", path, "", std::chrono::seconds(5));
  if (status != nullptr) *status = r.status;
  return r.body;
}

long AgentRunner::RssKiB(const std::string& field) const {
  if (!process_) return 0;
  std::ifstream in("/proc/" + std::to_string(process_->pid()) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(field + ":", 0) == 0) return std::atol(line.c_str() + field.size() + 1);
  }
  return 0;
}

}  // namespace edgerepl::reliability
