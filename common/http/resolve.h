// Host name lookup that gives up at a request's deadline. getaddrinfo keeps only the resolver's
// own timeouts (resolv.conf: 5 s per try, per server, per attempt) and cannot be cancelled, so a
// remote whose DNS stopped answering would hold a request far past its timeout, and with it the
// sender's retries and the agent's shutdown.
#pragma once

#include <netdb.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "common/status.h"

namespace edgerepl::http {

using AddrInfoPtr = std::unique_ptr<addrinfo, decltype(&::freeaddrinfo)>;

// getaddrinfo's signature; a seam so tests can make a lookup slow. Must return a list that
// freeaddrinfo releases.
using LookupFn =
    std::function<int(const char* host, const char* port, const addrinfo* hints, addrinfo** out)>;

// Addresses of `host`:`port` for a TCP connection. A numeric host is converted at once; a name is
// looked up on a thread of its own, which is abandoned (left to finish and clean up) when the
// deadline passes first: kUnavailable "resolving <host>: no answer within the request timeout".
Result<AddrInfoPtr> ResolveTcp(const std::string& host, const std::string& port,
                               std::chrono::steady_clock::time_point deadline,
                               const LookupFn& lookup = {});

}  // namespace edgerepl::http
