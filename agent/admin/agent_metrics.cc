#include "agent/admin/agent_metrics.h"

namespace edgerepl::admin {

AgentMetrics::AgentMetrics(prometheus::Registry& registry, const std::string& version)
    : reload_ok_(prometheus::BuildGauge()
                     .Name("edgerepl_config_last_reload_successful")
                     .Help("1 when the last config load or reload read a valid file, 0 when the "
                           "file was refused and the previous config kept running.")
                     .Register(registry)
                     .Add({})),
      reload_time_(prometheus::BuildGauge()
                       .Name("edgerepl_config_last_reload_success_timestamp_seconds")
                       .Help("Unix time of the last config load or reload that read a valid file.")
                       .Register(registry)
                       .Add({})) {
  prometheus::BuildGauge()
      .Name("edgerepl_build_info")
      .Help("Always 1; the version label names the running edgerepl-agent build.")
      .Register(registry)
      .Add({{"version", version}})
      .Set(1);
}

void AgentMetrics::ReloadOutcome(bool ok, double unix_seconds) {
  reload_ok_.Set(ok ? 1 : 0);
  if (ok) reload_time_.Set(unix_seconds);
}

}  // namespace edgerepl::admin
