// The inbound server over Boost.Beast's HTTP/1.1 parser and serializer on Asio's asynchronous
// sockets.
//
// A few io threads (options.io_threads, one io_context each, a connection staying on one of them
// for its whole life, so its steps never run at the same time and need no strand) accept, read
// requests, write answers and keep every timeout; they never block. A request read whole goes to
// a fixed pool of worker threads (options.worker_threads), where its handler may block on the
// local write, the queue's group commit or an upstream query; its answer goes back to the
// connection's io thread. A thousand keep-alive clients, or a slow-client attack, then cost
// sockets and a few KiB each instead of a thread each (the previous design), and requests beyond
// the pool wait in its queue. The price is one hand-off each way per request. Every library error
// stops here.
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <cerrno>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <future>
#include <limits>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

#include "common/http/fd_stream.h"
#include "common/httpserver/body_budget.h"
#include "common/httpserver/server.h"
#include "common/httpserver/worker_pool.h"

namespace edgerepl::httpserver {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

// The request line and header fields together. Beast's own default of 8 KiB refuses clients with
// long tokens; Go's 1 MiB (what InfluxDB allows) lets one request hold a handler for seconds and,
// past 64 KiB in one value, makes Beast throw instead of answering. No InfluxDB client comes near
// 64 KiB (docs/agent-api.md "Limits").
constexpr uint32_t kMaxHeaderBytes = 64 << 10;
// Header fields per request. Telegraf and the InfluxDB clients send fewer than 20; every field is
// copied, looked up and forwarded, so tens of thousands of tiny ones are refused up front.
constexpr size_t kMaxHeaderFields = 1000;
// What a request refused for lack of body memory is told to wait before retrying.
constexpr int kBodyMemoryRetryAfterSeconds = 1;
// How much of a refused request's body is read and discarded before the connection is closed,
// and for how long at most.
constexpr size_t kLingerBytes = 64 << 20;
constexpr std::chrono::seconds kLingerTime{2};
// How long Stop waits, after the grace period, for the shut connections to be let go.
constexpr std::chrono::milliseconds kLeaveWait{200};
// A full descriptor table (EMFILE) makes every accept fail at once: wait before the next.
constexpr std::chrono::milliseconds kAcceptBackoff{50};

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

// A listening socket on `address` and its family; kUnavailable when it cannot be bound.
Result<std::pair<int, int>> Listen(const ListenAddress& address) {
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
    if (::bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && ::listen(fd, SOMAXCONN) == 0) {
      return std::make_pair(fd, ai->ai_family);
    }
    error = std::strerror(errno);
    ::close(fd);
  }
  return Status::Unavailable("cannot listen on " + address.host + ":" + port + ": " + error);
}

// The path of a request target as the handler will see it ("/write" for "/write?db=x" and for
// "http://host/write?db=x").
std::string PathOf(std::string_view raw_target) {
  std::string_view target = OriginFormTarget(raw_target);
  std::string path(target.substr(0, target.find('?')));
  if (path.empty() || path.front() != '/') path.insert(path.begin(), '/');
  return path;
}

Status Gather(http::BodyReader& reader, std::string* body) {
  std::string piece;
  for (;;) {
    EDGEREPL_RETURN_IF_ERROR(reader.Next(&piece));
    if (piece.empty()) return Status::Ok();
    body->append(piece);
  }
}

class Conn;

// What every connection shares: the handler, the options, the worker pool, the bookkeeping Stop
// needs. Owned by the server and by every task on a worker (a handler left running after Stop
// finishes on this object, never on a destroyed one); a connection points to it plainly, since
// every connection is let go before the io contexts that hold them are destroyed.
class Core final : public std::enable_shared_from_this<Core> {
 public:
  Core(Handler handler, ServerOptions options)
      : handler_(std::move(handler)),
        options_(std::move(options)),
        max_body_bytes_(options_.max_body_bytes),
        budget_(options_.body_memory_bytes) {}
  ~Core() {
    // Connections let go with the io contexts below release body memory: nobody is to be woken.
    budget_.Close();
  }

  Status Open(const ListenAddress& address);
  int port() const { return port_; }
  void SetMaxBodyBytes(uint64_t max_body_bytes) { max_body_bytes_ = max_body_bytes; }
  void SetBodyMemoryBytes(uint64_t bytes) { budget_.SetLimit(bytes); }
  int Stop(std::chrono::milliseconds grace);

