// The writer's publication and a follower (indexer/index_publication.h, issue 17): a follower
// that starts empty installs the base, then applies each change set, and then holds what the
// writer holds, shard by shard; a damaged file is never used and the next round converges; what
// a publish that crashed left behind is cleaned up; a follower killed while it fetches a base
// keeps what it served; a new base (after enough change sets) is followed; an older writer's
// publication is refused; searchers never see half a change set.
#include "indexer/index_publication.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "engine/index_layout.h"
#include "engine/schema.h"
#include "engine/searcher.h"
#include "tests/indexer/replica_test_support.h"

namespace verkenner::indexer {
namespace {

namespace fs = std::filesystem;

constexpr int kShards = 2;

class IndexPublicationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto reference = engine::ReferenceData::Load(engine::ReferenceData::DefaultDirectory());
    ASSERT_TRUE(reference.ok()) << reference.status();
    reference_ = *reference;
    directory_ = fs::temp_directory_path() / absl::StrCat("verkenner-publication-", getpid());
    fs::remove_all(directory_);
    fs::create_directories(directory_);
    IndexWriter::Options options;
    options.shards_if_new = kShards;
    auto writer = IndexWriter::Open(WriterPath(), reference_, options);
    ASSERT_TRUE(writer.ok()) << writer.status();
    writer_ = std::move(*writer);
    Write(30, {}, "v1");
  }
  void TearDown() override {
    writer_.reset();
    fs::remove_all(directory_);
  }

  std::string WriterPath() const { return (directory_ / "writer").string(); }
  std::string FollowerPath() const { return (directory_ / "follower").string(); }

  void Write(int count, const std::vector<std::string>& withdrawn, const std::string& payload) {
    ASSERT_TRUE(writer_->BeginBatch().ok());
    for (int i = 0; i < count; ++i) {
      ASSERT_TRUE(
          writer_->Upsert(ReplicaTestRecord(*reference_, absl::StrCat("profile-", i), payload))
              .ok());
    }
    for (const std::string& id : withdrawn) ASSERT_TRUE(writer_->Withdraw(id).ok());
    ASSERT_TRUE(writer_->CommitBatch().ok());
  }

  Publication Publish(PublishOptions options = {}) {
    absl::StatusOr<Publication> published = indexer::Publish(*writer_, options);
    EXPECT_TRUE(published.ok()) << published.status();
    return published.ok() ? *published : Publication();
  }

  IndexFollower Follower(FetchPublished fetch = nullptr) {
    return IndexFollower({FollowerPath(),
                          fetch != nullptr ? std::move(fetch) : FetchFromDirectory(WriterPath()),
                          reference_});
  }

  void ExpectFollowerHoldsWhatTheWriterHolds() {
    auto follower = engine::ReadIndexLayout(FollowerPath());
    ASSERT_TRUE(follower.ok()) << follower.status();
    for (int i = 0; i < kShards; ++i) {
      const std::string replica = ShardContents(follower->shard_paths[i]);
      const std::string writer = ShardContents(writer_->layout().shard_paths[i]);
      EXPECT_TRUE(replica == writer) << "shard " << i << ":\n" << LinesOnlyIn(replica, writer);
    }
  }

  std::shared_ptr<const engine::ReferenceData> reference_;
  fs::path directory_;
  std::unique_ptr<IndexWriter> writer_;
};

