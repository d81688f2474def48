// The front door tried as an attacker would (docs/security.md): the ASan agent between a real
// local and a real remote influxd. Every attack asserts the answer, that the agent's memory stays
// bounded, and that the local and the remote copy still agree afterwards.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <thread>
#include <vector>

#include "common/codec/base64.h"
#include "common/codec/gzip.h"
#include "common/codec/percent.h"
#include "tests/integration/agent/test_env.h"
#include "tests/security/raw_http.h"
#include "tests/support/fault_server/fault_server.h"

namespace edgerepl::security {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using std::chrono::steady_clock;
using testing::AgentBody;
using testing::AgentProcess;
using testing::BaseNs;
using testing::FaultServer;
using testing::Influxd;
using testing::InfluxdOptions;
using testing::JsonInt;
using testing::MetricValue;
using testing::Reply;
using testing::TempDir;

constexpr long kMiB = 1024;  // in KiB, as /proc reports memory

// ASan keeps freed memory in a quarantine (256 MiB by default) that would read as the agent's
// own: a small one, so resident memory means what the agent holds.
std::vector<std::string> AgentEnv() {
  const char* inherited = std::getenv("ASAN_OPTIONS");
  std::string options = inherited != nullptr ? inherited : "";
  if (!options.empty()) options += ":";
  return {"ASAN_OPTIONS=" + options + "quarantine_size_mb=16"};
}

class FrontDoorAttack : public ::testing::Test {
 protected:
  void SetUp() override { EDGEREPL_REQUIRE_SERVERS(); }

  void StartServers(InfluxdOptions local_options = {}) {
    local_ = std::make_unique<Influxd>(local_options);
    remote_ = std::make_unique<Influxd>();
    local_->Start();
    remote_->Start();
    local_->CreateDatabase("db");
    remote_->CreateDatabase("db");
  }

  void StartAgent(const std::string& extra_top = "", const std::string& remote_extra = "") {
    agent_ = std::make_unique<AgentProcess>(
        dir_, AgentBody(local_->url(), dir_.Join("data"), remote_->url(), extra_top, remote_extra));
    agent_->SetExtraEnv(AgentEnv());
    ASSERT_TRUE(agent_->Start()) << agent_->Log();
    baseline_kib_ = agent_->MemoryKiB();
  }

  // Fresh points written through the agent reach both sides, and both sides hold exactly the
  // same points of measurement "m": nothing an attack did was written on one side only.
  void ExpectLocalAndRemoteAgree() {
    std::string lines;
    for (int i = 0; i < 50; ++i) {
      lines +=
          "m,canary=1 v=" + std::to_string(i) + " " + std::to_string(BaseNs() + next_ns_++) + "\n";
    }
    std::string answer;
    ASSERT_EQ(agent_->WriteV1("db=db", lines, &answer), 204) << answer;
    ASSERT_TRUE(agent_->WaitDrained(seconds(30))) << agent_->Replications();
    long long local = local_->CountPoints("db", "m", "v");
    long long remote = remote_->CountPoints("db", "m", "v");
    EXPECT_GT(local, 0);
    EXPECT_EQ(local, remote) << "local and remote disagree";
  }

  // Resident memory now, over what the agent had once started.
  void ExpectMemoryWithin(long kib, const std::string& after) {
    long now = agent_->MemoryKiB();
    EXPECT_LT(now - baseline_kib_, kib) << "after " << after << ": " << now << " KiB resident, "
                                        << baseline_kib_ << " KiB at start";
  }

  std::string Point(const std::string& measurement = "m") {
    return measurement + " v=1 " + std::to_string(BaseNs() + next_ns_++) + "\n";
  }