  // For the connections.
  const ServerOptions& options() const { return options_; }
  BodyBudget& budget() { return budget_; }
  uint64_t max_body_bytes() const { return max_body_bytes_.load(); }
  // An answer the server gives itself, in the shape the caller chose for the path.
  Response Refusal(std::string_view path, int status, std::string_view code,
                   std::string_view message) const {
    if (options_.error_response) return options_.error_response(path, status, code, message);
    return Plain(status, code, message);
  }
  // A request's head is in: counted until its answer is written. False when stopping.
  bool Enter();
  void Leave();
  bool stopping() {
    std::lock_guard<std::mutex> lock(mu_);
    return stopping_;
  }
  // Whether a connection is answering (from the hand-off to a worker until the answer is out).
  void Mark(Conn* c, bool answering);
  void Forget(Conn* c);
  // Runs `step` on a worker for `c`; false (and nothing runs) once stopped.
  bool Dispatch(std::shared_ptr<Conn> c, bool first, void (Conn::*step)());
  // Runs the handler for `c`'s request and hands the answer back (on a worker).
  void RunHandler(Conn& c);
  bool abandoned() {
    std::lock_guard<std::mutex> lock(mu_);
    return abandoned_;
  }

 private:
  void Accept();
  void OnAccept(const boost::system::error_code& ec, tcp::socket socket);
  void RefuseConnection(tcp::socket& socket);

  const Handler handler_;
  const ServerOptions options_;
  std::atomic<uint64_t> max_body_bytes_;
  BodyBudget budget_;
  int port_ = 0;

  std::mutex mu_;
  std::condition_variable cv_;
  // Each open connection and whether it is answering a request. GUARDED_BY(mu_)
  std::map<Conn*, bool> connections_;
  size_t in_flight_ = 0;         // GUARDED_BY(mu_)
  size_t handlers_running_ = 0;  // GUARDED_BY(mu_)
  bool stopping_ = false;        // GUARDED_BY(mu_)
  bool stopped_ = false;         // GUARDED_BY(mu_)
  bool abandoned_ = false;       // GUARDED_BY(mu_); past the grace period: no handler starts

  std::shared_ptr<WorkerPool> pool_;
  // Destroyed before everything above, which the connections they still hold use on the way out.
  std::vector<std::unique_ptr<asio::io_context>> ios_;
  std::vector<asio::executor_work_guard<asio::io_context::executor_type>> work_;
  std::vector<std::thread> io_threads_;
  size_t next_io_ = 0;  // used by the accepting io thread only
  std::unique_ptr<tcp::acceptor> acceptor_;
  std::unique_ptr<asio::steady_timer> accept_timer_;
};

// One connection, on one io thread. Its steps chain: wait for a request, read its head, take
// memory for its body, read the body, hand it to a worker, write the answer, and again. Only one
// step is pending at a time, besides the timer, which closes the socket when it fires.
class Conn final : public std::enable_shared_from_this<Conn> {
 public:
  Conn(Core& core, tcp::socket socket) : core_(core), socket_(std::move(socket)), timer_(Exec()) {}
  ~Conn() {
    CloseSocket();
    ForgetMemoryWait();
    ReleaseMemory();
    Done();
  }

  int fd() { return socket_.native_handle(); }
  asio::any_io_executor Exec() { return socket_.get_executor(); }

  void Start() {
    boost::system::error_code ec;
    // Answers are written in one gather; Nagle would only hold a short answer's last segment
    // back until the client's delayed ACK.
    socket_.set_option(tcp::no_delay(true), ec);
    remote_ = PeerAddress(fd());
    WaitForRequest();
  }

  // On a worker: the request's handler, then the answer back to the io thread.
  void Handle() { core_.RunHandler(*this); }
  const Request& request() const { return in_; }
  void Answer(Response out);
  // On a worker: the next piece of a streamed answer.
  void PullPiece();

 private:
  enum class After { kNext, kClose, kLinger };

  // Fires `on_timeout` unless re-armed or disarmed before.
  void Arm(Clock::time_point deadline) {
    uint64_t gen = ++timer_gen_;
    timer_.expires_at(deadline);
    timer_.async_wait([self = shared_from_this(), gen](const boost::system::error_code& ec) {
      if (ec || gen != self->timer_gen_) return;
      self->Close();  // a stalled client is not answered: whatever is pending fails
    });
  }
  void Arm(std::chrono::milliseconds timeout) { Arm(Clock::now() + timeout); }
  void Disarm() {
    ++timer_gen_;
    timer_.cancel();
  }

  void WaitForRequest() {
    if (closed_) return;
    if (buffer_.size() > 0) return ReadHead();  // a pipelined request is already here
    // An idle connection holds no read buffer: a thousand of them would hold 64 MiB.
    buffer_.shrink_to_fit();
    Arm(core_.options().idle_timeout);
    socket_.async_wait(tcp::socket::wait_read,
                       [self = shared_from_this()](const boost::system::error_code& ec) {
                         if (ec || self->closed_) return self->Close();
                         self->ReadHead();
                       });
  }

