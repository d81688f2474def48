// The outbound HTTP seam. Callers build an HttpRequest and get an HttpResponse or a transport
// error as a Status (kUnavailable: refused, reset, TLS failure, timeout). No library type appears
// here, so tests swap in a fake and production uses the cpprestsdk adapter (client_cpprest.h).
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "common/status.h"

namespace edgerepl::http {

using Headers = std::vector<std::pair<std::string, std::string>>;

struct HttpRequest {
  std::string method = "POST";
  // Path and query relative to the client's base URL, e.g. "/api/v2/write?org=a&bucket=b".
  std::string target;
  Headers headers;
  std::string body;
};

struct HttpResponse {
  int status = 0;
  Headers headers;  // names as the server sent them; look up with FindHeader
  std::string body;
};

// Case-insensitive header lookup; nullptr when absent.
const std::string* FindHeader(const Headers& headers, std::string_view name);

struct TlsOptions {
  std::string ca_file;           // empty: system roots
  std::string client_cert_file;  // PEM; both or neither with the key
  std::string client_key_file;
  bool insecure_skip_verify = false;
};

struct HttpClientOptions {
  std::string base_url;  // scheme://host[:port][/prefix]; the prefix is prepended to every target
  std::chrono::milliseconds timeout{30000};
  TlsOptions tls;
};

// An answer's body read piece by piece, for a proxy that passes it on as it arrives.
class BodyReader {
 public:
  virtual ~BodyReader() = default;
  // Replaces `*piece` with the next part of the body; an empty piece is the end. An error means
  // the body was cut short (reset, timeout).
  virtual Status Next(std::string* piece) = 0;
};

struct StreamedResponse {
  int status = 0;
  Headers headers;
  std::unique_ptr<BodyReader> body;  // never null
  // The whole body was read before returning (the default SendStreamed): one Next() gives it.
  bool buffered = false;
};

class HttpClient {
 public:
  virtual ~HttpClient() = default;
  // Sends one request and waits for the whole answer. Any HTTP status is a response (ok Result);
  // only transport failures are errors. Thread-safe; connections are reused between calls.
  virtual Result<HttpResponse> Send(const HttpRequest& request) = 0;
  // Sends one request and returns once the answer's head is in; the body is read from the
  // result. This default reads the whole answer first, for adapters that cannot stream.
  virtual Result<StreamedResponse> SendStreamed(const HttpRequest& request);
};
using HttpClientPtr = std::unique_ptr<HttpClient>;

}  // namespace edgerepl::http
