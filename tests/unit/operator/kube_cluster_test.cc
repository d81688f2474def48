// The controllers' cluster seams over the Kubernetes client library, with a scripted transport:
// informers fill the cache and report changed namespaces (from lists and watch events), and the
// writes reach the right paths with the right verbs.
// gtest before cpprest: cpprest's U() macro breaks gtest's templates.
#include <gtest/gtest.h>

#include "operator/kube_cluster/kube_cluster.h"

#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "operator/kube/transport.h"

namespace edgerepl::op {
namespace {

using namespace std::chrono_literals;

// Lists come from `items` (by collection path); every watch stream of a path serves the event
// lines pushed for it and otherwise waits.
class FakeTransport : public kube::Transport {
 public:
  struct Shared {
    std::mutex mu;
    std::condition_variable cv;
    std::map<std::string, std::vector<std::string>> items;  // path -> object JSON
    std::map<std::string, std::deque<std::string>> events;  // path -> event lines
    std::vector<http::HttpRequest> writes;
    bool cancelled = false;
  };

  class Body : public kube::BodyStream {
   public:
    Body(Shared& s, std::string path) : s_(s), path_(std::move(path)) {}
    Result<bool> Read(std::string* out, std::chrono::milliseconds idle_timeout) override {
      std::unique_lock<std::mutex> lock(s_.mu);
      bool ready = s_.cv.wait_for(lock, std::min<std::chrono::milliseconds>(idle_timeout, 200ms),
                                  [&] { return cancelled_ || !s_.events[path_].empty(); });
      if (cancelled_) return Status::Aborted("cancelled");
      if (!ready) return Status::Unavailable("idle");
      *out += s_.events[path_].front() + "\n";
      s_.events[path_].pop_front();
      return true;
    }
    void Cancel() override {
      std::lock_guard<std::mutex> lock(s_.mu);
      cancelled_ = true;
      s_.cv.notify_all();
    }

   private:
    Shared& s_;
    std::string path_;
    bool cancelled_ = false;
  };

  explicit FakeTransport(Shared& s) : s_(s) {}

  Result<http::HttpResponse> Send(const http::HttpRequest& r) override {
    std::lock_guard<std::mutex> lock(s_.mu);
    std::string path = r.target.substr(0, r.target.find('?'));
    if (r.method != "GET") {
      s_.writes.push_back(r);
      return http::HttpResponse{r.method == "POST" ? 201 : 200, {}, r.body};
    }
    auto it = s_.items.find(path);
    if (it == s_.items.end()) {
      return http::HttpResponse{
          404, {}, R"({"kind":"Status","code":404,"reason":"NotFound","message":"not found"})"};
    }
    std::string list = R"({"metadata":{"resourceVersion":"10"},"items":[)";
    for (size_t i = 0; i < it->second.size(); ++i) list += (i ? "," : "") + it->second[i];
    return http::HttpResponse{200, {}, list + "]}"};
  }

  Result<kube::StreamResponse> Stream(const http::HttpRequest& r) override {
    kube::StreamResponse resp;
    resp.status = 200;
    resp.body = std::make_unique<Body>(s_, r.target.substr(0, r.target.find('?')));
    return resp;
  }

 private:
  Shared& s_;
};

std::string Obj(const std::string& ns, const std::string& name, const std::string& rv) {
  return R"({"metadata":{"namespace":")" + ns + R"(","name":")" + name +
         R"(","resourceVersion":")" + rv + R"("}})";
}

class KubeClusterTest : public ::testing::Test {
 protected:
  KubeClusterTest() {
    shared_.items["/apis/edgerepl.io/v1alpha1/remotes"] = {Obj("edge", "cloud", "5")};
    shared_.items["/apis/edgerepl.io/v1alpha1/replications"] = {};
    shared_.items["/api/v1/secrets"] = {Obj("other", "s", "6")};
    shared_.items["/api/v1/pods"] = {Obj("edge", "influxdb-0", "7")};
    kube::Config config;
    config.server = "https://api";
    client_ = std::make_unique<kube::RestClient>(config, std::make_unique<FakeTransport>(shared_),
                                                 RealClock::Instance());
    cluster_ = std::make_unique<KubeCluster>(*client_, std::vector<std::string>{}, random_,
                                             [this](const std::string& ns) {
                                               std::lock_guard<std::mutex> lock(mu_);
                                               changed_.insert(ns);
                                             });
    cluster_->Start();
  }
  ~KubeClusterTest() override { cluster_->Stop(); }

