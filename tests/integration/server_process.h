#ifndef VERKENNER_TESTS_INTEGRATION_SERVER_PROCESS_H_
#define VERKENNER_TESTS_INTEGRATION_SERVER_PROCESS_H_

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"

extern char** environ;

namespace verkenner::testing {

// One verkenner-server child process: its stdout is a pipe (for the port lines), its stderr is
// appended to a log file. A server still running when its ServerProcess goes (a failed
// assertion) is killed. Used by one thread.
struct ServerProcess {
  ServerProcess() = default;
  ServerProcess(ServerProcess&& other) noexcept
      : pid(std::exchange(other.pid, -1)),
        output(std::exchange(other.output, -1)),
        port(other.port),
        http_port(other.http_port),
        said(std::move(other.said)) {}
  ServerProcess& operator=(ServerProcess&&) = delete;
  ~ServerProcess() {
    if (pid >= 0) {
      kill(pid, SIGKILL);
      waitpid(pid, nullptr, 0);
    }
    if (output >= 0) close(output);
  }

  pid_t pid = -1;
  int output = -1;
  int port = 0;       // gRPC, from "serving on port N"
  int http_port = 0;  // from "web app on port N", if it said so
  std::string said;   // its stdout so far
};

// Starts `argv` (argv[0] is the binary) with its stderr appended to `log`. Errors: Internal when
// it cannot be spawned.
inline absl::StatusOr<ServerProcess> SpawnServer(const std::vector<std::string>& arguments,
                                                 const std::string& log) {
  std::vector<char*> argv;
  for (const std::string& argument : arguments) argv.push_back(const_cast<char*>(argument.c_str()));
  argv.push_back(nullptr);
  int pipe_ends[2];
  if (pipe2(pipe_ends, O_CLOEXEC) != 0) return absl::InternalError("pipe2 failed");
  // posix_spawn, not fork: the test process runs gRPC threads, and a forked child of a
  // multithreaded process may only call async-signal-safe functions.
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, pipe_ends[1], STDOUT_FILENO);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, log.c_str(),
                                   O_WRONLY | O_CREAT | O_APPEND, 0600);
  ServerProcess server;
  const int spawned = posix_spawn(&server.pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  close(pipe_ends[1]);
  if (spawned != 0) {
    close(pipe_ends[0]);
    server.pid = -1;
    return absl::InternalError(absl::StrCat("posix_spawn ", argv[0], " failed: ", spawned));
  }
  server.output = pipe_ends[0];
  return server;
}

// A TCP port on 127.0.0.1 that was free a moment ago, for a process whose ports must be known
// before it starts (HAProxy's configuration names them) and kept across its restarts.
inline int FreePort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address));
  socklen_t length = sizeof(address);
  getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  close(fd);
  return ntohs(address.sin_port);
}

// The number after `label` in a complete line of `text`, or 0.
inline int PortAfter(const std::string& text, const std::string& label) {
  const size_t at = text.find(label);
  if (at == std::string::npos || text.find('\n', at) == std::string::npos) return 0;
  return std::atoi(text.c_str() + at + label.size());
}

// Reads the server's stdout until it says it serves gRPC (within 60 s), and notes its ports.
// Errors: Internal, with what it said, when it exits or falls silent first.
inline absl::Status AwaitServing(ServerProcess& server, const std::string& log) {
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (true) {
    if ((server.port = PortAfter(server.said, "serving on port ")) != 0) {
      server.http_port = PortAfter(server.said, "web app on port ");
      return absl::OkStatus();
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        give_up - std::chrono::steady_clock::now());
    pollfd readable = {server.output, POLLIN, 0};
    char buffer[256];
    const ssize_t got = left.count() > 0 && poll(&readable, 1, static_cast<int>(left.count())) > 0
                            ? read(server.output, buffer, sizeof(buffer))
                            : -1;
    if (got <= 0) {
      return absl::InternalError(absl::StrCat(
          "verkenner-server did not report a port; output: ", server.said, "; see ", log));
    }
    server.said.append(buffer, static_cast<size_t>(got));
  }
}

// SpawnServer and AwaitServing.
inline absl::StatusOr<ServerProcess> StartServer(const std::vector<std::string>& arguments,
                                                 const std::string& log) {
  absl::StatusOr<ServerProcess> server = SpawnServer(arguments, log);
  if (!server.ok()) return server.status();
  if (absl::Status serving = AwaitServing(*server, log); !serving.ok()) return serving;
  return server;
}

// Waits for the server to exit; returns its wait status.
inline int WaitForExit(ServerProcess& server) {
  int status = 0;
  waitpid(server.pid, &status, 0);
  server.pid = -1;
  return status;
}

// The wait status of the server after `signal`.
inline int Signal(ServerProcess& server, int signal) {
  kill(server.pid, signal);
  return WaitForExit(server);
}

}  // namespace verkenner::testing

#endif  // VERKENNER_TESTS_INTEGRATION_SERVER_PROCESS_H_