TEST_F(IndexPublicationTest, AFollowerInstallsTheBaseThenAppliesEachChangeSet) {
  const Publication first = Publish();
  EXPECT_EQ(first.sequence, 1);
  EXPECT_EQ(first.base_sequence, 1);
  EXPECT_TRUE(first.change_sets.empty());
  IndexFollower follower = Follower();
  auto round = follower.CatchUp();
  ASSERT_TRUE(round.ok()) << round.status();
  EXPECT_TRUE(round->installed_base);
  EXPECT_EQ(round->sequence, 1);
  ExpectFollowerHoldsWhatTheWriterHolds();

  // Changed, new and withdrawn profiles, in two batches, published as one change set.
  Write(35, {"profile-3"}, "v2");
  Write(0, {"profile-31"}, "v2");
  const Publication second = Publish();
  EXPECT_EQ(second.sequence, 2);
  ASSERT_EQ(second.change_sets.size(), 1u);
  round = follower.CatchUp();
  ASSERT_TRUE(round.ok()) << round.status();
  EXPECT_FALSE(round->installed_base);
  EXPECT_EQ(round->applied_change_sets, 1);
  EXPECT_EQ(round->sequence, 2);
  ExpectFollowerHoldsWhatTheWriterHolds();

  // Nothing new: nothing to do. Searches on the follower find the writer's newest.
  round = follower.CatchUp();
  ASSERT_TRUE(round.ok()) << round.status();
  EXPECT_EQ(round->applied_change_sets, 0);
  auto searcher = engine::Searcher::Open(FollowerPath(), reference_);
  ASSERT_TRUE(searcher.ok()) << searcher.status();
  EXPECT_EQ(*(*searcher)->DocumentCount(), 33);
  auto changed = (*searcher)->GetProfile("profile-1", kToday);
  ASSERT_TRUE(changed.ok()) << changed.status();
  EXPECT_EQ(changed->record.display_payload, "payload of profile-1 v2");

  // A follower that starts late gets the base and every change set since.
  Write(2, {}, "v3");
  Publish();
  fs::remove_all(FollowerPath());
  IndexFollower late = Follower();
  round = late.CatchUp();
  ASSERT_TRUE(round.ok()) << round.status();
  EXPECT_TRUE(round->installed_base);
  EXPECT_EQ(round->applied_change_sets, 2);
  ExpectFollowerHoldsWhatTheWriterHolds();
}

TEST_F(IndexPublicationTest, ADamagedFileIsNeverUsedAndTheNextRoundConverges) {
  Publish();
  // Every byte of the base and of a change set, flipped in turn, would be refused; one flip of
  // each kind here, and each whole file cut short.
  const auto damaging = [&](std::string name_part, bool cut) -> FetchPublished {
    FetchPublished intact = FetchFromDirectory(WriterPath());
    return [=](const std::string& name) -> absl::StatusOr<std::string> {
      absl::StatusOr<std::string> bytes = intact(name);
      if (!bytes.ok() || name.find(name_part) == std::string::npos || bytes->empty()) {
        return bytes;
      }
      if (cut) return bytes->substr(0, bytes->size() - 1);
      (*bytes)[bytes->size() / 2] ^= 0x01;
      return bytes;
    };
  };
  for (bool cut : {false, true}) {
    IndexFollower broken = Follower(damaging("b1/s1/", cut));
    auto round = broken.CatchUp();
    EXPECT_EQ(round.status().code(), absl::StatusCode::kDataLoss) << round.status();
    EXPECT_FALSE(engine::ReadIndexLayout(FollowerPath()).ok()) << "a damaged base was installed";
  }
  IndexFollower follower = Follower();
  ASSERT_TRUE(follower.CatchUp().ok());
  const std::string before = ShardContents(engine::ReadIndexLayout(FollowerPath())->shard_paths[1]);

  Write(10, {"profile-2"}, "v2");
  Publish();
  for (std::string part : {"c2.s1", "MANIFEST"}) {
    IndexFollower broken = Follower(damaging(part, false));
    auto round = broken.CatchUp();
    EXPECT_EQ(round.status().code(), absl::StatusCode::kDataLoss) << part << ": " << round.status();
    EXPECT_EQ(ShardContents(engine::ReadIndexLayout(FollowerPath())->shard_paths[1]), before)
        << part;
  }
  auto round = follower.CatchUp();
  ASSERT_TRUE(round.ok()) << round.status();
  EXPECT_EQ(round->sequence, 2);
  ExpectFollowerHoldsWhatTheWriterHolds();
}

