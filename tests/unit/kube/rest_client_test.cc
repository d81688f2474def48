// The REST client over the real cpprest transport against a local server replaying the API's
// tricky answers: 429 with Retry-After, 409 on update, Status decoding, pagination, token rotation,
// the write fence, client-side rate limiting and the request metric; stream cancel and idle
// timeout.
#include "operator/kube/rest_client.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "operator/kube/transport_cpprest.h"
#include "tests/fakes/fake_clock.h"
#include "tests/support/temp_dir.h"
#include "tests/unit/kube/replay_server.h"

namespace edgerepl::kube {
namespace {

using ::edgerepl::testing::FakeClock;

using std::chrono::seconds;
using testing::ReplayAnswer;
using testing::ReplayRequest;
using testing::ReplayServer;

const ResourceType kWidgets{"example.com", "v1", "widgets", "Widget", true};

std::unique_ptr<RestClient> MakeClient(const ReplayServer& server, Clock& clock,
                                       prometheus::Registry* registry = nullptr,
                                       RestClientOptions options = {},
                                       TokenSourcePtr token = TokenSource::Static("secret-token")) {
  Config config;
  config.server = server.url();
  config.token = std::move(token);
  auto transport = MakeCpprestTransport(config);
  EXPECT_TRUE(transport.ok());
  return std::make_unique<RestClient>(config, std::move(*transport), clock, registry,
                                      std::move(options));
}

std::string Widget(const std::string& name, const std::string& rv) {
  return R"({"apiVersion":"example.com/v1","kind":"Widget","metadata":{"name":")" + name +
         R"(","namespace":"ns","resourceVersion":")" + rv + R"("},"spec":{"size":1}})";
}

std::string StatusBody(int code, const std::string& reason, const std::string& message) {
  return R"({"kind":"Status","apiVersion":"v1","status":"Failure","message":")" + message +
         R"(","reason":")" + reason + R"(","code":)" + std::to_string(code) + "}";
}

TEST(RestClient, HonoursRetryAfterOn429) {
  std::atomic<int> calls{0};
  ReplayServer server([&](const ReplayRequest&) {
    ReplayAnswer a;
    if (calls++ < 2) {
      a.status = 429;
      a.headers = {{"Retry-After", "3"}, {"Content-Type", "application/json"}};
      a.body = StatusBody(429, "TooManyRequests", "slow down");
    } else {
      a.body = Widget("w", "5");
    }
    return a;
  });
  FakeClock clock;
  prometheus::Registry registry;
  auto client = MakeClient(server, clock, &registry);
  Result<Object> w = client->Get(kWidgets, "ns", "w");
  ASSERT_TRUE(w.ok()) << w.status().ToString();
  EXPECT_EQ(w->resource_version(), "5");
  EXPECT_EQ(calls.load(), 3);
  EXPECT_EQ(clock.sleeps(), (std::vector<std::chrono::nanoseconds>{seconds(3), seconds(3)}));
  auto reqs = server.requests();
  EXPECT_EQ(reqs[0].Path(), "/apis/example.com/v1/namespaces/ns/widgets/w");
  EXPECT_EQ(reqs[0].Header("Authorization"), "Bearer secret-token");

  // The metric counts every answer by code and method.
  bool saw429 = false, saw200 = false;
  for (const auto& f : registry.Collect()) {
    if (f.name != "rest_client_requests_total") continue;
    for (const auto& m : f.metric) {
      std::map<std::string, std::string> labels;
      for (const auto& l : m.label) labels[l.name] = l.value;
      if (labels["code"] == "429" && labels["method"] == "GET") saw429 = m.counter.value == 2;
      if (labels["code"] == "200" && labels["method"] == "GET") saw200 = m.counter.value == 1;
    }
  }
  EXPECT_TRUE(saw429);
  EXPECT_TRUE(saw200);
}

