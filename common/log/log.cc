#include "common/log/log.h"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <ctime>

namespace edgerepl::log {
namespace {

void AppendJsonString(std::string_view s, spdlog::memory_buf_t& dest) {
  static const char kHex[] = "0123456789abcdef";
  dest.push_back('"');
  for (unsigned char c : s) {
    switch (c) {
      case '"':
        dest.append(std::string_view("\\\""));
        break;
      case '\\':
        dest.append(std::string_view("\\\\"));
        break;
      case '\n':
        dest.append(std::string_view("\\n"));
        break;
      case '\r':
        dest.append(std::string_view("\\r"));
        break;
      case '\t':
        dest.append(std::string_view("\\t"));
        break;
      default:
        if (c < 0x20) {
          const char esc[] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 15]};
          dest.append(esc, esc + sizeof(esc));
        } else {
          dest.push_back(static_cast<char>(c));
        }
    }
  }
  dest.push_back('"');
}

class JsonFormatter : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    auto since_epoch = msg.time.time_since_epoch();
    auto secs = std::chrono::duration_cast<std::chrono::seconds>(since_epoch);
    auto micros = std::chrono::duration_cast<std::chrono::microseconds>(since_epoch - secs);
    std::time_t t = static_cast<std::time_t>(secs.count());
    std::tm tm{};
    gmtime_r(&t, &tm);
    char when[64];
    size_t n = std::strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
    std::snprintf(when + n, sizeof(when) - n, ".%06lldZ", static_cast<long long>(micros.count()));
    auto level = spdlog::level::to_string_view(msg.level);
    dest.append(std::string_view("{\"time\":\""));
    dest.append(std::string_view(when));
    dest.append(std::string_view("\",\"level\":"));
    AppendJsonString(std::string_view(level.data(), level.size()), dest);
    dest.append(std::string_view(",\"logger\":"));
    AppendJsonString(std::string_view(msg.logger_name.data(), msg.logger_name.size()), dest);
    dest.append(std::string_view(",\"msg\":"));
    AppendJsonString(std::string_view(msg.payload.data(), msg.payload.size()), dest);
    dest.append(std::string_view("}\n"));
  }
  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<JsonFormatter>();
  }
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
