// HttpClient for plain http:// over Boost.Beast on our own sockets, for the agent's local
// InfluxDB and its http:// remotes: the write path, the proxy and the sender's request threads
// call it on their own thread, with no task hand-off and no body copy into a library request
// type. Connections are kept alive in a small pool. https:// keeps the cpprestsdk adapter
// (client_cpprest.h).
#pragma once

#include "common/http/client.h"
#include "common/http/resolve.h"

namespace edgerepl::http {

// kInvalidArgument unless `options.base_url` is http://host[:port][/prefix]. Host names are
// looked up with `lookup` (getaddrinfo when empty) within each request's timeout.
Result<HttpClientPtr> MakeBeastHttpClient(const HttpClientOptions& options, LookupFn lookup = {});

// Beast for http://, cpprestsdk for https:// (TLS, certificate options).
Result<HttpClientPtr> MakeHttpClient(const HttpClientOptions& options);

}  // namespace edgerepl::http
