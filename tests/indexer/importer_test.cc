#include "indexer/importer.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "indexer/source_format.h"
#include "indexer/synthetic/synthetic_profile_generator.h"

namespace verkenner::indexer {
namespace {

constexpr int64_t kToday = 20758;  // 2026-11-01

class ImporterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto reference = engine::ReferenceData::Load(engine::ReferenceData::DefaultDirectory());
    ASSERT_TRUE(reference.ok()) << reference.status();
    reference_ = *reference;
    directory_ = std::filesystem::temp_directory_path() /
                 ("verkenner-importer-" + std::to_string(getpid()) + "-" +
                  ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(directory_);
    std::filesystem::create_directories(directory_);
    auto writer = IndexWriter::Open((directory_ / "index").string(), reference_);
    ASSERT_TRUE(writer.ok()) << writer.status();
    writer_ = std::move(*writer);
    auto pseudonymizer = Pseudonymizer::FromKey(std::string(32, 'k'));
    ASSERT_TRUE(pseudonymizer.ok());
    importer_ = std::make_unique<Importer>(reference_, std::move(*pseudonymizer), RetentionRule{},
                                           writer_.get());
  }

  void TearDown() override {
    importer_.reset();
    writer_.reset();
    std::filesystem::remove_all(directory_);
  }

  std::vector<v1::SourceProfile> Generate(int count, double invalid_share = 0,
                                          std::vector<SyntheticDefect>* defects = nullptr) {
    SyntheticProfileGenerator::Options options;
    options.seed = 11;
    options.invalid_share = invalid_share;
    auto generator = SyntheticProfileGenerator::Create(
        reference_, engine::ReferenceData::DefaultDirectory(), options);
    EXPECT_TRUE(generator.ok()) << generator.status();
    std::vector<v1::SourceProfile> profiles(count);
    for (v1::SourceProfile& profile : profiles) {
      (*generator)->Next(&profile);
      if (defects != nullptr) defects->push_back((*generator)->last_defect());
    }
    return profiles;
  }

  std::string WriteCsv(const std::string& name, const std::vector<v1::SourceProfile>& profiles) {
    std::string csv = FormatCsvHeader(kCsvSeparator) + "\n";
    for (const v1::SourceProfile& profile : profiles) {
      AppendCsvRow(profile, kCsvSeparator, &csv);
      csv.push_back('\n');
    }
    return WriteFile(name, csv);
  }

  std::string WriteJsonLines(const std::string& name,
                             const std::vector<v1::SourceProfile>& profiles) {
    std::string jsonl;
    for (const v1::SourceProfile& profile : profiles) {
      jsonl += *FormatJsonLine(profile) + "\n";
    }
    return WriteFile(name, jsonl);
  }

  std::string WriteFile(const std::string& name, const std::string& content) {
    const std::string path = (directory_ / name).string();
    std::ofstream(path, std::ios::binary) << content;
    return path;
  }

  absl::StatusOr<ImportReport> Import(const std::string& path) {
    Importer::Options options;
    options.batch_size = 100;
    options.today_day = kToday;
    return importer_->ImportFile(path, options);
  }

  std::shared_ptr<const engine::ReferenceData> reference_;
  std::filesystem::path directory_;
  std::unique_ptr<IndexWriter> writer_;
  std::unique_ptr<Importer> importer_;
};

TEST_F(ImporterTest, ReimportUpdatesInsteadOfDuplicatingWhateverTheFormat) {
  std::vector<v1::SourceProfile> profiles = Generate(300);
  auto first = Import(WriteCsv("export.csv", profiles));
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->created, 300);
  EXPECT_EQ(first->updated, 0);
  EXPECT_EQ(writer_->DocumentCount(), 300);

  auto again = Import(WriteJsonLines("export.jsonl", profiles));
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->created, 0);
  EXPECT_EQ(again->updated, 300);
  EXPECT_EQ(writer_->DocumentCount(), 300);
}

TEST_F(ImporterTest, DeleteRowsWithdrawProfiles) {
  std::vector<v1::SourceProfile> profiles = Generate(50);
  ASSERT_TRUE(Import(WriteCsv("export.csv", profiles)).ok());

  std::vector<v1::SourceProfile> removals;
  for (int i = 0; i < 10; ++i) {
    v1::SourceProfile removal;
    removal.set_source(profiles[i].source());
    removal.set_client_number(profiles[i].client_number());
    removal.set_action(v1::SOURCE_ACTION_DELETE);
    removals.push_back(removal);
  }
  removals.push_back(removals.front());  // already withdrawn by then
  auto report = Import(WriteCsv("removals.csv", removals));
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->withdrawn, 10);
  EXPECT_EQ(report->withdraw_unknown, 1);
  EXPECT_EQ(report->rejected, 0);
  EXPECT_EQ(writer_->DocumentCount(), 40);
}

TEST_F(ImporterTest, BadRowsAreRejectedWithoutTheirValuesAndGoodRowsGoIn) {
  std::vector<SyntheticDefect> defects;
  std::vector<v1::SourceProfile> profiles = Generate(400, 0.2, &defects);
  const int64_t spoiled = std::count_if(defects.begin(), defects.end(), [](SyntheticDefect defect) {
    return defect != SyntheticDefect::kNone;
  });
  ASSERT_GT(spoiled, 40);

  auto report = Import(WriteCsv("export.csv", profiles));
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->rejected, spoiled);
  EXPECT_EQ(report->created, 400 - spoiled);
  EXPECT_EQ(writer_->DocumentCount(), 400 - spoiled);
  for (const RejectedRow& rejected : report->rejected_rows) {
    ASSERT_GE(rejected.row, 1);
    ASSERT_LE(rejected.row, 400);
    EXPECT_FALSE(rejected.field.empty());
    const v1::SourceProfile& profile = profiles[rejected.row - 1];
    EXPECT_NE(defects[rejected.row - 1], SyntheticDefect::kNone) << "row " << rejected.row;
    for (const std::string* value : {&profile.bsn(), &profile.postcode(), &profile.birth_date(),
                                     &profile.last_name(), &profile.client_number()}) {
      if (!value->empty()) {
        EXPECT_EQ(rejected.reason.find(*value), std::string::npos) << rejected.field;
      }
    }
  }
}

TEST_F(ImporterTest, HeaderWithoutClientNumberFailsBeforeAnythingIsWritten) {
  auto report = Import(WriteFile("bad.csv", "source;postcode\nGM0344;3511 AB\n"));
  ASSERT_FALSE(report.ok());
  EXPECT_EQ(report.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(report.status().message().find("client_number"), absl::string_view::npos);
  EXPECT_EQ(writer_->DocumentCount(), 0);
}

TEST_F(ImporterTest, EmptyFileIsAnErrorAndMissingFileIsNotFound) {
  EXPECT_EQ(Import(WriteFile("empty.csv", "")).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Import((directory_ / "absent.csv").string()).status().code(),
            absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace verkenner::indexer
