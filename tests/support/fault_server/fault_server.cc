#include "tests/support/fault_server/fault_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <signal.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <sstream>
#include <stdexcept>

#include "common/codec/gzip.h"

namespace edgerepl::testing {
namespace {

// One connection's byte stream, plain or TLS.
struct Conn {
  int fd;
  SSL* ssl;
  ssize_t Read(char* buf, size_t n) {
    if (ssl != nullptr) return SSL_read(ssl, buf, static_cast<int>(n));
    return ::recv(fd, buf, n, 0);
  }
  bool SendAll(std::string_view data) {
    while (!data.empty()) {
      ssize_t n = ssl != nullptr ? SSL_write(ssl, data.data(), static_cast<int>(data.size()))
                                 : ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      data.remove_prefix(static_cast<size_t>(n));
    }
    return true;
  }
};

const char* Reason(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 204:
      return "No Content";
    case 400:
      return "Bad Request";
    case 404:
      return "Not Found";
    case 413:
      return "Request Entity Too Large";
    case 429:
      return "Too Many Requests";
    case 503:
      return "Service Unavailable";
    default:
      return "Status";
  }
}

}  // namespace

std::string FaultRequest::Header(const std::string& name) const {
  for (const auto& [k, v] : headers) {
    if (strcasecmp(k.c_str(), name.c_str()) == 0) return v;
  }
  return "";
}

FaultServer::FaultServer() {
  Listen();
}

FaultServer::FaultServer(const std::string& cert_file, const std::string& key_file) {
  // OpenSSL writes with write(2): a client that hangs up mid-handshake (wrong CA) would raise
  // SIGPIPE and kill the whole test process instead of failing one write.
  ::signal(SIGPIPE, SIG_IGN);
  SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
  if (ctx == nullptr || SSL_CTX_use_certificate_chain_file(ctx, cert_file.c_str()) != 1 ||
      SSL_CTX_use_PrivateKey_file(ctx, key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
    throw std::runtime_error("fault server: cannot load TLS certificate");
  }
  tls_ = ctx;
  Listen();
}

void FaultServer::Listen() {
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      ::listen(listen_fd_, 64) != 0) {
    throw std::runtime_error("fault server: bind failed");
  }
  socklen_t len = sizeof(addr);
  ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
  port_ = ntohs(addr.sin_port);
  accept_thread_ = std::thread([this] { AcceptLoop(); });
}

FaultServer::~FaultServer() {
  stop_ = true;
  ::shutdown(listen_fd_, SHUT_RDWR);
  accept_thread_.join();
  ::close(listen_fd_);
  std::vector<std::thread> workers;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (int fd : open_fds_) ::shutdown(fd, SHUT_RDWR);
    workers.swap(workers_);
  }
  for (auto& t : workers) t.join();
  if (tls_ != nullptr) SSL_CTX_free(static_cast<SSL_CTX*>(tls_));
}

void FaultServer::Script(std::vector<Reply> replies) {
  std::lock_guard<std::mutex> lock(mu_);
  script_.assign(replies.begin(), replies.end());
}

void FaultServer::SetHandler(std::function<Reply(const FaultRequest&)> handler) {
  std::lock_guard<std::mutex> lock(mu_);
  handler_ = std::move(handler);
}

size_t FaultServer::request_count() const {
  std::lock_guard<std::mutex> lock(mu_);
  return requests_.size();
}

std::vector<FaultRequest> FaultServer::requests() const {
  std::lock_guard<std::mutex> lock(mu_);
  return requests_;
}

std::vector<std::string> FaultServer::accepted_lines() const {
  std::lock_guard<std::mutex> lock(mu_);
  return accepted_;
}

void FaultServer::AcceptLoop() {
  while (!stop_) {
    pollfd p{listen_fd_, POLLIN, 0};
    if (::poll(&p, 1, 100) <= 0) continue;
    int fd = ::accept(listen_fd_, nullptr, nullptr);
    if (fd < 0) continue;
    ++connections_;
    std::lock_guard<std::mutex> lock(mu_);
    open_fds_.push_back(fd);
    workers_.emplace_back([this, fd] { Serve(fd); });
  }
}

Reply FaultServer::NextReply(const FaultRequest& request) {
  std::lock_guard<std::mutex> lock(mu_);
  if (handler_) return handler_(request);
  if (script_.empty()) return Reply{};
  Reply r = script_.front();
  if (script_.size() > 1) script_.pop_front();
  return r;
}

