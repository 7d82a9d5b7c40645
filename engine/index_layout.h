#ifndef VERKENNER_ENGINE_INDEX_LAYOUT_H_
#define VERKENNER_ENGINE_INDEX_LAYOUT_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

// The on-disk layout of a Verkenner index directory:
//
//   <index>/XAPIANDB            a Xapian stub file naming the shards of the current generation
//   <index>/g000003/s0 .. sN-1  the shards, each a glass database
//
// Shards let the importer write with one thread per core (Xapian allows one writer per
// database, and one writer saturates one core). A profile lives in exactly one shard, chosen by
// ShardOf(profile_id). A generation is a complete set of shards; compaction writes the next one
// and switches the stub atomically, so a searcher always opens one consistent generation.
// Xapian opens the directory as one database over all shards, through the stub.
namespace verkenner::engine {

inline constexpr char kStubFileName[] = "XAPIANDB";
inline constexpr int kMaxShards = 16;

struct IndexLayout {
  std::string directory;
  int generation = 0;
  std::vector<std::string> shard_paths;  // absolute or relative to the working directory

  int shard_count() const { return static_cast<int>(shard_paths.size()); }
};

// Reads the stub of the index at `directory`. Errors: NotFound (no index there), DataLoss (a stub
// that is not ours).
absl::StatusOr<IndexLayout> ReadIndexLayout(const std::string& directory);

// The layout of generation `generation` with `shard_count` shards (paths only, nothing on disk).
IndexLayout MakeIndexLayout(const std::string& directory, int generation, int shard_count);

// Writes `bytes` to `path` so that a reader (or a crash) finds either the old file or the whole
// new one: a temporary file beside it, synced, renamed over it, and the directory synced.
// Errors: base::DiskFullError, Internal.
absl::Status ReplaceFileDurably(const std::string& path, std::string_view bytes);

// Makes `layout` the current generation: writes the stub to a temporary file, syncs it and
// renames it over the old one, so readers see either the old or the new generation.
absl::Status PublishIndexLayout(const IndexLayout& layout);

// Removes generation directories older than `keep_from_generation`. Searchers that still have an
// older generation open keep reading it through their open files.
void RemoveGenerationsBefore(const std::string& directory, int keep_from_generation);

// Bytes the files below `directory` take (an index directory, or one generation of it).
int64_t DirectoryBytes(const std::string& directory);

// One committed state of an index: its generation and each shard's revision, in the order of
// the stub. Its name ("3.17.16": generation, then revisions) is what page tokens and in-memory
// images are tagged with; a state whose revisions are all at least another's of the same
// generation is newer or the same.
struct IndexState {
  int generation = 0;
  std::vector<uint32_t> revisions;

  std::string Name() const;
  bool operator==(const IndexState&) const = default;
  // Whether this is `other` or a later state of the same generation.
  bool IsSameOrNewer(const IndexState& other) const;
};

// The state named by IndexState::Name(); nullopt for any other text.
std::optional<IndexState> ParseIndexState(const std::string& name);

// A follower applies a change set of the writer's publication (indexer/index_publication.h) to
// every shard while it holds this lock exclusively; a searcher moves on to a newer state only
// when it can take the lock shared at once, so it never sees some shards with a change set and
// others without. A lock on <index>/SWITCH.lock (flock), created if absent; where it cannot be
// opened (a read-only index) nothing is locked. Not thread-safe: one per thread.
inline constexpr char kSwitchLockName[] = "SWITCH.lock";
class IndexSwitchLock {
 public:
  explicit IndexSwitchLock(const std::string& directory);
  ~IndexSwitchLock();
  IndexSwitchLock(const IndexSwitchLock&) = delete;
  IndexSwitchLock& operator=(const IndexSwitchLock&) = delete;

  // Takes the lock shared if no one holds it exclusively; whether it holds it now.
  bool TryShared();
  // Takes the lock exclusively, waiting for the searchers that hold it shared (briefly).
  void Exclusive();
  void Unlock();

 private:
  int fd_ = -1;
};

// The shard that holds `profile_id`, stable across runs and machines (FNV-1a).
int ShardOf(const std::string& profile_id, int shard_count);

// One shard per core, at most kMaxShards.
int DefaultShardCount();

}  // namespace verkenner::engine

#endif  // VERKENNER_ENGINE_INDEX_LAYOUT_H_
