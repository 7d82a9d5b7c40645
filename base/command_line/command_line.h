#ifndef VERKENNER_BASE_COMMAND_LINE_COMMAND_LINE_H_
#define VERKENNER_BASE_COMMAND_LINE_COMMAND_LINE_H_

// One way to call every Verkenner program. Flags are Abseil flags (ABSL_FLAG in the program's
// main.cc), written --name=value or --name value; a dash in a flag name equals an underscore
// (--invalid-share is --invalid_share), and a boolean flag also reads --name and --noname.
// Positional arguments may come between flags; after "--" everything is positional.
//
//   VERKENNER_NAME   in the environment sets --name (--tls_cert: VERKENNER_TLS_CERT) for every
//                    program that has it; the command line wins
//   --help (or -h)   prints the usage on standard output and exits 0
//   a usage error    prints one line naming the flag or argument, and a pointer to --help, on
//                    standard error and exits 2: an unknown flag, a value the flag's type cannot
//                    parse, a flag without its value, too few or too many positional arguments,
//                    and whatever the program itself finds out of range (ExitWithUsageError)
//
// Abseil's own absl::ParseCommandLine is not used: it exits 1 on a malformed value, which scripts
// cannot tell from a failed run, and its --help exits 1 as well.
//
// Not thread-safe: call from main() before starting threads.

#include <cstddef>
#include <limits>
#include <string>
#include <vector>

#include "absl/flags/commandlineflag.h"
#include "absl/flags/flag.h"
#include "absl/flags/marshalling.h"
#include "absl/flags/reflection.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace verkenner::command_line {

// Exit codes every program shares; programs may add their own from 3 on.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;  // the run failed: a file, the index, the network
inline constexpr int kExitUsage = 2;    // the command line was wrong; nothing was done

// How --help spells flag names. Both spellings are accepted on the command line either way.
enum class FlagSpelling {
  kUnderscores,  // --http_max_connections, as Abseil names flags
  kDashes,       // --invalid-share, as verkenner-generate has always been called
};

// What a program tells the parser about itself.
struct Program {
  std::string name;  // as the user types it, e.g. "verkenner-admin"
  // What the program does, its synopsis lines and exit codes; --help prints it above the flags,
  // which it lists from the flag registry with their help texts and defaults.
  std::string usage;
  // Positional arguments accepted; fewer or more is a usage error.
  size_t min_arguments = 0;
  size_t max_arguments = 0;
  // What the positional arguments are, for "missing ..." messages: "command", "file".
  std::string argument_name = "argument";
  FlagSpelling spelling = FlagSpelling::kUnderscores;
};

inline constexpr size_t kAnyNumber = std::numeric_limits<size_t>::max();

// What ParseArguments found.
struct ParsedArguments {
  bool help = false;                    // --help was given; nothing after it was looked at
  std::vector<std::string> positional;  // in order, without argv[0]
};

// The environment variable that sets `flag`: VERKENNER_ and its name in capitals
// (--tls_cert: VERKENNER_TLS_CERT), the same for every program that has the flag.
std::string EnvironmentName(const absl::CommandLineFlag& flag);

// Sets the registered flags from the environment (EnvironmentName), then from `argv` (argv[0] is
// the program), so that the command line wins. Errors: InvalidArgument with a one-line message
// naming the variable or the flag as the user wrote it. Flags parsed before an error keep their
// new values. Does not check the number of positional arguments.
absl::StatusOr<ParsedArguments> ParseArguments(int argc, char** argv);

// The text --help prints: `program.usage`, then every registered flag of the program (Abseil's
// own excluded) by name, each with its help text and its default unless that is empty.
std::string UsageText(const Program& program);

// The entry point for mains: parses the command line; on --help prints UsageText and exits 0, on
// a usage error exits through ExitWithUsageError. Returns the positional arguments.
std::vector<std::string> ParseCommandLine(const Program& program, int argc, char** argv);

// Prints "NAME: MESSAGE" and "Try 'NAME --help'." on standard error and exits kExitUsage. For
// what only the program can check: a required flag, a value out of range, an unknown command.
[[noreturn]] void ExitWithUsageError(const Program& program, absl::string_view message);

// Prints "NAME: MESSAGE" on standard error and returns kExitFailure, for a main to return when
// the run failed (the reference data, a file, the network).
int ReportFailure(const Program& program, const absl::Status& status);

// Exits through ExitWithUsageError with "--NAME: PROBLEM", the flag named in the program's
// spelling: for a value only a later step finds wrong (an address that does not parse).
[[noreturn]] void ExitWithFlagError(const Program& program, const absl::CommandLineFlag& flag,
                                    absl::string_view problem);

// Exits through ExitWithUsageError with "--NAME must be REQUIREMENT", the flag named in the
// program's spelling. The Require functions below call it; a program calls them after
// ParseCommandLine for the limits its help texts state.
[[noreturn]] void ExitWithRequirement(const Program& program, const absl::CommandLineFlag& flag,
                                      absl::string_view requirement);

// Exits through ExitWithUsageError with "--NAME is required".
[[noreturn]] void ExitWithMissingFlag(const Program& program, const absl::CommandLineFlag& flag);

// The flag was given: a string flag is not empty, an optional one not unset.
template <typename T>
void RequireGiven(const Program& program, const absl::Flag<T>& flag) {
  if (absl::GetFlag(flag) == T{}) ExitWithMissingFlag(program, absl::GetFlagReflectionHandle(flag));
}

// The flag's value is at least `minimum` ("--shards must be at least 1").
template <typename T>
void RequireAtLeast(const Program& program, const absl::Flag<T>& flag, const T& minimum) {
  if (!(absl::GetFlag(flag) >= minimum)) {
    ExitWithRequirement(program, absl::GetFlagReflectionHandle(flag),
                        "at least " + absl::UnparseFlag<T>(minimum));
  }
}

// The flag's value is more than `bound` ("--import_idle_timeout must be more than 0").
template <typename T>
void RequireAbove(const Program& program, const absl::Flag<T>& flag, const T& bound) {
  if (!(absl::GetFlag(flag) > bound)) {
    ExitWithRequirement(program, absl::GetFlagReflectionHandle(flag),
                        "more than " + absl::UnparseFlag<T>(bound));
  }
}

// The flag's value lies in [minimum, maximum] ("--limit must be from 1 to 100"); NaN does not.
template <typename T>
void RequireInRange(const Program& program, const absl::Flag<T>& flag, const T& minimum,
                    const T& maximum) {
  const T value = absl::GetFlag(flag);
  if (!(value >= minimum && value <= maximum)) {
    ExitWithRequirement(
        program, absl::GetFlagReflectionHandle(flag),
        "from " + absl::UnparseFlag<T>(minimum) + " to " + absl::UnparseFlag<T>(maximum));
  }
}

}  // namespace verkenner::command_line

#endif  // VERKENNER_BASE_COMMAND_LINE_COMMAND_LINE_H_
