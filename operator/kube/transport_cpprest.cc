// The only file of the Kubernetes client that sees cpprestsdk's HTTP types. Every library exception
// stops here and becomes a Status.
#include "operator/kube/transport_cpprest.h"

#include <cpprest/http_client.h>

#include <boost/asio/ssl.hpp>
#include <condition_variable>
#include <functional>
#include <mutex>

namespace edgerepl::kube {
namespace {

namespace web_http = web::http;
namespace web_client = web::http::client;
using ByteBuf = concurrency::streams::streambuf<uint8_t>;

web_http::http_request ToCpprest(const http::HttpRequest& request) {
  web_http::http_request req(web_http::method(request.method));
  req.set_request_uri(web::uri(request.target));
  for (const auto& [k, v] : request.headers) req.headers()[k] = v;
  if (!request.body.empty()) {
    std::vector<unsigned char> body(request.body.begin(), request.body.end());
    req.set_body(std::move(body));
    // set_body(vector) sets application/octet-stream; the caller's type wins.
    for (const auto& [k, v] : request.headers) {
      if (utility::details::str_iequal(k, "Content-Type")) req.headers().set_content_type(v);
    }
  }
  return req;
}

http::Headers FromCpprest(const web_http::http_headers& headers) {
  http::Headers out;
  for (const auto& [k, v] : headers) out.emplace_back(k, v);
  return out;
}

// The completion of one asynchronous read, shared with its continuation (which may run after the
// reader gave up waiting).
struct PendingRead {
  std::mutex mu;
  std::condition_variable cv;
  bool done = false;
  int value = 0;
  std::string error;
};

class CpprestBodyStream final : public BodyStream {
 public:
  CpprestBodyStream(web_http::http_response response, pplx::cancellation_token_source cts)
      : response_(std::move(response)), cts_(std::move(cts)) {}

  // An unfinished watch would otherwise keep streaming into memory: close the connection.
  ~CpprestBodyStream() override { cts_.cancel(); }

  Result<bool> Read(std::string* out, std::chrono::milliseconds idle_timeout) override {
    if (cancelled_.load()) return Status::Aborted("watch cancelled");
    try {
      ByteBuf buf = response_.body().streambuf();
      size_t avail = buf.in_avail();
      if (avail == 0) {
        auto pending = std::make_shared<PendingRead>();
        {
          std::lock_guard<std::mutex> lock(mu_);
          pending_ = pending;
        }
        buf.bumpc().then([pending](pplx::task<ByteBuf::int_type> t) {
          std::lock_guard<std::mutex> lock(pending->mu);
          try {
            pending->value = t.get();
          } catch (const std::exception& e) {
            pending->error = e.what();
            if (pending->error.empty()) pending->error = "read failed";
          } catch (...) {
            pending->error = "read failed";
          }
          pending->done = true;
          pending->cv.notify_all();
        });
        std::unique_lock<std::mutex> lock(pending->mu);
        bool arrived = pending->cv.wait_for(lock, idle_timeout,
                                            [&] { return pending->done || cancelled_.load(); });
        if (!pending->done) {
          // Idle or cancelled: closing the connection completes the read with an error.
          cts_.cancel();
          pending->cv.wait_for(lock, std::chrono::seconds(10), [&] { return pending->done; });
          if (cancelled_.load()) return Status::Aborted("watch cancelled");
          (void)arrived;
          return Status::Unavailable("no data from the API server for " +
                                     std::to_string(idle_timeout.count()) + " ms");
        }
        if (!pending->error.empty()) {
          if (cancelled_.load()) return Status::Aborted("watch cancelled");
          return Status::Unavailable("watch stream broken: " + pending->error);
        }
        if (pending->value == ByteBuf::traits::eof()) return false;
        out->push_back(static_cast<char>(pending->value));
        avail = buf.in_avail();
      }
      if (avail > 0) {
        std::vector<uint8_t> tmp(std::min<size_t>(avail, 1 << 16));
        size_t n = buf.getn(tmp.data(), tmp.size()).get();
        out->append(reinterpret_cast<const char*>(tmp.data()), n);
      }
      return true;
    } catch (const std::exception& e) {
      if (cancelled_.load()) return Status::Aborted("watch cancelled");
      return Status::Unavailable(std::string("watch stream broken: ") + e.what());
    } catch (...) {
      return Status::Unavailable("watch stream broken");
    }
  }

  void Cancel() override {
    cancelled_.store(true);
    cts_.cancel();
    std::shared_ptr<PendingRead> pending;
    {
      std::lock_guard<std::mutex> lock(mu_);
      pending = pending_;
    }
    if (pending) {
      std::lock_guard<std::mutex> lock(pending->mu);
      pending->cv.notify_all();
    }
  }

