// Many keep-alive clients against few, same agent, same run (docs/benchmarks.md, "Agent: many
// clients").
//
//   bench_connections [--seconds N] [--rounds R] [--few F] [--many M] [--points P]
//                     [--durability sync|interval]
//
// Starts a local influxd, a remote that answers 204 to every write (this process's own server)
// and the agent (1 replication, durability: sync unless told otherwise) on loopback ports. Then F
// and M keep-alive clients (default 8 and 1,000) post P-point /write requests as fast as they are
// answered, in R rounds of each, alternating (few, many, few, many, ...) so drift on a shared
// machine hits both. One thread drives every client over epoll, so the load generator's own cost
// does not grow with the clients. During each round the agent's threads, resident memory and open
// descriptors are sampled from /proc; the figures are the highest seen.
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <dirent.h>
#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "common/httpserver/server.h"
#include "tests/integration/agent/agent_process.h"
#include "tests/support/servers.h"

namespace {

using Clock = std::chrono::steady_clock;
using edgerepl::testing::AgentProcess;
using edgerepl::testing::Influxd;
using edgerepl::testing::TempDir;

// One client: its request, and where it is in sending it or reading the answer.
struct Client {
  int fd = -1;
  const std::string* request = nullptr;
  size_t sent = 0;
  std::string in;
  Clock::time_point started;
};

int Connect(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 && errno != EINPROGRESS) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// The length of one whole answer at the front of `in` (0 while incomplete). The agent answers a
// write with 204 and no body, an error with a Content-Length body.
size_t AnswerLength(const std::string& in) {
  size_t end = in.find("\r\n\r\n");
  if (end == std::string::npos) return 0;
  size_t length = 0;
  for (size_t at = 0; at < end;) {
    size_t eol = in.find("\r\n", at);
    if (eol - at > 15 && ::strncasecmp(in.data() + at, "content-length:", 15) == 0) {
      length = std::strtoul(in.c_str() + at + 15, nullptr, 10);
    }
    at = eol + 2;
  }
  return in.size() >= end + 4 + length ? end + 4 + length : 0;
}

struct Sample {
  long threads = 0, rss_kib = 0, fds = 0;
  void Max(const Sample& o) {
    threads = std::max(threads, o.threads);
    rss_kib = std::max(rss_kib, o.rss_kib);
    fds = std::max(fds, o.fds);
  }
};

Sample SampleOf(pid_t pid) {
  Sample s;
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("Threads:", 0) == 0) s.threads = std::atol(line.c_str() + 8);
    if (line.rfind("VmRSS:", 0) == 0) s.rss_kib = std::atol(line.c_str() + 6);
  }
  if (DIR* d = ::opendir(("/proc/" + std::to_string(pid) + "/fd").c_str())) {
    while (dirent* e = ::readdir(d)) s.fds += e->d_name[0] != '.';
    ::closedir(d);
  }
  return s;
}

double CpuSeconds(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  std::getline(in, line);
  // pid (comm) state ppid ... utime(14) stime(15); comm may hold spaces, so split after ')'.
  size_t close = line.rfind(')');
  if (close == std::string::npos) return 0;
  std::istringstream rest(line.substr(close + 2));
  std::string skip;
  for (int i = 0; i < 11; ++i) rest >> skip;  // state .. cmajflt
  double utime = 0, stime = 0;
  rest >> utime >> stime;
  return (utime + stime) / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

struct RoundResult {
  double points_per_second = 0;
  long long errors = 0;
  long long reconnects = 0;
  std::vector<double> latencies_ms;
  Sample agent;
  double agent_cpu_us_per_point = 0;
};

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())))];
}

