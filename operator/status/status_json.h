// Status values to and from the API's JSON. Decoding the stored status lets the poller compare
// it with the computed one and patch only on a real change; unknown fields are ignored.
#pragma once

#include <cpprest/json.h>

#include "operator/status/replication_status.h"

namespace edgerepl::op {

web::json::value ConditionsToJson(const std::vector<Condition>& conditions);
std::vector<Condition> ConditionsFromJson(const web::json::value* conditions);

web::json::value ToJson(const ReplicationStatus& status);
web::json::value ToJson(const RemoteStatus& status);

// From a whole object (reads its "status"); a missing status gives the zero value.
ReplicationStatus ReplicationStatusFromObject(const web::json::value& object);
RemoteStatus RemoteStatusFromObject(const web::json::value& object);

// The merge-patch body for the /status subresource: {"status": status}.
web::json::value StatusPatch(web::json::value status);

}  // namespace edgerepl::op