  TempDir dir_;
  std::unique_ptr<Influxd> local_;
  std::unique_ptr<Influxd> remote_;
  std::unique_ptr<AgentProcess> agent_;
  long baseline_kib_ = 0;
  int64_t next_ns_ = 0;
};

// Issue 20.1 and 20.7: tens of thousands of header fields, or one huge value, are answered 431
// at once instead of holding a handler for seconds (or closing without an answer).
TEST_F(FrontDoorAttack, HeaderFloodsAre431AtOnce) {
  StartServers();
  StartAgent();
  std::string flood = "POST /write?db=db HTTP/1.1\r\nHost: x\r\n";
  for (int i = 0; i < 20000; ++i) flood += "X-A: " + std::to_string(i % 10) + "\r\n";
  std::string line = Point();
  flood += "Content-Length: " + std::to_string(line.size()) + "\r\n\r\n" + line;
  auto start = steady_clock::now();
  std::string out = Exchange(agent_->write_port(), flood);
  auto took = steady_clock::now() - start;
  EXPECT_EQ(StatusOf(out), 431) << out.substr(0, 300);
  std::printf("20000 header fields answered in %.3f s\n",
              std::chrono::duration<double>(took).count());
  EXPECT_LT(took, seconds(2));

  std::string many = "POST /write?db=db HTTP/1.1\r\nHost: x\r\n";
  for (int i = 0; i < 2000; ++i) many += "X-" + std::to_string(i) + ": v\r\n";
  many += "Content-Length: " + std::to_string(line.size()) + "\r\n\r\n" + line;
  EXPECT_EQ(StatusOf(Exchange(agent_->write_port(), many)), 431);

  std::string huge = "POST /write?db=db HTTP/1.1\r\nHost: x\r\nAuthorization: Token " +
                     std::string(70000, 't') +
                     "\r\nContent-Length: " + std::to_string(line.size()) + "\r\n\r\n" + line;
  out = Exchange(agent_->write_port(), huge);
  EXPECT_EQ(StatusOf(out), 431) << out.substr(0, 300);
  EXPECT_TRUE(agent_->Running());
  ExpectMemoryWithin(64 * kMiB, "header floods");
  ExpectLocalAndRemoteAgree();
}

// Issue 20.1: SIGTERM finishes within the grace period although a handler is stuck (here on a
// local InfluxDB that does not answer for a minute); the process exits 0.
TEST_F(FrontDoorAttack, SigtermFinishesWithinTheGracePeriodWhateverAHandlerDoes) {
  remote_ = std::make_unique<Influxd>();
  remote_->Start();
  remote_->CreateDatabase("db");
  FaultServer hung_local;
  Reply slow;
  slow.delay = seconds(60);
  hung_local.SetHandler([&](const testing::FaultRequest& r) {
    if (r.target.rfind("/ping", 0) == 0) return Reply{};
    return slow;
  });
  agent_ = std::make_unique<AgentProcess>(
      dir_, "local: {url: \"" + hung_local.url() + "\", timeout: 90s}\ndataDir: \"" +
                dir_.Join("data") + "\"\nremotes:\n  - {name: remote, url: \"" + remote_->url() +
                "\", protocol: v1}\nreplications:\n  - {id: rep-1, name: r1, remote: remote, "
                "localBucket: db, remoteBucket: db}\n");
  agent_->SetExtraArgs({"--shutdown-grace", "2s"});
  agent_->SetExtraEnv(AgentEnv());
  ASSERT_TRUE(agent_->Start()) << agent_->Log();
  std::thread client([&] { agent_->WriteV1("db=db", Point()); });
  auto wait = steady_clock::now();
  while (hung_local.request_count() < 2 && steady_clock::now() - wait < seconds(10)) {
    std::this_thread::sleep_for(milliseconds(20));
  }
  auto start = steady_clock::now();
  int status = agent_->Stop(seconds(20));
  double took = std::chrono::duration<double>(steady_clock::now() - start).count();
  std::printf("SIGTERM with a stuck handler: exited after %.2f s\n", took);
  client.join();
  ASSERT_NE(status, -1) << "still running 20 s after SIGTERM";
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  EXPECT_LT(took, 6.0);
  EXPECT_NE(agent_->Log().find("still being handled"), std::string::npos) << agent_->Log();
}

// Issue 20.2: 100 connections each sending a 30 MiB body: the agent holds at most its body
// budget (64 MiB here) plus a fixed overhead, not 100 × 30 MiB; the bodies that do not fit are
// answered 503 with Retry-After.
TEST_F(FrontDoorAttack, HundredLargeBodiesStayWithinTheBodyBudget) {
  StartServers();
  StartAgent("maxBodyBytes: 33554432\nmaxBodyMemoryBytes: 67108864\n");
  // Refused at its first line once read whole: the cost is the body itself, not the local write.
  std::string body = "not line protocol\n";
  while (body.size() < (30u << 20)) body += "m,host=a v=1 " + std::to_string(body.size()) + "\n";
  const std::string head =
      "POST /write?db=db HTTP/1.1\r\nHost: x\r\nContent-Length: " + std::to_string(body.size()) +
      "\r\n\r\n";
  std::atomic<int> refused{0}, invalid{0}, other{0};
  std::vector<std::thread> clients;
  auto start = steady_clock::now();
  for (int i = 0; i < 100; ++i) {
    clients.emplace_back([&] {
      int fd = Connect(agent_->write_port(), seconds(60));
      if (fd < 0) {
        ++other;
        return;
      }
      if (SendAll(fd, head)) SendAll(fd, body);
      std::string out = ReadAll(fd, 4096);
      ::close(fd);
      int status = StatusOf(out);
      if (status == 503 && out.find("Retry-After: 1") != std::string::npos) {
        ++refused;
      } else if (status == 400) {
        ++invalid;
      } else {
        ++other;
      }
    });
  }
  for (auto& c : clients) c.join();
  long peak = agent_->MemoryKiB("VmHWM");
  std::printf(
      "100 x 30 MiB bodies in %.1f s: %d answered 400, %d 503; peak RSS %ld MiB (%ld at "
      "start)\n",
      std::chrono::duration<double>(steady_clock::now() - start).count(), invalid.load(),
      refused.load(), peak / kMiB, baseline_kib_ / kMiB);
  EXPECT_EQ(other.load(), 0);
  EXPECT_GT(invalid.load(), 0);
  EXPECT_GT(refused.load(), 0);
  // The budget plus a fixed overhead (connection threads and buffers, ASan's shadow of the
  // bodies, its small quarantine); without the budget this was 100 × 30 MiB.
  EXPECT_LT(peak - baseline_kib_, 64 * kMiB + 160 * kMiB);
  std::string metrics = agent_->Metrics();
  EXPECT_EQ(MetricValue(metrics, "edgerepl_write_body_memory_bytes"), 0) << metrics;
  EXPECT_EQ(MetricValue(metrics, "edgerepl_write_body_memory_refused_total"), refused.load());
  ExpectLocalAndRemoteAgree();
}

// Issue 20.3: a remote (or a proxy) that echoes tokens back percent-encoded, JSON-escaped and in
// a Basic header, and another remote's token: no form of any secret reaches the status answers,
// the logs or the metrics.
TEST_F(FrontDoorAttack, EchoedTokensAreRedactedInEveryFormEverywhere) {
  StartServers();
  const std::string token = "tok/\"echo\"+&<9f3b2c7a>==";
  const std::string other = "other-remote-SECRET-4e8d0b6c2f";
  const std::string admin = "admin-SECRET-1a2b3c4d5e";
  FaultServer echo;
  Reply refusal;
  refusal.status = 401;
  refusal.body = "{\"code\":\"unauthorized\",\"message\":\"token " + codec::PercentEncode(token) +
                 " (\\\"tok/\\\"echo\\\"+\\u0026\\u003c9f3b2c7a\\u003e==\\\") from Authorization: "
                 "Basic " +
                 codec::Base64Encode("edge:" + token) + "; not " + other + "\"}";
  echo.Script({refusal});
  auto yaml_quoted = [](const std::string& s) {
    std::string out = "'";
    for (char c : s) out += c == '\'' ? std::string("''") : std::string(1, c);
    return out + "'";
  };
  agent_ = std::make_unique<AgentProcess>(
      dir_, "local: {url: \"" + local_->url() + "\"}\ndataDir: \"" + dir_.Join("data") +
                "\"\nadminToken: " + yaml_quoted(admin) + "\nremotes:\n  - {name: echo, url: \"" +
                echo.url() + "\", orgID: o, token: " + yaml_quoted(token) +
                "}\n  - {name: good, url: \"" + remote_->url() +
                "\", protocol: v1, token: " + yaml_quoted(other) +
                "}\nreplications:\n  - {id: rep-echo, name: to-echo, remote: echo, localBucket: "
                "db, remoteBucket: b, backoff: {min: 100ms, max: 200ms}}\n  - {id: rep-good, "
                "name: to-good, remote: good, localBucket: db, remoteBucket: db}\n");
  agent_->SetExtraEnv(AgentEnv());
  ASSERT_TRUE(agent_->Start()) << agent_->Log();
  ASSERT_EQ(agent_->WriteV1("db=db", Point()), 204);
  auto start = steady_clock::now();
  while (echo.request_count() < 2 && steady_clock::now() - start < seconds(20)) {
    std::this_thread::sleep_for(milliseconds(100));
  }
  ASSERT_GE(echo.request_count(), 2u);
  const std::vector<std::pair<std::string, std::string>> places = {
      {"/api/v1/replications", agent_->Admin("/api/v1/replications")},
      {"/api/v1/replications/rep-echo", agent_->Admin("/api/v1/replications/rep-echo")},
      {"/api/v2/replications", Exchange(agent_->write_port(),
                                        "GET /api/v2/replications HTTP/1.1\r\nHost: x\r\n"
                                        "Connection: close\r\n\r\n")},
      {"/metrics", agent_->Metrics()},
  };
  ASSERT_NE(places[1].second.find("401"), std::string::npos) << places[1].second;
  ASSERT_NE(places[1].second.find("[REDACTED]"), std::string::npos) << places[1].second;
  agent_->Stop();
  std::vector<std::pair<std::string, std::string>> all = places;
  all.emplace_back("agent log", agent_->Log());
  const std::vector<std::string> tells = {
      "9f3b2c7a",  // the token's words, in any encoding that keeps them
      "SECRET",
      codec::Base64Encode("edge:" + token).substr(8, 12),
      "%22echo%22",
  };
  for (const auto& [where, text] : all) {
    for (const std::string& tell : tells) {
      EXPECT_EQ(text.find(tell), std::string::npos) << "\"" << tell << "\" in " << where << ":\n"
                                                    << text.substr(0, 2000);
    }
  }
}

// Issue 20.4: with queueFullPolicy reject, once the queue's disk is full every write is answered
// 503 before the local write (nothing is written anywhere), until space is back.
TEST_F(FrontDoorAttack, RejectPolicyHoldsOnAFullDisk) {
  TempDir mnt;
  if (::mount("tmpfs", mnt.path().c_str(), "tmpfs", 0, "size=2m") != 0) {
    GTEST_SKIP() << "mount -t tmpfs refused (" << std::strerror(errno) << "): needs root";
  }
  struct Unmount {
    std::string path;
    ~Unmount() { ::umount2(path.c_str(), MNT_DETACH); }
  } unmount{mnt.path()};
  StartServers();
  FaultServer remote;
  Reply refusing;
  refusing.status = 503;
  refusing.body = "{\"code\":\"unavailable\"}";
  remote.Script({refusing});
  agent_ = std::make_unique<AgentProcess>(
      dir_,
      AgentBody(local_->url(), mnt.path() + "/data", remote.url(), "queueFullPolicy: reject\n"));
  agent_->SetExtraEnv(AgentEnv());
  ASSERT_TRUE(agent_->Start()) << agent_->Log();
  baseline_kib_ = agent_->MemoryKiB();
  // Writes of 1000 points (~40 kB) until the disk is full.
  long long accepted_points = 0;
  int rejected = 0, after_first_rejection_accepted = 0;
  for (int i = 0; i < 200 && rejected < 5; ++i) {
    std::string lines;
    for (int p = 0; p < 1000; ++p)
      lines += "m,pad=aaaaaaaaaaaaaaaa v=1 " + std::to_string(BaseNs() + next_ns_++) + "\n";
    std::string answer;
    int status = agent_->WriteV1("db=db", lines, &answer);
    if (status == 204) {
      accepted_points += 1000;
      if (rejected > 0) ++after_first_rejection_accepted;
    } else {
      ASSERT_EQ(status, 503) << answer;
      EXPECT_NE(answer.find("is full"), std::string::npos) << answer;
      ++rejected;
    }
  }
  ASSERT_EQ(rejected, 5) << "the 2 MiB disk never filled up";
  EXPECT_EQ(after_first_rejection_accepted, 0);
  // At most the one write whose append found the disk full was taken and counted as dropped;
  // the rejected ones reached neither the local nor the queue.
  double dropped = MetricValue(agent_->Metrics(),
                               "edgerepl_queue_dropped_points_total{replication=\"r1\",reason="
                               "\"queue_full\"}");
  EXPECT_LE(dropped, 1000) << agent_->Metrics();
  EXPECT_EQ(local_->CountPoints("db", "m", "v"), accepted_points);
  // Space is back once the remote takes the queue: writes are taken again.
  remote.Script({Reply{}});  // 204
  ASSERT_TRUE(agent_->WaitDrained(seconds(60))) << agent_->Replications();
  int status = 0;
  for (int i = 0; i < 50 && status != 204; ++i) {
    status = agent_->WriteV1("db=db", Point());
    if (status != 204) std::this_thread::sleep_for(milliseconds(200));
  }
  EXPECT_EQ(status, 204);
  ExpectMemoryWithin(64 * kMiB, "a full disk");
}

// Issue 20.5: a body the local InfluxDB refuses for its size (max-body-size 25 MB, passed by
// the normalized body) comes back as its 413, not as "unreachable"; by default the agent's
// maxBodyBytes matches that limit and refuses it itself, with the reason.
TEST_F(FrontDoorAttack, BodyTheLocalRefusesForItsSizeIs413) {
  InfluxdOptions local_options;
  local_options.max_body_size_bytes = 25000000;
  StartServers(local_options);
  StartAgent("maxBodyBytes: 67108864\n");
  std::string body;  // 12 MB without timestamps: about 34 MB once each line has one
  while (body.size() < 12000000) body += "m,t=a v=1i\n";
  std::string answer;
  EXPECT_EQ(agent_->WriteV1("db=db", body, &answer), 413) << answer;
  EXPECT_NE(answer.find("\"error\""), std::string::npos) << answer;  // influxd's own answer
  EXPECT_EQ(answer.find("unreachable"), std::string::npos) << answer;
  ExpectLocalAndRemoteAgree();

  agent_->Stop();
  StartAgent();  // the default maxBodyBytes
  EXPECT_EQ(agent_->WriteV1("db=db", body, &answer), 413) << answer;
  EXPECT_NE(answer.find("nanosecond timestamp"), std::string::npos) << answer;
  ExpectMemoryWithin(128 * kMiB, "a 12 MB body");
  ExpectLocalAndRemoteAgree();
}

// Issue 20.6: an empty or comment-only config, or one without a replication, does not start an
// agent that accepts writes and replicates them nowhere; the sidecar's flag allows it.
TEST_F(FrontDoorAttack, HalfConfiguredAgentRefusesToStart) {
  for (const std::string& text : {std::string(""), std::string("# filled in later\n"),
                                  std::string("local: {url: \"http://127.0.0.1:1\"}\n")}) {
    AgentProcess agent(dir_, "");
    agent.WriteRawConfig(text);
    agent.SetWaitingFlag(false);
    agent.SetExtraEnv(AgentEnv());
    EXPECT_FALSE(agent.Start(/*wait_ready=*/false)) << "started with \"" << text << "\"";
    int status = agent.Stop(seconds(10));
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 1) << status;
    EXPECT_NE(agent.Log().find("refusing to start"), std::string::npos) << agent.Log();
    EXPECT_EQ(testing::HttpGetStatus(agent.write_port(), "/ping"), 0);
  }
  AgentProcess sidecar(dir_, "");
  sidecar.RewriteConfig("# the operator renders this\n");  // the test's ports, nothing else
  sidecar.SetExtraEnv(AgentEnv());
  EXPECT_TRUE(sidecar.Start(/*wait_ready=*/false)) << sidecar.Log();
}

