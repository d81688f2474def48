#include "common/config/parse.h"

#include <yaml-cpp/yaml.h>

#include <cerrno>
#include <charconv>
#include <cstdint>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "common/config/duration.h"
#include "common/config/timestamp.h"

namespace edgerepl::config {
namespace {

using std::chrono::milliseconds;

std::string Quote(std::string_view s) {
  return "\"" + std::string(s) + "\"";
}

std::string Join(const std::string& path, std::string_view key) {
  return path.empty() ? std::string(key) : path + "." + std::string(key);
}

std::string Index(const std::string& path, size_t i) {
  return path + "[" + std::to_string(i) + "]";
}

std::string KindName(const YAML::Node& n) {
  switch (n.Type()) {
    case YAML::NodeType::Map:
      return "a map";
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Null:
      return "null";
    default:
      return "a scalar";
  }
}

// Describes a wrong value without echoing secrets: scalars are quoted, other kinds named.
std::string Got(const YAML::Node& n) {
  return n.IsScalar() ? "got " + Quote(n.Scalar()) : "got " + KindName(n);
}

class Errors {
 public:
  void Add(const std::string& path, const std::string& message) {
    list_.push_back(path.empty() ? message : path + ": " + message);
  }
  std::vector<std::string>& list() { return list_; }

 private:
  std::vector<std::string> list_;
};

// Reads the fields of one YAML map, remembering which keys were consumed so that Finish() can
// report the rest as unknown fields.
class MapReader {
 public:
  MapReader(const YAML::Node& node, std::string path, Errors& errors)
      : path_(std::move(path)), errors_(errors) {
    for (const auto& kv : node) {
      if (!kv.first.IsScalar()) {
        errors_.Add(path_, "field names must be strings, " + Got(kv.first));
        continue;
      }
      const std::string& key = kv.first.Scalar();
      if (!fields_.emplace(key, kv.second).second) {
        errors_.Add(Join(path_, key), "duplicate field");
      }
      order_.push_back(key);
    }
  }

  const std::string& path() const { return path_; }
  std::string PathOf(std::string_view key) const { return Join(path_, key); }

  // The value of `key`, or a null node when absent or explicitly null. Marks the key as known.
  YAML::Node Get(const std::string& key) {
    known_.insert(key);
    auto it = fields_.find(key);
    if (it == fields_.end()) return YAML::Node(YAML::NodeType::Null);
    return it->second;
  }

  bool String(const std::string& key, std::string* out) {
    YAML::Node n = Get(key);
    if (n.IsNull()) return false;
    if (!n.IsScalar()) {
      errors_.Add(PathOf(key), "expected a string, got " + KindName(n));
      return false;
    }
    *out = n.Scalar();
    return true;
  }

  void Uint(const std::string& key, uint64_t* out, uint64_t min, uint64_t max) {
    YAML::Node n = Get(key);
    if (n.IsNull()) return;
    uint64_t v = 0;
    if (!n.IsScalar() || !ParseUint(n.Scalar(), &v)) {
      errors_.Add(PathOf(key), "expected a non-negative integer, " + Got(n));
      return;
    }
    if (v < min) {
      errors_.Add(PathOf(key),
                  "must be at least " + std::to_string(min) + ", got " + std::to_string(v));
      return;
    }
    if (v > max) {
      errors_.Add(PathOf(key),
                  "must be at most " + std::to_string(max) + ", got " + std::to_string(v));
      return;
    }
    *out = v;
  }

  void Uint32(const std::string& key, uint32_t* out, uint32_t min, uint32_t max) {
    uint64_t v = *out;
    Uint(key, &v, min, max);
    *out = static_cast<uint32_t>(v);
  }

  void Bool(const std::string& key, bool* out) {
    YAML::Node n = Get(key);
    if (n.IsNull()) return;
    if (n.IsScalar()) {
      const std::string& s = n.Scalar();
      if (s == "true" || s == "True" || s == "TRUE") {
        *out = true;
        return;
      }
      if (s == "false" || s == "False" || s == "FALSE") {
        *out = false;
        return;
      }
    }
    errors_.Add(PathOf(key), "expected true or false, " + Got(n));
  }

