#include "tests/support/servers.h"
#include "common/codec/percent.h"

#include <signal.h>

#include <chrono>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace edgerepl::testing {

std::string UrlEncode(const std::string& s) {
  return codec::PercentEncode(s);
}

bool Influxd::Available() {
  return FindExecutable("influxd").has_value();
}

Influxd::Influxd(InfluxdOptions options)
    : options_(options), http_port_(PickFreePort()), rpc_port_(PickFreePort()) {
  std::ostringstream conf;
  conf << "reporting-disabled = true\n"
       << "bind-address = \"127.0.0.1:" << rpc_port_ << "\"\n"
       << "[meta]\n  dir = \"" << dir_.Join("meta") << "\"\n"
       << "[data]\n  dir = \"" << dir_.Join("data") << "\"\n  wal-dir = \"" << dir_.Join("wal")
       << "\"\n  query-log-enabled = false\n  wal-fsync-delay = \"0s\"\n"
       << "[monitor]\n  store-enabled = false\n"
       << "[http]\n  enabled = true\n  bind-address = \"127.0.0.1:" << http_port_ << "\"\n"
       << "  auth-enabled = " << (options_.auth_enabled ? "true" : "false") << "\n"
       << "  log-enabled = false\n  max-body-size = " << options_.max_body_size_bytes << "\n"
       << "  flux-enabled = false\n"
       << "[continuous_queries]\n  enabled = false\n"
       << "[subscriber]\n  enabled = false\n";
  WriteFileOrDie(dir_.Join("influxdb.conf"), conf.str());
}

Influxd::~Influxd() {
  Kill();
}

void Influxd::Start() {
  if (process_ && process_->Running()) return;
  process_ = std::make_unique<ChildProcess>(
      std::vector<std::string>{*FindExecutable("influxd"), "-config", dir_.Join("influxdb.conf")},
      dir_.Join("influxd.log"));
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::chrono::steady_clock::now() < deadline) {
    if (HttpGetStatus(http_port_, "/ping") == 204) return;
    if (!process_->Running()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  throw std::runtime_error("influxd did not start; see " + dir_.Join("influxd.log") + ":\n" +
                           ReadFileOrDie(dir_.Join("influxd.log")));
}

void Influxd::Stop() {
  if (process_) process_->Stop();
}

void Influxd::Kill() {
  if (process_ && process_->Running()) {
    process_->Signal(SIGKILL);
    process_->Wait(std::chrono::seconds(10));
  }
}

std::string Influxd::Query(const std::string& q, const std::string& db,
                           const std::string& auth_header) {
  std::string body = "q=" + UrlEncode(q);
  if (!db.empty()) body += "&db=" + UrlEncode(db);
  std::map<std::string, std::string> headers{{"Content-Type", "application/x-www-form-urlencoded"}};
  if (!auth_header.empty()) headers["Authorization"] = auth_header;
  std::string out;
  int code = HttpRequest(http_port_, "POST", "/query", headers, body, &out);
  return code == 200 ? out : std::string();
}

void Influxd::CreateDatabase(const std::string& db) {
  if (Query("CREATE DATABASE \"" + db + "\"").empty()) {
    throw std::runtime_error("CREATE DATABASE " + db + " failed");
  }
}

void Influxd::CreateAdmin(const std::string& user, const std::string& password) {
  Query("CREATE USER \"" + user + "\" WITH PASSWORD '" + password + "' WITH ALL PRIVILEGES");
}

long long Influxd::CountPoints(const std::string& db, const std::string& measurement,
                               const std::string& field, const std::string& auth_header) {
  std::string out =
      Query("SELECT count(\"" + field + "\") FROM \"" + measurement + "\"", db, auth_header);
  if (out.empty()) return -1;
  // {"results":[{"statement_id":0,"series":[{"name":"m","columns":["time","count"],
  //   "values":[["1970-01-01T00:00:00Z",123]]}]}]}
  auto pos = out.find("\"values\":[[");
  if (pos == std::string::npos) return out.find("\"series\"") == std::string::npos ? 0 : -1;
  pos = out.find(',', pos);
  if (pos == std::string::npos) return -1;
  return std::atoll(out.c_str() + pos + 1);
}

int Influxd::Write(const std::string& db, const std::string& body, const std::string& precision,
                   std::string* response, const std::string& auth_header) {
  std::map<std::string, std::string> headers;
  if (!auth_header.empty()) headers["Authorization"] = auth_header;
  return HttpRequest(http_port_, "POST", "/write?db=" + UrlEncode(db) + "&precision=" + precision,
                     headers, body, response);
}

bool VictoriaMetrics::Available() {
  return FindExecutable("victoria-metrics").has_value();
}

VictoriaMetrics::VictoriaMetrics() : port_(PickFreePort()) {}

VictoriaMetrics::~VictoriaMetrics() {
  if (process_) process_->Stop();
}

void VictoriaMetrics::Start() {
  if (process_ && process_->Running()) return;
  process_ = std::make_unique<ChildProcess>(
      std::vector<std::string>{
          *FindExecutable("victoria-metrics"), "-storageDataPath=" + dir_.Join("data"),
          "-httpListenAddr=127.0.0.1:" + std::to_string(port_), "-retentionPeriod=100y",
          "-search.disableCache", "-loggerLevel=WARN"},
      dir_.Join("vm.log"));
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::chrono::steady_clock::now() < deadline) {
    if (HttpGetStatus(port_, "/health") == 200) return;
    if (!process_->Running()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  throw std::runtime_error("victoria-metrics did not start; see " + dir_.Join("vm.log"));
}

void VictoriaMetrics::Stop() {
  if (process_) process_->Stop();
}

void VictoriaMetrics::Flush() {
  HttpGetStatus(port_, "/internal/force_flush");
}

std::string VictoriaMetrics::Query(const std::string& q, long long time_s) {
  std::string out;
  int code = HttpGetStatus(
      port_, "/api/v1/query?query=" + UrlEncode(q) + "&time=" + std::to_string(time_s), &out);
  return code == 200 ? out : std::string();
}

long long VictoriaMetrics::CountSamples(const std::string& selector, long long start_s,
                                        long long end_s) {
  Flush();
  std::string out;
  int code = HttpGetStatus(port_,
                           "/api/v1/export?match[]=" + UrlEncode(selector) + "&start=" +
                               std::to_string(start_s) + "&end=" + std::to_string(end_s),
                           &out);
  if (code != 200) return -1;
  // One JSON line per series: {"metric":{...},"values":[...],"timestamps":[t1,t2,...]}
  long long total = 0;
  std::istringstream lines(out);
  std::string line;
  while (std::getline(lines, line)) {
    auto pos = line.find("\"timestamps\":[");
    if (pos == std::string::npos) continue;
    auto end = line.find(']', pos);
    std::string ts = line.substr(pos + 14, end - pos - 14);
    if (ts.empty()) continue;
    total += 1;
    for (char c : ts) total += (c == ',');
  }
  return total;
}

}  // namespace edgerepl::testing
