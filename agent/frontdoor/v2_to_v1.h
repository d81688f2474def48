// v2 writes in front of a local InfluxDB 1.x that has no /api/v2/write (1.7 and older; 1.8 has
// one): the agent translates the request to a v1 write as InfluxDB 1.8 maps it, and the answer
// back into v2's shape, so the v2 client libraries work against any local (docs/agent-api.md).
//
//   bucket=db/rp -> db=db&rp=rp       bucket=db -> db=db (the database's default policy)
//   Authorization: Token user:pass -> Authorization: Basic base64(user:pass)
//   org is ignored, as 1.8 ignores it.
#pragma once

#include <string>
#include <string_view>

#include "agent/frontdoor/routing.h"
#include "common/http/client.h"

namespace edgerepl::frontdoor {

struct DbRp {
  std::string db;
  std::string rp;  // empty: the database's default
};

// "db/rp" -> {db, rp}; "db" -> {db, ""} (InfluxDB 1.8's mapping of a v2 bucket).
DbRp SplitBucket(std::string_view bucket);

// The Authorization header a 1.x server reads for a client's header: "Token user:password"
// becomes Basic (InfluxDB 1.8 reads Token, 1.7 and older only Basic); others are unchanged.
std::string V1Authorization(const std::string& authorization);

// Whether a local answer to POST /api/v2/write says the endpoint does not exist: a 404 that is
// Go's plain "404 page not found", not a 2.x JSON "bucket not found".
bool IsMissingV2Endpoint(const http::HttpResponse& answer);

// The v1 request for a v2 write of `body` to `bucket`: target /write?db=&rp= (no precision: the
// body is normalized to nanoseconds), headers with a Token credential rewritten as Basic.
http::HttpRequest ToV1Write(const http::HttpRequest& v2, std::string_view bucket);

class LocalInfo;

// Sends a write to the local: `*request` as built for the client's API; for a v2 write (`api` v2)
// in front of a local known to lack /api/v2/write, or answering so now (then remembered in
// `info`), the v1 write instead, which replaces `*request` and sets `*translated`. `info` may be
// null (nothing learned, never translated).
Result<http::HttpResponse> SendLocalWrite(http::HttpClient& local, LocalInfo* info, Api api,
                                          std::string_view bucket, http::HttpRequest* request,
                                          bool* translated);

// A 1.x answer (`{"error":"…"}` or empty) in 2.x's shape (`{"code":…,"message":…}`).
http::HttpResponse ToV2Answer(const http::HttpResponse& v1);

}  // namespace edgerepl::frontdoor
