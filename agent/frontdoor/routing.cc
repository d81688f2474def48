#include "agent/frontdoor/routing.h"

namespace edgerepl::frontdoor {

std::vector<WriteTarget*> MatchTargets(const Routing& routing, Api api, std::string_view org,
                                       std::string_view bucket, std::string_view db,
                                       std::string_view rp) {
  std::vector<WriteTarget*> out;
  std::string v1_key;
  if (api == Api::kV1) {
    v1_key.assign(db);
    if (!rp.empty()) {
      v1_key.push_back('/');
      v1_key.append(rp);
    }
  }
  for (const auto& target : routing.targets) {
    const config::ReplicationConfig& r = target->replication();
    bool match = false;
    if (api == Api::kV2) {
      match = !bucket.empty() && (r.local_bucket == bucket ||
                                  (!r.local_bucket_id.empty() && r.local_bucket_id == bucket));
      if (match && !r.local_org.empty()) match = r.local_org == org;
    } else {
      match = !db.empty() && r.local_bucket == v1_key;
    }
    if (match) out.push_back(target.get());
  }
  return out;
}

}  // namespace edgerepl::frontdoor
