#include "common/httpserver/server.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <future>
#include <mutex>
#include <thread>

#include "common/http/client_cpprest.h"
#include "tests/support/process.h"

namespace edgerepl::httpserver {
namespace {

using edgerepl::testing::HttpRequest;

ServerPtr StartOrDie(Handler handler, ServerOptions options = {}) {
  auto server = Server::Start("127.0.0.1:0", std::move(handler), options);
  EXPECT_TRUE(server.ok()) << server.status().ToString();
  return std::move(server).value();
}

// Writes `raw` to the port and returns everything the server sends until it closes.
std::string RawExchange(int port, const std::string& raw) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return "";
  }
  ::send(fd, raw.data(), raw.size(), MSG_NOSIGNAL);
  std::string out;
  char buf[4096];
  for (;;) {
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return out;
}

TEST(Server, PassesRequestAndResponseThrough) {
  Request seen;
  auto server = StartOrDie([&](const Request& r) {
    seen = r;
    Response out;
    out.status = 201;
    out.headers.emplace_back("Content-Type", "application/json");
    out.headers.emplace_back("X-Influxdb-Version", "1.8.10");
    out.body = "{\"ok\":true}";
    return out;
  });
  std::string body;
  int code = HttpRequest(server->port(), "POST", "/api/v2/write?org=o&bucket=b%20c",
                         {{"Authorization", "Token abc"}}, "m f=1 1\n", &body);
  EXPECT_EQ(code, 201);
  EXPECT_EQ(body, "{\"ok\":true}");
  EXPECT_EQ(seen.method, "POST");
  EXPECT_EQ(seen.path, "/api/v2/write");
  EXPECT_EQ(seen.query, "org=o&bucket=b%20c");
  EXPECT_EQ(seen.body, "m f=1 1\n");
  ASSERT_NE(seen.Header("authorization"), nullptr);
  EXPECT_EQ(*seen.Header("authorization"), "Token abc");

  http::HttpClientOptions o;
  o.base_url = "http://127.0.0.1:" + std::to_string(server->port());
  auto client = http::MakeCpprestHttpClient(o).value();
  http::HttpRequest req;
  req.method = "GET";
  req.target = "/ping";
  auto resp = client->Send(req);
  ASSERT_TRUE(resp.ok());
  EXPECT_EQ(resp->status, 201);
  ASSERT_NE(http::FindHeader(resp->headers, "x-influxdb-version"), nullptr);
  EXPECT_EQ(*http::FindHeader(resp->headers, "x-influxdb-version"), "1.8.10");
  ASSERT_NE(http::FindHeader(resp->headers, "content-type"), nullptr);
  EXPECT_EQ(*http::FindHeader(resp->headers, "content-type"), "application/json");
}

TEST(Server, NoContentTypeIsInventedForEmptyBodies) {
  auto server = StartOrDie([](const Request&) {
    Response r;
    r.status = 204;
    return r;
  });
  std::string raw =
      RawExchange(server->port(), "GET /ping HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(raw.rfind("HTTP/1.1 204", 0), 0u) << raw;
  std::string lower;
  for (char c : raw) lower.push_back(static_cast<char>(std::tolower(c)));
  EXPECT_EQ(lower.find("content-type"), std::string::npos) << raw;
}

TEST(Server, BodyOverLimitByContentLengthIs413WithoutCallingHandler) {
  std::atomic<int> calls{0};
  std::atomic<int> refused{0};
  ServerOptions options;
  options.max_body_bytes = 100;
  options.on_too_large = [&](const Request& r) {
    EXPECT_EQ(r.path, "/write");
    EXPECT_TRUE(r.body.empty());
    ++refused;
  };
  auto server = StartOrDie(
      [&](const Request&) {
        ++calls;
        return Response{};
      },
      options);
  std::string body;
  EXPECT_EQ(HttpRequest(server->port(), "POST", "/write", {}, std::string(101, 'x'), &body), 413);
  EXPECT_NE(body.find("request too large"), std::string::npos);
  EXPECT_EQ(calls.load(), 0);
  EXPECT_EQ(refused.load(), 1);
  EXPECT_EQ(HttpRequest(server->port(), "POST", "/write", {}, std::string(100, 'x')), 200);
  EXPECT_EQ(calls.load(), 1);
  EXPECT_EQ(refused.load(), 1);
}

TEST(Server, ChunkedBodyOverLimitIs413) {
  std::atomic<int> calls{0};
  ServerOptions options;
  options.max_body_bytes = 1000;
  auto server = StartOrDie(
      [&](const Request&) {
        ++calls;
        return Response{};
      },
      options);
  std::string chunk(600, 'a');
  std::string raw =
      "POST /write HTTP/1.1\r\nHost: x\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (int i = 0; i < 3; ++i) raw += "258\r\n" + chunk + "\r\n";
  raw += "0\r\n\r\n";
  std::string out = RawExchange(server->port(), raw);
  EXPECT_EQ(out.rfind("HTTP/1.1 413", 0), 0u) << out;
  EXPECT_EQ(calls.load(), 0);
}

TEST(Server, SetMaxBodyBytesAppliesToLaterRequests) {
  auto server = StartOrDie([](const Request&) { return Response{}; });
  EXPECT_EQ(HttpRequest(server->port(), "POST", "/", {}, std::string(50, 'x')), 200);
  server->SetMaxBodyBytes(10);
  EXPECT_EQ(HttpRequest(server->port(), "POST", "/", {}, std::string(50, 'x')), 413);
}

TEST(Server, HandlerExceptionIs500) {
  auto server = StartOrDie([](const Request&) -> Response { throw std::runtime_error("boom"); });
  std::string body;
  EXPECT_EQ(HttpRequest(server->port(), "GET", "/", {}, "", &body), 500);
  EXPECT_EQ(body.find("boom"), std::string::npos);
}

TEST(Server, HandlersRunConcurrently) {
  std::atomic<int> inside{0};
  std::atomic<int> max_inside{0};
  ServerOptions options;
  options.worker_threads = 4;
  auto server = StartOrDie(
      [&](const Request&) {
        int now = ++inside;
        int prev = max_inside.load();
        while (now > prev && !max_inside.compare_exchange_weak(prev, now)) {
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
        --inside;
        return Response{};
      },
      options);
  std::vector<std::future<int>> calls;
  for (int i = 0; i < 4; ++i) {
    calls.push_back(std::async(std::launch::async,
                               [&] { return HttpRequest(server->port(), "GET", "/", {}, ""); }));
  }
  for (auto& c : calls) EXPECT_EQ(c.get(), 200);
  EXPECT_GE(max_inside.load(), 2);
}

TEST(Server, StopFinishesRequestsInFlightThenRefusesConnections) {
  std::promise<void> entered;
  auto server = StartOrDie([&](const Request&) {
    entered.set_value();
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    Response r;
    r.status = 204;
    return r;
  });
  int port = server->port();
  auto call = std::async(std::launch::async, [&] { return HttpRequest(port, "GET", "/", {}, ""); });
  entered.get_future().wait();
  server->Stop();
  EXPECT_EQ(call.get(), 204);
  EXPECT_EQ(HttpRequest(port, "GET", "/", {}, ""), 0);
}

// A body source whose pieces are released one at a time by the test.
class GatedBody final : public http::BodyReader {
 public:
  explicit GatedBody(std::vector<std::string> pieces) : pieces_(std::move(pieces)) {}
  Status Next(std::string* piece) override {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [this] { return released_ > given_ || given_ >= pieces_.size(); });
    if (given_ >= pieces_.size()) {
      piece->clear();
      return Status::Ok();
    }
    *piece = pieces_[given_++];
    return Status::Ok();
  }
  void Release() {
    std::lock_guard<std::mutex> lock(mu_);
    ++released_;
    cv_.notify_all();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::string> pieces_;
  size_t given_ = 0;
  size_t released_ = 0;
};

TEST(Server, StreamedBodyReachesTheClientPieceByPiece) {
  auto body = std::make_shared<GatedBody>(std::vector<std::string>{"first,", "second"});
  auto server = StartOrDie([&](const Request&) {
    Response r;
    r.headers.emplace_back("Content-Type", "application/csv");
    r.stream = body;
    return r;
  });
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(server->port()));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  std::string req = "GET /query?chunked=true HTTP/1.1\r\nHost: x\r\n\r\n";
  ::send(fd, req.data(), req.size(), MSG_NOSIGNAL);
  auto read_until = [&](std::string* got, const std::string& want) {
    char buf[4096];
    while (got->find(want) == std::string::npos) {
      ssize_t n = ::recv(fd, buf, sizeof buf, 0);
      if (n <= 0) return false;
      got->append(buf, static_cast<size_t>(n));
    }
    return true;
  };
  std::string got;
  body->Release();
  // The first piece arrives while the second is still held back by the source.
  ASSERT_TRUE(read_until(&got, "first,\r\n")) << got;
  EXPECT_EQ(got.rfind("HTTP/1.1 200", 0), 0u) << got;
  std::string lower;
  for (char c : got) lower.push_back(static_cast<char>(std::tolower(c)));
  EXPECT_NE(lower.find("transfer-encoding: chunked"), std::string::npos) << got;
  EXPECT_NE(lower.find("content-type: application/csv"), std::string::npos) << got;
  EXPECT_EQ(got.find("second"), std::string::npos);
  body->Release();
  ASSERT_TRUE(read_until(&got, "0\r\n\r\n")) << got;
  EXPECT_NE(got.find("6\r\nsecond\r\n0\r\n\r\n"), std::string::npos) << got;
  ::close(fd);
}

class FailingBody final : public http::BodyReader {
 public:
  Status Next(std::string* piece) override {
    if (calls_++ == 0) {
      *piece = "partial";
      return Status::Ok();
    }
    return Status::Unavailable("upstream reset");
  }

 private:
  int calls_ = 0;
};

TEST(Server, StreamErrorCutsTheAnswerShort) {
  auto server = StartOrDie([](const Request&) {
    Response r;
    r.stream = std::make_shared<FailingBody>();
    return r;
  });
  std::string raw = RawExchange(server->port(), "GET /query HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_NE(raw.find("7\r\npartial\r\n"), std::string::npos) << raw;
  // No last chunk: the client knows the body is incomplete.
  EXPECT_EQ(raw.find("0\r\n\r\n"), std::string::npos) << raw;
}

TEST(Server, StreamedBodyIsGatheredForHttp10Clients) {
  auto server = StartOrDie([](const Request&) {
    Response r;
    auto body = std::make_shared<GatedBody>(std::vector<std::string>{"a", "b"});
    body->Release();
    body->Release();
    r.stream = body;
    return r;
  });
  std::string raw = RawExchange(server->port(), "GET /query HTTP/1.0\r\nHost: x\r\n\r\n");
  EXPECT_EQ(raw.rfind("HTTP/1.1 200", 0), 0u) << raw;
  EXPECT_NE(raw.find("Content-Length: 2\r\n"), std::string::npos) << raw;
  EXPECT_EQ(raw.substr(raw.size() - 4), "\r\nab") << raw;
}

int ConnectTo(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// Reads until `want` was seen `times` times or the peer closed; what was read.
std::string ReadUntil(int fd, const std::string& want, int times = 1) {
  std::string got;
  char buf[4096];
  auto count = [&] {
    int n = 0;
    for (size_t at = got.find(want); at != std::string::npos; at = got.find(want, at + 1)) ++n;
    return n;
  };
  while (count() < times) {
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    got.append(buf, static_cast<size_t>(n));
  }
  return got;
}

TEST(Server, KeepAliveServesManyRequestsOnOneConnection) {
  std::atomic<int> calls{0};
  auto server = StartOrDie([&](const Request& r) {
    ++calls;
    Response out;
    out.body = r.body;
    return out;
  });
  int fd = ConnectTo(server->port());
  ASSERT_GE(fd, 0);
  std::string two =
      "POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\none"
      "POST /b HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\ntwo";
  ::send(fd, two.data(), two.size(), MSG_NOSIGNAL);
  std::string got = ReadUntil(fd, "HTTP/1.1 200", 2);
  // Pipelined requests are answered in order on the same connection.
  size_t one = got.find("\r\n\r\none");
  size_t second = got.find("\r\n\r\ntwo");
  ASSERT_NE(one, std::string::npos) << got;
  ASSERT_NE(second, std::string::npos) << got;
  EXPECT_LT(one, second);
  std::string third = "GET /c HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
  ::send(fd, third.data(), third.size(), MSG_NOSIGNAL);
  got = ReadUntil(fd, "never");  // until the server closes, as asked
  EXPECT_EQ(got.rfind("HTTP/1.1 200", 0), 0u) << got;
  ::close(fd);
  EXPECT_EQ(calls.load(), 3);
}

TEST(Server, IdleConnectionIsClosedAfterTimeout) {
  ServerOptions options;
  options.idle_timeout = std::chrono::seconds(1);
  auto server = StartOrDie([](const Request&) { return Response{}; }, options);
  int fd = ConnectTo(server->port());
  ASSERT_GE(fd, 0);
  auto start = std::chrono::steady_clock::now();
  char c;
  EXPECT_EQ(::recv(fd, &c, 1, 0), 0);  // closed by the server, not by a reset or data
  auto waited = std::chrono::steady_clock::now() - start;
  EXPECT_GE(waited, std::chrono::milliseconds(900));
  EXPECT_LT(waited, std::chrono::seconds(5));
  ::close(fd);
}

TEST(Server, ExpectContinueIsAnsweredBeforeTheBodyIsSent) {
  Request seen;
  auto server = StartOrDie([&](const Request& r) {
    seen = r;
    return Response{};
  });
  int fd = ConnectTo(server->port());
  ASSERT_GE(fd, 0);
  std::string head =
      "POST /write HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n"
      "Connection: close\r\n\r\n";
  ::send(fd, head.data(), head.size(), MSG_NOSIGNAL);
  std::string interim = ReadUntil(fd, "\r\n\r\n");
  EXPECT_EQ(interim, "HTTP/1.1 100 Continue\r\n\r\n");
  ::send(fd, "hello", 5, MSG_NOSIGNAL);
  std::string final_answer = ReadUntil(fd, "never");
  EXPECT_EQ(final_answer.rfind("HTTP/1.1 200", 0), 0u) << final_answer;
  ::close(fd);
  EXPECT_EQ(seen.body, "hello");
}

TEST(Server, OversizedHeadersAre431) {
  auto server = StartOrDie([](const Request&) { return Response{}; });
  std::string raw = "GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(2 << 20, 'a') +
                    "\r\nConnection: close\r\n\r\n";
  std::string out = RawExchange(server->port(), raw);
  EXPECT_EQ(out.rfind("HTTP/1.1 431", 0), 0u) << out.substr(0, 200);
}

TEST(Server, StopReturnsWithinTheGracePeriodWhateverAHandlerDoes) {
  // Shared with the handler, which outlives the Stop (and is waited for below).
  auto release = std::make_shared<std::promise<void>>();
  auto released = release->get_future().share();
  std::promise<void> entered;
  std::atomic<bool> finished{false};
  auto server = StartOrDie([&, released](const Request&) {
    entered.set_value();
    released.wait();  // a handler stuck on something (a hung local InfluxDB)
    finished = true;
    Response r;
    r.status = 204;
    return r;
  });
  int port = server->port();
  int idle = ConnectTo(port);  // an idle keep-alive connection is closed at once
  ASSERT_GE(idle, 0);
  auto call = std::async(std::launch::async, [&] { return HttpRequest(port, "GET", "/", {}, ""); });
  entered.get_future().wait();
  auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(server->Stop(std::chrono::milliseconds(300)), 1);  // one handler left running
  auto took = std::chrono::steady_clock::now() - start;
  EXPECT_GE(took, std::chrono::milliseconds(300));
  EXPECT_LT(took, std::chrono::milliseconds(1500));
  EXPECT_EQ(call.get(), 0);  // its connection was closed: no answer
  char c;
  EXPECT_EQ(::recv(idle, &c, 1, 0), 0);
  ::close(idle);
  server.reset();  // the handler's thread does not use the destroyed server
  release->set_value();
  for (int i = 0; i < 200 && !finished; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_TRUE(finished);
  std::this_thread::sleep_for(std::chrono::milliseconds(50));  // its thread leaves the server
}

TEST(Server, TooManyHeaderFieldsAre431) {
  std::atomic<int> calls{0};
  auto server = StartOrDie([&](const Request&) {
    ++calls;
    return Response{};
  });
  std::string raw = "POST /write HTTP/1.1\r\nHost: x\r\n";
  for (int i = 0; i < 1001; ++i) raw += "a:" + std::to_string(i % 10) + "\r\n";
  raw += "Content-Length: 0\r\n\r\n";
  auto start = std::chrono::steady_clock::now();
  std::string out = RawExchange(server->port(), raw);
  EXPECT_EQ(out.rfind("HTTP/1.1 431", 0), 0u) << out.substr(0, 200);
  EXPECT_NE(out.find("more than 1000 header fields"), std::string::npos) << out;
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(1));
  EXPECT_EQ(calls, 0);
  // 1000 are fine.
  raw = "POST /write HTTP/1.1\r\nConnection: close\r\n";
  for (int i = 0; i < 998; ++i) raw += "a:" + std::to_string(i % 10) + "\r\n";
  raw += "Content-Length: 0\r\n\r\n";
  out = RawExchange(server->port(), raw);
  EXPECT_EQ(out.rfind("HTTP/1.1 200", 0), 0u) << out.substr(0, 200);
}

TEST(Server, HeadersOver64KiBInTotalAre431) {
  auto server = StartOrDie([](const Request&) { return Response{}; });
  std::string raw = "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n";
  for (int i = 0; i < 40; ++i)
    raw += "X-" + std::to_string(i) + ": " + std::string(2000, 'a') + "\r\n";
  raw += "\r\n";
  std::string out = RawExchange(server->port(), raw);
  EXPECT_EQ(out.rfind("HTTP/1.1 431", 0), 0u) << out.substr(0, 200);
}

// One budget for the bodies of every connection: a body that does not fit while others are held
// waits briefly, then is answered 503 with Retry-After before it is read; sized and chunked alike.
TEST(Server, BodyMemoryBudgetIsSharedByAllConnections) {
  std::promise<void> entered;
  auto release = std::make_shared<std::promise<void>>();
  auto released = release->get_future().share();
  std::atomic<int> calls{0};
  std::atomic<int> refused{0};
  std::atomic<int64_t> held{0};
  ServerOptions options;
  options.body_memory_bytes = 1 << 20;
  options.body_memory_wait = std::chrono::milliseconds(100);
  options.on_body_memory = [&](int64_t delta) { held += delta; };
  options.on_body_memory_refused = [&](const Request& r) {
    EXPECT_EQ(r.path, "/write");
    ++refused;
  };
  auto server = StartOrDie(
      [&, released](const Request& r) {
        if (++calls == 1) {
          entered.set_value();
          released.wait();
        }
        Response out;
        out.body = std::to_string(r.body.size());
        return out;
      },
      options);
  int port = server->port();
  const std::string body(800 << 10, 'x');
  auto first =
      std::async(std::launch::async, [&] { return HttpRequest(port, "POST", "/write", {}, body); });
  entered.get_future().wait();
  EXPECT_EQ(held.load(), 800 << 10);
  std::string raw =
      "POST /write HTTP/1.1\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  std::string out = RawExchange(port, raw);
  EXPECT_EQ(out.rfind("HTTP/1.1 503", 0), 0u) << out.substr(0, 200);
  EXPECT_NE(out.find("Retry-After: 1"), std::string::npos) << out.substr(0, 300);
  // Chunked: taken as it grows, refused once it would pass the budget.
  std::string chunked =
      "POST /write HTTP/1.1\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (int i = 0; i < 16; ++i) chunked += "10000\r\n" + std::string(0x10000, 'y') + "\r\n";
  chunked += "0\r\n\r\n";
  out = RawExchange(port, chunked);
  EXPECT_EQ(out.rfind("HTTP/1.1 503", 0), 0u) << out.substr(0, 200);
  EXPECT_EQ(refused.load(), 2);
  EXPECT_EQ(calls.load(), 1);
  release->set_value();
  EXPECT_EQ(first.get(), 200);
  // Given back: both fit now.
  std::string answer;
  EXPECT_EQ(HttpRequest(port, "POST", "/write", {}, body, &answer), 200);
  EXPECT_EQ(answer, std::to_string(body.size()));
  out = RawExchange(port, chunked);
  EXPECT_EQ(out.rfind("HTTP/1.1 200", 0), 0u) << out.substr(0, 200);
  EXPECT_EQ(held.load(), 0);
}

// A body larger than the whole budget still gets through while nothing else is held.
TEST(Server, BodyOverTheWholeBudgetPassesAlone) {
  ServerOptions options;
  options.body_memory_bytes = 1 << 20;
  auto server = StartOrDie([](const Request&) { return Response{}; }, options);
  EXPECT_EQ(HttpRequest(server->port(), "POST", "/write", {}, std::string(3 << 20, 'x')), 200);
}

// Beast throws on a field value over 64 KiB (its offsets are 16 bits): the limit on the whole
// head answers 431 first, instead of a connection closed without a word.
TEST(Server, HeaderValueOver64KiBIs431) {
  auto server = StartOrDie([](const Request&) { return Response{}; });
  std::string raw = "GET / HTTP/1.1\r\nHost: x\r\nAuthorization: Token " + std::string(70000, 'a') +
                    "\r\nConnection: close\r\n\r\n";
  std::string out = RawExchange(server->port(), raw);
  EXPECT_EQ(out.rfind("HTTP/1.1 431", 0), 0u) << out.substr(0, 200);
}

TEST(Server, MalformedChunkedBodyIs400) {
  std::atomic<int> calls{0};
  auto server = StartOrDie([&](const Request&) {
    ++calls;
    return Response{};
  });
  for (const std::string& body :
       {std::string("zz\r\nabc\r\n0\r\n\r\n"), std::string("3\r\nabcdef\r\n0\r\n\r\n")}) {
    std::string out = RawExchange(
        server->port(), "POST /write HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n" + body);
    EXPECT_EQ(out.rfind("HTTP/1.1 400", 0), 0u) << body << ": " << out.substr(0, 200);
  }
  EXPECT_EQ(calls.load(), 0);
}

TEST(Server, AbsoluteFormTargetIsServedByItsPath) {
  Request seen;
  auto server = StartOrDie([&](const Request& r) {
    seen = r;
    return Response{};
  });
  std::string out = RawExchange(server->port(),
                                "POST HTTP://influx.example:8086/write?db=x HTTP/1.1\r\nHost: "
                                "influx.example:8086\r\nContent-Length: 7\r\nConnection: "
                                "close\r\n\r\nm v=1 1");
  EXPECT_EQ(out.rfind("HTTP/1.1 200", 0), 0u) << out.substr(0, 200);
  EXPECT_EQ(seen.path, "/write");
  EXPECT_EQ(seen.query, "db=x");
  EXPECT_EQ(seen.body, "m v=1 1");
}

TEST(Server, TransferCodingOtherThanChunkedIs501) {
  std::atomic<int> calls{0};
  auto server = StartOrDie([&](const Request&) {
    ++calls;
    return Response{};
  });
  std::string out = RawExchange(server->port(),
                                "POST /write HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"
                                "3\r\nabc\r\n0\r\n\r\n");
  EXPECT_EQ(out.rfind("HTTP/1.1 501", 0), 0u) << out.substr(0, 200);
  EXPECT_NE(out.find("gzip"), std::string::npos) << out;
  EXPECT_EQ(calls.load(), 0);
}

TEST(Server, BusyPortIsAnError) {
  auto first = StartOrDie([](const Request&) { return Response{}; });
  auto second = Server::Start("127.0.0.1:" + std::to_string(first->port()),
                              [](const Request&) { return Response{}; });
  EXPECT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), StatusCode::kUnavailable);
}

TEST(Server, RefusalsAreWrittenInTheShapeChosenForTheirPath) {
  std::vector<std::string> paths;
  std::mutex mu;
  ServerOptions options;
  options.max_body_bytes = 10;
  options.error_response = [&](std::string_view path, int status, std::string_view code,
                               std::string_view message) {
    std::lock_guard<std::mutex> lock(mu);
    paths.emplace_back(path);
    Response r;
    r.status = status;
    r.body = "{\"shape\":\"" + std::string(path) + "\",\"code\":\"" + std::string(code) +
             "\",\"message\":\"" + std::string(message) + "\"}";
    return r;
  };
  auto server = StartOrDie([](const Request&) { return Response{}; }, options);
  std::string body;
  EXPECT_EQ(HttpRequest(server->port(), "POST", "/write?db=x", {}, std::string(11, 'x'), &body),
            413);
  EXPECT_NE(body.find("\"shape\":\"/write\""), std::string::npos) << body;
  EXPECT_NE(body.find("request body exceeds 10 bytes"), std::string::npos) << body;
  // The absolute form and a 431 too: the path is known as soon as the head is.
  std::string raw = "POST http://h:8086/write?db=x HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n";
  for (int i = 0; i < 1001; ++i) raw += "X-" + std::to_string(i) + ": v\r\n";
  raw += "Connection: close\r\n\r\n";
  std::string out = RawExchange(server->port(), raw);
  EXPECT_EQ(out.rfind("HTTP/1.1 431", 0), 0u) << out.substr(0, 200);
  EXPECT_NE(out.find("\"shape\":\"/write\""), std::string::npos) << out.substr(0, 400);
  std::lock_guard<std::mutex> lock(mu);
  EXPECT_EQ(paths.size(), 2u);
}

}  // namespace
}  // namespace edgerepl::httpserver

