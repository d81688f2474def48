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

#include <algorithm>
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
#include "common/httpserver/body_budget.h"
#include "common/httpserver/server.h"

namespace edgerepl::httpserver {
namespace {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;

// The request line and header fields together. Beast's own default of 8 KiB refuses clients with
// long tokens; Go's 1 MiB (what InfluxDB allows) lets one request hold a handler for seconds and,
// past 64 KiB in one value, makes Beast throw instead of answering. No InfluxDB client comes near
// 64 KiB (docs/agent-api.md "Limits").
constexpr uint32_t kMaxHeaderBytes = 64 << 10;
// Header fields per request. Telegraf and the InfluxDB clients send fewer than 20; every field is
// copied, looked up and forwarded, so tens of thousands of tiny ones are refused up front.
constexpr size_t kMaxHeaderFields = 1000;
// Connections beyond this are answered 503 and closed: each holds a thread.
constexpr size_t kMaxConnections = 1024;
// What a request refused for lack of body memory is told to wait before retrying.
constexpr int kBodyMemoryRetryAfterSeconds = 1;
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

// Everything a connection thread touches. Shared with those threads, so Stop can return after its
// grace period while a handler is still running (it cannot be cancelled): that thread finishes on
// this object, never on a destroyed server.
// The path of a request target as the handler will see it ("/write" for "/write?db=x" and for
// "http://host/write?db=x").
std::string PathOf(std::string_view raw_target) {
  std::string_view target = OriginFormTarget(raw_target);
  std::string path(target.substr(0, target.find('?')));
  if (path.empty() || path.front() != '/') path.insert(path.begin(), '/');
  return path;
}

class Core final : public std::enable_shared_from_this<Core> {
 public:
  Core(Handler handler, ServerOptions options)
      : handler_(std::move(handler)),
        options_(std::move(options)),
        max_body_bytes_(options_.max_body_bytes),
        budget_(options_.body_memory_bytes) {}
  ~Core() {
    if (listen_fd_ >= 0) ::close(listen_fd_);
    if (wake_fd_ >= 0) ::close(wake_fd_);
  }

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

  int port() const { return port_; }

  void SetMaxBodyBytes(uint64_t max_body_bytes) { max_body_bytes_ = max_body_bytes; }
  void SetBodyMemoryBytes(uint64_t bytes) { budget_.SetLimit(bytes); }

  int Stop(std::chrono::milliseconds grace) {
    const auto deadline = std::chrono::steady_clock::now() + grace;
    {
      std::unique_lock<std::mutex> lock(mu_);
      if (stopped_) return static_cast<int>(handlers_running_);
      stopping_ = true;
      cv_.wait_until(lock, deadline, [this] { return in_flight_ == 0; });
      stopped_ = true;
    }
    if (acceptor_.joinable()) {
      uint64_t one = 1;
      (void)!::write(wake_fd_, &one, sizeof one);
      acceptor_.join();
    }
    if (listen_fd_ >= 0) ::close(listen_fd_);
    listen_fd_ = -1;
    if (wake_fd_ >= 0) ::close(wake_fd_);
    wake_fd_ = -1;
    // Idle keep-alive connections and requests still arriving are closed now; requests being
    // answered get the rest of the grace period. Then every connection is shut down: a handler
    // still running is left to finish on its own thread (its answer is lost), so a stop never
    // takes longer than its grace period, whatever a handler does.
    std::unique_lock<std::mutex> lock(mu_);
    for (auto& [c, answering] : connections_) {
      if (!answering) c->Shutdown();
    }
    cv_.wait_until(lock, deadline, [this] { return in_flight_ == 0; });
    abandoned_ = true;
    for (auto& [c, answering] : connections_) c->Shutdown();
    // The threads not in a handler see their sockets shut and leave at once.
    cv_.wait_for(lock, kLeaveWait, [this] { return connections_.size() <= handlers_running_; });
    return static_cast<int>(handlers_running_);
  }

