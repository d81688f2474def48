#include "common/http/tls_diagnose.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <memory>

namespace edgerepl::http {
namespace {

struct SslCtxFree {
  void operator()(SSL_CTX* c) const { SSL_CTX_free(c); }
};
struct SslFree {
  void operator()(SSL* s) const { SSL_free(s); }
};

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

// A blocking socket connected to host:port within `timeout`, with that timeout on reads and
// writes; -1 when none could be connected.
int Connect(const std::string& host, int port, std::chrono::milliseconds timeout) {
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &found) != 0) return -1;
  int fd = -1;
  for (addrinfo* a = found; a != nullptr && fd < 0; a = a->ai_next) {
    fd = socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) continue;
    int rc = connect(fd, a->ai_addr, a->ai_addrlen);
    if (rc != 0 && errno == EINPROGRESS) {
      pollfd p{fd, POLLOUT, 0};
      int err = 0;
      socklen_t len = sizeof(err);
      if (poll(&p, 1, static_cast<int>(timeout.count())) == 1 &&
          getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err == 0) {
        rc = 0;
      }
    }
    if (rc != 0) {
      close(fd);
      fd = -1;
    }
  }
  freeaddrinfo(found);
  if (fd < 0) return -1;
  // Blocking again, each read and write bounded by the timeout.
  int flags = fcntl(fd, F_GETFL);
  if (flags >= 0) fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
  timeval tv{static_cast<time_t>(timeout.count() / 1000),
             static_cast<suseconds_t>((timeout.count() % 1000) * 1000)};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
  return fd;
}

bool IsIpAddress(const std::string& host) {
  unsigned char buf[sizeof(in6_addr)];
  return inet_pton(AF_INET, host.c_str(), buf) == 1 || inet_pton(AF_INET6, host.c_str(), buf) == 1;
}

// The first queued OpenSSL error's reason ("certificate verify failed", "tlsv13 alert
// certificate required"), or `fallback`.
std::string OpenSslReason(const char* fallback) {
  unsigned long e = ERR_get_error();
  ERR_clear_error();
  if (e == 0) return fallback;
  const char* reason = ERR_reason_error_string(e);
  return reason != nullptr ? reason : fallback;
}

std::string VerifyFailure(long result, const std::string& host) {
  switch (result) {
    case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
    case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
    case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
      return "TLS: certificate signed by unknown authority (" +
             std::string(X509_verify_cert_error_string(result)) + "; set caFile)";
    case X509_V_ERR_HOSTNAME_MISMATCH:
    case X509_V_ERR_IP_ADDRESS_MISMATCH:
      return "TLS: certificate name mismatch (expected host " + host + ")";
    case X509_V_ERR_CERT_HAS_EXPIRED:
      return "TLS: certificate expired";
    case X509_V_ERR_CERT_NOT_YET_VALID:
      return "TLS: certificate not yet valid (check the clocks)";
    default:
      return "TLS: certificate verify failed: " +
             std::string(X509_verify_cert_error_string(result));
  }
}

// What a server's alert says about our client certificate, when it is about one.
std::string ClientCertFailure(const std::string& reason, bool requested, bool have_cert) {
  if (!requested) return "";
  if (!have_cert) return "TLS: remote requires a client certificate";
  return "TLS: remote refused the client certificate (" + reason + ")";
}

}  // namespace

std::string DiagnoseTls(const std::string& host, int port, const TlsOptions& tls,
                        std::chrono::milliseconds timeout) {
  Fd fd(Connect(host, port, timeout));
  if (fd.get() < 0) return "";
  ERR_clear_error();
  std::unique_ptr<SSL_CTX, SslCtxFree> ctx(SSL_CTX_new(TLS_client_method()));
  if (!ctx) return "";
  const bool have_cert = !tls.client_cert_file.empty();
  if (!tls.insecure_skip_verify) {
    SSL_CTX_set_default_verify_paths(ctx.get());
    if (!tls.ca_file.empty() &&
        SSL_CTX_load_verify_locations(ctx.get(), tls.ca_file.c_str(), nullptr) != 1) {
      return "TLS: caFile " + tls.ca_file + " holds no usable certificate";
    }
    SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER, nullptr);
  }
  if (have_cert &&
      (SSL_CTX_use_certificate_chain_file(ctx.get(), tls.client_cert_file.c_str()) != 1 ||
       SSL_CTX_use_PrivateKey_file(ctx.get(), tls.client_key_file.c_str(), SSL_FILETYPE_PEM) !=
           1)) {
    return "TLS: client certificate or key unusable: " + OpenSslReason("unreadable");
  }
  bool requested = false;  // the server asked for a client certificate
  SSL_CTX_set_cert_cb(
      ctx.get(),
      [](SSL*, void* arg) {
        *static_cast<bool*>(arg) = true;
        return 1;
      },
      &requested);
  std::unique_ptr<SSL, SslFree> ssl(SSL_new(ctx.get()));
  if (!ssl) return "";
  SSL_set_fd(ssl.get(), fd.get());
  if (IsIpAddress(host)) {
    X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl.get()), host.c_str());
  } else {
    SSL_set_tlsext_host_name(ssl.get(), host.c_str());
    SSL_set1_host(ssl.get(), host.c_str());
  }
  if (SSL_connect(ssl.get()) != 1) {
    long verify = SSL_get_verify_result(ssl.get());
    std::string reason = OpenSslReason("connection closed during the handshake");
    if (!tls.insecure_skip_verify && verify != X509_V_OK) return VerifyFailure(verify, host);
    std::string cert = ClientCertFailure(reason, requested, have_cert);
    if (!cert.empty()) return cert;
    return "TLS: handshake failed: " + reason;
  }
  // TLS 1.3 completes the client's side of the handshake before the server has checked the
  // client certificate; a refusal arrives as an alert on the first read.
  pollfd p{fd.get(), POLLIN, 0};
  if (poll(&p, 1,
           static_cast<int>(
               std::min<std::chrono::milliseconds>(timeout, std::chrono::milliseconds(500))
                   .count())) != 1) {
    return "";
  }
  char byte;
  int got = SSL_read(ssl.get(), &byte, 1);
  if (got > 0) return "";
  int err = SSL_get_error(ssl.get(), got);
  if (err != SSL_ERROR_SSL) return "";
  std::string reason = OpenSslReason("alert");
  std::string cert = ClientCertFailure(reason, requested, have_cert);
  if (!cert.empty()) return cert;
  return "TLS: handshake failed: " + reason;
}

}  // namespace edgerepl::http
