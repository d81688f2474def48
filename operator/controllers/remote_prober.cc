#include "operator/controllers/remote_prober.h"

#include <cpprest/json.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "agent/sender/remote_auth.h"
#include "common/codec/percent.h"
#include "common/log/redact.h"
#include "operator/model/reasons.h"

namespace edgerepl::op {
namespace {

std::string Quote(const std::string& s) {
  return "\"" + s + "\"";
}

// The remote's own words, short: the JSON "error" or "message" field if there is one.
std::string RemoteWords(const ProbeTarget& t, const std::string& body) {
  std::string words = body;
  try {
    web::json::value v = web::json::value::parse(body);
    if (v.has_string_field("error")) {
      words = v.at("error").as_string();
    } else if (v.has_string_field("message")) {
      words = v.at("message").as_string();
    }
  } catch (const std::exception&) {
  }
  while (!words.empty() && (words.back() == '\n' || words.back() == ' ')) words.pop_back();
  if (words.size() > 200) words = words.substr(0, 200) + "…";
  // A remote may echo what it was sent; neither this target's secrets nor any other leave.
  log::SecretRegistry own;
  own.Add(t.remote.token);
  own.Add(t.remote.password);
  return log::GlobalSecrets().Redact(own.Redact(words));
}

std::string Answered(const ProbeTarget& t, const std::string& what, const http::HttpResponse& r) {
  std::string words = RemoteWords(t, r.body);
  return what + " answered " + std::to_string(r.status) + (words.empty() ? "" : ": " + words);
}

ProbeResult Fail(const char* reason, std::string message) {
  return {false, reason, std::move(message)};
}

http::HttpRequest Request(const ProbeTarget& t, std::string method, std::string target) {
  http::HttpRequest req;
  req.method = std::move(method);
  req.target = std::move(target);
  sender::UserCredentials user{t.remote.username, t.remote.password,
                               t.remote.credentials_in == config::CredentialsIn::kQuery};
  sender::AddCredentials(t.remote.token, user, t.remote.protocol == config::Protocol::kV1, req);
  return req;
}

ProbeResult Unreachable(const ProbeTarget& t, const std::string& what, const Status& s) {
  log::SecretRegistry own;
  own.Add(t.remote.token);
  own.Add(t.remote.password);
  return Fail(reason::kUnreachable,
              what + ": " + log::GlobalSecrets().Redact(own.Redact(s.message())));
}

ProbeResult Ping(http::HttpClient& client, const ProbeTarget& t) {
  http::HttpRequest req;
  req.method = "GET";
  req.target = "/ping";
  Result<http::HttpResponse> r = client.Send(req);
  if (!r.ok()) return Unreachable(t, "GET /ping", r.status());
  if (r->status / 100 != 2) return Fail(reason::kUnreachable, Answered(t, "GET /ping", *r));
  return {true, reason::kReachable, "GET /ping answered " + std::to_string(r->status)};
}

ProbeResult ProbeV2(http::HttpClient& client, const ProbeTarget& t) {
  if (t.buckets.empty()) {
    ProbeResult p = Ping(client, t);
    if (p.ok) p.message += "; no Replication names a bucket, so the token was not tried";
    return p;
  }
  for (const ProbeBucket& b : t.buckets) {
    std::string what =
        "write to bucket " + Quote(b.name) + " (Replication " + Quote(b.replication) + ")";
    http::HttpRequest req =
        Request(t, "POST",
                "/api/v2/write?org=" + codec::PercentEncode(t.remote.org_id) +
                    "&bucket=" + codec::PercentEncode(b.name) + "&precision=ns");
    req.headers.emplace_back("Content-Type", "text/plain; charset=utf-8");
    Result<http::HttpResponse> r = client.Send(req);
    if (!r.ok()) return Unreachable(t, what, r.status());
    int code = r->status;
    if (code == 401 || code == 403) return Fail(reason::kUnauthorized, Answered(t, what, *r));
    if (code == 404) return Fail(reason::kBucketNotFound, Answered(t, what, *r));
    // 400 is the empty body refused after the token and the bucket passed (InfluxDB checks
    // both first); anything else is a server not taking writes.
    if (code / 100 != 2 && code != 400) return Fail(reason::kUnreachable, Answered(t, what, *r));
  }
  std::string names;
  for (const ProbeBucket& b : t.buckets) names += (names.empty() ? "" : ", ") + Quote(b.name);
  return {true, reason::kReachable, "token accepted for bucket " + names};
}

ProbeResult ProbeV1(http::HttpClient& client, const ProbeTarget& t) {
  ProbeResult ping = Ping(client, t);
  if (!ping.ok) return ping;
  const std::string what = "SHOW DATABASES";
  Result<http::HttpResponse> r =
      client.Send(Request(t, "GET", "/query?q=" + codec::PercentEncode("SHOW DATABASES")));
  if (!r.ok()) return Unreachable(t, what, r.status());
  if (r->status == 401 || r->status == 403) {
    return Fail(reason::kUnauthorized, Answered(t, what, *r));
  }
  if (r->status != 200) return Fail(reason::kUnreachable, Answered(t, what, *r));
  std::set<std::string> databases;
  try {
    web::json::value v = web::json::value::parse(r->body);
    const web::json::value& result = v.at("results").as_array().at(0);
    if (result.has_string_field("error")) {
      std::string words = RemoteWords(t, result.at("error").serialize());
      return Fail(words.find("authoriz") != std::string::npos ? reason::kUnauthorized
                                                              : reason::kUnreachable,
                  what + " failed: " + words);
    }
    if (result.has_array_field("series")) {
      for (const web::json::value& row :
           result.at("series").as_array().at(0).at("values").as_array()) {
        databases.insert(row.as_array().at(0).as_string());
      }
    }
  } catch (const std::exception&) {
    return Fail(reason::kUnreachable, what + " answered 200 with a body that is not InfluxDB's");
  }
  for (const ProbeBucket& b : t.buckets) {
    std::string db = b.name.substr(0, b.name.find('/'));
    if (!databases.count(db)) {
      return Fail(reason::kBucketNotFound, "database " + Quote(db) + " (Replication " +
                                               Quote(b.replication) + ") is not in SHOW DATABASES");
    }
  }
  if (t.buckets.empty()) return {true, reason::kReachable, "SHOW DATABASES answered"};
  std::string names;
  for (const ProbeBucket& b : t.buckets) names += (names.empty() ? "" : ", ") + Quote(b.name);
  return {true, reason::kReachable, "credentials accepted; database of " + names + " exists"};
}

bool WriteFile(const std::filesystem::path& path, const std::string& content) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << content;
  out.close();
  ::chmod(path.c_str(), 0600);
  return out.good();
}

}  // namespace