  // `min` is inclusive.
  void Duration(const std::string& key, milliseconds* out, milliseconds min) {
    YAML::Node n = Get(key);
    if (n.IsNull()) return;
    std::optional<milliseconds> d;
    if (n.IsScalar()) d = ParseDuration(n.Scalar());
    if (!d) {
      errors_.Add(PathOf(key),
                  "invalid duration, " + Got(n) + " (expected e.g. 250ms, 30s, 24h, 1h30m)");
      return;
    }
    if (*d < min) {
      errors_.Add(PathOf(key),
                  "must be at least " + FormatDuration(min) + ", got " + FormatDuration(*d));
      return;
    }
    *out = *d;
  }

  template <typename E>
  void Enum(const std::string& key, E* out, const std::vector<std::pair<std::string, E>>& values) {
    YAML::Node n = Get(key);
    if (n.IsNull()) return;
    if (n.IsScalar()) {
      for (const auto& [name, value] : values) {
        if (n.Scalar() == name) {
          *out = value;
          return;
        }
      }
    }
    std::string expected;
    for (size_t i = 0; i < values.size(); ++i) {
      if (i > 0) expected += i + 1 == values.size() ? " or " : ", ";
      expected += values[i].first;
    }
    errors_.Add(PathOf(key), "unknown value, " + Got(n) + " (expected " + expected + ")");
  }

  void Finish() {
    for (const std::string& key : order_) {
      if (!known_.count(key)) errors_.Add(PathOf(key), "unknown field");
      known_.insert(key);  // a duplicate unknown key is reported once
    }
  }

  static bool ParseUint(const std::string& s, uint64_t* v) {
    if (s.empty()) return false;
    auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), *v);
    return ec == std::errc() && ptr == s.data() + s.size();
  }

 private:
  std::string path_;
  Errors& errors_;
  std::map<std::string, YAML::Node> fields_;
  std::vector<std::string> order_;
  std::set<std::string> known_;
};

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
      uint64_t port = 0;
      if (!MapReader::ParseUint(after.substr(1), &port) || port > 65535) return "invalid port";
    }
  } else if (size_t colon = host.rfind(':'); colon != std::string::npos) {
    uint64_t port = 0;
    if (!MapReader::ParseUint(host.substr(colon + 1), &port) || port > 65535) {
      return "invalid port";
    }
    host = host.substr(0, colon);
  }
  if (host.empty() || host == "[]") return "missing host";
  if (host.find_first_of(" \t\r\n") != std::string::npos) return "invalid host";
  return "";
}

