// InfluxDB 1.x answers a /query with 200 even when a statement failed: the failure is in the
// body, {"results":[{"statement_id":0,"error":"..."}]}, or {"error":"..."} for the whole request.
// The front door (was the local delete applied?) and the sender (was the remote's?) ask the same.
#pragma once

#include <string>
#include <string_view>

namespace edgerepl::deletes {

// The first error the answer reports, empty when every statement succeeded. A body that is not
// such a JSON object is an error too ("unreadable answer: ...").
std::string QueryAnswerError(std::string_view body);

}  // namespace edgerepl::deletes
