#include "agent/frontdoor/v2_to_v1.h"

#include <spdlog/spdlog.h>

#include <cctype>

#include "agent/frontdoor/local_info.h"
#include "agent/lineprotocol/error_json.h"
#include "common/codec/base64.h"
#include "common/codec/percent.h"

namespace edgerepl::frontdoor {
namespace {

bool StartsWithIgnoreCase(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(s[i])) !=
        std::tolower(static_cast<unsigned char>(prefix[i])))
      return false;
  }
  return true;
}

// 2.x's error code for an HTTP status (influxdb's kit/platform/errors codes).
std::string_view CodeFor(int status) {
  switch (status) {
    case 400:
      return "invalid";
    case 401:
      return "unauthorized";
    case 403:
      return "forbidden";
    case 404:
      return "not found";
    case 413:
      return "request too large";
    case 422:
      return "unprocessable entity";
    case 429:
      return "too many requests";
    case 503:
      return "unavailable";
    default:
      return "internal error";
  }
}

// The "error" string of a 1.x error body; the body itself when it is not one.
std::string V1Message(const std::string& body) {
  constexpr std::string_view kKey = "\"error\":\"";
  size_t at = body.find(kKey);
  if (at == std::string::npos) {
    std::string out = body;
    while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
    return out;
  }
  std::string out;
  for (size_t i = at + kKey.size(); i < body.size(); ++i) {
    char c = body[i];
    if (c == '"') break;
    if (c == '\\' && i + 1 < body.size()) {
      char e = body[++i];
      out.push_back(e == 'n' ? '\n' : e == 't' ? '\t' : e);
      continue;
    }
    out.push_back(c);
  }
  return out;
}

}  // namespace

std::string V1Authorization(const std::string& authorization) {
  constexpr std::string_view kToken = "Token ";
  if (authorization.size() > kToken.size() && StartsWithIgnoreCase(authorization, kToken) &&
      authorization.find(':') != std::string::npos) {
    return "Basic " + codec::Base64Encode(std::string_view(authorization).substr(kToken.size()));
  }
  return authorization;
}

DbRp SplitBucket(std::string_view bucket) {
  size_t slash = bucket.find('/');
  if (slash == std::string_view::npos) return {std::string(bucket), ""};
  return {std::string(bucket.substr(0, slash)), std::string(bucket.substr(slash + 1))};
}

bool IsMissingV2Endpoint(const http::HttpResponse& answer) {
  return answer.status == 404 && answer.body.rfind("404 page not found", 0) == 0;
}

http::HttpRequest ToV1Write(const http::HttpRequest& v2, std::string_view bucket) {
  DbRp dbrp = SplitBucket(bucket);
  http::HttpRequest out;
  out.method = "POST";
  out.target = "/write?db=" + codec::PercentEncode(dbrp.db);
  if (!dbrp.rp.empty()) out.target += "&rp=" + codec::PercentEncode(dbrp.rp);
  for (const auto& [k, v] : v2.headers) {
    bool auth = k.size() == 13 && StartsWithIgnoreCase(k, "authorization");
    out.headers.emplace_back(k, auth ? V1Authorization(v) : v);
  }
  out.body = v2.body;
  return out;
}

Result<http::HttpResponse> SendLocalWrite(http::HttpClient& local, LocalInfo* info, Api api,
                                          std::string_view bucket, http::HttpRequest* request,
                                          bool* translated) {
  *translated = false;
  const bool v2 = api == Api::kV2 && info != nullptr;
  if (v2 && info->translate_v2()) {
    *request = ToV1Write(*request, bucket);
    *translated = true;
  }
  auto answer = local.Send(*request);
  if (answer.ok() && v2 && !*translated && IsMissingV2Endpoint(*answer)) {
    spdlog::info("the local InfluxDB has no /api/v2/write: v2 writes are sent as v1 writes");
    info->set_translate_v2();
    *request = ToV1Write(*request, bucket);
    *translated = true;
    answer = local.Send(*request);
  }
  return answer;
}

http::HttpResponse ToV2Answer(const http::HttpResponse& v1) {
  http::HttpResponse out;
  out.status = v1.status;
  for (const auto& [k, v] : v1.headers) {
    if (StartsWithIgnoreCase(k, "content-type") || StartsWithIgnoreCase(k, "content-length"))
      continue;
    out.headers.emplace_back(k, v);
  }
  if (v1.status >= 200 && v1.status <= 299) {
    out.status = 204;
    return out;
  }
  out.headers.emplace_back("Content-Type", "application/json; charset=utf-8");
  out.body = lp::ErrorJson(CodeFor(v1.status), V1Message(v1.body));
  return out;
}

}  // namespace edgerepl::frontdoor