// Issue 20.7: a malformed chunked body is 400, `Transfer-Encoding: gzip, chunked` is 501 (not
// passed on undecoded), and an absolute-form target is served as its path.
TEST_F(FrontDoorAttack, HttpFramingDetails) {
  StartServers();
  StartAgent();
  const int port = agent_->write_port();
  std::string out = Exchange(port,
                             "POST /write?db=db HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: "
                             "chunked\r\n\r\nzz\r\nm v=1 1\r\n0\r\n\r\n");
  EXPECT_EQ(StatusOf(out), 400) << out;
  std::string gz = codec::GzipCompress(Point("gz")).value();
  char size[16];
  std::snprintf(size, sizeof size, "%zx", gz.size());
  out = Exchange(port,
                 "POST /write?db=db HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, "
                 "chunked\r\n\r\n" +
                     std::string(size) + "\r\n" + gz + "\r\n0\r\n\r\n");
  EXPECT_EQ(StatusOf(out), 501) << out;
  EXPECT_LE(local_->CountPoints("db", "gz", "v"), 0);
  std::string line = Point();
  out = Exchange(port,
                 "POST http://influxdb.example:8086/write?db=db HTTP/1.1\r\nHost: "
                 "influxdb.example:8086\r\nConnection: close\r\nContent-Length: " +
                     std::to_string(line.size()) + "\r\n\r\n" + line);
  EXPECT_EQ(StatusOf(out), 204) << out;
  ASSERT_TRUE(agent_->WaitDrained(seconds(30)));
  EXPECT_GE(remote_->CountPoints("db", "m", "v"), 1);
  ExpectMemoryWithin(64 * kMiB, "framing attacks");
  ExpectLocalAndRemoteAgree();
}

