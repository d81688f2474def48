#include "agent/admin/influx_filter.h"

#include <algorithm>
#include <optional>
#include <string>

#include "common/codec/query.h"
#include "common/httpserver/server.h"

namespace edgerepl::admin {
namespace {

// An absent or empty parameter filters nothing, as InfluxDB's handler treats "".
std::optional<std::string> Filter(std::string_view query, std::string_view name) {
  std::optional<std::string> v = codec::QueryParam(query, name);
  if (v && v->empty()) return std::nullopt;
  return v;
}

}  // namespace

std::vector<ReplicationStatus> FilterInfluxReplications(std::vector<ReplicationStatus> all,
                                                        std::string_view query) {
  const std::optional<std::string> org = Filter(query, "orgID");
  const std::optional<std::string> name = Filter(query, "name");
  const std::optional<std::string> remote = Filter(query, "remoteID");
  const std::optional<std::string> bucket = Filter(query, "localBucketID");
  std::erase_if(all, [&](const ReplicationStatus& r) {
    if (org && !r.local_org.empty() && r.local_org != *org) return true;
    if (name && r.name != *name) return true;
    if (remote && r.remote != *remote) return true;
    const std::string& reported = r.local_bucket_id.empty() ? r.local_bucket : r.local_bucket_id;
    if (bucket && reported != *bucket && r.local_bucket != *bucket) return true;
    return false;
  });
  return all;
}

}  // namespace edgerepl::admin
