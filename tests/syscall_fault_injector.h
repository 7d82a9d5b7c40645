#ifndef VERKENNER_TESTS_SYSCALL_FAULT_INJECTOR_H_
#define VERKENNER_TESTS_SYSCALL_FAULT_INJECTOR_H_

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <string>

namespace verkenner::testing {

// Makes system calls of this very process fail, as a dying disk would: runs
// `strace -f -p <this process> -e inject=<injection>`, which follows every thread (also those
// started later) until Detach() or destruction. `injection` is strace's syntax, for example
// "fsync,fdatasync:error=EIO" or "pwrite64:error=ENOSPC:when=3+".
//
// Needs the right to trace this process (root, as in CI) and strace (scripts/setup installs it).
// Not thread-safe; one at a time per process.
class SyscallFaultInjector {
 public:
  explicit SyscallFaultInjector(const std::string& injection) {
    int pipe_fds[2];
    if (pipe(pipe_fds) != 0) {
      error_ = "pipe failed";
      return;
    }
    const std::string target = std::to_string(getpid());
    std::string calls = injection.substr(0, injection.find(':'));
    const std::string trace = "trace=" + calls;
    const std::string inject = "inject=" + injection;
    strace_ = fork();
    if (strace_ == 0) {
      dup2(pipe_fds[1], STDERR_FILENO);
      close(pipe_fds[0]);
      close(pipe_fds[1]);
      execlp("strace", "strace", "-f", "-p", target.c_str(), "-e", trace.c_str(), "-e",
             inject.c_str(), "-o", "/dev/null", static_cast<char*>(nullptr));
      _exit(127);
    }
    close(pipe_fds[1]);
    messages_ = fdopen(pipe_fds[0], "r");
    // strace says "Process N attached" once every thread is traced; only then do faults happen.
    char line[512];
    while (std::fgets(line, sizeof line, messages_) != nullptr) {
      const std::string text = line;
      if (text.find("attached") != std::string::npos) {
        attached_ = true;
        return;
      }
      error_ += text;
    }
    error_ = "strace did not attach (is it installed, and may this process be traced?): " + error_;
    Detach();
  }
  SyscallFaultInjector(const SyscallFaultInjector&) = delete;
  SyscallFaultInjector& operator=(const SyscallFaultInjector&) = delete;
  ~SyscallFaultInjector() { Detach(); }

  bool attached() const { return attached_; }
  const std::string& error() const { return error_; }

  // Stops injecting: strace detaches from every thread on SIGINT and exits.
  void Detach() {
    if (strace_ > 0) {
      kill(strace_, SIGINT);
      int status = 0;
      waitpid(strace_, &status, 0);
      strace_ = -1;
    }
    if (messages_ != nullptr) {
      std::fclose(messages_);
      messages_ = nullptr;
    }
    attached_ = false;
  }

 private:
  pid_t strace_ = -1;
  FILE* messages_ = nullptr;
  bool attached_ = false;
  std::string error_;
};

}  // namespace verkenner::testing

#endif  // VERKENNER_TESTS_SYSCALL_FAULT_INJECTOR_H_