 private:
  web_http::http_response response_;
  pplx::cancellation_token_source cts_;
  std::atomic<bool> cancelled_{false};
  std::mutex mu_;
  std::shared_ptr<PendingRead> pending_;
};

using ClientFactory = std::function<std::shared_ptr<web_client::http_client>()>;

// One cpprest client (one connection pool). After a transport failure the pool is replaced: when
// the server restarted, every pooled keep-alive connection is dead, and each would otherwise fail
// one request in turn.
class Pool {
 public:
  explicit Pool(ClientFactory factory) : factory_(std::move(factory)), client_(factory_()) {}
  std::shared_ptr<web_client::http_client> Get() {
    std::lock_guard<std::mutex> lock(mu_);
    return client_;
  }
  void Reset(const std::shared_ptr<web_client::http_client>& failed) {
    std::lock_guard<std::mutex> lock(mu_);
    if (client_ == failed) client_ = factory_();
  }

 private:
  ClientFactory factory_;
  std::mutex mu_;
  std::shared_ptr<web_client::http_client> client_;
};

class CpprestTransport final : public Transport {
 public:
  CpprestTransport(ClientFactory requests, ClientFactory streams)
      : requests_(std::move(requests)), streams_(std::move(streams)) {}

  Result<http::HttpResponse> Send(const http::HttpRequest& request) override {
    auto client = requests_.Get();
    try {
      web_http::http_response resp = client->request(ToCpprest(request)).get();
      http::HttpResponse out;
      out.status = resp.status_code();
      out.headers = FromCpprest(resp.headers());
      std::vector<unsigned char> body = resp.extract_vector().get();
      out.body.assign(body.begin(), body.end());
      return out;
    } catch (const std::exception& e) {
      requests_.Reset(client);
      return Status::Unavailable(std::string("API server request failed: ") + e.what());
    } catch (...) {
      requests_.Reset(client);
      return Status::Unavailable("API server request failed");
    }
  }

  Result<StreamResponse> Stream(const http::HttpRequest& request) override {
    auto client = streams_.Get();
    try {
      pplx::cancellation_token_source cts;
      web_http::http_response resp = client->request(ToCpprest(request), cts.get_token()).get();
      StreamResponse out;
      out.status = resp.status_code();
      out.headers = FromCpprest(resp.headers());
      out.body = std::make_unique<CpprestBodyStream>(std::move(resp), std::move(cts));
      return out;
    } catch (const std::exception& e) {
      streams_.Reset(client);
      return Status::Unavailable(std::string("API server watch failed: ") + e.what());
    } catch (...) {
      streams_.Reset(client);
      return Status::Unavailable("API server watch failed");
    }
  }

 private:
  Pool requests_;
  Pool streams_;
};

}  // namespace

Result<TransportPtr> MakeCpprestTransport(const Config& config, const TransportOptions& options) {
  const TlsConfig tls = config.tls;
  // Check the PEM data now, so a broken kubeconfig fails at startup with a message rather than
  // at every handshake.
  try {
    boost::asio::ssl::context probe(boost::asio::ssl::context::tls_client);
    if (!tls.ca_pem.empty()) {
      probe.add_certificate_authority(boost::asio::buffer(tls.ca_pem));
    }
    if (!tls.client_cert_pem.empty()) {
      probe.use_certificate_chain(boost::asio::buffer(tls.client_cert_pem));
      probe.use_private_key(boost::asio::buffer(tls.client_key_pem),
                            boost::asio::ssl::context::pem);
    }
  } catch (const std::exception& e) {
    return Status::InvalidArgument(std::string("unusable TLS data in ") + config.source + ": " +
                                   e.what());
  }
  try {
    web::uri base(config.server);
    if (base.scheme() != "http" && base.scheme() != "https") {
      return Status::InvalidArgument("API server URL must be http or https: " + config.server);
    }
    auto make = [base, tls](std::chrono::milliseconds timeout) {
      web_client::http_client_config cc;
      cc.set_timeout(std::chrono::duration_cast<std::chrono::microseconds>(timeout));
      cc.set_validate_certificates(!tls.insecure_skip_verify);
      cc.set_ssl_context_callback([tls](boost::asio::ssl::context& ctx) {
        boost::system::error_code ec;
        if (!tls.ca_pem.empty()) ctx.add_certificate_authority(boost::asio::buffer(tls.ca_pem), ec);
        if (!tls.client_cert_pem.empty()) {
          ctx.use_certificate_chain(boost::asio::buffer(tls.client_cert_pem), ec);
          ctx.use_private_key(boost::asio::buffer(tls.client_key_pem),
                              boost::asio::ssl::context::pem, ec);
        }
      });
      return std::make_shared<web_client::http_client>(base, cc);
    };
    // A watch is silent between events; its liveness is the reader's idle timeout, so the
    // library's own inactivity timer only catches connections nobody reads any more.
    auto request_timeout = options.request_timeout;
    make(request_timeout);  // a malformed URL throws here, not in the first request
    return TransportPtr(std::make_unique<CpprestTransport>(
        [make, request_timeout] { return make(request_timeout); },
        [make] { return make(std::chrono::minutes(30)); }));
  } catch (const std::exception& e) {
    return Status::InvalidArgument("invalid API server URL " + config.server + ": " + e.what());
  }
}

}  // namespace edgerepl::kube

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
