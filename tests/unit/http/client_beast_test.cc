// The Beast adapter for plain http:// against real sockets: statuses, headers and bodies pass
// through, one connection is reused, a pooled connection the server closed is replaced, and
// transport failures and timeouts become kUnavailable.
#include "common/http/client_beast.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <condition_variable>
#include <cstdio>
#include <future>
#include <mutex>
#include <thread>

#include "common/http/fd_stream.h"
#include "common/httpserver/server.h"
#include "tests/support/fault_server/fault_server.h"
#include "tests/support/process.h"

namespace edgerepl::http {
namespace {

using edgerepl::testing::FaultServer;
using edgerepl::testing::Reply;

HttpClientPtr Client(const std::string& url,
                     std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
  HttpClientOptions o;
  o.base_url = url;
  o.timeout = timeout;
  auto c = MakeBeastHttpClient(o);
  EXPECT_TRUE(c.ok()) << c.status().ToString();
  return std::move(c).value();
}

HttpRequest Post(std::string body) {
  HttpRequest r;
  r.target = "/api/v2/write?org=o&bucket=b";
  r.body = std::move(body);
  r.headers = {{"Authorization", "Token t"}};
  return r;
}

TEST(BeastClientTest, PostsBytesAsGivenAndReadsAnswer) {
  FaultServer server;
  Reply r;
  r.status = 429;
  r.headers = {{"Retry-After", "7"}};
  r.body = R"({"code":"too many"})";
  server.Script({r});
  auto client = Client(server.url() + "/prefix/");
  auto resp = client->Send(Post("m v=1 1\n"));
  ASSERT_TRUE(resp.ok()) << resp.status().ToString();
  EXPECT_EQ(resp->status, 429);
  ASSERT_NE(FindHeader(resp->headers, "retry-after"), nullptr);
  EXPECT_EQ(*FindHeader(resp->headers, "retry-after"), "7");
  EXPECT_EQ(resp->body, R"({"code":"too many"})");
  auto reqs = server.requests();
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0].method, "POST");
  EXPECT_EQ(reqs[0].target, "/prefix/api/v2/write?org=o&bucket=b");
  EXPECT_EQ(reqs[0].body, "m v=1 1\n");
  EXPECT_EQ(reqs[0].Header("Authorization"), "Token t");
  EXPECT_EQ(reqs[0].Header("Host"), "127.0.0.1:" + std::to_string(server.port()));
}

TEST(BeastClientTest, ReusesOneConnectionAcrossRequests) {
  FaultServer server;
  auto client = Client(server.url());
  for (int i = 0; i < 200; ++i) ASSERT_EQ(client->Send(Post("m v=1 1\n"))->status, 204);
  // The connection goes back to the pool before Send returns: sequential calls never race it.
  EXPECT_EQ(server.connections(), 1);
}

TEST(BeastClientTest, ConcurrentCallsEachGetAConnection) {
  FaultServer server;
  Reply slow;
  slow.delay = std::chrono::milliseconds(200);
  server.Script({slow});
  auto client = Client(server.url());
  std::vector<std::future<int>> calls;
  for (int i = 0; i < 4; ++i) {
    calls.push_back(std::async(std::launch::async, [&] {
      auto r = client->Send(Post("m v=1 1\n"));
      return r.ok() ? r->status : 0;
    }));
  }
  for (auto& c : calls) EXPECT_EQ(c.get(), 204);
  // Calls that overlap need their own connection (a thread started late on a busy machine may
  // find one back in the pool).
  EXPECT_GE(server.connections(), 2);
  EXPECT_LE(server.connections(), 4);
  EXPECT_EQ(server.request_count(), 4u);
}

TEST(BeastClientTest, ReplacesAPooledConnectionTheServerClosed) {
  // A real server that closes every connection after one answer, as an idle timeout would.
  auto server = httpserver::Server::Start("127.0.0.1:0", [](const httpserver::Request&) {
    httpserver::Response r;
    r.status = 204;
    r.headers.emplace_back("Connection", "close");
    return r;
  });
  ASSERT_TRUE(server.ok());
  auto client = Client("http://127.0.0.1:" + std::to_string((*server)->port()));
  for (int i = 0; i < 5; ++i) {
    auto resp = client->Send(Post("m v=1 1\n"));
    ASSERT_TRUE(resp.ok()) << i << ": " << resp.status().ToString();
    EXPECT_EQ(resp->status, 204);
  }
}

