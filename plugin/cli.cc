#include "plugin/cli.h"

namespace edgerepl::plugin {

Result<Command> ParseCommand(const std::vector<std::string>& args) {
  Command c;
  std::vector<std::string> positional;
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
    return Status::InvalidArgument("no command (status, skip-head, retry-now)");
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
  if (c.verb == "skip-head" || c.verb == "retry-now") {
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
                                 "\" (status, skip-head, retry-now)");
}

std::string Usage() {
  return R"(kubectl edgerepl: the edgerepl agents' replication streams, through the API server.

Usage:
  kubectl edgerepl status [-n NAMESPACE | -A] [-o table|json]
  kubectl edgerepl skip-head REPLICATION (--pod POD | --all-pods) [-n NAMESPACE]
  kubectl edgerepl retry-now REPLICATION (--pod POD | --all-pods) [-n NAMESPACE]

status      every stream of every agent pod (label app.kubernetes.io/component=edgerepl-agent):
            the columns of `influx replication list` plus state and lag
skip-head   drop the batch at the head of a replication's queue (to unblock a Stalled stream)
retry-now   end a replication's backoff wait and send at once
REPLICATION is a replication's id or name. skip-head and retry-now use the admin token in the
Secret edgerepl-agent-admin (key token) of the namespace.

Flags: -n, --namespace; -A, --all-namespaces; -o, --output; --pod; --all-pods; --kubeconfig;
       --context; -h, --help
)";
}

}  // namespace edgerepl::plugin
