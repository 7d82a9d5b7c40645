// The sharded index on disk: creation, routing, compaction into a new generation while a
// searcher is reading, and refusing directories that are not an index of this version.
#include "indexer/index_writer.h"

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <functional>
#include <set>

#include "absl/strings/str_cat.h"
#include "engine/index_layout.h"
#include "engine/schema.h"
#include "engine/searcher.h"

namespace verkenner::indexer {
namespace {

constexpr int64_t kToday = 20758;

class IndexWriterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto reference = engine::ReferenceData::Load(engine::ReferenceData::DefaultDirectory());
    ASSERT_TRUE(reference.ok()) << reference.status();
    reference_ = *reference;
    path_ =
        (std::filesystem::temp_directory_path() / ("verkenner-writer-" + std::to_string(getpid())))
            .string();
    std::filesystem::remove_all(path_);
  }
  void TearDown() override { std::filesystem::remove_all(path_); }

  std::unique_ptr<IndexWriter> OpenWriter(int shards) {
    IndexWriter::Options options;
    options.shards_if_new = shards;
    auto writer = IndexWriter::Open(path_, reference_, options);
    EXPECT_TRUE(writer.ok()) << writer.status();
    return writer.ok() ? std::move(*writer) : nullptr;
  }

  engine::CandidateRecord Record(const std::string& id) {
    engine::CandidateRecord record;
    record.profile_id = id;
    record.source = "GM0344";
    record.municipality_code = "GM0344";
    record.region_code = reference_->FindMunicipality("GM0344")->region_code;
    record.home = {52.09, 5.12};
    record.retain_until_day = kToday + 1000;
    record.display_payload = "payload of " + id;
    return record;
  }

  void AddProfiles(IndexWriter& writer, int count) {
    ASSERT_TRUE(writer.BeginBatch().ok());
    for (int i = 0; i < count; ++i) {
      ASSERT_TRUE(writer.Upsert(Record("profile-" + std::to_string(i))).ok());
    }
    ASSERT_TRUE(writer.CommitBatch().ok());
  }

  std::shared_ptr<const engine::ReferenceData> reference_;
  std::string path_;
};

TEST_F(IndexWriterTest, ANewIndexHasTheAskedShardsAndEachProfileLivesInItsOwnShard) {
  std::unique_ptr<IndexWriter> writer = OpenWriter(3);
  ASSERT_NE(writer, nullptr);
  EXPECT_EQ(writer->shard_count(), 3);
  AddProfiles(*writer, 60);
  EXPECT_EQ(writer->DocumentCount(), 60);
  int64_t in_shards = 0;
  for (int i = 0; i < 3; ++i) {
    EXPECT_GT(writer->shard(i).DocumentCount(), 0) << "shard " << i << " got nothing";
    in_shards += writer->shard(i).DocumentCount();
  }
  EXPECT_EQ(in_shards, 60);
  // Re-adding a profile replaces it in its own shard rather than adding a copy elsewhere.
  ASSERT_TRUE(writer->BeginBatch().ok());
  auto upserted = writer->Upsert(Record("profile-7"));
  ASSERT_TRUE(upserted.ok());
  EXPECT_EQ(*upserted, UpsertResult::kUnchanged);
  ASSERT_TRUE(writer->CommitBatch().ok());
  EXPECT_EQ(writer->DocumentCount(), 60);

  // Reopened, the index keeps its shard count whatever the options say.
  writer.reset();
  writer = OpenWriter(5);
  ASSERT_NE(writer, nullptr);
  EXPECT_EQ(writer->shard_count(), 3);
}

