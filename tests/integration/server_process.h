#ifndef VERKENNER_TESTS_INTEGRATION_SERVER_PROCESS_H_
#define VERKENNER_TESTS_INTEGRATION_SERVER_PROCESS_H_

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
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

// One verkenner-server child process: its stdout is a pipe (for the port line), its stderr is
// appended to a log file in the test directory.
// A server still running when its ServerProcess goes (a failed assertion) is killed.
struct ServerProcess {
  ServerProcess() = default;
  ServerProcess(ServerProcess&& other) noexcept
      : pid(std::exchange(other.pid, -1)), output(other.output), port(other.port) {}
  ServerProcess& operator=(ServerProcess&&) = delete;
  ~ServerProcess() {
    if (pid < 0) return;
    kill(pid, SIGKILL);
    waitpid(pid, nullptr, 0);
    close(output);
  }

  pid_t pid = -1;
  int output = -1;
  int port = 0;
};

// Starts `arguments` (the verkenner-server binary first) with its stderr appended to `log`, and
// waits up to a minute for its "serving on port" line.
inline absl::StatusOr<ServerProcess> StartServerProcess(const std::vector<std::string>& arguments,
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
    return absl::InternalError(absl::StrCat("posix_spawn ", argv[0], " failed: ", spawned));
  }
  server.output = pipe_ends[0];

  constexpr char kServing[] = "serving on port ";
  std::string seen;
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (true) {
    const size_t at = seen.find(kServing);
    const size_t end = at == std::string::npos ? at : seen.find('\n', at);
    if (end != std::string::npos) {
      server.port = std::atoi(seen.c_str() + at + sizeof(kServing) - 1);
      return server;
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        give_up - std::chrono::steady_clock::now());
    pollfd readable = {server.output, POLLIN, 0};
    char buffer[256];
    const ssize_t got = left.count() > 0 && poll(&readable, 1, static_cast<int>(left.count())) > 0
                            ? read(server.output, buffer, sizeof(buffer))
                            : -1;
    if (got <= 0) {
      return absl::InternalError(
          absl::StrCat("verkenner-server did not report a port; output: ", seen, "; see ", log));
    }
    seen.append(buffer, static_cast<size_t>(got));
  }
}

// The wait status of the server after `signal`.
inline int Signal(ServerProcess& server, int signal) {
  kill(server.pid, signal);
  int status = 0;
  waitpid(server.pid, &status, 0);
  close(server.output);
  server.pid = -1;
  return status;
}

}  // namespace verkenner::testing

#endif  // VERKENNER_TESTS_INTEGRATION_SERVER_PROCESS_H_
