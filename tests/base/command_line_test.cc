#include "base/command_line/command_line.h"

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/reflection.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

ABSL_FLAG(int64_t, test_count, 7, "how many, from 1 to 9");
ABSL_FLAG(std::string, test_output, "", "where to");
ABSL_FLAG(double, test_share, 0.5, "a share");
ABSL_FLAG(bool, test_verbose, false, "say more");
ABSL_FLAG(absl::Duration, test_grace, absl::Seconds(10), "how long");
ABSL_FLAG(std::optional<int64_t>, test_required, std::nullopt, "no default");

namespace verkenner::command_line {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

// Restores every test flag to its default, so tests do not see each other's values.
class CommandLineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::SetFlag(&FLAGS_test_count, 7);
    absl::SetFlag(&FLAGS_test_output, "");
    absl::SetFlag(&FLAGS_test_share, 0.5);
    absl::SetFlag(&FLAGS_test_verbose, false);
    absl::SetFlag(&FLAGS_test_grace, absl::Seconds(10));
    absl::SetFlag(&FLAGS_test_required, std::nullopt);
  }

  // Parses `arguments` as a command line of the program "tool".
  absl::StatusOr<ParsedArguments> Parse(std::vector<std::string> arguments) {
    arguments.insert(arguments.begin(), "tool");
    std::vector<char*> argv;
    for (std::string& argument : arguments) argv.push_back(argument.data());
    return ParseArguments(static_cast<int>(argv.size()), argv.data());
  }

  // The message of the usage error `arguments` make, or "" when they parse.
  std::string Error(std::vector<std::string> arguments) {
    absl::StatusOr<ParsedArguments> parsed = Parse(std::move(arguments));
    if (parsed.ok()) return "";
    EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument);
    return std::string(parsed.status().message());
  }
};

TEST_F(CommandLineTest, ValueAfterEqualsOrAsTheNextArgument) {
  ASSERT_TRUE(Parse({"--test_count=3", "--test_output", "out.csv", "-test_share=0.25"}).ok());
  EXPECT_EQ(absl::GetFlag(FLAGS_test_count), 3);
  EXPECT_EQ(absl::GetFlag(FLAGS_test_output), "out.csv");
  EXPECT_EQ(absl::GetFlag(FLAGS_test_share), 0.25);
}

TEST_F(CommandLineTest, DashInANameEqualsUnderscore) {
  ASSERT_TRUE(Parse({"--test-count=4"}).ok());
  EXPECT_EQ(absl::GetFlag(FLAGS_test_count), 4);
}

TEST_F(CommandLineTest, StandardStreamDashIsAValueAndAnArgument) {
  absl::StatusOr<ParsedArguments> parsed = Parse({"--test_output", "-", "-"});
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(absl::GetFlag(FLAGS_test_output), "-");
  EXPECT_THAT(parsed->positional, ElementsAre("-"));
}

TEST_F(CommandLineTest, BooleanFlagTakesNoNextArgument) {
  absl::StatusOr<ParsedArguments> parsed = Parse({"--test_verbose", "file"});
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_TRUE(absl::GetFlag(FLAGS_test_verbose));
  EXPECT_THAT(parsed->positional, ElementsAre("file"));
  ASSERT_TRUE(Parse({"--notest_verbose"}).ok());
  EXPECT_FALSE(absl::GetFlag(FLAGS_test_verbose));
  ASSERT_TRUE(Parse({"--test_verbose=true", "--test_verbose=false"}).ok());
  EXPECT_FALSE(absl::GetFlag(FLAGS_test_verbose));
  EXPECT_EQ(Error({"--notest_verbose=true"}), "--notest_verbose takes no value");
}

TEST_F(CommandLineTest, ArgumentsBetweenFlagsAndAfterDoubleDash) {
  absl::StatusOr<ParsedArguments> parsed =
      Parse({"first", "--test_count=2", "second", "--", "--test_count=5", "-x"});
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_THAT(parsed->positional, ElementsAre("first", "second", "--test_count=5", "-x"));
  EXPECT_EQ(absl::GetFlag(FLAGS_test_count), 2);
}

