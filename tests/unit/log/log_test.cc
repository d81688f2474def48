#include "common/log/log.h"

#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <sstream>

#include "common/codec/base64.h"
#include "common/codec/percent.h"

namespace edgerepl::log {
namespace {

constexpr char kToken[] = "tok-\"quoted\"\\/=+&ü-123";

class LogTest : public ::testing::TestWithParam<Format> {
 protected:
  LogTest() {
    secrets_.Add(kToken);
    secrets_.Add("admin-secret");
    LogOptions options;
    options.level = spdlog::level::trace;
    options.format = GetParam();
    options.name = "test";
    logger_ =
        MakeLogger(options, std::make_shared<spdlog::sinks::ostream_sink_mt>(out_), &secrets_);
  }
  std::ostringstream out_;
  SecretRegistry secrets_;
  std::shared_ptr<spdlog::logger> logger_;
};

TEST_P(LogTest, TokenNeverReachesTheSinkAtAnyLevel) {
  const std::string token = kToken;
  logger_->trace("trace {}", token);
  logger_->debug("debug {}", token);
  logger_->info("info Authorization: Token {}", token);
  logger_->warn("warn {}{}", token, token);
  logger_->error("error admin-secret and {} inside text", token);
  logger_->critical(std::string("critical ") + token);
  logger_->info("url-encoded token={}", "tok-%22quoted%22%5C%2F%3D%2B%26%C3%BC-123");
  logger_->flush();
  std::string out = out_.str();
  EXPECT_EQ(out.find("tok-"), std::string::npos) << out;
  EXPECT_EQ(out.find("quoted"), std::string::npos) << out;
  EXPECT_EQ(out.find("admin-secret"), std::string::npos) << out;
  // Every line was written, with the marker in place of the secret.
  for (const char* word : {"trace", "debug", "info", "warn", "error", "critical", "url-encoded"}) {
    EXPECT_NE(out.find(word), std::string::npos) << word;
  }
  size_t markers = 0;
  for (size_t pos = 0; (pos = out.find("[REDACTED]", pos)) != std::string::npos; ++pos) ++markers;
  EXPECT_EQ(markers, 9u) << out;
}

TEST_P(LogTest, RespectsLevel) {
  logger_->set_level(spdlog::level::warn);
  logger_->info("hidden");
  logger_->warn("shown");
  EXPECT_EQ(out_.str().find("hidden"), std::string::npos);
  EXPECT_NE(out_.str().find("shown"), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(Formats, LogTest, ::testing::Values(Format::kText, Format::kJson),
                         [](const ::testing::TestParamInfo<Format>& info) {
                           return info.param == Format::kText ? "Text" : "Json";
                         });

TEST(LogFormatTest, JsonLineShape) {
  std::ostringstream out;
  SecretRegistry secrets;
  LogOptions options;
  options.format = Format::kJson;
  options.name = "agent";
  auto logger =
      MakeLogger(options, std::make_shared<spdlog::sinks::ostream_sink_mt>(out), &secrets);
  logger->info("say \"hi\"\n\tnext\x01");
  std::string line = out.str();
  ASSERT_FALSE(line.empty());
  EXPECT_EQ(line.back(), '\n');
  EXPECT_EQ(line.rfind("{\"time\":\"", 0), 0u) << line;
  EXPECT_NE(line.find("Z\",\"level\":\"info\",\"logger\":\"agent\","
                      "\"msg\":\"say \\\"hi\\\"\\n\\tnext\\u0001\"}\n"),
            std::string::npos)
      << line;
}

TEST(LogFormatTest, TextLineShape) {
  std::ostringstream out;
  SecretRegistry secrets;
  LogOptions options;
  options.name = "agent";
  auto logger =
      MakeLogger(options, std::make_shared<spdlog::sinks::ostream_sink_mt>(out), &secrets);
  logger->warn("hello");
  std::string line = out.str();
  EXPECT_NE(line.find("Z warning [agent] hello"), std::string::npos) << line;
}

TEST(LogFormatTest, InstallLoggingSetsTheDefaultLoggerWithGlobalSecrets) {
  std::ostringstream out;
  GlobalSecrets().Add("global-secret-xyz");
  LogOptions options;
  InstallLogging(options, std::make_shared<spdlog::sinks::ostream_sink_mt>(out));
  spdlog::info("token global-secret-xyz here");
  spdlog::default_logger()->flush();
  EXPECT_EQ(out.str().find("global-secret-xyz"), std::string::npos) << out.str();
  EXPECT_NE(out.str().find("token [REDACTED] here"), std::string::npos) << out.str();
  spdlog::set_default_logger(MakeLogger(options));
}

TEST(ParseTest, LevelsAndFormats) {
  EXPECT_EQ(ParseLevel("debug"), spdlog::level::debug);
  EXPECT_EQ(ParseLevel("warning"), spdlog::level::warn);
  EXPECT_EQ(ParseLevel("error"), spdlog::level::err);
  EXPECT_EQ(ParseLevel("loud"), std::nullopt);
  EXPECT_EQ(ParseFormat("json"), Format::kJson);
  EXPECT_EQ(ParseFormat("xml"), std::nullopt);
}

TEST(RedactTest, ReplacesEveryOccurrenceLongestFirst) {
  SecretRegistry s;
  EXPECT_EQ(s.Redact("nothing"), "nothing");
  s.Add("abc");
  s.Add("abcdef");
  s.Add("");
  EXPECT_EQ(s.Redact("x abcdef y abc zabcabc"), "x [REDACTED] y [REDACTED] z[REDACTED][REDACTED]");
}

// A remote or proxy echoes the token back in whatever form it saw it: every one is redacted, and
// nothing of the token is left to read.
TEST(RedactTest, EveryEncodingOfASecretIsRedacted) {
  const std::string token = "edgerepl/SECRET&<tok>+9f3b==";
  SecretRegistry s;
  s.Add(token);
  s.Add("reader:p4ssw0rd-for-v1");  // an InfluxDB 1.x remote's user:password
  const std::vector<std::string> texts = {
      "raw " + token,
      "percent " + codec::PercentEncode(token),
      "lower %2fsecret edgerepl%2fSECRET%26%3ctok%3e%2b9f3b%3d%3d",
      R"(go json "edgerepl\/SECRET\u0026\u003ctok\u003e+9f3b==")",
      R"(go json "edgerepl/SECRET\u0026\u003ctok\u003e+9f3b==")",
  };
  for (const std::string& text : texts) {
    EXPECT_EQ(s.Redact(text).find("SECRET"), std::string::npos) << text << " -> " << s.Redact(text);
  }
  // Inside a Basic header, at each of the three alignments a prefix gives it.
  for (const char* user : {"", "u:", "us:", "use:"}) {
    for (const std::string& secret : {token, std::string("p4ssw0rd-for-v1")}) {
      std::string b64 = codec::Base64Encode(std::string(user) + secret);
      std::string text = "Authorization: Basic " + b64;
      std::string out = s.Redact(text);
      EXPECT_NE(out.find("[REDACTED]"), std::string::npos) << text;
      // What is left of the encoding is at most the few characters mixing in the neighbours.
      EXPECT_LT(out.size() - std::string("Authorization: Basic [REDACTED]").size(), 12u) << out;
    }
  }
  EXPECT_EQ(s.Redact("password p4ssw0rd-for-v1"), "password [REDACTED]");
}

}  // namespace
}  // namespace edgerepl::log
