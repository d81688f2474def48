#include "agent/frontdoor/default_rp.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "common/codec/percent.h"

namespace edgerepl::frontdoor {
namespace {

// Minimum time between two queries for one retention policy name the local does not have.
constexpr std::chrono::seconds kMinRequery{1};

// Reads a JSON string starting at s[*i] == '"'; advances *i past it.
std::optional<std::string> ReadString(std::string_view s, size_t* i) {
  if (*i >= s.size() || s[*i] != '"') return std::nullopt;
  std::string out;
  for (size_t k = *i + 1; k < s.size(); ++k) {
    char c = s[k];
    if (c == '"') {
      *i = k + 1;
      return out;
    }
    if (c == '\\' && k + 1 < s.size()) {
      char e = s[++k];
      out.push_back(e == 'n' ? '\n' : e == 't' ? '\t' : e);
      continue;
    }
    out.push_back(c);
  }
  return std::nullopt;
}

void SkipSpace(std::string_view s, size_t* i) {
  while (*i < s.size() && (s[*i] == ' ' || s[*i] == '\n' || s[*i] == '\t' || s[*i] == '\r')) ++*i;
}

}  // namespace

std::optional<RetentionPolicies> ParseRetentionPolicies(std::string_view json) {
  if (json.find("\"error\"") != std::string_view::npos) return std::nullopt;
  if (json.find("\"results\"") == std::string_view::npos) return std::nullopt;
  RetentionPolicies out;
  size_t values = json.find("\"values\"");
  if (values == std::string_view::npos) return out;  // a database without policies
  size_t i = json.find('[', values);
  if (i == std::string_view::npos) return std::nullopt;
  ++i;
  // Rows: ["name","duration","shardGroupDuration",replicaN,default]
  while (true) {
    SkipSpace(json, &i);
    if (i >= json.size()) return std::nullopt;
    if (json[i] == ']') break;
    if (json[i] == ',') {
      ++i;
      continue;
    }
    if (json[i] != '[') return std::nullopt;
    ++i;
    SkipSpace(json, &i);
    auto name = ReadString(json, &i);
    if (!name) return std::nullopt;
    // The rest of the row: strings and scalars; the last scalar is the default flag.
    std::string last;
    while (i < json.size() && json[i] != ']') {
      SkipSpace(json, &i);
      if (json[i] == ',') {
        ++i;
        continue;
      }
      if (json[i] == '"') {
        if (!ReadString(json, &i)) return std::nullopt;
        last.clear();
        continue;
      }
      size_t start = i;
      while (i < json.size() && json[i] != ',' && json[i] != ']') ++i;
      last.assign(json.substr(start, i - start));
      while (!last.empty() && last.back() == ' ') last.pop_back();
    }
    if (i >= json.size()) return std::nullopt;
    ++i;  // ']'
    if (last == "true") out.default_name = *name;
    out.names.push_back(std::move(*name));
  }
  return out;
}

DefaultRpCache::DefaultRpCache(http::HttpClient& local, const Clock& clock,
                               std::chrono::milliseconds refresh)
    : local_(local), clock_(clock), refresh_(refresh) {}

std::optional<RetentionPolicies> DefaultRpCache::Fetch(const std::string& db,
                                                       const std::string* authorization,
                                                       const std::string& user,
                                                       const std::string& password) {
  std::string quoted = "\"";
  for (char c : db) {
    if (c == '"' || c == '\\') quoted.push_back('\\');
    quoted.push_back(c);
  }
  quoted.push_back('"');
  http::HttpRequest q;
  q.method = "GET";
  q.target = "/query?q=" + codec::PercentEncode("SHOW RETENTION POLICIES ON " + quoted);
  if (!user.empty()) {
    q.target += "&u=" + codec::PercentEncode(user) + "&p=" + codec::PercentEncode(password);
  }
  if (authorization != nullptr) q.headers.emplace_back("Authorization", *authorization);
  auto answer = local_.Send(q);
  if (!answer.ok()) {
    spdlog::warn("database \"{}\": could not read its retention policies: {}", db,
                 answer.status().ToString());
    return std::nullopt;
  }
  auto policies = answer->status == 200 ? ParseRetentionPolicies(answer->body) : std::nullopt;
  if (!policies) {
    spdlog::warn("database \"{}\": could not read its retention policies (HTTP {}): {}", db,
                 answer->status, answer->body.substr(0, 200));
  }
  return policies;
}

std::optional<std::string> DefaultRpCache::Default(const std::string& db, std::string_view named_rp,
                                                   const std::string* authorization,
                                                   const std::string& user,
                                                   const std::string& password) {
  const auto now = clock_.Now();
  std::optional<RetentionPolicies> known;
  {
    std::lock_guard<std::mutex> lock(mu_);
    Entry& e = entries_[db];
    // A failed query (no read rights, a local that does not know the statement) is retried at
    // the refresh interval too, so it costs one query and one log line per interval.
    bool stale = !e.ever || now - e.fetched >= refresh_;
    if (!stale && !named_rp.empty() && e.policies) {
      const auto& names = e.policies->names;
      if (std::find(names.begin(), names.end(), named_rp) == names.end()) {
        auto absent = e.absent.find(named_rp);
        stale = absent == e.absent.end() || now - absent->second >= kMinRequery;
        if (stale) e.absent[std::string(named_rp)] = now;
      }
    }
    if (!stale) {
      if (!e.policies || e.policies->default_name.empty()) return std::nullopt;
      return e.policies->default_name;
    }
    // Claimed: other writes use what is known until this query returns.
    e.fetched = now;
    e.ever = true;
    known = e.policies;
  }
  auto fetched = Fetch(db, authorization, user, password);
  {
    std::lock_guard<std::mutex> lock(mu_);
    Entry& e = entries_[db];
    if (fetched) {
      if (known && known->default_name != fetched->default_name) {
        spdlog::info("database \"{}\": default retention policy is now \"{}\" (was \"{}\")", db,
                     fetched->default_name, known->default_name);
      }
      e.policies = fetched;
      if (e.absent.size() > 64) e.absent.clear();  // names of refused writes; keep it small
    }
    if (!e.policies || e.policies->default_name.empty()) return std::nullopt;
    return e.policies->default_name;
  }
}

}  // namespace edgerepl::frontdoor
