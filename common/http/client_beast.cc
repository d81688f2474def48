#include "common/http/client_beast.h"

#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <cerrno>
#include <cstring>
#include <limits>
#include <memory>
#include <mutex>
#include <vector>

#include "common/http/client_cpprest.h"
#include "common/http/fd_stream.h"
#include "common/http/resolve.h"

namespace edgerepl::http {
namespace {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;

// Idle connections kept per client; more are closed after use. The write port runs up to 16
// handlers by default, each holding one connection while it waits for the local InfluxDB.
constexpr size_t kMaxIdle = 64;
// An answer's status line and headers. Beast throws (instead of failing the read) on one field
// over 64 KiB, so the whole head is held below that; InfluxDB's answers have a few hundred bytes.
constexpr uint32_t kMaxHeaderBytes = 64 << 10;

struct Endpoint {
  std::string host;  // without brackets
  std::string port;
  std::string host_header;
  std::string prefix;  // "" or "/path" without a trailing slash
};

Result<Endpoint> ParseHttpUrl(const std::string& url) {
  constexpr std::string_view kScheme = "http://";
  if (url.compare(0, kScheme.size(), kScheme) != 0) {
    return Status::InvalidArgument("URL must start with http://: " + url);
  }
  std::string_view rest = std::string_view(url).substr(kScheme.size());
  size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  std::string_view path = slash == std::string_view::npos ? "" : rest.substr(slash);
  if (authority.empty() || authority.find('@') != std::string_view::npos ||
      path.find_first_of("?#") != std::string_view::npos) {
    return Status::InvalidArgument("invalid URL: " + url);
  }
  Endpoint e;
  e.host_header = std::string(authority);
  std::string_view port;
  if (authority.front() == '[') {
    size_t close = authority.find(']');
    if (close == std::string_view::npos) return Status::InvalidArgument("invalid URL: " + url);
    e.host = std::string(authority.substr(1, close - 1));
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return Status::InvalidArgument("invalid URL: " + url);
      port = after.substr(1);
    }
  } else {
    size_t colon = authority.rfind(':');
    e.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) port = authority.substr(colon + 1);
  }
  if (port.empty()) port = "80";
  if (e.host.empty() || port.size() > 5 ||
      port.find_first_not_of("0123456789") != std::string_view::npos ||
      std::stoi(std::string(port)) > 65535) {
    return Status::InvalidArgument("invalid URL: " + url);
  }
  e.port = std::string(port);
  while (!path.empty() && path.back() == '/') path.remove_suffix(1);
  e.prefix = std::string(path);
  return e;
}

// A connection and the bytes read past the last answer (none, for a well-behaved server).
struct Connection {
  // Beast sizes each read by the buffer's spare capacity (at least 512 bytes), and a buffer that
  // is emptied after every answer never grows: without room up front a large answer is read
  // 512 bytes per recv.
  explicit Connection(int fd) : stream(fd) { buffer.reserve(kReadChunkBytes); }
  FdStream stream;
  beast::flat_buffer buffer;
  bool broken = false;  // a write failed: never reused
};

class BeastHttpClient final : public HttpClient {
 public:
  BeastHttpClient(Endpoint endpoint, std::chrono::milliseconds timeout, LookupFn lookup)
      : endpoint_(std::move(endpoint)), timeout_(timeout), lookup_(std::move(lookup)) {}

  Result<HttpResponse> Send(const HttpRequest& request) override {
    auto deadline = FdStream::Clock::now() + timeout_;
    auto opened = Open<bhttp::string_body>(request, deadline);
    if (!opened.ok()) return opened.status();
    auto& [conn, parser] = *opened;
    beast::error_code ec;
    bhttp::read(conn->stream, conn->buffer, *parser, ec);
    if (ec) return Failure("reading answer", ec);
    auto& res = parser->get();
    HttpResponse out;
    out.status = res.result_int();
    out.headers = HeadersOf(res);
    out.body = std::move(res.body());
    if (res.keep_alive() && !conn->broken && conn->buffer.size() == 0) PutIdle(std::move(conn));
    return out;
  }

  Result<StreamedResponse> SendStreamed(const HttpRequest& request) override {
    auto opened = Open<bhttp::buffer_body>(request, FdStream::Clock::now() + timeout_);
    if (!opened.ok()) return opened.status();
    auto& [conn, parser] = *opened;
    StreamedResponse out;
    out.status = parser->get().result_int();
    out.headers = HeadersOf(parser->get());
    out.body = std::make_unique<StreamedBody>(std::move(conn), std::move(parser), timeout_);
    return out;
  }