// host:port with a numeric port (0 = any free port, for tests); host may be empty or [v6].
std::string CheckListen(const std::string& addr) {
  size_t colon = addr.rfind(':');
  if (colon == std::string::npos) return "expected host:port, got " + Quote(addr);
  uint64_t port = 0;
  if (!MapReader::ParseUint(addr.substr(colon + 1), &port) || port > 65535) {
    return "expected host:port with a port from 0 to 65535, got " + Quote(addr);
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

std::string TrimTrailingSpace(std::string s) {
  while (!s.empty() &&
         (s.back() == '\n' || s.back() == '\r' || s.back() == ' ' || s.back() == '\t')) {
    s.pop_back();
  }
  return s;
}

bool IsValidUtf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    size_t extra;
    uint32_t cp;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xE0) == 0xC0) {
      extra = 1;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      extra = 2;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      extra = 3;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (i + extra >= s.size()) return false;  // truncated sequence
    for (size_t k = 1; k <= extra; ++k) {
      const auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    // Overlong forms, UTF-16 surrogates and values past U+10FFFF are not UTF-8 either.
    static constexpr uint32_t kMin[] = {0, 0x80, 0x800, 0x10000};
    if (cp < kMin[extra] || (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF) return false;
    i += extra + 1;
  }
  return true;
}

// A config is a few levels deep; deeper nesting is a mistake or an alias that contains itself
// (`a: &x [*x]` is a cycle in yaml-cpp's node graph), and walking either would exhaust the stack.
// Aliases may also share one subtree many times over (the "billion laughs"), so the number of
// nodes visited is bounded as well.
constexpr int kMaxDepth = 32;
constexpr size_t kMaxNodes = 100000;

struct WalkBudget {
  size_t nodes = 0;
  bool exceeded = false;
};

// YAML text is UTF-8. yaml-cpp passes other bytes through, but its emitter would rewrite them,
// so a config with them could not round-trip through Render: refuse them, naming the field and
// never echoing the value (it may be a token).
void CheckUtf8(const YAML::Node& n, const std::string& path, int depth, WalkBudget& budget,
               Errors& errors) {
  if (budget.exceeded) return;
  if (depth > kMaxDepth || ++budget.nodes > kMaxNodes) {
    budget.exceeded = true;
    errors.Add(path, "nested deeper than " + std::to_string(kMaxDepth) +
                         " levels or repeated too often through aliases (an alias inside its "
                         "own anchor?)");
    return;
  }
  if (n.IsScalar()) {
    if (!IsValidUtf8(n.Scalar())) errors.Add(path, "must be valid UTF-8 text");
  } else if (n.IsSequence()) {
    for (size_t i = 0; i < n.size(); ++i) {
      CheckUtf8(n[i], Index(path, i), depth + 1, budget, errors);
    }
  } else if (n.IsMap()) {
    for (const auto& kv : n) {
      if (kv.first.IsScalar() && !IsValidUtf8(kv.first.Scalar())) {
        errors.Add(path, "field names must be valid UTF-8 text");
        continue;
      }
      CheckUtf8(kv.second, kv.first.IsScalar() ? Join(path, kv.first.Scalar()) : path, depth + 1,
                budget, errors);
    }
  }
}

class Parser {
 public:
  explicit Parser(const ParseOptions& options) : options_(options) {}

  ParseOutput Run(std::string_view yaml) {
    ParseOutput out;
    YAML::Node root;
    try {
      root = YAML::Load(std::string(yaml));
    } catch (const YAML::Exception& e) {
      // yaml-cpp's messages are fixed texts; the value that failed is not echoed.
      out.errors.push_back("yaml: line " + std::to_string(e.mark.line + 1) + ", column " +
                           std::to_string(e.mark.column + 1) + ": " + e.msg);
      return out;
    }
    try {
      WalkBudget budget;
      CheckUtf8(root, "", 0, budget, errors_);
      if (!errors_.list().empty()) {
        // Field-level errors on text that is not even UTF-8 would only add noise.
      } else if (!root.IsNull()) {
        if (!root.IsMap()) {
          errors_.Add("", "the config must be a map of fields, got " + KindName(root));
        } else {
          ParseTop(root, &out.config);
        }
      }
    } catch (const YAML::Exception& e) {
      // Not expected once Load succeeded; kept so that no yaml-cpp exception escapes.
      errors_.Add("", "yaml: " + e.msg);
    }
    out.errors = std::move(errors_.list());
    return out;
  }

 private:
  void ParseTop(const YAML::Node& root, Config* c) {
    MapReader r(root, "", errors_);
    if (r.String("listen", &c->listen)) {
      if (auto e = CheckListen(c->listen); !e.empty()) errors_.Add("listen", e);
    }
    if (r.String("adminListen", &c->admin_listen)) {
      if (auto e = CheckListen(c->admin_listen); !e.empty()) errors_.Add("adminListen", e);
    }
    r.String("adminToken", &c->admin_token);
    if (YAML::Node n = r.Get("local"); !n.IsNull()) {
      c->local_given.given = true;
      if (ExpectMap(n, "local")) ParseLocal(n, &c->local);
    }
    if (r.String("dataDir", &c->data_dir) && c->data_dir.empty()) {
      errors_.Add("dataDir", "must not be empty");
    }
    r.Enum<Durability>("durability", &c->durability,
                       {{"sync", Durability::kSync}, {"interval", Durability::kInterval}});
    r.Duration("syncInterval", &c->sync_interval, milliseconds(1));
    r.Uint("maxBodyBytes", &c->max_body_bytes, 1, UINT64_MAX);
    r.Uint("maxBodyMemoryBytes", &c->max_body_memory_bytes, 1 << 20, UINT64_MAX);
    r.Enum<QueueFullPolicy>(
        "queueFullPolicy", &c->queue_full_policy,
        {{"drop", QueueFullPolicy::kDrop}, {"reject", QueueFullPolicy::kReject}});
    r.Duration("orphanGracePeriod", &c->orphan_grace_period, milliseconds(0));
    r.String("podLabelsFile", &c->pod_labels_file);
    r.String("instanceID", &c->instance_id);
    if (!options_.instance_id_override.empty()) c->instance_id = options_.instance_id_override;
    if (c->instance_id.find_first_of("\r\n") != std::string::npos) {
      errors_.Add(options_.instance_id_override.empty() ? "instanceID" : "--instance-id",
                  "must not contain a line break");
    }
    if (YAML::Node n = r.Get("remotes"); !n.IsNull()) {
      if (ExpectList(n, "remotes")) {
        for (size_t i = 0; i < n.size(); ++i) {
          std::string path = Index("remotes", i);
          RemoteConfig remote;
          if (ExpectMap(n[i], path)) ParseRemote(n[i], path, &remote);
          c->remotes.push_back(std::move(remote));
        }
      }
    }
    if (YAML::Node n = r.Get("replications"); !n.IsNull()) {
      if (ExpectList(n, "replications")) {
        for (size_t i = 0; i < n.size(); ++i) {
          std::string path = Index("replications", i);
          ReplicationConfig rep;
          if (ExpectMap(n[i], path)) ParseReplication(n[i], path, &rep);
          c->replications.push_back(std::move(rep));
        }
      }
    }
    r.Finish();
    CrossCheck(*c);
  }

  bool ExpectMap(const YAML::Node& n, const std::string& path) {
    if (n.IsMap()) return true;
    errors_.Add(path, "expected a map, got " + KindName(n));
    return false;
  }
  bool ExpectList(const YAML::Node& n, const std::string& path) {
    if (n.IsSequence()) return true;
    errors_.Add(path, "expected a list, got " + KindName(n));
    return false;
  }

  void Required(MapReader& r, const std::string& key, std::string* out) {
    if (!r.String(key, out) || out->empty()) {
      if (out->empty()) errors_.Add(r.PathOf(key), "required");
    }
  }

  void ParseLocal(const YAML::Node& n, LocalConfig* local) {
    MapReader r(n, "local", errors_);
    if (r.String("url", &local->url)) {
      if (auto e = CheckUrl(local->url); !e.empty()) errors_.Add("local.url", e);
    }
    r.Duration("timeout", &local->timeout, milliseconds(1));
    r.String("tokenFile", &local->token_file);
    r.Finish();
  }

  void ParseRemote(const YAML::Node& n, const std::string& path, RemoteConfig* remote) {
    MapReader r(n, path, errors_);
    Required(r, "name", &remote->name);
    Required(r, "url", &remote->url);
    if (!remote->url.empty()) {
      if (auto e = CheckUrl(remote->url); !e.empty()) errors_.Add(r.PathOf("url"), e);
    }
    r.String("orgID", &remote->org_id);
    r.String("token", &remote->token);
    r.String("tokenFile", &remote->token_file);
    r.String("username", &remote->username);
    r.String("password", &remote->password);
    r.String("passwordFile", &remote->password_file);
    r.Enum<CredentialsIn>("credentialsIn", &remote->credentials_in,
                          {{"header", CredentialsIn::kHeader}, {"query", CredentialsIn::kQuery}});
    r.Enum<Protocol>("protocol", &remote->protocol, {{"v2", Protocol::kV2}, {"v1", Protocol::kV1}});
    r.String("caFile", &remote->ca_file);
    r.String("certFile", &remote->cert_file);
    r.String("keyFile", &remote->key_file);
    r.Bool("insecureSkipVerify", &remote->insecure_skip_verify);
    r.Duration("timeout", &remote->timeout, milliseconds(1));
    r.Finish();

    if (remote->protocol == Protocol::kV2 && remote->org_id.empty()) {
      errors_.Add(r.PathOf("orgID"), "required for protocol v2");
    }
    if (remote->cert_file.empty() != remote->key_file.empty()) {
      errors_.Add(path, "set both certFile and keyFile, or neither");
    }
    if (!remote->token.empty() && !remote->token_file.empty()) {
      errors_.Add(path, "set only one of token and tokenFile");
    } else if (!remote->token_file.empty()) {
      LoadSecretFile(r.PathOf("tokenFile"), remote->token_file, &remote->token);
    }
    CheckUserCredentials(r, path, remote);
  }

  // username with password or passwordFile: InfluxDB 1.x's own users, so v1 only, and never
  // beside a token (which of the two would be sent would be a guess).
  void CheckUserCredentials(MapReader& r, const std::string& path, RemoteConfig* remote) {
    bool has_password = !remote->password.empty() || !remote->password_file.empty();
    bool has_user = !remote->username.empty() || has_password;
    if (!remote->password.empty() && !remote->password_file.empty()) {
      errors_.Add(path, "set only one of password and passwordFile");
    } else if (!remote->password_file.empty()) {
      LoadSecretFile(r.PathOf("passwordFile"), remote->password_file, &remote->password);
    }
    if (!has_user) {
      if (remote->credentials_in == CredentialsIn::kQuery) {
        errors_.Add(r.PathOf("credentialsIn"), "only with username and password");
      }
      return;
    }
    if (remote->username.empty()) {
      errors_.Add(r.PathOf("username"), "required with password or passwordFile");
    } else if (!has_password) {
      errors_.Add(r.PathOf("password"), "required with username (or passwordFile)");
    }
    if (remote->protocol != Protocol::kV1) {
      errors_.Add(r.PathOf("username"), "only with protocol v1 (v2 remotes take a token)");
    }
    if (!remote->token.empty() || !remote->token_file.empty()) {
      errors_.Add(path, "set either token/tokenFile or username and password, not both");
    }
  }

  // Reads a tokenFile or passwordFile into `secret`; an error names the field, never the content.
  void LoadSecretFile(const std::string& path, const std::string& name, std::string* secret) {
    std::string file = name;
    if (file[0] != '/' && !options_.base_dir.empty()) file = options_.base_dir + "/" + file;
    Result<std::string> data = options_.read_file ? options_.read_file(file) : ReadWholeFile(file);
    if (!data.ok()) {
      errors_.Add(path, data.status().message());
      return;
    }
    *secret = TrimTrailingSpace(*data);
    if (secret->empty()) errors_.Add(path, Quote(file) + " is empty");
  }

  void ParseReplication(const YAML::Node& n, const std::string& path, ReplicationConfig* rep) {
    MapReader r(n, path, errors_);
    Required(r, "id", &rep->id);
    if (!rep->id.empty() && !ValidId(rep->id)) {
      errors_.Add(r.PathOf("id"),
                  "must be 1 to " + std::to_string(kMaxReplicationIdBytes) +
                      " characters of A-Z a-z 0-9 . _ - (it names the queue directory), got " +
                      Quote(rep->id));
    }
    Required(r, "name", &rep->name);
    Required(r, "remote", &rep->remote);
    Required(r, "localBucket", &rep->local_bucket);
    r.String("localBucketID", &rep->local_bucket_id);
    r.String("localOrg", &rep->local_org);
    r.String("remoteBucket", &rep->remote_bucket);
    r.String("remoteBucketID", &rep->remote_bucket_id);
    if (!rep->remote_bucket.empty() && !rep->remote_bucket_id.empty()) {
      errors_.Add(path, "set only one of remoteBucket and remoteBucketID");
    } else if (rep->remote_bucket.empty() && rep->remote_bucket_id.empty()) {
      errors_.Add(r.PathOf("remoteBucket"), "required (or remoteBucketID)");
    }
    r.Uint("maxQueueSizeBytes", &rep->max_queue_size_bytes, kMinMaxQueueSizeBytes, UINT64_MAX);
    r.Uint("maxAgeSeconds", &rep->max_age_seconds, 0, UINT64_MAX / 1000000000);
    r.Bool("dropNonRetryableData", &rep->drop_non_retryable_data);
    r.Bool("replicateDeletes", &rep->replicate_deletes);
    r.Bool("suspend", &rep->suspend);
    if (YAML::Node m = r.Get("measurements"); !m.IsNull()) {
      std::string mpath = r.PathOf("measurements");
      if (ExpectList(m, mpath)) {
        for (size_t i = 0; i < m.size(); ++i) {
          if (!m[i].IsScalar() || m[i].Scalar().empty()) {
            errors_.Add(Index(mpath, i), "expected a non-empty string, " + Got(m[i]));
          } else {
            rep->measurements.push_back(m[i].Scalar());
          }
        }
      }
    }
    if (YAML::Node s = r.Get("selector"); !s.IsNull()) {
      if (ExpectMap(s, r.PathOf("selector")))
        ParseSelector(s, r.PathOf("selector"), &rep->selector);
    }
    r.Uint32("maxInFlight", &rep->max_in_flight, 1, kMaxMaxInFlight);
    if (YAML::Node b = r.Get("batch"); !b.IsNull()) {
      std::string bpath = r.PathOf("batch");
      if (ExpectMap(b, bpath)) {
        MapReader br(b, bpath, errors_);
        br.Uint("maxBytes", &rep->batch.max_bytes, 1, kMaxBatchMaxBytes);
        br.Uint("maxPoints", &rep->batch.max_points, 1, kMaxBatchMaxPoints);
        br.Finish();
      }
    }
    if (YAML::Node b = r.Get("backoff"); !b.IsNull()) {
      std::string bpath = r.PathOf("backoff");
      if (ExpectMap(b, bpath)) {
        MapReader br(b, bpath, errors_);
        br.Duration("min", &rep->backoff.min, milliseconds(1));
        br.Duration("max", &rep->backoff.max, milliseconds(1));
        br.Finish();
        if (rep->backoff.max < rep->backoff.min) {
          errors_.Add(bpath + ".max", "must be at least backoff.min (" +
                                          FormatDuration(rep->backoff.min) + "), got " +
                                          FormatDuration(rep->backoff.max));
        }
      }
    }
    if (YAML::Node b = r.Get("backfill"); !b.IsNull()) {
      std::string bpath = r.PathOf("backfill");
      if (ExpectMap(b, bpath)) ParseBackfill(b, bpath, &rep->backfill.emplace());
    }
    r.Finish();
  }

  void ParseBackfill(const YAML::Node& n, const std::string& path, BackfillConfig* backfill) {
    MapReader r(n, path, errors_);
    bool from_ok = Timestamp(r, "from", &backfill->from_ns);
    bool to_ok = Timestamp(r, "to", &backfill->to_ns);
    if (from_ok && to_ok && backfill->to_ns <= backfill->from_ns) {
      errors_.Add(r.PathOf("to"), "must be after from (" + FormatTimestamp(backfill->from_ns) +
                                      "), got " + FormatTimestamp(backfill->to_ns));
    }
    r.Uint("maxPointsPerSecond", &backfill->max_points_per_second, 1,
           kMaxBackfillMaxPointsPerSecond);
    r.Finish();
  }

  // A required RFC 3339 field; whether it was read.
  bool Timestamp(MapReader& r, const std::string& key, int64_t* out) {
    YAML::Node n = r.Get(key);
    if (n.IsNull()) {
      errors_.Add(r.PathOf(key), "required");
      return false;
    }
    std::optional<int64_t> t;
    if (n.IsScalar()) t = ParseTimestamp(n.Scalar());
    if (!t) {
      errors_.Add(r.PathOf(key),
                  "invalid time, " + Got(n) + " (expected RFC 3339, e.g. 2026-01-01T00:00:00Z)");
      return false;
    }
    *out = *t;
    return true;
  }

  void ParseSelector(const YAML::Node& n, const std::string& path, LabelSelector* sel) {
    MapReader r(n, path, errors_);
    if (YAML::Node ml = r.Get("matchLabels"); !ml.IsNull()) {
      std::string mpath = r.PathOf("matchLabels");
      if (ExpectMap(ml, mpath)) {
        for (const auto& kv : ml) {
          if (!kv.first.IsScalar() || !kv.second.IsScalar() || kv.first.Scalar().empty()) {
            errors_.Add(mpath, "expected label key: value strings");
            continue;
          }
          if (!sel->match_labels.emplace(kv.first.Scalar(), kv.second.Scalar()).second) {
            errors_.Add(Join(mpath, kv.first.Scalar()), "duplicate field");
          }
        }
      }
    }
    if (YAML::Node me = r.Get("matchExpressions"); !me.IsNull()) {
      std::string mpath = r.PathOf("matchExpressions");
      if (ExpectList(me, mpath)) {
        for (size_t i = 0; i < me.size(); ++i) {
          std::string epath = Index(mpath, i);
          if (!ExpectMap(me[i], epath)) continue;
          SelectorRequirement req;
          MapReader er(me[i], epath, errors_);
          Required(er, "key", &req.key);
          std::string op_path = er.PathOf("operator");
          if (er.Get("operator").IsNull()) errors_.Add(op_path, "required");
          er.Enum<SelectorOperator>("operator", &req.op,
                                    {{"In", SelectorOperator::kIn},
                                     {"NotIn", SelectorOperator::kNotIn},
                                     {"Exists", SelectorOperator::kExists},
                                     {"DoesNotExist", SelectorOperator::kDoesNotExist}});
          if (YAML::Node v = er.Get("values"); !v.IsNull()) {
            std::string vpath = er.PathOf("values");
            if (ExpectList(v, vpath)) {
              for (size_t j = 0; j < v.size(); ++j) {
                if (!v[j].IsScalar()) {
                  errors_.Add(Index(vpath, j), "expected a string, got " + KindName(v[j]));
                } else {
                  req.values.push_back(v[j].Scalar());
                }
              }
            }
          }
          er.Finish();
          bool needs_values = req.op == SelectorOperator::kIn || req.op == SelectorOperator::kNotIn;
          if (needs_values && req.values.empty()) {
            errors_.Add(er.PathOf("values"),
                        "required for operator " + std::string(SelectorOperatorName(req.op)));
          } else if (!needs_values && !req.values.empty()) {
            errors_.Add(er.PathOf("values"),
                        "must be empty for operator " + std::string(SelectorOperatorName(req.op)));
          }
          sel->match_expressions.push_back(std::move(req));
        }
      }
    }
    r.Finish();
  }

  void CrossCheck(const Config& c) {
    std::map<std::string, size_t> remote_names;
    for (size_t i = 0; i < c.remotes.size(); ++i) {
      const std::string& name = c.remotes[i].name;
      if (name.empty()) continue;
      auto [it, inserted] = remote_names.emplace(name, i);
      if (!inserted) {
        errors_.Add(Index("remotes", i) + ".name", "duplicate remote name " + Quote(name) +
                                                       " (also remotes[" +
                                                       std::to_string(it->second) + "])");
      }
    }
    std::map<std::string, size_t> ids, names;
    for (size_t i = 0; i < c.replications.size(); ++i) {
      const ReplicationConfig& rep = c.replications[i];
      std::string path = Index("replications", i);
      if (!rep.id.empty()) {
        auto [it, inserted] = ids.emplace(rep.id, i);
        if (!inserted) {
          errors_.Add(path + ".id", "duplicate id " + Quote(rep.id) + " (also replications[" +
                                        std::to_string(it->second) + "])");
        }
      }
      if (!rep.name.empty()) {
        auto [it, inserted] = names.emplace(rep.name, i);
        if (!inserted) {
          errors_.Add(path + ".name", "duplicate name " + Quote(rep.name) + " (also replications[" +
                                          std::to_string(it->second) + "])");
        }
      }
      if (rep.remote.empty()) continue;
      const RemoteConfig* remote = c.FindRemote(rep.remote);
      if (remote == nullptr) {
        errors_.Add(path + ".remote", "unknown remote " + Quote(rep.remote));
      } else if (remote->protocol == Protocol::kV1 && !rep.remote_bucket_id.empty()) {
        errors_.Add(path + ".remoteBucketID",
                    "not supported by a v1 remote (use remoteBucket: db or db/rp)");
      }
    }
  }

  const ParseOptions& options_;
  Errors errors_;
};

}  // namespace