TEST(RestClient, GivesUpAfterMaxRetriesWithTheServersReason) {
  ReplayServer server([&](const ReplayRequest&) {
    ReplayAnswer a;
    a.status = 429;
    a.headers = {{"Retry-After", "100000"}, {"Content-Type", "application/json"}};
    a.body = StatusBody(429, "TooManyRequests", "storm");
    return a;
  });
  FakeClock clock;
  RestClientOptions options;
  options.max_retries = 2;
  auto client = MakeClient(server, clock, nullptr, options);
  Result<Object> w = client->Get(kWidgets, "ns", "w");
  ASSERT_FALSE(w.ok());
  EXPECT_EQ(w.status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(ApiCode(w.status()), 429);
  EXPECT_EQ(server.requests().size(), 3u);
  // A huge Retry-After is capped.
  EXPECT_EQ(clock.sleeps(), (std::vector<std::chrono::nanoseconds>{seconds(60), seconds(60)}));
}

TEST(RestClient, ConflictOnUpdateIsDecoded) {
  ReplayServer server([&](const ReplayRequest& r) {
    ReplayAnswer a;
    if (r.method == "PUT") {
      a.status = 409;
      a.body = StatusBody(409, "Conflict",
                          "Operation cannot be fulfilled on widgets.example.com \\\"w\\\": the "
                          "object has been modified; please apply your changes to the latest "
                          "version and try again");
    }
    return a;
  });
  FakeClock clock;
  auto client = MakeClient(server, clock);
  Object w = *Object::Parse(Widget("w", "41"));
  Result<Object> updated = client->Update(kWidgets, w);
  ASSERT_FALSE(updated.ok());
  EXPECT_EQ(updated.status().code(), StatusCode::kConflict);
  EXPECT_EQ(ApiReason(updated.status()), "Conflict");
  EXPECT_NE(updated.status().message().find("has been modified"), std::string::npos);
  auto req = server.requests().at(0);
  EXPECT_EQ(req.Path(), "/apis/example.com/v1/namespaces/ns/widgets/w");
  EXPECT_EQ(req.Header("Content-Type"), "application/json");
  EXPECT_EQ(Object::Parse(req.body)->resource_version(), "41");
  EXPECT_EQ(server.requests().size(), 1u);  // a conflict is the caller's to retry, not ours
}

TEST(RestClient, ListFollowsContinueAndPatchAndDeleteSendTheRightThings) {
  ReplayServer server([&](const ReplayRequest& r) {
    ReplayAnswer a;
    if (r.method == "GET" && r.Query("continue").empty()) {
      a.body = R"({"kind":"WidgetList","metadata":{"resourceVersion":"100","continue":"tok 1"},
                   "items":[)" +
               Widget("a", "1") + "," + Widget("b", "2") + "]}";
    } else if (r.method == "GET") {
      a.body = R"({"kind":"WidgetList","metadata":{"resourceVersion":"100"},"items":[)" +
               Widget("c", "3") + "]}";
    } else if (r.method == "PATCH") {
      a.body = Widget("a", "7");
    } else if (r.method == "DELETE") {
      a.status = 404;
      a.body = StatusBody(404, "NotFound", "widgets \\\"a\\\" not found");
    }
    return a;
  });
  FakeClock clock;
  auto client = MakeClient(server, clock);
  ListOptions lo;
  lo.limit = 2;
  lo.label_selector = "app in (x,y)";
  Result<ObjectList> list = client->List(kWidgets, "ns", lo);
  ASSERT_TRUE(list.ok()) << list.status().ToString();
  ASSERT_EQ(list->items.size(), 3u);
  EXPECT_EQ(list->items[2].name(), "c");
  EXPECT_EQ(list->resource_version, "100");
  auto reqs = server.requests();
  ASSERT_EQ(reqs.size(), 2u);
  EXPECT_EQ(reqs[0].Query("limit"), "2");
  EXPECT_EQ(reqs[0].Query("labelSelector"), "app in (x,y)");
  EXPECT_EQ(reqs[1].Query("continue"), "tok 1");
  EXPECT_EQ(reqs[1].Query("limit"), "2");

  Result<Object> patched = client->MergePatch(
      kWidgets, "ns", "a", web::json::value::parse(R"({"status":{"x":1}})"), "status");
  ASSERT_TRUE(patched.ok());
  auto patch = server.requests().at(2);
  EXPECT_EQ(patch.method, "PATCH");
  EXPECT_EQ(patch.Path(), "/apis/example.com/v1/namespaces/ns/widgets/a/status");
  EXPECT_EQ(patch.Header("Content-Type"), "application/merge-patch+json");
  EXPECT_EQ(patch.body, R"({"status":{"x":1}})");

  DeleteOptions d;
  d.precondition_uid = "u-1";
  Status del = client->Delete(kWidgets, "ns", "a", d);
  EXPECT_EQ(del.code(), StatusCode::kNotFound);
  EXPECT_NE(server.requests().at(3).body.find(R"("uid":"u-1")"), std::string::npos);
}

TEST(RestClient, RotatedTokenIsPickedUpOn401) {
  edgerepl::testing::TempDir dir;
  edgerepl::testing::WriteFileOrDie(dir.Join("token"), "old");
  ReplayServer server([&](const ReplayRequest& r) {
    ReplayAnswer a;
    if (r.Header("Authorization") != "Bearer new") {
      a.status = 401;
      a.body = StatusBody(401, "Unauthorized", "Unauthorized");
    } else {
      a.body = Widget("w", "1");
    }
    return a;
  });
  FakeClock clock;
  auto token = TokenSource::FromFile(dir.Join("token"), clock);
  ASSERT_EQ(*token->Token(), "old");
  auto client = MakeClient(server, clock, nullptr, {}, token);
  edgerepl::testing::WriteFileOrDie(dir.Join("token"), "new");
  Result<Object> w = client->Get(kWidgets, "ns", "w");
  ASSERT_TRUE(w.ok()) << w.status().ToString();
  EXPECT_EQ(server.requests().size(), 2u);
}

TEST(RestClient, WriteFenceAndRateLimit) {
  ReplayServer server([&](const ReplayRequest&) {
    ReplayAnswer a;
    a.body = Widget("w", "1");
    return a;
  });
  FakeClock clock;
  std::atomic<bool> leading{true};
  RestClientOptions options;
  options.qps = 1;
  options.burst = 1;
  options.write_allowed = [&] { return leading.load(); };
  auto client = MakeClient(server, clock, nullptr, options);
  Object w = *Object::Parse(Widget("w", "1"));
  EXPECT_TRUE(client->Get(kWidgets, "ns", "w").ok());
  EXPECT_TRUE(client->Update(kWidgets, w).ok());
  EXPECT_TRUE(client->Get(kWidgets, "ns", "w").ok());
  EXPECT_EQ(clock.sleeps(), (std::vector<std::chrono::nanoseconds>{seconds(1), seconds(1)}));
  leading = false;
  Result<Object> refused = client->Update(kWidgets, w);
  EXPECT_EQ(refused.status().code(), StatusCode::kAborted);
  EXPECT_TRUE(client->Get(kWidgets, "ns", "w").ok());  // reads are still allowed
  EXPECT_EQ(server.requests().size(), 4u);
}

TEST(Transport, StreamReadsCancelAndIdleTimeout) {
  ReplayServer server([&](const ReplayRequest&) {
    ReplayAnswer a;
    a.chunks = {"abc", "def"};
    a.pause = std::chrono::milliseconds(10);
    a.hold_open = std::chrono::milliseconds(1500);
    return a;
  });
  Config config;
  config.server = server.url();
  auto transport = MakeCpprestTransport(config);
  ASSERT_TRUE(transport.ok());
  http::HttpRequest req;
  req.method = "GET";
  req.target = "/watch";

  Result<StreamResponse> s = (*transport)->Stream(req);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->status, 200);
  std::string got;
  while (got.size() < 6) {
    Result<bool> more = s->body->Read(&got, seconds(5));
    ASSERT_TRUE(more.ok() && *more) << more.status().ToString();
  }
  EXPECT_EQ(got, "abcdef");
  // Nothing more for 1.5 s: a 200 ms idle timeout fires.
  auto t0 = std::chrono::steady_clock::now();
  Result<bool> idle = s->body->Read(&got, std::chrono::milliseconds(200));
  EXPECT_FALSE(idle.ok());
  EXPECT_EQ(idle.status().code(), StatusCode::kUnavailable);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, seconds(1));

  // Cancel from another thread ends a blocked read promptly.
  Result<StreamResponse> s2 = (*transport)->Stream(req);
  ASSERT_TRUE(s2.ok());
  std::string sink;
  std::thread canceller([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    s2->body->Cancel();
  });
  t0 = std::chrono::steady_clock::now();
  Status end;
  for (;;) {
    Result<bool> more = s2->body->Read(&sink, seconds(30));
    if (!more.ok()) {
      end = more.status();
      break;
    }
  }
  canceller.join();
  EXPECT_EQ(end.code(), StatusCode::kAborted) << end.ToString();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, seconds(1));
}

}  // namespace
}  // namespace edgerepl::kube
