// Leader election on a coordination.k8s.io/v1 Lease, with client-go's rules and defaults (15 s
// lease, 10 s renew deadline, 2 s retry):
// - a candidate takes the Lease when it is free (no holder) or when its holder has not renewed it
//   for leaseDurationSeconds as observed on this candidate's own clock (no clock-skew trust);
// - the leader renews every retry period; when it cannot renew within the renew deadline it stops
//   leading: IsLeader() turns false first, then OnStoppedLeading runs and must stop all reconciling
//   before returning, and the elector writes nothing more (the Lease stays until it expires);
// - Stop() while leading releases the Lease (holder cleared) so a successor need not wait.
// Every write carries the Lease's resourceVersion: two candidates never both win one round.
#pragma once

#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <string>

#include "common/clock.h"
#include "common/status.h"
#include "operator/kube/rest_client.h"

namespace edgerepl::kube {

struct LeaderElectionConfig {
  std::string lease_namespace;
  std::string lease_name;
  std::string identity;  // unique per process, e.g. "<pod name>_<random>"
  std::chrono::milliseconds lease_duration{15000};
  std::chrono::milliseconds renew_deadline{10000};
  std::chrono::milliseconds retry_period{2000};
  bool release_on_stop = true;

  // Called on the elector's thread when this candidate became leader.
  std::function<void()> on_started_leading;
  // Called on the elector's thread when leadership ended (lost, or Stop()). Must return only once
  // nothing more will be written on the old leadership's behalf.
  std::function<void()> on_stopped_leading;
  // Whenever the observed holder changes (including to this identity).
  std::function<void(const std::string& identity)> on_new_leader;
};

// Checks client-go's constraints: lease > renew deadline > 1.2 x retry, names and identity set.
Status ValidateLeaderElectionConfig(const LeaderElectionConfig& config);

class LeaderElector {
 public:
  // `client` must outlive the elector; `registry` may be null. The name label of
  // leader_election_master_status is the lease name.
  LeaderElector(RestClient& client, LeaderElectionConfig config,
                prometheus::Registry* registry = nullptr);

  // Campaigns, leads, and returns when leadership was lost or Stop() was called (after
  // on_stopped_leading ran and, on Stop(), the Lease was released). kInvalidArgument for a bad
  // config. Run once per elector.
  Status Run();
  // Thread-safe; Run() returns promptly.
  void Stop();

  // True while this identity holds the Lease and renewed it within the renew deadline: it turns
  // false on time even while a renewal request hangs, so it is a safe fence for writers.
  bool IsLeader() const;
  std::string observed_holder() const;

 private:
  // One acquire-or-renew round: ok when this identity holds the Lease afterwards.
  Status TryAcquireOrRenew();
  Status Release();
  // Records a Lease this elector wrote (it holds it now); announces a new leader if so.
  void NoteOwnWrite(std::chrono::steady_clock::time_point now, const std::string& renew_time,
                    Object lease);
  bool SleepUnlessStopped(std::chrono::milliseconds d);
  void SetLeader(bool leader);

  RestClient& client_;
  const LeaderElectionConfig config_;
  Clock& clock_;

  std::atomic<bool> leader_{false};
  std::atomic<int64_t> renewed_at_ns_{0};  // steady clock, of the last successful renewal
  RealRandom random_;
  std::atomic<bool> stopped_{false};
  mutable std::mutex mu_;
  std::condition_variable stop_cv_;
  std::string observed_holder_;                            // guarded by mu_
  std::string observed_record_;                            // holder+renewTime last seen
  std::chrono::steady_clock::time_point observed_time_{};  // when observed_record_ changed
  std::optional<Object> lease_;
  // When another holder's lease runs out as observed here; candidates wake then rather than a
  // whole retry period later.
  std::optional<std::chrono::steady_clock::time_point>
      other_expires_at_;  // the last Lease read or written
  prometheus::Gauge* master_status_ = nullptr;
};

}  // namespace edgerepl::kube