TEST_F(CommandLineTest, UsageErrorsNameTheFlagAsWritten) {
  EXPECT_EQ(Error({"--colour=red"}), "unknown option --colour");
  EXPECT_EQ(Error({"--no-such-thing"}), "unknown option --no-such-thing");
  EXPECT_EQ(Error({"--test-count=five"}), "--test-count: 'five' is not a whole number");
  EXPECT_EQ(Error({"--test_count", "9999999999999999999999"}),
            "--test_count: '9999999999999999999999' is not a whole number");
  EXPECT_EQ(Error({"--test_share=half"}), "--test_share: 'half' is not a number");
  EXPECT_EQ(Error({"--test_verbose=maybe"}), "--test_verbose: 'maybe' is not true or false");
  EXPECT_THAT(Error({"--test_grace=10"}), HasSubstr("--test_grace: '10' is not a duration"));
  EXPECT_EQ(Error({"--test_required=x"}), "--test_required: 'x' is not a whole number");
  EXPECT_EQ(Error({"--test_count"}), "--test_count needs a value");
  // Abseil's own flags are not the program's.
  ASSERT_NE(absl::FindCommandLineFlag("flagfile"), nullptr);
  EXPECT_EQ(Error({"--flagfile=x"}), "unknown option --flagfile");
}

TEST_F(CommandLineTest, HelpStopsParsing) {
  for (const char* help : {"--help", "-h", "-help"}) {
    absl::StatusOr<ParsedArguments> parsed = Parse({help, "--colour=red"});
    ASSERT_TRUE(parsed.ok()) << help;
    EXPECT_TRUE(parsed->help) << help;
  }
  absl::StatusOr<ParsedArguments> parsed = Parse({});
  ASSERT_TRUE(parsed.ok());
  EXPECT_FALSE(parsed->help);
  EXPECT_THAT(parsed->positional, IsEmpty());
}

// Every flag can come from the environment as VERKENNER_<NAME> (a container's settings, a
// secret's path), with one name for every program; the command line wins.
TEST_F(CommandLineTest, TheEnvironmentSetsAFlagAndTheCommandLineWins) {
  EXPECT_EQ(EnvironmentName(*absl::FindCommandLineFlag("test_count")), "VERKENNER_TEST_COUNT");
  setenv("VERKENNER_TEST_COUNT", "5", 1);
  setenv("VERKENNER_TEST_OUTPUT", "from-environment.csv", 1);
  ASSERT_TRUE(Parse({"--test_output=from-command-line.csv"}).ok());
  EXPECT_EQ(absl::GetFlag(FLAGS_test_count), 5);
  EXPECT_EQ(absl::GetFlag(FLAGS_test_output), "from-command-line.csv");
  setenv("VERKENNER_TEST_GRACE", "soon", 1);
  EXPECT_EQ(Error({}),
            "VERKENNER_TEST_GRACE (environment): 'soon' is not a duration such as "
            "500ms, 90s, 5m or 1h");
  unsetenv("VERKENNER_TEST_COUNT");
  unsetenv("VERKENNER_TEST_OUTPUT");
  unsetenv("VERKENNER_TEST_GRACE");
  absl::SetFlag(&FLAGS_test_count, 7);
  ASSERT_TRUE(Parse({}).ok());
  EXPECT_EQ(absl::GetFlag(FLAGS_test_count), 7) << "no variable, no change";
}

TEST_F(CommandLineTest, UsageListsTheFlagsWithHelpAndDefaults) {
  Program program{.name = "tool", .usage = "Usage: tool --test_count=N\n"};
  const std::string text = UsageText(program);
  EXPECT_EQ(text.rfind("Usage: tool --test_count=N\n", 0), 0u) << text;
  EXPECT_THAT(text, HasSubstr("  --test_count (default: 7)\n      how many, from 1 to 9\n"));
  EXPECT_THAT(text, HasSubstr("  --test_grace (default: 10s)\n"));
  // No default to show: no "(default: )".
  EXPECT_THAT(text, HasSubstr("  --test_output\n      where to\n"));
  EXPECT_THAT(text, HasSubstr("  --test_required\n"));
  EXPECT_THAT(text, Not(HasSubstr("flagfile")));

  program.spelling = FlagSpelling::kDashes;
  EXPECT_THAT(UsageText(program), HasSubstr("  --test-count (default: 7)\n"));
}