// Attacks that held before issue 20, kept so they keep holding: slow clients, a gzip bomb,
// request smuggling with Content-Length and Transfer-Encoding, path and routing tricks, wrong
// admin tokens.
TEST_F(FrontDoorAttack, AttacksThatAlreadyHeld) {
  StartServers();
  StartAgent("adminToken: admin-right-token\n");
  const int port = agent_->write_port();

  // Slow clients (one header byte every 100 ms) hold connections, not the service.
  std::atomic<bool> stop{false};
  std::vector<std::thread> slow;
  for (int i = 0; i < 30; ++i) {
    slow.emplace_back([&] {
      int fd = Connect(port, seconds(5));
      if (fd < 0) return;
      std::string head = "POST /write?db=db HTTP/1.1\r\nHost: x\r\nX-Slow: ";
      for (size_t at = 0; !stop && at < head.size() + 100; ++at) {
        if (!SendAll(fd, at < head.size() ? head.substr(at, 1) : "a")) break;
        std::this_thread::sleep_for(milliseconds(100));
      }
      ::close(fd);
    });
  }
  std::this_thread::sleep_for(milliseconds(500));
  auto start = steady_clock::now();
  EXPECT_EQ(agent_->WriteV1("db=db", Point()), 204);
  EXPECT_LT(steady_clock::now() - start, seconds(3));
  stop = true;
  for (auto& t : slow) t.join();

  // A gzip bomb: 64 MiB of zeros in 64 kB, refused while it inflates.
  std::string bomb = codec::GzipCompress(std::string(64 << 20, '\0')).value();
  std::string answer;
  EXPECT_EQ(agent_->WriteV1("db=db", bomb, &answer, {{"Content-Encoding", "gzip"}}), 413) << answer;

  // Smuggling: a request hidden behind conflicting framing is never served.
  for (const std::string& framing :
       {std::string("Content-Length: 4\r\nTransfer-Encoding: chunked\r\n"),
        std::string("Transfer-Encoding: chunked\r\nContent-Length: 4\r\n"),
        std::string("Content-Length: 4\r\nContent-Length: 40\r\n")}) {
    std::string hidden = "smuggled v=1 1000\n";
    std::string out = Exchange(port, "POST /write?db=db HTTP/1.1\r\nHost: x\r\n" + framing +
                                         "\r\n0\r\n\r\nPOST /write?db=db HTTP/1.1\r\nHost: "
                                         "x\r\nContent-Length: " +
                                         std::to_string(hidden.size()) + "\r\n\r\n" + hidden);
    EXPECT_EQ(StatusOf(out), 400) << framing << out;
    EXPECT_EQ(out.find("HTTP/1.1 204"), std::string::npos) << out;
  }
  EXPECT_LE(local_->CountPoints("db", "smuggled", "v"), 0);

  // Routing tricks: whatever the local InfluxDB makes of them, nothing is stored on one side
  // only (checked below).
  for (const std::string& target :
       {std::string("//write?db=db"), std::string("/write/?db=db"), std::string("/./write?db=db"),
        std::string("/api/v2/../../write?db=db"), std::string("/%77rite?db=db"),
        std::string("/WRITE?db=db"), std::string("/write%3Fdb=db")}) {
    std::string line = Point();
    std::string out = Exchange(port, "POST " + target +
                                         " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                                         "Content-Length: " +
                                         std::to_string(line.size()) + "\r\n\r\n" + line);
    std::printf("POST %s -> %d\n", target.c_str(), StatusOf(out));
    EXPECT_NE(StatusOf(out), 0) << target;
  }

  // Wrong admin tokens.
  const int admin = agent_->admin_port();
  for (const std::string& auth :
       {std::string(""), std::string("Authorization: Bearer admin-wrong-token\r\n"),
        std::string("Authorization: Bearer admin-right-tokenX\r\n"),
        std::string("Authorization: Bearer admin-right-toke\r\n"),
        std::string("Authorization: Basic " + codec::Base64Encode("admin:admin-right-token") +
                    "\r\n"),
        std::string("Authorization: Bearer\r\n")}) {
    std::string out = Exchange(admin,
                               "POST /api/v1/replications/rep-1/retry-now HTTP/1.1\r\nHost: "
                               "x\r\nConnection: close\r\nContent-Length: 0\r\n" +
                                   auth + "\r\n");
    EXPECT_EQ(StatusOf(out), 401) << auth << out;
  }
  std::string out = Exchange(admin,
                             "POST /api/v1/replications/rep-1/retry-now HTTP/1.1\r\nHost: "
                             "x\r\nConnection: close\r\nContent-Length: 0\r\nAuthorization: "
                             "Bearer admin-right-token\r\n\r\n");
  EXPECT_EQ(StatusOf(out), 202) << out;

  EXPECT_TRUE(agent_->Running());
  ExpectMemoryWithin(64 * kMiB, "the attacks that held");
  ExpectLocalAndRemoteAgree();
}