namespace edgerepl::httpserver {
namespace {

TEST(Server, EmptyHostListensOnEveryInterface) {
  auto server = Server::Start(":0", [](const Request&) { return Response{}; });
  ASSERT_TRUE(server.ok()) << server.status().ToString();
  EXPECT_EQ(edgerepl::testing::HttpRequest((*server)->port(), "GET", "/", {}, ""), 200);
}

}  // namespace
}  // namespace edgerepl::httpserver

namespace edgerepl::httpserver {
namespace {

size_t ThreadsOfThisProcess() {
  size_t n = 0;
  for (const auto& entry : std::filesystem::directory_iterator("/proc/self/task")) {
    (void)entry;
    ++n;
  }
  return n;
}

// Reads one answer whose body has a Content-Length; "" when the connection ended first.
std::string ReadAnswer(int fd) {
  std::string got;
  char buf[4096];
  for (;;) {
    size_t end = got.find("\r\n\r\n");
    if (end != std::string::npos) {
      size_t at = got.find("Content-Length: ");
      size_t length = at == std::string::npos ? 0 : std::stoul(got.substr(at + 16));
      if (got.size() >= end + 4 + length) return got;
    }
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) return "";
    got.append(buf, static_cast<size_t>(n));
  }
}

// Issue 21.3: a thousand keep-alive clients cost sockets, not threads. Handlers that block run
// at most worker_threads at a time; the others wait for a worker.
TEST(Server, ThousandKeepAliveConnectionsAreServedByABoundedSetOfThreads) {
  constexpr int kConnections = 1000;
  rlimit files{};
  ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &files), 0);
  if (files.rlim_cur < 2 * kConnections + 100) {
    files.rlim_cur = std::min<rlim_t>(files.rlim_max, 2 * kConnections + 100);
    ::setrlimit(RLIMIT_NOFILE, &files);
  }
  if (files.rlim_cur < 2 * kConnections + 100) GTEST_SKIP() << "RLIMIT_NOFILE too low";
  std::atomic<int> inside{0};
  std::atomic<int> max_inside{0};
  std::atomic<int> calls{0};
  ServerOptions options;
  options.worker_threads = 8;
  options.io_threads = 2;
  const size_t before = ThreadsOfThisProcess();
  auto server = StartOrDie(
      [&](const Request& r) {
        int now = ++inside;
        int prev = max_inside.load();
        while (now > prev && !max_inside.compare_exchange_weak(prev, now)) {
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(1));  // a blocking handler
        --inside;
        ++calls;
        Response out;
        out.body = r.path;
        return out;
      },
      options);
  std::vector<int> fds;
  for (int i = 0; i < kConnections; ++i) {
    int fd = ConnectTo(server->port());
    ASSERT_GE(fd, 0) << i;
    fds.push_back(fd);
  }
  size_t most = 0;
  for (int round = 0; round < 3; ++round) {
    // Every connection has a request waiting before any answer is read.
    for (int i = 0; i < kConnections; ++i) {
      std::string req = "GET /r" + std::to_string(round) + "c" + std::to_string(i) +
                        " HTTP/1.1\r\nHost: x\r\n\r\n";
      ASSERT_EQ(::send(fds[i], req.data(), req.size(), MSG_NOSIGNAL),
                static_cast<ssize_t>(req.size()));
    }
    most = std::max(most, ThreadsOfThisProcess());
    for (int i = 0; i < kConnections; ++i) {
      std::string answer = ReadAnswer(fds[i]);
      ASSERT_EQ(answer.rfind("HTTP/1.1 200", 0), 0u) << i << ": " << answer;
      std::string want = "/r" + std::to_string(round) + "c" + std::to_string(i);
      EXPECT_EQ(answer.substr(answer.size() - want.size()), want);
    }
    most = std::max(most, ThreadsOfThisProcess());
  }
  EXPECT_EQ(calls.load(), 3 * kConnections);
  EXPECT_LE(max_inside.load(), 8);
  EXPECT_GE(max_inside.load(), 2);
  // The io threads and the workers, whatever the number of connections.
  EXPECT_LE(most, before + 2 + 8) << "threads before " << before;
  for (int fd : fds) ::close(fd);
}

