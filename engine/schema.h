#ifndef VERKENNER_ENGINE_SCHEMA_H_
#define VERKENNER_ENGINE_SCHEMA_H_

#include <xapian.h>

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

// The index schema: every term prefix and value slot of a Verkenner index. This header is the
// single source of truth; the indexer writes documents through it and the engine reads them
// through it. Changing a prefix or slot meaning requires a reindex, so bump kSchemaVersion.
//
// A document is one anonymous profile. It never holds a direct identifier: the unique term is
// the keyed pseudonym, and the location is the PC4 area's centre.
namespace verkenner::engine::schema {

// Stored in the index metadata under kSchemaVersionKey; a searcher refuses other versions.
// 6: profile text is indexed with the parts of its compound words (TextAnalysis::WithWordParts),
// which searches rely on instead of also looking up the whole word.
// 7: the parts of diminutives ("hulpje" -> hulp), present-tense verbs ("verzamelt" -> verzamel)
// and -aar agent nouns ("verzamelaar" -> verzamel) are their base forms.
// 8: the search fields may say that the source hid the profile (CandidateRecord::hidden_at_source)
// and when it last confirmed the availability (availability_confirmed_day).
// A version 7 index means the same without it, so it is read as is and a writer upgrades it in
// place (kOldestReadableSchemaVersion); a program that knows only 7 refuses 8, so that none
// serves a hidden profile.
inline constexpr int kSchemaVersion = 8;
inline constexpr int kOldestReadableSchemaVersion = 7;
inline constexpr char kSchemaVersionKey[] = "verkenner.schema_version";

// Whether a program of kSchemaVersion reads (and may upgrade) an index whose metadata holds
// `version`.
inline bool IsReadableSchemaVersion(const std::string& version) {
  for (int readable = kOldestReadableSchemaVersion; readable <= kSchemaVersion; ++readable) {
    if (version == std::to_string(readable)) return true;
  }
  return false;
}

// Boolean terms (not weighted), Xapian's convention of upper-case prefixes, "X" for our own.
inline constexpr char kPrefixProfileId[] = "Q";  // Q<pseudonym>, unique per document
inline constexpr char kPrefixSource[] = "XS";    // XS<GMxxxx|UWV>, for full sync
// The core fields whose completeness the import reports. A field is known when its value is
// present (CandidateRecord::*_known()); absence means unknown, which is not "no".
inline constexpr char kKnownEducation[] = "education";
inline constexpr char kKnownExperience[] = "experience";
inline constexpr char kKnownAvailability[] = "availability";
inline constexpr char kKnownTravelDistance[] = "travel";
inline constexpr char kKnownAffinities[] = "affinities";

// Free text (occupation labels, skills, diplomas) is indexed unprefixed with the Dutch stemmer.
inline constexpr char kStemLanguage[] = "dutch";

// Value slots. Everything the engine matches, ranks and explains on is packed into one value
// (EncodeSearchFields in engine/candidate_record.h), and the display payload is a second one.
// Two values, not one per field: Xapian's cost per document grows with the slots it uses (an
// inverter entry and a value-stream chunk per slot, and above four bytes of slot list a zlib pass),
// and with 18 slots the import ran at 44,600 documents/s, with these two at 55,000.
// Values, not document data: value streams are stored uncompressed, while document data is
// deflated per document, which cost a fifth of the import's CPU. No query needs a value range:
// the engine scans the packed values into memory (engine/candidate_index.h).
enum Slot : Xapian::valueno {
  kSlotSearchFields = 0,  // EncodeSearchFields(record)
  // A serialized verkenner.v1.AnonymousProfile written by the indexer, holding only what the
  // search fields do not (see indexer::ShownProfile). The engine treats it as opaque bytes.
  kSlotDisplayPayload = 1,
};

inline std::string ProfileIdTerm(std::string_view profile_id) {
  return std::string(kPrefixProfileId).append(profile_id);
}

// The change log. Every commit of a shard records the documents it added, replaced or deleted,
// as shard-local docids, in the shard's metadata under ChangesKey(the revision the commit
// creates), committed with them. Readers update their in-memory image by what changed instead
// of loading it again (CandidateIndex::Update); a reader that finds an entry missing (older than
// kChangesKept commits, or a commit by an older program) loads the image again. Not part of the
// schema version: an index without the log is read as before, only more slowly after a commit.
inline constexpr char kChangesKeyPrefix[] = "verkenner.changes.";
inline constexpr uint32_t kChangesKept = 256;

inline std::string ChangesKey(uint32_t revision) {
  std::string digits = std::to_string(revision);
  return std::string(kChangesKeyPrefix) +
         std::string(10 - std::min<size_t>(10, digits.size()), '0') + digits;
}

// "c" and four little-endian bytes per docid: never empty, since Xapian reads an empty value as
// an absent key.
inline std::string EncodeChangedDocuments(const std::vector<Xapian::docid>& documents) {
  std::string value = "c";
  value.reserve(1 + 4 * documents.size());
  for (Xapian::docid d : documents) {
    for (int shift = 0; shift < 32; shift += 8) value.push_back(static_cast<char>(d >> shift));
  }
  return value;
}

// Records `changed` (shard-local docids) as the change-log entry of the commit `shard` is about to
// make, and forgets the entry kChangesKept commits older. Call inside the batch, before the commit.
inline void LogChanges(Xapian::WritableDatabase& shard, const std::vector<Xapian::docid>& changed) {
  const uint32_t next = static_cast<uint32_t>(shard.get_revision()) + 1;
  shard.set_metadata(ChangesKey(next), EncodeChangedDocuments(changed));
  if (next > kChangesKept) shard.set_metadata(ChangesKey(next - kChangesKept), "");
}

// False for a value EncodeChangedDocuments() did not make (including an absent key).
inline bool DecodeChangedDocuments(std::string_view value, std::vector<Xapian::docid>& documents) {
  if (value.empty() || value[0] != 'c' || (value.size() - 1) % 4 != 0) return false;
  for (size_t at = 1; at < value.size(); at += 4) {
    Xapian::docid d = 0;
    for (int i = 0; i < 4; ++i)
      d |= Xapian::docid(static_cast<unsigned char>(value[at + i])) << (8 * i);
    documents.push_back(d);
  }
  return true;
}

// The shard-local docids that the commits after revision `from`, up to and including `to`,
// changed (with repeats), by the change log; nullopt when an entry is missing (forgotten, or
// written by an older program) or `to` is before `from`.
inline std::optional<std::vector<Xapian::docid>> ChangedBetween(const Xapian::Database& shard,
                                                                uint32_t from, uint32_t to) {
  if (to < from || to - from > kChangesKept) return std::nullopt;
  std::vector<Xapian::docid> changed;
  for (uint32_t revision = from + 1; revision <= to; ++revision) {
    if (!DecodeChangedDocuments(shard.get_metadata(ChangesKey(revision)), changed)) {
      return std::nullopt;
    }
  }
  return changed;
}

// On a replica (indexer/shard_changes.h), what each of its shards holds of the writer's: the
// writer's shard `source` at its revision `revision`, as of the replica's own revision
// `own_revision`. Any commit of its own after that one means it no longer holds just the
// writer's contents.
inline constexpr char kSourceRevisionKey[] = "verkenner.source_revision";
struct SourcePosition {
  std::string source;
  uint32_t revision = 0;
  uint32_t own_revision = 0;
};
std::string EncodeSourcePosition(const SourcePosition& position);
std::optional<SourcePosition> DecodeSourcePosition(std::string_view text);

// The writer's publication (indexer/index_publication.h) a shard's contents are: committed by
// the writer in every shard as it publishes sequence `sequence` of `lineage`, at the shard's
// revision `revision`, and copied to followers with the contents.
inline constexpr char kPublishedKey[] = "verkenner.published";
struct PublishedMarker {
  std::string lineage;
  int64_t sequence = 0;
  uint32_t revision = 0;
};
std::string EncodePublishedMarker(const PublishedMarker& marker);
std::optional<PublishedMarker> DecodePublishedMarker(std::string_view text);

// The name of the published state the shards hold ("p<lineage>.<sequence>"), the same on the
// writer and on every follower that holds it, so that page tokens made on one are valid on all:
// every shard carries the same marker and holds the writer's revision it names (its own revision
// on the writer, its source position on a follower), with no commit of its own since. Empty
// when they hold anything else (the writer committed since it published, or no marker).
std::string PublishedStateName(const std::vector<Xapian::Database>& shards);

// Metadata each database keeps of its own commits, which a replica never copies: the change log
// and the source revision.
inline bool IsLocalMetadata(std::string_view key) {
  return key.substr(0, std::string_view(kChangesKeyPrefix).size()) == kChangesKeyPrefix ||
         key == kSourceRevisionKey;
}

}  // namespace verkenner::engine::schema

#endif  // VERKENNER_ENGINE_SCHEMA_H_
