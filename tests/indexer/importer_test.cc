#include "indexer/importer.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>

#include "absl/strings/str_cat.h"
#include "indexer/import_report_writer.h"
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
    pseudonymizer_ = std::move(*pseudonymizer);
    importer_ = std::make_unique<Importer>(reference_, pseudonymizer_, RetentionRule{},
                                           writer_.get(), nullptr);
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

  // Whether the index holds the profile of this row's client.
  bool Indexed(const v1::SourceProfile& profile) {
    auto held = writer_->ProfilesOfSource(profile.source());
    EXPECT_TRUE(held.ok()) << held.status();
    const std::string id = pseudonymizer_->ProfileId(profile.source(), profile.client_number());
    return held.ok() && std::find(held->begin(), held->end(), id) != held->end();
  }

  std::shared_ptr<const engine::ReferenceData> reference_;
  std::shared_ptr<const Pseudonymizer> pseudonymizer_;
  std::filesystem::path directory_;
  std::unique_ptr<IndexWriter> writer_;
  std::unique_ptr<Importer> importer_;
};

TEST_F(ImporterTest, ReimportUpdatesInsteadOfDuplicatingWhateverTheFormat) {
  std::vector<v1::SourceProfile> profiles = Generate(300);
  auto first = Import(WriteCsv("export.csv", profiles));
  ASSERT_TRUE(first.ok()) << first.status();
  // Some generated registrations ended long enough ago that retention is over.
  EXPECT_GT(first->expired, 0);
  EXPECT_EQ(first->created + first->expired, 300);
  EXPECT_EQ(first->updated, 0);
  EXPECT_EQ(first->received_rows, first->accepted_rows() + first->rejected_rows);
  EXPECT_EQ(writer_->DocumentCount(), first->created);

  // The same profiles again: nothing changes, and the report says so (unchanged, not updated).
  auto again = Import(WriteJsonLines("export.jsonl", profiles));
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->created, 0);
  EXPECT_EQ(again->updated, 0);
  EXPECT_EQ(again->unchanged, first->created);
  EXPECT_EQ(writer_->DocumentCount(), first->created);

  // One of them changed: that one is updated, the rest unchanged.
  size_t changed = 0;
  while (!Indexed(profiles[changed])) ++changed;
  profiles[changed].set_hours_min(0);
  profiles[changed].set_hours_max(profiles[changed].hours_max() == 40 ? 39 : 40);
  auto third = Import(WriteCsv("changed.csv", profiles));
  ASSERT_TRUE(third.ok()) << third.status();
  EXPECT_EQ(third->updated, 1);
  EXPECT_EQ(third->unchanged, first->created - 1);
}

