#include "common/config/parse.h"

#include <yaml-cpp/yaml.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "common/codec/utf8.h"
#include "common/config/timestamp.h"
#include "common/config/validate.h"
#include "common/config/yaml_fields.h"

namespace edgerepl::config {
namespace {

using yaml::Errors;
using yaml::Got;
using yaml::KindName;
using yaml::MapReader;

std::string TrimTrailingSpace(std::string s) {
  while (!s.empty() &&
         (s.back() == '\n' || s.back() == '\r' || s.back() == ' ' || s.back() == '\t')) {
    s.pop_back();
  }
  return s;
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
    if (!codec::IsValidUtf8(n.Scalar())) errors.Add(path, "must be valid UTF-8 text");
  } else if (n.IsSequence()) {
    for (size_t i = 0; i < n.size(); ++i) {
      CheckUtf8(n[i], IndexPath(path, i), depth + 1, budget, errors);
    }
  } else if (n.IsMap()) {
    for (const auto& kv : n) {
      if (kv.first.IsScalar() && !codec::IsValidUtf8(kv.first.Scalar())) {
        errors.Add(path, "field names must be valid UTF-8 text");
        continue;
      }
      CheckUtf8(kv.second, kv.first.IsScalar() ? JoinPath(path, kv.first.Scalar()) : path,
                depth + 1, budget, errors);
    }
  }
}

// Reads the text into a Config. What only the text can tell is checked here (types, unknown
// fields, a token given both inline and as a file, files that cannot be read); the rules on the
// values are Validate's, run on the result.
class Reader {
 public:
  explicit Reader(const ParseOptions& options) : options_(options) {}