 private:
  template <class Body>
  using Parser = bhttp::response_parser<Body>;

  // The body of an answer as it arrives. The connection is closed at the end rather than pooled:
  // the reader may outlive the client (a reload replaces it), and streamed answers are queries,
  // not the write path.
  class StreamedBody final : public BodyReader {
   public:
    StreamedBody(std::unique_ptr<Connection> conn,
                 std::unique_ptr<Parser<bhttp::buffer_body>> parser,
                 std::chrono::milliseconds idle_timeout)
        : conn_(std::move(conn)), parser_(std::move(parser)), idle_timeout_(idle_timeout) {}

    Status Next(std::string* piece) override {
      piece->resize(kPieceBytes);
      while (!parser_->is_done()) {
        auto& body = parser_->get().body();
        body.data = piece->data();
        body.size = piece->size();
        // The timeout is per piece: a long query may stream for longer than any one wait.
        conn_->stream.set_timeout(idle_timeout_);
        beast::error_code ec;
        bhttp::read_some(conn_->stream, conn_->buffer, *parser_, ec);
        if (ec && ec != bhttp::error::need_buffer) {
          piece->clear();
          return Status::Unavailable("reading answer: " + ec.message());
        }
        size_t n = piece->size() - body.size;
        if (n > 0) {
          piece->resize(n);
          return Status::Ok();
        }
      }
      piece->clear();
      return Status::Ok();
    }

   private:
    static constexpr size_t kPieceBytes = 64 * 1024;
    std::unique_ptr<Connection> conn_;
    std::unique_ptr<Parser<bhttp::buffer_body>> parser_;
    const std::chrono::milliseconds idle_timeout_;
  };

  template <class Message>
  static Headers HeadersOf(const Message& res) {
    Headers out;
    out.reserve(std::distance(res.begin(), res.end()));
    for (const auto& field : res) {
      out.emplace_back(std::string(field.name_string()), std::string(field.value()));
    }
    return out;
  }

  // Sends the request and reads the final answer's head, on a pooled connection or a new one.
  // A pooled connection the server closed while idle fails before any answer byte arrives; that
  // one attempt is repeated on a new connection. Writes are safe to repeat: the body carries
  // every point's timestamp, so InfluxDB stores the same points again.
  template <class Body>
  Result<std::pair<std::unique_ptr<Connection>, std::unique_ptr<Parser<Body>>>> Open(
      const HttpRequest& request, FdStream::Clock::time_point deadline) {
    for (;;) {
      std::unique_ptr<Connection> conn = TakeIdle();
      bool reused = conn != nullptr;
      if (!conn) {
        auto fresh = Connect(deadline);
        if (!fresh.ok()) return fresh.status();
        conn = std::move(fresh).value();
      }
      conn->stream.set_deadline(deadline);
      bool answered = false;
      std::unique_ptr<Parser<Body>> parser;
      beast::error_code ec = Head(*conn, request, &parser, &answered);
      if (!ec) return std::make_pair(std::move(conn), std::move(parser));
      if (reused && !answered && FdStream::Clock::now() < deadline) continue;
      return Failure(answered ? "reading answer" : "sending request", ec);
    }
  }

  // One request and the head of its final answer. `answered`: some of an answer arrived, so
  // the request must not be repeated.
  template <class Body>
  beast::error_code Head(Connection& conn, const HttpRequest& request,
                         std::unique_ptr<Parser<Body>>* parser, bool* answered) {
    std::string_view body = request.body;
    const bool sized = !body.empty() || request.method == "POST" || request.method == "PUT";
    std::string head = HeadText(request, sized);
    std::array<boost::asio::const_buffer, 2> parts = {
        boost::asio::buffer(head), boost::asio::buffer(body.data(), body.size())};
    beast::error_code ec;
    boost::asio::write(conn.stream, parts, ec);
    if (ec) {
      // A server refusing the body (InfluxDB's 413 past max-body-size) answers and closes before
      // reading all of it: the write breaks, but its answer is already here to be read.
      conn.broken = true;
      const beast::error_code write_ec = ec;
      ec = ReadFinalHead(conn, request, parser, answered);
      return ec ? write_ec : ec;
    }
    return ReadFinalHead(conn, request, parser, answered);
  }

