// The watcher against a replaying server: paged list, events split mid-JSON across chunks,
// bookmarks, an ERROR event carrying 410 and a 410 status (relist and deliver the difference), a
// connection dropped mid-event (resume from the last version, no relist), and the informer's
// store and handlers on top.
#include "operator/kube/watcher.h"

#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <thread>

#include "operator/kube/informer.h"
#include "operator/kube/transport_cpprest.h"
#include "tests/unit/kube/replay_server.h"

namespace edgerepl::kube {
namespace {

using std::chrono::milliseconds;
using testing::ReplayAnswer;
using testing::ReplayRequest;
using testing::ReplayServer;

std::string Item(const std::string& name, const std::string& rv) {
  return R"({"metadata":{"name":")" + name + R"(","namespace":"ns","resourceVersion":")" + rv +
         R"("},"data":{}})";
}

std::string List(const std::string& rv, const std::vector<std::string>& items,
                 const std::string& cont = "") {
  std::string out = R"({"kind":"SecretList","apiVersion":"v1","metadata":{"resourceVersion":")" +
                    rv + R"(")" + (cont.empty() ? "" : R"(,"continue":")" + cont + R"(")") +
                    R"(},"items":[)";
  for (size_t i = 0; i < items.size(); ++i) out += (i ? "," : "") + items[i];
  return out + "]}";
}

std::string Event(const std::string& type, const std::string& object) {
  return R"({"type":")" + type + R"(","object":)" + object + "}\n";
}

// Cuts a stream into pieces of `n` bytes, so events arrive split mid-JSON.
std::vector<std::string> Split(const std::string& s, size_t n) {
  std::vector<std::string> out;
  for (size_t i = 0; i < s.size(); i += n) out.push_back(s.substr(i, n));
  return out;
}

struct Harness {
  explicit Harness(std::function<ReplayAnswer(const ReplayRequest&)> handler)
      : server(std::move(handler)) {
    Config config;
    config.server = server.url();
    client = std::make_unique<RestClient>(config, std::move(MakeCpprestTransport(config).value()),
                                          RealClock::Instance());
  }
  WatcherOptions Options() {
    WatcherOptions o;
    o.type = SecretsType();
    o.namespace_ = "ns";
    o.page_size = 2;
    o.backoff_min = milliseconds(10);
    o.backoff_max = milliseconds(50);
    return o;
  }
  std::vector<ReplayRequest> Watches() {
    std::vector<ReplayRequest> out;
    for (auto& r : server.requests()) {
      if (r.Query("watch") == "true") out.push_back(r);
    }
    return out;
  }

  ReplayServer server;
  std::unique_ptr<RestClient> client;
  RealRandom random{7};
};

struct Log {
  std::mutex mu;
  std::vector<std::string> lines;
  std::vector<Status> errors;
  int synced = 0;
  void Add(std::string l) {
    std::lock_guard<std::mutex> lock(mu);
    lines.push_back(std::move(l));
  }
  std::vector<std::string> Lines() {
    std::lock_guard<std::mutex> lock(mu);
    return lines;
  }
  WatcherCallbacks Callbacks() {
    WatcherCallbacks cb;
    cb.on_delta = [this](const Delta& d) {
      Add(std::string(DeltaTypeName(d.type)) + " " + d.object->name() + "@" +
          d.object->resource_version() + (d.old ? " was@" + d.old->resource_version() : ""));
    };
    cb.on_synced = [this] { Add("synced"); };
    cb.on_error = [this](const Status& s) {
      std::lock_guard<std::mutex> lock(mu);
      errors.push_back(s);
    };
    return cb;
  }
};

bool WaitFor(const std::function<bool()>& pred, milliseconds timeout = milliseconds(10000)) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(milliseconds(5));
  }
  return pred();
}

// The idle watch a test ends on: open until the test stops the watcher.
ReplayAnswer Quiet() {
  ReplayAnswer a;
  a.chunks = {"\n"};
  a.hold_open = milliseconds(1500);
  return a;
}

