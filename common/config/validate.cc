#include "common/config/validate.h"

#include <cctype>
#include <map>

#include "common/config/duration.h"
#include "common/config/field_path.h"
#include "common/config/timestamp.h"

namespace edgerepl::config {
namespace {

using std::chrono::milliseconds;

// A decimal port, 0 to 65535 (leading zeros allowed, as strtoul would).
bool ParsePort(const std::string& s) {
  if (s.empty()) return false;
  uint32_t port = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    port = port * 10 + static_cast<uint32_t>(c - '0');
    if (port > 65535) return false;
  }
  return true;
}

// Accepts http(s)://host[:port][/path]; no user info (credentials belong in token), no query.
// Messages never echo the URL, which could hold credentials.
std::string CheckUrl(const std::string& url) {
  size_t sep = url.find("://");
  if (sep == std::string::npos) return "must be an http or https URL";
  std::string scheme = url.substr(0, sep);
  for (char& c : scheme) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (scheme != "http" && scheme != "https") return "scheme must be http or https";
  std::string rest = url.substr(sep + 3);
  if (rest.find_first_of("?#") != std::string::npos) {
    return "must not have a query or fragment";
  }
  std::string authority = rest.substr(0, rest.find('/'));
  if (authority.find('@') != std::string::npos) {
    return "must not hold credentials (use token or tokenFile)";
  }
  std::string host = authority;
  if (!host.empty() && host[0] == '[') {
    size_t close = host.find(']');
    if (close == std::string::npos) return "unterminated IPv6 address";
    std::string after = host.substr(close + 1);
    host = host.substr(0, close + 1);
    if (!after.empty()) {
      if (after[0] != ':') return "invalid host";
      if (!ParsePort(after.substr(1))) return "invalid port";
    }
  } else if (size_t colon = host.rfind(':'); colon != std::string::npos) {
    if (!ParsePort(host.substr(colon + 1))) return "invalid port";
    host = host.substr(0, colon);
  }
  if (host.empty() || host == "[]") return "missing host";
  if (host.find_first_of(" \t\r\n") != std::string::npos) return "invalid host";
  return "";
}

// host:port with a numeric port (0 = any free port, for tests); host may be empty or [v6].
std::string CheckListen(const std::string& addr) {
  size_t colon = addr.rfind(':');
  if (colon == std::string::npos) return "expected host:port, got " + Quoted(addr);
  if (!ParsePort(addr.substr(colon + 1))) {
    return "expected host:port with a port from 0 to 65535, got " + Quoted(addr);
  }
  return "";
}

bool ValidId(const std::string& id) {
  if (id.empty() || id.size() > kMaxReplicationIdBytes || id == "." || id == "..") return false;
  for (char c : id) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-')) {
      return false;
    }
  }
  return true;
}

class Rules {
 public:
  explicit Rules(const std::set<std::string>& unread) : unread_(unread) {}

  std::vector<std::string> Run(const Config& c) {
    if (Readable("listen")) {
      if (auto e = CheckListen(c.listen); !e.empty()) Add("listen", e);
    }
    if (Readable("adminListen")) {
      if (auto e = CheckListen(c.admin_listen); !e.empty()) Add("adminListen", e);
    }
    CheckLocal(c.local);
    if (Readable("dataDir") && c.data_dir.empty()) Add("dataDir", "must not be empty");
    AtLeast("syncInterval", c.sync_interval, milliseconds(1));
    AtLeast("maxBodyBytes", c.max_body_bytes, 1);
    AtLeast("maxBodyMemoryBytes", c.max_body_memory_bytes, 1 << 20);
    AtLeast("orphanGracePeriod", c.orphan_grace_period, milliseconds(0));
    if (Readable("instanceID") && c.instance_id.find_first_of("\r\n") != std::string::npos) {
      Add("instanceID", "must not contain a line break");
    }
    for (size_t i = 0; i < c.remotes.size(); ++i) {
      std::string path = IndexPath("remotes", i);
      if (Readable(path)) CheckRemote(c.remotes[i], path);
    }
    for (size_t i = 0; i < c.replications.size(); ++i) {
      std::string path = IndexPath("replications", i);
      if (Readable(path)) CheckReplication(c.replications[i], path);
    }
    CrossCheck(c);
    return std::move(errors_);
  }

 private:
  // Whether `path` was read: neither it nor an object holding it is in unread_.
  bool Readable(const std::string& path) const {
    for (const std::string& u : unread_) {
      if (path.compare(0, u.size(), u) != 0) continue;
      if (path.size() == u.size() || path[u.size()] == '.' || path[u.size()] == '[') return false;
    }
    return true;
  }

  void Add(const std::string& path, const std::string& message) {
    errors_.push_back(path.empty() ? message : path + ": " + message);
  }

  void Required(const std::string& path, const std::string& value) {
    if (value.empty() && Readable(path)) Add(path, "required");
  }

  void AtLeast(const std::string& path, uint64_t v, uint64_t min) {
    if (v < min && Readable(path)) {
      Add(path, "must be at least " + std::to_string(min) + ", got " + std::to_string(v));
    }
  }