  void ReadHead() {
    // Both deadlines count from the request's first byte, not from the end of the last one.
    const auto now = Clock::now();
    read_deadline_ = now + core_.options().read_timeout;
    Arm(std::min(read_deadline_, now + core_.options().header_timeout));
    parser_ = std::make_unique<bhttp::request_parser<bhttp::string_body>>();
    parser_->header_limit(kMaxHeaderBytes);
    // Not boost::none for "no limit": Boost 1.74 compares a Content-Length against an empty
    // optional and refuses every sized body.
    parser_->body_limit(std::numeric_limits<uint64_t>::max());
    // Beast sizes each read by the buffer's spare capacity (at least 512 bytes): without room up
    // front a 50 kB write body took about a hundred recv calls.
    if (buffer_.capacity() < http::kReadChunkBytes) buffer_.reserve(http::kReadChunkBytes);
    bhttp::async_read_header(socket_, buffer_, *parser_,
                             [self = shared_from_this()](const boost::system::error_code& ec,
                                                         size_t) { self->OnHead(ec); });
  }

  void OnHead(const boost::system::error_code& ec);
  void OnBody(const boost::system::error_code& ec);

  // Takes `bytes` more of the body budget, or waits for them without holding a thread, then
  // continues with `next(true)`; `next(false)` when they did not come within body_memory_wait.
  void AwaitMemory(uint64_t bytes, std::function<void(bool)> next) {
    std::weak_ptr<Conn> weak = weak_from_this();
    asio::any_io_executor exec = Exec();
    uint64_t watch = core_.budget().AcquireOrWatch(bytes, held_, [weak, exec] {
      asio::post(exec, [weak] {
        if (auto self = weak.lock()) self->RetryMemory();
      });
    });
    if (watch == 0) {
      Held(bytes);
      return next(true);
    }
    watch_ = watch;
    wanted_ = bytes;
    memory_next_ = std::move(next);
    if (!memory_timer_) memory_timer_ = std::make_unique<asio::steady_timer>(Exec());
    memory_timer_->expires_after(core_.options().body_memory_wait);
    // A wait that had fired before an earlier one was granted must not end this one.
    memory_timer_->async_wait(
        [self = shared_from_this(), watch](const boost::system::error_code& ec) {
          if (ec || self->watch_ != watch) return;
          self->ForgetMemoryWait();
          std::exchange(self->memory_next_, nullptr)(false);
        });
  }
  void RetryMemory() {
    if (watch_ == 0 || closed_) return;
    if (!core_.budget().TryAcquire(wanted_, held_)) return;
    ForgetMemoryWait();
    memory_timer_->cancel();
    Held(wanted_);
    std::exchange(memory_next_, nullptr)(true);
  }
  void ForgetMemoryWait() {
    if (watch_ == 0) return;
    core_.budget().Forget(watch_);
    watch_ = 0;
  }
  void Held(uint64_t bytes) {
    held_ += bytes;
    if (core_.options().on_body_memory) core_.options().on_body_memory(static_cast<int64_t>(bytes));
  }
  void ReleaseMemory() {
    if (held_ == 0) return;
    core_.budget().Release(held_);
    if (core_.options().on_body_memory) {
      core_.options().on_body_memory(-static_cast<int64_t>(held_));
    }
    held_ = 0;
  }

  void ContinueBody();
  void ReadBody();
  void ReadChunked();

  void WriteAnswer(Response r, bool keep_alive, bool head, After after);
  void AfterWrite(After after);
  void StartStream(Response r, bool keep_alive);
  void Refuse(Response r) {
    // Nothing more is parsed: the body read so far and its memory go now, not after the linger.
    parser_.reset();
    ReleaseMemory();
    WriteAnswer(std::move(r), false, false, After::kLinger);
  }
  void RefuseTooLarge();
  void RefuseNoMemory();

  // After an answer sent before the request body was read: closing a socket with unread input
  // makes the kernel send a reset, which can destroy the answer before the client reads it. So
  // stop sending, then read and discard what the client is still sending, for a bounded time.
  void Linger() {
    Done();
    boost::system::error_code ec;
    socket_.shutdown(tcp::socket::shutdown_send, ec);
    Arm(kLingerTime);
    lingered_ = 0;
    LingerRead();
  }
  void LingerRead() {
    buffer_.clear();
    socket_.async_read_some(
        buffer_.prepare(16 * 1024),
        [self = shared_from_this()](const boost::system::error_code& ec, size_t n) {
          self->lingered_ += n;
          if (ec || n == 0 || self->lingered_ >= kLingerBytes) return self->Close();
          self->LingerRead();
        });
  }

