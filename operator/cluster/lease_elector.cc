#include "operator/cluster/lease_elector.h"

#include <cstdio>
#include <ctime>

namespace edgerepl::op {
namespace {

std::string MicroTime(std::chrono::system_clock::time_point t) {
  std::time_t secs = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[40];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  auto us =
      std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count() % 1000000;
  char out[64];
  std::snprintf(out, sizeof out, "%s.%06lldZ", buf, static_cast<long long>(us));
  return out;
}

std::string StrAt(const web::json::value& v, const char* a, const char* b) {
  if (!v.has_object_field(a)) return "";
  const web::json::value& o = v.at(a);
  return o.has_string_field(b) ? o.at(b).as_string() : "";
}

}  // namespace

LeaseElector::LeaseElector(ApiClient& api, const Clock& clock, LeaseOptions options)
    : api_(api), clock_(clock), options_(std::move(options)) {}

web::json::value LeaseElector::Spec(bool acquire, int transitions) const {
  using web::json::value;
  value spec = value::object();
  spec["holderIdentity"] = value::string(options_.identity);
  spec["leaseDurationSeconds"] = value::number(static_cast<int>(options_.lease_duration.count()));
  std::string now = MicroTime(clock_.WallNow());
  spec["renewTime"] = value::string(now);
  if (acquire) spec["acquireTime"] = value::string(now);
  spec["leaseTransitions"] = value::number(transitions);
  return spec;
}

bool LeaseElector::TryAcquireOrRenew() {
  const std::string path =
      ObjectPath("coordination.k8s.io/v1", "leases", options_.ns, options_.name);
  const auto now = clock_.Now();
  Result<web::json::value> current = api_.Get(path);
  if (!current.ok() && current.status().code() == StatusCode::kNotFound) {
    web::json::value lease = web::json::value::object();
    lease["apiVersion"] = web::json::value::string("coordination.k8s.io/v1");
    lease["kind"] = web::json::value::string("Lease");
    lease["metadata"] = web::json::value::object();
    lease["metadata"]["name"] = web::json::value::string(options_.name);
    lease["metadata"]["namespace"] = web::json::value::string(options_.ns);
    lease["spec"] = Spec(true, 0);
    Result<web::json::value> created =
        api_.Create(CollectionPath("coordination.k8s.io/v1", "leases", options_.ns), lease);
    leader_ = created.ok();
    if (leader_) renewed_at_ = now;
    return leader_;
  }
  if (!current.ok()) return leader_ = StillLeader();

  web::json::value lease = *current;
  std::string holder = StrAt(lease, "spec", "holderIdentity");
  std::string record = holder + "@" + StrAt(lease, "spec", "renewTime");
  if (record != observed_record_) {
    observed_record_ = record;
    observed_at_ = now;
  }
  int transitions = 0;
  if (lease.has_object_field("spec") && lease.at("spec").has_integer_field("leaseTransitions")) {
    transitions = lease.at("spec").at("leaseTransitions").as_integer();
  }
  const bool mine = holder == options_.identity;
  if (!mine && !holder.empty() && now - observed_at_ < options_.lease_duration) {
    leader_ = false;  // held by someone alive
    return false;
  }
  // Update with the resourceVersion read above: a concurrent taker gets 409 and loses.
  lease["spec"] = Spec(!mine, mine ? transitions : transitions + 1);
  if (mine && current->at("spec").has_string_field("acquireTime")) {
    lease["spec"]["acquireTime"] = current->at("spec").at("acquireTime");
  }
  Result<web::json::value> updated = api_.Update(path, lease);
  if (updated.ok()) {
    renewed_at_ = now;
    leader_ = true;
    observed_record_.clear();
    return true;
  }
  return leader_ = mine && StillLeader();
}

bool LeaseElector::StillLeader() const {
  return leader_ && clock_.Now() - renewed_at_ < options_.renew_deadline;
}

void LeaseElector::Release() {
  if (!leader_) return;
  const std::string path =
      ObjectPath("coordination.k8s.io/v1", "leases", options_.ns, options_.name);
  Result<web::json::value> current = api_.Get(path);
  leader_ = false;
  if (!current.ok() || StrAt(*current, "spec", "holderIdentity") != options_.identity) return;
  web::json::value lease = *current;
  lease["spec"]["holderIdentity"] = web::json::value::string("");
  lease["spec"]["leaseDurationSeconds"] = web::json::value::number(1);
  lease["spec"]["renewTime"] = web::json::value::string(MicroTime(clock_.WallNow()));
  (void)api_.Update(path, lease);
}

}  // namespace edgerepl::op
