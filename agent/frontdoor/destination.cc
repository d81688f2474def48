#include "agent/frontdoor/destination.h"

#include "agent/frontdoor/local_info.h"
#include "agent/frontdoor/v2_to_v1.h"
#include "common/codec/query.h"

namespace edgerepl::frontdoor {

Destination ResolveDestination(const Routing& routing, Api api,
                               const httpserver::Request& request) {
  const std::string& q = request.query;
  Destination d;
  d.api = api;
  if (api == Api::kV2) {
    d.org = codec::QueryParam(q, "org").value_or("");
    if (d.org.empty()) d.org = codec::QueryParam(q, "orgID").value_or("");
    d.bucket = codec::QueryParam(q, "bucket").value_or("");
    LocalInfo* info = routing.local_info.get();
    if (info != nullptr && !d.bucket.empty() && (info->translate_v2() || info->IsV1())) {
      DbRp dbrp = SplitBucket(d.bucket);
      d.db = std::move(dbrp.db);
      d.rp = std::move(dbrp.rp);
      d.dbrp = true;
    }
  } else {
    d.db = codec::QueryParam(q, "db").value_or("");
    d.rp = codec::QueryParam(q, "rp").value_or("");
    d.dbrp = true;
  }
  if (d.dbrp && !d.db.empty() && routing.local_info && CoversDatabase(routing, d.db)) {
    const std::string* auth = request.Header("Authorization");
    std::string v1_auth = auth != nullptr ? V1Authorization(*auth) : std::string();
    d.default_rp = routing.local_info->default_rp().Default(
        d.db, d.rp, auth != nullptr ? &v1_auth : nullptr, codec::QueryParam(q, "u").value_or(""),
        codec::QueryParam(q, "p").value_or(""));
  }
  return d;
}

}  // namespace edgerepl::frontdoor