  // The request is over for Stop's count (answered, refused or abandoned).
  void Done() {
    if (!entered_) return;
    entered_ = false;
    core_.Leave();
  }
  void CloseSocket() {
    if (socket_closed_) return;
    socket_closed_ = true;
    // Forgotten first: Stop shuts registered connections' descriptors, which must not be reused.
    core_.Forget(this);
    boost::system::error_code ec;
    socket_.shutdown(tcp::socket::shutdown_both, ec);
    socket_.close(ec);
  }
  void Close() {
    if (closed_) return;
    closed_ = true;
    Disarm();
    if (memory_timer_) memory_timer_->cancel();
    ForgetMemoryWait();
    CloseSocket();
    Done();
  }

  Core& core_;
  tcp::socket socket_;
  asio::steady_timer timer_;
  uint64_t timer_gen_ = 0;
  bool closed_ = false;
  bool socket_closed_ = false;
  std::string remote_;
  beast::flat_buffer buffer_;
  Clock::time_point read_deadline_;

  // The request being read or handled.
  std::unique_ptr<bhttp::request_parser<bhttp::string_body>> parser_;
  std::string head_path_;
  Request in_;
  uint64_t limit_ = 0;
  unsigned version_ = 11;
  bool keep_alive_ = false;
  bool entered_ = false;

  // Body memory: held, and a wait for more.
  uint64_t held_ = 0;
  uint64_t watch_ = 0;
  uint64_t wanted_ = 0;
  std::function<void(bool)> memory_next_;
  std::unique_ptr<asio::steady_timer> memory_timer_;

  // The answer being written.
  std::unique_ptr<bhttp::response<bhttp::string_body>> res_;
  std::unique_ptr<bhttp::response<bhttp::empty_body>> stream_head_;
  std::unique_ptr<bhttp::response_serializer<bhttp::empty_body>> stream_serializer_;
  std::shared_ptr<http::BodyReader> stream_;
  std::string piece_;
  std::array<char, 24> chunk_size_{};
  size_t lingered_ = 0;
};

void Conn::OnHead(const boost::system::error_code& ec) {
  if (closed_) return;
  if (ec) {
    if (ec == bhttp::error::header_limit) {
      return Refuse(core_.Refusal(
          "", 431, "request header fields too large",
          "request line and headers exceed " + std::to_string(kMaxHeaderBytes) + " bytes"));
    }
    if (ec != asio::error::eof && ec != bhttp::error::end_of_stream &&
        ec != asio::error::operation_aborted && buffer_.size() > 0) {
      return Refuse(core_.Refusal("", 400, "invalid", "malformed HTTP request"));
    }
    return Close();
  }
  const auto& head = parser_->get();
  // The path as soon as the head is in, so even the refusals below answer in its shape.
  head_path_ = PathOf(std::string_view(head.target().data(), head.target().size()));
  // Counted from here, so Stop's grace period covers a request whose body is still arriving.
  if (!core_.Enter()) {
    return Refuse(core_.Refusal(head_path_, 503, "unavailable", "server is stopping"));
  }
  entered_ = true;
  in_ = Request{};
  // Beast's header_limit bounds what one parse step sees, not the whole head: 40 fields of
  // 2 kB passed a 64 KiB limit. So the head is measured here too.
  size_t head_bytes = head.method_string().size() + head.target().size() + 12;
  for (const auto& field : head) {
    head_bytes += field.name_string().size() + field.value().size() + 4;
  }
  if (head_bytes > kMaxHeaderBytes) {
    return Refuse(core_.Refusal(
        head_path_, 431, "request header fields too large",
        "request line and headers exceed " + std::to_string(kMaxHeaderBytes) + " bytes"));
  }
  if (static_cast<size_t>(std::distance(head.begin(), head.end())) > kMaxHeaderFields) {
    return Refuse(
        core_.Refusal(head_path_, 431, "request header fields too large",
                      "more than " + std::to_string(kMaxHeaderFields) + " header fields"));
  }
  in_.method = std::string(head.method_string());
  // Only chunked is a transfer coding Beast decodes: any other (`gzip, chunked`) would reach
  // the handler still encoded. As Go's net/http (InfluxDB) does, 501.
  if (auto te = head[bhttp::field::transfer_encoding]; !te.empty()) {
    std::string_view other = OtherTransferCoding(std::string_view(te.data(), te.size()));
    if (!other.empty()) {
      return Refuse(core_.Refusal(
          head_path_, 501, "not implemented",
          "Transfer-Encoding \"" + std::string(other) +
              "\" is not supported; only chunked is (send gzip as Content-Encoding)"));
    }
  }
  // The absolute form (`POST http://host/write`) is valid HTTP/1.1 and what a client talking
  // to a proxy sends: its path and query are what count.
  std::string_view target =
      OriginFormTarget(std::string_view(head.target().data(), head.target().size()));
  size_t q = target.find('?');
  in_.path = std::string(target.substr(0, q));
  if (q != std::string_view::npos) in_.query = std::string(target.substr(q + 1));
  if (in_.path.empty() || in_.path.front() != '/') in_.path.insert(in_.path.begin(), '/');
  in_.remote_address = remote_;
  in_.headers.reserve(std::distance(head.begin(), head.end()));
  for (const auto& field : head) {
    in_.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
  }
  limit_ = core_.max_body_bytes();
  if (limit_ > 0 && parser_->content_length() && *parser_->content_length() > limit_) {
    return RefuseTooLarge();
  }
  // Set only now, so an oversized Content-Length is refused above with the request's line and
  // headers in hand; a chunked body is counted against it as it arrives.
  if (limit_ > 0) parser_->body_limit(limit_);
  Arm(read_deadline_);
  // The body's memory comes from the budget shared by every connection: a sized body takes
  // all of it before a byte is read (so a refusal comes before "100 Continue"), a chunked one
  // takes it as the body grows.
  if (parser_->content_length()) {
    return AwaitMemory(*parser_->content_length(), [this](bool ok) {
      if (!ok) return RefuseNoMemory();
      ContinueBody();
    });
  }
  ContinueBody();
}

