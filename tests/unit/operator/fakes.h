// In-memory cluster, agent client and clock for the controllers' unit tests.
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "common/clock.h"
#include "operator/controllers/cluster.h"
#include "operator/model/decode.h"
#include "tests/fakes/fake_clock.h"

namespace edgerepl::op::testing {

// The one fake clock of the unit tests (tests/fakes).
using ::edgerepl::testing::FakeClock;

// Objects by kind and namespace/name. Writes go straight into the store (as a watch would bring
// them back), status patches merge into "status", and every write is counted.
class FakeCluster : public ClusterCache, public ClusterWriter {
 public:
  void Put(Kind kind, web::json::value object) {
    ObjectMeta m = DecodeMeta(object);
    objects_[kind][{m.namespace_, m.name}] = std::move(object);
  }
  void Remove(Kind kind, const std::string& ns, const std::string& name) {
    objects_[kind].erase({ns, name});
  }
  web::json::value* Find(Kind kind, const std::string& ns, const std::string& name) {
    auto it = objects_[kind].find({ns, name});
    return it == objects_[kind].end() ? nullptr : &it->second;
  }

  std::vector<web::json::value> List(Kind kind, const std::string& ns) const override {
    std::vector<web::json::value> out;
    auto k = objects_.find(kind);
    if (k == objects_.end()) return out;
    for (const auto& [key, o] : k->second) {
      if (key.first == ns) out.push_back(o);
    }
    return out;
  }
  std::vector<std::string> Namespaces() const override {
    std::map<std::string, bool> seen;
    for (Kind kind : {Kind::kRemote, Kind::kReplication, Kind::kPod}) {
      auto k = objects_.find(kind);
      if (k == objects_.end()) continue;
      for (const auto& [key, o] : k->second) seen[key.first] = true;
    }
    std::vector<std::string> out;
    for (const auto& [ns, b] : seen) out.push_back(ns);
    return out;
  }

  Result<std::optional<web::json::value>> GetSecret(const std::string& ns,
                                                    const std::string& name) override {
    ++gets;
    web::json::value* s = Find(Kind::kSecret, ns, name);
    if (s == nullptr) return std::optional<web::json::value>();
    return std::optional<web::json::value>(*s);
  }
  Status CreateSecret(const std::string& ns, const web::json::value& secret) override {
    ++creates;
    web::json::value s = secret;
    if (Find(Kind::kSecret, ns, s["metadata"]["name"].as_string())) {
      return Status::Conflict("already exists");
    }
    s["metadata"]["resourceVersion"] = web::json::value::string(std::to_string(++rv_));
    Put(Kind::kSecret, s);
    return Status::Ok();
  }
  Status UpdateSecret(const std::string& ns, const web::json::value& secret) override {
    ++updates;
    web::json::value s = secret;
    const std::string name = s["metadata"]["name"].as_string();
    web::json::value* current = Find(Kind::kSecret, ns, name);
    if (current == nullptr) return Status::NotFound("gone");
    if (conflicts_to_inject > 0) {
      --conflicts_to_inject;
      // Someone else wrote meanwhile: the stored version moves on.
      (*current)["metadata"]["resourceVersion"] = web::json::value::string(std::to_string(++rv_));
      return Status::Conflict("the object has been modified");
    }
    if ((*current)["metadata"]["resourceVersion"].as_string() !=
        s["metadata"]["resourceVersion"].as_string()) {
      return Status::Conflict("stale resourceVersion");
    }
    s["metadata"]["resourceVersion"] = web::json::value::string(std::to_string(++rv_));
    Put(Kind::kSecret, s);
    return Status::Ok();
  }
  Status PatchStatus(Kind kind, const std::string& ns, const std::string& name,
                     const web::json::value& patch) override {
    ++status_patches;
    web::json::value* o = Find(kind, ns, name);
    if (o == nullptr) return Status::NotFound("gone");
    (*o)["status"] = patch.at("status");
    return Status::Ok();
  }
  Status CreateEvent(const std::string&, const web::json::value& event) override {
    events.push_back(event);
    return Status::Ok();
  }

  // Merges patch.metadata.annotations into the stored pod; pod_patch_error, when set, answers
  // instead.
  Status PatchPod(const std::string& ns, const std::string& name,
                  const web::json::value& patch) override {
    ++pod_patches;
    if (!pod_patch_error.ok()) return pod_patch_error;
    web::json::value* o = Find(Kind::kPod, ns, name);
    if (o == nullptr) return Status::NotFound("gone");
    for (const auto& [k, v] : patch.at("metadata").at("annotations").as_object()) {
      (*o)["metadata"]["annotations"][k] = v;
    }
    return Status::Ok();
  }

  int gets = 0, creates = 0, updates = 0, status_patches = 0, conflicts_to_inject = 0;
  int pod_patches = 0;
  Status pod_patch_error;
  std::vector<web::json::value> events;

 private:
  std::map<Kind, std::map<std::pair<std::string, std::string>, web::json::value>> objects_;
  int rv_ = 100;
};

class FakeAgentClient : public AgentClient {
 public:
  Result<std::string> GetReplications(const std::string& ip, int port,
                                      const std::string& admin_token) override {
    ++calls;
    tokens.push_back(admin_token);
    auto it = answers.find(ip + ":" + std::to_string(port));
    if (it == answers.end()) return Status::Unavailable("connection refused");
    return it->second;
  }
  std::map<std::string, std::string> answers;  // "ip:port" -> body
  int calls = 0;
  std::vector<std::string> tokens;  // the admin token of each call, in order
};

}  // namespace edgerepl::op::testing
