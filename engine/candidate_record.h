#ifndef VERKENNER_ENGINE_CANDIDATE_RECORD_H_
#define VERKENNER_ENGINE_CANDIDATE_RECORD_H_

#include <xapian.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/geo.h"
#include "engine/text_analysis.h"

namespace verkenner::engine {

struct ExperienceEntry {
  std::string esco_code;  // empty for free text that matched no ESCO occupation
  std::string isco_code;
  std::string label;   // ESCO preferred label or scrubbed free text
  std::string sector;  // scrubbed free text, may be empty
  int months = 0;
  int last_year = 0;
};

// What the engine knows about one anonymous profile: everything it matches, ranks and explains
// on. It holds no direct identifier. The indexer builds one from a validated source profile; the
// engine stores it in a Xapian document and reads it back for explanations.
struct CandidateRecord {
  std::string profile_id;  // keyed pseudonym
  std::string source;      // delivering organisation: GMxxxx or UWV (not personal)
  GeoPoint home;           // centre of the PC4 area, never the address
  std::string municipality_code;
  std::string region_code;
  std::optional<int> max_travel_km;
  std::optional<int> hours_min;
  std::optional<int> hours_max;
  std::string education_code;  // empty when unknown
  std::optional<int> education_ordinal;
  std::vector<ExperienceEntry> experience;
  std::vector<std::string> skills;
  std::vector<std::string> diplomas;
  std::vector<std::string> affinities;
  std::string wishes;  // already scrubbed of personal data
  std::optional<bool> driving_licence;
  uint8_t days = 0;  // working days: bit 0 Monday .. bit 6 Sunday; 0 when unknown
  std::optional<int64_t> available_from_day;  // later than the import day; else available now
  int64_t updated_day = 0;                    // days since 1970-01-01
  int64_t retain_until_day = 0;               // last day it may be served
  // When the source last confirmed with the person that the availability still holds; nullopt:
  // never. Ranking counts the later of this and updated_day as the profile's freshness.
  std::optional<int64_t> availability_confirmed_day;
  // The source's import said `visible: false` (an objection under AVG art. 21): the profile
  // stays registered but is never served to employers.
  bool hidden_at_source = false;
  std::string display_payload;  // opaque bytes returned with results

  bool education_known() const { return education_ordinal.has_value(); }
  bool experience_known() const { return !experience.empty(); }
  bool availability_known() const { return hours_min.has_value() && hours_max.has_value(); }
  bool days_known() const { return days != 0; }
  bool travel_distance_known() const { return max_travel_km.has_value(); }
  bool affinities_known() const { return !affinities.empty(); }
  // Share of the five core fields that are known, 0..1.
  double Completeness() const;
  int TotalExperienceMonths() const;
};

// Builds the Xapian document for `record` through the schema (engine/schema.h). `generator` comes
// from TextAnalysis::MakeTermGenerator(); reusing one per thread avoids rebuilding its stopper.
Xapian::Document BuildDocument(const CandidateRecord& record, Xapian::TermGenerator& generator);

// Reads back the fields the engine stores in values and terms, and the display payload. Text
// fields (skills, diplomas, wishes) are not recoverable from a document and stay empty; the
// display payload holds them for showing.
CandidateRecord ReadRecord(const Xapian::Document& document);

// The fields the engine matches, ranks and explains on, in one compact binary value: location,
// travel limit, hours, days, start, education, licence, dates, codes, affinities and work
// experience. Not the profile id, source, free text or display payload.
std::string EncodeSearchFields(const CandidateRecord& record);
// Sets those fields of `record` from `encoded`, reusing its storage; the other fields are left
// alone. False, with the fields in an unspecified state, when `encoded` is malformed.
bool DecodeSearchFields(std::string_view encoded, CandidateRecord& record);

}  // namespace verkenner::engine

#endif  // VERKENNER_ENGINE_CANDIDATE_RECORD_H_
