// The only file that sees cpprestsdk's listener. cpprest calls OnRequest on its I/O pool; the
// request is handed to our own workers at once, so handlers may block without holding an I/O
// thread (cpprest's outbound clients complete on that same pool). Every library exception stops
// here.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cpprest/http_listener.h>
#include <cpprest/rawptrstream.h>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

#include "common/httpserver/server.h"

namespace edgerepl::httpserver {
namespace {

namespace web_http = web::http;
namespace listener_ns = web::http::experimental::listener;

constexpr size_t kReadChunkBytes = 64 * 1024;
// How often a free port is probed and bound when the caller asked for port 0 (another process
// may take the probed port in between).
constexpr int kFreePortAttempts = 20;

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
    if (n.size() == name.size() && std::equal(n.begin(), n.end(), name.begin(), [](char a, char b) {
          return a == std::tolower(static_cast<unsigned char>(b));
        }))
      return true;
  }
  return false;
}

std::string ErrorBody(std::string_view code, std::string_view message) {
  // Only fixed ASCII text reaches here: no escaping needed.
  return "{\"code\":\"" + std::string(code) + "\",\"message\":\"" + std::string(message) + "\"}";
}

Response Plain(int status, std::string_view code, std::string_view message) {
  Response r;
  r.status = status;
  r.headers.emplace_back("Content-Type", "application/json; charset=utf-8");
  r.body = ErrorBody(code, message);
  return r;
}

// A port that was free on `host` a moment ago.
int ProbeFreePort(const std::string& host) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return 0;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = 0;
  if (host.empty() || ::inet_pton(AF_INET, host.c_str(), &addr.sin_addr) != 1) {
    addr.sin_addr.s_addr = htonl(INADDR_ANY);
  }
  int port = 0;
  socklen_t len = sizeof(addr);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  ::close(fd);
  return port;
}

class CpprestServer final : public Server {
 public:
  CpprestServer(Handler handler, ServerOptions options)
      : handler_(std::move(handler)), options_(options), max_body_bytes_(options.max_body_bytes) {}

  ~CpprestServer() override { Stop(std::chrono::seconds(5)); }

  Status Open(const ListenAddress& address) {
    std::string host = address.host.empty() ? "0.0.0.0" : address.host;
    Status last;
    int attempts = address.port == 0 ? kFreePortAttempts : 1;
    for (int i = 0; i < attempts; ++i) {
      int port = address.port == 0 ? ProbeFreePort(address.host) : address.port;
      if (port == 0) continue;
      std::string url = "http://" +
                        (host.find(':') != std::string::npos ? "[" + host + "]" : host) + ":" +
                        std::to_string(port) + "/";
      try {
        listener_ns::http_listener_config config;
        config.set_timeout(options_.timeout);
        auto listener = std::make_unique<listener_ns::http_listener>(web::uri(url), config);
        listener->support([this](web_http::http_request request) { OnRequest(request); });
        listener->open().wait();
        listener_ = std::move(listener);
        port_ = port;
        break;
      } catch (const std::exception& e) {
        last = Status::Unavailable("cannot listen on " + host + ":" + std::to_string(port) + ": " +
                                   e.what());
      } catch (...) {
        last = Status::Unavailable("cannot listen on " + host + ":" + std::to_string(port));
      }
    }
    if (!listener_) {
      return last.ok() ? Status::Unavailable("no free port on " + host) : last;
    }
    int threads = std::max(1, options_.worker_threads);
    for (int i = 0; i < threads; ++i) workers_.emplace_back([this] { Work(); });
    return Status::Ok();
  }

  int port() const override { return port_; }

  void SetMaxBodyBytes(uint64_t max_body_bytes) override { max_body_bytes_ = max_body_bytes; }

  void Stop(std::chrono::milliseconds grace) override {
    {
      std::unique_lock<std::mutex> lock(mu_);
      if (stopped_) return;
      stopping_ = true;
      drained_cv_.wait_for(lock, grace, [this] { return in_flight_ == 0; });
      stopped_ = true;
    }
    work_cv_.notify_all();
    for (auto& t : workers_) t.join();
    workers_.clear();
    // Anything still queued after the grace period is refused rather than left hanging.
    for (auto& request : queue_) Reply(request, Plain(503, "unavailable", "server is stopping"));
    queue_.clear();
    if (listener_) {
      try {
        listener_->close().wait();
      } catch (...) {
      }
      listener_.reset();
    }
  }