TEST_F(ImporterTest, DeleteRowsWithdrawProfiles) {
  std::vector<v1::SourceProfile> profiles = Generate(50);
  ASSERT_TRUE(Import(WriteCsv("export.csv", profiles)).ok());

  const int64_t indexed = writer_->DocumentCount();
  std::vector<v1::SourceProfile> removals;
  for (const v1::SourceProfile& profile : profiles) {
    if (!profile.register_end().empty()) continue;  // only profiles certain to be indexed
    v1::SourceProfile removal;
    removal.set_source(profile.source());
    removal.set_client_number(profile.client_number());
    removal.set_action(v1::SOURCE_ACTION_DELETE);
    removals.push_back(removal);
    if (removals.size() == 10) break;
  }
  ASSERT_EQ(removals.size(), 10u);
  auto report = Import(WriteCsv("removals.csv", removals));
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->deleted, 10);
  EXPECT_EQ(report->rejected_rows, 0);
  EXPECT_EQ(writer_->DocumentCount(), indexed - 10);

  auto repeated = Import(WriteCsv("removals-again.csv", {removals.front()}));
  ASSERT_TRUE(repeated.ok()) << repeated.status();
  EXPECT_EQ(repeated->unchanged, 1);
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
  EXPECT_EQ(report->rejected_rows, spoiled);
  EXPECT_EQ(report->created, 400 - spoiled - report->expired);
  EXPECT_EQ(writer_->DocumentCount(), report->created);
  for (const RejectedRow& rejected : report->rejections) {
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

TEST_F(ImporterTest, SecondRowOfTheSameClientIsRejectedNamingTheFirst) {
  std::vector<v1::SourceProfile> profiles = Generate(5);
  profiles.push_back(profiles[1]);
  profiles.back().set_hours_max(40);
  auto report = Import(WriteCsv("export.csv", profiles));
  ASSERT_TRUE(report.ok()) << report.status();
  ASSERT_EQ(report->rejected_rows, 1);
  EXPECT_EQ(report->rejections[0].row, 6);
  EXPECT_EQ(report->rejections[0].field, "client_number");
  EXPECT_NE(report->rejections[0].reason.find("row 2"), std::string::npos);
}

TEST_F(ImporterTest, FullSyncWithdrawsTheSourcesAbsentProfilesOnly) {
  SyntheticProfileGenerator::Options options;
  options.seed = 5;
  options.sources = {"GM0344", "GM0363"};
  auto generator = SyntheticProfileGenerator::Create(
      reference_, engine::ReferenceData::DefaultDirectory(), options);
  ASSERT_TRUE(generator.ok()) << generator.status();
  std::vector<v1::SourceProfile> utrecht, amsterdam;
  while (utrecht.size() < 40 || amsterdam.size() < 20) {
    v1::SourceProfile profile;
    (*generator)->Next(&profile);
    profile.clear_register_end();  // keep retention out of this test
    if (profile.source() == "GM0344" && utrecht.size() < 40) utrecht.push_back(profile);
    if (profile.source() == "GM0363" && amsterdam.size() < 20) amsterdam.push_back(profile);
  }
  std::vector<v1::SourceProfile> everyone = utrecht;
  everyone.insert(everyone.end(), amsterdam.begin(), amsterdam.end());
  ASSERT_TRUE(Import(WriteCsv("all.csv", everyone)).ok());
  ASSERT_EQ(writer_->DocumentCount(), 60);

  // Utrecht's new export: 30 of its 40 clients, one row malformed, one row of Amsterdam.
  std::vector<v1::SourceProfile> sync(utrecht.begin(), utrecht.begin() + 30);
  sync[0].set_postcode("not a postcode");
  sync.push_back(amsterdam[0]);
  Importer::Options sync_options;
  sync_options.today_day = kToday;
  sync_options.full_sync_source = "GM0344";
  auto report = importer_->ImportFile(WriteCsv("utrecht.csv", sync), sync_options);
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->withdrawn_absent, 10);
  EXPECT_EQ(report->rejected_rows, 2);  // the malformed row and the Amsterdam row
  // The malformed row's client keeps its profile; Amsterdam is untouched.
  EXPECT_EQ(writer_->DocumentCount(), 50);
  auto held = writer_->ProfilesOfSource("GM0363");
  ASSERT_TRUE(held.ok());
  EXPECT_EQ(held->size(), 20u);
}

