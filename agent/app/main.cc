// edgerepl-agent: flags, logging and signals; everything else is App.
//
// Signals are blocked in every thread and taken synchronously here with sigwait, so the reload
// and shutdown paths run as ordinary code, not in a signal handler.
#include <malloc.h>
#include <signal.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

#include <spdlog/spdlog.h>

#include "agent/app/app.h"
#include "common/config/duration.h"
#include "common/log/log.h"

namespace {

constexpr std::string_view kUsage =
    "usage: edgerepl-agent --config <file> [--log-level trace|debug|info|warn|error]\n"
    "                      [--log-format text|json] [--waiting-admin-listen host:port]\n"
    "                      [--shutdown-grace <duration>] [--instance-id <id>] [--version]\n"
    "\n"
    "Runs beside an InfluxDB: writes sent to the agent's listen port go to the local InfluxDB and\n"
    "are replicated to the remotes of the config file. SIGHUP reloads the file; SIGTERM stops.\n"
    "A config file that does not exist yet is waited for: until it appears only /healthz and\n"
    "/readyz (503) answer, on --waiting-admin-listen (default :9186).\n"
    "A config without `local` or without a replication is refused, unless\n"
    "--waiting-admin-listen is given (a sidecar waiting for the operator's config).\n"
    "--shutdown-grace (default 30s) bounds how long SIGTERM waits for writes in flight.\n"
    "--instance-id (default $EDGEREPL_INSTANCE_ID) replaces the file's instanceID: one value per\n"
    "pod while a namespace's agents share one config file.\n";

// `given`, when set, records that the flag was passed.
bool TakeValue(int argc, char** argv, int* i, std::string_view flag, std::string* out,
               bool* given = nullptr) {
  std::string_view arg = argv[*i];
  if (arg == flag) {
    if (*i + 1 >= argc) return false;
    *out = argv[++*i];
    if (given != nullptr) *given = true;
    return true;
  }
  if (arg.size() > flag.size() + 1 && arg.substr(0, flag.size()) == flag &&
      arg[flag.size()] == '=') {
    *out = std::string(arg.substr(flag.size() + 1));
    if (given != nullptr) *given = true;
    return true;
  }
  return false;
}

}  // namespace

int main(int argc, char** argv) {
  // glibc gives each thread that allocates its own malloc arena (up to 8 per core), and every
  // arena keeps the batch-sized buffers its threads freed: with a sender and its request threads
  // per replication plus a thread per client connection, that was ~15 MiB of RSS at 10
  // replications. Four arenas keep malloc uncontended on the cores a sidecar gets. An explicit
  // MALLOC_ARENA_MAX still wins.
  if (std::getenv("MALLOC_ARENA_MAX") == nullptr) mallopt(M_ARENA_MAX, 4);
  std::string config_path, level_text = "info", format_text = "text", grace_text;
  edgerepl::app::AppOptions options;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--version") {
      std::printf("edgerepl-agent %s\n", EDGEREPL_VERSION);
      return 0;
    }
    if (arg == "--help" || arg == "-h") {
      std::fputs(kUsage.data(), stdout);
      return 0;
    }
    if (TakeValue(argc, argv, &i, "--config", &config_path) ||
        TakeValue(argc, argv, &i, "--log-level", &level_text) ||
        TakeValue(argc, argv, &i, "--log-format", &format_text) ||
        TakeValue(argc, argv, &i, "--waiting-admin-listen", &options.waiting_admin_listen,
                  &options.allow_unconfigured) ||
        TakeValue(argc, argv, &i, "--shutdown-grace", &grace_text) ||
        TakeValue(argc, argv, &i, "--instance-id", &options.instance_id)) {
      continue;
    }
    std::fprintf(stderr, "edgerepl-agent: unknown or incomplete argument \"%s\"\n%s", argv[i],
                 kUsage.data());
    return 2;
  }
  if (options.instance_id.empty()) {
    if (const char* env = std::getenv("EDGEREPL_INSTANCE_ID")) options.instance_id = env;
  }
  if (config_path.empty()) {
    std::fprintf(stderr, "edgerepl-agent: --config is required\n%s", kUsage.data());
    return 2;
  }
  if (!grace_text.empty()) {
    auto grace = edgerepl::config::ParseDuration(grace_text);
    if (!grace) {
      std::fprintf(stderr, "edgerepl-agent: invalid --shutdown-grace \"%s\"\n%s",
                   grace_text.c_str(), kUsage.data());
      return 2;
    }
    options.shutdown_grace = *grace;
  }
  auto level = edgerepl::log::ParseLevel(level_text);
  auto format = edgerepl::log::ParseFormat(format_text);
  if (!level || !format) {
    std::fprintf(stderr, "edgerepl-agent: invalid --log-level or --log-format\n%s", kUsage.data());
    return 2;
  }
  edgerepl::log::LogOptions log_options;
  log_options.level = *level;
  log_options.format = *format;
  log_options.name = "edgerepl-agent";
  edgerepl::log::InstallLogging(log_options);

  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  options.config_path = config_path;
  auto app = edgerepl::app::App::Start(options);
  if (!app.ok()) {
    spdlog::critical("cannot start: {}", app.status().message());
    spdlog::default_logger()->flush();
    return 1;
  }
  for (;;) {
    int sig = 0;
    if (sigwait(&signals, &sig) != 0) continue;
    if (sig == SIGHUP) {
      spdlog::info("SIGHUP: reloading {}", config_path);
      (*app)->RequestReload();
      continue;
    }
    spdlog::info("{}: shutting down", sig == SIGTERM ? "SIGTERM" : "SIGINT");
    break;
  }
  (*app)->Shutdown();
  if ((*app)->handlers_left_running() > 0) {
    // Those handlers still use the App: destroying it under them would crash. The queues are
    // closed and the cursors saved, so leaving now loses nothing acknowledged.
    spdlog::default_logger()->flush();
    std::_Exit(0);
  }
  app = edgerepl::Status::Aborted("stopped");  // destroy the App before logging ends
  spdlog::default_logger()->flush();
  return 0;
}