// An upsert that changes nothing writes nothing and says so; any change to the record is an
// update, stored.
TEST_F(IndexWriterTest, AnUpsertEqualToTheStoredProfileIsUnchangedAndAnyChangeAnUpdate) {
  std::unique_ptr<IndexWriter> writer = OpenWriter(1);
  ASSERT_NE(writer, nullptr);
  ASSERT_TRUE(writer->BeginBatch().ok());
  ASSERT_EQ(writer->Upsert(Record("p")).value_or(UpsertResult::kUnchanged), UpsertResult::kCreated);
  ASSERT_TRUE(writer->CommitBatch().ok());
  const int64_t revision = writer->shard(0).revision();

  ASSERT_TRUE(writer->BeginBatch().ok());
  EXPECT_EQ(writer->Upsert(Record("p")).value_or(UpsertResult::kCreated), UpsertResult::kUnchanged);
  ASSERT_TRUE(writer->CommitBatch().ok());
  // Nothing was written: the commit's change log (what replicas copy) names no document.
  Xapian::Database shard(writer->layout().shard_paths[0]);
  std::vector<Xapian::docid> documents;
  ASSERT_TRUE(engine::schema::DecodeChangedDocuments(
      shard.get_metadata(engine::schema::ChangesKey(revision + 1)), documents));
  EXPECT_TRUE(documents.empty());

  engine::CandidateRecord wishes = Record("p");
  wishes.wishes = "graag buiten werken";
  engine::CandidateRecord hours = Record("p");
  hours.hours_max = 12;
  engine::CandidateRecord payload = Record("p");
  payload.display_payload = "anders";
  for (const engine::CandidateRecord* changed : {&wishes, &hours, &payload}) {
    ASSERT_TRUE(writer->BeginBatch().ok());
    EXPECT_EQ(writer->Upsert(*changed).value_or(UpsertResult::kUnchanged), UpsertResult::kUpdated);
    ASSERT_TRUE(writer->CommitBatch().ok());
  }
  EXPECT_EQ(writer->DocumentCount(), 1);
}

// The writer remembers which profiles a shard may hold, to skip a look-up for new ones. Whatever
// it remembers, new and known profiles must come out right: after reopening, after withdrawing,
// and after a batch that was rolled back.
TEST_F(IndexWriterTest, NewAndKnownProfilesAreToldApartAcrossReopenWithdrawalAndRollback) {
  {
    std::unique_ptr<IndexWriter> writer = OpenWriter(2);
    ASSERT_NE(writer, nullptr);
    AddProfiles(*writer, 10);
  }
  std::unique_ptr<IndexWriter> writer = OpenWriter(2);
  ASSERT_NE(writer, nullptr);
  ASSERT_TRUE(writer->BeginBatch().ok());
  constexpr auto kCreated = UpsertResult::kCreated;
  constexpr auto kUnchanged = UpsertResult::kUnchanged;
  EXPECT_EQ(writer->Upsert(Record("profile-3")).value_or(kCreated), kUnchanged);  // held before
  EXPECT_EQ(writer->Withdraw("profile-4").value_or(false), true);
  EXPECT_EQ(writer->Withdraw("profile-4").value_or(true), false);
  EXPECT_EQ(writer->Upsert(Record("profile-4")).value_or(kUnchanged), kCreated);  // back again
  EXPECT_EQ(writer->Upsert(Record("profile-new")).value_or(kUnchanged), kCreated);
  EXPECT_EQ(writer->Upsert(Record("profile-new")).value_or(kCreated), kUnchanged);
  writer->AbortBatch();

  ASSERT_TRUE(writer->BeginBatch().ok());
  EXPECT_EQ(writer->Upsert(Record("profile-new")).value_or(kUnchanged), kCreated);  // rolled back
  EXPECT_EQ(writer->Withdraw("profile-never").value_or(true), false);
  ASSERT_TRUE(writer->CommitBatch().ok());
  EXPECT_EQ(writer->DocumentCount(), 11);
}

