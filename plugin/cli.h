// The command line of kubectl-edgerepl (kubectl runs it for `kubectl edgerepl ...`), parsed into
// what to do; kubectl's own flag spellings (-n/--namespace, -A/--all-namespaces, -o/--output,
// --kubeconfig, --context).
#pragma once

#include <string>
#include <vector>

#include "common/status.h"

namespace edgerepl::plugin {

struct Command {
  std::string verb;         // "status", "skip-head", "retry-now", "backfill", "help", "version"
  std::string replication;  // id or name (skip-head, retry-now, backfill)
  std::string pod;          // --pod
  bool all_pods = false;    // --all-pods
  std::string namespace_;   // empty: the kubeconfig context's
  bool all_namespaces = false;
  std::string output = "table";  // table | json
  std::string kubeconfig;
  std::string context;
  // backfill: the agents' POST body ({"from","to"[,"maxPointsPerSecond"]}); --cancel: none, and
  // the agents' backfill is stopped (DELETE) instead.
  std::string backfill_body;
  bool cancel = false;
};

// kInvalidArgument naming the flag or argument on a mistake.
Result<Command> ParseCommand(const std::vector<std::string>& args);

std::string Usage();

}  // namespace edgerepl::plugin
