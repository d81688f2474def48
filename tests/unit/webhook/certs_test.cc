#include "operator/webhook/certs.h"

#include <gtest/gtest.h>

namespace edgerepl::webhook {
namespace {

CertRequest Request() {
  CertRequest r;
  r.dns_names = {"edgerepl-operator-webhook.edgerepl.svc"};
  r.ip_addresses = {"127.0.0.1"};
  return r;
}

TEST(Certs, AGeneratedBundleIsUsableForItsNames) {
  Result<CertBundle> b = GenerateCerts(Request());
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  EXPECT_NE(b->ca_pem.find("BEGIN CERTIFICATE"), std::string::npos);
  EXPECT_NE(b->key_pem.find("PRIVATE KEY"), std::string::npos);
  std::string why;
  EXPECT_TRUE(CertsUsable(*b, Request(), std::chrono::hours(24 * 30), &why)) << why;
}

TEST(Certs, AnotherNameANearEndOrAForeignCaIsNotUsable) {
  Result<CertBundle> b = GenerateCerts(Request());
  ASSERT_TRUE(b.ok());
  std::string why;
  CertRequest other = Request();
  other.dns_names.push_back("elsewhere.svc");
  EXPECT_FALSE(CertsUsable(*b, other, std::chrono::hours(1), &why));
  EXPECT_NE(why.find("elsewhere.svc"), std::string::npos);
  EXPECT_FALSE(CertsUsable(*b, Request(), std::chrono::hours(24 * 400), &why));
  EXPECT_NE(why.find("expires"), std::string::npos);
  Result<CertBundle> c = GenerateCerts(Request());
  ASSERT_TRUE(c.ok());
  CertBundle mixed = *b;
  mixed.ca_pem = c->ca_pem;
  EXPECT_FALSE(CertsUsable(mixed, Request(), std::chrono::hours(1), &why));
  EXPECT_NE(why.find("not signed"), std::string::npos);
  mixed = *b;
  mixed.key_pem = c->key_pem;
  EXPECT_FALSE(CertsUsable(mixed, Request(), std::chrono::hours(1), &why));
  EXPECT_NE(why.find("key"), std::string::npos);
}

TEST(Certs, NoNameIsAnError) {
  EXPECT_FALSE(GenerateCerts(CertRequest{}).ok());
}

}  // namespace
}  // namespace edgerepl::webhook
