// A replica of the index brought up to date by the writer's shard changes (issue 17): what it
// holds afterwards is what the writer holds, document by document under the same docids, with
// the same metadata; a damaged or cut-off copy of the changes is refused whole; changes apply
// only onto the revision they start from; a change log that does not reach back says so.
#include "indexer/shard_changes.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <map>
#include <set>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "engine/schema.h"
#include "engine/searcher.h"
#include "indexer/index_writer.h"
#include "tests/indexer/replica_test_support.h"

namespace verkenner::indexer {
namespace {

constexpr int kShards = 2;

class ShardChangesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto reference = engine::ReferenceData::Load(engine::ReferenceData::DefaultDirectory());
    ASSERT_TRUE(reference.ok()) << reference.status();
    reference_ = *reference;
    directory_ =
        std::filesystem::temp_directory_path() / absl::StrCat("verkenner-shard-changes-", getpid());
    std::filesystem::remove_all(directory_);
    std::filesystem::create_directories(directory_);
    // The writer's index with 30 profiles, and a replica made as a plain copy of it.
    writer_ = Open("writer");
    ASSERT_NE(writer_, nullptr);
    Write(*writer_, 30, {});
    ASSERT_TRUE(writer_->UpdateDisclosureControl(5).ok());
    ASSERT_TRUE(writer_->BeginBatch().ok());
    ASSERT_TRUE(writer_->CommitBatch({{"test.kept", "a"}, {"test.gone", "b"}}).ok());
    writer_.reset();
    std::filesystem::copy(directory_ / "writer", directory_ / "replica",
                          std::filesystem::copy_options::recursive);
    writer_ = Open("writer");
    replica_ = Open("replica");
    ASSERT_NE(replica_, nullptr);
  }
  void TearDown() override {
    writer_.reset();
    replica_.reset();
    std::filesystem::remove_all(directory_);
  }

  std::unique_ptr<IndexWriter> Open(const std::string& name) {
    IndexWriter::Options options;
    options.shards_if_new = kShards;
    auto writer = IndexWriter::Open((directory_ / name).string(), reference_, options);
    EXPECT_TRUE(writer.ok()) << writer.status();
    return writer.ok() ? std::move(*writer) : nullptr;
  }

  engine::CandidateRecord Record(const std::string& id, const std::string& payload) {
    return ReplicaTestRecord(*reference_, id, payload);
  }

  // One batch: profiles profile-0 .. count-1 (re)written with `payload`, then `withdrawn`.
  void Write(IndexWriter& writer, int count, const std::vector<std::string>& withdrawn,
             const std::string& payload = "v1") {
    ASSERT_TRUE(writer.BeginBatch().ok());
    for (int i = 0; i < count; ++i) {
      ASSERT_TRUE(writer.Upsert(Record(absl::StrCat("profile-", i), payload)).ok());
    }
    for (const std::string& id : withdrawn) ASSERT_TRUE(writer.Withdraw(id).ok());
    ASSERT_TRUE(writer.CommitBatch().ok());
  }

  std::vector<uint32_t> Revisions(IndexWriter& writer) {
    std::vector<uint32_t> revisions;
    for (int i = 0; i < kShards; ++i) revisions.push_back(writer.shard(i).revision());
    return revisions;
  }

  // Every shard's changes since `from`, through their bytes, applied to the replica.
  void Replicate(const std::vector<uint32_t>& from) {
    for (int i = 0; i < kShards; ++i) {
      auto changes = writer_->shard(i).ChangesSince(from[i]);
      ASSERT_TRUE(changes.ok()) << changes.status();
      auto decoded = DecodeShardChanges(EncodeShardChanges(*changes));
      ASSERT_TRUE(decoded.ok()) << decoded.status();
      absl::Status applied = replica_->shard(i).ApplyChanges(*decoded);
      ASSERT_TRUE(applied.ok()) << applied;
    }
  }

  void ExpectReplicaHoldsWhatTheWriterHolds() {
    for (int i = 0; i < kShards; ++i) {
      const std::string replica = ShardContents(replica_->layout().shard_paths[i]);
      const std::string writer = ShardContents(writer_->layout().shard_paths[i]);
      EXPECT_TRUE(replica == writer) << "shard " << i << ":\n" << LinesOnlyIn(replica, writer);
    }
  }

  std::shared_ptr<const engine::ReferenceData> reference_;
  std::filesystem::path directory_;
  std::unique_ptr<IndexWriter> writer_;
  std::unique_ptr<IndexWriter> replica_;
};