// The proto's promise for a full sync: a row that is rejected, but whose client number could be
// read, keeps its client's profile. Also when the row breaks while it is parsed ("12 uur" where a
// number belongs), in either format.
TEST_F(ImporterTest, FullSyncKeepsTheProfileOfARowThatCouldNotBeParsed) {
  SyntheticProfileGenerator::Options options;
  options.seed = 5;
  options.sources = {"GM0344"};
  auto generator = SyntheticProfileGenerator::Create(
      reference_, engine::ReferenceData::DefaultDirectory(), options);
  ASSERT_TRUE(generator.ok()) << generator.status();
  std::vector<v1::SourceProfile> profiles(20);
  for (v1::SourceProfile& profile : profiles) {
    (*generator)->Next(&profile);
    profile.clear_register_end();  // keep retention out of this test
  }
  ASSERT_TRUE(Import(WriteCsv("all.csv", profiles)).ok());
  ASSERT_EQ(writer_->DocumentCount(), 20);

  // The export of 15 clients, the first with an unreadable number of hours.
  std::string csv = "source;client_number;postcode;hours_min\n";
  std::string jsonl;
  for (int i = 0; i < 15; ++i) {
    const v1::SourceProfile& p = profiles[i];
    const std::string hours = i == 0 ? "12 uur" : "12";
    absl::StrAppend(&csv, p.source(), ";", p.client_number(), ";", p.postcode(), ";", hours, "\n");
    absl::StrAppend(&jsonl, R"({"source":")", p.source(), R"(","client_number":")",
                    p.client_number(), R"(","postcode":")", p.postcode(), R"(","hours_min":")",
                    hours, "\"}\n");
  }
  const std::string files[] = {WriteFile("sync.csv", csv), WriteFile("sync.jsonl", jsonl)};
  for (const std::string& file : files) {
    Importer::Options sync_options;
    sync_options.today_day = kToday;
    sync_options.full_sync_source = "GM0344";
    auto report = importer_->ImportFile(file, sync_options);
    ASSERT_TRUE(report.ok()) << report.status();
    EXPECT_EQ(report->rejected_rows, 1) << file;
    ASSERT_EQ(report->rejections.size(), 1u);
    EXPECT_EQ(report->rejections[0].field, "hours_min");
    // Five clients are gone; the one whose row broke is not.
    EXPECT_EQ(report->withdrawn_absent, file == files[0] ? 5 : 0) << file;
    EXPECT_EQ(writer_->DocumentCount(), 15) << file;
    EXPECT_TRUE(Indexed(profiles[0])) << file;
  }
}

// One rule for case and white space, whatever the format: white space around a value does not
// count, and codes are matched ignoring case. The key is read the same way, so " gm0344" and
// "GM0344 " are one source and one client.
TEST_F(ImporterTest, CaseAndWhiteSpaceAroundValuesDoNotMakeADifferentClientOrARejection) {
  const std::string jsonl =
      R"({"source":"GM0344","client_number":"A-17","postcode":"3511 AB","days":["ma"," ","di"]})"
      "\n"
      R"({"source":" gm0344","client_number":"A-17 ","postcode":"3511AB"})"
      "\n"
      R"({"source":"uwv","client_number":" B-9","postcode":" 3511ab ","target_group":"Wajong ",)"
      R"("travel_mode":" OV","days":[" Ma","DI "],"support_needs":["Jobcoach"],)"
      R"("languages":["NL"," en "],"affinities":[" Techniek"],"education_level":"MBO 2 "})"
      "\n";
  auto report = Import(WriteFile("mixed.jsonl", jsonl));
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->created, 2);
  ASSERT_EQ(report->rejections.size(), 1u);
  EXPECT_EQ(report->rejections[0].row, 2);
  EXPECT_EQ(report->rejections[0].kind, RejectionKind::kDuplicate);  // the same client as row 1
  auto uwv = writer_->ProfilesOfSource("UWV");
  ASSERT_TRUE(uwv.ok());
  EXPECT_EQ(uwv->size(), 1u);

  // The same in CSV, where cells are text: the same two clients.
  const std::string csv =
      "source;client_number;postcode;days\n"
      " gm0344 ;A-17;3511AB;ma|di\n"
      "Uwv;B-9 ;3511 AB; ma |di\n";
  auto again = Import(WriteFile("mixed.csv", csv));
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->rejected_rows, 0);
  EXPECT_EQ(again->created, 0);
  EXPECT_EQ(writer_->DocumentCount(), 2);
}

// Free text that could carry personal data is left out of the index, not rejected, and the
// report counts it: a diploma with capitals, a skill that is a name, an unlisted occupation that
// is a sentence, wishes too long to scrub.
TEST_F(ImporterTest, FreeTextThatCouldCarryPersonalDataIsLeftOutAndCounted) {
  v1::SourceProfile profile = Generate(1)[0];
  profile.clear_register_end();
  profile.clear_diplomas();
  profile.add_diplomas("vca basis");
  profile.add_diplomas("Sociale Hygiëne");
  profile.clear_skills();
  profile.add_skills("samenwerken");
  profile.add_skills("Jan de Vries 0612345678");
  profile.clear_work_experience();
  profile.add_work_experience()->set_occupation("orderpicker");
  profile.add_work_experience()->set_occupation("Bij Bakkerij Jansen in Utrecht");
  profile.set_wishes(std::string(1500, 'a'));
  auto report = Import(WriteJsonLines("text.jsonl", {profile}));
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->created, 1);
  EXPECT_EQ(report->rejected_rows, 0);
  EXPECT_EQ(report->free_text_left_out, 4);
}

