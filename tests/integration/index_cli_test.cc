// verkenner-index's exit codes, which scripts act on: 0 all rows imported, 3 some rows rejected,
// 1 the import failed (nothing written), 2 a usage error.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <xapian.h>

#include <filesystem>
#include <fstream>

#include "engine/refdata/reference_data.h"
#include "indexer/source_format.h"
#include "indexer/synthetic/synthetic_profile_generator.h"

namespace verkenner {
namespace {

class IndexCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    directory_ = std::filesystem::temp_directory_path() /
                 ("verkenner-cli-" + std::to_string(getpid()) + "-" +
                  ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(directory_);
    std::filesystem::create_directories(directory_);
    std::ofstream(directory_ / "key", std::ios::binary) << std::string(32, 'k');
    chmod((directory_ / "key").c_str(), 0600);
  }
  void TearDown() override { std::filesystem::remove_all(directory_); }

  std::string WriteExport(int rows, double invalid_share) {
    auto reference = engine::ReferenceData::Load(engine::ReferenceData::DefaultDirectory());
    EXPECT_TRUE(reference.ok());
    indexer::SyntheticProfileGenerator::Options options;
    options.invalid_share = invalid_share;
    auto generator = indexer::SyntheticProfileGenerator::Create(
        *reference, engine::ReferenceData::DefaultDirectory(), options);
    EXPECT_TRUE(generator.ok());
    std::string csv = indexer::FormatCsvHeader(';') + "\n";
    v1::SourceProfile profile;
    for (int i = 0; i < rows; ++i) {
      (*generator)->Next(&profile);
      indexer::AppendCsvRow(profile, ';', &csv);
      csv.push_back('\n');
    }
    return Write("export.csv", csv);
  }

  std::string Write(const std::string& name, const std::string& content) {
    std::ofstream(directory_ / name) << content;
    return (directory_ / name).string();
  }

  // Runs verkenner-index with `args` after the index, vault and key flags; returns its exit code.
  int Run(std::vector<std::string> args, bool with_index = true) {
    std::vector<std::string> all;
    if (with_index) {
      all = {"--index=" + (directory_ / "index").string(),
             "--vault=" + (directory_ / "vault").string(),
             "--key_file=" + (directory_ / "key").string()};
    }
    all.insert(all.end(), args.begin(), args.end());
    pid_t child = fork();
    if (child == 0) {
      freopen("/dev/null", "w", stdout);
      freopen((directory_ / "stderr").c_str(), "w", stderr);
      std::vector<char*> argv = {const_cast<char*>(VERKENNER_INDEX_BINARY)};
      for (std::string& arg : all) argv.push_back(arg.data());
      argv.push_back(nullptr);
      execv(VERKENNER_INDEX_BINARY, argv.data());
      _exit(127);
    }
    int status = 0;
    waitpid(child, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

  int64_t Profiles() { return Xapian::Database((directory_ / "index").string()).get_doccount(); }

  std::filesystem::path directory_;
};

TEST_F(IndexCliTest, CleanFileExitsZero) {
  EXPECT_EQ(Run({WriteExport(50, 0)}), 0);
  EXPECT_GT(Profiles(), 0);
}

TEST_F(IndexCliTest, RejectedRowsExitThreeAfterImportingTheRest) {
  EXPECT_EQ(Run({WriteExport(200, 0.2)}), 3);
  EXPECT_GT(Profiles(), 100);
}

TEST_F(IndexCliTest, BadHeaderExitsOneAndWritesNothing) {
  EXPECT_EQ(Run({Write("bad.csv", "source;postcode\nGM0344;3511 AB\n")}), 1);
  EXPECT_EQ(Profiles(), 0);
}

TEST_F(IndexCliTest, MissingKeyFileExitsOneNamingTheFix) {
  std::filesystem::remove(directory_ / "key");
  EXPECT_EQ(Run({WriteExport(5, 0)}), 1);
  std::ifstream in(directory_ / "stderr");
  const std::string message((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_NE(message.find("openssl rand"), std::string::npos) << message;
}

TEST_F(IndexCliTest, UsageErrorsExitTwo) {
  EXPECT_EQ(Run({}, /*with_index=*/false), 2);
  EXPECT_EQ(Run({"--format=xml", "x.csv"}), 2);
}

}  // namespace
}  // namespace verkenner