  void InRange(const std::string& path, uint64_t v, uint64_t min, uint64_t max) {
    if (!Readable(path)) return;
    if (v < min) {
      Add(path, "must be at least " + std::to_string(min) + ", got " + std::to_string(v));
    } else if (v > max) {
      Add(path, "must be at most " + std::to_string(max) + ", got " + std::to_string(v));
    }
  }

  void AtLeast(const std::string& path, milliseconds d, milliseconds min) {
    if (d < min && Readable(path)) {
      Add(path, "must be at least " + FormatDuration(min) + ", got " + FormatDuration(d));
    }
  }

  // A tokenFile or passwordFile whose content (what `secret` holds) is empty.
  void SecretFileNotEmpty(const std::string& path, const std::string& file,
                          const std::string& secret) {
    if (!file.empty() && secret.empty() && Readable(path)) Add(path, Quoted(file) + " is empty");
  }

  void CheckLocal(const LocalConfig& local) {
    if (Readable("local.url")) {
      if (auto e = CheckUrl(local.url); !e.empty()) Add("local.url", e);
    }
    AtLeast("local.timeout", local.timeout, milliseconds(1));
    SecretFileNotEmpty("local.tokenFile", local.token_file, local.token);
  }

  void CheckRemote(const RemoteConfig& remote, const std::string& path) {
    Required(JoinPath(path, "name"), remote.name);
    Required(JoinPath(path, "url"), remote.url);
    if (!remote.url.empty() && Readable(JoinPath(path, "url"))) {
      if (auto e = CheckUrl(remote.url); !e.empty()) Add(JoinPath(path, "url"), e);
    }
    AtLeast(JoinPath(path, "timeout"), remote.timeout, milliseconds(1));
    if (remote.protocol == Protocol::kV2 && remote.org_id.empty() &&
        Readable(JoinPath(path, "orgID"))) {
      Add(JoinPath(path, "orgID"), "required for protocol v2");
    }
    if (remote.cert_file.empty() != remote.key_file.empty()) {
      Add(path, "set both certFile and keyFile, or neither");
    }
    SecretFileNotEmpty(JoinPath(path, "tokenFile"), remote.token_file, remote.token);
    CheckUserCredentials(remote, path);
  }

  // username with password or passwordFile: InfluxDB 1.x's own users, so v1 only, and never
  // beside a token (which of the two would be sent would be a guess).
  void CheckUserCredentials(const RemoteConfig& remote, const std::string& path) {
    SecretFileNotEmpty(JoinPath(path, "passwordFile"), remote.password_file, remote.password);
    bool has_password = !remote.password.empty() || !remote.password_file.empty();
    bool has_user = !remote.username.empty() || has_password;
    if (!has_user) {
      if (remote.credentials_in == CredentialsIn::kQuery) {
        Add(JoinPath(path, "credentialsIn"), "only with username and password");
      }
      return;
    }
    if (remote.username.empty()) {
      Add(JoinPath(path, "username"), "required with password or passwordFile");
    } else if (!has_password) {
      Add(JoinPath(path, "password"), "required with username (or passwordFile)");
    }
    if (remote.protocol != Protocol::kV1) {
      Add(JoinPath(path, "username"), "only with protocol v1 (v2 remotes take a token)");
    }
    if (!remote.token.empty() || !remote.token_file.empty()) {
      Add(path, "set either token/tokenFile or username and password, not both");
    }
  }

  void CheckReplication(const ReplicationConfig& rep, const std::string& path) {
    Required(JoinPath(path, "id"), rep.id);
    if (!rep.id.empty() && !ValidId(rep.id) && Readable(JoinPath(path, "id"))) {
      Add(JoinPath(path, "id"),
          "must be 1 to " + std::to_string(kMaxReplicationIdBytes) +
              " characters of A-Z a-z 0-9 . _ - (it names the queue directory), "
              "got " +
              Quoted(rep.id));
    }
    Required(JoinPath(path, "name"), rep.name);
    Required(JoinPath(path, "remote"), rep.remote);
    Required(JoinPath(path, "localBucket"), rep.local_bucket);
    if (Readable(JoinPath(path, "remoteBucket")) && Readable(JoinPath(path, "remoteBucketID"))) {
      if (!rep.remote_bucket.empty() && !rep.remote_bucket_id.empty()) {
        Add(path, "set only one of remoteBucket and remoteBucketID");
      } else if (rep.remote_bucket.empty() && rep.remote_bucket_id.empty()) {
        Add(JoinPath(path, "remoteBucket"), "required (or remoteBucketID)");
      }
    }
    AtLeast(JoinPath(path, "maxQueueSizeBytes"), rep.max_queue_size_bytes, kMinMaxQueueSizeBytes);
    InRange(JoinPath(path, "maxAgeSeconds"), rep.max_age_seconds, 0, UINT64_MAX / 1000000000);
    std::string mpath = JoinPath(path, "measurements");
    for (size_t i = 0; i < rep.measurements.size(); ++i) {
      if (rep.measurements[i].empty() && Readable(IndexPath(mpath, i))) {
        Add(IndexPath(mpath, i), "expected a non-empty string, got \"\"");
      }
    }
    CheckSelector(rep.selector, JoinPath(path, "selector"));
    InRange(JoinPath(path, "maxInFlight"), rep.max_in_flight, 1, kMaxMaxInFlight);
    InRange(JoinPath(path, "batch.maxBytes"), rep.batch.max_bytes, 1, kMaxBatchMaxBytes);
    InRange(JoinPath(path, "batch.maxPoints"), rep.batch.max_points, 1, kMaxBatchMaxPoints);
    std::string bpath = JoinPath(path, "backoff");
    AtLeast(JoinPath(bpath, "min"), rep.backoff.min, milliseconds(1));
    AtLeast(JoinPath(bpath, "max"), rep.backoff.max, milliseconds(1));
    if (rep.backoff.max < rep.backoff.min && Readable(JoinPath(bpath, "min")) &&
        Readable(JoinPath(bpath, "max"))) {
      Add(JoinPath(bpath, "max"), "must be at least backoff.min (" +
                                      FormatDuration(rep.backoff.min) + "), got " +
                                      FormatDuration(rep.backoff.max));
    }
    if (rep.backfill) CheckBackfill(*rep.backfill, JoinPath(path, "backfill"));
  }

