// Leader election on a coordination.k8s.io/v1 Lease, with client-go's defaults: a 15 s lease,
// renewed every retry period (2 s); leadership counts as lost when no renewal succeeded for the
// renew deadline (10 s), so a partitioned leader stops writing before anyone else may start.
// Another holder's lease is taken only after it was seen unchanged for a whole lease duration on
// this process's own clock (clocks of different machines are never compared).
#pragma once

#include <chrono>
#include <string>

#include "common/clock.h"
#include "operator/cluster/api_client.h"

namespace edgerepl::op {

struct LeaseOptions {
  std::string ns;
  std::string name = "edgerepl-operator";
  std::string identity;
  std::chrono::seconds lease_duration{15};
  std::chrono::seconds renew_deadline{10};
  std::chrono::seconds retry_period{2};
};

class LeaseElector {
 public:
  // `api` and `clock` must outlive the elector.
  LeaseElector(ApiClient& api, const Clock& clock, LeaseOptions options);

  // One attempt to acquire or renew; true when this process holds the lease afterwards.
  bool TryAcquireOrRenew();
  // True while the last successful renewal is within the renew deadline.
  bool StillLeader() const;
  // Gives the lease up (holder cleared), so a successor need not wait for it to expire.
  void Release();

  const LeaseOptions& options() const { return options_; }

 private:
  web::json::value Spec(bool acquire, int transitions) const;

  ApiClient& api_;
  const Clock& clock_;
  LeaseOptions options_;
  std::string observed_record_;  // holder + renewTime last seen
  std::chrono::steady_clock::time_point observed_at_{};
  std::chrono::steady_clock::time_point renewed_at_{};
  bool leader_ = false;
};

}  // namespace edgerepl::op
