#include "operator/webhook/admission.h"

#include <gtest/gtest.h>

#include "common/codec/base64.h"
#include "operator/webhook/handler.h"
#include "tests/unit/webhook/fixture.h"

namespace edgerepl::webhook {
namespace {

using web::json::value;

std::string Review(const std::string& version, const value& pod, const std::string& kind = "Pod") {
  value r = value::object();
  r["apiVersion"] = value::string("admission.k8s.io/" + version);
  r["kind"] = value::string("AdmissionReview");
  r["request"] = value::object();
  r["request"]["uid"] = value::string("705ab4f5-6393-11e8-b7cc-42010a800002");
  r["request"]["kind"] = value::object();
  r["request"]["kind"]["kind"] = value::string(kind);
  r["request"]["operation"] = value::string("CREATE");
  r["request"]["namespace"] = value::string("influx");
  r["request"]["object"] = pod;
  return r.serialize();
}

httpserver::Response Call(const httpserver::Handler& h, const std::string& path,
                          const std::string& body) {
  httpserver::Request req;
  req.method = "POST";
  req.path = path;
  req.body = body;
  return h(req);
}

httpserver::Handler Handler(int* ephemeral = nullptr) {
  auto sidecar = ParseSidecarTemplate(testing::ReadFixture("sidecar.json"));
  EXPECT_TRUE(sidecar.ok());
  return MakeHandler(*sidecar, [ephemeral](const AdmissionRequest&, const std::string&) {
    if (ephemeral) ++*ephemeral;
  });
}

TEST(Admission, BothVersionsAreAnsweredInTheirOwnVersionWithABase64JsonPatch) {
  for (const std::string version : {"v1", "v1beta1"}) {
    int ephemeral = 0;
    httpserver::Response r = Call(Handler(&ephemeral), kPodsPath,
                                  Review(version, testing::FixtureJson("influxdb2-pod.json")));
    ASSERT_EQ(r.status, 200);
    value out = value::parse(r.body);
    EXPECT_EQ(out.at("apiVersion").as_string(), "admission.k8s.io/" + version);
    EXPECT_EQ(out.at("kind").as_string(), "AdmissionReview");
    const value& resp = out.at("response");
    EXPECT_EQ(resp.at("uid").as_string(), "705ab4f5-6393-11e8-b7cc-42010a800002");
    EXPECT_TRUE(resp.at("allowed").as_bool());
    EXPECT_EQ(resp.at("patchType").as_string(), "JSONPatch");
    auto patch = codec::Base64Decode(resp.at("patch").as_string());
    ASSERT_TRUE(patch.has_value());
    value ops = value::parse(*patch);
    EXPECT_GE(ops.size(), 3u);
    EXPECT_EQ(resp.at("warnings").size(), 1u);
    EXPECT_EQ(ephemeral, 1);
  }
}

TEST(Admission, ARefusedPodIsAllowedFalseWithTheReason) {
  value pod = testing::FixtureJson("influxdb2-pod.json");
  pod["metadata"]["annotations"]["edgerepl.io/queue-volume"] = value::string("nope");
  httpserver::Response r = Call(Handler(), kPodsPath, Review("v1", pod));
  ASSERT_EQ(r.status, 200);
  const value resp = value::parse(r.body).at("response");
  EXPECT_FALSE(resp.at("allowed").as_bool());
  EXPECT_NE(resp.at("status").at("message").as_string().find("edgerepl.io/queue-volume"),
            std::string::npos);
  EXPECT_FALSE(resp.has_field("patch"));
}

TEST(Admission, AnUntouchedPodHasNoPatch) {
  value pod = testing::FixtureJson("influxdb2-pod.json");
  pod["metadata"]["annotations"] = value::object();
  httpserver::Response r = Call(Handler(), kPodsPath, Review("v1", pod));
  const value resp = value::parse(r.body).at("response");
  EXPECT_TRUE(resp.at("allowed").as_bool());
  EXPECT_FALSE(resp.has_field("patch"));
  EXPECT_FALSE(resp.has_field("warnings"));
}

TEST(Admission, AKindSentToTheWrongPathIsLeftAlone) {
  httpserver::Response r =
      Call(Handler(), kServicesPath, Review("v1", testing::FixtureJson("influxdb2-pod.json")));
  const value resp = value::parse(r.body).at("response");
  EXPECT_TRUE(resp.at("allowed").as_bool());
  EXPECT_FALSE(resp.has_field("patch"));
}

TEST(Admission, GarbageIs400NamingTheField) {
  httpserver::Response r = Call(Handler(), kPodsPath, "{\"apiVersion\":\"admission.k8s.io/v2\"}");
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("apiVersion"), std::string::npos);
  r = Call(Handler(), kPodsPath, "nope");
  EXPECT_EQ(r.status, 400);
  r = Call(Handler(), "/other", "{}");
  EXPECT_EQ(r.status, 404);
}

}  // namespace
}  // namespace edgerepl::webhook