TEST_F(IndexPublicationTest, APublishThatCrashedLeavesNothingAFollowerWouldUse) {
  Publish();
  IndexFollower follower = Follower();
  ASSERT_TRUE(follower.CatchUp().ok());
  // A publish killed after its marker commit and its change set files, before the MANIFEST.
  Write(5, {}, "v2");
  ASSERT_TRUE(writer_->BeginBatch().ok());
  ASSERT_TRUE(writer_->CommitBatch({{engine::schema::kPublishedKey, "crashed:2@0"}}).ok());
  const fs::path published = fs::path(WriterPath()) / kPublicationDirectory;
  std::ofstream(published / "c2.s0") << "half a file";
  fs::create_directories(published / "b2" / "s0");
  auto round = follower.CatchUp();
  ASSERT_TRUE(round.ok()) << round.status();
  EXPECT_EQ(round->sequence, 1) << "the MANIFEST still names sequence 1 alone";

  // The next publish starts from the MANIFEST: the same sequence again, over what came since.
  Write(3, {"profile-20"}, "v3");
  const Publication next = Publish();
  EXPECT_EQ(next.sequence, 2);
  EXPECT_FALSE(fs::exists(published / "b2")) << "leftovers are removed";
  round = follower.CatchUp();
  ASSERT_TRUE(round.ok()) << round.status();
  EXPECT_EQ(round->sequence, 2);
  ExpectFollowerHoldsWhatTheWriterHolds();
}

TEST_F(IndexPublicationTest, ANewBaseIsFollowedAndAnOlderWriterIsNot) {
  PublishOptions options;
  options.max_change_sets = 2;
  options.epoch = 3;
  Publish(options);
  IndexFollower follower = Follower();
  ASSERT_TRUE(follower.CatchUp().ok());
  std::string lineage;
  for (int i = 0; i < 3; ++i) {
    Write(2 + i, {}, absl::StrCat("v", i));
    lineage = Publish(options).lineage;
  }
  // Sequence 4 is a new base (2 change sets followed the first): the follower installs it.
  auto round = follower.CatchUp();
  ASSERT_TRUE(round.ok()) << round.status();
  EXPECT_TRUE(round->installed_base);
  EXPECT_EQ(round->sequence, 4);
  ExpectFollowerHoldsWhatTheWriterHolds();

  // A writer of an older epoch (a process that lost the lease and did not know it yet).
  options.epoch = 2;
  Write(1, {}, "stale");
  Publish(options);
  round = follower.CatchUp();
  EXPECT_EQ(round.status().code(), absl::StatusCode::kFailedPrecondition) << round.status();
}

// A writer that takes the lease again (a new epoch) may hold states another writer published
// in between: it starts again with a base of its own, never a change set onto its old lineage.
TEST_F(IndexPublicationTest, ANewEpochStartsWithABase) {
  PublishOptions options;
  options.epoch = 1;
  const Publication first = Publish(options);
  Write(2, {}, "v2");
  EXPECT_EQ(Publish(options).change_sets.size(), 1u);
  options.epoch = 3;
  Write(2, {}, "v3");
  const Publication taken_again = Publish(options);
  EXPECT_EQ(taken_again.sequence, 3);
  EXPECT_EQ(taken_again.base_sequence, 3);
  EXPECT_TRUE(taken_again.change_sets.empty());
  EXPECT_NE(taken_again.lineage, first.lineage);
  IndexFollower follower = Follower();
  ASSERT_TRUE(follower.CatchUp().ok());
  ExpectFollowerHoldsWhatTheWriterHolds();
}

