// The reconciler's memory of the statuses it wrote: it bridges a cache that has not seen our own
// write yet, and nothing more. A status another writer put on the object (a newer
// resourceVersion) is replaced with the operator's again, as the API server restart / conflicting
// writer tests found it was not.
#include <gtest/gtest.h>

#include "common/codec/base64.h"
#include "operator/controllers/namespace_reconciler.h"
#include "operator/model/reasons.h"
#include "operator/status/status_json.h"
#include "tests/unit/operator/fakes.h"
#include "tests/unit/operator/fixtures.h"

namespace edgerepl::op {
namespace {

using testing::Json;

// A cache that lags: status patches are counted and kept aside, but the objects the reconciler
// lists keep their old status and resourceVersion until the test "delivers" the watch event.
class LaggingCluster : public testing::FakeCluster {
 public:
  Status PatchStatus(Kind, const std::string&, const std::string& name,
                     const web::json::value& patch) override {
    ++status_patches;
    pending[name] = patch.at("status");
    return Status::Ok();
  }
  // The watch brings our write back, with the version the server gave it.
  void Deliver(Kind kind, const std::string& name, const std::string& version) {
    web::json::value* o = Find(kind, "edge", name);
    (*o)["status"] = pending.at(name);
    (*o)["metadata"]["resourceVersion"] = web::json::value::string(version);
  }
  // Another writer replaces the status.
  void Overwrite(Kind kind, const std::string& name, const std::string& version) {
    web::json::value* o = Find(kind, "edge", name);
    (*o)["status"] = Json(
        R"({"observedGeneration":0,"conditions":[{"type":"Ready","status":"Unknown","reason":"Overwritten","message":"","observedGeneration":0,"lastTransitionTime":"2020-01-01T00:00:00Z"}]})");
    (*o)["metadata"]["resourceVersion"] = web::json::value::string(version);
  }
  std::map<std::string, web::json::value> pending;
};

web::json::value WithVersion(web::json::value o, const std::string& version) {
  o["metadata"]["resourceVersion"] = web::json::value::string(version);
  return o;
}

class StatusWritesTest : public ::testing::Test {
 protected:
  StatusWritesTest()
      : recorder_(cluster_, clock_, "operator-0"),
        reconciler_(cluster_, cluster_, polls_, recorder_, clock_, ReconcilerOptions{}) {
    cluster_.Put(Kind::kRemote,
                 WithVersion(Json(testing::RemoteJson("cloud", testing::kRemoteSpec)), "10"));
    cluster_.Put(
        Kind::kReplication,
        WithVersion(Json(testing::ReplicationJson("edge-to-cloud", testing::kReplicationSpec)),
                    "11"));
    cluster_.Put(
        Kind::kSecret,
        Json(
            R"({"metadata":{"name":"cloud-token","namespace":"edge","resourceVersion":"1"},"data":{"token":")" +
            codec::Base64Encode("t0ken") + R"("}})"));
  }

  void Reconcile() {
    Result<ReconcileStats> r = reconciler_.Reconcile("edge");
    ASSERT_TRUE(r.ok()) << r.status().ToString();
  }

  std::string RemoteReady() {
    RemoteStatus s = RemoteStatusFromObject(*cluster_.Find(Kind::kRemote, "edge", "cloud"));
    const Condition* c = FindCondition(s.conditions, reason::kReady);
    return c == nullptr ? "" : c->status + "/" + c->reason;
  }

  testing::FakeClock clock_;
  LaggingCluster cluster_;
  AgentPolls polls_;
  EventRecorder recorder_;
  NamespaceReconciler reconciler_;
};

TEST_F(StatusWritesTest, ALaggingCacheDoesNotRepeatAWrite) {
  Reconcile();
  const int first = cluster_.status_patches;
  ASSERT_EQ(first, 2);  // the Remote and the Replication
  const size_t events = cluster_.events.size();
  // The cache has not seen either write: nothing is written or announced again.
  Reconcile();
  Reconcile();
  EXPECT_EQ(cluster_.status_patches, first);
  EXPECT_EQ(cluster_.events.size(), events);
  // It has now; still nothing to do.
  cluster_.Deliver(Kind::kRemote, "cloud", "12");
  cluster_.Deliver(Kind::kReplication, "edge-to-cloud", "13");
  Reconcile();
  EXPECT_EQ(cluster_.status_patches, first);
  EXPECT_EQ(RemoteReady(), "True/Resolved");
}

TEST_F(StatusWritesTest, AStatusAnotherWriterPutIsReplaced) {
  Reconcile();
  cluster_.Deliver(Kind::kRemote, "cloud", "12");
  cluster_.Deliver(Kind::kReplication, "edge-to-cloud", "13");
  const int before = cluster_.status_patches;

  cluster_.Overwrite(Kind::kRemote, "cloud", "14");
  cluster_.Overwrite(Kind::kReplication, "edge-to-cloud", "15");
  Reconcile();
  EXPECT_EQ(cluster_.status_patches, before + 2);
  cluster_.Deliver(Kind::kRemote, "cloud", "16");
  cluster_.Deliver(Kind::kReplication, "edge-to-cloud", "17");
  EXPECT_EQ(RemoteReady(), "True/Resolved");
  RemoteStatus remote = RemoteStatusFromObject(*cluster_.Find(Kind::kRemote, "edge", "cloud"));
  EXPECT_EQ(remote.observed_generation, 1);
  ReplicationStatus rep =
      ReplicationStatusFromObject(*cluster_.Find(Kind::kReplication, "edge", "edge-to-cloud"));
  const Condition* ready = FindCondition(rep.conditions, reason::kReady);
  ASSERT_NE(ready, nullptr);
  EXPECT_EQ(ready->reason, reason::kNoAgents);
  EXPECT_EQ(rep.observed_generation, 1);
  // And it stays put.
  Reconcile();
  EXPECT_EQ(cluster_.status_patches, before + 2);
}

}  // namespace
}  // namespace edgerepl::op