// Every commit records in its shard which documents it changed (engine/schema.h), which readers
// use to update their images; a rolled-back batch records nothing, and old entries are dropped.
TEST_F(IndexWriterTest, EveryCommitLogsTheDocumentsItChangedInItsShard) {
  std::unique_ptr<IndexWriter> writer = OpenWriter(1);
  ASSERT_NE(writer, nullptr);
  AddProfiles(*writer, 5);  // profile-0 .. profile-4: docids 1 .. 5
  Xapian::Database shard(writer->layout().shard_paths[0]);
  auto logged = [&](uint32_t revision) {
    shard.reopen();
    std::vector<Xapian::docid> documents;
    if (!engine::schema::DecodeChangedDocuments(
            shard.get_metadata(engine::schema::ChangesKey(revision)), documents)) {
      return std::string("none");
    }
    std::string text;
    for (Xapian::docid d : documents) text += std::to_string(d) + " ";
    return text;
  };
  const uint32_t added = static_cast<uint32_t>(shard.get_revision());
  EXPECT_EQ(logged(added), "1 2 3 4 5 ");

  ASSERT_TRUE(writer->BeginBatch().ok());
  ASSERT_TRUE(writer->Upsert(Record("profile-9")).ok());
  writer->AbortBatch();
  ASSERT_TRUE(writer->BeginBatch().ok());
  engine::CandidateRecord changed = Record("profile-2");
  changed.wishes = "graag buiten werken";
  ASSERT_TRUE(writer->Upsert(changed).ok());  // replaced under its docid
  ASSERT_TRUE(writer->Withdraw("profile-4").ok());
  ASSERT_TRUE(writer->Upsert(Record("profile-new")).ok());
  ASSERT_TRUE(writer->CommitBatch().ok());
  EXPECT_EQ(logged(added + 1), "3 5 6 ");  // profile-2, profile-4, then the new one
  ASSERT_TRUE(writer->UpdateDisclosureControl(engine::kDefaultMinimumGroupSize).ok());
  EXPECT_EQ(logged(added + 2), "") << "a commit that changed no document logs an empty list";

  for (uint32_t i = 0; i < engine::schema::kChangesKept; ++i) {
    ASSERT_TRUE(writer->BeginBatch().ok());
    ASSERT_TRUE(writer->CommitBatch().ok());
  }
  EXPECT_EQ(logged(added), "none") << "entries older than kChangesKept commits are dropped";
  EXPECT_EQ(logged(added + 2 + engine::schema::kChangesKept), "");
}

TEST_F(IndexWriterTest, CompactionSwitchesALiveSearcherToTheNewGeneration) {
  std::unique_ptr<IndexWriter> writer = OpenWriter(2);
  ASSERT_NE(writer, nullptr);
  AddProfiles(*writer, 40);
  ASSERT_TRUE(writer->UpdateDisclosureControl(5).ok());

  auto searcher = engine::Searcher::Open(path_, reference_);
  ASSERT_TRUE(searcher.ok()) << searcher.status();
  auto before = (*searcher)->GetProfile("profile-3", kToday);
  ASSERT_TRUE(before.ok()) << before.status();
  const std::string old_generation =
      std::filesystem::path(writer->layout().shard_paths[0]).parent_path().string();

  auto compacted = writer->Compact();
  ASSERT_TRUE(compacted.ok()) << compacted.status();
  EXPECT_GT(compacted->bytes_before, 0);
  EXPECT_GT(compacted->bytes_after, 0);
  EXPECT_EQ(writer->layout().generation, 2);
  EXPECT_FALSE(std::filesystem::exists(old_generation)) << "replaced generation left on disk";
  auto layout = engine::ReadIndexLayout(path_);
  ASSERT_TRUE(layout.ok());
  EXPECT_EQ(layout->generation, 2);

  // The searcher opened before the switch follows it, with the metadata (disclosure groups) too.
  auto after = (*searcher)->GetProfile("profile-3", kToday);
  ASSERT_TRUE(after.ok()) << after.status();
  EXPECT_EQ(after->record.display_payload, before->record.display_payload);
  EXPECT_EQ(after->shown_area_is_municipality, before->shown_area_is_municipality);
  EXPECT_EQ(*(*searcher)->DocumentCount(), 40);

  // The writer goes on writing into the new generation, and searchers see that too.
  ASSERT_TRUE(writer->BeginBatch().ok());
  ASSERT_TRUE(writer->Upsert(Record("profile-new")).ok());
  ASSERT_TRUE(writer->CommitBatch().ok());
  EXPECT_TRUE((*searcher)->GetProfile("profile-new", kToday).ok());
  EXPECT_EQ(*(*searcher)->DocumentCount(), 41);
}

