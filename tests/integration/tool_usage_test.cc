// Every Verkenner program follows one command-line convention (base/command_line): --help prints
// what the tool does and its flags on standard output and exits 0; every usage error (unknown
// flag, malformed or out-of-range value, missing or surplus argument) exits 2 with a message on
// standard error that names the flag and points to --help. Runs the real executables.
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/program_run.h"

namespace verkenner {
namespace {

using ::testing::HasSubstr;

// One program and command lines that break its usage in each way.
struct Tool {
  std::string name;
  std::string binary;
  // A flag of the tool, given a value its type cannot parse. A boolean flag takes no value from
  // the next argument, so only --flag=value can be malformed.
  std::string malformed_flag;
  std::string malformed_value;
  bool malformed_flag_is_boolean = false;
  // A flag of the tool, given a well-formed value outside its limits, and the other arguments that
  // make the command line otherwise complete.
  std::string out_of_range_flag;
  std::string out_of_range_value;
  std::vector<std::string> otherwise_complete;
  // Flags --help must list.
  std::vector<std::string> listed_flags;
  // Whether the tool takes positional arguments; one that takes none refuses a surplus one.
  bool takes_arguments = false;
};

// Names the tool in test names and failure messages.
void PrintTo(const Tool& tool, std::ostream* out) { *out << tool.name; }

std::vector<Tool> Tools() {
  return {
      {.name = "verkenner-generate",
       .binary = VERKENNER_GENERATE_BINARY,
       .malformed_flag = "--count",
       .malformed_value = "five",
       .out_of_range_flag = "--invalid-share",
       .out_of_range_value = "2",
       .otherwise_complete = {"--count=5", "--output=-"},
       .listed_flags = {"--count", "--output", "--invalid-share", "--reference-date"}},
      {.name = "verkenner-index",
       .binary = VERKENNER_INDEX_BINARY,
       .malformed_flag = "--shards",
       .malformed_value = "many",
       .out_of_range_flag = "--format",
       .out_of_range_value = "xml",
       .otherwise_complete = {"--index=/nonexistent/index", "/nonexistent/export.csv"},
       .listed_flags = {"--index", "--full_sync", "--shards"},
       .takes_arguments = true},
      {.name = "verkenner-server",
       .binary = VERKENNER_SERVER_BINARY,
       .malformed_flag = "--search_threads",
       .malformed_value = "many",
       .out_of_range_flag = "--http_max_connections",
       .out_of_range_value = "0",
       .otherwise_complete = {"--index=/nonexistent/index", "--store=/nonexistent/store"},
       .listed_flags = {"--index", "--store", "--http_max_connections", "--shutdown_grace",
                        "--unknown_travel_km"}},
      {.name = "verkenner-search",
       .binary = VERKENNER_SEARCH_BINARY,
       .malformed_flag = "--limit",
       .malformed_value = "five",
       .out_of_range_flag = "--limit",
       .out_of_range_value = "0",
       .otherwise_complete = {"--server=127.0.0.1:1"},
       .listed_flags = {"--server", "--limit", "--token_file"}},
      {.name = "verkenner-admin",
       .binary = VERKENNER_ADMIN_BINARY,
       .malformed_flag = "--password_stdin",
       .malformed_value = "maybe",
       .malformed_flag_is_boolean = true,
       .out_of_range_flag = "--role",
       .out_of_range_value = "boss",
       .otherwise_complete = {"--store=/nonexistent/store", "--email=a@example.org",
                              "create-account"},
       .listed_flags = {"--store", "--email", "--role", "--password_stdin"},
       .takes_arguments = true},
  };
}

class ToolUsageTest : public ::testing::TestWithParam<Tool> {
 protected:
  void SetUp() override {
    directory_ = std::filesystem::temp_directory_path() /
                 absl::StrCat("verkenner-tool-usage-", getpid(), "-",
                              ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(directory_);
    std::filesystem::create_directories(directory_);
  }
  void TearDown() override { std::filesystem::remove_all(directory_); }

  ProgramRun Run(std::vector<std::string> arguments) {
    return RunProgram(GetParam().binary, std::move(arguments), directory_);
  }

  // The usage error contract: exit 2, nothing on standard output, and standard error names
  // `flag` and points to --help.
  void ExpectUsageError(const std::vector<std::string>& arguments, const std::string& flag) {
    const std::string command_line = absl::StrJoin(arguments, " ");
    ProgramRun outcome = Run(arguments);
    EXPECT_EQ(outcome.exit_code, 2) << command_line << "\n" << outcome.err;
    EXPECT_THAT(outcome.err, HasSubstr(flag)) << command_line;
    EXPECT_THAT(outcome.err, HasSubstr(GetParam().name + " --help")) << command_line;
    EXPECT_EQ(outcome.out, "") << command_line;
  }

  std::filesystem::path directory_;
};

TEST_P(ToolUsageTest, HelpPrintsTheUsageAndExitsZero) {
  const Tool& tool = GetParam();
  ProgramRun outcome = Run({"--help"});
  EXPECT_EQ(outcome.exit_code, 0) << outcome.err;
  EXPECT_EQ(outcome.err, "");
  EXPECT_THAT(outcome.out, HasSubstr(tool.name));
  for (const std::string& flag : tool.listed_flags) EXPECT_THAT(outcome.out, HasSubstr(flag));
}

TEST_P(ToolUsageTest, MalformedValueIsAUsageError) {
  const Tool& tool = GetParam();
  std::vector<std::string> arguments = tool.otherwise_complete;
  arguments.push_back(absl::StrCat(tool.malformed_flag, "=", tool.malformed_value));
  ExpectUsageError(arguments, tool.malformed_flag);
  if (tool.malformed_flag_is_boolean) return;
  // The same value given as the next argument.
  arguments.back() = tool.malformed_flag;
  arguments.push_back(tool.malformed_value);
  ExpectUsageError(arguments, tool.malformed_flag);
}

TEST_P(ToolUsageTest, UnknownFlagIsAUsageError) {
  std::vector<std::string> arguments = GetParam().otherwise_complete;
  arguments.push_back("--no_such_flag=1");
  ExpectUsageError(arguments, "--no_such_flag");
}

TEST_P(ToolUsageTest, FlagWithoutItsValueIsAUsageError) {
  const Tool& tool = GetParam();
  // The flag last, so that nothing follows it that could be taken for its value.
  std::vector<std::string> arguments;
  for (const std::string& argument : tool.otherwise_complete) {
    if (argument.rfind("--", 0) == 0) arguments.push_back(argument);
  }
  arguments.push_back(tool.out_of_range_flag);
  ExpectUsageError(arguments, tool.out_of_range_flag);
}

TEST_P(ToolUsageTest, OutOfRangeValueIsAUsageError) {
  const Tool& tool = GetParam();
  std::vector<std::string> arguments = tool.otherwise_complete;
  arguments.push_back(absl::StrCat(tool.out_of_range_flag, "=", tool.out_of_range_value));
  ExpectUsageError(arguments, tool.out_of_range_flag);
}

TEST_P(ToolUsageTest, MissingOrSurplusArgumentIsAUsageError) {
  const Tool& tool = GetParam();
  if (tool.takes_arguments) {
    // Both tools with arguments need at least one (without --sweep_only for verkenner-index).
    std::vector<std::string> arguments;
    for (const std::string& argument : tool.otherwise_complete) {
      if (argument.rfind("--", 0) == 0) arguments.push_back(argument);
    }
    ProgramRun outcome = Run(arguments);
    EXPECT_EQ(outcome.exit_code, 2) << outcome.err;
    EXPECT_THAT(outcome.err, HasSubstr("--help"));
    return;
  }
  std::vector<std::string> arguments = tool.otherwise_complete;
  arguments.push_back("surplus");
  ExpectUsageError(arguments, "surplus");
}

INSTANTIATE_TEST_SUITE_P(AllTools, ToolUsageTest, ::testing::ValuesIn(Tools()));

}  // namespace
}  // namespace verkenner
