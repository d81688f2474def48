// Each TLS failure named by its cause, against real TLS servers: `openssl s_server` with
// certificates made by openssl for the test, and the scripted server for plain http.
#include "common/http/tls_diagnose.h"

#include <gtest/gtest.h>

#include <cstdlib>

#include "common/http/client_cpprest.h"
#include "tests/support/fault_server/fault_server.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

namespace edgerepl::http {
namespace {

using edgerepl::testing::ChildProcess;
using edgerepl::testing::TempDir;
using std::chrono::milliseconds;

bool Run(const std::string& cmd) {
  return std::system((cmd + " >/dev/null 2>&1").c_str()) == 0;
}

// A CA `ca` and, signed by it, a certificate `name` for subjectAltName `san`.
bool MakeCa(const std::string& d, const std::string& ca) {
  return Run("openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=" + ca + " -keyout " + d +
             "/" + ca + ".key -out " + d + "/" + ca + ".pem");
}
bool MakeCert(const std::string& d, const std::string& ca, const std::string& name,
              const std::string& san) {
  const std::string p = d + "/" + name;
  return Run("openssl req -newkey rsa:2048 -nodes -subj /CN=" + name + " -keyout " + p +
             ".key -out " + p + ".csr") &&
         (edgerepl::testing::WriteFileOrDie(p + ".ext", "subjectAltName=" + san + "\n"), true) &&
         Run("openssl x509 -req -in " + p + ".csr -CA " + d + "/" + ca + ".pem -CAkey " + d + "/" +
             ca + ".key -CAcreateserial -days 1 -extfile " + p + ".ext -out " + p + ".pem");
}

class TlsDiagnoseTest : public ::testing::Test {
 protected:
  // The certificates, made once for the suite (key generation is the slow part).
  static void SetUpTestSuite() {
    if (!edgerepl::testing::FindExecutable("openssl")) return;
    certs_ = new TempDir();
    const std::string d = certs_->path();
    made_ = MakeCa(d, "ca") && MakeCa(d, "other-ca") &&
            MakeCert(d, "ca", "server", "IP:127.0.0.1") &&
            MakeCert(d, "ca", "named", "DNS:elsewhere.example") &&
            MakeCert(d, "ca", "client", "DNS:client") &&
            MakeCert(d, "other-ca", "stranger", "DNS:stranger");
  }
  static void TearDownTestSuite() {
    delete certs_;
    certs_ = nullptr;
  }
  void SetUp() override {
    if (!edgerepl::testing::FindExecutable("openssl")) GTEST_SKIP() << "openssl not installed";
    ASSERT_TRUE(made_) << "openssl could not make the test certificates";
  }
  // Starts `openssl s_server` with `cert` and extra arguments; returns its port.
  int Serve(const std::string& cert, std::vector<std::string> extra = {}) {
    int port = edgerepl::testing::PickFreePort();
    std::vector<std::string> argv = {*edgerepl::testing::FindExecutable("openssl"),
                                     "s_server",
                                     "-accept",
                                     std::to_string(port),
                                     "-cert",
                                     File(cert + ".pem"),
                                     "-key",
                                     File(cert + ".key"),
                                     "-www",
                                     "-quiet"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    servers_.push_back(std::make_unique<ChildProcess>(argv, File("s_server.log")));
    EXPECT_TRUE(edgerepl::testing::WaitForTcp(port, milliseconds(10000)));
    return port;
  }
  std::string File(const std::string& name) { return certs_->path() + "/" + name; }
  TlsOptions Trusting(const std::string& ca) {
    TlsOptions o;
    o.ca_file = File(ca + ".pem");
    return o;
  }

  static inline TempDir* certs_ = nullptr;
  static inline bool made_ = false;
  std::vector<std::unique_ptr<ChildProcess>> servers_;
};

const milliseconds kTimeout{5000};

TEST_F(TlsDiagnoseTest, WorkingTlsHasNoCause) {
  int port = Serve("server");
  EXPECT_EQ(DiagnoseTls("127.0.0.1", port, Trusting("ca"), kTimeout), "");
}

TEST_F(TlsDiagnoseTest, UnknownAuthority) {
  int port = Serve("server");
  EXPECT_EQ(DiagnoseTls("127.0.0.1", port, Trusting("other-ca"), kTimeout)
                .rfind("TLS: certificate signed by unknown authority", 0),
            0u);
  // The system roots do not know the test CA either.
  EXPECT_EQ(DiagnoseTls("127.0.0.1", port, {}, kTimeout)
                .rfind("TLS: certificate signed by unknown authority", 0),
            0u);
  TlsOptions insecure;
  insecure.insecure_skip_verify = true;
  EXPECT_EQ(DiagnoseTls("127.0.0.1", port, insecure, kTimeout), "");
}

TEST_F(TlsDiagnoseTest, NameMismatch) {
  int port = Serve("named");
  EXPECT_EQ(DiagnoseTls("127.0.0.1", port, Trusting("ca"), kTimeout),
            "TLS: certificate name mismatch (expected host 127.0.0.1)");
  EXPECT_EQ(DiagnoseTls("localhost", port, Trusting("ca"), kTimeout),
            "TLS: certificate name mismatch (expected host localhost)");
}

TEST_F(TlsDiagnoseTest, ClientCertificateRequiredTls13AndTls12) {
  for (const char* version : {"-tls1_3", "-tls1_2"}) {
    SCOPED_TRACE(version);
    int port = Serve("server", {"-Verify", "1", "-CAfile", File("ca.pem"), version});
    EXPECT_EQ(DiagnoseTls("127.0.0.1", port, Trusting("ca"), kTimeout),
              "TLS: remote requires a client certificate");
    TlsOptions with_cert = Trusting("ca");
    with_cert.client_cert_file = File("client.pem");
    with_cert.client_key_file = File("client.key");
    EXPECT_EQ(DiagnoseTls("127.0.0.1", port, with_cert, kTimeout), "");
  }
}

TEST_F(TlsDiagnoseTest, ClientCertificateFromAnotherCaIsRefused) {
  int port = Serve("server", {"-Verify", "1", "-CAfile", File("ca.pem"), "-verify_return_error"});
  TlsOptions o = Trusting("ca");
  o.client_cert_file = File("stranger.pem");
  o.client_key_file = File("stranger.key");
  std::string cause = DiagnoseTls("127.0.0.1", port, o, kTimeout);
  EXPECT_EQ(cause.rfind("TLS: remote refused the client certificate", 0), 0u) << cause;
}

TEST_F(TlsDiagnoseTest, PlainHttpServerIsAHandshakeFailure) {
  edgerepl::testing::FaultServer plain;
  std::string cause = DiagnoseTls("127.0.0.1", plain.port(), Trusting("ca"), kTimeout);
  EXPECT_EQ(cause.rfind("TLS: handshake failed: ", 0), 0u) << cause;
}

TEST_F(TlsDiagnoseTest, NoListenerIsNoTlsCause) {
  EXPECT_EQ(DiagnoseTls("127.0.0.1", edgerepl::testing::PickFreePort(), {}, kTimeout), "");
}

// The remote's client reports the cause instead of cpprest's "Failed to read HTTP status line".
TEST_F(TlsDiagnoseTest, CpprestClientReportsTheCause) {
  struct Case {
    std::string cert;
    std::vector<std::string> server_args;
    std::string ca;
    std::string want;
  };
  const Case cases[] = {
      {"server",
       {"-Verify", "1", "-CAfile", File("ca.pem")},
       "ca",
       "TLS: remote requires a client certificate"},
      {"server", {}, "other-ca", "TLS: certificate signed by unknown authority"},
      {"named", {}, "ca", "TLS: certificate name mismatch (expected host 127.0.0.1)"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.want);
    int port = Serve(c.cert, c.server_args);
    HttpClientOptions o;
    o.base_url = "https://127.0.0.1:" + std::to_string(port);
    o.timeout = kTimeout;
    o.tls = Trusting(c.ca);
    auto client = MakeCpprestHttpClient(o);
    ASSERT_TRUE(client.ok()) << client.status().ToString();
    HttpRequest req;
    req.target = "/api/v2/write?org=o&bucket=b";
    req.body = "m v=1 1\n";
    Result<HttpResponse> answer = (*client)->Send(req);
    ASSERT_FALSE(answer.ok());
    EXPECT_EQ(answer.status().message().rfind(c.want, 0), 0u) << answer.status().message();
  }
}

}  // namespace
}  // namespace edgerepl::http