  ParseOutput Run(std::string_view text) {
    ParseOutput out;
    YAML::Node root;
    try {
      root = YAML::Load(std::string(text));
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
          ReadTop(root, &out.config);
          for (std::string& e : Validate(out.config, errors_.unread())) {
            errors_.list().push_back(std::move(e));
          }
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
  void ReadTop(const YAML::Node& root, Config* c) {
    MapReader r(root, "", errors_);
    r.String("listen", &c->listen);
    r.String("adminListen", &c->admin_listen);
    r.String("adminToken", &c->admin_token);
    if (YAML::Node n = r.Get("local"); !n.IsNull()) {
      c->local_given.given = true;
      if (ExpectMap(n, "local")) ReadLocal(n, &c->local);
    }
    r.String("dataDir", &c->data_dir);
    r.Enum<Durability>("durability", &c->durability,
                       {{"sync", Durability::kSync}, {"interval", Durability::kInterval}});
    r.Duration("syncInterval", &c->sync_interval);
    r.Uint("maxBodyBytes", &c->max_body_bytes);
    r.Uint("maxBodyMemoryBytes", &c->max_body_memory_bytes);
    r.Enum<QueueFullPolicy>(
        "queueFullPolicy", &c->queue_full_policy,
        {{"drop", QueueFullPolicy::kDrop}, {"reject", QueueFullPolicy::kReject}});
    r.Duration("orphanGracePeriod", &c->orphan_grace_period);
    r.String("podLabelsFile", &c->pod_labels_file);
    r.String("instanceID", &c->instance_id);
    if (!options_.instance_id_override.empty()) {
      c->instance_id = options_.instance_id_override;
      // The value is the flag's, so a bad one is the flag's error, not the file's.
      if (c->instance_id.find_first_of("\r\n") != std::string::npos) {
        errors_.Add("--instance-id", "must not contain a line break");
      }
      errors_.MarkUnread("instanceID");
    }
    if (YAML::Node n = r.Get("remotes"); !n.IsNull()) {
      if (ExpectList(n, "remotes")) {
        for (size_t i = 0; i < n.size(); ++i) {
          std::string path = IndexPath("remotes", i);
          RemoteConfig remote;
          if (ExpectMap(n[i], path)) ReadRemote(n[i], path, &remote);
          c->remotes.push_back(std::move(remote));
        }
      }
    }
    if (YAML::Node n = r.Get("replications"); !n.IsNull()) {
      if (ExpectList(n, "replications")) {
        for (size_t i = 0; i < n.size(); ++i) {
          std::string path = IndexPath("replications", i);
          ReplicationConfig rep;
          if (ExpectMap(n[i], path)) ReadReplication(n[i], path, &rep);
          c->replications.push_back(std::move(rep));
        }
      }
    }
    r.Finish();
  }

  bool ExpectMap(const YAML::Node& n, const std::string& path) {
    if (n.IsMap()) return true;
    errors_.Unreadable(path, "expected a map, got " + KindName(n));
    return false;
  }
  bool ExpectList(const YAML::Node& n, const std::string& path) {
    if (n.IsSequence()) return true;
    errors_.Unreadable(path, "expected a list, got " + KindName(n));
    return false;
  }

  void ReadLocal(const YAML::Node& n, LocalConfig* local) {
    MapReader r(n, "local", errors_);
    r.String("url", &local->url);
    r.Duration("timeout", &local->timeout);
    r.String("token", &local->token);
    r.String("tokenFile", &local->token_file);
    r.Finish();
    ReadSecret(r, "local", "token", local->token_file, &local->token);
  }

  void ReadRemote(const YAML::Node& n, const std::string& path, RemoteConfig* remote) {
    MapReader r(n, path, errors_);
    r.String("name", &remote->name);
    r.String("url", &remote->url);
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
    r.Duration("timeout", &remote->timeout);
    r.Finish();
    ReadSecret(r, path, "token", remote->token_file, &remote->token);
    ReadSecret(r, path, "password", remote->password_file, &remote->password);
  }

  // `key` (inline) or `key`File: only one may be given; the file's content, trimmed, becomes the
  // secret. An error names the field, never the content.
  void ReadSecret(MapReader& r, const std::string& path, const std::string& key,
                  const std::string& name, std::string* secret) {
    if (name.empty()) return;
    const std::string file_path = r.PathOf(key + "File");
    if (!secret->empty()) {
      errors_.Add(path, "set only one of " + key + " and " + key + "File");
      errors_.MarkUnread(file_path);
      return;
    }
    std::string file = name;
    if (file[0] != '/' && !options_.base_dir.empty()) file = options_.base_dir + "/" + file;
    Result<std::string> data = options_.read_file ? options_.read_file(file) : ReadWholeFile(file);
    if (!data.ok()) {
      errors_.Unreadable(file_path, data.status().message());
      return;
    }
    *secret = TrimTrailingSpace(*data);
    if (secret->empty()) errors_.Unreadable(file_path, Quoted(file) + " is empty");
  }

  void ReadReplication(const YAML::Node& n, const std::string& path, ReplicationConfig* rep) {
    MapReader r(n, path, errors_);
    r.String("id", &rep->id);
    r.String("name", &rep->name);
    r.String("remote", &rep->remote);
    r.String("localBucket", &rep->local_bucket);
    r.String("localBucketID", &rep->local_bucket_id);
    r.String("localOrg", &rep->local_org);
    r.String("remoteBucket", &rep->remote_bucket);
    r.String("remoteBucketID", &rep->remote_bucket_id);
    r.Uint("maxQueueSizeBytes", &rep->max_queue_size_bytes);
    r.Uint("maxAgeSeconds", &rep->max_age_seconds);
    r.Bool("dropNonRetryableData", &rep->drop_non_retryable_data);
    r.Bool("replicateDeletes", &rep->replicate_deletes);
    r.Bool("suspend", &rep->suspend);
    if (YAML::Node m = r.Get("measurements"); !m.IsNull()) {
      std::string mpath = r.PathOf("measurements");
      if (ExpectList(m, mpath)) {
        for (size_t i = 0; i < m.size(); ++i) {
          if (!m[i].IsScalar()) {
            errors_.Unreadable(IndexPath(mpath, i), "expected a non-empty string, " + Got(m[i]));
            rep->measurements.emplace_back();
          } else {
            rep->measurements.push_back(m[i].Scalar());
          }
        }
      }
    }
    if (YAML::Node s = r.Get("selector"); !s.IsNull()) {
      if (ExpectMap(s, r.PathOf("selector"))) {
        ReadSelector(s, r.PathOf("selector"), &rep->selector);
      }
    }
    r.Uint32("maxInFlight", &rep->max_in_flight);
    if (YAML::Node b = r.Get("batch"); !b.IsNull()) {
      std::string bpath = r.PathOf("batch");
      if (ExpectMap(b, bpath)) {
        MapReader br(b, bpath, errors_);
        br.Uint("maxBytes", &rep->batch.max_bytes);
        br.Uint("maxPoints", &rep->batch.max_points);
        br.Finish();
      }
    }
    if (YAML::Node b = r.Get("backoff"); !b.IsNull()) {
      std::string bpath = r.PathOf("backoff");
      if (ExpectMap(b, bpath)) {
        MapReader br(b, bpath, errors_);
        br.Duration("min", &rep->backoff.min);
        br.Duration("max", &rep->backoff.max);
        br.Finish();
      }
    }
    if (YAML::Node b = r.Get("backfill"); !b.IsNull()) {
      std::string bpath = r.PathOf("backfill");
      if (ExpectMap(b, bpath)) ReadBackfill(b, bpath, &rep->backfill.emplace());
    }
    r.Finish();
  }

  void ReadBackfill(const YAML::Node& n, const std::string& path, BackfillConfig* backfill) {
    MapReader r(n, path, errors_);
    Timestamp(r, "from", &backfill->from_ns);
    Timestamp(r, "to", &backfill->to_ns);
    r.Uint("maxPointsPerSecond", &backfill->max_points_per_second);
    r.Finish();
  }

  // A required RFC 3339 field: absence is the text's to tell, since every int64 is a time.
  void Timestamp(MapReader& r, const std::string& key, int64_t* out) {
    YAML::Node n = r.Get(key);
    if (n.IsNull()) {
      errors_.Unreadable(r.PathOf(key), "required");
      return;
    }
    std::optional<int64_t> t;
    if (n.IsScalar()) t = ParseTimestamp(n.Scalar());
    if (!t) {
      errors_.Unreadable(r.PathOf(key), "invalid time, " + Got(n) +
                                            " (expected RFC 3339, e.g. 2026-01-01T00:00:00Z)");
      return;
    }
    *out = *t;
  }

  void ReadSelector(const YAML::Node& n, const std::string& path, LabelSelector* sel) {
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
            errors_.Add(JoinPath(mpath, kv.first.Scalar()), "duplicate field");
          }
        }
      }
    }
    if (YAML::Node me = r.Get("matchExpressions"); !me.IsNull()) {
      std::string mpath = r.PathOf("matchExpressions");
      if (ExpectList(me, mpath)) {
        for (size_t i = 0; i < me.size(); ++i) {
          std::string epath = IndexPath(mpath, i);
          SelectorRequirement req;
          if (ExpectMap(me[i], epath)) ReadRequirement(me[i], epath, &req);
          sel->match_expressions.push_back(std::move(req));
        }
      }
    }
    r.Finish();
  }

  void ReadRequirement(const YAML::Node& n, const std::string& path, SelectorRequirement* req) {
    MapReader r(n, path, errors_);
    r.String("key", &req->key);
    if (r.Get("operator").IsNull()) errors_.Unreadable(r.PathOf("operator"), "required");
    r.Enum<SelectorOperator>("operator", &req->op,
                             {{"In", SelectorOperator::kIn},
                              {"NotIn", SelectorOperator::kNotIn},
                              {"Exists", SelectorOperator::kExists},
                              {"DoesNotExist", SelectorOperator::kDoesNotExist}});
    if (YAML::Node v = r.Get("values"); !v.IsNull()) {
      std::string vpath = r.PathOf("values");
      if (ExpectList(v, vpath)) {
        for (size_t j = 0; j < v.size(); ++j) {
          if (!v[j].IsScalar()) {
            errors_.Add(IndexPath(vpath, j), "expected a string, got " + KindName(v[j]));
          } else {
            req->values.push_back(v[j].Scalar());
          }
        }
      }
    }
    r.Finish();
  }

  const ParseOptions& options_;
  Errors errors_;
};

}  // namespace

Result<std::string> ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    int err = errno;
    std::string m = "cannot read " + Quoted(path) + ": " + std::strerror(err);
    if (err == ENOENT) return Status::NotFound(m);
    return Status(StatusCode::kIoError, m, err);
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) return Status(StatusCode::kIoError, "cannot read " + Quoted(path));
  return ss.str();
}

ParseOutput ParseConfigDetailed(std::string_view yaml, const ParseOptions& options) {
  return Reader(options).Run(yaml);
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
