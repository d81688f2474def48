// Both outbound clients against the real glibc resolver pointed at a DNS server that takes every
// query and never answers: each must give up at the request timeout, not after the resolver's own
// retries (here 3 s). The test re-runs itself in a private mount namespace in which
// /etc/resolv.conf names that server, so nothing outside the child process sees the change.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include "common/http/client_beast.h"
#include "common/http/client_cpprest.h"

namespace edgerepl::http {
namespace {

constexpr char kChildEnv[] = "EDGEREPL_DNS_BLACKHOLE_CHILD";
// A loopback address of its own: 127.0.0.53 is systemd-resolved's on many machines.
constexpr char kServer[] = "127.77.0.53";
constexpr std::chrono::milliseconds kTimeout{500};

void ExpectGivesUpAtTimeout(const char* name, Result<HttpClientPtr> client) {
  ASSERT_TRUE(client.ok()) << client.status().ToString();
  HttpRequest r;
  r.method = "POST";
  r.target = "/api/v2/write?org=o&bucket=b";
  r.body = "m v=1 1\n";
  auto start = std::chrono::steady_clock::now();
  auto resp = (*client)->Send(r);
  auto took = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(resp.ok()) << name;
  EXPECT_EQ(resp.status().code(), StatusCode::kUnavailable) << name;
  EXPECT_GE(took, kTimeout) << name << ": " << resp.status().ToString();
  EXPECT_LT(took, std::chrono::milliseconds(2000)) << name << ": " << resp.status().ToString();
  std::printf(
      "%s: gave up after %lld ms: %s\n", name,
      static_cast<long long>(std::chrono::duration_cast<std::chrono::milliseconds>(took).count()),
      resp.status().ToString().c_str());
}

void RunInsideNamespace() {
  HttpClientOptions o;
  o.timeout = kTimeout;
  o.base_url = "http://db.blackhole.test:8086";
  ExpectGivesUpAtTimeout("beast http://", MakeBeastHttpClient(o));
  ExpectGivesUpAtTimeout("cpprest http://", MakeCpprestHttpClient(o));
  o.base_url = "https://db.blackhole.test:8086";
  ExpectGivesUpAtTimeout("cpprest https://", MakeHttpClient(o));
  // The abandoned lookups fail 3 s after they started. pplx terminates a process in which a
  // task's failure goes unobserved (raise(SIGTRAP), std::terminate): stay alive until they have,
  // so that the parent sees it in the exit status.
  std::this_thread::sleep_for(std::chrono::seconds(4));
}

TEST(DnsBlackholeTest, ClientsGiveUpAtTheRequestTimeoutWhenDnsDoesNotAnswer) {
  if (std::getenv(kChildEnv) != nullptr) {
    RunInsideNamespace();
    return;
  }
  if (::geteuid() != 0) GTEST_SKIP() << "needs root: a private mount namespace and port 53";
  // The server: a UDP socket that is never read.
  int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(53);
  ::inet_pton(AF_INET, kServer, &addr.sin_addr);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    GTEST_SKIP() << "cannot bind " << kServer << ":53";
  }
  char dir_template[] = "/tmp/edgerepl-dns-XXXXXX";
  ASSERT_NE(::mkdtemp(dir_template), nullptr);
  const std::string dir = dir_template;
  std::ofstream(dir + "/resolv.conf")
      << "nameserver " << kServer << "\noptions timeout:3 attempts:1\n";
  const std::string out = dir + "/child.out";
  const std::string cmd = std::string("unshare -m sh -c 'mount --bind ") + dir +
                          "/resolv.conf /etc/resolv.conf || exit 77; exec /proc/" +
                          std::to_string(::getpid()) + "/exe --gtest_filter=DnsBlackholeTest.*' >" +
                          out + " 2>&1";
  ::setenv(kChildEnv, "1", 1);
  int rc = std::system(cmd.c_str());
  ::unsetenv(kChildEnv);
  ::close(fd);
  std::ifstream in(out);
  std::string output((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::filesystem::remove_all(dir);
  if (WIFEXITED(rc) && WEXITSTATUS(rc) == 77) {
    GTEST_SKIP() << "no private mount namespace here: " << output;
  }
  EXPECT_TRUE(WIFEXITED(rc) && WEXITSTATUS(rc) == 0) << output;
  EXPECT_NE(output.find("[  PASSED  ] 1 test"), std::string::npos) << output;
  std::printf("%s", output.c_str());
}

}  // namespace
}  // namespace edgerepl::http
