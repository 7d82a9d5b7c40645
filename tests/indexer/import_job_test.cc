// The import job both ways in use (verkenner-index and the import RPC): where the vault goes by
// default, which step a failure names, and the upkeep after an import.
#include "indexer/import_job.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "indexer/source_format.h"

namespace verkenner::indexer {
namespace {

constexpr int64_t kToday = 20758;  // 2026-11-01

TEST(DefaultVaultPathTest, SitsBesideTheIndexDirectoryWhateverItsSpelling) {
  EXPECT_EQ(DefaultVaultPath("/data/index"), "/data/index.vault");
  EXPECT_EQ(DefaultVaultPath("/data/index/"), "/data/index.vault");
  EXPECT_EQ(DefaultVaultPath("index"), "index.vault");
}

class ImportJobTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto reference = engine::ReferenceData::Load(engine::ReferenceData::DefaultDirectory());
    ASSERT_TRUE(reference.ok()) << reference.status();
    reference_ = *reference;
    auto pseudonymizer = Pseudonymizer::FromKey(std::string(32, 'k'));
    ASSERT_TRUE(pseudonymizer.ok());
    pseudonymizer_ = std::move(*pseudonymizer);
    directory_ = std::filesystem::temp_directory_path() /
                 ("verkenner-import-job-" + std::to_string(getpid()) + "-" +
                  ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(directory_);
    std::filesystem::create_directories(directory_);
    options_.index_path = (directory_ / "index").string();
    options_.today_day = kToday;
  }
  void TearDown() override { std::filesystem::remove_all(directory_); }

  std::string WriteCsv(const std::vector<v1::SourceProfile>& profiles) {
    std::string csv = FormatCsvHeader(kCsvSeparator) + "\n";
    for (const v1::SourceProfile& profile : profiles) {
      AppendCsvRow(profile, kCsvSeparator, &csv);
      csv.push_back('\n');
    }
    const std::string path = (directory_ / "import.csv").string();
    std::ofstream(path) << csv;
    return path;
  }

  static v1::SourceProfile Profile(const std::string& client_number) {
    v1::SourceProfile profile;
    profile.set_source("GM0344");
    profile.set_client_number(client_number);
    profile.set_postcode("3511 AB");
    return profile;
  }

  std::shared_ptr<const engine::ReferenceData> reference_;
  std::shared_ptr<const Pseudonymizer> pseudonymizer_;
  std::filesystem::path directory_;
  ImportJob::Options options_;
};

TEST_F(ImportJobTest, OpensTheVaultBesideTheIndexImportsAndRunsTheUpkeep) {
  ImportJob job(reference_, pseudonymizer_, options_);
  ASSERT_TRUE(job.Open().ok());
  EXPECT_EQ(job.vault_path(), (directory_ / "index.vault").string());
  auto report = job.ImportFile(WriteCsv({Profile("K-1"), Profile("K-2")}), {});
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->created, 2);
  ImportJob::Upkeep upkeep;
  ASSERT_TRUE(job.Finish(upkeep).ok());
  EXPECT_EQ(upkeep.expired_purged, 0);
  ASSERT_TRUE(upkeep.disclosure.has_value());
  EXPECT_EQ(upkeep.disclosure->k, options_.disclosure_k);
  EXPECT_FALSE(upkeep.compaction.has_value());  // not asked for
  EXPECT_EQ(job.writer().DocumentCount(), 2);
  EXPECT_TRUE(std::filesystem::exists(directory_ / "index.vault"));
}

// Every job ends with the retention sweep, also one that imports nothing (--sweep_only).
TEST_F(ImportJobTest, FinishPurgesProfilesWhoseRetentionEnded) {
  v1::SourceProfile ended = Profile("K-1");
  ended.set_register_end("2020-06-30");  // kept until 2022-12-31
  options_.today_day = 18628;            // 2021-01-01
  {
    ImportJob earlier(reference_, pseudonymizer_, options_);
    ASSERT_TRUE(earlier.Open().ok());
    ASSERT_TRUE(earlier.ImportFile(WriteCsv({ended, Profile("K-2")}), {}).ok());
    ImportJob::Upkeep upkeep;
    ASSERT_TRUE(earlier.Finish(upkeep).ok());
    EXPECT_EQ(upkeep.expired_purged, 0);
    EXPECT_EQ(earlier.writer().DocumentCount(), 2);
  }
  options_.today_day = kToday;
  ImportJob later(reference_, pseudonymizer_, options_);
  ASSERT_TRUE(later.Open().ok());
  ImportJob::Upkeep upkeep;
  ASSERT_TRUE(later.Finish(upkeep).ok());
  EXPECT_EQ(upkeep.expired_purged, 1);
  EXPECT_EQ(later.writer().DocumentCount(), 1);
}

TEST_F(ImportJobTest, CompactsOnlyWhenAsked) {
  options_.compact = true;
  ImportJob job(reference_, pseudonymizer_, options_);
  ASSERT_TRUE(job.Open().ok());
  ASSERT_TRUE(job.ImportFile(WriteCsv({Profile("K-1")}), {}).ok());
  ImportJob::Upkeep upkeep;
  ASSERT_TRUE(job.Finish(upkeep).ok());
  EXPECT_TRUE(upkeep.compaction.has_value());
  EXPECT_EQ(job.step(), ImportJob::Step::kCompaction);
}

TEST_F(ImportJobTest, AFailureNamesItsStep) {
  options_.vault_path = (directory_ / "no-such-directory" / "x.vault").string();
  ImportJob no_vault(reference_, pseudonymizer_, options_);
  EXPECT_FALSE(no_vault.Open().ok());
  EXPECT_EQ(no_vault.step(), ImportJob::Step::kOpenVault);

  // The index has one writer: a second job fails to open it (at once, without a writer_wait).
  options_.vault_path.clear();
  ImportJob first(reference_, pseudonymizer_, options_);
  ASSERT_TRUE(first.Open().ok());
  ImportJob second(reference_, pseudonymizer_, options_);
  EXPECT_FALSE(second.Open().ok());
  EXPECT_EQ(second.step(), ImportJob::Step::kOpenIndex);
  EXPECT_FALSE(second.ImportFile(WriteCsv({Profile("K-1")}), {}).ok());
}

}  // namespace
}  // namespace verkenner::indexer
