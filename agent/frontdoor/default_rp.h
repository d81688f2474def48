// The default retention policy of each local 1.x database, learned from the local InfluxDB
// (`SHOW RETENTION POLICIES ON "<db>"`), so `/write?db=demo`, `/write?db=demo&rp=<default>` and
// v2 `bucket=demo/<default>` are known to be the same data (DESIGN.md §2.4). Never assumes
// `autogen`: a database's default can be any policy and can change.
//
// An entry is refreshed when it is older than the refresh interval, and at once when a write
// names a retention policy the entry does not list (a new policy, maybe the new default). A name
// still missing after that query is asked about again at most once a second, so writes naming a
// policy that does not exist (the local refuses them) do not each cost a query. The query carries
// the writing client's credentials (the agent holds no local token); when it fails, the database's
// default is unknown and only the literal names match.
#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/http/client.h"

namespace edgerepl::frontdoor {

inline constexpr std::chrono::seconds kDefaultRpRefresh{30};

struct RetentionPolicies {
  std::vector<std::string> names;
  std::string default_name;  // empty: none is default
};

// Parses the JSON answer of SHOW RETENTION POLICIES (columns name, duration, shardGroupDuration,
// replicaN, default). nullopt when it is not such an answer (an error, another shape).
std::optional<RetentionPolicies> ParseRetentionPolicies(std::string_view json);

class DefaultRpCache {
 public:
  // `local` and `clock` are borrowed and must outlive the cache.
  DefaultRpCache(http::HttpClient& local, const Clock& clock,
                 std::chrono::milliseconds refresh = kDefaultRpRefresh);

  // The default retention policy of `db`; nullopt when unknown. `named_rp` is the rp the write
  // names (empty: none); `auth` are the client's Authorization header (may be null) and `u`/`p`
  // query parameters (may be empty), used for the query.
  std::optional<std::string> Default(const std::string& db, std::string_view named_rp,
                                     const std::string* authorization, const std::string& user,
                                     const std::string& password);

 private:
  struct Entry {
    std::optional<RetentionPolicies> policies;
    std::chrono::steady_clock::time_point fetched{};
    bool ever = false;
    // Names writes gave that the last query did not list, with the time of that query.
    std::map<std::string, std::chrono::steady_clock::time_point, std::less<>> absent;
  };
  std::optional<RetentionPolicies> Fetch(const std::string& db, const std::string* authorization,
                                         const std::string& user, const std::string& password);

  http::HttpClient& local_;
  const Clock& clock_;
  const std::chrono::milliseconds refresh_;
  std::mutex mu_;
  std::map<std::string, Entry, std::less<>> entries_;  // GUARDED_BY(mu_)
};

}  // namespace edgerepl::frontdoor
