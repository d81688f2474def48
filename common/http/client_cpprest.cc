// The only file that sees cpprestsdk for outbound HTTP. Every library exception stops here and
// becomes a Status, so no exception crosses into the sender.
#include "common/http/client_cpprest.h"

#include "common/http/tls_diagnose.h"

#include <cpprest/http_client.h>

#include <algorithm>
#include <boost/asio/ssl.hpp>
#include <chrono>
#include <fstream>
#include <future>
#include <memory>

namespace edgerepl::http {
namespace {

// For an https remote: replaces cpprest's message for a failed request with the TLS cause, when
// TLS is what failed (tls_diagnose.h).
struct TlsProbe {
  bool https = false;
  std::string host;
  int port = 443;
  TlsOptions tls;
  std::string Explain(const std::string& message, std::chrono::milliseconds timeout) const {
    // A timeout is no TLS verdict, and probing a remote that does not answer would only add one.
    if (!https || message.find("timed out") != std::string::npos) return message;
    std::string cause =
        DiagnoseTls(host, port, tls, std::min(timeout, std::chrono::milliseconds(5000)));
    return cause.empty() ? message : cause;
  }
};

namespace web_http = web::http;
namespace web_client = web::http::client;

bool Readable(const std::string& path) {
  return std::ifstream(path).good();
}

// Slack past the configured timeout before a request is given up on from outside, so that
// cpprest's own timeout, with its own message, fires first whenever it can.
constexpr std::chrono::milliseconds kAbandonSlack{250};

class CpprestHttpClient final : public HttpClient {
 public:
  CpprestHttpClient(std::unique_ptr<web_client::http_client> client,
                    std::chrono::milliseconds timeout, TlsProbe probe)
      : client_(std::move(client)), timeout_(timeout), probe_(std::move(probe)) {}

  Result<HttpResponse> Send(const HttpRequest& request) override {
    try {
      web_http::http_request req(web_http::method(request.method));
      req.set_request_uri(web::uri(request.target));
      if (!request.body.empty()) {
        // Bytes as given: the caller compresses; cpprest must not transcode or compress.
        std::vector<unsigned char> body(request.body.begin(), request.body.end());
        req.set_body(std::move(body));
      }
      for (const auto& [k, v] : request.headers) req.headers()[k] = v;
      // cpprest's timeout does not cover the host name lookup, which can hang for the resolver's
      // own timeouts (5 s per try, server and attempt). The request is cancelled and abandoned at
      // our deadline instead; it owns its body, so it may finish later on cpprest's threads.
      pplx::cancellation_token_source cancel;
      auto answered = std::make_shared<std::promise<void>>();
      std::future<void> done = answered->get_future();
      pplx::task<web_http::http_response> pending = client_->request(req, cancel.get_token());
      pending.then([answered](const pplx::task<web_http::http_response>& finished) {
        // Observed here, or pplx terminates the process when an abandoned request later fails
        // (raise(SIGTRAP), std::terminate): the caller reads the outcome from `pending` itself.
        try {
          finished.get();
        } catch (...) {
        }
        answered->set_value();
      });
      if (done.wait_for(timeout_ + kAbandonSlack) != std::future_status::ready) {
        cancel.cancel();
        return Status::Unavailable("no answer within the request timeout (" +
                                   std::to_string(timeout_.count()) +
                                   " ms), host name lookup included");
      }
      web_http::http_response resp = pending.get();
      HttpResponse out;
      out.status = resp.status_code();
      for (const auto& [k, v] : resp.headers()) out.headers.emplace_back(k, v);
      std::vector<unsigned char> body = resp.extract_vector().get();
      out.body.assign(body.begin(), body.end());
      return out;
    } catch (const std::exception& e) {
      return Status::Unavailable(probe_.Explain(e.what(), timeout_));
    } catch (...) {
      return Status::Unavailable("unknown HTTP client failure");
    }
  }

 private:
  std::unique_ptr<web_client::http_client> client_;
  const std::chrono::milliseconds timeout_;
  const TlsProbe probe_;
};

}  // namespace

Result<HttpClientPtr> MakeCpprestHttpClient(const HttpClientOptions& options) {
  const TlsOptions& tls = options.tls;
  if (!tls.ca_file.empty() && !Readable(tls.ca_file)) {
    return Status::InvalidArgument("caFile not readable: " + tls.ca_file);
  }
  if (tls.client_cert_file.empty() != tls.client_key_file.empty()) {
    return Status::InvalidArgument("client certificate and key must be given together");
  }
  if (!tls.client_cert_file.empty() &&
      (!Readable(tls.client_cert_file) || !Readable(tls.client_key_file))) {
    return Status::InvalidArgument("client certificate or key not readable");
  }
  try {
    web::uri base(options.base_url);
    if (base.scheme() != "http" && base.scheme() != "https") {
      return Status::InvalidArgument("URL scheme must be http or https: " + options.base_url);
    }
    web_client::http_client_config config;
    config.set_timeout(std::chrono::duration_cast<std::chrono::microseconds>(options.timeout));
    config.set_validate_certificates(!tls.insecure_skip_verify);
    // cpprest has already loaded the system roots into the context when this runs; a caFile adds
    // the operator's CA, and a client certificate enables mutual TLS.
    config.set_ssl_context_callback([tls](boost::asio::ssl::context& ctx) {
      boost::system::error_code ec;
      if (!tls.ca_file.empty()) ctx.load_verify_file(tls.ca_file, ec);
      if (!tls.client_cert_file.empty()) {
        ctx.use_certificate_chain_file(tls.client_cert_file, ec);
        ctx.use_private_key_file(tls.client_key_file, boost::asio::ssl::context::pem, ec);
      }
    });
    auto client = std::make_unique<web_client::http_client>(base, config);
    TlsProbe probe;
    probe.https = base.scheme() == "https";
    probe.host = base.host();
    probe.port = base.port() > 0 ? base.port() : 443;
    probe.tls = tls;
    return HttpClientPtr(
        std::make_unique<CpprestHttpClient>(std::move(client), options.timeout, std::move(probe)));
  } catch (const std::exception& e) {
    return Status::InvalidArgument(std::string("invalid remote URL: ") + e.what());
  } catch (...) {
    return Status::InvalidArgument("invalid remote URL");
  }
}

}  // namespace edgerepl::http

#if defined(__SANITIZE_ADDRESS__)
// cpprestsdk finishes a failed request (closing its body streams) through pplx continuations on
// its own thread pool; when the process exits before that pool ran them, LeakSanitizer reports the
// pending tasks. Its pool threads also outlive main holding OpenSSL's per-thread error state
// (allocated by ERR_clear_error in asio's TLS engine, one per thread, freed at thread exit).
// libcrypto has no frame pointers, so those stacks end inside libcrypto and can only be matched
// there. Neither is a leak of ours; our own OpenSSL use (tls_diagnose.cc) holds every object in a
// unique_ptr. Weak, so another adapter may define the same hook.
extern "C" __attribute__((weak)) const char* __lsan_default_suppressions() {
  return "leak:libcpprest.so\n"
         "leak:pplx::details::\n"
         "leak:libcrypto.so\n";
}
#endif
