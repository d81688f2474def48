// Shared set-up for the agent's integration tests: a local and a remote influxd (the remote is a
// `protocol: v1` remote, so every point can be counted exactly) and config text for the agent.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "tests/integration/agent/agent_process.h"
#include "tests/support/servers.h"

namespace edgerepl::testing {

// A millisecond-spaced nanosecond time grid starting an hour ago, so no test point is "now".
inline int64_t BaseNs() {
  static const int64_t base = (std::chrono::duration_cast<std::chrono::seconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count() -
                               3600) *
                              1'000'000'000LL;
  return base;
}

// The config body (without listen/adminListen) for one replication db -> remote db.
inline std::string AgentBody(const std::string& local_url, const std::string& data_dir,
                             const std::string& remote_url, const std::string& extra_top = "",
                             const std::string& remote_extra = "",
                             const std::string& replication_extra = "") {
  return "local: {url: \"" + local_url + "\", timeout: 10s}\n" + "dataDir: \"" + data_dir + "\"\n" +
         extra_top + "remotes:\n  - name: remote\n    url: \"" + remote_url +
         "\"\n    protocol: v1\n    timeout: 5s\n" + remote_extra +
         "replications:\n  - id: rep-1\n    name: r1\n    remote: remote\n    localBucket: db\n"
         "    remoteBucket: db\n    backoff: {min: 100ms, max: 1s}\n" +
         replication_extra;
}

#define EDGEREPL_REQUIRE_SERVERS()                                                \
  do {                                                                            \
    if (!::edgerepl::testing::Influxd::Available()) GTEST_SKIP() << "no influxd"; \
    if (!::edgerepl::testing::FindExecutable(::edgerepl::testing::AgentBinary())) \
      GTEST_SKIP() << "agent binary not built";                                   \
  } while (0)

}  // namespace edgerepl::testing
