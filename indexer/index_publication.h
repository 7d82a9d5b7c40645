#ifndef VERKENNER_INDEXER_INDEX_PUBLICATION_H_
#define VERKENNER_INDEXER_INDEX_PUBLICATION_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "engine/index_layout.h"
#include "engine/refdata/reference_data.h"
#include "indexer/index_writer.h"

namespace verkenner::indexer {

// How the index writer's states reach the other instances (issue 17; docs/ARCHITECTURE.md, "The
// index on disk"). At the end of each import job the writer publishes its state as the next
// sequence number: into <index>/published/ it writes either a base (a plain copy of every
// shard's files) or a change set (each shard's ShardChanges since the sequence before), and then
// the MANIFEST, which names the base and the change sets after it with their sizes and SHA-256.
// A follower fetches the MANIFEST and the files it names, verifies each before it uses it, and
// installs the base as a generation of its own or applies the change sets in order. Every file
// is written once under a name that is never reused, and the MANIFEST is replaced atomically
// after them, so a follower never sees a half-published sequence.
inline constexpr char kPublicationDirectory[] = "published";
inline constexpr char kManifestName[] = "MANIFEST";

// One published file: its name below the publication directory, size and SHA-256 (hex).
struct PublishedFile {
  std::string name;
  int64_t bytes = 0;
  std::string sha256;
};

// What the MANIFEST says.
struct Publication {
  // Names the base and the change sets that follow it: a new random one with every base, so
  // that changes apply only onto the base they follow (ShardChanges::source is
  // "<lineage>/<shard>"), also across a change of writer whose shards are copies of one another.
  std::string lineage;
  int64_t sequence = 0;  // the newest published state
  int generation = 0;    // the writer's generation it comes from
  int64_t epoch = 0;     // the writer lease's epoch of the process that published it
  int64_t published_micros = 0;
  int shards = 0;
  int64_t base_sequence = 0;
  std::vector<uint32_t> base_revisions;  // each shard's revision in the base
  std::vector<PublishedFile> base_files;
  struct ChangeSet {
    int64_t sequence = 0;  // base_sequence + 1, + 2, ...
    std::vector<uint32_t> from_revisions, to_revisions;
    std::vector<PublishedFile> shard_files;  // one per shard
  };
  std::vector<ChangeSet> change_sets;

  // Each shard's revision at `sequence`.
  std::vector<uint32_t> revisions() const;
};

// The MANIFEST's text ends with the SHA-256 of what precedes it. Decode errors: DataLoss.
std::string EncodePublication(const Publication& publication);
absl::StatusOr<Publication> DecodePublication(std::string_view text);

struct PublishOptions {
  int64_t epoch = 0;
  // A new base once this many change sets follow the last: a follower that starts (or fell
  // behind) fetches the base and at most this many change sets.
  int max_change_sets = 64;
};

// Publishes the state `writer` has committed as the next sequence. Between batches; asks the
// writer's commit guard (its marker commit, engine::schema::kPublishedKey, does). Removes what the
// new MANIFEST no longer names. Errors: the writer's; Internal or disk-full for files.
absl::StatusOr<Publication> Publish(IndexWriter& writer, const PublishOptions& options);

// Reads the writer's publication: a file by name ("MANIFEST" or a name the MANIFEST lists).
// Errors: Unavailable when it cannot be fetched now, NotFound when there is none.
using FetchPublished = std::function<absl::StatusOr<std::string>(const std::string& name)>;

// A FetchPublished that reads the publication directory of the index at `index_directory` on this
// machine (tests, and a follower beside the writer).
FetchPublished FetchFromDirectory(const std::string& index_directory);

// The follower's side: brings the index at `index_directory` (created if absent) to the writer's
// newest published sequence. Not thread-safe; one follower per index directory.
class IndexFollower {
 public:
  struct Options {
    std::string index_directory;
    FetchPublished fetch;
    std::shared_ptr<const engine::ReferenceData> reference_data;
  };
  struct Round {
    int64_t sequence = 0;  // what the index holds after the round
    bool installed_base = false;
    int applied_change_sets = 0;
    int64_t newest_sequence = 0;  // the writer's, and when it published it
    int64_t newest_published_micros = 0;
  };

  explicit IndexFollower(Options options) : options_(std::move(options)) {}

  // One round: fetches the MANIFEST and what the index lacks, verifies it, and installs or
  // applies it. Nothing unverified is ever used: a damaged file fails the round (DataLoss) and
  // leaves the index as it was or at a complete earlier sequence; the next round fetches again.
  absl::StatusOr<Round> CatchUp();

  // The newest MANIFEST a round read (also one whose round failed after it): its sequence and
  // when it was published; zeros before the first.
  struct Seen {
    int64_t sequence = 0;
    int64_t published_micros = 0;
  };
  Seen newest_seen() const { return newest_seen_; }

 private:
  // The index's writer, or null when there is no index or one of another shard count.
  absl::StatusOr<std::unique_ptr<IndexWriter>> OpenWriter(const Publication& publication);
  // Installs the base if the index holds no state of it, then applies the change sets.
  absl::StatusOr<Round> CatchUpTo(const Publication& publication);
  // Fetches the base into a new generation and switches the stub to it.
  absl::Status InstallBase(const Publication& publication);
  // Commits in each shard of a new base the position it holds (kSourceRevisionKey).
  absl::Status RecordBase(const engine::IndexLayout& layout, const Publication& publication);
  // Applies the change sets the index lacks, each as one switch. FailedPrecondition when it
  // holds no state of the publication's base.
  absl::StatusOr<int> ApplyChangeSets(const Publication& publication, IndexWriter& writer);
  // The file's bytes, or DataLoss when their size or SHA-256 is not the MANIFEST's.
  absl::StatusOr<std::string> FetchVerified(const PublishedFile& file);

  Options options_;
  int64_t highest_epoch_ = 0;  // a writer of an older epoch is never followed again
  // What the index held after the last round that changed or checked it.
  struct Held {
    std::string lineage;
    int64_t sequence = 0;
  } held_;
  Seen newest_seen_;
};

// ShardChanges::source of `shard`'s changes in `lineage`.
std::string PublishedSource(const std::string& lineage, int shard);

// The sequence an index holds of its writer's publication: the marker every shard carries
// (engine::schema::kPublishedKey), or 0 when the shards disagree or carry none.
absl::StatusOr<int64_t> HeldSequence(IndexWriter& writer);

}  // namespace verkenner::indexer

#endif  // VERKENNER_INDEXER_INDEX_PUBLICATION_H_