 private:
  // An answer the server gives itself, in the shape the caller chose for the path.
  Response Refusal(std::string_view path, int status, std::string_view code,
                   std::string_view message) const {
    if (options_.error_response) return options_.error_response(path, status, code, message);
    return Plain(status, code, message);
  }

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
        Write(*stream, Refusal("", 503, "unavailable", "too many connections"), false);
        continue;
      }
      http::FdStream* raw = stream.release();
      connections_.emplace(raw, false);
      lock.unlock();
      try {
        std::thread([self = shared_from_this(), raw] {
          self->Serve(std::unique_ptr<http::FdStream>(raw));
        }).detach();
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
        Write(stream,
              Refusal(
                  "", 431, "request header fields too large",
                  "request line and headers exceed " + std::to_string(kMaxHeaderBytes) + " bytes"),
              false);
        LingeringClose(stream);
      } else if (ec != boost::asio::error::eof && ec != beast::error::timeout &&
                 ec != bhttp::error::end_of_stream && buffer.size() > 0) {
        Write(stream, Refusal("", 400, "invalid", "malformed HTTP request"), false);
        LingeringClose(stream);
      }
      return false;
    }
    // The path as soon as the head is in, so even the refusals below answer in its shape.
    const std::string head_path =
        PathOf(std::string_view(parser.get().target().data(), parser.get().target().size()));
    // Counted from here, so Stop's grace period covers a request whose body is still arriving.
    if (!Enter()) {
      Write(stream, Refusal(head_path, 503, "unavailable", "server is stopping"), false);
      LingeringClose(stream);
      return false;
    }
    struct Exit {
      Core* s;
      ~Exit() { s->Leave(); }
    } exit{this};

    Request in;
    const auto& head = parser.get();
    // Beast's header_limit bounds what one parse step sees, not the whole head: 40 fields of
    // 2 kB passed a 64 KiB limit. So the head is measured here too.
    size_t head_bytes = head.method_string().size() + head.target().size() + 12;
    for (const auto& field : head)
      head_bytes += field.name_string().size() + field.value().size() + 4;
    if (head_bytes > kMaxHeaderBytes) {
      Write(
          stream,
          Refusal(head_path, 431, "request header fields too large",
                  "request line and headers exceed " + std::to_string(kMaxHeaderBytes) + " bytes"),
          false);
      LingeringClose(stream);
      return false;
    }
    if (static_cast<size_t>(std::distance(head.begin(), head.end())) > kMaxHeaderFields) {
      Write(stream,
            Refusal(head_path, 431, "request header fields too large",
                    "more than " + std::to_string(kMaxHeaderFields) + " header fields"),
            false);
      LingeringClose(stream);
      return false;
    }
    in.method = std::string(head.method_string());
    // Only chunked is a transfer coding Beast decodes: any other (`gzip, chunked`) would reach
    // the handler still encoded. As Go's net/http (InfluxDB) does, 501.
    if (auto te = head[bhttp::field::transfer_encoding]; !te.empty()) {
      std::string_view other = OtherTransferCoding(std::string_view(te.data(), te.size()));
      if (!other.empty()) {
        Write(stream,
              Refusal(head_path, 501, "not implemented",
                      "Transfer-Encoding \"" + std::string(other) +
                          "\" is not supported; only chunked is (send gzip as Content-Encoding)"),
              false);
        LingeringClose(stream);
        return false;
      }
    }
    // The absolute form (`POST http://host/write`) is valid HTTP/1.1 and what a client talking
    // to a proxy sends: its path and query are what count.
    std::string_view target =
        OriginFormTarget(std::string_view(head.target().data(), head.target().size()));
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
    // The body's memory comes from the budget shared by every connection: a sized body takes
    // all of it before a byte is read (so a refusal comes before "100 Continue"), a chunked one
    // takes it as the body grows.
    BodyHold hold(*this);
    if (parser.content_length() && !hold.Grow(*parser.content_length())) {
      RefuseNoMemory(stream, in);
      return false;
    }
    // A client that waits for "100 Continue" (curl, over 1 MiB) is told to go on; one that sent
    // its body at once must see only the final answer, so nothing is sent once body bytes are in.
    if (const std::string* expect = in.Header("Expect");
        expect != nullptr && EqualsIgnoreCase(*expect, "100-continue") && buffer.size() == 0 &&
        !parser.is_done()) {
      static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
      boost::asio::write(stream, boost::asio::buffer(kContinue.data(), kContinue.size()), ec);
      if (ec) return false;
    }
    if (parser.content_length()) {
      bhttp::read(stream, buffer, parser, ec);
    } else {
      // Room for what the next read can bring is taken before the read, so the body never
      // holds more than its share: a read adds at most the connection buffer's contents.
      while (!ec && !parser.is_done()) {
        std::string& body = parser.get().body();
        if (body.size() + 2 * http::kReadChunkBytes > body.capacity()) {
          uint64_t want = std::max<uint64_t>(2 * body.capacity(), 4 * http::kReadChunkBytes);
          if (limit > 0) want = std::min<uint64_t>(want, limit + 2 * http::kReadChunkBytes);
          if (want > hold.bytes() && !hold.Grow(want - hold.bytes())) {
            RefuseNoMemory(stream, in);
            return false;
          }
          body.reserve(want);
        }
        bhttp::read_some(stream, buffer, parser, ec);
      }
    }
    if (ec == bhttp::error::body_limit) {
      RefuseTooLarge(stream, in, limit);
      return false;
    }
    if (ec) {
      // A body that breaks HTTP's framing (a bad chunk size, a missing CRLF) is answered; a
      // client that went away or stalled is not.
      if (ec.category() == bhttp::make_error_code(bhttp::error::bad_chunk).category() &&
          ec != bhttp::error::end_of_stream && ec != bhttp::error::partial_message) {
        Write(stream, Refusal(in.path, 400, "invalid", "malformed request body: " + ec.message()),
              false);
        LingeringClose(stream);
      }
      return false;
    }
    bool keep_alive = parser.get().keep_alive();
    in.body = std::move(parser.get().body());

