// The HTTPS listener the API server calls. Admission webhooks must be served over TLS, which the
// plain-socket server of common/httpserver does not speak; this adapter puts the same
// Request -> Response handlers behind cpprestsdk's listener (the library is seen only in
// tls_server_cpprest.cc).
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "common/httpserver/server.h"
#include "common/status.h"

namespace edgerepl::webhook {

// The current certificate chain and key (PEM). Called for each TLS context the listener makes,
// so a certificate renewed on disk (cert-manager) is served without a restart where the library
// builds contexts per connection; otherwise from the next start.
struct ServingCert {
  std::string cert_pem;
  std::string key_pem;
};
using CertSource = std::function<Result<ServingCert>()>;

class TlsServer {
 public:
  virtual ~TlsServer() = default;
  // `listen` is ":9443" or "127.0.0.1:9443" (a fixed port: the library cannot report one it
  // chose). kUnavailable when it cannot listen or the certificate is unusable.
  static Result<std::unique_ptr<TlsServer>> Start(const std::string& listen, CertSource certs,
                                                  httpserver::Handler handler);
  virtual void Stop() = 0;
};
using TlsServerPtr = std::unique_ptr<TlsServer>;

}  // namespace edgerepl::webhook
