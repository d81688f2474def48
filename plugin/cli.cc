#include "plugin/cli.h"

#include <cstdlib>

#include "common/config/timestamp.h"

namespace edgerepl::plugin {

Result<Command> ParseCommand(const std::vector<std::string>& args) {
  Command c;
  std::vector<std::string> positional;
  std::string from, to, rate;  // backfill
  for (size_t i = 0; i < args.size(); ++i) {
    std::string a = args[i];
    std::string name = a, value;
    bool has_value = false;
    if (a.rfind("--", 0) == 0) {
      if (size_t eq = a.find('='); eq != std::string::npos) {
        name = a.substr(0, eq);
        value = a.substr(eq + 1);
        has_value = true;
      }
    } else if (a.size() > 2 && a[0] == '-' && (a[1] == 'n' || a[1] == 'o')) {
      name = a.substr(0, 2);  // -nNS, -ojson
      value = a.substr(2);
      if (!value.empty() && value[0] == '=') value = value.substr(1);
      has_value = true;
    }
    auto take = [&](const char* flag) -> Result<std::string> {
      if (has_value) return value;
      if (i + 1 >= args.size())
        return Status::InvalidArgument(std::string(flag) + ": needs a value");
      return args[++i];
    };
    if (name == "-n" || name == "--namespace") {
      Result<std::string> v = take("--namespace");
      if (!v.ok()) return v.status();
      if (v->empty()) return Status::InvalidArgument("--namespace: empty");
      c.namespace_ = *v;
    } else if (name == "-A" || name == "--all-namespaces") {
      c.all_namespaces = true;
    } else if (name == "-o" || name == "--output") {
      Result<std::string> v = take("--output");
      if (!v.ok()) return v.status();
      if (*v != "table" && *v != "json" && *v != "wide") {
        return Status::InvalidArgument("--output: \"" + *v + "\" is not one of table, json");
      }
      c.output = *v == "wide" ? "table" : *v;
    } else if (name == "--pod") {
      Result<std::string> v = take("--pod");
      if (!v.ok()) return v.status();
      c.pod = *v;
    } else if (name == "--all-pods") {
      c.all_pods = true;
    } else if (name == "--kubeconfig") {
      Result<std::string> v = take("--kubeconfig");
      if (!v.ok()) return v.status();
      c.kubeconfig = *v;
    } else if (name == "--context") {
      Result<std::string> v = take("--context");
      if (!v.ok()) return v.status();
      c.context = *v;
    } else if (name == "--from" || name == "--to" || name == "--max-points-per-second") {
      Result<std::string> v = take(name.c_str());
      if (!v.ok()) return v.status();
      (name == "--from" ? from : name == "--to" ? to : rate) = *v;
      if (v->empty()) return Status::InvalidArgument(name + ": empty");
    } else if (name == "--cancel") {
      c.cancel = true;
    } else if (name == "-h" || name == "--help") {
      c.verb = "help";
      return c;
    } else if (!a.empty() && a[0] == '-') {
      return Status::InvalidArgument("unknown flag " + name);
    } else {
      positional.push_back(a);
    }
  }
  if (positional.empty())
    return Status::InvalidArgument("no command (status, skip-head, retry-now, backfill)");
  c.verb = positional[0];
  if (c.verb == "help" || c.verb == "version") return c;
  if (c.verb == "status") {
    if (positional.size() > 1) {
      return Status::InvalidArgument("status: unexpected argument \"" + positional[1] + "\"");
    }
    if (!c.pod.empty() || c.all_pods) {
      return Status::InvalidArgument(
          "status: --pod and --all-pods are for skip-head and retry-now");
    }
    return c;
  }
  const bool backfill_flags = !from.empty() || !to.empty() || !rate.empty() || c.cancel;
  if (c.verb != "backfill" && backfill_flags) {
    return Status::InvalidArgument(c.verb +
                                   ": --from, --to, --max-points-per-second and --cancel are for "
                                   "backfill");
  }
  if (c.verb == "backfill") {
    // Checked here as the agent checks them, so a mistake is not sent to every pod.
    if (c.cancel) {
      if (!from.empty() || !to.empty() || !rate.empty()) {
        return Status::InvalidArgument("backfill: --cancel takes no --from, --to or rate");
      }
    } else {
      if (from.empty()) return Status::InvalidArgument("backfill: --from is required");
      if (to.empty()) return Status::InvalidArgument("backfill: --to is required");
      std::optional<int64_t> f = config::ParseTimestamp(from);
      std::optional<int64_t> t = config::ParseTimestamp(to);
      if (!f) {
        return Status::InvalidArgument("--from: invalid time \"" + from +
                                       "\" (expected RFC 3339, e.g. 2026-01-01T00:00:00Z)");
      }
      if (!t) {
        return Status::InvalidArgument("--to: invalid time \"" + to +
                                       "\" (expected RFC 3339, e.g. 2026-01-01T00:00:00Z)");
      }
      if (*t <= *f) return Status::InvalidArgument("--to: must be after --from");
      c.backfill_body = "{\"from\":\"" + config::FormatTimestamp(*f) + "\",\"to\":\"" +
                        config::FormatTimestamp(*t) + "\"";
      if (!rate.empty()) {
        char* end = nullptr;
        long long n = std::strtoll(rate.c_str(), &end, 10);
        if (*end != '\0' || n < 1 || n > 10000000) {
          return Status::InvalidArgument(
              "--max-points-per-second: must be an integer 1..10000000, "
              "got \"" +
              rate + "\"");
        }
        c.backfill_body += ",\"maxPointsPerSecond\":" + std::to_string(n);
      }
      c.backfill_body += "}";
    }
  }
  if (c.verb == "skip-head" || c.verb == "retry-now" || c.verb == "backfill") {
    if (positional.size() != 2) {
      return Status::InvalidArgument(c.verb + ": needs one replication (its id or name)");
    }
    c.replication = positional[1];
    if (c.pod.empty() == !c.all_pods) {
      return Status::InvalidArgument(c.verb + ": give exactly one of --pod NAME or --all-pods");
    }
    if (c.all_namespaces) {
      return Status::InvalidArgument(c.verb + ": --all-namespaces is for status; use -n");
    }
    return c;
  }
  return Status::InvalidArgument("unknown command \"" + c.verb +
                                 "\" (status, skip-head, retry-now, backfill)");
}

std::string Usage() {
  return R"(kubectl edgerepl: the edgerepl agents' replication streams, through the API server.

Usage:
  kubectl edgerepl status [-n NAMESPACE | -A] [-o table|json]
  kubectl edgerepl skip-head REPLICATION (--pod POD | --all-pods) [-n NAMESPACE]
  kubectl edgerepl retry-now REPLICATION (--pod POD | --all-pods) [-n NAMESPACE]
  kubectl edgerepl backfill REPLICATION --from TIME --to TIME [--max-points-per-second N]
                   (--pod POD | --all-pods) [-n NAMESPACE]
  kubectl edgerepl backfill REPLICATION --cancel (--pod POD | --all-pods) [-n NAMESPACE]

status      every stream of every agent pod (label app.kubernetes.io/component=edgerepl-agent):
            the columns of `influx replication list` plus state and lag
skip-head   drop the batch at the head of a replication's queue (to unblock a Stalled stream)
retry-now   end a replication's backoff wait and send at once
backfill    copy the range [--from, --to) (RFC 3339) already in each pod's local database to the
            remote, replacing a backfill that runs; --cancel stops reading one (docs/backfill.md)
REPLICATION is a replication's id or name. skip-head, retry-now and backfill use the admin token
in the Secret edgerepl-agent-admin (key token) of the namespace.

Flags: -n, --namespace; -A, --all-namespaces; -o, --output; --pod; --all-pods; --kubeconfig;
       --context; --from; --to; --max-points-per-second; --cancel; -h, --help
)";
}

}  // namespace edgerepl::plugin
