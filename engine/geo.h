#ifndef VERKENNER_ENGINE_GEO_H_
#define VERKENNER_ENGINE_GEO_H_

namespace verkenner::engine {

// Mean Earth radius, and the length of one degree of latitude on it.
inline constexpr double kEarthRadiusKm = 6371.0088;
inline constexpr double kKmPerDegreeLatitude = kEarthRadiusKm * 3.14159265358979323846 / 180.0;

// A point in WGS84 degrees.
struct GeoPoint {
  double lat = 0;
  double lon = 0;
};

// Great-circle distance in km (haversine, mean Earth radius). Accurate to well under 1% at the
// scale of the Netherlands, which is far finer than the PC4 areas it is applied to.
double DistanceKm(const GeoPoint& a, const GeoPoint& b);

}  // namespace verkenner::engine

#endif  // VERKENNER_ENGINE_GEO_H_
