// What the write path needs from the running config: the local InfluxDB client, the limits and
// policies, and one WriteTarget per replication. The app builds an immutable Routing per config
// and swaps it on reload; a request keeps the snapshot it started with, so a reload never changes
// the rules in the middle of a write.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "agent/frontdoor/intent.h"
#include "common/config/config.h"
#include "common/http/client.h"
#include "common/status.h"

namespace edgerepl::frontdoor {
class LocalInfo;
}

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
  // A replicated delete was queued or, by the front door, dropped (sender::kDeleteResults).
  virtual void CountDelete(std::string_view result) = 0;
};
using WriteTargetPtr = std::shared_ptr<WriteTarget>;

struct Routing {
  std::shared_ptr<http::HttpClient> local;  // the local InfluxDB
  uint64_t max_body_bytes = config::kDefaultMaxBodyBytes;
  config::QueueFullPolicy queue_full_policy = config::QueueFullPolicy::kDrop;
  std::string instance_id;  // empty: no _instance_id tag
  std::vector<WriteTargetPtr> targets;
  // What is learned about the local (default retention policies, v2 support); null: nothing is
  // learned, names match literally and v2 writes are never translated.
  std::shared_ptr<LocalInfo> local_info;
  // Where local writes are recorded before they are sent (intent.h); null: not recorded.
  std::shared_ptr<IntentLog> intents;
};

enum class Api { kV2, kV1 };

// Where a write goes, as the matching sees it.
struct Destination {
  Api api = Api::kV2;
  std::string org, bucket;  // v2, as the client sent them
  // v1 db and rp; for v2 in front of a 1.x local, the bucket split as 1.8 maps it ("db/rp").
  std::string db, rp;
  bool dbrp = false;  // db/rp names apply (v1, or v2 in front of a 1.x local)
  // The database's default retention policy when known: "db", "db/<default>" and a v2
  // "db/<default>" are then the same data.
  std::optional<std::string> default_rp;
};

// The targets whose localBucket (or localBucketID) and localOrg match a write (DESIGN.md §2.4).
// v2: `bucket` as the client sent it (name or ID), `org` when the replication names one. With
// db/rp names: localBucket "db" or "db/rp" matches when the database is the same and the
// retention policies are, an omitted one standing for the default. Measurement filters are not
// applied here.
std::vector<WriteTarget*> MatchTargets(const Routing& routing, const Destination& dest);

// Whether some replication's localBucket names database `db` (so a write there that no
// replication takes is a gap worth counting).
bool CoversDatabase(const Routing& routing, std::string_view db);

}  // namespace edgerepl::frontdoor
