#include "operator/webhook/inject.h"

#include <gtest/gtest.h>

#include "tests/unit/webhook/fixture.h"

namespace edgerepl::webhook {
namespace {

using testing::ApplyPatch;
using testing::FixtureJson;
using testing::Named;
using web::json::value;

SidecarTemplate Sidecar() {
  Result<SidecarTemplate> t = ParseSidecarTemplate(testing::ReadFixture("sidecar.json"));
  EXPECT_TRUE(t.ok()) << t.status().ToString();
  return *t;
}

value Influxdb2Pod() {
  return FixtureJson("influxdb2-pod.json");
}

TEST(InjectPod, Influxdb2ChartPodGetsTheSidecarItsVolumesAndTheAgentLabel) {
  value pod = Influxdb2Pod();
  Result<Mutation> m = InjectPod(pod, Sidecar());
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_TRUE(m->skipped.empty());
  value out = ApplyPatch(pod, m->patch);
  const auto& containers = out.at("spec").at("containers");
  ASSERT_EQ(containers.size(), 2u);
  EXPECT_EQ(containers.at(0).at("name").as_string(), "influxdb2");  // untouched, first
  const value* agent = Named(containers, "edgerepl-agent");
  ASSERT_NE(agent, nullptr);
  EXPECT_EQ(agent->at("image").as_string(), "ghcr.io/edgerepl/edgerepl-agent:0.1.0");
  EXPECT_NE(Named(agent->at("ports"), "edgerepl-write"), nullptr);
  EXPECT_EQ(agent->at("readinessProbe").at("httpGet").at("path").as_string(), "/readyz");
  EXPECT_TRUE(agent->at("securityContext").at("readOnlyRootFilesystem").as_bool());
  const auto& volumes = out.at("spec").at("volumes");
  EXPECT_NE(Named(volumes, "data"), nullptr);  // the chart's own
  const value* config = Named(volumes, "edgerepl-agent-config");
  ASSERT_NE(config, nullptr);
  EXPECT_EQ(config->at("secret").at("secretName").as_string(), "edgerepl-agent-config");
  EXPECT_TRUE(config->at("secret").at("optional").as_bool());
  const value* podinfo = Named(volumes, "edgerepl-podinfo");
  ASSERT_NE(podinfo, nullptr);
  EXPECT_EQ(podinfo->at("downwardAPI").at("items").at(0).at("fieldRef").at("fieldPath").as_string(),
            "metadata.labels");
  // No queue volume named: an emptyDir, with a warning.
  const value* queue = Named(volumes, "edgerepl-queue");
  ASSERT_NE(queue, nullptr);
  EXPECT_TRUE(queue->has_object_field("emptyDir"));
  EXPECT_TRUE(m->ephemeral_queue);
  ASSERT_EQ(m->warnings.size(), 1u);
  EXPECT_NE(m->warnings[0].find("emptyDir"), std::string::npos);
  EXPECT_NE(m->warnings[0].find("influx-influxdb2-0"), std::string::npos);
  EXPECT_EQ(out.at("metadata").at("labels").at("app.kubernetes.io/component").as_string(),
            "edgerepl-agent");
  // The StatefulSet's selector labels stay as they were.
  EXPECT_EQ(out.at("metadata").at("labels").at("app.kubernetes.io/name").as_string(), "influxdb2");
  EXPECT_EQ(out.at("metadata").at("annotations").at("edgerepl.io/injected").as_string(), "true");
}

TEST(InjectPod, AnInjectedPodIsLeftAlone) {
  value pod = Influxdb2Pod();
  Result<Mutation> first = InjectPod(pod, Sidecar());
  ASSERT_TRUE(first.ok());
  Result<Mutation> second = InjectPod(ApplyPatch(pod, first->patch), Sidecar());
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->patch.size(), 0u);
  EXPECT_TRUE(second->warnings.empty());
  EXPECT_FALSE(second->skipped.empty());
}

TEST(InjectPod, WithoutTheLabelOrAnnotationNothingChanges) {
  value pod = Influxdb2Pod();
  pod["metadata"]["annotations"] = value::object();
  Result<Mutation> m = InjectPod(pod, Sidecar());
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->patch.size(), 0u);
  pod["metadata"]["annotations"]["edgerepl.io/inject"] = value::string("false");
  m = InjectPod(pod, Sidecar());
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->patch.size(), 0u);
}

TEST(InjectPod, TheLabelAloneIsEnoughAndAPodWithoutLabelsOrAnnotationsGetsBoth) {
  value pod = Influxdb2Pod();
  pod["metadata"] = value::object();
  pod["metadata"]["name"] = value::string("db");
  pod["metadata"]["labels"] = value::object();
  pod["metadata"]["labels"]["edgerepl.io/inject"] = value::string("true");
  pod["spec"].as_object().erase("volumes");
  Result<Mutation> m = InjectPod(pod, Sidecar());
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  value out = ApplyPatch(pod, m->patch);
  EXPECT_EQ(out.at("spec").at("volumes").size(), 3u);
  EXPECT_EQ(out.at("metadata").at("annotations").at("edgerepl.io/injected").as_string(), "true");
  EXPECT_EQ(out.at("metadata").at("labels").at("app.kubernetes.io/component").as_string(),
            "edgerepl-agent");
}