TEST(BeastClientTest, ReadsChunkedAndLargeAnswers) {
  std::string big(3 << 20, 'x');
  for (size_t i = 0; i < big.size(); i += 997) big[i] = static_cast<char>('a' + i % 26);
  auto server = httpserver::Server::Start("127.0.0.1:0", [&](const httpserver::Request& r) {
    httpserver::Response out;
    out.body = r.body == "big" ? big : std::string("small");
    return out;
  });
  ASSERT_TRUE(server.ok());
  auto client = Client("http://127.0.0.1:" + std::to_string((*server)->port()));
  auto resp = client->Send(Post("big"));
  ASSERT_TRUE(resp.ok()) << resp.status().ToString();
  EXPECT_EQ(resp->body, big);
  resp = client->Send(Post("x"));
  ASSERT_TRUE(resp.ok());
  EXPECT_EQ(resp->body, "small");
}

// Beast asks each read for the buffer's spare room (at least 512 bytes), so a connection whose
// buffer has no room reserved reads megabytes 512 bytes per recv: 3 MiB each way took over 12,000
// calls that way. With 64 KiB of room a loopback recv carries up to a whole segment.
TEST(BeastClientTest, LargeBodiesAreReadInLargeChunksBothWays) {
  const std::string big(3 << 20, 'y');
  auto server = httpserver::Server::Start("127.0.0.1:0", [&](const httpserver::Request& r) {
    httpserver::Response out;
    out.body = r.body.size() == big.size() ? big : std::string("short");
    return out;
  });
  ASSERT_TRUE(server.ok());
  auto client = Client("http://127.0.0.1:" + std::to_string((*server)->port()));
  const uint64_t before = FdStream::RecvCalls();
  for (int i = 0; i < 2; ++i) {  // the second request reuses both connections' buffers
    auto resp = client->Send(Post(big));
    ASSERT_TRUE(resp.ok()) << resp.status().ToString();
    ASSERT_EQ(resp->body.size(), big.size());
  }
  const uint64_t calls = FdStream::RecvCalls() - before;
  // 12 MiB crossed the sockets; at 512 bytes a call that is 24,576 calls.
  EXPECT_LT(calls, 3000u) << "recv calls for 12 MiB";
}

TEST(BeastClientTest, HeadAnswerHasNoBodyToRead) {
  auto server = httpserver::Server::Start("127.0.0.1:0", [](const httpserver::Request&) {
    httpserver::Response r;
    r.body = "0123456789";
    return r;
  });
  ASSERT_TRUE(server.ok());
  auto client = Client("http://127.0.0.1:" + std::to_string((*server)->port()));
  HttpRequest head;
  head.method = "HEAD";
  head.target = "/ping";
  for (int i = 0; i < 3; ++i) {
    auto resp = client->Send(head);
    ASSERT_TRUE(resp.ok()) << resp.status().ToString();
    EXPECT_EQ(resp->status, 200);
    EXPECT_EQ(resp->body, "");
    ASSERT_NE(FindHeader(resp->headers, "content-length"), nullptr);
    EXPECT_EQ(*FindHeader(resp->headers, "content-length"), "10");
  }
}

// Pieces handed out as the test allows.
class Gate final : public BodyReader {
 public:
  Status Next(std::string* piece) override {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [this] { return open_ > given_; });
    *piece = given_ < 2 ? std::string(given_ == 0 ? 100000 : 5, static_cast<char>('a' + given_))
                        : std::string();
    ++given_;
    return Status::Ok();
  }
  void Open() {
    std::lock_guard<std::mutex> lock(mu_);
    ++open_;
    cv_.notify_all();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  int open_ = 0;
  int given_ = 0;
};

TEST(BeastClientTest, StreamedAnswerIsReadAsItArrives) {
  auto gate = std::make_shared<Gate>();
  auto server = httpserver::Server::Start("127.0.0.1:0", [&](const httpserver::Request&) {
    httpserver::Response r;
    r.status = 200;
    r.headers.emplace_back("X-Influxdb-Version", "1.8.10");
    r.stream = gate;
    return r;
  });
  ASSERT_TRUE(server.ok());
  auto client = Client("http://127.0.0.1:" + std::to_string((*server)->port()));
  HttpRequest q;
  q.method = "GET";
  q.target = "/query?chunked=true";
  gate->Open();
  auto resp = client->SendStreamed(q);
  ASSERT_TRUE(resp.ok()) << resp.status().ToString();
  EXPECT_FALSE(resp->buffered);
  EXPECT_EQ(resp->status, 200);
  ASSERT_NE(FindHeader(resp->headers, "x-influxdb-version"), nullptr);
  std::string all, piece;
  while (all.size() < 100000) {
    Status st = resp->body->Next(&piece);
    if (!st.ok()) {
      gate->Open();
      gate->Open();
    }
    ASSERT_TRUE(st.ok()) << st.ToString();
    ASSERT_FALSE(piece.empty());
    all += piece;
  }
  EXPECT_EQ(all, std::string(100000, 'a'));  // while the server still holds the rest back
  gate->Open();
  gate->Open();
  for (;;) {
    ASSERT_TRUE(resp->body->Next(&piece).ok());
    if (piece.empty()) break;
    all += piece;
  }
  EXPECT_EQ(all, std::string(100000, 'a') + "bbbbb");
}