// A follower SIGKILLed in the middle of fetching a new base (the first shard's files written, the
// second's not) keeps serving the state it held: the stub names its old generation and searches
// find the old profiles. The next round removes the half-written generation and installs the
// base whole.
TEST_F(IndexPublicationTest, AFollowerKilledWhileFetchingABaseKeepsItsStateAndConverges) {
  PublishOptions options;
  options.epoch = 1;
  Publish(options);
  ASSERT_TRUE(Follower().CatchUp().ok());
  options.epoch = 2;  // a new writer: its first publication is a base
  Write(3, {"profile-9"}, "v2");
  ASSERT_EQ(Publish(options).base_sequence, 2);

  const pid_t child = fork();
  ASSERT_NE(child, -1);
  if (child == 0) {
    FetchPublished intact = FetchFromDirectory(WriterPath());
    IndexFollower dying = Follower([&](const std::string& name) {
      if (name.rfind("b2/s1/", 0) == 0) raise(SIGKILL);
      return intact(name);
    });
    (void)dying.CatchUp();
    _exit(0);  // not reached: the fetch kills the process
  }
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << "wait status " << status;
  auto layout = engine::ReadIndexLayout(FollowerPath());
  ASSERT_TRUE(layout.ok()) << layout.status();
  EXPECT_EQ(layout->generation, 1) << "the stub moved to a half-fetched base";
  EXPECT_TRUE(fs::exists(engine::MakeIndexLayout(FollowerPath(), 2, kShards).shard_paths[0]))
      << "the kill came before the base's first shard was written";
  {
    auto searcher = engine::Searcher::Open(FollowerPath(), reference_);
    ASSERT_TRUE(searcher.ok()) << searcher.status();
    EXPECT_EQ(*(*searcher)->DocumentCount(), 30);
  }

  auto round = Follower().CatchUp();
  ASSERT_TRUE(round.ok()) << round.status();
  EXPECT_TRUE(round->installed_base);
  EXPECT_EQ(round->sequence, 2);
  EXPECT_EQ(engine::ReadIndexLayout(FollowerPath())->generation, 2);
  ExpectFollowerHoldsWhatTheWriterHolds();
}

// A round that finds nothing new (most of them: a follower asks every second) leaves the index
// alone: it does not even open it for writing.
TEST_F(IndexPublicationTest, ARoundWithNothingNewDoesNotOpenTheIndex) {
  Publish();
  IndexFollower follower = Follower();
  ASSERT_TRUE(follower.CatchUp().ok());
  auto holding = IndexWriter::Open(FollowerPath(), reference_);  // takes Xapian's write lock
  ASSERT_TRUE(holding.ok()) << holding.status();
  auto round = follower.CatchUp();
  ASSERT_TRUE(round.ok()) << round.status();
  EXPECT_EQ(round->sequence, 1);
  EXPECT_EQ(round->applied_change_sets, 0);
  EXPECT_FALSE(round->installed_base);
  holding->reset();
  Write(3, {}, "v2");
  Publish();
  round = follower.CatchUp();
  ASSERT_TRUE(round.ok()) << round.status();
  EXPECT_EQ(round->sequence, 2);
  ExpectFollowerHoldsWhatTheWriterHolds();
}

