#include "common/log/log.h"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include "common/codec/json_string.h"
#include "common/codec/rfc3339.h"

namespace edgerepl::log {
namespace {

// Each sink formats with its own clone and under its own lock, so the scratch buffer is not
// shared; reusing it keeps a line free of allocation once it has grown to the longest message.
class JsonFormatter : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    const auto level = spdlog::level::to_string_view(msg.level);
    scratch_.assign("{\"time\":\"");
    scratch_ += codec::FormatRfc3339(msg.time, codec::Fraction::kMicros);
    scratch_ += "\",\"level\":";
    codec::AppendJsonString(std::string_view(level.data(), level.size()), scratch_);
    scratch_ += ",\"logger\":";
    codec::AppendJsonString(std::string_view(msg.logger_name.data(), msg.logger_name.size()),
                            scratch_);
    scratch_ += ",\"msg\":";
    codec::AppendJsonString(std::string_view(msg.payload.data(), msg.payload.size()), scratch_);
    scratch_ += "}\n";
    dest.append(scratch_.data(), scratch_.data() + scratch_.size());
  }
  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<JsonFormatter>();
  }

 private:
  std::string scratch_;
};

}  // namespace

std::optional<spdlog::level::level_enum> ParseLevel(std::string_view text) {
  if (text == "trace") return spdlog::level::trace;
  if (text == "debug") return spdlog::level::debug;
  if (text == "info") return spdlog::level::info;
  if (text == "warn" || text == "warning") return spdlog::level::warn;
  if (text == "error") return spdlog::level::err;
  if (text == "critical") return spdlog::level::critical;
  if (text == "off") return spdlog::level::off;
  return std::nullopt;
}

std::optional<Format> ParseFormat(std::string_view text) {
  if (text == "text") return Format::kText;
  if (text == "json") return Format::kJson;
  return std::nullopt;
}

std::unique_ptr<spdlog::formatter> MakeFormatter(Format format) {
  if (format == Format::kJson) return std::make_unique<JsonFormatter>();
  return std::make_unique<spdlog::pattern_formatter>("%Y-%m-%dT%H:%M:%S.%fZ %l [%n] %v",
                                                     spdlog::pattern_time_type::utc);
}

RedactingSink::RedactingSink(spdlog::sink_ptr inner, const SecretRegistry& secrets)
    : inner_(std::move(inner)), secrets_(secrets) {}

void RedactingSink::log(const spdlog::details::log_msg& msg) {
  std::string redacted = secrets_.Redact(std::string_view(msg.payload.data(), msg.payload.size()));
  spdlog::details::log_msg copy = msg;
  copy.payload = spdlog::string_view_t(redacted.data(), redacted.size());
  inner_->log(copy);
}

void RedactingSink::flush() {
  inner_->flush();
}

void RedactingSink::set_pattern(const std::string& pattern) {
  inner_->set_pattern(pattern);
}

void RedactingSink::set_formatter(std::unique_ptr<spdlog::formatter> formatter) {
  inner_->set_formatter(std::move(formatter));
}

std::shared_ptr<spdlog::logger> MakeLogger(const LogOptions& options, spdlog::sink_ptr sink,
                                           const SecretRegistry* secrets) {
  if (!sink) sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
  auto redacting =
      std::make_shared<RedactingSink>(std::move(sink), secrets ? *secrets : GlobalSecrets());
  redacting->set_formatter(MakeFormatter(options.format));
  auto logger = std::make_shared<spdlog::logger>(options.name, redacting);
  logger->set_level(options.level);
  logger->flush_on(spdlog::level::warn);
  return logger;
}

std::shared_ptr<spdlog::logger> InstallLogging(const LogOptions& options, spdlog::sink_ptr sink) {
  auto logger = MakeLogger(options, std::move(sink), nullptr);
  spdlog::set_default_logger(logger);
  return logger;
}

}  // namespace edgerepl::log
