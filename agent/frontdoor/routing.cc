#include "agent/frontdoor/routing.h"

namespace edgerepl::frontdoor {
namespace {

std::string_view DbOf(std::string_view local_bucket) {
  return local_bucket.substr(0, local_bucket.find('/'));
}

std::string_view RpOf(std::string_view local_bucket) {
  size_t slash = local_bucket.find('/');
  return slash == std::string_view::npos ? std::string_view() : local_bucket.substr(slash + 1);
}

// The retention policy a name stands for: itself, or the default when omitted (and known).
std::string_view Effective(std::string_view rp, const std::optional<std::string>& default_rp) {
  return rp.empty() && default_rp ? std::string_view(*default_rp) : rp;
}

}  // namespace

std::vector<WriteTarget*> MatchTargets(const Routing& routing, const Destination& dest) {
  std::vector<WriteTarget*> out;
  for (const auto& target : routing.targets) {
    const config::ReplicationConfig& r = target->replication();
    bool match = false;
    if (dest.api == Api::kV2) {
      match = !dest.bucket.empty() &&
              (r.local_bucket == dest.bucket ||
               (!r.local_bucket_id.empty() && r.local_bucket_id == dest.bucket));
    }
    if (!match && dest.dbrp && !dest.db.empty()) {
      match = DbOf(r.local_bucket) == dest.db && Effective(RpOf(r.local_bucket), dest.default_rp) ==
                                                     Effective(dest.rp, dest.default_rp);
    }
    if (match && dest.api == Api::kV2 && !r.local_org.empty()) match = r.local_org == dest.org;
    if (match) out.push_back(target.get());
  }
  return out;
}

bool CoversDatabase(const Routing& routing, std::string_view db) {
  for (const auto& target : routing.targets) {
    if (DbOf(target->replication().local_bucket) == db) return true;
  }
  return false;
}

}  // namespace edgerepl::frontdoor
