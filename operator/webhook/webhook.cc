// spdlog (fmt) before cpprest: cpprest's U() macro breaks fmt's templates.
#include <spdlog/spdlog.h>

#include "operator/webhook/webhook.h"

#include <fstream>
#include <sstream>

#include "common/codec/rfc3339.h"
#include "operator/webhook/admission.h"
#include "operator/webhook/handler.h"

namespace edgerepl::webhook {
namespace {

constexpr auto kRenewCheckInterval = std::chrono::hours(1);

Result<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Status::InvalidArgument("--webhook-cert-dir: cannot read " + path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

Webhook::Webhook(WebhookOptions options, kube::RestClient& client)
    : options_(std::move(options)), client_(client) {}

Webhook::~Webhook() {
  Stop();
}

void Webhook::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (renewer_.joinable()) renewer_.join();
  std::lock_guard<std::mutex> lock(mu_);
  if (server_) server_->Stop();
  server_.reset();
}

Result<std::unique_ptr<Webhook>> Webhook::Start(WebhookOptions options, kube::RestClient& client) {
  std::unique_ptr<Webhook> w(new Webhook(std::move(options), client));
  Result<SidecarTemplate> sidecar = LoadSidecarTemplate(w->options_.sidecar_file);
  if (!sidecar.ok()) return sidecar.status();
  w->sidecar_ = std::move(*sidecar);
  if (!w->options_.cert_dir.empty()) {
    const std::string dir = w->options_.cert_dir;
    CertSource files = [dir]() -> Result<ServingCert> {
      Result<std::string> cert = ReadFile(dir + "/tls.crt");
      if (!cert.ok()) return cert.status();
      Result<std::string> key = ReadFile(dir + "/tls.key");
      if (!key.ok()) return key.status();
      return ServingCert{*cert, *key};
    };
    auto handler = MakeHandler(
        w->sidecar_, [raw = w.get()](const AdmissionRequest& r, const std::string& warning) {
          raw->RecordEphemeralQueue(r, warning);
        });
    Result<TlsServerPtr> s = TlsServer::Start(w->options_.bind_address, files, handler);
    if (!s.ok()) return s.status();
    w->server_ = std::move(*s);
    spdlog::info("webhook on {} with the certificate in {}", w->options_.bind_address, dir);
    return w;
  }
  ServingCertOptions cert_options{w->options_.secret_namespace, w->options_.secret_name,
                                  CertRequest{w->options_.dns_names, w->options_.ip_addresses}};
  Result<CertBundle> bundle = EnsureServingCert(client, cert_options);
  if (!bundle.ok()) return bundle.status();
  EDGEREPL_RETURN_IF_ERROR(w->ServeWith(*bundle));
  if (!w->options_.config_name.empty()) {
    // Not fatal: the configuration may be created after the operator (helm orders Deployments
    // before webhook configurations); the hourly check writes it then.
    Status s = EnsureCaBundle(client, w->options_.config_name, bundle->ca_pem);
    if (!s.ok()) {
      spdlog::warn("caBundle of MutatingWebhookConfiguration {}: {}", w->options_.config_name,
                   s.ToString());
    }
  }
  w->renewer_ = std::thread([raw = w.get()] { raw->RenewLoop(); });
  spdlog::info("webhook on {} with the certificate in Secret {}/{}", w->options_.bind_address,
               w->options_.secret_namespace, w->options_.secret_name);
  return w;
}

Status Webhook::ServeWith(const CertBundle& bundle) {
  std::lock_guard<std::mutex> lock(mu_);
  current_ = bundle;
  // The library may build its TLS context once per listener, so a new certificate gets a new
  // listener; the API server retries a call that met the short gap.
  if (server_) server_->Stop();
  server_.reset();
  ServingCert cert{bundle.cert_pem, bundle.key_pem};
  auto handler = MakeHandler(sidecar_, [this](const AdmissionRequest& r, const std::string& w) {
    RecordEphemeralQueue(r, w);
  });
  Result<TlsServerPtr> s = TlsServer::Start(
      options_.bind_address, [cert]() -> Result<ServingCert> { return cert; }, handler);
  if (!s.ok()) return s.status();
  server_ = std::move(*s);
  return Status::Ok();
}

void Webhook::RenewLoop() {
  ServingCertOptions cert_options{options_.secret_namespace, options_.secret_name,
                                  CertRequest{options_.dns_names, options_.ip_addresses}};
  std::unique_lock<std::mutex> lock(mu_);
  while (!cv_.wait_for(lock, kRenewCheckInterval, [this] { return stopping_; })) {
    CertBundle current = current_;
    lock.unlock();
    Result<CertBundle> bundle = EnsureServingCert(client_, cert_options);
    if (!bundle.ok()) {
      spdlog::warn("webhook certificate check: {}", bundle.status().ToString());
    } else {
      if (!options_.config_name.empty()) {
        Status s = EnsureCaBundle(client_, options_.config_name, bundle->ca_pem);
        if (!s.ok()) spdlog::warn("webhook caBundle: {}", s.ToString());
      }
      if (bundle->cert_pem != current.cert_pem) {
        Status s = ServeWith(*bundle);
        if (!s.ok()) spdlog::error("webhook listener after renewal: {}", s.ToString());
      }
    }
    lock.lock();
  }
}

void Webhook::RecordEphemeralQueue(const AdmissionRequest& request, const std::string& warning) {
  using web::json::value;
  // The pod has no uid yet (and maybe no name): the Event goes to its controller when it has one.
  const value& meta = kube::Object::Field(request.object, "metadata");
  value involved = value::object();
  involved["namespace"] = value::string(request.namespace_);
  bool owner_found = false;
  const value& owners = kube::Object::Field(meta, "ownerReferences");
  if (owners.is_array()) {
    for (const auto& o : owners.as_array()) {
      if (kube::Object::BoolField(o, "controller").value_or(false)) {
        involved["apiVersion"] = value::string(kube::Object::StringField(o, "apiVersion"));
        involved["kind"] = value::string(kube::Object::StringField(o, "kind"));
        involved["name"] = value::string(kube::Object::StringField(o, "name"));
        involved["uid"] = value::string(kube::Object::StringField(o, "uid"));
        owner_found = true;
        break;
      }
    }
  }
  if (!owner_found) {
    std::string name = kube::Object::StringField(meta, "name");
    if (name.empty()) return;  // nothing to attach it to; the warning reached the client
    involved["apiVersion"] = value::string("v1");
    involved["kind"] = value::string("Pod");
    involved["name"] = value::string(name);
  }
  kube::Object event;
  event.json()["metadata"] = value::object();
  event.json()["metadata"]["generateName"] =
      value::string(involved["name"].as_string() + ".edgerepl-");
  event.json()["metadata"]["namespace"] = value::string(request.namespace_);
  event.json()["involvedObject"] = involved;
  event.json()["reason"] = value::string("QueueNotPersistent");
  event.json()["message"] = value::string(warning.substr(0, 1024));
  event.json()["type"] = value::string("Warning");
  event.json()["source"] = value::object();
  event.json()["source"]["component"] = value::string("edgerepl-webhook");
  event.json()["firstTimestamp"] =
      value::string(codec::FormatRfc3339(std::chrono::system_clock::now(), codec::Fraction::kNone));
  event.json()["lastTimestamp"] =
      value::string(codec::FormatRfc3339(std::chrono::system_clock::now(), codec::Fraction::kNone));
  event.json()["count"] = value::number(1);
  Status s = client_.Create(kube::EventsType(), request.namespace_, event).status();
  if (!s.ok()) spdlog::warn("event QueueNotPersistent not written: {}", s.ToString());
}

}  // namespace edgerepl::webhook