    struct Answering {
      Core* s;
      http::FdStream* c;
      Answering(Core* server, http::FdStream* conn) : s(server), c(conn) { s->Mark(c, true); }
      ~Answering() { s->Mark(c, false); }
    } answering(this, &stream);
    Response out;
    {
      // Counted before waiting for a slot: Stop reports every handler that may still run.
      Running running(*this);
      if (running.abandoned()) return false;
      Slot slot(*this);
      if (running.abandoned()) return false;  // Stop gave up while this waited for a slot
      try {
        out = handler_(in);
      } catch (...) {
        out = Refusal(in.path, 500, "internal error", "request handler failed");
      }
    }
    // The body is not needed for the answer, which may stream for a long time.
    std::string().swap(in.body);
    hold.Release();
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

  void RefuseNoMemory(http::FdStream& stream, Request& in) {
    if (options_.on_body_memory_refused) options_.on_body_memory_refused(in);
    stream.set_timeout(options_.timeout);
    Response r = Refusal(in.path, 503, "unavailable",
                         "too many request bodies in memory at once (the body memory budget is "
                         "spent); retry shortly");
    r.headers.emplace_back("Retry-After", std::to_string(kBodyMemoryRetryAfterSeconds));
    Write(stream, std::move(r), false);
    LingeringClose(stream);
  }

  // The share of the body budget one request holds; given back when it ends.
  class BodyHold {
   public:
    explicit BodyHold(Core& s) : s_(s) {}
    ~BodyHold() { Release(); }
    bool Grow(uint64_t bytes) {
      if (!s_.budget_.Acquire(bytes, bytes_, s_.options_.body_memory_wait)) return false;
      bytes_ += bytes;
      if (s_.options_.on_body_memory) s_.options_.on_body_memory(static_cast<int64_t>(bytes));
      return true;
    }
    void Release() {
      if (bytes_ == 0) return;
      s_.budget_.Release(bytes_);
      if (s_.options_.on_body_memory) s_.options_.on_body_memory(-static_cast<int64_t>(bytes_));
      bytes_ = 0;
    }
    uint64_t bytes() const { return bytes_; }