  template <class Body>
  beast::error_code ReadFinalHead(Connection& conn, const HttpRequest& request,
                                  std::unique_ptr<Parser<Body>>* parser, bool* answered) {
    beast::error_code ec;
    // 100 Continue and other interim answers precede the final one.
    do {
      *parser = std::make_unique<Parser<Body>>();
      // Not boost::none: Boost 1.74 compares a Content-Length against the empty optional and
      // refuses every sized body.
      (*parser)->body_limit(std::numeric_limits<uint64_t>::max());
      (*parser)->header_limit(kMaxHeaderBytes);
      if (request.method == "HEAD") (*parser)->skip(true);
      bhttp::read_header(conn.stream, conn.buffer, **parser, ec);
      if ((*parser)->got_some()) *answered = true;
    } while (!ec && (*parser)->get().result_int() >= 100 && (*parser)->get().result_int() < 200);
    return ec;
  }

  // The request's head as one buffer, built in one pass. Beast's serializer hands the head over
  // as one buffer per field and walks every remaining field again for each gather write: a
  // request with 64k header fields took 5 s (minutes under ASan) to forward.
  std::string HeadText(const HttpRequest& request, bool sized) const {
    size_t n = request.method.size() + endpoint_.prefix.size() + request.target.size() +
               endpoint_.host_header.size() + 64;
    for (const auto& [k, v] : request.headers) n += k.size() + v.size() + 4;
    std::string head;
    head.reserve(n);
    head.append(request.method).append(" ").append(endpoint_.prefix).append(request.target);
    head.append(" HTTP/1.1\r\nHost: ").append(endpoint_.host_header).append("\r\n");
    for (const auto& [k, v] : request.headers) {
      head.append(k).append(": ").append(v).append("\r\n");
    }
    if (sized) head.append("Content-Length: ").append(std::to_string(request.body.size()));
    if (sized) head.append("\r\n");
    head.append("\r\n");
    return head;
  }

  Status Failure(std::string_view what, const beast::error_code& ec) {
    return Status::Unavailable(std::string(what) + " to " + endpoint_.host_header + ": " +
                               ec.message());
  }

  std::unique_ptr<Connection> TakeIdle() {
    std::lock_guard<std::mutex> lock(mu_);
    while (!idle_.empty()) {
      std::unique_ptr<Connection> c = std::move(idle_.back());
      idle_.pop_back();
      if (!c->stream.PeerClosedOrDirty()) return c;
    }
    return nullptr;
  }

  void PutIdle(std::unique_ptr<Connection> conn) {
    std::lock_guard<std::mutex> lock(mu_);
    if (idle_.size() < kMaxIdle) idle_.push_back(std::move(conn));
  }

  Result<std::unique_ptr<Connection>> Connect(FdStream::Clock::time_point deadline) {
    auto resolved = ResolveTcp(endpoint_.host, endpoint_.port, deadline, lookup_);
    if (!resolved.ok()) return resolved.status();
    addrinfo* found = resolved->get();
    std::string error = "no address";
    for (addrinfo* ai = found; ai != nullptr; ai = ai->ai_next) {
      int fd =
          ::socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, ai->ai_protocol);
      if (fd < 0) {
        error = std::strerror(errno);
        continue;
      }
      auto conn = std::make_unique<Connection>(fd);
      if (::connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
        if (errno != EINPROGRESS) {
          error = std::strerror(errno);
          continue;
        }
        auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - FdStream::Clock::now());
        pollfd p{fd, POLLOUT, 0};
        if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) <= 0) {
          error = "connect timed out";
          continue;
        }
        int err = 0;
        socklen_t len = sizeof err;
        ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
        if (err != 0) {
          error = std::strerror(err);
          continue;
        }
      }
      int one = 1;
      // The request's head and body leave in one gather; Nagle would hold a small request's
      // last segment until the server's delayed ACK.
      ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      return conn;
    }
    return Status::Unavailable("connecting to " + endpoint_.host_header + ": " + error);
  }

  const Endpoint endpoint_;
  const std::chrono::milliseconds timeout_;
  const LookupFn lookup_;
  std::mutex mu_;
  std::vector<std::unique_ptr<Connection>> idle_;  // GUARDED_BY(mu_)
};

}  // namespace

Result<HttpClientPtr> MakeBeastHttpClient(const HttpClientOptions& options, LookupFn lookup) {
  auto endpoint = ParseHttpUrl(options.base_url);
  if (!endpoint.ok()) return endpoint.status();
  return HttpClientPtr(std::make_unique<BeastHttpClient>(std::move(endpoint).value(),
                                                         options.timeout, std::move(lookup)));
}

Result<HttpClientPtr> MakeHttpClient(const HttpClientOptions& options) {
  if (options.base_url.compare(0, 7, "http://") == 0) return MakeBeastHttpClient(options);
  return MakeCpprestHttpClient(options);
}

}  // namespace edgerepl::http
