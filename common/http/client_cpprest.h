// HttpClient over cpprestsdk. One cpprest http_client per instance (one remote base URL), so its
// connection pool keeps connections (and TLS sessions) alive between batches.
#pragma once

#include "common/http/client.h"

namespace edgerepl::http {

// Validates the options (URL syntax, readable TLS files) and builds the client.
Result<HttpClientPtr> MakeCpprestHttpClient(const HttpClientOptions& options);

}  // namespace edgerepl::http