Result<std::string> ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    int err = errno;
    std::string m = "cannot read " + Quote(path) + ": " + std::strerror(err);
    if (err == ENOENT) return Status::NotFound(m);
    return Status(StatusCode::kIoError, m, err);
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) return Status(StatusCode::kIoError, "cannot read " + Quote(path));
  return ss.str();
}

ParseOutput ParseConfigDetailed(std::string_view yaml, const ParseOptions& options) {
  return Parser(options).Run(yaml);
}

Result<Config> ParseConfig(std::string_view yaml, const ParseOptions& options) {
  ParseOutput out = ParseConfigDetailed(yaml, options);
  if (out.ok()) return std::move(out.config);
  std::string message;
  for (const std::string& e : out.errors) {
    if (!message.empty()) message += "\n";
    message += e;
  }
  return Status::InvalidArgument(std::move(message));
}

Result<Config> LoadConfigFile(const std::string& path, ParseOptions options) {
  Result<std::string> text = ReadWholeFile(path);
  if (!text.ok()) return text.status();
  if (options.base_dir.empty()) {
    size_t slash = path.rfind('/');
    options.base_dir = slash == std::string::npos ? "." : path.substr(0, slash);
    if (options.base_dir.empty()) options.base_dir = "/";
  }
  return ParseConfig(*text, options);
}

}  // namespace edgerepl::config