 private:
  void OnRequest(web_http::http_request request) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (!stopping_) {
        ++in_flight_;
        queue_.push_back(std::move(request));
        work_cv_.notify_one();
        return;
      }
    }
    Response r = Plain(503, "unavailable", "server is stopping");
    r.headers.emplace_back("Connection", "close");
    Reply(request, r);
  }

  void Work() {
    for (;;) {
      web_http::http_request request;
      {
        std::unique_lock<std::mutex> lock(mu_);
        work_cv_.wait(lock, [this] { return stopped_ || !queue_.empty(); });
        if (queue_.empty()) return;
        request = std::move(queue_.front());
        queue_.pop_front();
      }
      Serve(request);
      std::lock_guard<std::mutex> lock(mu_);
      if (--in_flight_ == 0) drained_cv_.notify_all();
    }
  }

  void Serve(web_http::http_request& request) {
    Request in;
    try {
      in.method = request.method();
      const web::uri& uri = request.relative_uri();
      in.path = uri.path();
      if (in.path.empty() || in.path.front() != '/') in.path.insert(in.path.begin(), '/');
      in.query = uri.query();
      in.remote_address = request.remote_address();
      for (const auto& [k, v] : request.headers()) in.headers.emplace_back(k, v);
      uint64_t limit = max_body_bytes_.load();
      if ((limit > 0 && request.headers().content_length() > limit) ||
          !ReadBody(request, limit, &in.body)) {
        in.body.clear();
        if (options_.on_too_large) options_.on_too_large(in);
        Reply(request, TooLarge(limit));
        return;
      }
    } catch (...) {
      // The client went away or sent a body cpprest could not read: nobody to answer.
      return;
    }
    Response out;
    try {
      out = handler_(in);
    } catch (const std::exception& e) {
      out = Plain(500, "internal error", "request handler failed");
    } catch (...) {
      out = Plain(500, "internal error", "request handler failed");
    }
    Reply(request, out);
  }

  static Response TooLarge(uint64_t limit) {
    Response r =
        Plain(413, "request too large", "request body exceeds " + std::to_string(limit) + " bytes");
    r.headers.emplace_back("Connection", "close");
    return r;
  }

  // Reads the body as it arrives; false as soon as it exceeds `limit` (0 = none).
  static bool ReadBody(web_http::http_request& request, uint64_t limit, std::string* out) {
    auto stream = request.body();
    if (!stream.is_valid()) return true;
    std::vector<uint8_t> chunk(kReadChunkBytes);
    for (;;) {
      concurrency::streams::rawptr_buffer<uint8_t> buf(chunk.data(), chunk.size());
      size_t n = stream.read(buf, chunk.size()).get();
      if (n == 0) return true;
      out->append(reinterpret_cast<const char*>(chunk.data()), n);
      if (limit > 0 && out->size() > limit) return false;
    }
  }

  static void Reply(web_http::http_request& request, const Response& r) {
    try {
      web_http::http_response resp(static_cast<web_http::status_code>(r.status));
      std::string content_type;
      for (const auto& [k, v] : r.headers) {
        if (http::FindHeader({{k, v}}, "content-type")) {
          content_type = v;
        } else if (!IsHopByHop(k) || http::FindHeader({{k, v}}, "connection")) {
          resp.headers().add(k, v);
        }
      }
      if (!r.body.empty()) {
        // A byte vector, as the client adapter uses: cpprest must not transcode the body.
        resp.set_body(std::vector<unsigned char>(r.body.begin(), r.body.end()));
        resp.headers().remove(web_http::header_names::content_type);
      }
      if (!content_type.empty()) resp.headers().set_content_type(content_type);
      request.reply(resp).wait();
    } catch (...) {
      // The connection is gone; the client sees a reset, as with any proxy.
    }
  }

  const Handler handler_;
  const ServerOptions options_;
  std::atomic<uint64_t> max_body_bytes_;
  std::unique_ptr<listener_ns::http_listener> listener_;
  int port_ = 0;
  std::mutex mu_;
  std::condition_variable work_cv_;
  std::condition_variable drained_cv_;
  std::deque<web_http::http_request> queue_;  // GUARDED_BY(mu_)
  size_t in_flight_ = 0;                      // queued or being served; GUARDED_BY(mu_)
  bool stopping_ = false;                     // GUARDED_BY(mu_)
  bool stopped_ = false;                      // GUARDED_BY(mu_)
  std::vector<std::thread> workers_;
};

}  // namespace

Result<std::unique_ptr<Server>> Server::Start(std::string listen, Handler handler,
                                              ServerOptions options) {
  auto address = ParseListenAddress(listen);
  if (!address.ok()) return address.status();
  auto server = std::make_unique<CpprestServer>(std::move(handler), options);
  Status st = server->Open(*address);
  if (!st.ok()) return st;
  return std::unique_ptr<Server>(std::move(server));
}

}  // namespace edgerepl::httpserver
