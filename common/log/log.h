// Logging for both binaries: spdlog with a text or JSON line format, and a redaction layer in
// front of every sink so that no registered secret (see redact.h) is ever written.
//
// Usage in main: edgerepl::log::InstallLogging(options); then spdlog::info(...) anywhere. Register
// each config's tokens with GlobalSecrets().AddAll(config::Secrets(cfg)) before logging about it.
#pragma once

#include <spdlog/formatter.h>
#include <spdlog/logger.h>
#include <spdlog/sinks/base_sink.h>

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "common/log/redact.h"

namespace edgerepl::log {

enum class Format { kText, kJson };

struct LogOptions {
  spdlog::level::level_enum level = spdlog::level::info;
  Format format = Format::kText;
  std::string name = "edgerepl";
};

// "trace", "debug", "info", "warn" (or "warning"), "error", "critical", "off".
std::optional<spdlog::level::level_enum> ParseLevel(std::string_view text);
// "text" or "json".
std::optional<Format> ParseFormat(std::string_view text);

// Text: `2026-11-24T23:29:15.123456Z info [edgerepl] message`, UTC.
// JSON: one object per line: {"time":"…Z","level":"info","logger":"edgerepl","msg":"…"}.
std::unique_ptr<spdlog::formatter> MakeFormatter(Format format);

// Wraps `inner`: each message's text is redacted before `inner` formats and writes it, so the
// JSON formatter's escaping cannot hide a secret from the redaction. `secrets` is borrowed and
// must outlive the sink.
class RedactingSink : public spdlog::sinks::sink {
 public:
  RedactingSink(spdlog::sink_ptr inner, const SecretRegistry& secrets);
  void log(const spdlog::details::log_msg& msg) override;
  void flush() override;
  void set_pattern(const std::string& pattern) override;
  void set_formatter(std::unique_ptr<spdlog::formatter> formatter) override;

 private:
  spdlog::sink_ptr inner_;
  const SecretRegistry& secrets_;
};

// A logger writing through redaction to `sink` (stderr when null) with the options' format and
// level. `secrets` is borrowed (GlobalSecrets() when null).
std::shared_ptr<spdlog::logger> MakeLogger(const LogOptions& options,
                                           spdlog::sink_ptr sink = nullptr,
                                           const SecretRegistry* secrets = nullptr);

// MakeLogger, installed as spdlog's default logger (what spdlog::info() uses).
std::shared_ptr<spdlog::logger> InstallLogging(const LogOptions& options,
                                               spdlog::sink_ptr sink = nullptr);

}  // namespace edgerepl::log
