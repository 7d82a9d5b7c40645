#ifndef VERKENNER_ENGINE_RANKING_H_
#define VERKENNER_ENGINE_RANKING_H_

#include <array>
#include <cstdint>

#include "engine/search_types.h"

// The ranking model: how much each kind of evidence counts, in one place. A candidate's score is
// the weighted mean of the features the vacancy asks about (a vacancy without a workplace has no
// distance feature, and so on), times 100. A reason's share of the score is its weighted feature
// over the sum of weighted features, so the shares of a result add up to 1.
//
// Every feature is 0..1. Unknown is not "no": a field the candidate left empty scores
// kUnknownFeature, below any known match (at least kKnownMatchFloor) and above a known mismatch
// of a preference (0), so in tolerant mode unknown profiles stay in the results, ranked below
// known matches. Strict mode excludes them before ranking.
namespace verkenner::engine::ranking {

enum Feature {
  kOccupation,    // experience in an occupation asked for (ESCO), or its ISCO unit group
  kText,          // BM25 of the vacancy text against the profile's words, scaled to 0..1
  kDistance,      // closer is better, by distance band, relative to the candidate's own limit
  kAvailability,  // how well the candidate's hours, days and start date fit the job
  kEducation,     // meets the minimum level asked for
  kAffinity,      // share of the vacancy's affinities and sectors the candidate has (as an
                  // affinity, or as experience in that sector)
  kCompleteness,  // share of the five core fields known
  kFreshness,     // how recently the profile changed or its availability was confirmed
  kFeatureCount,
};

// The weights. Occupation experience and text say whether someone can do the job; distance and
// hours whether they can get there and fit the roster; the rest breaks near-ties.
inline constexpr std::array<double, kFeatureCount> kWeights = {
    0.30,  // kOccupation
    0.20,  // kText
    0.15,  // kDistance
    0.12,  // kAvailability
    0.08,  // kEducation
    0.07,  // kAffinity
    0.04,  // kCompleteness
    0.04,  // kFreshness
};

// An unknown field scores this; a known match at least kKnownMatchFloor.
inline constexpr double kUnknownFeature = 0.3;
inline constexpr double kKnownMatchFloor = 0.5;

// A match in the ISCO unit group only counts for this share of an exact occupation match.
inline constexpr double kRelatedOccupationShare = 0.5;
// Experience saturates: five years in the occupation count fully, less counts proportionally
// above kKnownMatchFloor; experience older than kRecencyYears counts half.
inline constexpr int kFullExperienceMonths = 60;
inline constexpr int kRecencyYears = 5;
// Freshness halves every kFreshnessHalfLifeDays since the last change.
inline constexpr double kFreshnessHalfLifeDays = 365;

// The occupation feature of experience of `months` last practised in `last_year`, in the year
// `current_year`; `related` for a unit-group match.
double OccupationFeature(int months, int last_year, int current_year, bool related);
// Candidate range [candidate_min, candidate_max] against the offered [offered_min, offered_max].
double AvailabilityFeature(int candidate_min, int candidate_max, int offered_min, int offered_max);
// Closeness by distance band, relative to the candidate's own limit. Bands, not kilometres: a
// score that moved with the exact distance would let repeated searches from different places
// locate a person (issue 4, "no triangulation").
double DistanceFeature(DistanceBand band, double limit_km);
// The share of the `wanted` working days (bit 0 Monday) the candidate's `days` cover;
// kUnknownFeature when the candidate's days are unknown (0).
double DaysFeature(uint8_t days, uint8_t wanted);
double FreshnessFeature(int64_t days_since_update);

}  // namespace verkenner::engine::ranking

#endif  // VERKENNER_ENGINE_RANKING_H_
