// The REST client against a real kube-apiserver: CRUD of a custom resource, pagination, a real
// 409, status subresource semantics and a real 410 after etcd compaction.
#include <gtest/gtest.h>

#include "tests/integration/kube/kube_test_env.h"

namespace edgerepl::kube::testing {
namespace {

Object MakeWidget(const std::string& ns, const std::string& name, int size) {
  Object w;
  w.set_type(WidgetsType());
  w.set_name(name);
  w.set_namespace(ns);
  w.json()["spec"] = web::json::value::object();
  w.json()["spec"]["size"] = web::json::value::number(size);
  w.json()["spec"]["color"] = web::json::value::string("blue");
  return w;
}

int64_t SpecSize(const Object& o) {
  return Object::IntField(o.spec(), "size").value_or(-1);
}

TEST(KubeRest, CrudOfACustomResource) {
  SKIP_WITHOUT_APISERVER();
  auto client = KubeEnvironment::NewClient();
  const std::string ns = KubeEnvironment::NewNamespace("crud");

  Result<Object> created = client->Create(WidgetsType(), ns, MakeWidget(ns, "w1", 3));
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  EXPECT_EQ(created->name(), "w1");
  EXPECT_EQ(created->namespace_(), ns);
  EXPECT_FALSE(created->uid().empty());
  EXPECT_EQ(created->generation(), 1);

  Result<Object> again = client->Create(WidgetsType(), ns, MakeWidget(ns, "w1", 3));
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.status().code(), StatusCode::kConflict);
  EXPECT_TRUE(IsAlreadyExists(again.status())) << again.status().ToString();

  Result<Object> got = client->Get(WidgetsType(), ns, "w1");
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(SpecSize(*got), 3);
  EXPECT_EQ(got->resource_version(), created->resource_version());

  Object changed = *got;
  changed.json()["spec"]["size"] = web::json::value::number(4);
  Result<Object> updated = client->Update(WidgetsType(), changed);
  ASSERT_TRUE(updated.ok()) << updated.status().ToString();
  EXPECT_EQ(SpecSize(*updated), 4);
  EXPECT_NE(updated->resource_version(), got->resource_version());

  web::json::value patch = web::json::value::parse(R"({"spec":{"color":"red"}})");
  Result<Object> patched = client->MergePatch(WidgetsType(), ns, "w1", patch);
  ASSERT_TRUE(patched.ok()) << patched.status().ToString();
  EXPECT_EQ(Object::StringField(patched->spec(), "color"), "red");
  EXPECT_EQ(SpecSize(*patched), 4);  // a merge patch keeps what it does not name

  // A schema violation is a 422 the caller must not retry.
  Result<Object> invalid = client->MergePatch(WidgetsType(), ns, "w1",
                                              web::json::value::parse(R"({"spec":{"size":-1}})"));
  ASSERT_FALSE(invalid.ok());
  EXPECT_EQ(ApiCode(invalid.status()), 422);
  EXPECT_EQ(invalid.status().code(), StatusCode::kInvalidArgument);