TEST_F(ShardChangesTest, AReplicaThatAppliesTheChangesHoldsWhatTheWriterHolds) {
  const std::vector<uint32_t> from = Revisions(*writer_);
  // Changed, new, withdrawn, and a profile that came and went between the two revisions.
  Write(*writer_, 35, {"profile-2", "profile-7"}, "v2");
  Write(*writer_, 0, {"profile-33"});
  ASSERT_TRUE(writer_->BeginBatch().ok());
  ASSERT_TRUE(writer_->Upsert(Record("passing", "v1")).ok());
  ASSERT_TRUE(writer_->CommitBatch().ok());
  ASSERT_TRUE(writer_->BeginBatch().ok());
  ASSERT_TRUE(writer_->Withdraw("passing").ok());
  ASSERT_TRUE(writer_->CommitBatch().ok());
  ASSERT_TRUE(writer_->UpdateDisclosureControl(5).ok());
  ASSERT_TRUE(writer_->BeginBatch().ok());
  ASSERT_TRUE(writer_->CommitBatch({{"test.kept", "c"}, {"test.gone", ""}}).ok());
  ASSERT_NE(ShardContents(replica_->layout().shard_paths[0]),
            ShardContents(writer_->layout().shard_paths[0]));

  Replicate(from);
  ExpectReplicaHoldsWhatTheWriterHolds();
  for (int i = 0; i < kShards; ++i) {
    auto held = replica_->shard(i).HeldPosition();
    ASSERT_TRUE(held.ok()) << held.status();
    EXPECT_EQ(held->revision, writer_->shard(i).revision());
    EXPECT_EQ(held->own_revision, replica_->shard(i).revision());
  }

  // A second round starts where the first ended, on the replica's own revisions.
  const std::vector<uint32_t> next = Revisions(*writer_);
  Write(*writer_, 3, {"profile-20"}, "v3");
  Replicate(next);
  ExpectReplicaHoldsWhatTheWriterHolds();

  // The replica's own change log names what each apply changed, so that its searchers update
  // their image by it; they find what the writer's find.
  auto on_replica = engine::Searcher::Open(replica_->layout().directory, reference_);
  auto on_writer = engine::Searcher::Open(writer_->layout().directory, reference_);
  ASSERT_TRUE(on_replica.ok() && on_writer.ok());
  EXPECT_EQ(*(*on_replica)->DocumentCount(), *(*on_writer)->DocumentCount());
  auto changed = (*on_replica)->GetProfile("profile-1", kToday);
  ASSERT_TRUE(changed.ok()) << changed.status();
  EXPECT_EQ(changed->record.display_payload, "payload of profile-1 v3");
  EXPECT_EQ((*on_replica)->GetProfile("profile-20", kToday).status().code(),
            absl::StatusCode::kNotFound);
  for (int i = 0; i < kShards; ++i) {
    Xapian::Database shard(replica_->layout().shard_paths[i]);
    std::vector<Xapian::docid> logged;
    EXPECT_TRUE(engine::schema::DecodeChangedDocuments(
        shard.get_metadata(engine::schema::ChangesKey(shard.get_revision())), logged));
  }
}

TEST_F(ShardChangesTest, ChangesApplyOnlyOntoTheRevisionTheyStartFrom) {
  const std::vector<uint32_t> from = Revisions(*writer_);
  Write(*writer_, 2, {}, "v2");
  std::vector<ShardChanges> changes;
  for (int i = 0; i < kShards; ++i) {
    auto shard_changes = writer_->shard(i).ChangesSince(from[i]);
    ASSERT_TRUE(shard_changes.ok()) << shard_changes.status();
    changes.push_back(*std::move(shard_changes));
  }
  ASSERT_TRUE(replica_->shard(0).ApplyChanges(changes[0]).ok());
  const std::string applied = ShardContents(replica_->layout().shard_paths[0]);
  const std::string untouched = ShardContents(replica_->layout().shard_paths[1]);
  const auto expect_refused = [&](int shard, const ShardChanges& refused, const char* why) {
    const absl::Status status = replica_->shard(shard).ApplyChanges(refused);
    EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition) << status;
    EXPECT_NE(status.message().find(why), std::string::npos) << status;
  };
  // Twice; onto another revision; another shard's; nothing changes.
  expect_refused(0, changes[0], "holds revision");
  ShardChanges later = changes[1];
  later.from_revision += 1;
  later.to_revision += 1;
  expect_refused(1, later, "holds revision");
  expect_refused(1, changes[0], "copies shard");
  EXPECT_EQ(ShardContents(replica_->layout().shard_paths[0]), applied);
  EXPECT_EQ(ShardContents(replica_->layout().shard_paths[1]), untouched);
}

