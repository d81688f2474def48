#include "agent/config/reload.h"

#include <poll.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <cerrno>
#include <optional>

#include <spdlog/spdlog.h>

#include "common/config/render.h"
#include "common/log/redact.h"

namespace edgerepl::config {
namespace {

std::atomic<ConfigReloader*> g_sighup_target{nullptr};

void OnSighup(int) {
  int saved = errno;
  if (ConfigReloader* r = g_sighup_target.load()) r->RequestReload();
  errno = saved;
}

constexpr uint32_t kWatchMask =
    IN_CLOSE_WRITE | IN_MODIFY | IN_MOVED_TO | IN_MOVED_FROM | IN_CREATE | IN_DELETE | IN_ATTRIB;

std::string DirectoryOf(const std::string& path) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

}  // namespace

ConfigReloader::ConfigReloader(ReloadOptions options, const Config& current, ApplyFn apply,
                               ReportFn report)
    : options_(std::move(options)),
      apply_(std::move(apply)),
      report_(std::move(report)),
      current_hash_(ConfigHash(current)) {
  for (const RemoteConfig& r : current.remotes) {
    if (!r.token_file.empty()) token_dirs_.push_back(DirectoryOf(TokenPath(r.token_file)));
    if (!r.password_file.empty()) token_dirs_.push_back(DirectoryOf(TokenPath(r.password_file)));
  }
  if (!current.local.token_file.empty()) {
    token_dirs_.push_back(DirectoryOf(TokenPath(current.local.token_file)));
  }
}

std::string ConfigReloader::TokenPath(const std::string& token_file) const {
  if (token_file[0] == '/') return token_file;
  std::string base =
      options_.parse.base_dir.empty() ? DirectoryOf(options_.path) : options_.parse.base_dir;
  return base + "/" + token_file;
}

ConfigReloader::~ConfigReloader() {
  ConfigReloader* self = this;
  if (g_sighup_target.compare_exchange_strong(self, nullptr)) signal(SIGHUP, SIG_DFL);
  Stop();
}

Status ConfigReloader::Start() {
  event_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (event_fd_ < 0) return Status::FromErrno(errno, "eventfd");
  inotify_fd_ = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
  if (inotify_fd_ < 0) return Status::FromErrno(errno, "inotify_init1");
  std::string dir = DirectoryOf(options_.path);
  if (inotify_add_watch(inotify_fd_, dir.c_str(), kWatchMask) < 0) {
    return Status::FromErrno(errno, "watching config directory " + dir);
  }
  for (const std::string& token_dir : token_dirs_) AddTokenWatch(token_dir);
  stop_ = false;
  thread_ = std::thread([this] { Run(); });
  return Status::Ok();
}

void ConfigReloader::Stop() {
  if (thread_.joinable()) {
    stop_ = true;
    RequestReload();  // wakes poll()
    thread_.join();
  }
  if (inotify_fd_ >= 0) close(inotify_fd_);
  if (event_fd_ >= 0) close(event_fd_);
  inotify_fd_ = event_fd_ = -1;
}

void ConfigReloader::RequestReload() {
  if (event_fd_ < 0) return;
  uint64_t one = 1;
  ssize_t n = write(event_fd_, &one, sizeof(one));
  (void)n;  // EAGAIN: the counter is saturated, a reload is already pending
}

void ConfigReloader::Run() {
  using Clock = std::chrono::steady_clock;
  std::optional<Clock::time_point> deadline;
  alignas(inotify_event) char buf[4096];
  while (!stop_) {
    int timeout_ms = -1;
    if (deadline) {
      auto left = std::chrono::ceil<std::chrono::milliseconds>(*deadline - Clock::now());
      timeout_ms = static_cast<int>(std::max<int64_t>(0, left.count()));
    }
    pollfd fds[2] = {{inotify_fd_, POLLIN, 0}, {event_fd_, POLLIN, 0}};
    int rc = poll(fds, 2, timeout_ms);
    if (rc < 0 && errno != EINTR) {
      spdlog::error("config reload: poll failed: {}", std::strerror(errno));
      return;
    }
    if (stop_) break;
    bool now = false;
    if (rc > 0 && (fds[0].revents & POLLIN)) {
      while (read(inotify_fd_, buf, sizeof(buf)) > 0) {
      }
      deadline = Clock::now() + options_.debounce;  // trailing edge: wait for quiet
    }
    if (rc > 0 && (fds[1].revents & POLLIN)) {
      uint64_t count;
      if (read(event_fd_, &count, sizeof(count)) > 0) now = true;
    }
    if (now || (deadline && Clock::now() >= *deadline)) {
      deadline.reset();
      Status st = ReloadNow();
      (void)st;  // reported and logged inside
    }
  }
}

Result<Config> ConfigReloader::LoadEffective() const {
  // An empty file parses as a valid config with no replications; on a reload it is far more
  // likely a file caught mid-rewrite, and applying it would orphan every queue.
  Result<std::string> text = ReadWholeFile(options_.path);
  if (!text.ok()) return text.status();
  if (text->find_first_not_of(" \t\r\n") == std::string::npos) {
    return Status::InvalidArgument(options_.path + " is empty; keeping the current config");
  }
  return LoadConfigFile(options_.path, options_.parse);
}

void ConfigReloader::AddTokenWatch(const std::string& dir) {
  if (inotify_fd_ < 0) return;
  // Watching a directory twice returns the same watch; a missing one only loses the fast path
  // (SIGHUP still reloads).
  if (inotify_add_watch(inotify_fd_, dir.c_str(), kWatchMask) < 0) {
    spdlog::warn("config reload: cannot watch token directory {}: {}", dir, std::strerror(errno));
  }
}

Status ConfigReloader::ReloadNow(bool* applied) {
  if (applied) *applied = false;
  std::lock_guard lock(reload_mu_);
  Result<Config> next = LoadEffective();
  if (!next.ok()) {
    failed_count_++;
    spdlog::error("config reload of {} failed, keeping the current config: {}", options_.path,
                  next.status().message());
    if (report_) report_(next.status());
    return next.status();
  }
  std::string hash = ConfigHash(*next);
  ok_count_++;
  if (hash != current_hash()) {
    // Known before anything can log about the new config.
    log::GlobalSecrets().AddAll(Secrets(*next));
    {
      std::lock_guard hash_lock(hash_mu_);
      current_hash_ = hash;
    }
    spdlog::info("config reloaded from {} (hash {})", options_.path, hash.substr(0, 12));
    for (const RemoteConfig& r : next->remotes) {
      if (!r.token_file.empty()) AddTokenWatch(DirectoryOf(TokenPath(r.token_file)));
      if (!r.password_file.empty()) AddTokenWatch(DirectoryOf(TokenPath(r.password_file)));
    }
    if (!next->local.token_file.empty()) {
      AddTokenWatch(DirectoryOf(TokenPath(next->local.token_file)));
    }
    if (apply_) apply_(*next);
    if (applied) *applied = true;
  }
  if (report_) report_(Status::Ok());
  return Status::Ok();
}

std::string ConfigReloader::current_hash() const {
  std::lock_guard lock(hash_mu_);
  return current_hash_;
}

Status RouteSighupTo(ConfigReloader* reloader) {
  g_sighup_target.store(reloader);
  struct sigaction sa {};
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  sa.sa_handler = reloader ? OnSighup : SIG_DFL;
  if (sigaction(SIGHUP, &sa, nullptr) != 0) return Status::FromErrno(errno, "sigaction(SIGHUP)");
  return Status::Ok();
}

}  // namespace edgerepl::config