ProbeResult ProbeRemote(http::HttpClient& client, const ProbeTarget& target) {
  return target.remote.protocol == config::Protocol::kV1 ? ProbeV1(client, target)
                                                         : ProbeV2(client, target);
}

RemoteProber::RemoteProber(Factory factory, const Clock& clock, ProberOptions options,
                           std::function<void(const std::string&)> changed)
    : factory_(std::move(factory)),
      clock_(clock),
      options_(std::move(options)),
      changed_(std::move(changed)) {
  if (options_.tls_dir.empty()) {
    const char* tmp = std::getenv("TMPDIR");
    std::string pattern =
        std::string(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp") + "/edgerepl-probe-XXXXXX";
    if (::mkdtemp(pattern.data()) != nullptr) {
      options_.tls_dir = pattern;
      own_tls_dir_ = true;
    }
  }
}

RemoteProber::~RemoteProber() {
  std::error_code ec;
  if (own_tls_dir_) std::filesystem::remove_all(options_.tls_dir, ec);
}

std::optional<ProbeResult> RemoteProber::Observe(const std::string& ns, const std::string& name,
                                                 const ProbeTarget& target) {
  std::lock_guard<std::mutex> lock(mu_);
  Entry& e = entries_[{ns, name}];
  if (e.generation == 0 || !(e.target == target)) {
    e.target = target;
    e.result.reset();
    e.failures = 0;
    e.due = clock_.Now();
    e.generation = next_generation_++;
  }
  return e.result;
}

void RemoteProber::Retain(const std::string& ns, const std::set<std::string>& names) {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto it = entries_.begin(); it != entries_.end();) {
    if (it->first.first == ns && !names.count(it->first.second)) {
      it = entries_.erase(it);
    } else {
      ++it;
    }
  }
}

size_t RemoteProber::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return entries_.size();
}

Result<http::HttpClientPtr> RemoteProber::ClientFor(const Key& key, const ProbeTarget& t) {
  http::HttpClientOptions o;
  o.base_url = t.remote.url;
  o.timeout = t.remote.timeout;
  o.tls.insecure_skip_verify = t.remote.insecure_skip_verify;
  // The agents' files, written where this process can read them.
  auto place = [&](const std::string& name, std::string* path) -> Status {
    if (name.empty()) return Status();
    auto it = t.files.find(name);
    if (it == t.files.end()) return Status::InvalidArgument("no content for " + name);
    std::filesystem::path p =
        std::filesystem::path(options_.tls_dir) / (key.first + "_" + key.second + "_" + name);
    if (!WriteFile(p, it->second)) return Status::Unavailable("cannot write " + p.string());
    *path = p.string();
    return Status();
  };
  if (Status s = place(t.remote.ca_file, &o.tls.ca_file); !s.ok()) return s;
  if (Status s = place(t.remote.cert_file, &o.tls.client_cert_file); !s.ok()) return s;
  if (Status s = place(t.remote.key_file, &o.tls.client_key_file); !s.ok()) return s;
  return factory_(o);
}

int RemoteProber::ProbeDue() {
  struct Due {
    Key key;
    ProbeTarget target;
    uint64_t generation;
  };
  std::vector<Due> due;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto now = clock_.Now();
    for (const auto& [key, e] : entries_) {
      if (e.due <= now) due.push_back({key, e.target, e.generation});
    }
  }
  for (const Due& d : due) {
    ProbeResult result;
    Result<http::HttpClientPtr> client = ClientFor(d.key, d.target);
    if (!client.ok()) {
      result = Unreachable(d.target, "client", client.status());
    } else {
      result = ProbeRemote(**client, d.target);
    }
    bool changed = false;
    {
      std::lock_guard<std::mutex> lock(mu_);
      auto it = entries_.find(d.key);
      // Changed or forgotten while the probe ran: this answer is for a target that is gone.
      if (it == entries_.end() || it->second.generation != d.generation) continue;
      Entry& e = it->second;
      changed = !e.result || !(*e.result == result);
      e.result = result;
      auto now = clock_.Now();
      if (result.ok) {
        e.failures = 0;
        e.due = now + options_.healthy_interval;
      } else {
        auto wait = options_.min_backoff;
        for (int i = 0; i < e.failures && wait < options_.max_backoff; ++i) wait *= 2;
        e.due = now + std::min(wait, options_.max_backoff);
        ++e.failures;
      }
    }
    if (changed && changed_) changed_(d.key.first);
  }
  return static_cast<int>(due.size());
}

}  // namespace edgerepl::op