// Sends `bytes` one at a time, `every` apart, until the server closes; how long that took.
std::chrono::milliseconds TrickleUntilClosed(int fd, const std::string& bytes,
                                             std::chrono::milliseconds every) {
  auto start = std::chrono::steady_clock::now();
  std::atomic<bool> closed{false};
  std::thread sender([&] {
    for (char c : bytes) {
      if (closed || ::send(fd, &c, 1, MSG_NOSIGNAL) != 1) return;
      std::this_thread::sleep_for(every);
    }
  });
  char c;
  while (::recv(fd, &c, 1, 0) > 0) {
  }
  auto took = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - start);
  closed = true;
  sender.join();
  return took;
}

// Slow-loris: a client sending its head a byte every 100 ms keeps sending, yet is closed by the
// header timeout counted from its first byte; meanwhile others are served at once.
TEST(Server, ClientSendingItsHeadSlowlyIsClosedByTheHeaderTimeout) {
  std::atomic<int> calls{0};
  ServerOptions options;
  options.header_timeout = std::chrono::milliseconds(600);
  options.read_timeout = std::chrono::seconds(5);
  options.idle_timeout = std::chrono::seconds(10);
  options.worker_threads = 1;
  options.io_threads = 1;
  auto server = StartOrDie(
      [&](const Request&) {
        ++calls;
        return Response{};
      },
      options);
  std::vector<int> slow;
  std::vector<std::future<std::chrono::milliseconds>> took;
  const std::string head = "POST /write HTTP/1.1\r\nHost: x\r\nX-Slow: " + std::string(100, 'a');
  for (int i = 0; i < 20; ++i) {
    int fd = ConnectTo(server->port());
    ASSERT_GE(fd, 0);
    slow.push_back(fd);
    took.push_back(std::async(std::launch::async, [fd, &head] {
      return TrickleUntilClosed(fd, head, std::chrono::milliseconds(100));
    }));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(HttpRequest(server->port(), "GET", "/", {}, ""), 200);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(500));
  for (auto& t : took) {
    auto ms = t.get();
    EXPECT_GE(ms, std::chrono::milliseconds(550));
    EXPECT_LT(ms, std::chrono::milliseconds(3000));  // 100 bytes would take 10 s
  }
  for (int fd : slow) ::close(fd);
  EXPECT_EQ(calls.load(), 1);
}

