// Asks each Remote's server whether it would take the agents' writes (issue 19.3, like InfluxDB's
// /validate): the URL answers, the credentials are accepted, the buckets the Remote's
// Replications name exist. The reconciler registers what to probe (Observe) and shows the last
// answer in the Remote's Ready condition; a loop of the runtime calls ProbeDue. Probes never
// change the agents' config: a Remote that is down still gets its Replications, which queue.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/config/config.h"
#include "common/http/client.h"

namespace edgerepl::op {

struct ProbeBucket {
  std::string name;         // v2: bucket name or ID; v1: "db" or "db/rp"
  bool id = false;          // remoteBucketID rather than remoteBucket
  std::string replication;  // the first Replication naming it, for the message
  bool operator==(const ProbeBucket&) const = default;
};

struct ProbeTarget {
  // As rendered for the agents (credentials in memory only); ca_file, cert_file and key_file are
  // names of `files`.
  config::RemoteConfig remote;
  std::map<std::string, std::string> files;  // file name → PEM
  std::vector<ProbeBucket> buckets;
  bool operator==(const ProbeTarget&) const = default;
};

struct ProbeResult {
  bool ok = false;
  std::string reason;   // kReachable, kUnreachable, kUnauthorized, kBucketNotFound
  std::string message;  // with the remote's own words, redacted
  bool operator==(const ProbeResult&) const = default;
};

// One probe through `client` (base URL = the remote's URL). v2: per bucket an empty-bodied
// POST /api/v2/write?org=&bucket= (InfluxDB checks the token, then the bucket, before the body),
// or GET /ping when no Replication names a bucket. v1: GET /ping, then SHOW DATABASES through
// /query with the credentials, and each bucket's database must be listed.
ProbeResult ProbeRemote(http::HttpClient& client, const ProbeTarget& target);

struct ProberOptions {
  std::chrono::milliseconds healthy_interval{std::chrono::minutes(1)};
  std::chrono::milliseconds min_backoff{std::chrono::seconds(5)};
  std::chrono::milliseconds max_backoff{std::chrono::minutes(5)};
  // Where the CA and client certificate files are written for the HTTP client; empty: a private
  // directory under $TMPDIR, removed with the prober.
  std::string tls_dir;
};

class RemoteProber {
 public:
  using Factory = std::function<Result<http::HttpClientPtr>(const http::HttpClientOptions&)>;
  // `changed(ns)` runs after a probe whose result differs from the one before.
  RemoteProber(Factory factory, const Clock& clock, ProberOptions options,
               std::function<void(const std::string& ns)> changed);
  ~RemoteProber();

  // Registers (or updates) what to probe for Remote ns/name. A new or changed target is due at
  // once; the answer returned is the last one for exactly this target, nullopt before it.
  std::optional<ProbeResult> Observe(const std::string& ns, const std::string& name,
                                     const ProbeTarget& target);
  // Forgets the Remotes of `ns` not in `names`.
  void Retain(const std::string& ns, const std::set<std::string>& names);
  // Probes every due target one after the other; returns how many. Thread-safe with the above.
  int ProbeDue();
  // Targets registered (for tests).
  size_t size() const;

 private:
  struct Entry {
    ProbeTarget target;
    std::optional<ProbeResult> result;
    std::chrono::steady_clock::time_point due;
    int failures = 0;
    uint64_t generation = 0;
  };
  using Key = std::pair<std::string, std::string>;
  Result<http::HttpClientPtr> ClientFor(const Key& key, const ProbeTarget& target);

  Factory factory_;
  const Clock& clock_;
  ProberOptions options_;
  std::function<void(const std::string&)> changed_;
  bool own_tls_dir_ = false;
  mutable std::mutex mu_;
  std::map<Key, Entry> entries_;
  uint64_t next_generation_ = 1;
};

}  // namespace edgerepl::op
