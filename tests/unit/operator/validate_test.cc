#include "operator/model/validate.h"

#include <gtest/gtest.h>

#include <functional>

#include "operator/model/decode.h"
#include "tests/unit/operator/fixtures.h"

namespace edgerepl::op {
namespace {

using testing::Json;

Replication Decoded(const std::string& spec) {
  return DecodeReplication(Json(testing::ReplicationJson("r", spec)));
}

Remote ValidRemote(const std::string& protocol = "v2") {
  Remote r = DecodeRemote(Json(testing::RemoteJson("cloud", testing::kRemoteSpec)));
  r.spec.protocol = protocol;
  return r;
}

struct ReplicationCase {
  const char* name;
  std::function<void(Replication&)> mutate;
  const char* field;     // the first error's field; empty = valid
  const char* contains;  // a part of its message
};

const ReplicationCase kReplicationCases[] = {
    {"valid", [](Replication&) {}, "", ""},
    {"queue_too_small", [](Replication& r) { r.spec.max_queue_size_bytes = 33554429; },
     "spec.maxQueueSizeBytes", "at least 33554430"},
    {"queue_at_minimum", [](Replication& r) { r.spec.max_queue_size_bytes = 33554430; }, "", ""},
    {"negative_max_age", [](Replication& r) { r.spec.max_age_seconds = -1; }, "spec.maxAgeSeconds",
     "at least 0"},
    {"max_age_zero_is_no_limit", [](Replication& r) { r.spec.max_age_seconds = 0; }, "", ""},
    {"in_flight_too_many", [](Replication& r) { r.spec.max_in_flight = 9; }, "spec.maxInFlight",
     "at most 8"},
    {"batch_bytes_zero", [](Replication& r) { r.spec.batch_max_bytes = 0; }, "spec.batch.maxBytes",
     "at least 1"},
    {"batch_points_too_many", [](Replication& r) { r.spec.batch_max_points = 1000001; },
     "spec.batch.maxPoints", "at most 1000000"},
    {"backoff_min_malformed", [](Replication& r) { r.spec.backoff_min = "soon"; },
     "spec.backoff.min", "positive duration"},
    {"backoff_max_zero", [](Replication& r) { r.spec.backoff_max = "0s"; }, "spec.backoff.max",
     "positive duration"},
    {"backoff_max_below_min",
     [](Replication& r) {
       r.spec.backoff_min = "2s";
       r.spec.backoff_max = "1s";
     },
     "spec.backoff.max", "at least backoff.min"},
    {"both_buckets", [](Replication& r) { r.spec.remote_bucket_id = "0011223344556677"; },
     "spec.remoteBucketID", "only one of remoteBucket and remoteBucketID"},
    {"no_bucket", [](Replication& r) { r.spec.remote_bucket.clear(); }, "spec.remoteBucket",
     "required"},
    {"no_local_bucket", [](Replication& r) { r.spec.local_bucket.clear(); }, "spec.localBucket",
     "required"},
    {"no_remote_ref", [](Replication& r) { r.spec.remote_ref.clear(); }, "spec.remoteRef.name",
     "required"},
    {"empty_measurement",
     [](Replication& r) {
       r.spec.measurements = {"cpu", ""};
     },
     "spec.measurements[1]", "empty"},
    {"backfill_valid",
     [](Replication& r) {
       r.spec.backfill = BackfillSpec{"2026-01-01T00:00:00Z", "2026-01-02T00:00:00.5+01:00"};
     },
     "", ""},
    {"backfill_without_from",
     [](Replication& r) {
       r.spec.backfill = BackfillSpec{"", "2026-01-02T00:00:00Z"};
     },
     "spec.backfill.from", "required"},
    {"backfill_without_offset",
     [](Replication& r) {
       r.spec.backfill = BackfillSpec{"2026-01-01T00:00:00", "2026-01-02T00:00:00Z"};
     },
     "spec.backfill.from", "invalid time \"2026-01-01T00:00:00\""},
    {"backfill_to_before_from",
     [](Replication& r) {
       r.spec.backfill = BackfillSpec{"2026-01-02T00:00:00Z", "2026-01-01T00:00:00Z"};
     },
     "spec.backfill.to", "must be after backfill.from"},
    {"backfill_empty_range",
     [](Replication& r) {
       r.spec.backfill = BackfillSpec{"2026-01-01T00:00:00Z", "2026-01-01T00:00:00Z"};
     },
     "spec.backfill.to", "must be after backfill.from"},
    {"backfill_rate_zero",
     [](Replication& r) {
       r.spec.backfill = BackfillSpec{"2026-01-01T00:00:00Z", "2026-01-02T00:00:00Z", 0};
     },
     "spec.backfill.maxPointsPerSecond", "at least 1"},
    {"backfill_rate_too_high",
     [](Replication& r) {
       r.spec.backfill = BackfillSpec{"2026-01-01T00:00:00Z", "2026-01-02T00:00:00Z", 10000001};
     },
     "spec.backfill.maxPointsPerSecond", "at most 10000000"},
    {"in_without_values",
     [](Replication& r) {
       r.spec.agent_selector.match_expressions.push_back(
           {"zone", config::SelectorOperator::kIn, {}});
     },
     "spec.agentSelector.matchExpressions[0].values", "required for operator In"},
    {"exists_with_values",
     [](Replication& r) {
       r.spec.agent_selector.match_expressions.push_back(
           {"zone", config::SelectorOperator::kExists, {"a"}});
     },
     "spec.agentSelector.matchExpressions[0].values", "must be empty"},
};

class ReplicationValidation : public ::testing::TestWithParam<ReplicationCase> {};

TEST_P(ReplicationValidation, NamesTheField) {
  Replication r = Decoded(testing::kReplicationSpec);
  GetParam().mutate(r);
  Remote remote = ValidRemote();
  FieldErrors errors = ValidateReplication(r, &remote);
  if (std::string(GetParam().field).empty()) {
    EXPECT_TRUE(errors.empty()) << JoinErrors(errors);
    return;
  }
  ASSERT_FALSE(errors.empty());
  EXPECT_EQ(errors[0].field, GetParam().field) << JoinErrors(errors);
  EXPECT_NE(errors[0].message.find(GetParam().contains), std::string::npos) << JoinErrors(errors);
}

INSTANTIATE_TEST_SUITE_P(Table, ReplicationValidation, ::testing::ValuesIn(kReplicationCases),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(ReplicationValidationJson, WrongTypeNamesTheField) {
  Replication r = Decoded(
      R"({"remoteRef":{"name":"cloud"},"localBucket":"telegraf","remoteBucket":"edge","maxQueueSizeBytes":"big"})");
  FieldErrors errors = ValidateReplication(r, nullptr);
  ASSERT_FALSE(errors.empty());
  EXPECT_EQ(errors[0], (FieldError{"spec.maxQueueSizeBytes", "expected an integer"}));
}

TEST(ReplicationValidationJson, UnknownSelectorOperator) {
  Replication r = Decoded(
      R"({"remoteRef":{"name":"cloud"},"localBucket":"t","remoteBucket":"e","agentSelector":{"matchExpressions":[{"key":"k","operator":"Near"}]}})");
  FieldErrors errors = ValidateReplication(r, nullptr);
  ASSERT_FALSE(errors.empty());
  EXPECT_EQ(errors[0].field, "spec.agentSelector.matchExpressions[0].operator");
}

TEST(ReplicationValidationJson, DefaultsApplyWhenAbsent) {
  Replication r = Decoded(testing::kReplicationSpec);
  EXPECT_EQ(r.spec.max_queue_size_bytes, 67108860);
  EXPECT_EQ(r.spec.max_age_seconds, 604800);
  EXPECT_EQ(r.spec.batch_max_bytes, 500000);
  EXPECT_EQ(r.spec.batch_max_points, 5000);
  EXPECT_EQ(r.spec.backoff_min, "250ms");
  EXPECT_EQ(r.spec.backoff_max, "30s");
  EXPECT_EQ(r.spec.max_in_flight, 4);
  EXPECT_FALSE(r.spec.replicate_deletes);
}

TEST(ReplicationValidationJson, ReplicateDeletesDecodes) {
  Replication r = Decoded(
      R"({"remoteRef":{"name":"cloud"},"localBucket":"t","remoteBucket":"e","replicateDeletes":true})");
  EXPECT_TRUE(r.spec.replicate_deletes);
  EXPECT_TRUE(ValidateReplication(r, nullptr).empty());
}

TEST(ReplicationValidationJson, ReplicateDeletesWrongTypeNamesTheField) {
  Replication r = Decoded(
      R"({"remoteRef":{"name":"cloud"},"localBucket":"t","remoteBucket":"e","replicateDeletes":"yes"})");
  EXPECT_FALSE(r.spec.replicate_deletes);
  FieldErrors errors = ValidateReplication(r, nullptr);
  ASSERT_EQ(errors.size(), 1u) << JoinErrors(errors);
  EXPECT_EQ(errors[0], (FieldError{"spec.replicateDeletes", "expected true or false"}));
}

TEST(ReplicationValidationJson, BackfillDecodesWithItsDefaultRate) {
  Replication r = Decoded(
      R"({"remoteRef":{"name":"cloud"},"localBucket":"t","remoteBucket":"e","backfill":{"from":"2026-01-01T00:00:00Z","to":"2026-02-01T00:00:00Z"}})");
  ASSERT_TRUE(r.spec.backfill.has_value());
  EXPECT_EQ(r.spec.backfill->from, "2026-01-01T00:00:00Z");
  EXPECT_EQ(r.spec.backfill->to, "2026-02-01T00:00:00Z");
  EXPECT_EQ(r.spec.backfill->max_points_per_second, 50000);
  EXPECT_TRUE(ValidateReplication(r, nullptr).empty());
  EXPECT_FALSE(Decoded(testing::kReplicationSpec).spec.backfill.has_value());
}

TEST(ReplicationValidationJson, BackfillWrongTypesNameTheField) {
  Replication r = Decoded(
      R"({"remoteRef":{"name":"cloud"},"localBucket":"t","remoteBucket":"e","backfill":{"from":20260101,"to":"2026-02-01T00:00:00Z","maxPointsPerSecond":"fast"}})");
  FieldErrors errors = ValidateReplication(r, nullptr);
  ASSERT_EQ(errors.size(), 2u) << JoinErrors(errors);
  EXPECT_EQ(errors[0], (FieldError{"spec.backfill.from", "expected a string"}));
  EXPECT_EQ(errors[1], (FieldError{"spec.backfill.maxPointsPerSecond", "expected an integer"}));
}

TEST(ReplicationValidationJson, BucketIdOnV1RemoteRefused) {
  Replication r = Decoded(
      R"({"remoteRef":{"name":"cloud"},"localBucket":"t","remoteBucketID":"0011223344556677"})");
  Remote v1 = ValidRemote("v1");
  FieldErrors errors = ValidateReplication(r, &v1);
  ASSERT_FALSE(errors.empty());
  EXPECT_EQ(errors[0].field, "spec.remoteBucketID");
  Remote v2 = ValidRemote("v2");
  EXPECT_TRUE(ValidateReplication(r, &v2).empty());
}

struct RemoteCase {
  const char* name;
  std::function<void(Remote&)> mutate;
  const char* field;
  const char* contains;
};

const RemoteCase kRemoteCases[] = {
    {"valid", [](Remote&) {}, "", ""},
    {"ftp_url", [](Remote& r) { r.spec.url = "ftp://cloud.example.com"; }, "spec.url",
     "http or https"},
    {"no_scheme", [](Remote& r) { r.spec.url = "cloud.example.com"; }, "spec.url", "http"},
    {"credentials_in_url", [](Remote& r) { r.spec.url = "https://u:p@cloud.example.com"; },
     "spec.url", "credentials"},
    {"no_url", [](Remote& r) { r.spec.url.clear(); }, "spec.url", "required"},
    {"unknown_protocol", [](Remote& r) { r.spec.protocol = "v3"; }, "spec.protocol", "v2 or v1"},
    {"v2_without_org", [](Remote& r) { r.spec.org_id.clear(); }, "spec.orgID", "required"},
    {"v1_without_org",
     [](Remote& r) {
       r.spec.org_id.clear();
       r.spec.protocol = "v1";
     },
     "", ""},
    {"no_token_secret", [](Remote& r) { r.spec.token_secret_ref.name.clear(); },
     "spec.tokenSecretRef.name", "required for protocol v2"},
    {"v1_without_credentials",
     [](Remote& r) {
       r.spec.protocol = "v1";
       r.spec.token_secret_ref.name.clear();
     },
     "", ""},
    {"v1_basic_auth",
     [](Remote& r) {
       r.spec.protocol = "v1";
       r.spec.token_secret_ref.name.clear();
       r.spec.basic_auth_secret_ref = "influx-user";
       r.spec.credentials_in = "query";
     },
     "", ""},
    {"basic_auth_on_v2", [](Remote& r) { r.spec.basic_auth_secret_ref = "influx-user"; },
     "spec.basicAuthSecretRef", "only with protocol v1"},
    {"basic_auth_and_token",
     [](Remote& r) {
       r.spec.protocol = "v1";
       r.spec.basic_auth_secret_ref = "influx-user";
     },
     "spec.basicAuthSecretRef", "only one of tokenSecretRef and basicAuthSecretRef"},
    {"basic_auth_without_name",
     [](Remote& r) {
       r.spec.protocol = "v1";
       r.spec.token_secret_ref.name.clear();
       r.spec.basic_auth_secret_ref = "";
     },
     "spec.basicAuthSecretRef.name", "required"},
    {"query_without_user", [](Remote& r) { r.spec.credentials_in = "query"; }, "spec.credentialsIn",
     "only with basicAuthSecretRef"},
    {"unknown_credentials_in", [](Remote& r) { r.spec.credentials_in = "cookie"; },
     "spec.credentialsIn", "header or query"},
    {"bad_timeout", [](Remote& r) { r.spec.timeout = "soon"; }, "spec.timeout",
     "positive duration"},
    {"zero_timeout", [](Remote& r) { r.spec.timeout = "0"; }, "spec.timeout", "positive duration"},
    {"tls_without_name", [](Remote& r) { r.spec.tls_secret_ref = ""; }, "spec.tlsSecretRef.name",
     "required"},
    {"tls_secret", [](Remote& r) { r.spec.tls_secret_ref = "client-cert"; }, "", ""},
    {"ca_ref_without_name",
     [](Remote& r) {
       r.spec.ca_secret_ref = SecretKeyRef{"", "ca.crt"};
     },
     "spec.caSecretRef.name", "required"},
};

class RemoteValidation : public ::testing::TestWithParam<RemoteCase> {};

TEST_P(RemoteValidation, NamesTheField) {
  Remote r = ValidRemote();
  GetParam().mutate(r);
  FieldErrors errors = ValidateRemote(r);
  if (std::string(GetParam().field).empty()) {
    EXPECT_TRUE(errors.empty()) << JoinErrors(errors);
    return;
  }
  ASSERT_FALSE(errors.empty());
  EXPECT_EQ(errors[0].field, GetParam().field) << JoinErrors(errors);
  EXPECT_NE(errors[0].message.find(GetParam().contains), std::string::npos) << JoinErrors(errors);
}

INSTANTIATE_TEST_SUITE_P(Table, RemoteValidation, ::testing::ValuesIn(kRemoteCases),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(RemoteValidationJson, WrongTypeNamesTheField) {
  Remote r = DecodeRemote(Json(testing::RemoteJson(
      "cloud",
      R"({"url":"https://x","orgID":"o","tokenSecretRef":{"name":"s"},"insecureSkipVerify":"yes"})")));
  FieldErrors errors = ValidateRemote(r);
  ASSERT_FALSE(errors.empty());
  EXPECT_EQ(errors[0], (FieldError{"spec.insecureSkipVerify", "expected true or false"}));
  EXPECT_EQ(r.spec.token_secret_ref.key, "token");  // the CRD default
}

TEST(RemoteValidationJson, NewFieldsDecodeWithTheCrdDefaults) {
  Remote r =
      DecodeRemote(Json(testing::RemoteJson("old", R"({"url":"http://x","protocol":"v1"})")));
  EXPECT_TRUE(ValidateRemote(r).empty()) << JoinErrors(ValidateRemote(r));
  EXPECT_EQ(r.spec.timeout, "30s");
  EXPECT_EQ(r.spec.credentials_in, "header");
  EXPECT_FALSE(r.spec.tls_secret_ref.has_value());
  EXPECT_FALSE(r.spec.basic_auth_secret_ref.has_value());
  r = DecodeRemote(Json(testing::RemoteJson(
      "old", R"({"url":"http://x","protocol":"v1","basicAuthSecretRef":{"name":"u"},)"
             R"("credentialsIn":"query","tlsSecretRef":{"name":"c"},"timeout":"5s"})")));
  EXPECT_TRUE(ValidateRemote(r).empty()) << JoinErrors(ValidateRemote(r));
  EXPECT_EQ(*r.spec.basic_auth_secret_ref, "u");
  EXPECT_EQ(*r.spec.tls_secret_ref, "c");
  EXPECT_EQ(r.spec.credentials_in, "query");
  EXPECT_EQ(r.spec.timeout, "5s");
}

}  // namespace
}  // namespace edgerepl::op
