// kubectl-edgerepl: `kubectl edgerepl status | skip-head | retry-now | backfill`
// (docs/kubectl-plugin.md).
// spdlog (fmt) before cpprest: cpprest's U() macro breaks fmt's templates.
#include <spdlog/spdlog.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>

#include "common/clock.h"
#include "operator/kube/config.h"
#include "operator/kube/rest_client.h"
#include "plugin/agents.h"
#include "plugin/cli.h"
#include "plugin/streams.h"

namespace {

using namespace edgerepl;

Result<kube::Config> LoadConfig(const plugin::Command& c, Clock& clock) {
  if (c.context.empty()) return kube::LoadDefaultConfig(c.kubeconfig, clock);
  std::string paths = c.kubeconfig;
  if (paths.empty()) {
    const char* env = std::getenv("KUBECONFIG");
    const char* home = std::getenv("HOME");
    paths = env && *env ? env : std::string(home ? home : "") + "/.kube/config";
  }
  return kube::LoadKubeconfig(paths, clock, c.context);
}

int RunStatus(kube::RestClient& client, const plugin::Command& c, const std::string& ns) {
  Result<std::vector<plugin::AgentPod>> pods =
      plugin::ListAgentPods(client, c.all_namespaces ? "" : ns);
  if (!pods.ok()) {
    std::fprintf(stderr, "error: listing agent pods: %s\n", pods.status().message().c_str());
    return 1;
  }
  std::vector<plugin::StreamRow> rows;
  std::vector<plugin::PodError> errors;
  for (const plugin::AgentPod& pod : *pods) {
    if (!pod.running) {
      errors.push_back({pod.namespace_, pod.name, "not running"});
      continue;
    }
    Result<std::string> body = plugin::AgentStatus(client, pod);
    Result<std::vector<plugin::StreamRow>> parsed =
        body.ok() ? plugin::ParseAgentStatus(*body, pod.namespace_, pod.name)
                  : Result<std::vector<plugin::StreamRow>>(body.status());
    if (!parsed.ok()) {
      errors.push_back({pod.namespace_, pod.name, parsed.status().message()});
      continue;
    }
    rows.insert(rows.end(), parsed->begin(), parsed->end());
  }
  if (c.output == "json") {
    std::fputs(plugin::FormatJson(rows, errors).c_str(), stdout);
  } else {
    if (pods->empty()) {
      std::fprintf(stderr, "No agent pods found%s.\n",
                   c.all_namespaces ? "" : (" in namespace " + ns).c_str());
    } else if (rows.empty() && errors.empty()) {
      std::fprintf(stderr, "No replication streams on the %zu agent pod(s)%s.\n", pods->size(),
                   c.all_namespaces ? "" : (" in namespace " + ns).c_str());
    } else if (!rows.empty()) {
      std::fputs(plugin::FormatTable(rows, c.all_namespaces).c_str(), stdout);
    }
    for (const auto& e : errors) {
      std::fprintf(stderr, "error: pod %s/%s: %s\n", e.namespace_.c_str(), e.pod.c_str(),
                   e.message.c_str());
    }
  }
  return errors.empty() ? 0 : 1;
}

int RunAction(kube::RestClient& client, const plugin::Command& c, const std::string& ns) {
  Result<std::string> token = plugin::AdminToken(client, ns);
  if (!token.ok()) {
    std::fprintf(stderr, "error: %s\n", token.status().message().c_str());
    return 1;
  }
  Result<std::vector<plugin::AgentPod>> pods = plugin::ListAgentPods(client, ns);
  if (!pods.ok()) {
    std::fprintf(stderr, "error: listing agent pods: %s\n", pods.status().message().c_str());
    return 1;
  }
  std::vector<plugin::AgentPod> targets;
  for (const auto& p : *pods) {
    if (c.all_pods ? p.running : p.name == c.pod) targets.push_back(p);
  }
  if (targets.empty()) {
    std::fprintf(stderr, "error: %s\n",
                 c.all_pods ? ("no running agent pod in namespace " + ns).c_str()
                            : ("no agent pod " + c.pod + " in namespace " + ns +
                               " (label app.kubernetes.io/component=edgerepl-agent)")
                                  .c_str());
    return 1;
  }
  int failures = 0, done = 0;
  for (const plugin::AgentPod& pod : targets) {
    Result<std::string> body = plugin::AgentStatus(client, pod);
    Result<std::vector<plugin::StreamRow>> rows =
        body.ok() ? plugin::ParseAgentStatus(*body, pod.namespace_, pod.name)
                  : Result<std::vector<plugin::StreamRow>>(body.status());
    if (!rows.ok()) {
      std::fprintf(stderr, "error: pod %s: %s\n", pod.name.c_str(),
                   rows.status().message().c_str());
      ++failures;
      continue;
    }
    const plugin::StreamRow* match = nullptr;
    for (const auto& r : *rows) {
      if (r.id == c.replication || r.name == c.replication) match = &r;
    }
    if (match == nullptr) {
      if (!c.all_pods) {
        std::fprintf(stderr, "error: pod %s runs no replication %s\n", pod.name.c_str(),
                     c.replication.c_str());
        ++failures;
      }
      continue;
    }
    Result<std::string> answer =
        c.verb != "backfill" ? plugin::AgentAction(client, pod, match->id, c.verb, *token)
                             : plugin::AgentAction(client, pod, match->id, c.verb, *token,
                                                   c.cancel ? "DELETE" : "POST", c.backfill_body);
    if (!answer.ok()) {
      std::fprintf(stderr, "error: pod %s: %s\n", pod.name.c_str(),
                   answer.status().message().c_str());
      ++failures;
      continue;
    }
    ++done;
    std::printf("pod/%s: %s accepted for replication %s (%s)\n", pod.name.c_str(),
                c.cancel ? "backfill --cancel" : c.verb.c_str(), match->name.c_str(),
                match->id.c_str());
  }
  if (done == 0 && failures == 0) {
    std::fprintf(stderr, "error: no agent pod in namespace %s runs replication %s\n", ns.c_str(),
                 c.replication.c_str());
    return 1;
  }
  return failures == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  std::signal(SIGPIPE, SIG_IGN);
  // The client library logs API warnings; a plugin's output is its own.
  spdlog::set_level(spdlog::level::err);
  Result<plugin::Command> c = plugin::ParseCommand(std::vector<std::string>(argv + 1, argv + argc));
  if (!c.ok()) {
    std::fprintf(stderr, "error: %s\n\n%s", c.status().message().c_str(), plugin::Usage().c_str());
    return 2;
  }
  if (c->verb == "help") {
    std::fputs(plugin::Usage().c_str(), stdout);
    return 0;
  }
  if (c->verb == "version") {
    std::printf("kubectl-edgerepl %s\n", EDGEREPL_VERSION);
    return 0;
  }
  Clock& clock = RealClock::Instance();
  Result<kube::Config> config = LoadConfig(*c, clock);
  if (!config.ok()) {
    std::fprintf(stderr, "error: Kubernetes config: %s\n", config.status().message().c_str());
    return 1;
  }
  const std::string ns = c->namespace_.empty() ? config->namespace_ : c->namespace_;
  kube::RestClientOptions options;
  options.user_agent = "kubectl-edgerepl/" EDGEREPL_VERSION;
  Result<std::unique_ptr<kube::RestClient>> client =
      kube::RestClient::Make(std::move(*config), clock, nullptr, options);
  if (!client.ok()) {
    std::fprintf(stderr, "error: Kubernetes client: %s\n", client.status().message().c_str());
    return 1;
  }
  if (c->verb == "status") return RunStatus(**client, *c, ns);
  return RunAction(**client, *c, ns);
}

#if defined(__SANITIZE_ADDRESS__)
// cpprestsdk keeps TLS state of its pooled connections alive on its own threads past exit; not
// leaks of ours (as in operator/main.cc).
extern "C" const char* __lsan_default_suppressions() {
  return "leak:libcpprest.so\n"
         "leak:pplx::details::\n"
         "leak:libcrypto.so\n";
}
#endif