TEST(CommandLineDeathTest, HelpExitsZeroUsageErrorsExitTwo) {
  const Program program{.name = "tool",
                        .usage = "Usage: tool FILE",
                        .min_arguments = 1,
                        .max_arguments = 1,
                        .argument_name = "file"};
  auto run = [&](std::vector<std::string> arguments) {
    arguments.insert(arguments.begin(), "tool");
    std::vector<char*> argv;
    for (std::string& argument : arguments) argv.push_back(argument.data());
    ParseCommandLine(program, static_cast<int>(argv.size()), argv.data());
    std::exit(99);  // parsed: not what these cases expect
  };
  EXPECT_EXIT(run({"--help"}), ::testing::ExitedWithCode(0), "");
  EXPECT_EXIT(run({"--colour=red", "file"}), ::testing::ExitedWithCode(2),
              "tool: unknown option --colour\nTry 'tool --help'.\n");
  EXPECT_EXIT(run({}), ::testing::ExitedWithCode(2), "tool: missing file\n");
  EXPECT_EXIT(run({"a", "b"}), ::testing::ExitedWithCode(2), "tool: unexpected argument 'b'\n");
  EXPECT_EXIT(run({"a"}), ::testing::ExitedWithCode(99), "");
  EXPECT_EXIT(ExitWithUsageError(program, "--test_count must be from 1 to 9"),
              ::testing::ExitedWithCode(2), "tool: --test_count must be from 1 to 9\n");
}

TEST_F(CommandLineTest, FailureNamesTheProgramAndReturnsOne) {
  ::testing::internal::CaptureStderr();
  EXPECT_EQ(ReportFailure(Program{.name = "tool", .usage = ""},
                          absl::NotFoundError("cannot open refdata/postcodes.csv")),
            kExitFailure);
  EXPECT_EQ(::testing::internal::GetCapturedStderr(), "tool: cannot open refdata/postcodes.csv\n");
}

TEST(CommandLineDeathTest, RequirementsNameTheFlagInTheProgramsSpelling) {
  Program program{.name = "tool", .usage = ""};
  absl::SetFlag(&FLAGS_test_count, 0);
  EXPECT_EXIT(RequireAtLeast(program, FLAGS_test_count, int64_t{1}), ::testing::ExitedWithCode(2),
              "tool: --test_count must be at least 1\nTry 'tool --help'.\n");
  EXPECT_EXIT(RequireAbove(program, FLAGS_test_count, int64_t{0}), ::testing::ExitedWithCode(2),
              "--test_count must be more than 0\n");
  EXPECT_EXIT(
      ExitWithFlagError(program, absl::GetFlagReflectionHandle(FLAGS_test_output), "not host:port"),
      ::testing::ExitedWithCode(2), "tool: --test_output: not host:port\n");
  absl::SetFlag(&FLAGS_test_output, "");
  EXPECT_EXIT(RequireGiven(program, FLAGS_test_output), ::testing::ExitedWithCode(2),
              "tool: --test_output is required\n");
  absl::SetFlag(&FLAGS_test_required, std::nullopt);
  EXPECT_EXIT(RequireGiven(program, FLAGS_test_required), ::testing::ExitedWithCode(2),
              "tool: --test_required is required\n");
  program.spelling = FlagSpelling::kDashes;
  absl::SetFlag(&FLAGS_test_share, 1.5);
  EXPECT_EXIT(RequireInRange(program, FLAGS_test_share, 0.0, 1.0), ::testing::ExitedWithCode(2),
              "--test-share must be from 0 to 1\n");
  absl::SetFlag(&FLAGS_test_share, std::nan(""));
  EXPECT_EXIT(RequireInRange(program, FLAGS_test_share, 0.0, 1.0), ::testing::ExitedWithCode(2),
              "--test-share must be from 0 to 1\n");
  absl::SetFlag(&FLAGS_test_grace, absl::ZeroDuration());
  EXPECT_EXIT(RequireAbove(program, FLAGS_test_grace, absl::ZeroDuration()),
              ::testing::ExitedWithCode(2), "--test-grace must be more than 0\n");

  // Values inside the limits pass, the limits themselves included.
  absl::SetFlag(&FLAGS_test_count, 1);
  absl::SetFlag(&FLAGS_test_share, 1.0);
  absl::SetFlag(&FLAGS_test_grace, absl::Nanoseconds(1));
  RequireAtLeast(program, FLAGS_test_count, int64_t{1});
  RequireAbove(program, FLAGS_test_count, int64_t{0});
  RequireInRange(program, FLAGS_test_share, 0.0, 1.0);
  RequireAbove(program, FLAGS_test_grace, absl::ZeroDuration());
  absl::SetFlag(&FLAGS_test_output, "-");
  RequireGiven(program, FLAGS_test_output);
  absl::SetFlag(&FLAGS_test_required, 0);
  RequireGiven(program, FLAGS_test_required);
  absl::SetFlag(&FLAGS_test_share, 0.0);
  RequireInRange(program, FLAGS_test_share, 0.0, 1.0);
}

}  // namespace
}  // namespace verkenner::command_line
