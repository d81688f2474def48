// Every path other than the two write endpoints goes to the local InfluxDB unchanged (method,
// path, query, headers, body; the answer's status, headers and body come back as they are), so
// the agent can stand where clients expect InfluxDB. Answers are streamed: a chunked query
// result reaches the client piece by piece as InfluxDB sends it, never whole in the agent's
// memory. Request bodies (queries, not writes) are small and are read whole first.
#pragma once

#include <string>

#include "common/http/client.h"
#include "common/httpserver/server.h"

namespace edgerepl::frontdoor {

// The request headers to pass on: everything but hop-by-hop headers (RFC 9110 §7.6.1), Host and
// Content-Length (the client sets them for the new connection); Content-Encoding too when
// `drop_content_encoding` (the body was decoded).
http::Headers ForwardHeaders(const http::Headers& in, bool drop_content_encoding);

// `path` + "?" + `query` (no "?" when the query is empty).
std::string Target(const std::string& path, const std::string& query);

httpserver::Response FromLocal(const http::HttpResponse& response);

// 502 with InfluxDB-style error JSON, for a local InfluxDB that could not be reached.
httpserver::Response LocalUnreachable(const Status& status);

httpserver::Response Proxy(http::HttpClient& local, const httpserver::Request& request);

}  // namespace edgerepl::frontdoor
