// spdlog (fmt) before cpprest: cpprest's U() macro breaks fmt's templates.
#include <spdlog/spdlog.h>

#include "operator/controllers/namespace_reconciler.h"

#include <filesystem>
#include <set>

#include "common/codec/rfc3339.h"
#include "common/log/redact.h"
#include "operator/controllers/admin_token.h"
#include "operator/controllers/config_nudge.h"
#include "operator/controllers/remote_prober.h"
#include "operator/controllers/secret_writer.h"
#include "operator/model/decode.h"
#include "operator/model/reasons.h"
#include "operator/status/aggregate.h"
#include "operator/status/status_json.h"

namespace edgerepl::op {

namespace {

// What to probe for Remote `name`: its rendered settings and the buckets its accepted
// Replications name (each once).
ProbeTarget ProbeTargetFor(const NamespaceRender& out, const std::string& name) {
  ProbeTarget t;
  t.remote = out.resolved_remotes.at(name);
  auto base = [](std::string* path) {
    if (!path->empty()) *path = std::filesystem::path(*path).filename().string();
  };
  base(&t.remote.ca_file);
  base(&t.remote.cert_file);
  base(&t.remote.key_file);
  if (auto f = out.remote_files.find(name); f != out.remote_files.end()) t.files = f->second;
  for (const config::ReplicationConfig& rep : out.config.replications) {
    if (rep.remote != name) continue;
    ProbeBucket b{rep.remote_bucket.empty() ? rep.remote_bucket_id : rep.remote_bucket,
                  rep.remote_bucket.empty(), rep.name};
    bool seen = false;
    for (const ProbeBucket& o : t.buckets) seen = seen || (o.name == b.name && o.id == b.id);
    if (!seen) t.buckets.push_back(std::move(b));
  }
  return t;
}

void ApplyProbe(const Verdict& verdict, const std::optional<ProbeResult>& probe,
                RemoteStatus* status) {
  for (Condition& c : status->conditions) {
    if (c.type != reason::kReady) continue;
    if (!probe) {
      c.status = "Unknown";
      c.reason = reason::kProbing;
      c.message = verdict.message + "; waiting for the remote's answer";
    } else if (probe->ok) {
      c.status = "True";
      c.reason = reason::kReachable;
      c.message = verdict.message + "; " + probe->message;
    } else {
      c.status = "False";
      c.reason = probe->reason;
      c.message = probe->message;
    }
  }
}

}  // namespace

NamespaceReconciler::NamespaceReconciler(const ClusterCache& cache, ClusterWriter& writer,
                                         const AgentPolls& polls, EventRecorder& events,
                                         const Clock& clock, ReconcilerOptions options)
    : cache_(cache),
      writer_(writer),
      polls_(polls),
      events_(events),
      clock_(clock),
      options_(std::move(options)),
      // A little under the interval, so a poll that lands a moment early is not held back a
      // whole extra interval.
      gate_(options_.status_interval * 9 / 10, options_.status_qps) {}

Result<ReconcileStats> NamespaceReconciler::Reconcile(const std::string& ns) {
  ReconcileStats stats;
  std::vector<web::json::value> remote_objects = cache_.List(Kind::kRemote, ns);
  std::vector<web::json::value> replication_objects = cache_.List(Kind::kReplication, ns);
  NamespaceInput input;
  for (const auto& o : remote_objects) input.remotes.push_back(DecodeRemote(o));
  for (const auto& o : replication_objects) input.replications.push_back(DecodeReplication(o));
  std::optional<Secret> admin_secret;
  std::optional<Secret> cached_config;
  for (const auto& o : cache_.List(Kind::kSecret, ns)) {
    Secret s = DecodeSecret(o);
    // Our outputs, never inputs.
    if (s.meta.name == kAgentConfigSecretName) {
      cached_config = std::move(s);
      continue;
    }
    if (s.meta.name == kAgentAdminSecretName) {
      admin_secret = std::move(s);
      continue;
    }
    input.secrets.emplace(s.meta.name, std::move(s));
  }
  std::vector<AgentPod> pods;
  for (const auto& o : cache_.List(Kind::kPod, ns)) {
    AgentPod p = DecodeAgentPod(o);
    if (IsAgentPod(p.meta)) pods.push_back(std::move(p));
  }

  // A namespace with none of our objects gets no config Secret: a change to some unrelated
  // Secret must not plant one in every namespace.
  if (remote_objects.empty() && replication_objects.empty() && pods.empty()) {
    if (options_.prober != nullptr) options_.prober->Retain(ns, {});  // the last Remote went
    return stats;
  }

  RenderSettings settings = options_.render;
  Result<std::string> admin_token =
      EnsureAdminToken(writer_, ns, admin_secret ? &*admin_secret : nullptr);
  if (!admin_token.ok()) return admin_token.status();
  settings.base.admin_token = std::move(*admin_token);
  log::GlobalSecrets().Add(settings.base.admin_token);
  NamespaceRender out = RenderNamespace(input, settings);
  // Whatever ends up in a log line (an API error echoing a request, say), the tokens do not.
  log::GlobalSecrets().AddAll(config::Secrets(out.config));
  // Every reconcile (each namespace every statusInterval) would otherwise read the Secret from
  // the API server: the cache tells whether it holds this content already, and only a write
  // needs the fresh read (for its resourceVersion). A cache that lags our own last write costs
  // one read that finds the content unchanged.
  Result<SecretWrite> written = SecretWrite::kUnchanged;
  if (!cached_config || cached_config->data != out.data) {
    written = ApplyConfigSecret(writer_, ns, kAgentConfigSecretName, out.data);
  }
  if (!written.ok()) return written.status();
  // The config Secret's resourceVersion as the cache shows it.
  const std::string config_version = cached_config ? cached_config->meta.resource_version : "";
  if (*written != SecretWrite::kUnchanged) {
    stats.secret_written = true;
    spdlog::info("{}/{}: agent config {} ({} replications, {} remotes)", ns, kAgentConfigSecretName,
                 *written == SecretWrite::kCreated ? "created" : "updated",
                 out.config.replications.size(), out.config.remotes.size());
  } else if (options_.nudge_agent_pods) {
    // After a write the cache still shows the old version; the write's watch event brings the
    // next reconcile, which sees the new one, so each change costs one patch per pod.
    NudgeResult nudged = NudgeAgentPods(writer_, ns, config_version, pods);
    stats.pods_nudged = nudged.patched;
    if (nudged.patched > 0) {
      spdlog::debug("{}: {} agent pods annotated with config version {}", ns, nudged.patched,
                    config_version);
    }
    // Not an error of the reconcile: the kubelet's periodic sync still delivers the config, a
    // minute or two later. Said once per namespace while it lasts.
    if (!nudged.first_error.ok()) {
      if (nudge_failing_.insert(ns).second) {
        spdlog::warn(
            "{}: cannot annotate agent pods ({}); config changes reach them on the kubelet's "
            "periodic sync instead (RBAC: patch on pods, or --nudge-agent-pods=false)",
            ns, nudged.first_error.ToString());
      }
    } else {
      nudge_failing_.erase(ns);
    }
  }

  const std::string now = codec::FormatRfc3339(clock_.WallNow(), codec::Fraction::kNone);
  std::map<std::string, Written<RemoteStatus>> written_remotes;
  std::map<std::string, Written<ReplicationStatus>> written_replications;
  std::map<std::string, Written<RemoteStatus>>& old_remotes = written_remotes_[ns];
  std::map<std::string, Written<ReplicationStatus>>& old_replications = written_replications_[ns];
  Status first_error;
  std::set<std::string> probed;
  for (size_t i = 0; i < remote_objects.size(); ++i) {
    const Remote& remote = input.remotes[i];
    if (remote.meta.deleting) continue;
    RemoteStatus stored = RemoteStatusFromObject(remote_objects[i]);
    if (auto w = old_remotes.find(remote.meta.uid);
        w != old_remotes.end() && w->second.base_version == remote.meta.resource_version) {
      stored = w->second.status;
      written_remotes[remote.meta.uid] = w->second;
    }
    const Verdict& verdict = out.remotes[remote.meta.name];
    RemoteStatus desired =
        RemoteStatusFor(remote, verdict, out.remote_references[remote.meta.name]);
    if (options_.prober != nullptr && verdict.ok) {
      probed.insert(remote.meta.name);
      ApplyProbe(
          verdict,
          options_.prober->Observe(ns, remote.meta.name, ProbeTargetFor(out, remote.meta.name)),
          &desired);
    }
    desired.conditions = MergeConditions(stored.conditions, desired.conditions, now);
    if (desired == stored) continue;
    Status s =
        writer_.PatchStatus(Kind::kRemote, ns, remote.meta.name, StatusPatch(ToJson(desired)));
    if (!s.ok()) {
      if (first_error.ok()) first_error = s;
      continue;
    }
    written_remotes[remote.meta.uid] = {desired, remote.meta.resource_version};
    ++stats.status_patches;
    InvolvedObject who{"Remote", ns, remote.meta.name, remote.meta.uid,
                       remote.meta.resource_version};
    for (const EventSpec& e : RemoteEvents(stored, desired)) {
      events_.Record(who, e);
      ++stats.events;
    }
  }

  if (options_.prober != nullptr) options_.prober->Retain(ns, probed);

  const auto steady_now = clock_.Now();
  for (size_t i = 0; i < replication_objects.size(); ++i) {
    const Replication& rep = input.replications[i];
    if (rep.meta.deleting) continue;
    const Verdict& verdict = out.replications[rep.meta.name];
    std::vector<AgentPoll> polls;
    bool all_polled = true;
    for (const AgentPod& pod : pods) {
      if (!config::Matches(rep.spec.agent_selector, pod.meta.labels)) continue;
      std::optional<AgentPoll> poll = polls_.Get(ns, pod.meta.name);
      if (!poll) {
        all_polled = false;
        break;
      }
      polls.push_back(std::move(*poll));
    }
    // Before the first poll of a selected agent its state is unknown, not unreachable: keep
    // the stored status until the poller has read it (a rejected spec is reported at once).
    if (!all_polled && verdict.ok) continue;
    ReplicationStatus stored = ReplicationStatusFromObject(replication_objects[i]);
    if (auto w = old_replications.find(rep.meta.uid);
        w != old_replications.end() && w->second.base_version == rep.meta.resource_version) {
      stored = w->second.status;
      written_replications[rep.meta.uid] = w->second;
    }
    ReplicationStatus desired = AggregateReplication(rep, verdict, polls);
    desired.conditions = MergeConditions(stored.conditions, desired.conditions, now);
    if (desired == stored) continue;
    if (!gate_.Allow(rep.meta.uid, steady_now, UrgentChange(stored, desired))) continue;
    Status s =
        writer_.PatchStatus(Kind::kReplication, ns, rep.meta.name, StatusPatch(ToJson(desired)));
    if (!s.ok()) {
      if (first_error.ok()) first_error = s;
      continue;
    }
    gate_.Record(rep.meta.uid, steady_now);
    written_replications[rep.meta.uid] = {desired, rep.meta.resource_version};
    ++stats.status_patches;
    InvolvedObject who{"Replication", ns, rep.meta.name, rep.meta.uid, rep.meta.resource_version};
    for (const EventSpec& e : ReplicationEvents(stored, desired)) {
      events_.Record(who, e);
      ++stats.events;
    }
  }
  old_remotes = std::move(written_remotes);
  old_replications = std::move(written_replications);
  // A failed status write is retried through the work queue's backoff; everything else done
  // above stays done (the next attempt finds it unchanged).
  if (!first_error.ok()) return first_error;
  return stats;
}

}  // namespace edgerepl::op