  ASSERT_TRUE(client->Delete(WidgetsType(), ns, "w1").ok());
  Result<Object> gone = client->Get(WidgetsType(), ns, "w1");
  ASSERT_FALSE(gone.ok());
  EXPECT_EQ(gone.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(ApiReason(gone.status()), "NotFound");
  Status twice = client->Delete(WidgetsType(), ns, "w1");
  EXPECT_EQ(twice.code(), StatusCode::kNotFound);
}

TEST(KubeRest, ListFollowsContinueTokens) {
  SKIP_WITHOUT_APISERVER();
  auto client = KubeEnvironment::NewClient();
  const std::string ns = KubeEnvironment::NewNamespace("pages");
  for (int i = 0; i < 7; ++i) {
    ASSERT_TRUE(client->Create(WidgetsType(), ns, MakeWidget(ns, "w" + std::to_string(i), i)).ok());
  }
  ListOptions page_opts;
  page_opts.limit = 3;
  Result<ObjectList> first = client->ListPage(WidgetsType(), ns, page_opts);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_EQ(first->items.size(), 3u);
  EXPECT_FALSE(first->continue_token.empty());

  ListOptions all_opts;
  all_opts.limit = 3;
  Result<ObjectList> all = client->List(WidgetsType(), ns, all_opts);
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  ASSERT_EQ(all->items.size(), 7u);
  EXPECT_FALSE(all->resource_version.empty());
  std::set<std::string> names;
  for (const auto& o : all->items) {
    names.insert(o.name());
    EXPECT_EQ(o.kind(), "Widget");
  }
  EXPECT_EQ(names.size(), 7u);
}

TEST(KubeRest, StaleUpdateIsAConflict) {
  SKIP_WITHOUT_APISERVER();
  auto client = KubeEnvironment::NewClient();
  const std::string ns = KubeEnvironment::NewNamespace("conflict");
  Result<Object> created = client->Create(WidgetsType(), ns, MakeWidget(ns, "w", 1));
  ASSERT_TRUE(created.ok());

  Object mine = *created;
  Object theirs = *created;
  theirs.json()["spec"]["size"] = web::json::value::number(2);
  ASSERT_TRUE(client->Update(WidgetsType(), theirs).ok());

  mine.json()["spec"]["size"] = web::json::value::number(3);
  Result<Object> stale = client->Update(WidgetsType(), mine);
  ASSERT_FALSE(stale.ok());
  EXPECT_EQ(stale.status().code(), StatusCode::kConflict);
  EXPECT_EQ(ApiCode(stale.status()), 409);
  EXPECT_EQ(ApiReason(stale.status()), "Conflict");

  // The retry the caller is expected to do: re-read, re-apply, write.
  Result<Object> fresh = client->Get(WidgetsType(), ns, "w");
  ASSERT_TRUE(fresh.ok());
  fresh->json()["spec"]["size"] = web::json::value::number(3);
  Result<Object> retried = client->Update(WidgetsType(), *fresh);
  ASSERT_TRUE(retried.ok()) << retried.status().ToString();
  EXPECT_EQ(SpecSize(*retried), 3);
}

TEST(KubeRest, StatusSubresourceKeepsGenerationAndSpecSeparate) {
  SKIP_WITHOUT_APISERVER();
  auto client = KubeEnvironment::NewClient();
  const std::string ns = KubeEnvironment::NewNamespace("status");
  Object w = MakeWidget(ns, "w", 1);
  // Status in a create is dropped: only /status writes it.
  w.json()["status"] = web::json::value::parse(R"({"phase":"Injected"})");
  Result<Object> created = client->Create(WidgetsType(), ns, w);
  ASSERT_TRUE(created.ok());
  EXPECT_TRUE(created->status().is_null() ||
              Object::StringField(created->status(), "phase").empty());
  EXPECT_EQ(created->generation(), 1);

  Object with_status = *created;
  with_status.json()["status"] =
      web::json::value::parse(R"({"phase":"Ready","observedGeneration":1})");
  Result<Object> status_written = client->UpdateStatus(WidgetsType(), with_status);
  ASSERT_TRUE(status_written.ok()) << status_written.status().ToString();
  EXPECT_EQ(Object::StringField(status_written->status(), "phase"), "Ready");
  EXPECT_EQ(status_written->generation(), 1);  // status writes do not bump generation

  // A status write through /status ignores spec changes.
  Object sneaky = *status_written;
  sneaky.json()["spec"]["size"] = web::json::value::number(99);
  sneaky.json()["status"]["phase"] = web::json::value::string("Sneaky");
  Result<Object> after_sneak = client->UpdateStatus(WidgetsType(), sneaky);
  ASSERT_TRUE(after_sneak.ok());
  EXPECT_EQ(SpecSize(*after_sneak), 1);
  EXPECT_EQ(after_sneak->generation(), 1);

  // A spec write bumps generation and ignores status.
  Object spec_change = *after_sneak;
  spec_change.json()["spec"]["size"] = web::json::value::number(2);
  spec_change.json()["status"]["phase"] = web::json::value::string("Ignored");
  Result<Object> spec_written = client->Update(WidgetsType(), spec_change);
  ASSERT_TRUE(spec_written.ok());
  EXPECT_EQ(spec_written->generation(), 2);
  EXPECT_EQ(Object::StringField(spec_written->status(), "phase"), "Sneaky");

  // Merge patches behave the same way.
  Result<Object> status_patch = client->MergePatch(
      WidgetsType(), ns, "w", web::json::value::parse(R"({"status":{"observedGeneration":2}})"),
      "status");
  ASSERT_TRUE(status_patch.ok()) << status_patch.status().ToString();
  EXPECT_EQ(status_patch->generation(), 2);
  EXPECT_EQ(Object::IntField(status_patch->status(), "observedGeneration"), 2);
  EXPECT_EQ(Object::StringField(status_patch->status(), "phase"), "Sneaky");
  Result<Object> spec_patch = client->MergePatch(
      WidgetsType(), ns, "w", web::json::value::parse(R"({"spec":{"color":"green"}})"));
  ASSERT_TRUE(spec_patch.ok());
  EXPECT_EQ(spec_patch->generation(), 3);
  // Metadata-only changes do not bump it either.
  Result<Object> label_patch = client->MergePatch(
      WidgetsType(), ns, "w", web::json::value::parse(R"({"metadata":{"labels":{"a":"b"}}})"));
  ASSERT_TRUE(label_patch.ok());
  EXPECT_EQ(label_patch->generation(), 3);
}

TEST(KubeRest, WatchFromACompactedVersionIsGone) {
  SKIP_WITHOUT_APISERVER();
  auto* server = KubeEnvironment::server();
  if (server->assets().etcdctl.empty()) GTEST_SKIP() << "no etcdctl (Debian etcd-client)";
  auto client = KubeEnvironment::NewClient();
  const std::string ns = KubeEnvironment::NewNamespace("gone");
  Object g;
  g.set_type(GadgetsType());
  g.set_name("g");
  g.json()["spec"] = web::json::value::parse(R"({"size":1})");
  Result<Object> created = client->Create(GadgetsType(), ns, g);
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  const std::string old_rv = created->resource_version();
  for (int i = 2; i < 5; ++i) {
    ASSERT_TRUE(
        client
            ->MergePatch(GadgetsType(), ns, "g",
                         web::json::value::parse(R"({"spec":{"size":)" + std::to_string(i) + "}}"))
            .ok());
  }
  Status compacted = server->CompactEtcd();
  ASSERT_TRUE(compacted.ok()) << compacted.ToString();

  WatchOptions wo;
  wo.resource_version = old_rv;
  wo.timeout_seconds = 10;
  Result<StreamResponse> watch = client->Watch(GadgetsType(), ns, wo);
  // The server says 410 either as the HTTP status or as an ERROR event in a 200 stream; both
  // must come out as a Gone status.
  Status gone;
  if (!watch.ok()) {
    gone = watch.status();
    std::printf("410 as the HTTP status: %s\n", gone.ToString().c_str());
  } else {
    std::string body;
    for (int i = 0; i < 50 && body.find('\n') == std::string::npos; ++i) {
      Result<bool> more = watch->body->Read(&body, std::chrono::seconds(10));
      if (!more.ok() || !*more) break;
    }
    Result<Object> event = Object::Parse(body.substr(0, body.find('\n')));
    ASSERT_TRUE(event.ok()) << body;
    EXPECT_EQ(Object::StringField(event->json(), "type"), "ERROR") << body;
    gone = StatusFromStatusObject(Object::Field(event->json(), "object"));
    std::printf("410 as an ERROR event: %s\n", gone.ToString().c_str());
  }
  EXPECT_TRUE(IsGone(gone)) << gone.ToString();
}

}  // namespace
}  // namespace edgerepl::kube::testing
