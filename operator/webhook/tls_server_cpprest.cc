// spdlog (fmt) before cpprest: cpprest's U() macro breaks fmt's templates.
#include <spdlog/spdlog.h>

#include <cpprest/http_listener.h>

#include "operator/webhook/tls_server.h"

namespace edgerepl::webhook {
namespace {

namespace listener = web::http::experimental::listener;

class CpprestTlsServer final : public TlsServer {
 public:
  explicit CpprestTlsServer(std::unique_ptr<listener::http_listener> l) : listener_(std::move(l)) {}
  ~CpprestTlsServer() override { Stop(); }

  void Stop() override {
    if (!listener_) return;
    try {
      listener_->close().wait();
    } catch (const std::exception& e) {
      spdlog::warn("webhook listener close: {}", e.what());
    }
    listener_.reset();
  }

 private:
  std::unique_ptr<listener::http_listener> listener_;
};

httpserver::Request ToRequest(web::http::http_request in) {
  httpserver::Request r;
  r.method = in.method();
  r.path = in.relative_uri().path();
  r.query = in.relative_uri().query();
  for (const auto& [name, value] : in.headers()) r.headers.emplace_back(name, value);
  // Vectors, not strings: cpprest's string buffers trip UBSan's vptr check across the library
  // boundary (the same choice as operator/kube/transport_cpprest.cc).
  std::vector<unsigned char> body = in.extract_vector().get();
  r.body.assign(body.begin(), body.end());
  return r;
}

void Answer(const web::http::http_request& in, const httpserver::Response& out) {
  web::http::http_response resp(static_cast<web::http::status_code>(out.status));
  for (const auto& [name, value] : out.headers) {
    if (!utility::details::str_iequal(name, "Content-Type")) resp.headers().add(name, value);
  }
  std::string type = "application/json";
  if (const std::string* t = http::FindHeader(out.headers, "Content-Type")) type = *t;
  resp.set_body(std::vector<unsigned char>(out.body.begin(), out.body.end()));
  resp.headers().set_content_type(type);
  in.reply(resp).wait();
}

}  // namespace

Result<TlsServerPtr> TlsServer::Start(const std::string& listen, CertSource certs,
                                      httpserver::Handler handler) {
  Result<httpserver::ListenAddress> address = httpserver::ParseListenAddress(listen);
  if (!address.ok()) return address.status();
  if (address->port == 0) {
    return Status::InvalidArgument("--webhook-bind-address: needs a fixed port, got " + listen);
  }
  // Checked once up front, so a bad certificate fails the start instead of every handshake.
  Result<ServingCert> first = certs();
  if (!first.ok()) return first.status();
  listener::http_listener_config config;
  config.set_ssl_context_callback([certs](boost::asio::ssl::context& ctx) {
    Result<ServingCert> c = certs();
    if (!c.ok()) {
      spdlog::error("webhook serving certificate: {}", c.status().ToString());
      return;
    }
    try {
      ctx.set_options(boost::asio::ssl::context::default_workarounds |
                      boost::asio::ssl::context::no_sslv2 | boost::asio::ssl::context::no_sslv3 |
                      boost::asio::ssl::context::no_tlsv1 | boost::asio::ssl::context::no_tlsv1_1);
      ctx.use_certificate_chain(boost::asio::buffer(c->cert_pem.data(), c->cert_pem.size()));
      ctx.use_private_key(boost::asio::buffer(c->key_pem.data(), c->key_pem.size()),
                          boost::asio::ssl::context::pem);
    } catch (const std::exception& e) {
      spdlog::error("webhook serving certificate: {}", e.what());
    }
  });
  std::string host = address->host.empty() ? "0.0.0.0" : address->host;
  std::string uri = "https://" + host + ":" + std::to_string(address->port) + "/";
  try {
    auto l = std::make_unique<listener::http_listener>(uri, config);
    l->support([handler](web::http::http_request in) {
      try {
        httpserver::Response out = handler(ToRequest(in));
        Answer(in, out);
      } catch (const std::exception& e) {
        spdlog::warn("webhook request: {}", e.what());
        try {
          in.reply(web::http::status_codes::InternalError).wait();
        } catch (...) {
        }
      }
    });
    l->open().wait();
    return TlsServerPtr(new CpprestTlsServer(std::move(l)));
  } catch (const std::exception& e) {
    return Status::Unavailable("webhook: cannot listen on " + uri + ": " + e.what());
  }
}

}  // namespace edgerepl::webhook