  void CheckBackfill(const BackfillConfig& b, const std::string& path) {
    if (b.to_ns <= b.from_ns && Readable(JoinPath(path, "from")) &&
        Readable(JoinPath(path, "to"))) {
      Add(JoinPath(path, "to"), "must be after from (" + FormatTimestamp(b.from_ns) + "), got " +
                                    FormatTimestamp(b.to_ns));
    }
    InRange(JoinPath(path, "maxPointsPerSecond"), b.max_points_per_second, 1,
            kMaxBackfillMaxPointsPerSecond);
  }

  void CheckSelector(const LabelSelector& sel, const std::string& path) {
    std::string mpath = JoinPath(path, "matchExpressions");
    for (size_t i = 0; i < sel.match_expressions.size(); ++i) {
      std::string epath = IndexPath(mpath, i);
      if (!Readable(epath)) continue;
      const SelectorRequirement& req = sel.match_expressions[i];
      Required(JoinPath(epath, "key"), req.key);
      if (!Readable(JoinPath(epath, "operator"))) continue;
      bool needs_values = req.op == SelectorOperator::kIn || req.op == SelectorOperator::kNotIn;
      if (needs_values && req.values.empty()) {
        Add(JoinPath(epath, "values"),
            "required for operator " + std::string(SelectorOperatorName(req.op)));
      } else if (!needs_values && !req.values.empty()) {
        Add(JoinPath(epath, "values"),
            "must be empty for operator " + std::string(SelectorOperatorName(req.op)));
      }
    }
  }

  void CrossCheck(const Config& c) {
    std::map<std::string, size_t> remote_names;
    for (size_t i = 0; i < c.remotes.size(); ++i) {
      const std::string& name = c.remotes[i].name;
      if (name.empty()) continue;
      auto [it, inserted] = remote_names.emplace(name, i);
      if (!inserted) {
        Add(IndexPath("remotes", i) + ".name", "duplicate remote name " + Quoted(name) +
                                                   " (also remotes[" + std::to_string(it->second) +
                                                   "])");
      }
    }
    std::map<std::string, size_t> ids, names;
    for (size_t i = 0; i < c.replications.size(); ++i) {
      const ReplicationConfig& rep = c.replications[i];
      std::string path = IndexPath("replications", i);
      if (!rep.id.empty()) {
        auto [it, inserted] = ids.emplace(rep.id, i);
        if (!inserted) {
          Add(path + ".id", "duplicate id " + Quoted(rep.id) + " (also replications[" +
                                std::to_string(it->second) + "])");
        }
      }
      if (!rep.name.empty()) {
        auto [it, inserted] = names.emplace(rep.name, i);
        if (!inserted) {
          Add(path + ".name", "duplicate name " + Quoted(rep.name) + " (also replications[" +
                                  std::to_string(it->second) + "])");
        }
      }
      if (rep.remote.empty() || !Readable(path + ".remote")) continue;
      const RemoteConfig* remote = c.FindRemote(rep.remote);
      if (remote == nullptr) {
        Add(path + ".remote", "unknown remote " + Quoted(rep.remote));
      } else if (remote->protocol == Protocol::kV1 && !rep.remote_bucket_id.empty()) {
        Add(path + ".remoteBucketID",
            "not supported by a v1 remote (use remoteBucket: db or db/rp)");
      }
    }
  }

  const std::set<std::string>& unread_;
  std::vector<std::string> errors_;
};

}  // namespace

std::vector<std::string> Validate(const Config& config) {
  return Validate(config, {});
}

std::vector<std::string> Validate(const Config& config, const std::set<std::string>& unread) {
  return Rules(unread).Run(config);
}

}  // namespace edgerepl::config