void Conn::ContinueBody() {
  // A client that waits for "100 Continue" (curl, over 1 MiB) is told to go on; one that sent
  // its body at once must see only the final answer, so nothing is sent once body bytes are in.
  if (const std::string* expect = in_.Header("Expect");
      expect != nullptr && EqualsIgnoreCase(*expect, "100-continue") && buffer_.size() == 0 &&
      !parser_->is_done()) {
    static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
    return asio::async_write(
        socket_, asio::buffer(kContinue.data(), kContinue.size()),
        [self = shared_from_this()](const boost::system::error_code& ec, size_t) {
          if (ec || self->closed_) return self->Close();
          self->ReadBody();
        });
  }
  ReadBody();
}

void Conn::ReadBody() {
  if (parser_->is_done()) return OnBody({});
  if (parser_->content_length()) {
    return bhttp::async_read(socket_, buffer_, *parser_,
                             [self = shared_from_this()](const boost::system::error_code& ec,
                                                         size_t) { self->OnBody(ec); });
  }
  ReadChunked();
}

void Conn::ReadChunked() {
  if (closed_) return;
  if (parser_->is_done()) return OnBody({});
  // Room for what the next read can bring is taken before the read, so the body never holds
  // more than its share: a read adds at most the connection buffer's contents.
  std::string& body = parser_->get().body();
  if (body.size() + 2 * http::kReadChunkBytes > body.capacity()) {
    uint64_t want = std::max<uint64_t>(2 * body.capacity(), 4 * http::kReadChunkBytes);
    if (limit_ > 0) want = std::min<uint64_t>(want, limit_ + 2 * http::kReadChunkBytes);
    if (want > held_) {
      return AwaitMemory(want - held_, [this, want](bool ok) {
        if (!ok) return RefuseNoMemory();
        parser_->get().body().reserve(want);
        bhttp::async_read_some(
            socket_, buffer_, *parser_,
            [self = shared_from_this()](const boost::system::error_code& ec, size_t) {
              if (ec) return self->OnBody(ec);
              self->ReadChunked();
            });
      });
    }
    body.reserve(want);
  }
  bhttp::async_read_some(socket_, buffer_, *parser_,
                         [self = shared_from_this()](const boost::system::error_code& ec, size_t) {
                           if (ec) return self->OnBody(ec);
                           self->ReadChunked();
                         });
}

void Conn::OnBody(const boost::system::error_code& ec) {
  if (closed_) return;
  if (ec == bhttp::error::body_limit) return RefuseTooLarge();
  if (ec) {
    // A body that breaks HTTP's framing (a bad chunk size, a missing CRLF) is answered; a
    // client that went away or stalled is not.
    if (ec.category() == bhttp::make_error_code(bhttp::error::bad_chunk).category() &&
        ec != bhttp::error::end_of_stream && ec != bhttp::error::partial_message) {
      return Refuse(
          core_.Refusal(in_.path, 400, "invalid", "malformed request body: " + ec.message()));
    }
    return Close();
  }
  keep_alive_ = parser_->get().keep_alive();
  version_ = parser_->get().version();
  in_.body = std::move(parser_->get().body());
  parser_.reset();
  // The handler's time is not the client's: no timer while it runs.
  Disarm();
  core_.Mark(this, true);
  if (!core_.Dispatch(shared_from_this(), false, &Conn::Handle)) Close();
}