void FaultServer::Serve(int fd) {
  // Closes the connection however Serve ends (with RST when SO_LINGER 0 was set).
  struct Closer {
    FaultServer* self;
    int fd;
    ~Closer() {
      std::lock_guard<std::mutex> lock(self->mu_);
      std::erase(self->open_fds_, fd);
      ::close(fd);
    }
  } closer{this, fd};
  Conn conn{fd, nullptr};
  struct SslFree {
    SSL*& ssl;
    ~SslFree() {
      if (ssl != nullptr) SSL_free(ssl);
    }
  } ssl_free{conn.ssl};
  if (tls_ != nullptr) {
    conn.ssl = SSL_new(static_cast<SSL_CTX*>(tls_));
    SSL_set_fd(conn.ssl, fd);
    if (SSL_accept(conn.ssl) != 1) return;  // e.g. the client refused our certificate
  }
  std::string buf;
  char chunk[65536];
  while (!stop_) {
    // Read one request: headers, then Content-Length bytes.
    size_t header_end;
    while ((header_end = buf.find("\r\n\r\n")) == std::string::npos) {
      ssize_t n = conn.Read(chunk, sizeof(chunk));
      if (n <= 0) return;
      buf.append(chunk, static_cast<size_t>(n));
    }
    FaultRequest req;
    std::istringstream head(buf.substr(0, header_end));
    std::string line;
    std::getline(head, line);
    std::istringstream first(line);
    first >> req.method >> req.target;
    size_t content_length = 0;
    while (std::getline(head, line)) {
      if (!line.empty() && line.back() == '\r') line.pop_back();
      size_t colon = line.find(':');
      if (colon == std::string::npos) continue;
      std::string value = line.substr(colon + 1);
      while (!value.empty() && value.front() == ' ') value.erase(0, 1);
      req.headers.emplace_back(line.substr(0, colon), value);
      if (strcasecmp(line.substr(0, colon).c_str(), "Content-Length") == 0) {
        content_length = std::stoul(value);
      }
    }
    buf.erase(0, header_end + 4);
    while (buf.size() < content_length) {
      ssize_t n = conn.Read(chunk, sizeof(chunk));
      if (n <= 0) return;
      buf.append(chunk, static_cast<size_t>(n));
    }
    req.body = buf.substr(0, content_length);
    buf.erase(0, content_length);
    if (req.Header("Content-Encoding") == "gzip") {
      auto inflated = codec::GzipDecompress(req.body, 1 << 30);
      req.body = inflated.ok() ? *inflated : "<bad gzip>";
    }

    Reply reply = NextReply(req);
    bool refused = false;
    if (!reply.refuse_lines_containing.empty() &&
        req.body.find(reply.refuse_lines_containing) != std::string::npos) {
      refused = true;
      reply.status = 400;
      reply.body = R"({"code":"invalid","message":"partial write: refused line matching )" +
                   reply.refuse_lines_containing + R"("})";
    }
    {
      std::lock_guard<std::mutex> lock(mu_);
      requests_.push_back(req);
      if (!refused && !reply.reset_mid_body && reply.status >= 200 && reply.status < 300) {
        std::istringstream lines(req.body);
        for (std::string l; std::getline(lines, l);) {
          if (!l.empty()) accepted_.push_back(l);
        }
      }
    }
    if (reply.delay.count() > 0) {
      auto until = std::chrono::steady_clock::now() + reply.delay;
      while (!stop_ && std::chrono::steady_clock::now() < until) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
      }
    }
    std::string out =
        "HTTP/1.1 " + std::to_string(reply.status) + " " + Reason(reply.status) + "\r\n";
    for (const auto& [k, v] : reply.headers) out += k + ": " + v + "\r\n";
    if (reply.reset_mid_body && reply.body.empty()) reply.body = std::string(1000, 'x');
    out += "Content-Length: " + std::to_string(reply.body.size()) + "\r\n";
    if (!reply.body.empty()) out += "Content-Type: application/json\r\n";
    out += "\r\n";
    if (reply.reset_mid_body) {
      conn.SendAll(out + reply.body.substr(0, reply.body.size() / 2));
      linger l{1, 0};  // close with RST, not FIN
      ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
      return;
    }
    if (!conn.SendAll(out + reply.body)) return;
  }
}

}  // namespace edgerepl::testing