// `clients` connections, each posting its own requests back to back for `seconds`.
RoundResult Round(int port, const std::vector<std::string>& requests, int clients, int points,
                  double seconds, pid_t agent_pid) {
  RoundResult r;
  int ep = ::epoll_create1(EPOLL_CLOEXEC);
  std::vector<Client> cs(static_cast<size_t>(clients));
  auto start_request = [&](size_t i) {
    Client& c = cs[i];
    c.request = &requests[i % requests.size()];
    c.sent = 0;
    c.started = Clock::now();
  };
  auto open = [&](size_t i) {
    Client& c = cs[i];
    c.fd = Connect(port);
    if (c.fd < 0) throw std::runtime_error("cannot connect: " + std::string(std::strerror(errno)));
    c.in.clear();
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLOUT | EPOLLET;
    ev.data.u64 = i;
    ::epoll_ctl(ep, EPOLL_CTL_ADD, c.fd, &ev);
    start_request(i);
  };
  for (size_t i = 0; i < cs.size(); ++i) open(i);
  long long done = 0;
  const double cpu0 = CpuSeconds(agent_pid);
  const auto start = Clock::now();
  const auto stop =
      start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
  auto next_sample = start;
  std::vector<epoll_event> events(1024);
  char buf[16384];
  // Edge-triggered: each ready client is driven until it would block.
  auto drive = [&](size_t i) {
    Client& c = cs[i];
    for (;;) {
      if (c.sent < c.request->size()) {
        ssize_t n =
            ::send(c.fd, c.request->data() + c.sent, c.request->size() - c.sent, MSG_NOSIGNAL);
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
        if (n <= 0) break;
        c.sent += static_cast<size_t>(n);
        continue;
      }
      ssize_t n = ::recv(c.fd, buf, sizeof buf, 0);
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
      if (n <= 0) break;
      c.in.append(buf, static_cast<size_t>(n));
      if (size_t len = AnswerLength(c.in); len > 0) {
        const bool ok = c.in.compare(9, 3, "204") == 0;
        c.in.erase(0, len);
        if (ok) {
          ++done;
          r.latencies_ms.push_back(
              std::chrono::duration<double, std::milli>(Clock::now() - c.started).count());
        } else {
          ++r.errors;
        }
        if (Clock::now() >= stop) return;
        start_request(i);
      }
    }
    // The agent closed the connection (or it broke): counted, and opened again.
    ++r.reconnects;
    ::close(c.fd);
    open(i);
  };
  for (;;) {
    auto now = Clock::now();
    if (now >= stop) break;
    if (now >= next_sample) {
      r.agent.Max(SampleOf(agent_pid));
      next_sample = now + std::chrono::milliseconds(250);
    }
    int n = ::epoll_wait(ep, events.data(), static_cast<int>(events.size()), 50);
    for (int k = 0; k < n; ++k) drive(events[k].data.u64);
  }
  const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  const double cpu = CpuSeconds(agent_pid) - cpu0;
  r.agent.Max(SampleOf(agent_pid));
  for (Client& c : cs) ::close(c.fd);
  ::close(ep);
  r.points_per_second = static_cast<double>(done * points) / elapsed;
  r.agent_cpu_us_per_point = done > 0 ? cpu * 1e6 / static_cast<double>(done * points) : 0;
  return r;
}