TEST_F(ImporterTest, FullSyncOfAFileWithoutAcceptedRowsWithdrawsNothing) {
  std::vector<v1::SourceProfile> profiles = Generate(30);
  ASSERT_TRUE(Import(WriteCsv("all.csv", profiles)).ok());
  const int64_t before = writer_->DocumentCount();
  Importer::Options sync_options;
  sync_options.today_day = kToday;
  sync_options.full_sync_source = profiles[0].source();
  auto report = importer_->ImportFile(WriteCsv("empty.csv", {}), sync_options);
  ASSERT_FALSE(report.ok());
  EXPECT_EQ(report.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(writer_->DocumentCount(), before);
}

TEST_F(ImporterTest, RerunOfAnInterruptedImportResumesAfterTheLastCommittedRow) {
  std::vector<v1::SourceProfile> profiles = Generate(250);
  const std::string path = WriteCsv("export.csv", profiles);
  auto complete = Import(path);
  ASSERT_TRUE(complete.ok()) << complete.status();

  auto sha = FileSha256(path);
  ASSERT_TRUE(sha.ok());
  // Pretend an earlier run committed the first 100 rows and was killed: each shard's position
  // says so, and together they claim 90 created profiles.
  const int shards = writer_->shard_count();
  for (int i = 0; i < shards; ++i) {
    const int created = 90 / shards + (i == 0 ? 90 % shards : 0);
    IndexShardWriter& shard = writer_->shard(i);
    ASSERT_TRUE(shard.BeginBatch().ok());
    ASSERT_TRUE(shard
                    .CommitBatch({{ImportPositionKey(*sha),
                                   absl::StrCat("row=100 created=", created,
                                                " updated=0 withdrawn=0 unknown=0 done=0")}})
                    .ok());
  }
  auto resumed = Import(path);
  ASSERT_TRUE(resumed.ok()) << resumed.status();
  EXPECT_EQ(resumed->resumed_after_row, 100);
  EXPECT_EQ(resumed->received_rows, 250);
  // Rows 1-100 were not applied again: their counts come from the saved position.
  EXPECT_EQ(resumed->created, 90);
  // Only rows 101-250 were applied again, each equal to the profile the first run made.
  // Retention, independently: a registration that ended in year Y is kept through 31 December
  // of Y + 2, so on 2026-11-01 those that ended in 2023 or earlier have expired.
  int64_t kept_after_row_100 = 0;
  for (size_t i = 100; i < profiles.size(); ++i) {
    const std::string& end = profiles[i].register_end();
    if (end.empty() || std::stoi(end.substr(0, 4)) >= 2024) ++kept_after_row_100;
  }
  EXPECT_EQ(resumed->unchanged, kept_after_row_100);
  EXPECT_EQ(resumed->updated, 0);
  EXPECT_EQ(resumed->expired, complete->expired);
  auto position = writer_->GetMetadata(ImportPositionKey(*sha));
  ASSERT_TRUE(position.ok());
  EXPECT_NE(position->find("done=1"), std::string::npos) << *position;
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

// Malformed files: each gives a clear message, no crash, and nothing half-written: a file-level
// problem writes nothing, a row-level problem costs only that row.
TEST_F(ImporterTest, WrongSeparatorFailsTheFileWithAClearMessage) {
  std::string tabs = FormatCsvHeader(';');
  std::replace(tabs.begin(), tabs.end(), ';', '\t');
  auto report = Import(WriteFile("tabs.csv", tabs + "\nGM0344\tK-1\n"));
  ASSERT_FALSE(report.ok());
  EXPECT_EQ(report.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(report.status().message().find("header"), absl::string_view::npos)
      << report.status().message();
  EXPECT_EQ(writer_->DocumentCount(), 0);
}

TEST_F(ImporterTest, TruncatedLastLineCostsOnlyThatRow) {
  std::vector<v1::SourceProfile> profiles = Generate(20);
  for (v1::SourceProfile& profile : profiles) profile.clear_register_end();
  std::string csv = FormatCsvHeader(';') + "\n";
  for (const v1::SourceProfile& profile : profiles) {
    AppendCsvRow(profile, ';', &csv);
    csv.push_back('\n');
  }
  csv.resize(csv.size() - 60);  // the export was cut off in the middle of the last row
  auto report = Import(WriteFile("cut.csv", csv));
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->rejected_rows, 1);
  EXPECT_EQ(report->rejections[0].row, 20);
  EXPECT_EQ(writer_->DocumentCount(), 19);

  // Cut inside a quoted field: the quote is never closed.
  auto quoted = Import(WriteFile("cut-quote.csv", FormatCsvHeader(';') + "\nGM0344;\"K-1"));
  ASSERT_TRUE(quoted.ok()) << quoted.status();
  EXPECT_EQ(quoted->rejected_rows, 1);
  EXPECT_NE(quoted->rejections[0].reason.find("not closed"), std::string::npos)
      << quoted->rejections[0].reason;
}

TEST_F(ImporterTest, InvalidUtf8IsRejectedNamingTheField) {
  std::vector<v1::SourceProfile> profiles = Generate(3);
  for (v1::SourceProfile& profile : profiles) profile.clear_register_end();
  profiles[1].set_last_name("Jans\xE9n");  // Latin-1, as an old export might be
  auto report = Import(WriteCsv("latin1.csv", profiles));
  ASSERT_TRUE(report.ok()) << report.status();
  ASSERT_EQ(report->rejected_rows, 1);
  EXPECT_EQ(report->rejections[0].row, 2);
  EXPECT_EQ(report->rejections[0].field, "last_name");
  EXPECT_NE(report->rejections[0].reason.find("UTF-8"), std::string::npos);
  EXPECT_EQ(writer_->DocumentCount(), 2);
}

TEST_F(ImporterTest, TenMegabyteLineIsRejectedAndReadingGoesOn) {
  std::vector<v1::SourceProfile> profiles = Generate(3);
  for (v1::SourceProfile& profile : profiles) profile.clear_register_end();
  v1::SourceProfile huge = profiles[1];
  huge.set_wishes(std::string(10 << 20, 'x'));
  for (const bool json : {false, true}) {
    std::vector<v1::SourceProfile> rows = {profiles[0], huge, profiles[2]};
    auto report = Import(json ? WriteJsonLines("huge.jsonl", rows) : WriteCsv("huge.csv", rows));
    ASSERT_TRUE(report.ok()) << report.status();
    EXPECT_EQ(report->received_rows, 3) << json;
    ASSERT_EQ(report->rejected_rows, 1) << json;
    EXPECT_EQ(report->rejections[0].row, 2) << json;
    EXPECT_NE(report->rejections[0].reason.find("longer than"), std::string::npos)
        << report->rejections[0].reason;
    EXPECT_EQ(report->rejections[0].reason.find("xxxx"), std::string::npos);
  }
  EXPECT_EQ(writer_->DocumentCount(), 2);
}

// An importer account imports its own source only (Options::only_source): another source's row
// is rejected as a mismatch and changes nothing, the own source's rows go in.
TEST_F(ImporterTest, OnlySourceRejectsRowsOfAnotherSource) {
  std::vector<v1::SourceProfile> profiles = Generate(2);
  for (v1::SourceProfile& profile : profiles) profile.clear_register_end();
  profiles[0].set_source("GM0344");
  profiles[1].set_source("UWV");
  Importer::Options options;
  options.today_day = kToday;
  options.only_source = "GM0344";
  auto report = importer_->ImportFile(WriteCsv("mixed.csv", profiles), options);
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->created, 1);
  ASSERT_EQ(report->rejections.size(), 1u);
  EXPECT_EQ(report->rejections[0].row, 2);
  EXPECT_EQ(report->rejections[0].field, "source");
  EXPECT_EQ(report->rejections[0].kind, RejectionKind::kSourceMismatch);
  EXPECT_EQ(writer_->DocumentCount(), 1);
}

// The kind of a rejected record is what the reader found, not a guess from its message: a record
// over the size limit is kTooLong in both formats, a record that does not parse kBadFormat.
TEST_F(ImporterTest, AnOversizedRecordIsTooLongAndABrokenOneBadFormat) {
  std::vector<v1::SourceProfile> profiles = Generate(3);
  for (v1::SourceProfile& profile : profiles) profile.clear_register_end();
  v1::SourceProfile huge = profiles[1];
  huge.set_wishes(std::string(kMaxSourceRecordBytes, 'x'));
  for (const bool json : {false, true}) {
    std::vector<v1::SourceProfile> rows = {profiles[0], huge, profiles[2]};
    auto report = Import(json ? WriteJsonLines("huge.jsonl", rows) : WriteCsv("huge.csv", rows));
    ASSERT_TRUE(report.ok()) << report.status();
    ASSERT_EQ(report->rejections.size(), 1u) << json;
    EXPECT_EQ(report->rejections[0].kind, RejectionKind::kTooLong) << json;
  }
  const std::string broken =
      WriteFile("broken.jsonl", *FormatJsonLine(profiles[0]) + "\n{\"hours_min\": \"many\"}\n");
  auto report = Import(broken);
  ASSERT_TRUE(report.ok()) << report.status();
  ASSERT_EQ(report->rejections.size(), 1u);
  EXPECT_EQ(report->rejections[0].field, "hours_min");
  EXPECT_EQ(report->rejections[0].kind, RejectionKind::kBadFormat);
}

// An affinity off the documented list is never kept or dropped silently, whatever it looks
// like: a documented alias is mapped to its code, anything else rejects the row naming the
// field (and not the value).
TEST_F(ImporterTest, AffinitiesAreMappedThroughAliasesOrRejectedTheSameWayEveryTime) {
  std::vector<v1::SourceProfile> profiles = Generate(4);
  const std::vector<std::vector<std::string>> affinities = {
      {"Buiten werken", "magazijn"},  // aliases
      {"ruimtevaart"},                // shaped like a code, but none
      {"Ruimte-vaart"},               // not shaped like a code either
      {"techniek"}};
  for (size_t i = 0; i < profiles.size(); ++i) {
    profiles[i].clear_affinities();
    for (const std::string& affinity : affinities[i]) profiles[i].add_affinities(affinity);
  }
  for (const std::string name : {"export.csv", "export.jsonl"}) {
    auto report =
        Import(name == "export.csv" ? WriteCsv(name, profiles) : WriteJsonLines(name, profiles));
    ASSERT_TRUE(report.ok()) << report.status();
    EXPECT_EQ(report->rejected_rows, 2) << name;
    std::set<int64_t> rows;
    for (const RejectedRow& rejected : report->rejections) {
      EXPECT_EQ(rejected.field, "affinities") << name;
      EXPECT_EQ(rejected.kind, RejectionKind::kUnknownCode) << name;
      EXPECT_EQ(rejected.reason.find("uimte"), std::string::npos) << rejected.reason;
      rows.insert(rejected.row);
    }
    EXPECT_EQ(rows, (std::set<int64_t>{2, 3})) << name;
  }
}

TEST_F(ImporterTest, RejectedRowsReportHoldsRowsFieldsAndReasonsButNoValues) {
  std::vector<SyntheticDefect> defects;
  std::vector<v1::SourceProfile> profiles = Generate(200, 0.2, &defects);
  auto report = Import(WriteCsv("export.csv", profiles));
  ASSERT_TRUE(report.ok()) << report.status();
  ASSERT_GT(report->rejected_rows, 0);
  for (const std::string name : {"rejected.csv", "rejected.json"}) {
    const std::string path = (directory_ / name).string();
    ASSERT_TRUE(WriteRejectedRowsReport(*report, "export.csv", "", path).ok());
    std::ifstream in(path);
    const std::string content((std::istreambuf_iterator<char>(in)),
                              std::istreambuf_iterator<char>());
    EXPECT_NE(content.find("elfproef"), std::string::npos) << name;
    for (size_t i = 0; i < profiles.size(); ++i) {
      if (defects[i] == SyntheticDefect::kNone) continue;
      EXPECT_EQ(content.find(profiles[i].bsn()), std::string::npos) << name;
      EXPECT_EQ(content.find(profiles[i].client_number()), std::string::npos) << name;
    }
  }
}

}  // namespace
}  // namespace verkenner::indexer

