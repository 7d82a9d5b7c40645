#ifndef VERKENNER_ENGINE_SEARCH_TYPES_H_
#define VERKENNER_ENGINE_SEARCH_TYPES_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "engine/candidate_record.h"
#include "engine/geo.h"

// The engine's query and result types. They mirror verkenner.v1's search messages without
// depending on protobuf; the service translates between the two.
namespace verkenner::engine {

enum class UnknownFieldPolicy { kTolerant, kStrict };

// A profile whose own travel limit is unknown is, in tolerant mode, found only within this
// distance of the workplace: unknown is not "no", but it is not "anywhere in the country"
// either. A server sets its own (Searcher::set_unknown_travel_km, verkenner-server
// --unknown_travel_km); cards and explanations say which distance was assumed.
inline constexpr int kDefaultUnknownTravelKm = 15;
// A profile whose availability was not confirmed (by its source's import or by a WSP) within this
// many months is marked on its card (CandidateMatch::availability_unconfirmed). A server sets its
// own (Searcher::set_availability_confirmation_months, verkenner-server
// --availability_confirmation_months).
inline constexpr int kDefaultAvailabilityConfirmationMonths = 12;

// What the organisations acting for candidates (the municipality or UWV that imported a profile,
// the WSP of its region) recorded about profiles outside the index, by profile id.
struct ProfileAnnotations {
  // Hidden from employers (AVG art. 21, objection): registered, but never served.
  std::set<std::string> hidden;
  // The day (since 1970-01-01) a WSP last confirmed the candidate's availability; counts when
  // later than the import's CandidateRecord::availability_confirmed_day.
  std::map<std::string, int64_t> availability_confirmed_day;
};
// Where a searcher reads the current annotations, at each request; must be thread-safe. The
// annotations themselves are immutable: a change makes new ones.
using ProfileAnnotationsSource = std::function<std::shared_ptr<const ProfileAnnotations>()>;
enum class SortOrder { kRelevance, kDistance, kLastUpdate };
enum class Requirement { kNone, kRequired, kPreferred };
enum class FacetKind {
  kEducationLevel,
  kRegion,
  kHoursBand,
  kDistanceBand,
  kExperienceBand,
  kAffinity
};
enum class DistanceBand { kUnknown, k0To5, k5To10, k10To20, k20To30, k30Plus };
enum class ReasonCode {
  kOccupationExperience,
  kRelatedOccupation,
  kText,
  kDistance,
  kAvailability,
  kEducation,
  kAffinity,
  kCompleteness,
  kFreshness,
  kUnknownField,
};

// Narrows the results to profiles whose value of `facet` is one of `values` (the values a facet
// count reported). Several filters must all hold.
struct FacetFilter {
  FacetKind facet;
  std::vector<std::string> values;
};

// A vacancy as the engine searches for it. The service has validated and resolved it: the
// workplace is a point, occupations are ESCO codes, the education level is a known code.
struct SearchQuery {
  std::string text;                     // free Dutch text, already length-capped
  std::vector<std::string> esco_codes;  // occupations asked for
  std::optional<GeoPoint> workplace;
  std::optional<int> hours_min;  // offered hours per week
  std::optional<int> hours_max;
  uint8_t days = 0;                  // days the job needs: bit 0 Monday .. bit 6 Sunday; 0 any
  std::optional<int64_t> start_day;  // when the job starts, days since 1970-01-01
  std::string min_education_code;    // empty: no education criterion
  Requirement education = Requirement::kNone;
  Requirement driving_licence = Requirement::kNone;  // kRequired excludes profiles without one
  std::vector<std::string> affinities;               // preferred: ranks profiles that share them
  std::vector<std::string> sectors;  // preferred: ranks profiles with that affinity or experience
  UnknownFieldPolicy unknown_fields = UnknownFieldPolicy::kTolerant;
  SortOrder sort = SortOrder::kRelevance;
  int page_size = 20;
  std::string page_token;
  std::vector<FacetKind> facets;
  std::vector<FacetFilter> facet_filters;
  int64_t today_day = 0;  // days since 1970-01-01; expired profiles are never served
};

struct MatchReason {
  ReasonCode code;
  std::string text;  // Dutch, for people
  double share = 0;  // of the score, 0..1
};

// How much of a candidate's education level may be shown (disclosure_control.h).
enum class ShownEducation { kLevel, kBand, kWithheld };

struct CandidateMatch {
  std::string profile_id;
  // Where the candidate lives and what education shows, as disclosure control allows: the
  // municipality (GMxxxx) or the arbeidsmarktregio (AMxx); the level, its CBS band, or
  // nothing, so that every shown combination holds at least k profiles.
  std::string shown_area_code;
  bool shown_area_is_municipality = false;
  ShownEducation shown_education = ShownEducation::kWithheld;
  double score = 0;  // 0..100
  DistanceBand distance_band = DistanceBand::kUnknown;
  // When the profile's own travel limit is unknown: the distance searches assume instead
  // (kDefaultUnknownTravelKm or the searcher's setting); else 0.
  int assumed_travel_km = 0;
  // The availability was never confirmed, or not within the searcher's confirmation period. The
  // record's availability_confirmed_day is the latest confirmation, a WSP's included.
  bool availability_unconfirmed = false;
  // What the engine knows of the profile (no direct identifier), with the opaque display
  // payload the indexer stored; the service builds the shown profile from both.
  CandidateRecord record;
  std::vector<MatchReason> reasons;
};

struct FacetValueCount {
  std::string value;
  std::string label;
  int64_t count = 0;
};

// An occupation offered instead of a vacancy text that named none.
struct OccupationSuggestion {
  std::string esco_code;
  std::string isco_code;
  std::string label;  // ESCO's Dutch preferred label
};

struct SearchResult {
  std::vector<CandidateMatch> matches;
  int64_t total = 0;  // exact size of the matching set
  std::string next_page_token;
  std::map<FacetKind, std::vector<FacetValueCount>> facets;
  // The vacancy text with unknown words replaced by the nearest known occupation word, when
  // some word matched no profile and a near one exists; else empty.
  std::string spelling_suggestion;
  // Whether the results are those of spelling_suggestion rather than of the text as typed: some
  // word was a typo (neither Dutch nor a word of an occupation label) with a near occupation
  // word that many more profiles hold (Searcher::TypoCorrection).
  bool spelling_applied = false;
  // Whether the vacancy text was left out of the search because nothing in it was recognised:
  // it names no occupation and none of its words occurs in any profile (Searcher::Search says
  // exactly when). The results are then those of the same vacancy without text, so that an
  // employer whose words Verkenner does not know still sees who meets the other criteria.
  bool text_ignored = false;
  // With text_ignored: the text's words (lower-cased, stop words left out) that occur in no
  // profile.
  std::vector<std::string> unknown_words;
  // With text_ignored: at most 5 occupations whose labels are nearest to the unknown words
  // (engine/occupation_suggestions.h), first those in which candidates who meet the other
  // criteria have experience.
  std::vector<OccupationSuggestion> suggested_occupations;
};

// How many profiles of a group there are and how many of them lack each core field
// (schema::kKnown*; unknown is not "no").
struct CompletenessCount {
  int64_t profiles = 0;
  int64_t missing_education = 0;
  int64_t missing_experience = 0;
  int64_t missing_availability = 0;
  int64_t missing_travel_distance = 0;
  int64_t missing_affinities = 0;

  void Add(const CandidateRecord& record);
  void Add(const CompletenessCount& other);
};

// A source's active profiles (the worklist at the source, Searcher::WorklistOfSource).
struct SourceWorklist {
  int64_t active_profiles = 0;
  // Those that miss a core field or whose availability was not confirmed within the period, as
  // matches without score or reasons (availability_unconfirmed and the record's confirmation
  // count a WSP's), in index order.
  std::vector<CandidateMatch> profiles;
};

DistanceBand BandForDistance(double km);
// "0-5 km" style Dutch label.
const char* DistanceBandLabel(DistanceBand band);

}  // namespace verkenner::engine

#endif  // VERKENNER_ENGINE_SEARCH_TYPES_H_
