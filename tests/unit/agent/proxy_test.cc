#include "agent/frontdoor/proxy.h"

#include <gtest/gtest.h>

namespace edgerepl::frontdoor {
namespace {

class EchoLocal final : public http::HttpClient {
 public:
  Result<http::HttpResponse> Send(const http::HttpRequest& request) override {
    last = request;
    http::HttpResponse r;
    r.status = 200;
    r.headers = {{"Content-Type", "application/json"}, {"X-Influxdb-Version", "1.6.7"}};
    r.body = "{\"results\":[]}";
    return r;
  }
  http::HttpRequest last;
};

TEST(Proxy, PassesEverythingThroughButHopByHopHeaders) {
  EchoLocal local;
  httpserver::Request in;
  in.method = "POST";
  in.path = "/query";
  in.query = "db=x&q=SELECT%201";
  in.body = "q=show+databases";
  in.headers = {{"Authorization", "Token t"}, {"Connection", "keep-alive"},
                {"Host", "agent:8186"},       {"Content-Length", "16"},
                {"Accept-Encoding", "gzip"},  {"Expect", "100-continue"}};
  auto out = Proxy(local, in);
  EXPECT_EQ(local.last.method, "POST");
  EXPECT_EQ(local.last.target, "/query?db=x&q=SELECT%201");
  EXPECT_EQ(local.last.body, "q=show+databases");
  EXPECT_NE(http::FindHeader(local.last.headers, "authorization"), nullptr);
  EXPECT_NE(http::FindHeader(local.last.headers, "accept-encoding"), nullptr);
  EXPECT_EQ(http::FindHeader(local.last.headers, "connection"), nullptr);
  EXPECT_EQ(http::FindHeader(local.last.headers, "host"), nullptr);
  EXPECT_EQ(http::FindHeader(local.last.headers, "content-length"), nullptr);
  EXPECT_EQ(http::FindHeader(local.last.headers, "expect"), nullptr);
  EXPECT_EQ(out.status, 200);
  EXPECT_EQ(out.body, "{\"results\":[]}");
  EXPECT_NE(http::FindHeader(out.headers, "x-influxdb-version"), nullptr);
}

}  // namespace
}  // namespace edgerepl::frontdoor