namespace verkenner::indexer {
namespace {

// The shard count is a matter of speed only: the same file gives the same report and the same
// profiles with one shard as with three, including bad rows, duplicates and deletes.
TEST_F(ImporterTest, ShardCountChangesNothingButSpeed) {
  std::vector<v1::SourceProfile> profiles = Generate(400, /*invalid_share=*/0.05);
  profiles.push_back(profiles[10]);  // a duplicate client
  v1::SourceProfile withdrawal = profiles[20];
  withdrawal.set_action(v1::SOURCE_ACTION_DELETE);
  const std::string first_file = WriteCsv("first.csv", profiles);
  const std::string second_file = WriteCsv("second.csv", {withdrawal, profiles[30]});

  struct Outcome {
    std::vector<ImportReport> reports;
    std::set<std::string> profile_ids;
  };
  auto run = [&](int shards) {
    Outcome outcome;
    IndexWriter::Options writer_options;
    writer_options.shards_if_new = shards;
    const std::string path = (directory_ / ("index-" + std::to_string(shards))).string();
    auto writer = IndexWriter::Open(path, reference_, writer_options);
    EXPECT_TRUE(writer.ok()) << writer.status();
    auto pseudonymizer = Pseudonymizer::FromKey(std::string(32, 'k'));
    Importer importer(reference_, std::move(*pseudonymizer), RetentionRule{}, writer->get(),
                      nullptr);
    Importer::Options options;
    options.batch_size = 37;
    options.today_day = kToday;
    for (const std::string& file : {first_file, second_file}) {
      auto report = importer.ImportFile(file, options);
      EXPECT_TRUE(report.ok()) << report.status();
      outcome.reports.push_back(*report);
    }
    // Every profile: all have retention ending before the year 10000.
    auto all = (*writer)->ExpiredProfiles(/*today_day=*/3'000'000);
    EXPECT_TRUE(all.ok()) << all.status();
    outcome.profile_ids.insert(all->begin(), all->end());
    return outcome;
  };
  const Outcome one = run(1);
  const Outcome three = run(3);
  ASSERT_EQ(one.reports.size(), three.reports.size());
  for (size_t i = 0; i < one.reports.size(); ++i) {
    const ImportReport& a = one.reports[i];
    const ImportReport& b = three.reports[i];
    EXPECT_EQ(a.received_rows, b.received_rows);
    EXPECT_EQ(a.created, b.created);
    EXPECT_EQ(a.updated, b.updated);
    EXPECT_EQ(a.deleted, b.deleted);
    EXPECT_EQ(a.expired, b.expired);
    EXPECT_EQ(a.rejected_rows, b.rejected_rows);
    ASSERT_EQ(a.rejections.size(), b.rejections.size());
    for (size_t r = 0; r < a.rejections.size(); ++r) {
      EXPECT_EQ(a.rejections[r].row, b.rejections[r].row);
      EXPECT_EQ(a.rejections[r].field, b.rejections[r].field);
      EXPECT_EQ(a.rejections[r].reason, b.rejections[r].reason);
    }
    EXPECT_EQ(a.completeness_by_source.size(), b.completeness_by_source.size());
  }
  EXPECT_GT(one.reports[0].rejected_rows, 1)
      << "the test file should hold bad rows and a duplicate";
  EXPECT_EQ(one.reports[1].deleted, 1);
  EXPECT_GT(one.profile_ids.size(), 300u);
  EXPECT_EQ(one.profile_ids, three.profile_ids);
}

}  // namespace
}  // namespace verkenner::indexer
