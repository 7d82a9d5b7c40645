#ifndef VERKENNER_ENGINE_SCHEMA_H_
#define VERKENNER_ENGINE_SCHEMA_H_

#include <xapian.h>

#include <string>
#include <string_view>

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

}  // namespace verkenner::engine::schema

#endif  // VERKENNER_ENGINE_SCHEMA_H_
