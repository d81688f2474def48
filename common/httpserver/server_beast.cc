// The inbound server over Boost.Beast's HTTP/1.1 parser and serializer on plain sockets.
//
// One thread per connection reads a request, runs the handler and writes the answer on that same
// thread: no hand-off to a pool and no continuation per request, which is what a write costs the
// most in cpprestsdk's listener (profiled under bench_agent: its I/O pool, pplx tasks and body
// stream copies took most of the agent's CPU). `worker_threads` still bounds how many handlers
// run at once. Every library error stops here.
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <cerrno>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <limits>
#include <map>
#include <memory>
#include <mutex>
#include <thread>

#include "common/http/fd_stream.h"
#include "common/httpserver/server.h"

namespace edgerepl::httpserver {
namespace {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;

// Go's net/http default (what InfluxDB answers with); Beast's own default of 8 KiB refuses
// clients with long tokens or many tags in headers.
constexpr uint32_t kMaxHeaderBytes = 1 << 20;
// Connections beyond this are answered 503 and closed: each holds a thread.
constexpr size_t kMaxConnections = 1024;
// How much of a refused request's body is read and discarded before the connection is closed.
constexpr size_t kLingerBytes = 64 << 20;

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

bool IsHopByHop(std::string_view name) {
  static constexpr std::string_view kNames[] = {
      "connection",
      "keep-alive",
      "proxy-authenticate",
      "proxy-authorization",
      "te",
      "trailer",
      "trailers",
      "transfer-encoding",
      "upgrade",
      "content-length",  // the server frames the body itself
  };
  for (std::string_view n : kNames) {
    if (EqualsIgnoreCase(n, name)) return true;
  }
  return false;
}

Response Plain(int status, std::string_view code, std::string_view message) {
  Response r;
  r.status = status;
  r.headers.emplace_back("Content-Type", "application/json; charset=utf-8");
  // Only fixed ASCII text reaches here: no escaping needed.
  r.body = "{\"code\":\"" + std::string(code) + "\",\"message\":\"" + std::string(message) + "\"}";
  return r;
}

Response TooLarge(uint64_t limit) {
  return Plain(413, "request too large",
               "request body exceeds " + std::to_string(limit) + " bytes");
}

bool BodyForbidden(int status) {
  return (status >= 100 && status < 200) || status == 204 || status == 304;
}

std::string PeerAddress(int fd) {
  sockaddr_storage addr{};
  socklen_t len = sizeof addr;
  if (::getpeername(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) return "";
  char text[INET6_ADDRSTRLEN] = {};
  if (addr.ss_family == AF_INET) {
    ::inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(&addr)->sin_addr, text, sizeof text);
  } else if (addr.ss_family == AF_INET6) {
    ::inet_ntop(AF_INET6, &reinterpret_cast<sockaddr_in6*>(&addr)->sin6_addr, text, sizeof text);
  }
  return text;
}

// A listening socket on `address`; kUnavailable when it cannot be bound.
Result<int> Listen(const ListenAddress& address) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* found = nullptr;
  std::string port = std::to_string(address.port);
  // An empty host is every interface; IPv4's wildcard, as the cpprest listener bound 0.0.0.0.
  const char* host = address.host.empty() ? "0.0.0.0" : address.host.c_str();
  int rc = ::getaddrinfo(host, port.c_str(), &hints, &found);
  if (rc != 0) {
    return Status::Unavailable("cannot resolve listen host \"" + address.host +
                               "\": " + ::gai_strerror(rc));
  }
  std::unique_ptr<addrinfo, decltype(&::freeaddrinfo)> guard(found, ::freeaddrinfo);
  std::string error = "no address";
  for (addrinfo* ai = found; ai != nullptr; ai = ai->ai_next) {
    int fd = ::socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd < 0) {
      error = std::strerror(errno);
      continue;
    }
    int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (::bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && ::listen(fd, SOMAXCONN) == 0) return fd;
    error = std::strerror(errno);
    ::close(fd);
  }
  return Status::Unavailable("cannot listen on " + address.host + ":" + port + ": " + error);
}

class BeastServer final : public Server {
 public:
  BeastServer(Handler handler, ServerOptions options)
      : handler_(std::move(handler)),
        options_(std::move(options)),
        max_body_bytes_(options_.max_body_bytes) {}

  ~BeastServer() override { Stop(std::chrono::seconds(5)); }