TEST(Watcher, SplitEventsBookmarksAndAnErrorEvent410RelistWithTheDifference) {
  std::atomic<int> lists{0}, watches{0};
  Harness h([&](const ReplayRequest& r) {
    ReplayAnswer a;
    if (r.Query("watch") != "true") {
      int n = lists++;
      if (n == 0 && r.Query("continue").empty()) {
        a.body = List("10", {Item("a", "1"), Item("b", "2")}, "page2");
      } else if (n == 1) {
        EXPECT_EQ(r.Query("continue"), "page2");
        a.body = List("10", {Item("c", "3")});
      } else {
        // After the 410: b changed, c is gone, e is new, d (seen in the watch) is unchanged.
        a.body = List("15", {Item("a", "1"), Item("b", "13"), Item("d", "11"), Item("e", "14")});
      }
      return a;
    }
    int n = watches++;
    if (n == 0) {
      std::string stream =
          Event("ADDED", Item("d", "11")) +
          Event("BOOKMARK", R"({"metadata":{"resourceVersion":"12"}})") +
          Event("ERROR", R"json({"kind":"Status","apiVersion":"v1","status":"Failure",
                             "message":"too old resource version: 12 (13)","reason":"Expired","code":410
    })json");
      a.chunks = Split(stream, 7);  // every event arrives in pieces
      a.pause = milliseconds(2);
    } else if (n == 1) {
      a.chunks = {Event("MODIFIED", Item("a", "16"))};
    } else {
      return Quiet();
    }
    return a;
  });
  Log log;
  Watcher w(*h.client, h.Options(), log.Callbacks(), h.random);
  std::thread t([&] { w.Run(); });
  ASSERT_TRUE(WaitFor([&] { return watches.load() >= 3; }));
  w.Stop();
  t.join();

  EXPECT_EQ(log.Lines(), (std::vector<std::string>{
                             "added a@1", "added b@2", "added c@3", "synced",    // paged list
                             "added d@11",                                       // split event
                             "deleted c@3", "updated b@13 was@2", "added e@14",  // the difference
                             "synced", "updated a@16 was@1"}));
  auto ws = h.Watches();
  ASSERT_GE(ws.size(), 3u);
  EXPECT_EQ(ws[0].Query("resourceVersion"), "10");
  EXPECT_EQ(ws[0].Query("allowWatchBookmarks"), "true");
  EXPECT_EQ(ws[0].Query("timeoutSeconds"), "290");
  EXPECT_EQ(ws[1].Query("resourceVersion"), "15");  // from the relist, not the bookmark
  EXPECT_EQ(ws[2].Query("resourceVersion"), "16");
  EXPECT_EQ(w.lists(), 2);
  ASSERT_FALSE(log.errors.empty());
  EXPECT_TRUE(IsGone(log.errors[0])) << log.errors[0].ToString();
}

TEST(Watcher, DroppedConnectionResumesFromTheLastVersionWithoutRelisting) {
  std::atomic<int> lists{0}, watches{0};
  Harness h([&](const ReplayRequest& r) {
    ReplayAnswer a;
    if (r.Query("watch") != "true") {
      lists++;
      a.body = List("20", {Item("a", "1")});
      return a;
    }
    int n = watches++;
    if (n == 0) {
      std::string full = Event("ADDED", Item("x", "21")) +
                         Event("BOOKMARK", R"({"metadata":{"resourceVersion":"25"}})");
      std::string half = Event("MODIFIED", Item("x", "26"));
      a.chunks = {full, half.substr(0, half.size() / 2)};
      a.drop_before_end = true;  // the connection breaks mid-event
    } else if (n == 1) {
      a.status = 500;  // and the first reconnect fails: backoff, then resume
      a.body = R"({"kind":"Status","code":500,"reason":"InternalError","message":"etcd down"})";
    } else if (n == 2) {
      a.chunks = {Event("MODIFIED", Item("x", "26"))};
    } else {
      return Quiet();
    }
    return a;
  });
  Log log;
  Watcher w(*h.client, h.Options(), log.Callbacks(), h.random);
  std::thread t([&] { w.Run(); });
  ASSERT_TRUE(WaitFor([&] { return watches.load() >= 4; }));
  w.Stop();
  t.join();
  EXPECT_EQ(log.Lines(),
            (std::vector<std::string>{"added a@1", "synced", "added x@21", "updated x@26 was@21"}));
  auto ws = h.Watches();
  EXPECT_EQ(ws[1].Query("resourceVersion"), "25");  // the bookmark's version
  EXPECT_EQ(ws[2].Query("resourceVersion"), "25");
  EXPECT_EQ(ws[3].Query("resourceVersion"), "26");
  EXPECT_EQ(lists.load(), 1);
  EXPECT_GE(log.errors.size(), 2u);
}