TEST_F(ShardChangesTest, AReplicaWrittenByItselfTakesNoMoreChanges) {
  // It became the writer for a while, or someone imported into it directly: its contents are
  // no longer the writer's at any revision, so changes would make a mixture.
  std::vector<uint32_t> from = Revisions(*writer_);
  Write(*writer_, 2, {}, "v2");
  Replicate(from);
  from = Revisions(*writer_);
  Write(*writer_, 2, {}, "v3");
  ASSERT_TRUE(replica_->BeginBatch().ok());
  ASSERT_TRUE(replica_->Upsert(Record("local", "v1")).ok());
  ASSERT_TRUE(replica_->CommitBatch().ok());
  for (int i = 0; i < kShards; ++i) {
    auto changes = writer_->shard(i).ChangesSince(from[i]);
    ASSERT_TRUE(changes.ok()) << changes.status();
    const absl::Status refused = replica_->shard(i).ApplyChanges(*changes);
    EXPECT_EQ(refused.code(), absl::StatusCode::kFailedPrecondition) << refused;
    EXPECT_NE(refused.message().find("needs a new base"), std::string::npos) << refused;
  }
}

TEST_F(ShardChangesTest, MalformedChangesAreRefusedEvenWithAValidChecksum) {
  // Sealed by EncodeShardChanges, so the checksum holds and the decoder's own checks must act.
  const std::vector<uint32_t> from = Revisions(*writer_);
  Write(*writer_, 10, {"profile-4"}, "v2");
  auto good = writer_->shard(0).ChangesSince(from[0]);
  ASSERT_TRUE(good.ok()) << good.status();
  ASSERT_GE(good->documents.size(), 2u);
  std::vector<std::pair<std::string, ShardChanges>> malformed;
  malformed.emplace_back("backwards", *good).second.to_revision = good->from_revision - 1;
  malformed.emplace_back("no source", *good).second.source.clear();
  malformed.emplace_back("docid beyond the last", *good).second.documents.back().docid =
      good->last_docid + 1;
  malformed.emplace_back("docids descending", *good).second.documents[0].docid =
      good->documents[1].docid;
  malformed.emplace_back("a local key", *good)
      .second.metadata.emplace_back(engine::schema::kSourceRevisionKey, "x 1 1");
  malformed.emplace_back("a change-log entry", *good)
      .second.metadata.emplace_back(engine::schema::ChangesKey(99), "");
  for (const auto& [what, changes] : malformed) {
    EXPECT_EQ(DecodeShardChanges(EncodeShardChanges(changes)).status().code(),
              absl::StatusCode::kDataLoss)
        << what;
    EXPECT_EQ(replica_->shard(0).ApplyChanges(changes).code(), absl::StatusCode::kInvalidArgument)
        << what;
  }
  EXPECT_TRUE(DecodeShardChanges(EncodeShardChanges(*good)).ok());
}

TEST_F(ShardChangesTest, ADamagedOrCutOffCopyIsRefusedWhole) {
  const std::vector<uint32_t> from = Revisions(*writer_);
  Write(*writer_, 3, {"profile-4"}, "v2");
  auto changes = writer_->shard(0).ChangesSince(from[0]);
  ASSERT_TRUE(changes.ok()) << changes.status();
  const std::string bytes = EncodeShardChanges(*changes);
  int refused = 0;
  for (size_t at = 0; at < bytes.size(); ++at) {
    std::string flipped = bytes;
    flipped[at] = static_cast<char>(flipped[at] ^ 0x10);
    const auto decoded = DecodeShardChanges(flipped);
    EXPECT_EQ(decoded.status().code(), absl::StatusCode::kDataLoss) << "flipped byte " << at;
    refused += decoded.ok() ? 0 : 1;
  }
  for (size_t length = 0; length < bytes.size(); length += 7) {
    EXPECT_EQ(DecodeShardChanges(bytes.substr(0, length)).status().code(),
              absl::StatusCode::kDataLoss)
        << "cut off at " << length;
  }
  EXPECT_EQ(refused, static_cast<int>(bytes.size()));
  EXPECT_TRUE(DecodeShardChanges(bytes).ok());
}

TEST_F(ShardChangesTest, ALogThatDoesNotReachBackAsksForANewBase) {
  const std::vector<uint32_t> from = Revisions(*writer_);
  for (uint32_t i = 0; i <= engine::schema::kChangesKept; ++i) Write(*writer_, 1, {}, "v2");
  auto changes = writer_->shard(0).ChangesSince(from[0]);
  EXPECT_EQ(changes.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(changes.status().message().find("a replica needs a new base"), std::string::npos);
}

}  // namespace
}  // namespace verkenner::indexer