   private:
    Core& s_;
    uint64_t bytes_ = 0;
  };

  void RefuseTooLarge(http::FdStream& stream, Request& in, uint64_t limit) {
    in.body.clear();
    if (options_.on_too_large) options_.on_too_large(in);
    stream.set_timeout(options_.timeout);
    Write(stream,
          Refusal(in.path, 413, "request too large",
                  "request body exceeds " + std::to_string(limit) + " bytes"),
          false);
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

  // Counts a handler running, for what Stop leaves behind.
  class Running {
   public:
    explicit Running(Core& s) : s_(s) {
      std::lock_guard<std::mutex> lock(s_.mu_);
      ++s_.handlers_running_;
    }
    // Stop's grace period is over and its connection closed: the handler must not start.
    bool abandoned() const {
      std::lock_guard<std::mutex> lock(s_.mu_);
      return s_.abandoned_;
    }
    ~Running() {
      std::lock_guard<std::mutex> lock(s_.mu_);
      --s_.handlers_running_;
      s_.cv_.notify_all();
    }

   private:
    Core& s_;
  };

  // Bounds the handlers running at once to options_.worker_threads.
  class Slot {
   public:
    explicit Slot(Core& s) : s_(s) {
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
    Core& s_;
  };

  // How long Stop waits, after the grace period, for the threads of shut connections to leave.
  static constexpr std::chrono::milliseconds kLeaveWait{200};

  const Handler handler_;
  const ServerOptions options_;
  std::atomic<uint64_t> max_body_bytes_;
  BodyBudget budget_;
  int listen_fd_ = -1;
  int wake_fd_ = -1;
  int port_ = 0;
  std::thread acceptor_;

  std::mutex mu_;
  std::condition_variable cv_;
  // Each open connection (owned by its thread) and whether it is answering a request (from its
  // handler's start until the answer is written). GUARDED_BY(mu_)
  std::map<http::FdStream*, bool> connections_;
  size_t in_flight_ = 0;         // GUARDED_BY(mu_)
  size_t handlers_running_ = 0;  // GUARDED_BY(mu_)
  bool stopping_ = false;        // GUARDED_BY(mu_)
  bool stopped_ = false;         // GUARDED_BY(mu_)
  bool abandoned_ = false;       // GUARDED_BY(mu_); past the grace period: no handler starts

  std::mutex slots_mu_;
  std::condition_variable slots_cv_;
  int busy_ = 0;  // GUARDED_BY(slots_mu_)
};

class BeastServer final : public Server {
 public:
  explicit BeastServer(std::shared_ptr<Core> core) : core_(std::move(core)) {}
  ~BeastServer() override { core_->Stop(std::chrono::seconds(5)); }

  int port() const override { return core_->port(); }
  void SetMaxBodyBytes(uint64_t max_body_bytes) override { core_->SetMaxBodyBytes(max_body_bytes); }
  void SetBodyMemoryBytes(uint64_t bytes) override { core_->SetBodyMemoryBytes(bytes); }
  int Stop(std::chrono::milliseconds grace) override { return core_->Stop(grace); }

 private:
  const std::shared_ptr<Core> core_;
};

}  // namespace

Result<std::unique_ptr<Server>> Server::Start(std::string listen, Handler handler,
                                              ServerOptions options) {
  auto address = ParseListenAddress(listen);
  if (!address.ok()) return address.status();
  auto core = std::make_shared<Core>(std::move(handler), std::move(options));
  Status st = core->Open(*address);
  if (!st.ok()) return st;
  return std::unique_ptr<Server>(std::make_unique<BeastServer>(std::move(core)));
}

}  // namespace edgerepl::httpserver