void Conn::Answer(Response out) {
  // The body is not needed for the answer, which may stream for a long time.
  std::string().swap(in_.body);
  ReleaseMemory();
  const bool head = in_.method == "HEAD";
  if (out.stream && !BodyForbidden(out.status) && !head && version_ < 11) {
    // HTTP/1.0 has no chunked framing: the whole body is gathered first, here on the worker.
    Status st = Gather(*out.stream, &out.body);
    out.stream.reset();
    if (!st.ok()) {
      return asio::post(Exec(), [self = shared_from_this()] { self->Close(); });
    }
  }
  asio::post(Exec(), [self = shared_from_this(), out = std::move(out), head]() mutable {
    if (self->closed_) return;
    bool keep_alive = self->keep_alive_;
    if (const std::string* c = http::FindHeader(out.headers, "connection");
        c != nullptr && EqualsIgnoreCase(*c, "close")) {
      keep_alive = false;
    }
    keep_alive = keep_alive && !self->core_.stopping();
    if (out.stream && !BodyForbidden(out.status) && !head) {
      return self->StartStream(std::move(out), keep_alive);
    }
    self->WriteAnswer(std::move(out), keep_alive, head, keep_alive ? After::kNext : After::kClose);
  });
}

void Conn::WriteAnswer(Response r, bool keep_alive, bool head, After after) {
  if (closed_) return;
  res_ = std::make_unique<bhttp::response<bhttp::string_body>>();
  res_->result(static_cast<unsigned>(r.status));
  res_->version(11);
  for (const auto& [k, v] : r.headers) {
    if (!IsHopByHop(k)) res_->insert(k, v);
  }
  if (!BodyForbidden(r.status)) {
    res_->content_length(r.body.size());
    if (!head) res_->body() = std::move(r.body);
  }
  res_->keep_alive(keep_alive);
  Arm(core_.options().write_timeout);
  bhttp::async_write(
      socket_, *res_,
      [self = shared_from_this(), after](const boost::system::error_code& ec, size_t) {
        self->res_.reset();
        if (ec || self->closed_) return self->Close();
        self->AfterWrite(after);
      });
}

void Conn::AfterWrite(After after) {
  switch (after) {
    case After::kLinger:
      return Linger();
    case After::kClose:
      return Close();
    case After::kNext:
      Disarm();
      core_.Mark(this, false);
      Done();
      return WaitForRequest();
  }
}

// The head at once, then each piece of the body as a chunk as soon as a worker has read it.
void Conn::StartStream(Response r, bool keep_alive) {
  stream_ = std::move(r.stream);
  stream_head_ = std::make_unique<bhttp::response<bhttp::empty_body>>();
  stream_head_->result(static_cast<unsigned>(r.status));
  stream_head_->version(11);
  for (const auto& [k, v] : r.headers) {
    if (!IsHopByHop(k)) stream_head_->insert(k, v);
  }
  stream_head_->chunked(true);
  stream_head_->keep_alive(keep_alive);
  keep_alive_ = keep_alive;
  stream_serializer_ =
      std::make_unique<bhttp::response_serializer<bhttp::empty_body>>(*stream_head_);
  Arm(core_.options().write_timeout);
  bhttp::async_write_header(
      socket_, *stream_serializer_,
      [self = shared_from_this()](const boost::system::error_code& ec, size_t) {
        self->stream_serializer_.reset();
        self->stream_head_.reset();
        if (ec || self->closed_) return self->Close();
        self->Disarm();
        // Ahead of requests not yet started: this one holds a connection and its client.
        if (!self->core_.Dispatch(self, true, &Conn::PullPiece)) self->Close();
      });
}

