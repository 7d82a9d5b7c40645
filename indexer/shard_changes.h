#ifndef VERKENNER_INDEXER_SHARD_CHANGES_H_
#define VERKENNER_INDEXER_SHARD_CHANGES_H_

#include <xapian.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "engine/schema.h"

namespace verkenner::indexer {

// What a replica needs to bring one shard from one revision of the writer's to a later one
// (issue 17; made by IndexShardWriter::ChangesSince, applied by IndexShardWriter::ApplyChanges):
// every document the change log names, as Xapian serialises it, under its shard-local docid, or
// its deletion; and the shard's metadata at the later revision, without what each database keeps
// of its own commits (engine::schema::IsLocalMetadata).
struct ShardChanges {
  // The writer's shard these changes come from (its Xapian UUID): a replica applies only the
  // changes of the shard it copies.
  std::string source;
  uint32_t from_revision = 0;
  uint32_t to_revision = 0;
  // The highest docid the shard has given out: a replica gives out none itself, but reaches the
  // same, so that the docids it holds and would give out are the writer's.
  Xapian::docid last_docid = 0;
  struct Document {
    Xapian::docid docid = 0;
    std::optional<std::string> serialised;  // none: the document was deleted
  };
  std::vector<Document> documents;  // ascending docids, each once
  std::vector<std::pair<std::string, std::string>> metadata;
};

// Whether `changes` can be what ChangesSince makes: a source, to_revision >= from_revision,
// docids ascending, each once and at most last_docid, no local metadata key
// (engine::schema::IsLocalMetadata). Errors: InvalidArgument naming the first fault.
absl::Status CheckShardChanges(const ShardChanges& changes);

// What a replica's shard holds of the writer's (engine/schema.h).
using engine::schema::DecodeSourcePosition;
using engine::schema::EncodeSourcePosition;
using engine::schema::SourcePosition;

// The bytes that travel: a header naming the format, the changes, and the SHA-256 of all before
// it, so that a damaged or cut-off copy is found before anything of it is applied.
std::string EncodeShardChanges(const ShardChanges& changes);
// Errors: DataLoss when the bytes are damaged, cut off, not EncodeShardChanges' or fail
// CheckShardChanges.
absl::StatusOr<ShardChanges> DecodeShardChanges(std::string_view bytes);

}  // namespace verkenner::indexer

#endif  // VERKENNER_INDEXER_SHARD_CHANGES_H_
