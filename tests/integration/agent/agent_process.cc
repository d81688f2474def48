#include "tests/integration/agent/agent_process.h"

#include <signal.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace edgerepl::testing {

std::string AgentBinary() {
  if (const char* bin = std::getenv("EDGEREPL_AGENT_BIN"); bin && *bin) return bin;
  if (const char* dir = std::getenv("EDGEREPL_BINARY_DIR"); dir && *dir) {
    return std::string(dir) + "/agent/app/edgerepl-agent";
  }
  // ctest may not pass EDGEREPL_BINARY_DIR (gtest_discover_tests keeps only the first ENVIRONMENT
  // entry); test and benchmark binaries sit three levels below the build directory.
  std::error_code ec;
  auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) return "edgerepl-agent";
  return (self.parent_path().parent_path().parent_path().parent_path() / "agent/app/edgerepl-agent")
      .string();
}

AgentProcess::AgentProcess(const TempDir& dir, std::string body)
    : dir_(dir.path()),
      config_path_(dir.Join("agent.yaml")),
      log_path_(dir.Join("agent.log")),
      write_port_(PickFreePort()),
      admin_port_(PickFreePort()) {
  RewriteConfig(body);
}

AgentProcess::~AgentProcess() {
  Kill();
}

std::string AgentProcess::Header() const {
  return "listen: \"127.0.0.1:" + std::to_string(write_port_) +
         "\"\nadminListen: \"127.0.0.1:" + std::to_string(admin_port_) + "\"\n";
}

void AgentProcess::RewriteConfig(const std::string& body) {
  WriteRawConfig(Header() + body);
}

void AgentProcess::WriteRawConfig(const std::string& text) {
  // Write then rename, as a config manager would, so the reloader never reads half a file.
  std::string tmp = config_path_ + ".tmp";
  WriteFileOrDie(tmp, text);
  if (std::rename(tmp.c_str(), config_path_.c_str()) != 0) {
    throw std::runtime_error("rename " + tmp);
  }
}

bool AgentProcess::Start(bool wait_ready) {
  std::vector<std::string> argv = {AgentBinary(), "--config", config_path_, "--log-level", "debug"};
  if (waiting_flag_) {
    // Where a missing config file is waited for: the test's admin port.
    argv.push_back("--waiting-admin-listen");
    argv.push_back("127.0.0.1:" + std::to_string(admin_port_));
  }
  argv.insert(argv.end(), extra_args_.begin(), extra_args_.end());
  process_ = std::make_unique<ChildProcess>(std::move(argv), log_path_, extra_env_);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (std::chrono::steady_clock::now() < deadline) {
    if (!process_->Running()) return false;
    if (HttpGetStatus(admin_port_, wait_ready ? "/readyz" : "/healthz") == 200) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

int AgentProcess::Stop(std::chrono::milliseconds grace) {
  if (!process_) return -1;
  process_->Signal(SIGTERM);
  auto status = process_->Wait(grace);
  if (!status) {
    process_->Signal(SIGKILL);
    process_->Wait(std::chrono::seconds(10));
    return -1;
  }
  return *status;
}

void AgentProcess::Kill() {
  if (process_ && process_->Running()) {
    process_->Signal(SIGKILL);
    process_->Wait(std::chrono::seconds(10));
  }
}

bool AgentProcess::Running() {
  return process_ && process_->Running();
}

void AgentProcess::Signal(int sig) {
  if (process_) process_->Signal(sig);
}

long AgentProcess::MemoryKiB(const std::string& field) const {
  if (!process_) return 0;
  std::ifstream in("/proc/" + std::to_string(process_->pid()) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(field + ":", 0) == 0) return std::atol(line.c_str() + field.size() + 1);
  }
  return 0;
}

std::string AgentProcess::Log() const {
  try {
    return ReadFileOrDie(log_path_);
  } catch (...) {
    return "";
  }
}

int AgentProcess::WriteV1(const std::string& query, const std::string& body, std::string* response,
                          const std::map<std::string, std::string>& headers) {
  return HttpRequest(write_port_, "POST", "/write?" + query, headers, body, response);
}

std::string AgentProcess::Admin(const std::string& path, int* status) {
  std::string body;
  int code = HttpGetStatus(admin_port_, path, &body);
  if (status) *status = code;
  return body;
}

bool AgentProcess::WaitDrained(std::chrono::seconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    std::string json = Replications();
    bool all_zero = !json.empty();
    size_t pos = 0;
    while ((pos = json.find("\"pendingPoints\":", pos)) != std::string::npos) {
      pos += 16;
      if (std::atoll(json.c_str() + pos) != 0) all_zero = false;
    }
    if (all_zero) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return false;
}

long long JsonInt(const std::string& json, const std::string& key) {
  std::string needle = "\"" + key + "\":";
  size_t pos = json.find(needle);
  if (pos == std::string::npos) return -1;
  return std::atoll(json.c_str() + pos + needle.size());
}

std::string JsonStr(const std::string& json, const std::string& key) {
  std::string needle = "\"" + key + "\":\"";
  size_t pos = json.find(needle);
  if (pos == std::string::npos) return "";
  pos += needle.size();
  size_t end = json.find('"', pos);
  return json.substr(pos, end - pos);
}

double MetricValue(const std::string& text, const std::string& series) {
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.size() > series.size() && line.compare(0, series.size(), series) == 0 &&
        line[series.size()] == ' ') {
      return std::strtod(line.c_str() + series.size() + 1, nullptr);
    }
  }
  return -1;
}

}  // namespace edgerepl::testing
