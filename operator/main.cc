// edgerepl-operator: flags, logging, signals and the HTTP endpoints; OperatorRuntime does the rest.
// spdlog (fmt) before cpprest: cpprest's U() macro breaks fmt's templates.
#include <spdlog/spdlog.h>

#include <csignal>
#include <cstdio>

#include "common/httpserver/metrics_handler.h"
#include "common/httpserver/server.h"
#include "common/log/log.h"
#include "operator/app/flags.h"
#include "operator/app/operator_runtime.h"
#include "operator/kube/config.h"
#include "operator/kube/rest_client.h"
#include "operator/webhook/webhook.h"

namespace {

std::atomic<bool> g_stop{false};

void OnSignal(int) {
  g_stop.store(true);
}

edgerepl::httpserver::Response Text(int status, std::string body) {
  edgerepl::httpserver::Response r;
  r.status = status;
  r.headers.push_back({"Content-Type", "text/plain; charset=utf-8"});
  r.body = std::move(body);
  return r;
}

// The certificate names the Service as the API server calls it (<svc>.<ns>.svc) and in its other
// forms; --webhook-host adds names or addresses (127.0.0.1 for a webhook reached by URL).
edgerepl::webhook::WebhookOptions WebhookOptionsFrom(const edgerepl::op::Flags& f,
                                                     const std::string& own_namespace) {
  edgerepl::webhook::WebhookOptions o;
  o.bind_address = f.webhook_bind_address;
  o.sidecar_file = f.webhook_sidecar_file;
  o.cert_dir = f.webhook_cert_dir;
  o.secret_namespace = own_namespace;
  o.secret_name = f.webhook_secret;
  o.config_name = f.webhook_config_name;
  if (!f.webhook_service.empty()) {
    const std::string s = f.webhook_service, n = own_namespace;
    o.dns_names = {s, s + "." + n, s + "." + n + ".svc", s + "." + n + ".svc.cluster.local"};
  }
  for (const std::string& h : f.webhook_hosts) {
    bool ip = h.find_first_not_of("0123456789.") == std::string::npos || h.find(':') != h.npos;
    (ip ? o.ip_addresses : o.dns_names).push_back(h);
  }
  return o;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace edgerepl;
  // A peer closing a connection mid-write (API server restart, agent gone) must fail that request,
  // not kill the process.
  std::signal(SIGPIPE, SIG_IGN);
  std::vector<std::string> args(argv + 1, argv + argc);
  Result<op::Flags> flags = op::ParseFlags(args);
  if (!flags.ok()) {
    std::fprintf(stderr, "edgerepl-operator: %s\n%s", flags.status().message().c_str(),
                 op::FlagsUsage().c_str());
    return 2;
  }
  if (flags->help) {
    std::printf("%s", op::FlagsUsage().c_str());
    return 0;
  }
  if (flags->version) {
    std::printf("edgerepl-operator %s\n", EDGEREPL_VERSION);
    return 0;
  }
  log::LogOptions lo;
  lo.name = "edgerepl-operator";
  auto level = log::ParseLevel(flags->log_level);
  auto format = log::ParseFormat(flags->log_format);
  if (!level || !format) {
    std::fprintf(stderr, "edgerepl-operator: invalid --log-level or --log-format\n");
    return 2;
  }
  lo.level = *level;
  lo.format = *format;
  log::InstallLogging(lo);

  Clock& clock = RealClock::Instance();
  Result<kube::Config> config = kube::LoadDefaultConfig(flags->kubeconfig, clock);
  if (!config.ok()) {
    spdlog::critical("Kubernetes config: {}", config.status().ToString());
    return 1;
  }
  const std::string server = config->server, source = config->source;
  const std::string own_namespace = config->namespace_;
  auto registry = std::make_shared<prometheus::Registry>();
  op::LeaderFlag leader;
  kube::RestClientOptions rest_options;
  rest_options.user_agent = "edgerepl-operator/" EDGEREPL_VERSION;
  // Nothing is written unless this process leads (always, without --leader-elect).
  rest_options.write_allowed = [&leader] { return leader.value.load(); };
  kube::RestClientOptions election_options;
  election_options.user_agent = rest_options.user_agent;
  // The Lease is written by its own client, which the write gate must not block.
  Result<std::unique_ptr<kube::RestClient>> election_client =
      kube::RestClient::Make(*config, clock, registry.get(), election_options);
  Result<std::unique_ptr<kube::RestClient>> client =
      kube::RestClient::Make(std::move(*config), clock, registry.get(), rest_options);
  if (!client.ok() || !election_client.ok()) {
    spdlog::critical("Kubernetes client: {}",
                     (client.ok() ? election_client.status() : client.status()).ToString());
    return 1;
  }
  op::OperatorRuntime runtime(*flags, **client, **election_client, *registry, clock, leader);

  // Every replica serves admission, leader or not, so its client is not gated on leadership.
  std::unique_ptr<kube::RestClient> webhook_client;
  std::unique_ptr<webhook::Webhook> injector;
  if (!flags->webhook_bind_address.empty()) {
    Result<std::unique_ptr<kube::RestClient>> c =
        kube::RestClient::Make((*client)->config(), clock, nullptr, election_options);
    if (!c.ok()) {
      spdlog::critical("Kubernetes client: {}", c.status().ToString());
      return 1;
    }
    webhook_client = std::move(*c);
    Result<std::unique_ptr<webhook::Webhook>> w =
        webhook::Webhook::Start(WebhookOptionsFrom(*flags, own_namespace), *webhook_client);
    if (!w.ok()) {
      spdlog::critical("webhook: {}", w.status().ToString());
      return 1;
    }
    injector = std::move(*w);
  }

  std::vector<httpserver::ServerPtr> servers;
  auto serve = [&](const std::string& listen, httpserver::Handler handler, const char* what) {
    if (listen.empty() || listen == "0") return true;
    Result<httpserver::ServerPtr> s = httpserver::Server::Start(listen, std::move(handler));
    if (!s.ok()) {
      spdlog::critical("{} on {}: {}", what, listen, s.status().ToString());
      return false;
    }
    spdlog::info("{} on port {}", what, (*s)->port());
    servers.push_back(std::move(*s));
    return true;
  };
  bool ok = serve(
      flags->metrics_bind_address,
      [registry](const httpserver::Request& r) {
        if (r.path != "/metrics") return Text(404, "not found\n");
        return httpserver::ServeMetrics(*registry);
      },
      "metrics");
  ok = ok && serve(
                 flags->health_probe_bind_address,
                 [&runtime](const httpserver::Request& r) {
                   if (r.path == "/healthz") return Text(200, "ok\n");
                   if (r.path == "/readyz") {
                     return runtime.ready() ? Text(200, "ok\n") : Text(503, "caches not synced\n");
                   }
                   return Text(404, "not found\n");
                 },
                 "health probes");
  if (!ok) return 1;

  std::signal(SIGTERM, OnSignal);
  std::signal(SIGINT, OnSignal);
  spdlog::info("edgerepl-operator {} using {} ({}), watching {}", EDGEREPL_VERSION, server, source,
               flags->namespaces.empty()
                   ? std::string("every namespace")
                   : std::to_string(flags->namespaces.size()) + " namespace(s)");
  Status s = runtime.Run(g_stop);
  if (injector) injector->Stop();
  for (auto& server : servers) server->Stop(std::chrono::seconds(2));
  if (!s.ok()) return 1;
  spdlog::info("stopped");
  return 0;
}

#if defined(__SANITIZE_ADDRESS__)
// cpprestsdk keeps TLS state of its pooled connections (OpenSSL allocations) alive on its own
// threads until they run down, which may be after exit; not leaks of ours. Overrides the weak hook
// of common/http/client_cpprest.cc, so its suppressions are repeated.
extern "C" const char* __lsan_default_suppressions() {
  return "leak:libcpprest.so\n"
         "leak:pplx::details::\n"
         "leak:libcrypto.so\n";
}
#endif
