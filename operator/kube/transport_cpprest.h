// Transport over cpprestsdk for one API server: TLS from the Config (CA, client certificate and key
// as PEM in memory, or no verification), connection reuse, and incremental reading of watch
// bodies. Authentication headers are the REST client's job, not the transport's.
#pragma once

#include <chrono>

#include "operator/kube/config.h"
#include "operator/kube/transport.h"

namespace edgerepl::kube {

struct TransportOptions {
  // Deadline of a whole Send(); streams instead use the idle timeout of each Read().
  std::chrono::milliseconds request_timeout{30000};
};

// kInvalidArgument for a malformed server URL or unusable PEM data.
Result<TransportPtr> MakeCpprestTransport(const Config& config,
                                          const TransportOptions& options = {});

}  // namespace edgerepl::kube
