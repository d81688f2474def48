// fmt (through spdlog) must be seen before cpprestsdk's headers: fmt 9 fails to compile the other
// way round.
#include <spdlog/spdlog.h>

#include "operator/kube/leader_election.h"

#include <algorithm>

#include "common/codec/rfc3339.h"

namespace edgerepl::kube {
namespace {

int64_t SteadyNanos(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}

web::json::value Str(const std::string& s) {
  return web::json::value::string(s);
}

}  // namespace

Status ValidateLeaderElectionConfig(const LeaderElectionConfig& c) {
  if (c.lease_name.empty() || c.lease_namespace.empty()) {
    return Status::InvalidArgument("leader election: lease name and namespace are required");
  }
  if (c.identity.empty()) return Status::InvalidArgument("leader election: identity is required");
  if (c.lease_duration <= c.renew_deadline) {
    return Status::InvalidArgument(
        "leader election: lease duration must exceed the renew deadline");
  }
  if (c.renew_deadline.count() * 10 <= c.retry_period.count() * 12) {
    return Status::InvalidArgument(
        "leader election: renew deadline must exceed 1.2 x the retry period");
  }
  if (c.lease_duration < std::chrono::seconds(1) ||
      c.retry_period <= std::chrono::milliseconds(0)) {
    return Status::InvalidArgument("leader election: durations too small");
  }
  return Status::Ok();
}

LeaderElector::LeaderElector(RestClient& client, LeaderElectionConfig config,
                             prometheus::Registry* registry)
    : client_(client), config_(std::move(config)), clock_(client.clock()) {
  if (registry != nullptr) {
    master_status_ = &prometheus::BuildGauge()
                          .Name("leader_election_master_status")
                          .Help("1 while this process leads (holds the Lease), else 0.")
                          .Register(*registry)
                          .Add({{"name", config_.lease_name}});
  }
}

bool LeaderElector::IsLeader() const {
  if (!leader_.load()) return false;
  int64_t since = SteadyNanos(clock_.Now()) - renewed_at_ns_.load();
  return since <
         std::chrono::duration_cast<std::chrono::nanoseconds>(config_.renew_deadline).count();
}

std::string LeaderElector::observed_holder() const {
  std::lock_guard<std::mutex> lock(mu_);
  return observed_holder_;
}

void LeaderElector::Stop() {
  std::lock_guard<std::mutex> lock(mu_);
  stopped_.store(true);
  stop_cv_.notify_all();
}

bool LeaderElector::SleepUnlessStopped(std::chrono::milliseconds d) {
  std::unique_lock<std::mutex> lock(mu_);
  return !stop_cv_.wait_for(lock, d, [&] { return stopped_.load(); });
}

void LeaderElector::SetLeader(bool leader) {
  leader_.store(leader);
  if (master_status_) master_status_->Set(leader ? 1 : 0);
}

Status LeaderElector::TryAcquireOrRenew() {
  const auto now = clock_.Now();
  const std::string now_wall = codec::FormatRfc3339(clock_.WallNow(), codec::Fraction::kMicros);
  const int64_t duration_s =
      std::chrono::duration_cast<std::chrono::seconds>(config_.lease_duration).count();

  Result<Object> got = client_.Get(LeasesType(), config_.lease_namespace, config_.lease_name);
  if (!got.ok() && got.status().code() != StatusCode::kNotFound) return got.status();
  if (!got.ok()) {
    Object lease;
    lease.set_type(LeasesType());
    lease.set_name(config_.lease_name);
    lease.set_namespace(config_.lease_namespace);
    web::json::value spec = web::json::value::object();
    spec["holderIdentity"] = Str(config_.identity);
    spec["leaseDurationSeconds"] = web::json::value::number(duration_s);
    spec["acquireTime"] = Str(now_wall);
    spec["renewTime"] = Str(now_wall);
    spec["leaseTransitions"] = web::json::value::number(0);
    lease.json()["spec"] = spec;
    Result<Object> created = client_.Create(LeasesType(), config_.lease_namespace, lease);
    if (!created.ok()) return created.status();
    NoteOwnWrite(now, now_wall, std::move(*created));
    return Status::Ok();
  }

  Object lease = std::move(*got);
  const web::json::value& spec = lease.spec();
  const std::string holder = Object::StringField(spec, "holderIdentity");
  const std::string renew_time = Object::StringField(spec, "renewTime");
  const int64_t held_for_s = Object::IntField(spec, "leaseDurationSeconds").value_or(duration_s);
  const int64_t transitions = Object::IntField(spec, "leaseTransitions").value_or(0);
  Status held;
  bool announce = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    // Expiry is judged by when *this* process saw the record change, never by the holder's
    // timestamps, so clock skew between nodes cannot hand out the lease early.
    std::string record = holder + "|" + renew_time;
    if (record != observed_record_) {
      observed_record_ = record;
      observed_time_ = now;
    }
    if (holder != observed_holder_) {
      observed_holder_ = holder;
      announce = !holder.empty();
    }
    other_expires_at_.reset();
    if (!holder.empty() && holder != config_.identity &&
        observed_time_ + std::chrono::seconds(held_for_s) > now) {
      other_expires_at_ = observed_time_ + std::chrono::seconds(held_for_s);
      held = Status::Unavailable("lease " + config_.lease_namespace + "/" + config_.lease_name +
                                 " is held by " + holder);
    }
  }
  // Callbacks run without the lock: they may well ask observed_holder().
  if (announce && config_.on_new_leader) config_.on_new_leader(holder);
  if (!held.ok()) return held;

