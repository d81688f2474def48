#include "agent/frontdoor/proxy.h"

#include <algorithm>
#include <cctype>

#include "agent/lineprotocol/error_json.h"

namespace edgerepl::frontdoor {
namespace {

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

bool Dropped(std::string_view name, bool drop_content_encoding) {
  static constexpr std::string_view kNames[] = {
      "connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailer",
      "trailers", "transfer-encoding", "upgrade", "host", "content-length",
      // The agent has read the whole body already; passed on, the local InfluxDB would answer
      // "100 Continue", which the HTTP client would take for the final answer.
      "expect"};
  for (std::string_view n : kNames) {
    if (EqualsIgnoreCase(n, name)) return true;
  }
  return drop_content_encoding && EqualsIgnoreCase(name, "content-encoding");
}

}  // namespace

http::Headers ForwardHeaders(const http::Headers& in, bool drop_content_encoding) {
  http::Headers out;
  out.reserve(in.size());
  for (const auto& [k, v] : in) {
    if (!Dropped(k, drop_content_encoding)) out.emplace_back(k, v);
  }
  return out;
}

std::string Target(const std::string& path, const std::string& query) {
  return query.empty() ? path : path + "?" + query;
}

httpserver::Response FromLocal(const http::HttpResponse& response) {
  httpserver::Response r;
  r.status = response.status;
  // The local connection's framing and keep-alive are not the client's.
  r.headers = ForwardHeaders(response.headers, /*drop_content_encoding=*/false);
  r.body = response.body;
  return r;
}

httpserver::Response LocalUnreachable(const Status& status) {
  httpserver::Response r;
  r.status = 502;
  r.headers.emplace_back("Content-Type", "application/json; charset=utf-8");
  // No answer at all: not reachable, or it closed the connection without one. A refusal with an
  // answer (a 413 for a body past its max-body-size) is passed through instead (FromLocal).
  r.body = lp::ErrorJson("unavailable", "local InfluxDB gave no answer: " + status.message());
  return r;
}

httpserver::Response Proxy(http::HttpClient& local, const httpserver::Request& request) {
  http::HttpRequest out;
  out.method = request.method;
  out.target = Target(request.path, request.query);
  out.headers = ForwardHeaders(request.headers, /*drop_content_encoding=*/false);
  out.body = request.body;
  auto answer = local.SendStreamed(out);
  if (!answer.ok()) return LocalUnreachable(answer.status());
  httpserver::Response r;
  r.status = answer->status;
  // The local connection's framing and keep-alive are not the client's.
  r.headers = ForwardHeaders(answer->headers, /*drop_content_encoding=*/false);
  if (answer->buffered) {
    Status st = answer->body->Next(&r.body);
    if (!st.ok()) return LocalUnreachable(st);
  } else {
    r.stream = std::move(answer->body);
  }
  return r;
}

}  // namespace edgerepl::frontdoor