// The body too: a head sent at once and a body a byte every 100 ms is closed by the read timeout
// (from the request's first byte), not by the header timeout and not after the body's 10 s.
TEST(Server, ClientSendingItsBodySlowlyIsClosedByTheReadTimeout) {
  std::atomic<int> calls{0};
  ServerOptions options;
  options.header_timeout = std::chrono::milliseconds(300);
  options.read_timeout = std::chrono::milliseconds(1500);
  auto server = StartOrDie(
      [&](const Request&) {
        ++calls;
        return Response{};
      },
      options);
  int fd = ConnectTo(server->port());
  ASSERT_GE(fd, 0);
  std::string head = "POST /write HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n";
  ASSERT_EQ(::send(fd, head.data(), head.size(), MSG_NOSIGNAL), static_cast<ssize_t>(head.size()));
  auto ms = TrickleUntilClosed(fd, std::string(100, 'x'), std::chrono::milliseconds(100));
  EXPECT_GE(ms, std::chrono::milliseconds(1300));
  EXPECT_LT(ms, std::chrono::milliseconds(4000));
  ::close(fd);
  EXPECT_EQ(calls.load(), 0);
}

// The idle timeout runs between requests, the header timeout only from a request's first byte:
// a connection quiet for longer than the header timeout is served, and closed once it has been
// idle for the idle timeout after its last answer.
TEST(Server, IdleTimeoutCountsFromTheLastAnswer) {
  ServerOptions options;
  options.header_timeout = std::chrono::milliseconds(300);
  options.idle_timeout = std::chrono::milliseconds(1200);
  auto server = StartOrDie([](const Request&) { return Response{}; }, options);
  int fd = ConnectTo(server->port());
  ASSERT_GE(fd, 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(700));
  std::string req = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
  ASSERT_EQ(::send(fd, req.data(), req.size(), MSG_NOSIGNAL), static_cast<ssize_t>(req.size()));
  std::string answer = ReadAnswer(fd);
  EXPECT_EQ(answer.rfind("HTTP/1.1 200", 0), 0u) << answer;
  auto answered = std::chrono::steady_clock::now();
  char c;
  EXPECT_EQ(::recv(fd, &c, 1, 0), 0);  // closed by the server
  auto idle = std::chrono::steady_clock::now() - answered;
  EXPECT_GE(idle, std::chrono::milliseconds(1100));
  EXPECT_LT(idle, std::chrono::seconds(4));
  ::close(fd);
}

