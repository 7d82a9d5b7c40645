#include "engine/geo.h"

#include <cmath>
#include <numbers>

namespace verkenner::engine {

double DistanceKm(const GeoPoint& a, const GeoPoint& b) {
  constexpr double kRadians = std::numbers::pi / 180.0;
  const double dlat = (b.lat - a.lat) * kRadians;
  const double dlon = (b.lon - a.lon) * kRadians;
  const double h = std::sin(dlat / 2) * std::sin(dlat / 2) +
                   std::cos(a.lat * kRadians) * std::cos(b.lat * kRadians) * std::sin(dlon / 2) *
                       std::sin(dlon / 2);
  return 2 * kEarthRadiusKm * std::asin(std::min(1.0, std::sqrt(h)));
}

}  // namespace verkenner::engine
