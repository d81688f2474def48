// The inbound HTTP seam. Handlers are plain functions from our Request to our Response, so the
// write path, the proxy and the admin API are tested without a socket; the HTTP library
// (Boost.Beast) is seen only in server_beast.cc. A few io threads hold every connection and never
// block; handlers run on a fixed pool of worker threads, so a handler may block (local write,
// fsync, outbound HTTP) and a thousand connections cost sockets, not threads.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "common/http/client.h"
#include "common/status.h"

namespace edgerepl::httpserver {

struct Request {
  std::string method;
  std::string path;   // as sent (percent-encoded), e.g. "/api/v2/write"
  std::string query;  // raw, without '?', e.g. "org=a&bucket=b"
  http::Headers headers;
  std::string body;  // as received (still compressed when Content-Encoding says so)
  std::string remote_address;

  // Case-insensitive; nullptr when absent.
  const std::string* Header(std::string_view name) const { return http::FindHeader(headers, name); }
};

struct Response {
  int status = 200;
  http::Headers headers;  // hop-by-hop headers and Content-Length are set by the server
  std::string body;
  // When set, the body is read from here and sent as it comes (chunked; `body` is ignored), on
  // the worker threads after the handler returned, one piece at a time (a worker is free again
  // while a piece is being sent). A read error cuts the answer short and closes the connection,
  // so the client sees a truncated body rather than a complete one.
  std::shared_ptr<http::BodyReader> stream;
};

using Handler = std::function<Response(const Request&)>;

struct ServerOptions {
  // Request bodies larger than this (as received) are answered 413 without calling the handler.
  // 0 = no limit. May be changed later with Server::SetMaxBodyBytes.
  uint64_t max_body_bytes = 0;
  // The threads that run handlers: the number of handlers that run at once. More requests wait,
  // in arrival order, for a free one; no thread is ever started per connection or request.
  int worker_threads = 16;
  // The threads that accept, read requests, write answers and keep the timeouts (they never
  // block, so a few serve any number of connections).
  int io_threads = 2;
  // Open connections beyond this are answered 503 and closed. Each needs a file descriptor
  // (RLIMIT_NOFILE) and about 2 KiB while idle.
  size_t max_connections = 10000;
  // Called (on an io thread: it must not block) for a request refused with 413 before its handler
  // ran, with the request's line and headers but no body, so callers can count it like any other
  // answer.
  std::function<void(const Request&)> on_too_large;
  // A keep-alive connection with no request started for this long is closed. Above the 90 s
  // after which Go's HTTP clients (Telegraf, InfluxDB's) drop an idle connection themselves.
  std::chrono::milliseconds idle_timeout{std::chrono::seconds(120)};
  // From a request's first byte: its line and headers must be in within header_timeout (as
  // influxd 2.x's --http-read-header-timeout, 10 s), and its body within read_timeout, or the
  // connection is closed without an answer. A client sending a byte a second holds a socket
  // for at most these, never a thread.
  std::chrono::milliseconds header_timeout{std::chrono::seconds(10)};
  std::chrono::milliseconds read_timeout{std::chrono::seconds(120)};
  // An answer (or each piece of a streamed one) the client does not take within this closes the
  // connection.
  std::chrono::milliseconds write_timeout{std::chrono::seconds(120)};
  // Request bodies held in memory at once, across all connections (0 = no budget). A request
  // whose body does not fit waits up to body_memory_wait for others to finish, then is answered
  // 503 with Retry-After before its body is read. May be changed with SetBodyMemoryBytes.
  uint64_t body_memory_bytes = 0;
  std::chrono::milliseconds body_memory_wait{1000};
  // Called with each change (+/- bytes) of the body memory held, for a gauge (from io and worker
  // threads; it must not block).
  std::function<void(int64_t delta)> on_body_memory;
  // Called (on an io thread) for a request refused for lack of body memory, with its line and
  // headers.
  std::function<void(const Request&)> on_body_memory_refused;
  // Writes the answers the server gives itself (413, 431, 501, 503, a malformed request), given
  // the request's path ("" when it was not read), so each endpoint's clients get errors in the
  // shape they parse. Unset: {"code","message"} JSON. Called on io threads (500 for a handler's
  // exception on a worker): it must not block.
  std::function<Response(std::string_view path, int status, std::string_view code,
                         std::string_view message)>
      error_response;
};

class Server {
 public:
  virtual ~Server() = default;

  // Listens on `listen` (":9186" = every interface, "127.0.0.1:0" = a free loopback port) and
  // serves every request with `handler`. kUnavailable when the address cannot be bound.
  static Result<std::unique_ptr<Server>> Start(std::string listen, Handler handler,
                                               ServerOptions options = {});

  virtual int port() const = 0;
  virtual void SetMaxBodyBytes(uint64_t max_body_bytes) = 0;
  virtual void SetBodyMemoryBytes(uint64_t bytes) = 0;
  // Stops accepting (late arrivals get 503), waits up to `grace` for requests in flight to be
  // answered, then closes the listener and every connection. Returns within about `grace` even
  // when a handler does not: such a handler keeps running on its worker thread (its answer is
  // lost) and is counted in the result, the handlers still running; requests still waiting for a
  // worker are dropped with their connections. Idempotent; the destructor calls
  // it. A caller that saw handlers left running must not destroy what they use (the agent exits).
  virtual int Stop(std::chrono::milliseconds grace = std::chrono::seconds(30)) = 0;
};
using ServerPtr = std::unique_ptr<Server>;

// Splits "host:port" (host may be empty or "[v6]"); kInvalidArgument when malformed.
struct ListenAddress {
  std::string host;  // "" = every interface
  int port = 0;
};
Result<ListenAddress> ParseListenAddress(std::string_view listen);

// The path and query of a request target: the target itself in origin form ("/write?db=x"),
// what follows the authority in absolute form ("http://host:8086/write?db=x" -> "/write?db=x",
// "http://host" -> "/"). The scheme is matched case-insensitively.
std::string_view OriginFormTarget(std::string_view target);

// The first transfer coding of a Transfer-Encoding value other than "chunked" (as written, for
// the answer), or empty when every one is chunked.
std::string_view OtherTransferCoding(std::string_view transfer_encoding);

}  // namespace edgerepl::httpserver