TEST(Watcher, A410StatusOnTheWatchRequestRelists) {
  std::atomic<int> lists{0}, watches{0};
  Harness h([&](const ReplayRequest& r) {
    ReplayAnswer a;
    if (r.Query("watch") != "true") {
      a.body =
          lists++ == 0 ? List("5", {Item("a", "1"), Item("b", "2")}) : List("9", {Item("b", "2")});
      return a;
    }
    if (watches++ == 0) {
      a.status = 410;
      a.body = R"({"kind":"Status","code":410,"reason":"Gone","message":"too old"})";
      return a;
    }
    return Quiet();
  });
  Log log;
  Watcher w(*h.client, h.Options(), log.Callbacks(), h.random);
  std::thread t([&] { w.Run(); });
  ASSERT_TRUE(WaitFor([&] { return watches.load() >= 2; }));
  w.Stop();
  t.join();
  EXPECT_EQ(log.Lines(), (std::vector<std::string>{"added a@1", "added b@2", "synced",
                                                   "deleted a@1", "synced"}));
  EXPECT_EQ(h.Watches()[1].Query("resourceVersion"), "9");
}

TEST(Informer, StoreAndHandlersFollowTheWatch) {
  std::atomic<int> watches{0};
  Harness h([&](const ReplayRequest& r) {
    ReplayAnswer a;
    if (r.Query("watch") != "true") {
      a.body = List("5", {Item("a", "1"), Item("b", "2")});
      return a;
    }
    if (watches++ == 0) {
      a.chunks = {Event("MODIFIED", Item("a", "6")), Event("DELETED", Item("b", "7")),
                  Event("ADDED", Item("c", "8"))};
      return a;
    }
    return Quiet();
  });
  Informer informer(*h.client, h.Options(), h.random);
  std::mutex mu;
  std::vector<std::string> seen;
  EventHandler handler;
  // Handlers run after the store changed: a lookup from a handler sees the new state.
  handler.on_add = [&](const ObjectPtr& o) {
    std::lock_guard<std::mutex> lock(mu);
    seen.push_back("add " + o->name() + (informer.store().GetByKey(o->Key()) ? " cached" : ""));
  };
  handler.on_update = [&](const ObjectPtr& old, const ObjectPtr& o) {
    std::lock_guard<std::mutex> lock(mu);
    seen.push_back("update " + o->name() + " " + old->resource_version() + "->" +
                   informer.store().GetByKey(o->Key())->resource_version());
  };
  handler.on_delete = [&](const ObjectPtr& o) {
    std::lock_guard<std::mutex> lock(mu);
    seen.push_back("delete " + o->name() + (informer.store().GetByKey(o->Key()) ? "" : " gone"));
  };
  informer.AddHandler(handler);
  EXPECT_FALSE(informer.HasSynced());
  informer.Start();
  ASSERT_TRUE(informer.WaitForSync(milliseconds(10000)));
  ASSERT_TRUE(WaitFor([&] { return watches.load() >= 2; }));
  informer.Stop();
  EXPECT_EQ(seen, (std::vector<std::string>{"add a cached", "add b cached", "update a 1->6",
                                            "delete b gone", "add c cached"}));
  EXPECT_EQ(informer.store().size(), 2u);
  EXPECT_EQ(informer.store().ListNamespace("ns").size(), 2u);
  EXPECT_TRUE(informer.store().ListNamespace("n").empty());
  EXPECT_EQ(informer.store().Get("ns", "a")->resource_version(), "6");
}

}  // namespace
}  // namespace edgerepl::kube