  web::json::value new_spec = spec.is_object() ? spec : web::json::value::object();
  new_spec["holderIdentity"] = Str(config_.identity);
  new_spec["leaseDurationSeconds"] = web::json::value::number(duration_s);
  new_spec["renewTime"] = Str(now_wall);
  if (holder != config_.identity) {
    new_spec["acquireTime"] = Str(now_wall);
    new_spec["leaseTransitions"] = web::json::value::number(transitions + 1);
  }
  lease.json()["spec"] = new_spec;
  // The read's resourceVersion rides along: a concurrent writer makes this a 409, not a tie.
  Result<Object> updated = client_.Update(LeasesType(), lease);
  if (!updated.ok()) return updated.status();
  NoteOwnWrite(now, now_wall, std::move(*updated));
  return Status::Ok();
}

void LeaderElector::NoteOwnWrite(std::chrono::steady_clock::time_point now,
                                 const std::string& renew_time, Object lease) {
  bool announce = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    observed_record_ = config_.identity + "|" + renew_time;
    observed_time_ = now;
    if (observed_holder_ != config_.identity) {
      observed_holder_ = config_.identity;
      announce = true;
    }
    lease_ = std::move(lease);
  }
  if (announce && config_.on_new_leader) config_.on_new_leader(config_.identity);
}

Status LeaderElector::Release() {
  std::optional<Object> lease;
  {
    std::lock_guard<std::mutex> lock(mu_);
    lease = lease_;
  }
  if (!lease) return Status::Ok();
  const std::string now_wall = codec::FormatRfc3339(clock_.WallNow(), codec::Fraction::kMicros);
  web::json::value spec = lease->spec().is_object() ? lease->spec() : web::json::value::object();
  if (Object::StringField(spec, "holderIdentity") != config_.identity) return Status::Ok();
  // client-go's release: no holder, a one-second lease, so successors take over at once.
  spec["holderIdentity"] = Str("");
  spec["leaseDurationSeconds"] = web::json::value::number(1);
  spec["renewTime"] = Str(now_wall);
  spec["acquireTime"] = Str(now_wall);
  lease->json()["spec"] = spec;
  Result<Object> updated = client_.Update(LeasesType(), *lease);
  if (!updated.ok()) return updated.status();
  std::lock_guard<std::mutex> lock(mu_);
  lease_ = std::move(*updated);
  return Status::Ok();
}

Status LeaderElector::Run() {
  EDGEREPL_RETURN_IF_ERROR(ValidateLeaderElectionConfig(config_));
  const auto retry = config_.retry_period;
  // Candidates retry with up to 1.2 x the period of jitter (client-go's JitterUntil factor) so
  // they do not hit the Lease in lockstep.
  auto jittered = [&] {
    auto extra =
        static_cast<int64_t>(random_.Uniform(static_cast<uint64_t>(retry.count() * 12 / 10) + 1));
    return retry + std::chrono::milliseconds(extra);
  };
  for (;;) {
    if (stopped_.load()) return Status::Ok();
    Status s = TryAcquireOrRenew();
    if (s.ok()) break;
    spdlog::debug("leader election {}/{}: {}", config_.lease_namespace, config_.lease_name,
                  s.ToString());
    auto wait = jittered();
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (other_expires_at_) {
        auto until = std::chrono::duration_cast<std::chrono::milliseconds>(*other_expires_at_ -
                                                                           clock_.Now()) +
                     std::chrono::milliseconds(10);
        wait = std::clamp(until, std::chrono::milliseconds(10), wait);
      }
    }
    if (!SleepUnlessStopped(wait)) return Status::Ok();
  }
  renewed_at_ns_.store(SteadyNanos(clock_.Now()));
  SetLeader(true);
  spdlog::info("leader election: {} now leads {}/{}", config_.identity, config_.lease_namespace,
               config_.lease_name);
  if (config_.on_started_leading) config_.on_started_leading();

  bool lost = false;
  while (SleepUnlessStopped(retry)) {
    auto attempt_start = clock_.Now();
    Status s = TryAcquireOrRenew();
    if (s.ok()) {
      renewed_at_ns_.store(SteadyNanos(attempt_start));
      continue;
    }
    spdlog::warn("leader election: renewing {}/{} failed: {}", config_.lease_namespace,
                 config_.lease_name, s.ToString());
    // Someone else holds it (we were too slow), or the deadline passed: stop leading now.
    std::string holder = observed_holder();
    bool taken = !holder.empty() && holder != config_.identity;
    if (taken || !IsLeader()) {
      lost = true;
      break;
    }
  }
  SetLeader(false);
  if (lost) {
    spdlog::error("leader election: {} lost {}/{}", config_.identity, config_.lease_namespace,
                  config_.lease_name);
  }
  if (config_.on_stopped_leading) config_.on_stopped_leading();
  if (lost) return Status::Aborted("leadership lost");
  if (config_.release_on_stop) {
    Status r = Release();
    if (!r.ok()) spdlog::warn("leader election: releasing the lease failed: {}", r.ToString());
  }
  return Status::Ok();
}

}  // namespace edgerepl::kube