// Each client's own requests (its own series), prebuilt so the generator costs nothing per write.
std::vector<std::string> MakeRequests(int clients, int points) {
  const int64_t base = (std::chrono::duration_cast<std::chrono::seconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count() -
                        3600) *
                       1'000'000'000LL;
  std::vector<std::string> out;
  for (int c = 0; c < clients; ++c) {
    std::string body;
    for (int i = 0; i < points; ++i) {
      body += "conn,client=c" + std::to_string(c) + ",host=h" + std::to_string(i % 50) +
              " usage_user=" + std::to_string(i % 1000) +
              ".5,usage_idle=" + std::to_string(i % 97) + "i " +
              std::to_string(base + int64_t{i} * 1000) + "\n";
    }
    out.push_back(
        "POST /write?db=agent&precision=ns HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        "Content-Length: " +
        std::to_string(body.size()) + "\r\n\r\n" + body);
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  double seconds = 20;
  int rounds = 2, few = 8, many = 1000, points = 100;
  std::string durability = "sync";
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    if (a == "--seconds") seconds = std::atof(argv[i + 1]);
    if (a == "--rounds") rounds = std::max(1, std::atoi(argv[i + 1]));
    if (a == "--few") few = std::max(1, std::atoi(argv[i + 1]));
    if (a == "--many") many = std::max(1, std::atoi(argv[i + 1]));
    if (a == "--points") points = std::max(1, std::atoi(argv[i + 1]));
    if (a == "--durability") durability = argv[i + 1];
  }
  if (!Influxd::Available()) {
    std::fprintf(stderr, "bench_connections: influxd not installed\n");
    return 2;
  }
  // The clients' sockets here, and as many in the agent (which inherits the limit).
  rlimit files{};
  ::getrlimit(RLIMIT_NOFILE, &files);
  files.rlim_cur = std::min<rlim_t>(files.rlim_max, std::max<rlim_t>(files.rlim_cur, many + 1024));
  ::setrlimit(RLIMIT_NOFILE, &files);
  try {
    Influxd local;
    local.Start();
    local.CreateDatabase("agent");
    std::atomic<long long> remote_writes{0};
    auto sink = edgerepl::httpserver::Server::Start("127.0.0.1:0",
                                                    [&](const edgerepl::httpserver::Request&) {
                                                      ++remote_writes;
                                                      edgerepl::httpserver::Response out;
                                                      out.status = 204;
                                                      return out;
                                                    });
    if (!sink.ok()) throw std::runtime_error("remote: " + sink.status().ToString());
    TempDir dir;
    AgentProcess agent(
        dir, "local: {url: \"" + local.url() + "\"}\ndataDir: \"" + dir.Join("data") +
                 "\"\ndurability: " + durability +
                 "\nremotes:\n  - name: remote\n    url: \"http://127.0.0.1:" +
                 std::to_string((*sink)->port()) +
                 "\"\n    orgID: bench\nreplications:\n  - {id: bench, name: bench, remote: "
                 "remote, localBucket: agent, remoteBucket: agent}\n");
    if (!agent.Start()) {
      std::fprintf(stderr, "agent did not start:\n%s\n", agent.Log().c_str());
      return 1;
    }
    const std::vector<std::string> requests = MakeRequests(many, points);
    std::printf(
        "bench_connections: %d and %d keep-alive clients x %d points/request, %.0f s per "
        "side in %d rounds, durability %s\n",
        few, many, points, seconds, rounds, durability.c_str());
    const Sample idle = SampleOf(agent.pid());
    std::printf("  agent idle: %ld threads, %ld KiB RSS, %ld fds\n", idle.threads, idle.rss_kib,
                idle.fds);
    // Warm-up: influxd's WAL and caches, the agent's queue segment, the clients' series.
    Round(agent.write_port(), requests, many, points, 2, agent.pid());
    double few_sum = 0, many_sum = 0;
    Sample few_max, many_max;
    std::vector<double> few_lat, many_lat;
    double few_cpu = 0, many_cpu = 0;
    // Each round starts once the agent has let the last round's connections go.
    auto settle = [] { std::this_thread::sleep_for(std::chrono::seconds(1)); };
    for (int i = 0; i < rounds; ++i) {
      settle();
      RoundResult f =
          Round(agent.write_port(), requests, few, points, seconds / rounds, agent.pid());
      settle();
      RoundResult m =
          Round(agent.write_port(), requests, many, points, seconds / rounds, agent.pid());
      std::printf(
          "  round %d: %d clients %.0f points/s (p50 %.2f p99 %.2f ms, errors %lld, reconnects "
          "%lld); %d clients %.0f points/s (p50 %.2f p99 %.2f ms, errors %lld, reconnects %lld)\n",
          i + 1, few, f.points_per_second, Percentile(f.latencies_ms, 0.5),
          Percentile(f.latencies_ms, 0.99), f.errors, f.reconnects, many, m.points_per_second,
          Percentile(m.latencies_ms, 0.5), Percentile(m.latencies_ms, 0.99), m.errors,
          m.reconnects);
      std::printf(
          "    agent at most: %d clients %ld threads %ld KiB RSS %ld fds; %d clients %ld "
          "threads %ld KiB RSS %ld fds\n",
          few, f.agent.threads, f.agent.rss_kib, f.agent.fds, many, m.agent.threads,
          m.agent.rss_kib, m.agent.fds);
      few_sum += f.points_per_second;
      many_sum += m.points_per_second;
      few_max.Max(f.agent);
      many_max.Max(m.agent);
      few_lat.insert(few_lat.end(), f.latencies_ms.begin(), f.latencies_ms.end());
      many_lat.insert(many_lat.end(), m.latencies_ms.begin(), m.latencies_ms.end());
      few_cpu += f.agent_cpu_us_per_point / rounds;
      many_cpu += m.agent_cpu_us_per_point / rounds;
    }
    std::printf("  agent CPU per point: %.3f us with %d clients, %.3f us with %d\n", few_cpu, few,
                many_cpu, many);
    std::printf("  latency: %d clients p50 %.2f p99 %.2f ms; %d clients p50 %.2f p99 %.2f ms\n",
                few, Percentile(few_lat, 0.5), Percentile(few_lat, 0.99), many,
                Percentile(many_lat, 0.5), Percentile(many_lat, 0.99));
    std::printf("  remote: %lld writes received\n", remote_writes.load());
    std::printf("RESULT throughput ratio %d/%d clients = %.3f (target >= 0.9)\n", many, few,
                many_sum / few_sum);
    std::printf("RESULT agent threads at most: %ld with %d clients, %ld with %d (idle %ld)\n",
                few_max.threads, few, many_max.threads, many, idle.threads);
    std::printf(
        "RESULT agent RSS at most: %.1f MiB with %d clients, %.1f MiB with %d (idle %.1f)\n",
        few_max.rss_kib / 1024.0, few, many_max.rss_kib / 1024.0, many, idle.rss_kib / 1024.0);
    agent.Stop();
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_connections: %s\n", e.what());
    return 1;
  }
}