TEST(BeastClientTest, StreamedAnswerCutShortIsAnError) {
  FaultServer server;
  Reply reset;
  reset.status = 200;
  reset.body = std::string(100000, 'b');
  reset.reset_mid_body = true;
  server.Script({reset});
  auto client = Client(server.url());
  HttpRequest q;
  q.method = "GET";
  q.target = "/query";
  auto resp = client->SendStreamed(q);
  ASSERT_TRUE(resp.ok()) << resp.status().ToString();
  std::string piece;
  Status st;
  for (int i = 0; i < 100 && st.ok(); ++i) {
    st = resp->body->Next(&piece);
    if (st.ok() && piece.empty()) break;
  }
  EXPECT_FALSE(st.ok());
}

TEST(BeastClientTest, RefusedPortIsUnavailable) {
  int port = edgerepl::testing::PickFreePort();
  auto client = Client("http://127.0.0.1:" + std::to_string(port));
  auto resp = client->Send(Post("m v=1 1\n"));
  ASSERT_FALSE(resp.ok());
  EXPECT_EQ(resp.status().code(), StatusCode::kUnavailable);
}

TEST(BeastClientTest, SlowAnswerTimesOut) {
  FaultServer server;
  Reply slow;
  slow.delay = std::chrono::milliseconds(3000);
  server.Script({slow});
  auto client = Client(server.url(), std::chrono::milliseconds(300));
  auto start = std::chrono::steady_clock::now();
  auto resp = client->Send(Post("m v=1 1\n"));
  ASSERT_FALSE(resp.ok());
  EXPECT_EQ(resp.status().code(), StatusCode::kUnavailable);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(2500));
  // Exactly one request: a timed-out call is not repeated.
  EXPECT_EQ(server.request_count(), 1u);
}

// A lookup that answers 127.0.0.1 for any name, after `gate` opens (at once when it is open).
struct SlowLookup {
  std::mutex mu;
  std::condition_variable cv;
  bool open = true;
  int calls = 0;
  bool finished = false;
  LookupFn Fn(std::shared_ptr<SlowLookup> self) {
    return [self](const char*, const char* port, const addrinfo* hints, addrinfo** out) {
      std::unique_lock<std::mutex> lock(self->mu);
      ++self->calls;
      self->cv.wait_for(lock, std::chrono::seconds(10), [&] { return self->open; });
      int rc = ::getaddrinfo("127.0.0.1", port, hints, out);
      self->finished = true;
      self->cv.notify_all();
      return rc;
    };
  }
};

TEST(BeastClientTest, HostNameIsLookedUpOnceForAPooledConnection) {
  FaultServer server;
  auto lookup = std::make_shared<SlowLookup>();
  HttpClientOptions o;
  o.base_url = "http://db.remote.test:" + std::to_string(server.port());
  auto client = MakeBeastHttpClient(o, lookup->Fn(lookup));
  ASSERT_TRUE(client.ok());
  for (int i = 0; i < 3; ++i) ASSERT_EQ((*client)->Send(Post("m v=1 1\n"))->status, 204);
  EXPECT_EQ(lookup->calls, 1);
  ASSERT_EQ(server.requests().size(), 3u);
  EXPECT_EQ(server.requests()[0].Header("Host"), "db.remote.test:" + std::to_string(server.port()));
}

TEST(BeastClientTest, LookupThatDoesNotAnswerTimesOutWithTheRequest) {
  FaultServer server;
  auto lookup = std::make_shared<SlowLookup>();
  lookup->open = false;
  HttpClientOptions o;
  o.base_url = "http://stuck.remote.test:" + std::to_string(server.port());
  o.timeout = std::chrono::milliseconds(300);
  auto client = MakeBeastHttpClient(o, lookup->Fn(lookup));
  ASSERT_TRUE(client.ok());
  auto start = std::chrono::steady_clock::now();
  auto resp = (*client)->Send(Post("m v=1 1\n"));
  ASSERT_FALSE(resp.ok());
  EXPECT_EQ(resp.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(resp.status().message().find("resolving stuck.remote.test: no answer"),
            std::string::npos)
      << resp.status().ToString();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(2500));
  EXPECT_EQ(server.request_count(), 0u);
  // The abandoned lookup finishes on its own thread and frees its answer.
  std::unique_lock<std::mutex> lock(lookup->mu);
  lookup->open = true;
  lookup->cv.notify_all();
  ASSERT_TRUE(lookup->cv.wait_for(lock, std::chrono::seconds(5), [&] { return lookup->finished; }));
  lock.unlock();
  // Once it answers, the next request goes through.
  ASSERT_EQ((*client)->Send(Post("m v=1 1\n"))->status, 204);
}