TEST_F(IndexWriterTest, AWriterWhoseGuardSaysNoCommitsNothing) {
  // The writer lease's fence: once the guard fails, no batch, disclosure count or compaction
  // reaches the index, and the guard is asked again at every commit.
  std::atomic<bool> may_commit = true;
  IndexWriter::Options options;
  options.shards_if_new = 2;
  options.commit_guard = [&may_commit]() -> absl::Status {
    if (may_commit) return absl::OkStatus();
    return absl::FailedPreconditionError("the lease was lost");
  };
  auto opened = IndexWriter::Open(path_, reference_, options);
  ASSERT_TRUE(opened.ok()) << opened.status();
  IndexWriter& writer = **opened;
  AddProfiles(writer, 10);
  const int generation = writer.layout().generation;

  may_commit = false;
  ASSERT_TRUE(writer.BeginBatch().ok());
  ASSERT_TRUE(writer.Upsert(Record("profile-late")).ok());
  absl::Status committed = writer.CommitBatch();
  EXPECT_EQ(committed.code(), absl::StatusCode::kFailedPrecondition) << committed;
  EXPECT_EQ(writer.UpdateDisclosureControl(5).status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(writer.Compact().status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(writer.layout().generation, generation);
  EXPECT_EQ(engine::ReadIndexLayout(path_)->generation, generation);
  EXPECT_EQ(writer.GetMetadata(engine::kShownDetailsKey).value_or("?"), "");
  auto searcher = engine::Searcher::Open(path_, reference_);
  ASSERT_TRUE(searcher.ok()) << searcher.status();
  EXPECT_EQ(*(*searcher)->DocumentCount(), 10);
  EXPECT_FALSE((*searcher)->GetProfile("profile-late", kToday).ok());

  may_commit = true;  // the guard is asked at each commit, not once
  ASSERT_TRUE(writer.BeginBatch().ok());
  ASSERT_TRUE(writer.Upsert(Record("profile-late")).ok());
  ASSERT_TRUE(writer.CommitBatch().ok());
  EXPECT_EQ(*(*searcher)->DocumentCount(), 11);
}

TEST_F(IndexWriterTest, AWholeIndexBatchAsksTheGuardBeforeAnyShardCommits) {
  // A guard that says yes once, then no: the lease ran out as the batch began to commit. No
  // shard may commit then (asked per shard only, shard 0 did), and no index is created.
  std::atomic<int> yes_left = 0;
  IndexWriter::Options options;
  options.shards_if_new = 2;
  options.commit_guard = [&yes_left]() -> absl::Status {
    if (yes_left-- > 0) return absl::OkStatus();
    return absl::FailedPreconditionError("the lease was lost");
  };
  EXPECT_EQ(IndexWriter::Open(path_, reference_, options).status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_FALSE(engine::ReadIndexLayout(path_).ok()) << "created without the lease";

  yes_left = 1000;
  auto opened = IndexWriter::Open(path_, reference_, options);
  ASSERT_TRUE(opened.ok()) << opened.status();
  IndexWriter& writer = **opened;
  ASSERT_TRUE(writer.BeginBatch().ok());
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(writer.Upsert(Record(absl::StrCat("p", i))).ok());
  yes_left = 1;
  EXPECT_EQ(writer.CommitBatch().code(), absl::StatusCode::kFailedPrecondition);
  for (int i = 0; i < writer.shard_count(); ++i) {
    EXPECT_EQ(writer.shard(i).DocumentCount(), 0) << "shard " << i << " committed";
  }
}

// A batch over several shards is one step for searchers: while its shards commit one after the
// other, a searcher stays on the state before (the switch lock, as for a follower's change set),
// never on one with some of the batch's profiles.
TEST_F(IndexWriterTest, SearchersSeeAWholeIndexBatchOrNoneOfIt) {
  std::function<void()> between_shards;
  std::atomic<int> asked = 0;
  IndexWriter::Options options;
  options.shards_if_new = 2;
  // Asked for the batch, then before each shard's commit: the third time shard 0 has committed.
  options.commit_guard = [&]() -> absl::Status {
    if (++asked == 3 && between_shards != nullptr) between_shards();
    return absl::OkStatus();
  };
  auto opened = IndexWriter::Open(path_, reference_, options);
  ASSERT_TRUE(opened.ok()) << opened.status();
  IndexWriter& writer = **opened;
  AddProfiles(writer, 10);
  auto searcher = engine::Searcher::Open(path_, reference_);
  ASSERT_TRUE(searcher.ok()) << searcher.status();
  ASSERT_EQ(*(*searcher)->DocumentCount(), 10);

  int64_t seen_between = -1;
  between_shards = [&] { seen_between = *(*searcher)->DocumentCount(); };
  asked = 0;
  ASSERT_TRUE(writer.BeginBatch().ok());
  for (int i = 10; i < 30; ++i) ASSERT_TRUE(writer.Upsert(Record(absl::StrCat("p", i))).ok());
  ASSERT_TRUE(writer.CommitBatch().ok());
  EXPECT_EQ(asked, 3);
  EXPECT_EQ(seen_between, 10) << "the searcher saw shard 0's part of the batch alone";
  EXPECT_EQ(*(*searcher)->DocumentCount(), 30);
}

TEST_F(IndexWriterTest, CompactionNeedsEveryBatchClosed) {
  std::unique_ptr<IndexWriter> writer = OpenWriter(2);
  ASSERT_NE(writer, nullptr);
  ASSERT_TRUE(writer->BeginBatch().ok());
  auto compacted = writer->Compact();
  EXPECT_EQ(compacted.status().code(), absl::StatusCode::kFailedPrecondition);
  writer->AbortBatch();
}

TEST_F(IndexWriterTest, ADirectoryThatIsNotAnIndexOfThisVersionIsRefused) {
  std::filesystem::create_directories(path_);
  std::ofstream(std::filesystem::path(path_) / "iamglass") << "an old single-database index";
  auto writer = IndexWriter::Open(path_, reference_);
  ASSERT_FALSE(writer.ok());
  EXPECT_EQ(writer.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(writer.status().message().find("XAPIANDB"), absl::string_view::npos);

  auto searcher = engine::Searcher::Open(path_, reference_);
  EXPECT_EQ(searcher.status().code(), absl::StatusCode::kNotFound);
}

// Schema 8 only added a field that 7 lacks: a version 7 index is read as is and upgraded by its
// next writer, so that a program that knows only 7 refuses it from then on; 6 is refused.
TEST_F(IndexWriterTest, AnIndexOfTheLastVersionIsReadAndUpgradedByItsNextWriter) {
  {
    std::unique_ptr<IndexWriter> writer = OpenWriter(2);
    ASSERT_NE(writer, nullptr);
    AddProfiles(*writer, 5);
  }
  const std::vector<std::string> shards = engine::ReadIndexLayout(path_)->shard_paths;
  auto set_version = [&](const std::string& version) {
    for (const std::string& shard : shards) {
      Xapian::WritableDatabase database(shard, Xapian::DB_OPEN);
      database.set_metadata(engine::schema::kSchemaVersionKey, version);
      database.commit();
    }
  };
  auto versions = [&] {
    std::set<std::string> seen;
    for (const std::string& shard : shards) {
      seen.insert(Xapian::Database(shard).get_metadata(engine::schema::kSchemaVersionKey));
    }
    return seen;
  };
  ASSERT_EQ(engine::schema::kOldestReadableSchemaVersion, 7);
  set_version("7");
  auto searcher = engine::Searcher::Open(path_, reference_);
  ASSERT_TRUE(searcher.ok()) << searcher.status();
  EXPECT_EQ((*searcher)->DocumentCount().value_or(0), 5);
  searcher->reset();
  { ASSERT_NE(OpenWriter(2), nullptr); }
  EXPECT_EQ(versions(), std::set<std::string>{std::to_string(engine::schema::kSchemaVersion)});

  set_version("6");
  EXPECT_EQ(engine::Searcher::Open(path_, reference_).status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(IndexWriter::Open(path_, reference_).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST_F(IndexWriterTest, ASecondWriterIsRefusedWhileTheFirstHoldsTheIndex) {
  std::unique_ptr<IndexWriter> first = OpenWriter(2);
  ASSERT_NE(first, nullptr);
  auto second = IndexWriter::Open(path_, reference_);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), absl::StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace verkenner::indexer