void Conn::PullPiece() {
  if (core_.abandoned()) return;
  Status st = stream_->Next(&piece_);
  asio::post(Exec(), [self = shared_from_this(), ok = st.ok()] {
    if (self->closed_) return;
    if (!ok) return self->Close();  // closing without the last chunk tells the client
    self->Arm(self->core_.options().write_timeout);
    if (self->piece_.empty()) {
      self->stream_.reset();
      static constexpr std::string_view kLast = "0\r\n\r\n";
      return asio::async_write(self->socket_, asio::buffer(kLast.data(), kLast.size()),
                               [self](const boost::system::error_code& ec, size_t) {
                                 if (ec || self->closed_) return self->Close();
                                 self->AfterWrite(self->keep_alive_ ? After::kNext : After::kClose);
                               });
    }
    int n = std::snprintf(self->chunk_size_.data(), self->chunk_size_.size(), "%zx\r\n",
                          self->piece_.size());
    std::array<asio::const_buffer, 3> chunk = {
        asio::buffer(self->chunk_size_.data(), static_cast<size_t>(n)), asio::buffer(self->piece_),
        asio::buffer("\r\n", 2)};
    asio::async_write(self->socket_, chunk, [self](const boost::system::error_code& ec, size_t) {
      if (ec || self->closed_) return self->Close();
      self->Disarm();
      if (!self->core_.Dispatch(self, true, &Conn::PullPiece)) self->Close();
    });
  });
}

void Conn::RefuseTooLarge() {
  in_.body.clear();
  if (core_.options().on_too_large) core_.options().on_too_large(in_);
  Refuse(core_.Refusal(in_.path, 413, "request too large",
                       "request body exceeds " + std::to_string(limit_) + " bytes"));
}

void Conn::RefuseNoMemory() {
  if (core_.options().on_body_memory_refused) core_.options().on_body_memory_refused(in_);
  Response r = core_.Refusal(in_.path, 503, "unavailable",
                             "too many request bodies in memory at once (the body memory budget "
                             "is spent); retry shortly");
  r.headers.emplace_back("Retry-After", std::to_string(kBodyMemoryRetryAfterSeconds));
  Refuse(std::move(r));
}

Status Core::Open(const ListenAddress& address) {
  auto listening = Listen(address);
  if (!listening.ok()) return listening.status();
  auto [fd, family] = *listening;
  sockaddr_storage bound{};
  socklen_t len = sizeof bound;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &len);
  port_ = ntohs(bound.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port
                                            : reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
  auto pool = WorkerPool::Start(options_.worker_threads);
  if (!pool.ok()) {
    ::close(fd);
    return pool.status();
  }
  pool_ = std::move(pool).value();
  const int io_threads = std::max(1, options_.io_threads);
  for (int i = 0; i < io_threads; ++i) {
    ios_.push_back(std::make_unique<asio::io_context>(1));
    work_.push_back(asio::make_work_guard(*ios_.back()));
  }
  boost::system::error_code ec;
  acceptor_ = std::make_unique<tcp::acceptor>(*ios_[0]);
  acceptor_->assign(family == AF_INET6 ? tcp::v6() : tcp::v4(), fd, ec);
  if (ec) {
    ::close(fd);
    pool_->Stop();
    return Status::Unavailable("cannot listen: " + ec.message());
  }
  accept_timer_ = std::make_unique<asio::steady_timer>(*ios_[0]);
  Accept();
  for (auto& io : ios_) {
    try {
      io_threads_.emplace_back([io = io.get()] {
        pthread_setname_np(pthread_self(), "http-io");  // as the handlers' (worker_pool.cc)
        for (;;) {
          try {
            io->run();
            return;
          } catch (...) {
            // Out of memory or a library failure in one connection's step: that connection is
            // let go with its handler, the others keep their thread.
          }
        }
      });
    } catch (const std::system_error& e) {
      for (auto& w : work_) w.reset();
      for (auto& c : ios_) c->stop();
      for (auto& t : io_threads_) t.join();
      io_threads_.clear();
      pool_->Stop();
      return Status::Unavailable(std::string("cannot start io threads: ") + e.what());
    }
  }
  return Status::Ok();
}

void Core::Accept() {
  // Connections are spread over the io threads in turn.
  asio::io_context& io = *ios_[next_io_++ % ios_.size()];
  acceptor_->async_accept(io, [this](const boost::system::error_code& ec, tcp::socket socket) {
    OnAccept(ec, std::move(socket));
  });
}

void Core::OnAccept(const boost::system::error_code& ec, tcp::socket socket) {
  if (ec == asio::error::operation_aborted || !acceptor_->is_open()) return;
  if (ec) {
    // EMFILE and friends: back off instead of spinning on a ready listener.
    accept_timer_->expires_after(kAcceptBackoff);
    accept_timer_->async_wait([this](const boost::system::error_code& wait_ec) {
      if (!wait_ec && acceptor_->is_open()) Accept();
    });
    return;
  }
  std::shared_ptr<Conn> conn;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (connections_.size() < options_.max_connections) {
      conn = std::make_shared<Conn>(*this, std::move(socket));
      connections_.emplace(conn.get(), false);
    }
  }
  if (conn) {
    asio::any_io_executor exec = conn->Exec();
    asio::post(exec, [conn = std::move(conn)] { conn->Start(); });
  } else {
    RefuseConnection(socket);
  }
  Accept();
}

