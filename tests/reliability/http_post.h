// One HTTP/1.1 request over a fresh loopback connection with a hard timeout, for load generators
// that must survive a peer killed mid-request (the test support helper blocks without limit).
#pragma once

#include <chrono>
#include <string>

namespace edgerepl::reliability {

struct HttpResult {
  int status = 0;  // 0: no answer (refused, reset, timeout)
  std::string body;
  std::string headers;  // raw header block, for Retry-After and the like
  std::chrono::microseconds latency{0};
};

HttpResult HttpCall(int port, const std::string& method, const std::string& target,
                    const std::string& body, std::chrono::milliseconds timeout,
                    const std::string& extra_headers = "");

}  // namespace edgerepl::reliability