TEST(BeastClientTest, FailedLookupIsUnavailableNamingTheHost) {
  HttpClientOptions o;
  o.base_url = "http://nowhere.test:8086";
  auto client = MakeBeastHttpClient(
      o, [](const char*, const char*, const addrinfo*, addrinfo**) { return EAI_NONAME; });
  ASSERT_TRUE(client.ok());
  auto resp = (*client)->Send(Post("m v=1 1\n"));
  ASSERT_FALSE(resp.ok());
  EXPECT_EQ(resp.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(resp.status().message().find("resolving nowhere.test"), std::string::npos)
      << resp.status().ToString();
}

TEST(BeastClientTest, ResetMidBodyIsUnavailableThenRecovers) {
  FaultServer server;
  Reply reset;
  reset.status = 200;
  reset.body = std::string(1000, 'b');
  reset.reset_mid_body = true;
  server.Script({reset, Reply{}});
  auto client = Client(server.url());
  auto first = client->Send(Post("m v=1 1\n"));
  EXPECT_FALSE(first.ok());
  // Part of an answer arrived: not repeated behind the caller's back.
  EXPECT_EQ(server.request_count(), 1u);
  auto again = client->Send(Post("m v=1 1\n"));
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(again->status, 204);
}

TEST(BeastClientTest, BadUrlsRefused) {
  for (const char* url : {"ftp://x", "http://", "http://h:99999", "http://h:x", "http://[::1",
                          "http://u@h", "http://h/p?q=1"}) {
    HttpClientOptions o;
    o.base_url = url;
    EXPECT_FALSE(MakeBeastHttpClient(o).ok()) << url;
  }
  HttpClientOptions o;
  o.base_url = "http://[::1]:8086/prefix";
  EXPECT_TRUE(MakeBeastHttpClient(o).ok());
  o.base_url = "https://127.0.0.1:1";
  // https goes to the cpprest adapter, which knows TLS.
  EXPECT_TRUE(MakeHttpClient(o).ok());
  EXPECT_FALSE(MakeBeastHttpClient(o).ok());
}

// A request with tens of thousands of header fields (the proxy forwards a client's) leaves in
// time linear in their count: the head is one buffer, not one per field walked again for every
// gather write (that took 5 s for 64k fields, minutes under ASan).
TEST(BeastClientTest, ManyHeaderFieldsAreSentInLinearTime) {
  int listener = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(listener, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(::listen(listener, 1), 0);
  socklen_t len = sizeof addr;
  ::getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len);
  std::promise<size_t> fields_seen;
  std::thread server([&] {
    int fd = ::accept(listener, nullptr, nullptr);
    std::string in;
    char buf[65536];
    size_t end = std::string::npos;
    while (end == std::string::npos) {
      ssize_t n = ::recv(fd, buf, sizeof buf, 0);
      if (n <= 0) break;
      size_t from = in.size() < 3 ? 0 : in.size() - 3;
      in.append(buf, static_cast<size_t>(n));
      end = in.find("\r\n\r\n", from);
    }
    size_t lines = 0;
    for (size_t at = in.find("\r\n"); at != std::string::npos && at <= end;
         at = in.find("\r\n", at + 2)) {
      ++lines;
    }
    static constexpr std::string_view kAnswer =
        "HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n";
    ::send(fd, kAnswer.data(), kAnswer.size(), MSG_NOSIGNAL);
    ::close(fd);
    fields_seen.set_value(lines > 0 ? lines - 1 : 0);  // less the request line
  });
  HttpRequest req = Post("m v=1 1\n");
  constexpr size_t kFields = 64000;
  for (size_t i = 0; i < kFields; ++i) req.headers.emplace_back("X-F", std::to_string(i));
  auto client =
      Client("http://127.0.0.1:" + std::to_string(ntohs(addr.sin_port)), std::chrono::seconds(60));
  auto start = std::chrono::steady_clock::now();
  auto resp = client->Send(req);
  auto took = std::chrono::steady_clock::now() - start;
  server.join();
  ::close(listener);
  ASSERT_TRUE(resp.ok()) << resp.status().ToString();
  EXPECT_EQ(resp->status, 204);
  // The request's own fields, Host and Content-Length.
  EXPECT_EQ(fields_seen.get_future().get(), kFields + 3);
  std::printf("64k header fields sent in %.3f s\n", std::chrono::duration<double>(took).count());
  EXPECT_LT(took, std::chrono::seconds(2));
}

}  // namespace
}  // namespace edgerepl::http
