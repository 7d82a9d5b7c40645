// Runs the verkenner-generate executable as a user would: exit codes, messages, files.

#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "engine/refdata/reference_data.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "indexer/source_format.h"
#include "indexer/synthetic/synthetic_profile_generator.h"
#include "tests/program_run.h"

#ifndef VERKENNER_GENERATE_PATH
#error "VERKENNER_GENERATE_PATH must name the verkenner-generate executable"
#endif

namespace verkenner::indexer {
namespace {

using ::testing::HasSubstr;

class GenerateMainTest : public ::testing::Test {
 protected:
  void SetUp() override {
    directory_ = std::filesystem::path(::testing::TempDir()) /
                 absl::StrCat("generate_main_test_", getpid(), "_",
                              ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(directory_);
    std::filesystem::create_directories(directory_);
  }
  void TearDown() override { std::filesystem::remove_all(directory_); }

  // Runs verkenner-generate with `arguments` (shell syntax) and collects what it printed.
  ProgramRun Run(const std::string& arguments) {
    std::filesystem::path out = directory_ / "stdout";
    std::filesystem::path err = directory_ / "stderr";
    std::string command = absl::StrCat("'", VERKENNER_GENERATE_PATH, "' ", arguments, " >'",
                                       out.string(), "' 2>'", err.string(), "'");
    int status = std::system(command.c_str());
    ProgramRun result;
    result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    result.out = ReadWholeFile(out);
    result.err = ReadWholeFile(err);
    std::filesystem::remove(out);
    std::filesystem::remove(err);
    return result;
  }

  std::filesystem::path directory_;
};

TEST_F(GenerateMainTest, HelpExitsZeroAndListsTheOptions) {
  ProgramRun result = Run("--help");
  EXPECT_EQ(result.exit_code, 0);
  for (const char* option :
       {"--count", "--seed", "--format", "--output", "--invalid-share", "--refdata"}) {
    EXPECT_THAT(result.out, HasSubstr(option));
  }
}

TEST_F(GenerateMainTest, UsageErrorsExitTwoWithAMessage) {
  const char* cases[][2] = {
      {"", "--count is required"},
      {"--count 5", "--output is required"},
      {"--count five --output -", "--count"},
      {"--count 5 --output - --format xml", "--format"},
      {"--count 5 --output - --invalid-share 2", "--invalid-share"},
      {"--count 5 --output - --colour red", "unknown option --colour"},
      {"--count 5 --output - --seed", "--seed needs a value"},
      {"--count 5 --output - --sources GM9999", "GM9999"},
      {"--count 5 --output - --reference-date 2026-13-01", "--reference-date"},
  };
  for (const auto& [arguments, message] : cases) {
    ProgramRun result = Run(arguments);
    EXPECT_EQ(result.exit_code, 2) << arguments;
    EXPECT_THAT(result.err, HasSubstr(message)) << arguments;
    EXPECT_EQ(result.out, "") << arguments;
  }
}

TEST_F(GenerateMainTest, WritesTheSameBytesAsTheLibrary) {
  std::filesystem::path csv = directory_ / "profiles.csv";
  ProgramRun result =
      Run(absl::StrCat("--count 300 --seed 5 --invalid-share 0.1 --output '", csv.string(), "'"));
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_THAT(result.err, HasSubstr("wrote 300 profiles"));

  auto reference = engine::ReferenceData::Load(engine::ReferenceData::DefaultDirectory());
  ASSERT_TRUE(reference.ok()) << reference.status();
  SyntheticProfileGenerator::Options options;
  options.seed = 5;
  options.invalid_share = 0.1;
  auto generator = SyntheticProfileGenerator::Create(
      *reference, engine::ReferenceData::DefaultDirectory(), options);
  ASSERT_TRUE(generator.ok()) << generator.status();
  std::string expected = FormatCsvHeader(';') + "\n";
  v1::SourceProfile profile;
  for (int i = 0; i < 300; ++i) {
    (*generator)->Next(&profile);
    AppendCsvRow(profile, ';', &expected);
    expected.push_back('\n');
  }
  EXPECT_EQ(ReadWholeFile(csv), expected);
  // Only the finished file is left, no temporary one.
  int files = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator(directory_)) {
    ++files;
  }
  EXPECT_EQ(files, 1);
}

TEST_F(GenerateMainTest, JsonLinesToStandardOutputHasOneProfilePerLine) {
  ProgramRun result = Run("--count 50 --format jsonl --seed 3 --output -");
  ASSERT_EQ(result.exit_code, 0) << result.err;
  std::istringstream lines(result.out);
  std::string line;
  int count = 0;
  while (std::getline(lines, line)) {
    v1::SourceProfile profile;
    EXPECT_TRUE(ParseJsonLine(line, &profile).ok()) << line;
    EXPECT_FALSE(profile.client_number().empty());
    ++count;
  }
  EXPECT_EQ(count, 50);
  EXPECT_EQ(Run("--count 50 --format jsonl --seed 3 --output -").out, result.out);
}

TEST_F(GenerateMainTest, CommaSeparatorAndSourcesAreHonoured) {
  ProgramRun result = Run("--count 20 --separator , --sources GM0344,GM0363 --output -");
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out.substr(0, result.out.find('\n')), FormatCsvHeader(','));
  std::istringstream lines(result.out);
  std::string line;
  std::getline(lines, line);
  while (std::getline(lines, line)) {
    EXPECT_TRUE(line.rfind("GM0344,", 0) == 0 || line.rfind("GM0363,", 0) == 0) << line;
  }
}

TEST_F(GenerateMainTest, FailuresToReadOrWriteExitOne) {
  ProgramRun missing_refdata = Run("--count 5 --output - --refdata /nonexistent/refdata");
  EXPECT_EQ(missing_refdata.exit_code, 1);
  EXPECT_THAT(missing_refdata.err, HasSubstr("/nonexistent/refdata"));

  ProgramRun unwritable = Run("--count 5 --output /nonexistent/directory/profiles.csv");
  EXPECT_EQ(unwritable.exit_code, 1);
  EXPECT_THAT(unwritable.err, HasSubstr("/nonexistent/directory"));
}

}  // namespace
}  // namespace verkenner::indexer
