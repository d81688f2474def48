// Child processes and loopback ports for tests that run real servers (influxd, VictoriaMetrics,
// the agent itself). Every server binds 127.0.0.1 on a port picked here.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace edgerepl::testing {

// A TCP port on 127.0.0.1 that was free a moment ago. Ports handed out by this process are not
// handed out twice, so servers started back to back do not collide.
int PickFreePort();

// A connected TCP socket to 127.0.0.1:port (blocking), or -1 when nothing accepts there.
int ConnectLoopback(int port);

// True once something accepts TCP connections on 127.0.0.1:port.
bool WaitForTcp(int port, std::chrono::milliseconds timeout);

// GET http://127.0.0.1:port<path> and return the status code (0 if no answer). Plain sockets, so
// tests of the HTTP layer do not depend on it.
int HttpGetStatus(int port, const std::string& path, std::string* body = nullptr);

// Sends a raw HTTP/1.1 request and returns the status code (0 when the connection failed).
int HttpRequest(int port, const std::string& method, const std::string& target,
                const std::map<std::string, std::string>& headers, const std::string& body,
                std::string* response_body = nullptr);

// Finds an executable on $PATH (or returns the argument if it contains a slash and exists).
std::optional<std::string> FindExecutable(const std::string& name);

class ChildProcess {
 public:
  // Starts argv[0] with argv; stdout and stderr go to log_path (appended). Extra env entries are
  // "KEY=VALUE" and are added to this process's environment, replacing one of the same name.
  ChildProcess(std::vector<std::string> argv, std::string log_path,
               std::vector<std::string> extra_env = {});
  ~ChildProcess();  // SIGKILL if still running
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  pid_t pid() const { return pid_; }
  bool Running();
  void Signal(int sig);
  // Waits for exit up to `timeout`; returns the exit status (as from waitpid) or nullopt.
  std::optional<int> Wait(std::chrono::milliseconds timeout);
  // SIGTERM, wait up to grace, then SIGKILL.
  void Stop(std::chrono::milliseconds grace = std::chrono::seconds(10));
  const std::string& log_path() const { return log_path_; }

 private:
  pid_t pid_ = -1;
  std::optional<int> exit_status_;
  std::string log_path_;
};

}  // namespace edgerepl::testing
