// What the write path needs from the running config: the local InfluxDB client, the limits and
// policies, and one WriteTarget per replication. The app builds an immutable Routing per config
// and swaps it on reload; a request keeps the snapshot it started with, so a reload never changes
// the rules in the middle of a write.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "agent/frontdoor/intent.h"
#include "common/config/config.h"
#include "common/http/client.h"
#include "common/status.h"

namespace edgerepl::frontdoor {

// One replication's queue as the write path sees it.
class WriteTarget {
 public:
  virtual ~WriteTarget() = default;
  virtual const config::ReplicationConfig& replication() const = 0;
  // Whether `bytes` more fit now (queueFullPolicy reject checks before the local write).
  virtual bool HasRoomFor(uint64_t bytes) const = 0;
  // Returns once the record is durable per the configured durability. kNoSpace when the queue is
  // full (nothing was written); kAborted when the replication was removed by a reload meanwhile.
  virtual Status Append(std::string_view payload, uint32_t points) = 0;
  virtual void CountDropped(uint64_t points, uint64_t bytes, std::string_view reason) = 0;
};
using WriteTargetPtr = std::shared_ptr<WriteTarget>;

struct Routing {
  std::shared_ptr<http::HttpClient> local;  // the local InfluxDB
  uint64_t max_body_bytes = config::kDefaultMaxBodyBytes;
  config::QueueFullPolicy queue_full_policy = config::QueueFullPolicy::kDrop;
  std::string instance_id;  // empty: no _instance_id tag
  std::vector<WriteTargetPtr> targets;
  // Where local writes are recorded before they are sent (intent.h); null: not recorded.
  std::shared_ptr<IntentLog> intents;
};

enum class Api { kV2, kV1 };

// The targets whose localBucket (or localBucketID) and localOrg match a write (DESIGN.md §2.4).
// v2: `bucket` as the client sent it (name or ID), `org` when the replication names one.
// v1: "db", or "db/rp" when rp is given. Measurement filters are not applied here.
std::vector<WriteTarget*> MatchTargets(const Routing& routing, Api api, std::string_view org,
                                       std::string_view bucket, std::string_view db,
                                       std::string_view rp);

}  // namespace edgerepl::frontdoor
