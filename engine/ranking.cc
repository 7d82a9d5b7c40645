#include "engine/ranking.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <iterator>

namespace verkenner::engine::ranking {

double OccupationFeature(int months, int last_year, int current_year, bool related) {
  const double duration = std::clamp(static_cast<double>(months) / kFullExperienceMonths, 0.0, 1.0);
  double feature = kKnownMatchFloor + (1 - kKnownMatchFloor) * duration;
  if (last_year > 0 && current_year - last_year > kRecencyYears) feature *= 0.5;
  return related ? feature * kRelatedOccupationShare : feature;
}

double AvailabilityFeature(int candidate_min, int candidate_max, int offered_min, int offered_max) {
  const int overlap = std::min(candidate_max, offered_max) - std::max(candidate_min, offered_min);
  if (overlap < 0) return 0;
  // The candidate can work the offered maximum: a full fit; else the share of it they cover.
  const double cover =
      offered_max > 0
          ? std::min(1.0, static_cast<double>(candidate_max) / static_cast<double>(offered_max))
          : 1.0;
  return kKnownMatchFloor + (1 - kKnownMatchFloor) * cover;
}

double DistanceFeature(DistanceBand band, double limit_km) {
  // The middle of the band stands for the distance, so the score says no more than the band;
  // an unknown distance counts as the farthest band.
  static constexpr double kRepresentativeKm[] = {
      35,   // kUnknown
      2.5,  // k0To5
      7.5,  // k5To10
      15,   // k10To20
      25,   // k20To30
      35,   // k30Plus
  };
  static_assert(std::size(kRepresentativeKm) == static_cast<size_t>(DistanceBand::k30Plus) + 1);
  const double representative_km = kRepresentativeKm[static_cast<size_t>(band)];
  if (limit_km <= 0) return 1;
  return std::clamp(1 - representative_km / std::max(limit_km, representative_km + 1), 0.0, 1.0);
}

double DaysFeature(uint8_t days, uint8_t wanted) {
  if (days == 0) return kUnknownFeature;
  if (wanted == 0) return 1;
  return static_cast<double>(std::popcount(static_cast<unsigned>(days & wanted))) /
         static_cast<double>(std::popcount(static_cast<unsigned>(wanted)));
}

double FreshnessFeature(int64_t days_since_update) {
  return std::pow(
      0.5, std::max<double>(0, static_cast<double>(days_since_update)) / kFreshnessHalfLifeDays);
}

}  // namespace verkenner::engine::ranking