TEST_F(IndexPublicationTest, SearchersDoNotMoveWhileAFollowerSwitches) {
  Publish();
  IndexFollower follower = Follower();
  ASSERT_TRUE(follower.CatchUp().ok());
  auto searcher = engine::Searcher::Open(FollowerPath(), reference_);
  ASSERT_TRUE(searcher.ok()) << searcher.status();
  ASSERT_EQ(*(*searcher)->DocumentCount(), 30);

  Write(40, {}, "v2");
  Publish();
  {
    // A follower applies change set 2 to shard 0 under the switch lock, and is killed before
    // shard 1: the searcher keeps its state while the lock is held.
    engine::IndexSwitchLock lock(FollowerPath());
    lock.Exclusive();
    auto applying = IndexWriter::Open(FollowerPath(), reference_);
    ASSERT_TRUE(applying.ok()) << applying.status();
    auto bytes = FetchFromDirectory(WriterPath())("c2.s0");
    ASSERT_TRUE(bytes.ok()) << bytes.status();
    auto changes = DecodeShardChanges(*bytes);
    ASSERT_TRUE(changes.ok()) << changes.status();
    ASSERT_TRUE((*applying)->shard(0).ApplyChanges(*changes).ok());
    EXPECT_EQ(*(*searcher)->DocumentCount(), 30) << "half a change set was seen";
  }
  // Without the lock the half state shows (what the lock kept from the searcher), until the next
  // round applies the rest.
  const int64_t half = *(*searcher)->DocumentCount();
  EXPECT_GT(half, 30);
  EXPECT_LT(half, 40);
  auto round = follower.CatchUp();
  ASSERT_TRUE(round.ok()) << round.status();
  EXPECT_EQ(round->applied_change_sets, 1);
  EXPECT_EQ(round->sequence, 2);
  EXPECT_EQ(*(*searcher)->DocumentCount(), 40);
  ExpectFollowerHoldsWhatTheWriterHolds();
}

TEST_F(IndexPublicationTest, APageTokenIsValidOnEveryInstanceThatServesTheSamePublication) {
  Write(40, {}, "v2");
  Publish();
  IndexFollower follower = Follower();
  ASSERT_TRUE(follower.CatchUp().ok());
  auto on_writer = engine::Searcher::Open(WriterPath(), reference_);
  auto on_follower = engine::Searcher::Open(FollowerPath(), reference_);
  ASSERT_TRUE(on_writer.ok() && on_follower.ok());
  engine::SearchQuery query;
  query.text = "orderpicker magazijn";
  query.workplace = {52.09, 5.12};
  query.today_day = kToday;
  query.page_size = 10;
  const auto page = [&](engine::Searcher& searcher, const std::string& token) {
    engine::SearchQuery asked = query;
    asked.page_token = token;
    return searcher.Search(asked);
  };
  auto first = page(**on_follower, "");
  ASSERT_TRUE(first.ok()) << first.status();
  ASSERT_FALSE(first->next_page_token.empty());
  auto writer_first = page(**on_writer, "");
  ASSERT_TRUE(writer_first.ok()) << writer_first.status();
  EXPECT_EQ(writer_first->next_page_token, first->next_page_token)
      << "the same publication is the same state on both";
  // The follower's token, on the writer: its second page, as the follower has it.
  auto second_on_writer = page(**on_writer, first->next_page_token);
  auto second_on_follower = page(**on_follower, first->next_page_token);
  ASSERT_TRUE(second_on_writer.ok()) << second_on_writer.status();
  ASSERT_TRUE(second_on_follower.ok()) << second_on_follower.status();
  ASSERT_EQ(second_on_writer->matches.size(), second_on_follower->matches.size());
  for (size_t i = 0; i < second_on_writer->matches.size(); ++i) {
    EXPECT_EQ(second_on_writer->matches[i].record.profile_id,
              second_on_follower->matches[i].record.profile_id);
  }

  // The writer commits what it has not published: its tokens are its own again, and the
  // follower's are refused there (the follower still serves the publication).
  Write(3, {"profile-5"}, "v3");
  auto moved = page(**on_writer, first->next_page_token);
  EXPECT_EQ(moved.status().code(), absl::StatusCode::kFailedPrecondition) << moved.status();
  EXPECT_TRUE(page(**on_follower, first->next_page_token).ok());
  // Published and followed: one state again.
  Publish();
  ASSERT_TRUE(follower.CatchUp().ok());
  auto again_follower = page(**on_follower, "");
  auto again_writer = page(**on_writer, "");
  ASSERT_TRUE(again_follower.ok() && again_writer.ok());
  EXPECT_EQ(again_writer->next_page_token, again_follower->next_page_token);
  EXPECT_NE(again_writer->next_page_token, first->next_page_token);
}

}  // namespace
}  // namespace verkenner::indexer
