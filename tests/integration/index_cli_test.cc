// verkenner-index's exit codes, which scripts act on: 0 all rows imported, 3 some rows rejected,
// 1 the import failed (nothing written), 2 a usage error.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <xapian.h>

#include <filesystem>
#include <fstream>

#include "engine/index_layout.h"
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
      freopen((directory_ / "stdout").c_str(), "w", stdout);
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

  // What the last run printed on standard output.
  std::string Output() {
    std::ifstream in(directory_ / "stdout");
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  }

  // Each shard's committed revision, and a hash of the vault's bytes: what a run may change.
  std::string CommittedState() {
    auto layout = engine::ReadIndexLayout((directory_ / "index").string());
    EXPECT_TRUE(layout.ok()) << layout.status();
    std::string state;
    if (!layout.ok()) return state;
    for (const std::string& shard : layout->shard_paths) {
      state += std::to_string(Xapian::Database(shard).get_revision()) + " ";
    }
    std::ifstream vault(directory_ / "vault", std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(vault)),
                            std::istreambuf_iterator<char>());
    return state + "vault " + std::to_string(std::hash<std::string>()(bytes));
  }

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

// --check reports what an import would do, with the import's exit codes, and changes nothing:
// not the index (no shard commits), not the vault. Without --index it checks against an empty
// index.
TEST_F(IndexCliTest, CheckReportsWhatAnImportWouldDoAndChangesNothing) {
  const std::string clean = WriteExport(60, 0);
  ASSERT_EQ(Run({clean}), 0);
  const std::string imported = Output();
  const size_t counts = imported.find("rows: created ");
  ASSERT_NE(counts, std::string::npos) << imported;
  const int created = std::stoi(imported.substr(counts + 14));
  ASSERT_GT(created, 0);
  const int64_t profiles = Profiles();
  const std::string before = CommittedState();

  EXPECT_EQ(Run({"--check", clean}), 0);
  EXPECT_NE(Output().find("an import would have: created 0, updated 0, unchanged " +
                          std::to_string(created) + ", withdrawn 0"),
            std::string::npos)
      << Output();

  // A file with new clients and a bad row: exit 3 as the import would, still nothing changed.
  const std::string bad = Write("bad.csv",
                                "source;client_number;postcode;hours_min\n"
                                "GM0344;new-1;3511 AB;12\n"
                                "GM0344;new-2;3511 AB;12 uur\n");
  EXPECT_EQ(Run({"--check", bad}), 3);
  EXPECT_NE(Output().find("created 1, updated 0, unchanged 0, withdrawn 0, expired 0, rejected 1"),
            std::string::npos)
      << Output();
  EXPECT_NE(Output().find("rejected row 2: hours_min"), std::string::npos) << Output();
  // A full sync names its source as the rows may: in any case, with spaces around.
  EXPECT_EQ(Run({"--check", "--full_sync= gm0344", bad}), 3);
  EXPECT_NE(Output().find("created 1, updated 0, unchanged 0, withdrawn 0, expired 0, rejected 1"),
            std::string::npos)
      << Output();
  EXPECT_EQ(CommittedState(), before);
  EXPECT_EQ(Profiles(), profiles);

  // Against an empty index (no --index, no key needed): everything would be new.
  EXPECT_EQ(Run({"--check", bad}, /*with_index=*/false), 3);
  EXPECT_NE(Output().find("checking against an empty index"), std::string::npos) << Output();
  // An --index that is not there is not created.
  EXPECT_EQ(Run({"--check", "--index=" + (directory_ / "nothing").string(), clean},
                /*with_index=*/false),
            1);
  EXPECT_FALSE(std::filesystem::exists(directory_ / "nothing"));
  EXPECT_EQ(Run({"--check", "--publish", clean}), 2);
}

TEST_F(IndexCliTest, UsageErrorsExitTwo) {
  EXPECT_EQ(Run({}, /*with_index=*/false), 2);
  EXPECT_EQ(Run({"--format=xml", "x.csv"}), 2);
}

}  // namespace
}  // namespace verkenner