TEST(InjectPod, QueueVolumeAnnotationMountsThePodsOwnVolumeWithSubPath) {
  value pod = Influxdb2Pod();
  pod["metadata"]["annotations"]["edgerepl.io/queue-volume"] = value::string("data");
  pod["metadata"]["annotations"]["edgerepl.io/queue-subpath"] = value::string("edgerepl");
  Result<Mutation> m = InjectPod(pod, Sidecar());
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_FALSE(m->ephemeral_queue);
  EXPECT_TRUE(m->warnings.empty());
  value out = ApplyPatch(pod, m->patch);
  EXPECT_EQ(Named(out.at("spec").at("volumes"), "edgerepl-queue"), nullptr);
  const value* agent = Named(out.at("spec").at("containers"), "edgerepl-agent");
  const value* mount = Named(agent->at("volumeMounts"), "data");
  ASSERT_NE(mount, nullptr);
  EXPECT_EQ(mount->at("mountPath").as_string(), "/var/lib/edgerepl");
  EXPECT_EQ(mount->at("subPath").as_string(), "edgerepl");
}

TEST(InjectPod, QueueClaimAnnotationAddsTheClaim) {
  value pod = Influxdb2Pod();
  pod["metadata"]["annotations"]["edgerepl.io/queue-claim"] = value::string("edgerepl-queue-0");
  Result<Mutation> m = InjectPod(pod, Sidecar());
  ASSERT_TRUE(m.ok());
  EXPECT_FALSE(m->ephemeral_queue);
  value out = ApplyPatch(pod, m->patch);
  const value* q = Named(out.at("spec").at("volumes"), "edgerepl-queue");
  ASSERT_NE(q, nullptr);
  EXPECT_EQ(q->at("persistentVolumeClaim").at("claimName").as_string(), "edgerepl-queue-0");
}

TEST(InjectPod, AQueueVolumeThePodLacksRefusesThePodNamingTheAnnotation) {
  value pod = Influxdb2Pod();
  pod["metadata"]["annotations"]["edgerepl.io/queue-volume"] = value::string("queue");
  Result<Mutation> m = InjectPod(pod, Sidecar());
  ASSERT_FALSE(m.ok());
  EXPECT_NE(m.status().message().find("edgerepl.io/queue-volume"), std::string::npos);
  EXPECT_NE(m.status().message().find("\"queue\""), std::string::npos);
}

TEST(InjectPod, ATakenVolumeNameRefusesThePod) {
  value pod = Influxdb2Pod();
  value v = value::object();
  v["name"] = value::string("edgerepl-podinfo");
  v["emptyDir"] = value::object();
  pod["spec"]["volumes"][1] = v;
  Result<Mutation> m = InjectPod(pod, Sidecar());
  ASSERT_FALSE(m.ok());
  EXPECT_NE(m.status().message().find("edgerepl-podinfo"), std::string::npos);
}

TEST(InjectPod, AnotherComponentLabelIsKeptWithAWarning) {
  value pod = Influxdb2Pod();
  pod["metadata"]["labels"]["app.kubernetes.io/component"] = value::string("database");
  Result<Mutation> m = InjectPod(pod, Sidecar());
  ASSERT_TRUE(m.ok());
  value out = ApplyPatch(pod, m->patch);
  EXPECT_EQ(out.at("metadata").at("labels").at("app.kubernetes.io/component").as_string(),
            "database");
  ASSERT_EQ(m->warnings.size(), 2u);
  EXPECT_NE(m->warnings[1].find("database"), std::string::npos);
}

value Service(value target_port) {
  value s = value::object();
  s["metadata"] = value::object();
  s["metadata"]["name"] = value::string("influx-influxdb2");
  s["metadata"]["labels"] = value::object();
  s["metadata"]["labels"]["edgerepl.io/inject"] = value::string("true");
  value port = value::object();
  port["name"] = value::string("http");
  port["port"] = value::number(80);
  port["targetPort"] = std::move(target_port);
  s["spec"] = value::object();
  s["spec"]["ports"] = value::array({port});
  return s;
}

TEST(RetargetService, TheInfluxdbPortMovesToTheAgent) {
  value svc = Service(value::number(8086));  // the influxdb2 chart's service.targetPort
  Result<Mutation> m = RetargetService(svc);
  ASSERT_TRUE(m.ok());
  value out = ApplyPatch(svc, m->patch);
  EXPECT_EQ(out.at("spec").at("ports").at(0).at("targetPort").as_string(), "edgerepl-write");
  Result<Mutation> again = RetargetService(out);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->patch.size(), 0u);
  EXPECT_TRUE(again->warnings.empty());
}

TEST(RetargetService, ANamedTargetPortFollowsTheAnnotation) {
  value svc = Service(value::string("http"));
  Result<Mutation> m = RetargetService(svc);
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->patch.size(), 0u);
  ASSERT_EQ(m->warnings.size(), 1u);
  EXPECT_NE(m->warnings[0].find("edgerepl.io/target-port"), std::string::npos);
  svc["metadata"]["annotations"] = value::object();
  svc["metadata"]["annotations"]["edgerepl.io/target-port"] = value::string("http");
  m = RetargetService(svc);
  ASSERT_TRUE(m.ok());
  value out = ApplyPatch(svc, m->patch);
  EXPECT_EQ(out.at("spec").at("ports").at(0).at("targetPort").as_string(), "edgerepl-write");
}

TEST(SidecarTemplate, ErrorsNameTheField) {
  EXPECT_NE(ParseSidecarTemplate("{").status().message().find("not JSON"), std::string::npos);
  EXPECT_NE(ParseSidecarTemplate("{}").status().message().find("container"), std::string::npos);
  EXPECT_NE(ParseSidecarTemplate(R"({"container":{"name":"x"}})")
                .status()
                .message()
                .find("container.name"),
            std::string::npos);
  EXPECT_NE(ParseSidecarTemplate(R"({"container":{"name":"edgerepl-agent","image":"i",
              "ports":[{"name":"edgerepl-write"}],"volumeMounts":[]}})")
                .status()
                .message()
                .find("edgerepl-queue"),
            std::string::npos);
}

}  // namespace
}  // namespace edgerepl::webhook