// The agent's threads and descriptors now, from /proc (-1 when unknown).
long AgentThreads(const AgentProcess& agent) {
  std::ifstream status("/proc/" + std::to_string(agent.pid()) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("Threads:", 0) == 0) return std::atol(line.c_str() + 8);
  }
  return -1;
}

// Issue 21.3: a thousand slow clients (a slow-loris attack, or a thousand Telegrafs) cost the
// agent sockets, not threads; a normal client is served meanwhile; and each slow one is closed
// by the header timeout (10 s from its first byte) although it never stops sending.
TEST_F(FrontDoorAttack, ThousandSlowClientsCostSocketsNotThreads) {
  StartServers();
  StartAgent();
  const int port = agent_->write_port();
  // Counted once the agent has served a write: /readyz may answer before the write port's
  // threads are all started.
  ASSERT_EQ(agent_->WriteV1("db=db", Point()), 204);
  std::this_thread::sleep_for(seconds(1));
  const long idle_threads = AgentThreads(*agent_);
  ASSERT_GT(idle_threads, 0);
  constexpr int kSlow = 1000;
  std::vector<int> fds;
  for (int i = 0; i < kSlow; ++i) {
    int fd = Connect(port, seconds(1));
    ASSERT_GE(fd, 0) << i << ": " << std::strerror(errno);
    fds.push_back(fd);
  }
  // One driver for all of them: a header byte each, every 200 ms, until the agent closes them.
  const std::string head = "POST /write?db=db HTTP/1.1\r\nHost: x\r\nX-Slow: ";
  std::vector<bool> open(kSlow, true);
  std::vector<steady_clock::time_point> first(kSlow), closed(kSlow);
  std::atomic<bool> stop{false};
  std::atomic<long> most_threads{0};
  std::thread driver([&] {
    for (size_t at = 0; !stop; ++at) {
      for (int i = 0; i < kSlow; ++i) {
        if (!open[i]) continue;
        char c = at < head.size() ? head[at] : 'a';
        if (at == 0) first[i] = steady_clock::now();
        if (::send(fds[i], &c, 1, MSG_NOSIGNAL | MSG_DONTWAIT) != 1) {
          open[i] = false;
          closed[i] = steady_clock::now();
          continue;
        }
        // A close by the agent shows as the end of the stream (it sends no answer).
        char got;
        ssize_t n = ::recv(fds[i], &got, 1, MSG_DONTWAIT);
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)) {
          open[i] = false;
          closed[i] = steady_clock::now();
        }
      }
      long threads = AgentThreads(*agent_);
      long prev = most_threads.load();
      if (threads > prev) most_threads = threads;
      std::this_thread::sleep_for(milliseconds(200));
    }
  });
  std::this_thread::sleep_for(seconds(2));
  auto start = steady_clock::now();
  EXPECT_EQ(agent_->WriteV1("db=db", Point()), 204);
  EXPECT_LT(steady_clock::now() - start, seconds(3));
  // Past the header timeout every slow client is gone, though each sent a byte every 200 ms.
  const auto deadline = steady_clock::now() + seconds(20);
  auto still_open = [&] { return std::count(open.begin(), open.end(), true); };
  while (steady_clock::now() < deadline && still_open() > 0) {
    std::this_thread::sleep_for(milliseconds(200));
  }
  stop = true;
  driver.join();
  EXPECT_EQ(still_open(), 0) << "slow clients the agent kept";
  for (int i = 0; i < kSlow; ++i) {
    if (open[i]) continue;
    auto held = closed[i] - first[i];
    EXPECT_GE(held, seconds(9)) << i;
    EXPECT_LE(held, seconds(16)) << i;
  }
  for (int fd : fds) ::close(fd);
  std::printf("agent threads: %ld idle, %ld at most with %d slow clients\n", idle_threads,
              most_threads.load(), kSlow);
  // The previous design held a thread per connection: a thousand more.
  EXPECT_LE(most_threads.load(), idle_threads + 8);
  EXPECT_TRUE(agent_->Running());
  ExpectMemoryWithin(64 * kMiB, "a thousand slow clients");
  ExpectLocalAndRemoteAgree();
}

}  // namespace
}  // namespace edgerepl::security
