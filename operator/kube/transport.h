// The HTTP seam of the Kubernetes client. Unlike common/http/client.h (whole answers), a watch is
// an answer that never ends: Stream() returns once the headers arrived and hands out the body as
// it comes. Unit tests feed chunks through a fake; production uses cpprestsdk
// (transport_cpprest.h).
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "common/http/client.h"
#include "common/status.h"

namespace edgerepl::kube {

// The body of a streaming answer.
class BodyStream {
 public:
  virtual ~BodyStream() = default;
  // Appends the next bytes to `out` (as many as have arrived, at least one) and returns true;
  // returns false at the end of the body. kUnavailable when the connection broke or nothing
  // arrived within `idle_timeout`; kAborted after Cancel().
  virtual Result<bool> Read(std::string* out, std::chrono::milliseconds idle_timeout) = 0;
  // Ends a Read() blocked in another thread and closes the connection. Thread-safe.
  virtual void Cancel() = 0;
};
using BodyStreamPtr = std::unique_ptr<BodyStream>;

struct StreamResponse {
  int status = 0;
  http::Headers headers;
  BodyStreamPtr body;  // never null on success
};

class Transport {
 public:
  virtual ~Transport() = default;
  // One request, whole answer. Any HTTP status is an ok Result; transport failures are
  // kUnavailable. Thread-safe.
  virtual Result<http::HttpResponse> Send(const http::HttpRequest& request) = 0;
  // One request whose body is read incrementally. Thread-safe.
  virtual Result<StreamResponse> Stream(const http::HttpRequest& request) = 0;
};
using TransportPtr = std::unique_ptr<Transport>;

}  // namespace edgerepl::kube