// An answer the client does not take is given up after the write timeout: the connection is
// closed although the answer is not out.
TEST(Server, ClientNotReadingItsAnswerIsClosedByTheWriteTimeout) {
  constexpr size_t kBody = 32 << 20;  // more than loopback buffers hold
  ServerOptions options;
  options.write_timeout = std::chrono::milliseconds(500);
  auto server = StartOrDie(
      [&](const Request&) {
        Response out;
        out.body.assign(kBody, 'z');
        return out;
      },
      options);
  int fd = ConnectTo(server->port());
  ASSERT_GE(fd, 0);
  std::string req = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
  ASSERT_EQ(::send(fd, req.data(), req.size(), MSG_NOSIGNAL), static_cast<ssize_t>(req.size()));
  std::this_thread::sleep_for(std::chrono::seconds(2));
  timeval limit{5, 0};  // without the timeout the whole answer comes, then nothing more
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
  size_t got = 0;
  std::vector<char> buf(1 << 20);
  for (;;) {
    ssize_t n = ::recv(fd, buf.data(), buf.size(), 0);
    if (n <= 0) break;
    got += static_cast<size_t>(n);
  }
  EXPECT_GT(got, 0u);
  EXPECT_LT(got, kBody) << "the whole answer went out: nothing timed out";
  ::close(fd);
}

