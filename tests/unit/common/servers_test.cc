// The launchers the integration tests rely on must start real servers and talk to them.
#include "tests/support/servers.h"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

namespace edgerepl::testing {
namespace {

TEST(ServersTest, InfluxdStartsWritesAndCounts) {
  if (!Influxd::Available()) GTEST_SKIP() << "influxd not installed (apt-get install influxdb)";
  Influxd influxd;
  influxd.Start();
  influxd.CreateDatabase("t");
  EXPECT_EQ(influxd.Write("t", "m,h=a v=1i 1\nm,h=b v=2i 2\n"), 204);
  EXPECT_EQ(influxd.CountPoints("t", "m", "v"), 2);
  std::string err;
  EXPECT_EQ(influxd.Write("t", "m v=\n", "n", &err), 400);
  EXPECT_NE(err.find("error"), std::string::npos);
}

TEST(ServersTest, VictoriaMetricsAcceptsLineProtocol) {
  if (!VictoriaMetrics::Available()) GTEST_SKIP() << "victoria-metrics not installed";
  VictoriaMetrics vm;
  vm.Start();
  long long now_s = std::chrono::duration_cast<std::chrono::seconds>(
                        std::chrono::system_clock::now().time_since_epoch())
                        .count();
  std::string body = "cpu,host=a usage=1.5 " + std::to_string(now_s) + "000000000\n";
  EXPECT_EQ(HttpRequest(vm.port(), "POST", "/api/v2/write?bucket=b&precision=ns", {}, body), 204);
  long long n = -1;
  for (int i = 0; i < 50 && n != 1; ++i) {
    n = vm.CountSamples("{__name__=\"cpu_usage\"}", now_s - 60, now_s + 60);
    if (n != 1) std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  EXPECT_EQ(n, 1);
}

}  // namespace
}  // namespace edgerepl::testing
