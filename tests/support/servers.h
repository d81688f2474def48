// Real servers for integration tests, each on free loopback ports with a throwaway data dir:
// InfluxDB 1.x (Debian `influxdb`) and VictoriaMetrics (Debian `victoria-metrics`). A test calls
// Available() first and skips with a visible message when the binary is missing.
#pragma once

#include <memory>
#include <string>

#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

namespace edgerepl::testing {

struct InfluxdOptions {
  bool auth_enabled = false;
  // Larger than influxd's default 25 MB so big test bodies are not refused locally.
  int max_body_size_bytes = 256 << 20;
};

class Influxd {
 public:
  static bool Available();
  explicit Influxd(InfluxdOptions options = {});
  ~Influxd();

  // Starts (or restarts, keeping the data) and waits for /ping.
  void Start();
  void Stop();
  void Kill();
  int port() const { return http_port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(http_port_); }

  // Runs an InfluxQL statement through /query; returns the raw JSON answer (empty on failure).
  std::string Query(const std::string& q, const std::string& db = "",
                    const std::string& auth_header = "");
  void CreateDatabase(const std::string& db);
  // Creates an admin user (only meaningful with auth_enabled).
  void CreateAdmin(const std::string& user, const std::string& password);
  // count(*) style helper: number of points in measurement `m` of `db` (summing field `field`'s
  // count). Returns -1 on failure.
  long long CountPoints(const std::string& db, const std::string& measurement,
                        const std::string& field, const std::string& auth_header = "");
  // POST /write?db=...; returns the HTTP status (0 on transport failure).
  int Write(const std::string& db, const std::string& body, const std::string& precision = "n",
            std::string* response = nullptr, const std::string& auth_header = "");

 private:
  InfluxdOptions options_;
  TempDir dir_;
  int http_port_;
  int rpc_port_;
  std::unique_ptr<ChildProcess> process_;
};

class VictoriaMetrics {
 public:
  static bool Available();
  VictoriaMetrics();
  ~VictoriaMetrics();

  void Start();
  void Stop();
  int port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  // Makes recent writes searchable at once (VictoriaMetrics buffers for about a second).
  void Flush();
  // Runs a MetricsQL instant query at time `time_s` (unix seconds); returns the raw JSON.
  std::string Query(const std::string& q, long long time_s);
  // Counts the samples of series matching `selector` between [start_s, end_s] (unix seconds),
  // through /api/v1/export. Returns -1 on failure.
  long long CountSamples(const std::string& selector, long long start_s, long long end_s);

 private:
  TempDir dir_;
  int port_;
  std::unique_ptr<ChildProcess> process_;
};

// URL-encodes a query parameter value.
std::string UrlEncode(const std::string& s);

}  // namespace edgerepl::testing