// Connections over max_connections are answered 503 and closed; the ones already open are not
// disturbed, and a place that is let go is taken again.
TEST(Server, ConnectionsOverTheLimitAre503) {
  ServerOptions options;
  options.max_connections = 2;
  auto server = StartOrDie([](const Request&) { return Response{}; }, options);
  int a = ConnectTo(server->port());
  int b = ConnectTo(server->port());
  ASSERT_GE(a, 0);
  ASSERT_GE(b, 0);
  std::string req = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
  for (int fd : {a, b}) {
    ASSERT_EQ(::send(fd, req.data(), req.size(), MSG_NOSIGNAL), static_cast<ssize_t>(req.size()));
    std::string answer = ReadAnswer(fd);
    EXPECT_EQ(answer.rfind("HTTP/1.1 200", 0), 0u) << answer;
  }
  std::string refused = RawExchange(server->port(), req);
  EXPECT_EQ(refused.rfind("HTTP/1.1 503", 0), 0u) << refused;
  EXPECT_NE(refused.find("too many connections"), std::string::npos) << refused;
  ::close(a);
  std::string answer;
  for (int i = 0; i < 50 && answer.rfind("HTTP/1.1 200", 0) != 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));  // until the server saw the close
    answer = RawExchange(server->port(), "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  }
  EXPECT_EQ(answer.rfind("HTTP/1.1 200", 0), 0u) << answer;
  ::close(b);
}

