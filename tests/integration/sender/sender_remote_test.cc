// The sender thread drains 100k points of mixed types to real remotes: VictoriaMetrics over
// /api/v2/write, and InfluxDB 1.x as a `protocol: v1` remote. Each point is checked by querying
// the remote: present once, with its value and timestamp.
#include <gtest/gtest.h>

#include <algorithm>
#include <charconv>
#include <map>
#include <sstream>

#include "agent/sender/sender.h"
#include "common/http/client_beast.h"
#include "common/http/client_cpprest.h"
#include "tests/support/process.h"
#include "tests/support/servers.h"
#include "tests/unit/sender/test_doubles.h"

namespace edgerepl::sender {
namespace {

using std::chrono::milliseconds;

constexpr int kSeries = 100;
constexpr int kPerSeries = 1000;  // 100k points
// A millisecond grid one hour back: VictoriaMetrics stores milliseconds.
const int64_t kBaseNs =
    (RealClock::Instance().WallNowNanos() / 1'000'000'000 - 3600) * 1'000'000'000;

int64_t Ts(int j) {
  return kBaseNs + int64_t{j} * 1'000'000;
}
double F(int k, int j) {
  return k * kPerSeries + j + 0.25;
}
int64_t I(int k, int j) {
  return int64_t{k} * kPerSeries + j - 50000;
}
bool B(int j) {
  return j % 3 == 0;
}
std::string S(int k, int j) {
  return "s" + std::to_string(k) + "_" + std::to_string(j);
}

std::string Shortest(double v) {
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof(buf), v);
  return std::string(buf, r.ptr);
}

// Appends the points in records of 500 lines, series interleaved like a real scrape.
void Fill(testing::MemorySource& source) {
  std::string record;
  int lines = 0;
  for (int j = 0; j < kPerSeries; ++j) {
    for (int k = 0; k < kSeries; ++k) {
      record += "mix,host=h" + std::to_string(k) + " f=" + Shortest(F(k, j)) +
                ",i=" + std::to_string(I(k, j)) + "i,b=" + (B(j) ? "true" : "false") + ",s=\"" +
                S(k, j) + "\" " + std::to_string(Ts(j)) + "\n";
      if (++lines == 500) {
        source.Append(std::move(record), RealClock::Instance().WallNowNanos());
        record.clear();
        lines = 0;
      }
    }
  }
}

// Runs the sender thread until every record is acknowledged (or 50 s pass).
void Drain(SenderOptions options, const std::string& url, testing::MemorySource& source,
           prometheus::Registry& registry, const std::string& client_kind = "cpprest") {
  http::HttpClientOptions o;
  o.base_url = url;
  auto client = client_kind == "beast" ? http::MakeBeastHttpClient(o).value()
                                       : http::MakeCpprestHttpClient(o).value();
  SenderMetrics metrics(registry, options.replication_name);
  RealRandom random;
  Sender sender(options, *client, source, RealClock::Instance(), random, metrics);
  sender.Start();
  sender.NotifyAppended();
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(50);
  while (source.acked() < source.last_position() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(milliseconds(20));
  }
  sender.Stop();
  ASSERT_EQ(source.acked(), source.last_position()) << sender.Snapshot().latest_error_message;
  EXPECT_EQ(sender.Snapshot().consecutive_failures, 0u);
}

// Splits a JSON array body "a,b,c" (numbers only) into its items.
std::vector<std::string> Items(const std::string& line, const std::string& key) {
  std::vector<std::string> out;
  size_t at = line.find("\"" + key + "\":[");
  if (at == std::string::npos) return out;
  at += key.size() + 4;
  size_t end = line.find(']', at);
  std::stringstream ss(line.substr(at, end - at));
  for (std::string item; std::getline(ss, item, ',');) out.push_back(item);
  return out;
}

// Drains the mixed backlog to a fresh VictoriaMetrics with `max_in_flight` requests in flight and
// checks, by exporting every series, that each point arrived exactly once with its value and time.
void CheckVictoriaMetricsGetsEveryPointOnce(int max_in_flight,
                                            const std::string& client_kind = "cpprest") {
  edgerepl::testing::VictoriaMetrics vm;
  vm.Start();
  testing::MemorySource source;
  Fill(source);
  prometheus::Registry registry;
  SenderOptions o;
  o.replication_name = "vm";
  o.org_id = "org";
  o.bucket = "edge";
  o.max_in_flight = max_in_flight;
  Drain(o, vm.url(), source, registry, client_kind);
  vm.Flush();
  // VictoriaMetrics names series <measurement>_<field>, stores booleans as 0/1, drops strings.
  for (const std::string field : {"f", "i", "b"}) {
    SCOPED_TRACE(field);
    std::string out;
    long long start = kBaseNs / 1'000'000'000 - 1, end = Ts(kPerSeries) / 1'000'000'000 + 1;
    ASSERT_EQ(edgerepl::testing::HttpGetStatus(
                  vm.port(),
                  "/api/v1/export?match[]=" + edgerepl::testing::UrlEncode("mix_" + field) +
                      "&start=" + std::to_string(start) + "&end=" + std::to_string(end),
                  &out),
              200);
    std::istringstream lines(out);
    int series = 0;
    for (std::string line; std::getline(lines, line);) {
      size_t h = line.find("\"host\":\"h");
      ASSERT_NE(h, std::string::npos);
      int k = std::stoi(line.substr(h + 9));
      auto values = Items(line, "values");
      auto stamps = Items(line, "timestamps");
      ASSERT_EQ(stamps.size(), size_t{kPerSeries}) << "host h" << k;
      ASSERT_EQ(values.size(), stamps.size());
      std::vector<std::pair<int64_t, std::string>> got;
      for (size_t n = 0; n < stamps.size(); ++n) got.emplace_back(std::stoll(stamps[n]), values[n]);
      std::sort(got.begin(), got.end());
      for (int j = 0; j < kPerSeries; ++j) {
        ASSERT_EQ(got[j].first, Ts(j) / 1'000'000);
        std::string want = field == "f"   ? Shortest(F(k, j))
                           : field == "i" ? std::to_string(I(k, j))
                                          : (B(j) ? "1" : "0");
        ASSERT_EQ(std::stod(got[j].second), std::stod(want)) << "h" << k << " j=" << j;
      }
      ++series;
    }
    EXPECT_EQ(series, kSeries);
  }
}

TEST(SenderRemoteTest, VictoriaMetricsGetsEveryPointOnce) {
  if (!edgerepl::testing::VictoriaMetrics::Available()) GTEST_SKIP() << "victoria-metrics missing";
  CheckVictoriaMetricsGetsEveryPointOnce(1);
}

// The sliding window of requests in flight still delivers every point once and in order.
TEST(SenderRemoteTest, VictoriaMetricsGetsEveryPointOnceWithFourInFlight) {
  if (!edgerepl::testing::VictoriaMetrics::Available()) GTEST_SKIP() << "victoria-metrics missing";
  CheckVictoriaMetricsGetsEveryPointOnce(4);
}

// The same over the Beast client, which the drain benchmark compares with cpprestsdk.
TEST(SenderRemoteTest, VictoriaMetricsGetsEveryPointOnceOverBeast) {
  if (!edgerepl::testing::VictoriaMetrics::Available()) GTEST_SKIP() << "victoria-metrics missing";
  CheckVictoriaMetricsGetsEveryPointOnce(4, "beast");
}

TEST(SenderRemoteTest, InfluxV1RemoteKeepsExactTypes) {
  if (!edgerepl::testing::Influxd::Available()) GTEST_SKIP() << "influxd missing";
  edgerepl::testing::Influxd influxd;
  influxd.Start();
  influxd.CreateDatabase("edge");
  testing::MemorySource source;
  Fill(source);
  prometheus::Registry registry;
  SenderOptions o;
  o.replication_name = "v1";
  o.protocol = Protocol::kV1;
  o.bucket = "edge/autogen";
  Drain(o, influxd.url(), source, registry);
  for (int k = 0; k < kSeries; ++k) {
    std::string out;
    std::string body = "db=edge&epoch=ns&q=" +
                       edgerepl::testing::UrlEncode("SELECT f,i,b,s FROM mix WHERE host='h" +
                                                    std::to_string(k) + "'");
    ASSERT_EQ(edgerepl::testing::HttpRequest(
                  influxd.port(), "POST", "/query",
                  {{"Content-Type", "application/x-www-form-urlencoded"}}, body, &out),
              200);
    size_t at = out.find("\"values\":[[");
    ASSERT_NE(at, std::string::npos) << out.substr(0, 300);
    at += 11;
    for (int j = 0; j < kPerSeries; ++j) {
      std::string want = std::to_string(Ts(j)) + "," + Shortest(F(k, j)) + "," +
                         std::to_string(I(k, j)) + "," + (B(j) ? "true" : "false") + ",\"" +
                         S(k, j) + "\"";
      ASSERT_EQ(out.compare(at, want.size(), want), 0)
          << "h" << k << " j=" << j << " got " << out.substr(at, want.size());
      at += want.size();
      ASSERT_EQ(out.compare(at, 3, j + 1 < kPerSeries ? "],[" : "]]}"), 0);
      at += 3;
    }
  }
}

}  // namespace
}  // namespace edgerepl::sender
