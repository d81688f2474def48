// ClusterWriter over the REST API.
#pragma once

#include "operator/cluster/api_client.h"
#include "operator/controllers/cluster.h"

namespace edgerepl::op {

class ApiWriter : public ClusterWriter {
 public:
  explicit ApiWriter(ApiClient& api) : api_(api) {}  // `api` must outlive the writer

  Result<std::optional<web::json::value>> GetSecret(const std::string& ns,
                                                    const std::string& name) override;
  Status CreateSecret(const std::string& ns, const web::json::value& secret) override;
  Status UpdateSecret(const std::string& ns, const web::json::value& secret) override;
  Status PatchStatus(Kind kind, const std::string& ns, const std::string& name,
                     const web::json::value& patch) override;
  Status CreateEvent(const std::string& ns, const web::json::value& event) override;

 private:
  ApiClient& api_;
};

}  // namespace edgerepl::op