// A body of `pieces` equal pieces made as they are asked for; counts what it gave.
class RepeatedBody final : public http::BodyReader {
 public:
  RepeatedBody(size_t pieces, size_t bytes) : left_(pieces), piece_(bytes, 'z') {}
  Status Next(std::string* piece) override {
    if (left_ == 0) {
      piece->clear();
      return Status::Ok();
    }
    --left_;
    ++given_;
    *piece = piece_;
    return Status::Ok();
  }
  size_t given() const { return given_.load(); }

 private:
  size_t left_;
  std::atomic<size_t> given_{0};
  const std::string piece_;
};

// A streamed answer frees its worker between pieces: with one worker, a client that does not
// read a long streamed answer does not keep other requests from being handled.
TEST(Server, StreamedAnswerToASlowReaderLeavesTheWorkerFree) {
  constexpr size_t kPieces = 128;
  constexpr size_t kPieceBytes = 256 << 10;  // 32 MiB in all: more than loopback buffers hold
  ServerOptions options;
  options.worker_threads = 1;
  auto body = std::make_shared<RepeatedBody>(kPieces, kPieceBytes);
  auto server = StartOrDie(
      [&](const Request& r) {
        Response out;
        if (r.path == "/big") out.stream = body;
        return out;
      },
      options);
  int fd = ConnectTo(server->port());
  ASSERT_GE(fd, 0);
  std::string req = "GET /big HTTP/1.1\r\nHost: x\r\n\r\n";
  ::send(fd, req.data(), req.size(), MSG_NOSIGNAL);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // the buffers fill up
  ASSERT_GT(body->given(), 0u);
  auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(HttpRequest(server->port(), "GET", "/small", {}, ""), 200);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(1));
  EXPECT_LT(body->given(), kPieces) << "the answer went whole into the buffers: nothing proven";
  // The slow reader still gets all of it (only the tail is searched: 32 MiB are coming).
  size_t got = 0;
  std::string tail;
  const std::string last = "\r\n0\r\n\r\n";
  std::vector<char> buf(1 << 20);
  for (;;) {
    ssize_t n = ::recv(fd, buf.data(), buf.size(), 0);
    if (n <= 0) break;
    got += static_cast<size_t>(n);
    tail.append(buf.data(), static_cast<size_t>(n));
    if (tail.size() > 64) tail.erase(0, tail.size() - 64);
    if (tail.size() >= last.size() &&
        tail.compare(tail.size() - last.size(), last.size(), last) == 0) {
      break;
    }
  }
  EXPECT_GT(got, kPieces * kPieceBytes);
  EXPECT_EQ(body->given(), kPieces);
  EXPECT_EQ(tail.substr(tail.size() - last.size()), last);
  ::close(fd);
}

}  // namespace
}  // namespace edgerepl::httpserver
