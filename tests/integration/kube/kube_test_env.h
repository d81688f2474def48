// One etcd + kube-apiserver for the whole test binary (a gtest Environment), with two test CRDs,
// widgets and gadgets (status subresource, small schema). Watches are served without the API
// server's watch cache, straight from etcd, so compacting etcd expires old versions with a real
// 410.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "common/clock.h"
#include "operator/kube/rest_client.h"
#include "tests/support/kube/envtest.h"

namespace edgerepl::kube::testing {

const ResourceType& WidgetsType();
const ResourceType& GadgetsType();

class KubeEnvironment : public ::testing::Environment {
 public:
  void SetUp() override;
  void TearDown() override;

  // Null (with skip_reason()) when no API server could be had.
  static edgerepl::testing::KubeApiServer* server();
  static const std::string& skip_reason();
  // A fresh client from the kubeconfig the harness wrote (or another one, e.g. the peer's).
  static std::unique_ptr<RestClient> NewClient(RestClientOptions options = {},
                                               const std::string& kubeconfig = "");
  // Creates a namespace with a unique name for one test.
  static std::string NewNamespace(const std::string& prefix);
};

#define SKIP_WITHOUT_APISERVER()                                                 \
  do {                                                                           \
    if (::edgerepl::kube::testing::KubeEnvironment::server() == nullptr) {       \
      GTEST_SKIP() << ::edgerepl::kube::testing::KubeEnvironment::skip_reason(); \
    }                                                                            \
  } while (0)

}  // namespace edgerepl::kube::testing