  Status Open(const ListenAddress& address) {
    auto fd = Listen(address);
    if (!fd.ok()) return fd.status();
    listen_fd_ = *fd;
    sockaddr_storage bound{};
    socklen_t len = sizeof bound;
    ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&bound), &len);
    port_ = ntohs(bound.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port
                                              : reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
    wake_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (wake_fd_ < 0) return Status::Unavailable(std::string("eventfd: ") + std::strerror(errno));
    acceptor_ = std::thread([this] { Accept(); });
    return Status::Ok();
  }

  int port() const override { return port_; }

  void SetMaxBodyBytes(uint64_t max_body_bytes) override { max_body_bytes_ = max_body_bytes; }

  void Stop(std::chrono::milliseconds grace) override {
    {
      std::unique_lock<std::mutex> lock(mu_);
      if (stopped_) return;
      stopping_ = true;
      cv_.wait_for(lock, grace, [this] { return in_flight_ == 0; });
      stopped_ = true;
    }
    if (acceptor_.joinable()) {
      uint64_t one = 1;
      (void)!::write(wake_fd_, &one, sizeof one);
      acceptor_.join();
    }
    if (listen_fd_ >= 0) ::close(listen_fd_);
    listen_fd_ = -1;
    // Idle keep-alive connections and requests still arriving are closed now; a handler still
    // running past the grace period is waited for (it cannot be cancelled) and its answer is
    // sent, as before the grace period.
    std::unique_lock<std::mutex> lock(mu_);
    for (auto& [c, answering] : connections_) {
      if (!answering) c->Shutdown();
    }
    cv_.wait(lock, [this] { return in_flight_ == 0; });
    for (auto& [c, answering] : connections_) c->Shutdown();
    cv_.wait(lock, [this] { return connections_.empty(); });
    lock.unlock();
    if (wake_fd_ >= 0) ::close(wake_fd_);
    wake_fd_ = -1;
  }

 private:
  void Accept() {
    for (;;) {
      pollfd fds[2] = {{listen_fd_, POLLIN, 0}, {wake_fd_, POLLIN, 0}};
      if (::poll(fds, 2, -1) < 0) {
        if (errno == EINTR) continue;
        return;
      }
      if (fds[1].revents != 0) return;
      int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) {
        // EMFILE and friends: back off instead of spinning on a ready listener.
        if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED) {
          std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
        continue;
      }
      int one = 1;
      // Answers are written in one gather; Nagle would only hold a short answer's last segment
      // back until the client's delayed ACK.
      ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      auto stream = std::make_unique<http::FdStream>(fd);
      std::unique_lock<std::mutex> lock(mu_);
      if (connections_.size() >= kMaxConnections) {
        lock.unlock();
        stream->set_timeout(std::chrono::seconds(1));
        Write(*stream, Plain(503, "unavailable", "too many connections"), false);
        continue;
      }
      http::FdStream* raw = stream.release();
      connections_.emplace(raw, false);
      lock.unlock();
      try {
        std::thread([this, raw] { Serve(std::unique_ptr<http::FdStream>(raw)); }).detach();
      } catch (const std::system_error&) {
        // No thread to be had: drop this connection, keep serving the others.
        std::lock_guard<std::mutex> relock(mu_);
        connections_.erase(raw);
        delete raw;
        cv_.notify_all();
      }
    }
  }

  // One connection: requests in order until the client closes, an error, or a close is due.
  void Serve(std::unique_ptr<http::FdStream> stream) {
    beast::flat_buffer buffer;
    // Beast sizes each read by the buffer's spare capacity (at least 512 bytes), and a buffer that
    // is emptied after every request never grows: without room up front a 50 kB write body took
    // about a hundred recv calls.
    buffer.reserve(http::kReadChunkBytes);
    std::string remote = PeerAddress(stream->fd());
    try {
      while (ServeOne(*stream, buffer, remote)) {
      }
    } catch (...) {
      // Out of memory or a library failure on this connection: close it, keep the process.
    }
    std::lock_guard<std::mutex> lock(mu_);
    connections_.erase(stream.get());
    stream.reset();
    // Notified under the lock: Stop may return and destroy this object as soon as it sees the
    // set empty.
    cv_.notify_all();
  }

  // Serves one request; false when the connection must close.
  bool ServeOne(http::FdStream& stream, beast::flat_buffer& buffer, const std::string& remote) {
    bhttp::request_parser<bhttp::string_body> parser;
    parser.header_limit(kMaxHeaderBytes);
    uint64_t limit = max_body_bytes_.load();
    // Not boost::none for "no limit": Boost 1.74 compares a Content-Length against an empty
    // optional and refuses every sized body.
    parser.body_limit(std::numeric_limits<uint64_t>::max());
    beast::error_code ec;
    stream.set_timeout(options_.timeout);
    bhttp::read_header(stream, buffer, parser, ec);
    if (ec) {
      if (ec == bhttp::error::header_limit) {
        Write(stream, Plain(431, "request header fields too large", "request headers too large"),
              false);
      } else if (ec != boost::asio::error::eof && ec != beast::error::timeout &&
                 ec != bhttp::error::end_of_stream && buffer.size() > 0) {
        Write(stream, Plain(400, "invalid", "malformed HTTP request"), false);
        LingeringClose(stream);
      }
      return false;
    }
    // Counted from here, so Stop's grace period covers a request whose body is still arriving.
    if (!Enter()) {
      Write(stream, Plain(503, "unavailable", "server is stopping"), false);
      LingeringClose(stream);
      return false;
    }
    struct Exit {
      BeastServer* s;
      ~Exit() { s->Leave(); }
    } exit{this};

    Request in;
    const auto& head = parser.get();
    in.method = std::string(head.method_string());
    std::string_view target(head.target().data(), head.target().size());
    size_t q = target.find('?');
    in.path = std::string(target.substr(0, q));
    if (q != std::string_view::npos) in.query = std::string(target.substr(q + 1));
    if (in.path.empty() || in.path.front() != '/') in.path.insert(in.path.begin(), '/');
    in.remote_address = remote;
    in.headers.reserve(std::distance(head.begin(), head.end()));
    for (const auto& field : head) {
      in.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
    }
    if (limit > 0 && parser.content_length() && *parser.content_length() > limit) {
      RefuseTooLarge(stream, in, limit);
      return false;
    }
    // Set only now, so an oversized Content-Length is refused above with the request's line and
    // headers in hand; a chunked body is counted against it as it arrives.
    if (limit > 0) parser.body_limit(limit);
    // A client that waits for "100 Continue" (curl, over 1 MiB) is told to go on; one that sent
    // its body at once must see only the final answer, so nothing is sent once body bytes are in.
    if (const std::string* expect = in.Header("Expect");
        expect != nullptr && EqualsIgnoreCase(*expect, "100-continue") && buffer.size() == 0 &&
        !parser.is_done()) {
      static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
      boost::asio::write(stream, boost::asio::buffer(kContinue.data(), kContinue.size()), ec);
      if (ec) return false;
    }
    bhttp::read(stream, buffer, parser, ec);
    if (ec == bhttp::error::body_limit) {
      RefuseTooLarge(stream, in, limit);
      return false;
    }
    if (ec) return false;  // the client went away or sent a body that cannot be read
    bool keep_alive = parser.get().keep_alive();
    in.body = std::move(parser.get().body());

    struct Answering {
      BeastServer* s;
      http::FdStream* c;
      Answering(BeastServer* server, http::FdStream* conn) : s(server), c(conn) {
        s->Mark(c, true);
      }
      ~Answering() { s->Mark(c, false); }
    } answering(this, &stream);
    Response out;
    {
      Slot slot(*this);
      try {
        out = handler_(in);
      } catch (...) {
        out = Plain(500, "internal error", "request handler failed");
      }
    }
    if (const std::string* c = http::FindHeader(out.headers, "connection");
        c != nullptr && EqualsIgnoreCase(*c, "close")) {
      keep_alive = false;
    }
    bool stopping;
    {
      std::lock_guard<std::mutex> lock(mu_);
      stopping = stopping_;
    }
    keep_alive = keep_alive && !stopping;
    stream.set_timeout(options_.timeout);
    if (out.stream && !BodyForbidden(out.status) && in.method != "HEAD") {
      // HTTP/1.0 has no chunked framing: the whole body is gathered first.
      if (parser.get().version() >= 11) return WriteStreamed(stream, out, keep_alive) && keep_alive;
      Status st = Gather(*out.stream, &out.body);
      if (!st.ok()) return false;
    }
    return Write(stream, std::move(out), keep_alive, in.method == "HEAD") && keep_alive;
  }

  static Status Gather(http::BodyReader& reader, std::string* body) {
    std::string piece;
    for (;;) {
      EDGEREPL_RETURN_IF_ERROR(reader.Next(&piece));
      if (piece.empty()) return Status::Ok();
      body->append(piece);
    }
  }

  // The head at once, then each piece of the body as a chunk as soon as it is read.
  bool WriteStreamed(http::FdStream& stream, Response& r, bool keep_alive) {
    bhttp::response<bhttp::empty_body> res;
    res.result(static_cast<unsigned>(r.status));
    res.version(11);
    for (const auto& [k, v] : r.headers) {
      if (!IsHopByHop(k)) res.insert(k, v);
    }
    res.chunked(true);
    res.keep_alive(keep_alive);
    bhttp::response_serializer<bhttp::empty_body> serializer(res);
    beast::error_code ec;
    bhttp::write_header(stream, serializer, ec);
    if (ec) return false;
    std::string piece;
    for (;;) {
      Status st = r.stream->Next(&piece);
      if (!st.ok()) return false;  // closing without the last chunk tells the client
      stream.set_timeout(options_.timeout);
      if (piece.empty()) {
        static constexpr std::string_view kLast = "0\r\n\r\n";
        boost::asio::write(stream, boost::asio::buffer(kLast.data(), kLast.size()), ec);
        return !ec;
      }
      char size[24];
      int n = std::snprintf(size, sizeof size, "%zx\r\n", piece.size());
      std::array<boost::asio::const_buffer, 3> chunk = {
          boost::asio::buffer(size, static_cast<size_t>(n)), boost::asio::buffer(piece),
          boost::asio::buffer("\r\n", 2)};
      boost::asio::write(stream, chunk, ec);
      if (ec) return false;
    }
  }

  void RefuseTooLarge(http::FdStream& stream, Request& in, uint64_t limit) {
    in.body.clear();
    if (options_.on_too_large) options_.on_too_large(in);
    stream.set_timeout(options_.timeout);
    Write(stream, TooLarge(limit), false);
    LingeringClose(stream);
  }

  // After an answer sent before the request body was read: closing a socket with unread input
  // makes the kernel send a reset, which can destroy the answer before the client reads it. So
  // stop sending, then read and discard what the client is still sending, for a bounded time.
  static void LingeringClose(http::FdStream& stream) {
    ::shutdown(stream.fd(), SHUT_WR);
    stream.set_timeout(std::chrono::seconds(2));
    char sink[16 * 1024];
    size_t total = 0;
    beast::error_code ec;
    while (total < kLingerBytes) {
      size_t n = stream.read_some(boost::asio::buffer(sink, sizeof sink), ec);
      if (ec || n == 0) return;
      total += n;
    }
  }

  static bool Write(http::FdStream& stream, Response r, bool keep_alive, bool head = false) {
    bhttp::response<bhttp::string_body> res;
    res.result(static_cast<unsigned>(r.status));
    res.version(11);
    for (const auto& [k, v] : r.headers) {
      if (!IsHopByHop(k)) res.insert(k, v);
    }
    if (!BodyForbidden(r.status)) {
      res.content_length(r.body.size());
      if (!head) res.body() = std::move(r.body);
    }
    res.keep_alive(keep_alive);
    beast::error_code ec;
    bhttp::write(stream, res, ec);
    return !ec;
  }

  bool Enter() {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) return false;
    ++in_flight_;
    return true;
  }

  void Mark(http::FdStream* c, bool answering) {
    std::lock_guard<std::mutex> lock(mu_);
    connections_[c] = answering;
  }

  void Leave() {
    std::lock_guard<std::mutex> lock(mu_);
    if (--in_flight_ == 0) cv_.notify_all();
  }

  // Bounds the handlers running at once to options_.worker_threads.
  class Slot {
   public:
    explicit Slot(BeastServer& s) : s_(s) {
      std::unique_lock<std::mutex> lock(s_.slots_mu_);
      s_.slots_cv_.wait(lock,
                        [this] { return s_.busy_ < std::max(1, s_.options_.worker_threads); });
      ++s_.busy_;
    }
    ~Slot() {
      {
        std::lock_guard<std::mutex> lock(s_.slots_mu_);
        --s_.busy_;
      }
      s_.slots_cv_.notify_one();
    }

   private:
    BeastServer& s_;
  };

  const Handler handler_;
  const ServerOptions options_;
  std::atomic<uint64_t> max_body_bytes_;
  int listen_fd_ = -1;
  int wake_fd_ = -1;
  int port_ = 0;
  std::thread acceptor_;

  std::mutex mu_;
  std::condition_variable cv_;
  // Each open connection (owned by its thread) and whether it is answering a request (from its
  // handler's start until the answer is written). GUARDED_BY(mu_)
  std::map<http::FdStream*, bool> connections_;
  size_t in_flight_ = 0;   // GUARDED_BY(mu_)
  bool stopping_ = false;  // GUARDED_BY(mu_)
  bool stopped_ = false;   // GUARDED_BY(mu_)

  std::mutex slots_mu_;
  std::condition_variable slots_cv_;
  int busy_ = 0;  // GUARDED_BY(slots_mu_)
};

}  // namespace

Result<std::unique_ptr<Server>> Server::Start(std::string listen, Handler handler,
                                              ServerOptions options) {
  auto address = ParseListenAddress(listen);
  if (!address.ok()) return address.status();
  auto server = std::make_unique<BeastServer>(std::move(handler), std::move(options));
  Status st = server->Open(*address);
  if (!st.ok()) return st;
  return std::unique_ptr<Server>(std::move(server));
}

}  // namespace edgerepl::httpserver
