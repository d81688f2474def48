#include "plugin/agents.h"

#include <algorithm>

#include "common/codec/percent.h"

namespace edgerepl::plugin {
namespace {

std::string ProxyPath(const AgentPod& pod, const std::string& path) {
  return "/api/v1/namespaces/" + pod.namespace_ + "/pods/" + pod.name + ":" +
         std::to_string(pod.admin_port) + "/proxy" + path;
}

int AdminPort(const kube::Object& pod) {
  const auto& containers = kube::Object::Field(pod.spec(), "containers");
  if (!containers.is_array()) return 9186;
  for (const auto& c : containers.as_array()) {
    const auto& ports = kube::Object::Field(c, "ports");
    if (!ports.is_array()) continue;
    for (const auto& p : ports.as_array()) {
      if (kube::Object::StringField(p, "name") == "edgerepl-admin") {
        return static_cast<int>(kube::Object::IntField(p, "containerPort").value_or(9186));
      }
    }
  }
  return 9186;
}

// The agent's error message ({"code":…,"message":…}) or the body's start.
std::string AnswerMessage(const http::HttpResponse& r) {
  try {
    auto v = web::json::value::parse(r.body);
    if (v.has_string_field("message")) return v.at("message").as_string();
  } catch (const web::json::json_exception&) {
  }
  return r.body.substr(0, 300);
}

}  // namespace

Result<std::vector<AgentPod>> ListAgentPods(kube::RestClient& client, const std::string& ns) {
  kube::ListOptions options;
  options.label_selector = kAgentSelector;
  Result<kube::ObjectList> list = client.List(kube::PodsType(), ns, options);
  if (!list.ok()) return list.status();
  std::vector<AgentPod> pods;
  for (const kube::Object& p : list->items) {
    pods.push_back(
        AgentPod{p.namespace_(), p.name(), AdminPort(p), kube::pod::Phase(p) == "Running"});
  }
  std::sort(pods.begin(), pods.end(), [](const AgentPod& a, const AgentPod& b) {
    return std::tie(a.namespace_, a.name) < std::tie(b.namespace_, b.name);
  });
  return pods;
}

Result<std::string> AgentStatus(kube::RestClient& client, const AgentPod& pod) {
  http::HttpRequest req;
  req.method = "GET";
  req.target = ProxyPath(pod, "/api/v1/replications");
  Result<http::HttpResponse> r = client.Raw(std::move(req));
  if (!r.ok()) return r.status();
  if (r->status != 200) {
    return Status::Unavailable("GET /api/v1/replications answered " + std::to_string(r->status) +
                               ": " + AnswerMessage(*r));
  }
  return r->body;
}

Result<std::string> AgentAction(kube::RestClient& client, const AgentPod& pod,
                                const std::string& id, const std::string& action,
                                const std::string& token, const std::string& method,
                                const std::string& body) {
  http::HttpRequest req;
  req.method = method;
  req.body = body;
  req.target = ProxyPath(pod, "/api/v1/replications/" + codec::PercentEncode(id) + "/" + action);
  req.headers.emplace_back(kAdminTokenHeader, token);
  req.headers.emplace_back("Content-Type", "application/json");
  Result<http::HttpResponse> r = client.Raw(std::move(req));
  if (!r.ok()) return r.status();
  if (r->status == 202 || r->status == 200) return r->body;
  std::string message =
      action + " answered " + std::to_string(r->status) + ": " + AnswerMessage(*r);
  if (r->status == 404) return Status::NotFound(message);
  if (r->status == 401) {
    return Status::Aborted(message + " (the token in Secret " + std::string(kAdminTokenSecret) +
                           " is not the agent's adminToken)");
  }
  return Status::Unavailable(message);
}

Result<std::string> AdminToken(kube::RestClient& client, const std::string& ns) {
  Result<kube::Object> secret = client.Get(kube::SecretsType(), ns, kAdminTokenSecret);
  if (!secret.ok()) {
    if (secret.status().code() == StatusCode::kNotFound) {
      return Status::NotFound("no Secret " + std::string(kAdminTokenSecret) + " in namespace " +
                              ns +
                              ": the operator creates it when it renders the agents' admin "
                              "token; without it the agents refuse skip-head and retry-now");
    }
    return Status(secret.status().code(), "Secret " + std::string(kAdminTokenSecret) + " in " + ns +
                                              ": " + secret.status().message());
  }
  std::optional<std::string> token = kube::secret::Data(*secret, kAdminTokenKey);
  if (!token || token->empty()) {
    return Status::NotFound("Secret " + std::string(kAdminTokenSecret) + " in namespace " + ns +
                            " has no key \"" + kAdminTokenKey + "\"");
  }
  return *token;
}

}  // namespace edgerepl::plugin
