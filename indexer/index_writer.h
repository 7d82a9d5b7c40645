#ifndef VERKENNER_INDEXER_INDEX_WRITER_H_
#define VERKENNER_INDEXER_INDEX_WRITER_H_

#include <xapian.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "engine/candidate_record.h"
#include "engine/disclosure_control.h"
#include "engine/index_layout.h"
#include "engine/refdata/reference_data.h"
#include "engine/text_analysis.h"
#include "indexer/shard_changes.h"

namespace verkenner::indexer {

// The writer of one shard (engine/index_layout.h): owns that shard's Xapian::WritableDatabase,
// the only one (Xapian enforces one writer per database with a lock). Changes are grouped in
// batches; a batch becomes visible to searchers atomically when CommitBatch() returns, and a
// crash before that leaves the shard as it was at its previous commit.
//
// Not thread-safe: one thread at a time uses a shard, so the importer can give each shard a
// thread of its own.
// What an upsert did to the index.
enum class UpsertResult {
  kCreated,    // the profile was new
  kUpdated,    // its document changed
  kUnchanged,  // the stored document was already this one: nothing was written
};

class IndexShardWriter {
 public:
  ~IndexShardWriter();

  // Starts a batch. Every change must happen inside one.
  absl::Status BeginBatch();
  // Makes the batch durable and visible; `metadata` key/values are committed with it.
  absl::Status CommitBatch(const std::vector<std::pair<std::string, std::string>>& metadata = {});
  // Drops the batch's changes.
  void AbortBatch();

  // Adds or replaces the profile's document, unless the stored one is already the same. The
  // caller routes the profile here: IndexWriter::ShardOf(record.profile_id).
  absl::StatusOr<UpsertResult> Upsert(const engine::CandidateRecord& record);
  // Removes the profile. Returns true if this shard held it.
  absl::StatusOr<bool> Withdraw(const std::string& profile_id);
  // Copies the document of `from_id` in `from` under the id `to_id` into this shard (replacing a
  // document of `to_id`): the same terms, values and data, only the id term changed. False when
  // `from` has no document of `from_id`. For the pseudonym key's rotation.
  absl::StatusOr<bool> CopyRenamed(IndexShardWriter& from, const std::string& from_id,
                                   const std::string& to_id);

  // The profile ids this shard holds for `source` (as committed and changed in the open batch).
  absl::StatusOr<std::vector<std::string>> ProfilesOfSource(const std::string& source);
  // The profile ids in this shard whose retention ended before `today_day`.
  absl::StatusOr<std::vector<std::string>> ExpiredProfiles(int64_t today_day);

  absl::StatusOr<std::string> GetMetadata(const std::string& key);
  int64_t DocumentCount();
  int64_t revision() { return static_cast<int64_t>(database_.get_revision()); }

  // What a replica of this shard needs to go from this shard's revision `from_revision` to its
  // current one (issue 17). Between batches. Errors: FailedPrecondition inside a batch, or when
  // the change log does not reach back that far (the replica then needs a new base).
  absl::StatusOr<ShardChanges> ChangesSince(uint32_t from_revision);
  // Applies `changes`, made by the writer whose shard this one copies, in one commit (which asks
  // the commit guard and logs its own change-log entry), and records the position it now holds.
  // Between batches. Errors: InvalidArgument when CheckShardChanges fails; FailedPrecondition
  // when this shard does not hold changes.from_revision of changes.source, was written since it
  // last applied changes, or gave out docids the writer did not; Xapian's.
  absl::Status ApplyChanges(const ShardChanges& changes);
  // The writer's shard and revision this shard holds (engine::schema::kSourceRevisionKey): a
  // plain copy that never applied changes holds its own UUID and revision.
  absl::StatusOr<SourcePosition> HeldPosition();

 private:
  friend class IndexWriter;
  IndexShardWriter(std::string path, Xapian::WritableDatabase database,
                   const engine::TextAnalysis& text_analysis);

  // OK when `changes` apply onto what this shard holds (ApplyChanges' errors). Throws Xapian's.
  absl::Status CheckApplicable(const ShardChanges& changes);
  // Whether the shard may hold the profile with this id term: false means certainly not.
  bool MayHold(const std::string& id_term);

  std::string path_;  // the shard's directory in the current generation
  Xapian::WritableDatabase database_;
  std::function<absl::Status()> commit_guard_;  // IndexWriter::Options::commit_guard
  Xapian::TermGenerator term_generator_;
  bool in_batch_ = false;
  // Hashes of every id term this shard may hold: read from the shard on first use, then added to
  // by every upsert. A new profile's hash is (nearly always) absent, which saves the B-tree
  // look-up that otherwise decides between adding and replacing: at a million profiles that
  // look-up took 6% of the import. Extra hashes (withdrawn or rolled-back profiles, collisions)
  // only cost that look-up, so an aborted batch needs no bookkeeping here.
  absl::flat_hash_set<uint64_t> may_hold_;
  bool may_hold_loaded_ = false;
  // Shard-local docids the open batch added, replaced or deleted: its change-log entry.
  std::vector<Xapian::docid> changed_;
};

// The writer of a Verkenner index: one IndexShardWriter per shard, plus the operations that span
// all shards (disclosure control, compaction, whole-index queries).
//
// Not thread-safe itself; its shards may be used from one thread each while nothing calls the
// IndexWriter's own methods.
class IndexWriter {
 public:
  struct Options {
    int shards_if_new = 0;  // shard count when the index is created; 0: one per core
    // Asked before every commit (of a batch, the disclosure count, a compaction's switch), on
    // the committing thread, so it must be thread-safe: an error aborts that commit with the
    // error. The writer lease's fence (service/store/index_writer_lease.h): a process that lost
    // the lease commits nothing more. Null: every commit goes ahead.
    std::function<absl::Status()> commit_guard;
  };