// A connection over max_connections: told so if its socket takes the answer at once, then closed.
void Core::RefuseConnection(tcp::socket& socket) {
  Response r = Refusal("", 503, "unavailable", "too many connections");
  bhttp::response<bhttp::string_body> res;
  res.result(static_cast<unsigned>(r.status));
  res.version(11);
  for (const auto& [k, v] : r.headers) res.insert(k, v);
  res.content_length(r.body.size());
  res.body() = std::move(r.body);
  res.keep_alive(false);
  boost::system::error_code ec;
  socket.non_blocking(true, ec);
  bhttp::write(socket, res, ec);
  socket.shutdown(tcp::socket::shutdown_both, ec);
  socket.close(ec);
}

bool Core::Enter() {
  std::lock_guard<std::mutex> lock(mu_);
  if (stopping_) return false;
  ++in_flight_;
  return true;
}

void Core::Leave() {
  std::lock_guard<std::mutex> lock(mu_);
  if (--in_flight_ == 0) cv_.notify_all();
}

void Core::Mark(Conn* c, bool answering) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = connections_.find(c);
  if (it != connections_.end()) it->second = answering;
}

void Core::Forget(Conn* c) {
  std::lock_guard<std::mutex> lock(mu_);
  connections_.erase(c);
  // Notified under the lock: Stop may return as soon as it sees the set small enough.
  cv_.notify_all();
}

bool Core::Dispatch(std::shared_ptr<Conn> c, bool first, void (Conn::*step)()) {
  return pool_->Submit(
      [self = shared_from_this(), c = std::move(c), step]() mutable {
        ((*c).*step)();
        // Before `self`: the connection uses this object on its way out.
        c.reset();
      },
      first);
}

void Core::RunHandler(Conn& c) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (abandoned_) return;  // Stop gave up while this waited for a worker
    ++handlers_running_;
  }
  Response out;
  try {
    out = handler_(c.request());
  } catch (...) {
    out = Refusal(c.request().path, 500, "internal error", "request handler failed");
  }
  bool abandoned;
  {
    std::lock_guard<std::mutex> lock(mu_);
    --handlers_running_;
    abandoned = abandoned_;
    cv_.notify_all();
  }
  if (abandoned) return;  // its connection was closed: the answer is lost
  c.Answer(std::move(out));
}

int Core::Stop(std::chrono::milliseconds grace) {
  const auto deadline = Clock::now() + grace;
  {
    std::unique_lock<std::mutex> lock(mu_);
    if (stopped_) return static_cast<int>(handlers_running_);
    stopping_ = true;
    cv_.wait_until(lock, deadline, [this] { return in_flight_ == 0; });
    stopped_ = true;
  }
  // The listener closes on its own io thread (the acceptor is not thread-safe); waited for, so
  // a connection attempt after Stop is refused by the kernel.
  {
    std::promise<void> closed;
    asio::post(*ios_[0], [this, &closed] {
      boost::system::error_code ec;
      acceptor_->close(ec);
      accept_timer_->cancel();
      closed.set_value();
    });
    closed.get_future().wait_for(std::chrono::seconds(1));
  }
  // Idle keep-alive connections and requests still arriving are closed now; requests being
  // answered get the rest of the grace period. Then every connection is shut down: a handler
  // still running is left to finish on its worker (its answer is lost), so a stop never takes
  // longer than its grace period, whatever a handler does. A descriptor is shut, never closed,
  // from here: a connection forgets itself before closing it, under this lock.
  std::unique_lock<std::mutex> lock(mu_);
  for (auto& [c, answering] : connections_) {
    if (!answering) ::shutdown(c->fd(), SHUT_RDWR);
  }
  cv_.wait_until(lock, deadline, [this] { return in_flight_ == 0; });
  abandoned_ = true;
  for (auto& [c, answering] : connections_) ::shutdown(c->fd(), SHUT_RDWR);
  lock.unlock();
  // Requests waiting for a worker are dropped, with their connections.
  pool_->Stop();
  lock.lock();
  // The io threads see the shut sockets and let their connections go.
  cv_.wait_for(lock, kLeaveWait, [this] { return connections_.size() <= handlers_running_; });
  const int left = static_cast<int>(handlers_running_);
  lock.unlock();
  for (auto& w : work_) w.reset();
  for (auto& io : ios_) io->stop();
  for (auto& t : io_threads_) t.join();
  io_threads_.clear();
  return left;
}

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
