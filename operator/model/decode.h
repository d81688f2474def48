// Kubernetes JSON objects to the operator's resource values. Decoding never fails: a wrong type
// becomes a FieldError in decode_errors (Remote, Replication) that validation reports as
// InvalidSpec, and the field keeps its default.
#pragma once

#include <cpprest/json.h>

#include "operator/model/resources.h"

namespace edgerepl::op {

ObjectMeta DecodeMeta(const web::json::value& object);
Remote DecodeRemote(const web::json::value& object);
Replication DecodeReplication(const web::json::value& object);
// Secret data is base64 in the API; undecodable values are left out.
Secret DecodeSecret(const web::json::value& object);
// Pod status.podIP, phase, and the first container port named edgerepl-admin.
AgentPod DecodeAgentPod(const web::json::value& object);

bool IsAgentPod(const ObjectMeta& meta);

}  // namespace edgerepl::op
