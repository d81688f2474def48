// The accounting harness and the fault proxy, checked against a real influxd without the agent:
// a checker that cannot see a loss, or a proxy that does not inject what it is told, would make
// every scenario pass vacuously.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <thread>

#include "tests/reliability/accounting.h"
#include "tests/reliability/http_post.h"
#include "tests/reliability/load_generator.h"
#include "tests/support/fault_proxy/fault_proxy.h"
#include "tests/support/servers.h"

namespace edgerepl::reliability {
namespace {

using std::chrono::milliseconds;
using testing::FaultProxy;
using testing::FaultRule;
using testing::Influxd;

constexpr int64_t kBase = 1700000000000000000;

class HarnessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!Influxd::Available()) GTEST_SKIP() << "influxd not installed";
    influx_.Start();
    influx_.CreateDatabase("acct");
  }
  Influxd influx_;
};

TEST_F(HarnessTest, DirectLoadIsFullyAccountedAndALossIsSeen) {
  LoadOptions o;
  o.port = influx_.port();
  o.run = "direct";
  o.base_ns = kBase;
  o.writers = 3;
  o.points_per_request = 50;
  LoadGenerator load(o);
  load.Start();
  std::this_thread::sleep_for(milliseconds(1500));
  load.Stop();
  std::vector<PointFate> fates = load.Fates();
  ASSERT_GT(load.acked_points(), 500u);

  std::optional<RemoteView> view =
      ReadRemote(influx_.port(), "acct", "direct", kBase, fates.size());
  ASSERT_TRUE(view);
  AccountingReport ok = Account(fates, *view, {}, static_cast<double>(load.acked_points()));
  EXPECT_TRUE(ok.Explained()) << ok.Summary();
  EXPECT_EQ(ok.acked_missing, 0u) << ok.Summary();
  EXPECT_EQ(ok.remote_distinct, ok.acked) << ok.Summary();

  // Remove 17 acknowledged points at the remote: the checker must name them, and only a drop
  // count of at least that size explains them.
  std::string del = influx_.Query("DELETE FROM acct WHERE time >= " + std::to_string(kBase + 100) +
                                      " AND time < " + std::to_string(kBase + 117),
                                  "acct");
  ASSERT_FALSE(del.empty());
  view = ReadRemote(influx_.port(), "acct", "direct", kBase, fates.size());
  ASSERT_TRUE(view);
  AccountingReport lost = Account(fates, *view, {}, 0);
  EXPECT_EQ(lost.acked_missing, 17u) << lost.Summary();
  EXPECT_FALSE(lost.Explained());
  ASSERT_FALSE(lost.missing_examples.empty());
  EXPECT_EQ(lost.missing_examples.front(), 100u);
  EXPECT_FALSE(Account(fates, *view, {{"queue_full", 16}}, 0).Explained());
  EXPECT_TRUE(Account(fates, *view, {{"queue_full", 17}}, 0).Explained());
}

TEST_F(HarnessTest, FaultProxyInjectsEachFaultAndForwardsTheRest) {
  FaultProxy proxy(influx_.port());
  proxy.Script({FaultRule::Status(503), FaultRule::Status(429, "7"), FaultRule::Reset(),
                FaultRule::Stall(milliseconds(400)), FaultRule::LoseResponse(),
                FaultRule::Forward(milliseconds(250))});
  LoadOptions o;
  o.run = "proxy";
  o.base_ns = kBase;
  LoadGenerator bodies(o);
  const std::string target = "/write?db=acct&precision=ns";
  auto post = [&](uint64_t first) {
    return HttpCall(proxy.port(), "POST", target, bodies.Body(first, 10), milliseconds(3000));
  };
  HttpResult r503 = post(0);
  EXPECT_EQ(r503.status, 503);
  HttpResult r429 = post(10);
  EXPECT_EQ(r429.status, 429);
  EXPECT_NE(r429.headers.find("Retry-After: 7"), std::string::npos) << r429.headers;
  EXPECT_EQ(post(20).status, 0);  // reset
  HttpResult stalled = post(30);
  EXPECT_EQ(stalled.status, 0);
  EXPECT_GE(stalled.latency, milliseconds(350));
  EXPECT_EQ(post(40).status, 0);  // lost answer: the remote took it anyway
  HttpResult slow = post(50);
  EXPECT_EQ(slow.status, 204);
  EXPECT_GE(slow.latency, milliseconds(240));
  EXPECT_EQ(post(60).status, 204);  // the script is used up: forward

  std::optional<RemoteView> view = ReadRemote(influx_.port(), "acct", "proxy", kBase, 70);
  ASSERT_TRUE(view);
  for (uint64_t s = 0; s < 70; ++s) {
    bool expect_present = s >= 40;
    EXPECT_EQ(view->present[s] != 0, expect_present) << "seq " << s;
  }
  std::map<std::string, uint64_t> counts = proxy.Counts();
  EXPECT_EQ(counts["status"], 2u);
  EXPECT_EQ(counts["reset"], 1u);
  EXPECT_EQ(counts["stall"], 1u);
  EXPECT_EQ(counts["lose_response"], 1u);
  EXPECT_EQ(counts["forward"], 2u);
  EXPECT_EQ(proxy.remote_accepted(), 3u);
}

// The agent's sender keeps connections alive: the proxy must serve several requests on one
// connection, and handlers and defaults change rules while traffic flows.
TEST_F(HarnessTest, FaultProxyServesKeptAliveConnectionsAndHandlers) {
  FaultProxy proxy(influx_.port());
  proxy.SetHandler(
      [](uint64_t n) { return n % 2 == 0 ? FaultRule::Forward() : FaultRule::Status(500); });
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(proxy.port()));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  std::string body = "acct,gen=ka seq=1i " + std::to_string(kBase + 1) + "\n";
  std::string req = "POST /write?db=acct&precision=ns HTTP/1.1\r\nHost: x\r\nContent-Length: " +
                    std::to_string(body.size()) + "\r\n\r\n" + body;
  std::string all;
  for (int i = 0; i < 4; ++i) {
    ASSERT_EQ(::send(fd, req.data(), req.size(), MSG_NOSIGNAL), static_cast<ssize_t>(req.size()));
    std::string got;
    char buf[4096];
    // Each answer is complete once its headers (and the short JSON body of the 500) arrived.
    while (got.find("\r\n\r\n") == std::string::npos ||
           (got.find(" 500 ") != std::string::npos && got.back() != '}')) {
      ssize_t n = ::recv(fd, buf, sizeof buf, 0);
      ASSERT_GT(n, 0);
      got.append(buf, static_cast<size_t>(n));
    }
    all += got.substr(0, 12) + "|";
  }
  ::close(fd);
  EXPECT_EQ(all, "HTTP/1.1 204|HTTP/1.1 500|HTTP/1.1 204|HTTP/1.1 500|");
  proxy.ClearHandler();
  proxy.SetDefault(FaultRule::Status(502));
  EXPECT_EQ(HttpCall(proxy.port(), "GET", "/ping", "", milliseconds(2000)).status, 502);
  proxy.SetDefault(FaultRule::Forward());
  EXPECT_EQ(HttpCall(proxy.port(), "GET", "/ping", "", milliseconds(2000)).status, 204);
}

}  // namespace
}  // namespace edgerepl::reliability
