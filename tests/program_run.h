#ifndef VERKENNER_TESTS_PROGRAM_RUN_H_
#define VERKENNER_TESTS_PROGRAM_RUN_H_

// Runs one of the programs as a user would, for tests of exit codes and messages.

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace verkenner {

// What a program run left behind.
struct ProgramRun {
  int exit_code = -1;  // -1: killed by a signal
  std::string out;
  std::string err;
};

inline std::string ReadWholeFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream content;
  content << in.rdbuf();
  return content.str();
}

// Runs `binary` with `arguments` (no shell), standard input empty, and collects what it printed
// through the files "stdout" and "stderr" in `directory`.
inline ProgramRun RunProgram(std::string binary, std::vector<std::string> arguments,
                             const std::filesystem::path& directory) {
  const std::filesystem::path out = directory / "stdout";
  const std::filesystem::path err = directory / "stderr";
  const pid_t child = fork();
  if (child == 0) {
    if (std::freopen("/dev/null", "r", stdin) == nullptr ||
        std::freopen(out.c_str(), "w", stdout) == nullptr ||
        std::freopen(err.c_str(), "w", stderr) == nullptr) {
      _exit(126);
    }
    std::vector<char*> argv = {binary.data()};
    for (std::string& argument : arguments) argv.push_back(argument.data());
    argv.push_back(nullptr);
    execv(binary.c_str(), argv.data());
    _exit(127);
  }
  int status = 0;
  waitpid(child, &status, 0);
  ProgramRun run;
  run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  run.out = ReadWholeFile(out);
  run.err = ReadWholeFile(err);
  return run;
}

}  // namespace verkenner

#endif  // VERKENNER_TESTS_PROGRAM_RUN_H_
