#include "operator/webhook/certs.h"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <ctime>
#include <memory>

namespace edgerepl::webhook {
namespace {

using Key = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;
using Cert = std::unique_ptr<X509, decltype(&X509_free)>;
using Bio = std::unique_ptr<BIO, decltype(&BIO_free)>;

Status OpenSslError(const std::string& step) {
  unsigned long e = ERR_get_error();
  char text[256] = "unknown error";
  if (e != 0) ERR_error_string_n(e, text, sizeof text);
  ERR_clear_error();
  return Status::Internal("serving certificate: " + step + ": " + text);
}

Key NewKey() {
  return Key(EVP_EC_gen("P-256"), EVP_PKEY_free);
}

bool AddExtension(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
  if (ext == nullptr) return false;
  bool ok = X509_add_ext(cert, ext, -1) == 1;
  X509_EXTENSION_free(ext);
  return ok;
}

// A certificate for `key`, signed by `issuer_key` (self-signed when `issuer` is null).
Result<Cert> MakeCert(EVP_PKEY* key, const std::string& common_name, X509* issuer,
                      EVP_PKEY* issuer_key, std::chrono::seconds validity, bool ca,
                      const std::string& subject_alt_names) {
  Cert cert(X509_new(), X509_free);
  if (!cert) return OpenSslError("X509_new");
  X509_set_version(cert.get(), 2);
  // 159 random bits: a positive serial of at most 20 bytes, as RFC 5280 asks.
  unsigned char serial[20];
  if (RAND_bytes(serial, sizeof serial) != 1) return OpenSslError("RAND_bytes");
  serial[0] &= 0x7f;
  std::unique_ptr<BIGNUM, decltype(&BN_free)> bn(BN_bin2bn(serial, sizeof serial, nullptr),
                                                 BN_free);
  if (!bn || BN_to_ASN1_INTEGER(bn.get(), X509_get_serialNumber(cert.get())) == nullptr) {
    return OpenSslError("serial number");
  }
  // Backdated a little: a node whose clock lags must not see a certificate from the future.
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), static_cast<long>(validity.count()));
  X509_set_pubkey(cert.get(), key);
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>(common_name.c_str()), -1, -1,
                             0);
  X509_set_issuer_name(cert.get(), issuer ? X509_get_subject_name(issuer) : name);
  X509* signer = issuer ? issuer : cert.get();
  bool ok = AddExtension(cert.get(), signer, NID_basic_constraints,
                         ca ? "critical,CA:TRUE,pathlen:0" : "critical,CA:FALSE") &&
            AddExtension(cert.get(), signer, NID_key_usage,
                         ca ? "critical,keyCertSign,cRLSign" : "critical,digitalSignature") &&
            AddExtension(cert.get(), signer, NID_subject_key_identifier, "hash");
  if (ok && issuer) ok = AddExtension(cert.get(), signer, NID_authority_key_identifier, "keyid");
  if (ok && !ca) {
    ok = AddExtension(cert.get(), signer, NID_ext_key_usage, "serverAuth") &&
         AddExtension(cert.get(), signer, NID_subject_alt_name, subject_alt_names);
  }
  if (!ok) return OpenSslError("certificate extensions");
  if (X509_sign(cert.get(), issuer_key, EVP_sha256()) == 0) return OpenSslError("X509_sign");
  return cert;
}

std::string CertPem(X509* cert) {
  Bio bio(BIO_new(BIO_s_mem()), BIO_free);
  PEM_write_bio_X509(bio.get(), cert);
  char* data = nullptr;
  long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(n));
}

std::string KeyPem(EVP_PKEY* key) {
  Bio bio(BIO_new(BIO_s_mem()), BIO_free);
  PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr);
  char* data = nullptr;
  long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(n));
}

Cert ReadCert(const std::string& pem) {
  Bio bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), BIO_free);
  return Cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr), X509_free);
}

Key ReadKey(const std::string& pem) {
  Bio bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), BIO_free);
  return Key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr), EVP_PKEY_free);
}

std::string SubjectAltNames(const CertRequest& request) {
  std::string san;
  for (const std::string& dns : request.dns_names) san += (san.empty() ? "DNS:" : ",DNS:") + dns;
  for (const std::string& ip : request.ip_addresses) san += (san.empty() ? "IP:" : ",IP:") + ip;
  return san;
}

}  // namespace

Result<CertBundle> GenerateCerts(const CertRequest& request) {
  if (request.dns_names.empty() && request.ip_addresses.empty()) {
    return Status::InvalidArgument("serving certificate: no DNS name or IP address to certify");
  }
  Key ca_key = NewKey();
  Key leaf_key = NewKey();
  if (!ca_key || !leaf_key) return OpenSslError("EC key generation");
  const auto validity = std::chrono::duration_cast<std::chrono::seconds>(request.validity);
  Result<Cert> ca =
      MakeCert(ca_key.get(), "edgerepl-webhook-ca", nullptr, ca_key.get(), validity * 10, true, "");
  if (!ca.ok()) return ca.status();
  const std::string cn =
      request.dns_names.empty() ? request.ip_addresses.front() : request.dns_names.front();
  Result<Cert> leaf = MakeCert(leaf_key.get(), cn, ca->get(), ca_key.get(), validity, false,
                               SubjectAltNames(request));
  if (!leaf.ok()) return leaf.status();
  return CertBundle{CertPem(ca->get()), CertPem(leaf->get()), KeyPem(leaf_key.get())};
}

bool CertsUsable(const CertBundle& bundle, const CertRequest& request,
                 std::chrono::hours min_remaining, std::string* why) {
  Cert ca = ReadCert(bundle.ca_pem);
  Cert leaf = ReadCert(bundle.cert_pem);
  Key key = ReadKey(bundle.key_pem);
  ERR_clear_error();
  if (!ca || !leaf || !key) {
    *why = "the CA, certificate or key does not parse";
    return false;
  }
  if (X509_check_private_key(leaf.get(), key.get()) != 1) {
    ERR_clear_error();
    *why = "the key does not match the certificate";
    return false;
  }
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> ca_public(X509_get_pubkey(ca.get()),
                                                                EVP_PKEY_free);
  if (!ca_public || X509_verify(leaf.get(), ca_public.get()) != 1) {
    ERR_clear_error();
    *why = "the certificate is not signed by the CA";
    return false;
  }
  std::time_t until =
      std::chrono::system_clock::to_time_t(std::chrono::system_clock::now() + min_remaining);
  for (X509* c : {ca.get(), leaf.get()}) {
    if (X509_cmp_time(X509_get0_notAfter(c), &until) <= 0) {
      *why = "it expires within " + std::to_string(min_remaining.count()) + " hours";
      return false;
    }
  }
  for (const std::string& dns : request.dns_names) {
    if (X509_check_host(leaf.get(), dns.c_str(), dns.size(), X509_CHECK_FLAG_NO_WILDCARDS,
                        nullptr) != 1) {
      *why = "it does not name " + dns;
      return false;
    }
  }
  for (const std::string& ip : request.ip_addresses) {
    if (X509_check_ip_asc(leaf.get(), ip.c_str(), 0) != 1) {
      *why = "it does not name " + ip;
      return false;
    }
  }
  return true;
}

}  // namespace edgerepl::webhook