  bool WaitFor(const std::function<bool()>& f) {
    for (int i = 0; i < 100 && !f(); ++i) std::this_thread::sleep_for(50ms);
    return f();
  }
  std::set<std::string> Changed() {
    std::lock_guard<std::mutex> lock(mu_);
    return changed_;
  }

  FakeTransport::Shared shared_;
  RealRandom random_{1};
  std::unique_ptr<kube::RestClient> client_;
  std::unique_ptr<KubeCluster> cluster_;
  std::mutex mu_;
  std::set<std::string> changed_;
};

TEST_F(KubeClusterTest, InformersFillTheCacheAndReportNamespaces) {
  ASSERT_TRUE(WaitFor([&] { return cluster_->synced(); }));
  EXPECT_EQ(cluster_->List(Kind::kRemote, "edge").size(), 1u);
  EXPECT_EQ(cluster_->List(Kind::kPod, "edge").size(), 1u);
  EXPECT_EQ(cluster_->List(Kind::kSecret, "other").size(), 1u);
  EXPECT_TRUE(cluster_->List(Kind::kRemote, "other").empty());
  // Secrets alone do not make a namespace one to render.
  EXPECT_EQ(cluster_->Namespaces(), std::vector<std::string>{"edge"});
  EXPECT_TRUE(WaitFor([&] { return Changed() == std::set<std::string>{"edge", "other"}; }));

  {
    std::lock_guard<std::mutex> lock(shared_.mu);
    shared_.events["/apis/edgerepl.io/v1alpha1/replications"].push_back(
        R"({"type":"ADDED","object":)" + Obj("b", "r", "11") + "}");
    shared_.cv.notify_all();
  }
  EXPECT_TRUE(WaitFor([&] { return Changed().count("b") == 1; }));
  EXPECT_TRUE(WaitFor([&] { return cluster_->List(Kind::kReplication, "b").size() == 1; }));
  EXPECT_EQ(cluster_->Namespaces(), (std::vector<std::string>{"b", "edge"}));
}

TEST_F(KubeClusterTest, WritesUseTheRightVerbsAndPaths) {
  Result<std::optional<web::json::value>> missing = cluster_->GetSecret("edge", "cfg");
  ASSERT_TRUE(missing.ok()) << missing.status().ToString();
  EXPECT_FALSE(missing->has_value());
  web::json::value secret = web::json::value::parse(Obj("edge", "cfg", "1"));
  ASSERT_TRUE(cluster_->CreateSecret("edge", secret).ok());
  ASSERT_TRUE(cluster_->UpdateSecret("edge", secret).ok());
  ASSERT_TRUE(cluster_
                  ->PatchStatus(Kind::kReplication, "edge", "r",
                                web::json::value::parse(R"({"status":{}})"))
                  .ok());
  ASSERT_TRUE(cluster_->CreateEvent("edge", web::json::value::parse(Obj("edge", "e", ""))).ok());
  std::lock_guard<std::mutex> lock(shared_.mu);
  ASSERT_EQ(shared_.writes.size(), 4u);
  EXPECT_EQ(shared_.writes[0].method, "POST");
  EXPECT_EQ(shared_.writes[0].target, "/api/v1/namespaces/edge/secrets");
  EXPECT_EQ(shared_.writes[1].method, "PUT");
  EXPECT_EQ(shared_.writes[1].target, "/api/v1/namespaces/edge/secrets/cfg");
  EXPECT_EQ(shared_.writes[2].method, "PATCH");
  EXPECT_EQ(shared_.writes[2].target.substr(0, shared_.writes[2].target.find('?')),
            "/apis/edgerepl.io/v1alpha1/namespaces/edge/replications/r/status");
  EXPECT_EQ(*http::FindHeader(shared_.writes[2].headers, "Content-Type"),
            "application/merge-patch+json");
  EXPECT_EQ(shared_.writes[3].target, "/api/v1/namespaces/edge/events");
}

}  // namespace
}  // namespace edgerepl::op
