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
inline constexpr int kSchemaVersion = 4;
inline constexpr char kSchemaVersionKey[] = "verkenner.schema_version";

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

// Value slots. Numbers are stored with Xapian::sortable_serialise so range queries work.
enum Slot : Xapian::valueno {
  kSlotLatitude = 0,          // PC4 centre, degrees
  kSlotLongitude = 1,         // PC4 centre, degrees
  kSlotMaxTravelKm = 2,       // candidate's own limit; absent when unknown
  kSlotHoursMin = 3,          // hours per week; absent when unknown
  kSlotHoursMax = 4,          // hours per week; absent when unknown
  kSlotEducationOrdinal = 5,  // 0..13; absent when unknown
  kSlotUpdatedDay = 6,        // days since 1970-01-01 of the last source change
  kSlotRetainUntilDay = 7,    // last day the profile may be served (days since 1970-01-01)
  kSlotExperienceMonths = 8,  // total months of work experience
  kSlotCompleteness = 9,      // fraction of core fields known, 0..1
  // Municipality and region are values, not terms: facets and disclosure control read them per
  // document, and no query filters on them (each term costs import time in every document).
  kSlotRegionCode = 10,        // "AMxx", plain string, for facets
  kSlotEducationCode = 11,     // education code, plain string, for facets; absent when unknown
  kSlotExperience = 12,        // encoded work experience, see EncodeExperience()
  kSlotMunicipalityCode = 13,  // "GMxxxx", plain string, for disclosure control
  kSlotDays = 14,              // one byte, bit 0 Monday .. bit 6 Sunday; absent when unknown
  kSlotAvailableFromDay = 15,  // days since 1970-01-01; absent when available now
  kSlotAffinities = 16,        // affinity codes separated by spaces; absent when unknown
  kSlotDrivingLicence = 17,    // "1" or "0"; absent when unknown
};

// Document data is the display payload: a serialized verkenner.v1.AnonymousProfile written by
// the indexer, holding only what the engine does not keep in terms and values (see
// indexer::ShownProfile). The engine treats it as opaque bytes and never parses it. (Stored as a
// value instead, it made the index 3% larger and imports no faster.)

inline std::string ProfileIdTerm(std::string_view profile_id) {
  return std::string(kPrefixProfileId).append(profile_id);
}

}  // namespace verkenner::engine::schema

#endif  // VERKENNER_ENGINE_SCHEMA_H_