  // Opens the index at `directory`, creating it (empty, with Options::shards_if_new shards) if
  // absent. Errors: FailedPrecondition if it was built with another schema version or layout, or
  // another process holds the write lock.
  static absl::StatusOr<std::unique_ptr<IndexWriter>> Open(
      const std::string& directory, std::shared_ptr<const engine::ReferenceData> reference_data,
      const Options& options);
  static absl::StatusOr<std::unique_ptr<IndexWriter>> Open(
      const std::string& directory, std::shared_ptr<const engine::ReferenceData> reference_data) {
    return Open(directory, std::move(reference_data), Options());
  }

  int shard_count() const { return static_cast<int>(shards_.size()); }
  IndexShardWriter& shard(int index) { return *shards_[index]; }
  int ShardOf(const std::string& profile_id) const {
    return engine::ShardOf(profile_id, shard_count());
  }
  const engine::IndexLayout& layout() const { return layout_; }

  // Whole-index conveniences for sequential callers (sweeps, tools, tests). A batch spans every
  // shard and commits shard by shard, so it is atomic per shard, not across shards: use it for
  // work that is safe to repeat. `metadata` goes to every shard.
  absl::Status BeginBatch();
  absl::Status CommitBatch(const std::vector<std::pair<std::string, std::string>>& metadata = {});
  void AbortBatch();
  absl::StatusOr<UpsertResult> Upsert(const engine::CandidateRecord& record);
  absl::StatusOr<bool> Withdraw(const std::string& profile_id);
  absl::StatusOr<std::vector<std::string>> ProfilesOfSource(const std::string& source);
  absl::StatusOr<std::vector<std::string>> ExpiredProfiles(int64_t today_day);
  // Gives each profile of `renames` (old id, new id) its new id: its document moves to the shard
  // of the new id, otherwise unchanged. Two batches: the copies under the new ids, then the old
  // ids withdrawn, so that a run that breaks off loses nothing and a second run with the same
  // renames completes it (a profile already renamed is skipped). Returns how many it moved. For
  // the pseudonym key's rotation (service/backup/key_rotation.h).
  absl::StatusOr<int64_t> RenameProfiles(
      const std::vector<std::pair<std::string, std::string>>& renames);

  // Counts the disclosure-control groups (engine/disclosure_control.h) over the whole index, the
  // shards in parallel, and commits the allow-list for searchers in shard 0, in a batch of its
  // own. Call after imports and sweeps.
  absl::StatusOr<engine::DisclosureGroups> UpdateDisclosureControl(int k);
  // What disclosure control with `k` does to one source's profiles (an import's report).
  absl::StatusOr<engine::SourceDisclosure> DisclosureOfSource(const std::string& source, int k);

  struct CompactionResult {
    int64_t bytes_before = 0;
    int64_t bytes_after = 0;
  };
  // Rewrites every shard with full B-tree blocks into the next generation (one thread per shard)
  // and switches searchers to it atomically. Batches must be closed. Bulk imports leave blocks
  // about half full; compaction brings the index to roughly 60% of its size.
  absl::StatusOr<CompactionResult> Compact();

  // From shard 0, which holds the whole-index metadata.
  absl::StatusOr<std::string> GetMetadata(const std::string& key);
  int64_t DocumentCount();

 private:
  IndexWriter(engine::IndexLayout layout, std::vector<std::unique_ptr<IndexShardWriter>> shards,
              std::shared_ptr<const engine::ReferenceData> reference_data)
      : layout_(std::move(layout)),
        shards_(std::move(shards)),
        reference_data_(std::move(reference_data)) {}

  // Runs `work(shard index)` for every shard at once, each on a thread of its own, and returns
  // the first error. Whole-index reads (sweeps, counts, compaction) then take the time of one
  // shard instead of all of them.
  absl::Status OnEveryShard(const std::function<absl::Status(int)>& work);
  // The disclosure combinations of every shard, or of one source's profiles, added up.
  absl::StatusOr<engine::DisclosureCounts> CountCombinations(const std::string* only_source);

  // IndexWriter::Options::commit_guard's answer; OK without one.
  absl::Status MayCommit() const;

  engine::IndexLayout layout_;
  std::vector<std::unique_ptr<IndexShardWriter>> shards_;
  std::function<absl::Status()> commit_guard_;
  std::shared_ptr<const engine::ReferenceData> reference_data_;  // education bands
};

// For programs that write an index (call once at the start of main, before any thread exists).
// Xapian 1.4's commit can throw a second exception from inside the library while it unwinds from
// a failed write (seen with a full disk: std::terminate under
// WritableDatabase::commit_transaction, exit 134), which no catch block of ours can intercept.
// With this handler, a termination during one of the index writer's Xapian writes ends the
// program with exit status 1 and a message on stderr, prefixed by `program`: the mapped Xapian
// error when one is at hand, else a full disk when the index's file system has (almost) no space
// left, else a failed write. That is safe because Xapian
// publishes a commit atomically: the index is as its last commit left it, exactly as after a
// kill, and the next run of the same import resumes (tests/integration/import_kill_test.cc).
// Anything else that terminates the program still goes to the previous handler (abort).
void InstallXapianTerminateHandler(const char* program);

}  // namespace verkenner::indexer

#endif  // VERKENNER_INDEXER_INDEX_WRITER_H_
