#include "benchmarks/peers/column_scan_peer.h"

#include <algorithm>
#include <bit>
#include <chrono>
#include <cmath>
#include <numbers>
#include <string_view>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "engine/schema.h"

namespace verkenner::benchmarks {
namespace {

using engine::FacetKind;

// Keys of the occupation and unit-group posting lists among the text terms.
constexpr char kOccupationKey[] = "XO";
constexpr char kUnitGroupKey[] = "XI";

constexpr uint8_t kAvailabilityKnown = 1;
constexpr uint8_t kEducationKnown = 2;
constexpr double kKmPerDegree = engine::kKmPerDegreeLatitude;

// Xapian's BM25Weight defaults.
constexpr double kK1 = 1.0;
constexpr double kB = 0.5;
constexpr double kMinNormalisedLength = 0.5;

template <typename T>
size_t VectorBytes(const std::vector<T>& values) {
  return values.capacity() * sizeof(T);
}

uint8_t IndexOf(const std::string& value, std::vector<std::string>& table) {
  auto found = std::find(table.begin(), table.end(), value);
  if (found != table.end()) return static_cast<uint8_t>(found - table.begin());
  table.push_back(value);
  return static_cast<uint8_t>(table.size() - 1);
}

int DistanceBandIndex(double km) { return static_cast<int>(engine::BandForDistance(km)); }

constexpr const char* kHoursBands[] = {"0-12", "12-20", "20-26", "26-32", "32-40", "onbekend"};
int HoursBandIndex(int hours_max) {
  if (hours_max < 0) return 5;
  const char* label = HoursBandLabel(hours_max);
  for (int i = 0; i < 5; ++i) {
    if (std::string_view(label) == kHoursBands[i]) return i;
  }
  return 5;
}

constexpr const char* kExperienceBands[] = {"0", "1-12", "12-36", "36-120", "120+"};
int ExperienceBandIndex(int months) {
  const std::string_view label = ExperienceBandLabel(months);
  for (int i = 0; i < 5; ++i) {
    if (label == kExperienceBands[i]) return i;
  }
  return 4;
}

struct Ranked {
  float score;
  Xapian::docid docid;
};
// Better first: higher score, then lower docid (the engine's ascending docid tie-break).
bool Better(const Ranked& a, const Ranked& b) {
  return a.score != b.score ? a.score > b.score : a.docid < b.docid;
}

}  // namespace

ColumnScanPeer::ColumnScanPeer(std::shared_ptr<const engine::ReferenceData> reference)
    : resolver_(std::move(reference)) {}

absl::StatusOr<std::unique_ptr<ColumnScanPeer>> ColumnScanPeer::Build(
    const std::string& index_path, std::shared_ptr<const engine::ReferenceData> reference) {
  const auto start = std::chrono::steady_clock::now();
  std::unique_ptr<ColumnScanPeer> peer(new ColumnScanPeer(std::move(reference)));
  ColumnScanPeer& p = *peer;
  double total_length = 0;
  absl::Status loaded = ForEachIndexedProfile(index_path, [&](const IndexedProfile& profile) {
    const engine::CandidateRecord& record = profile.record;
    const auto index = static_cast<uint32_t>(p.docid_.size());
    p.docid_.push_back(profile.docid);
    p.lat_.push_back(record.home.lat);
    p.lon_.push_back(record.home.lon);
    p.max_travel_.push_back(static_cast<int16_t>(record.max_travel_km.value_or(-1)));
    p.hours_min_.push_back(static_cast<int8_t>(record.hours_min.value_or(127)));
    p.hours_max_.push_back(static_cast<int8_t>(record.hours_max.value_or(-1)));
    p.education_ordinal_.push_back(static_cast<int8_t>(record.education_ordinal.value_or(-1)));
    p.flags_.push_back(static_cast<uint8_t>((profile.availability_known ? kAvailabilityKnown : 0) |
                                            (profile.education_known ? kEducationKnown : 0)));
    p.education_code_.push_back(
        record.education_code.empty() ? 0 : IndexOf(record.education_code, p.education_codes_));
    p.region_.push_back(IndexOf(record.region_code, p.regions_));
    p.experience_months_.push_back(static_cast<int32_t>(profile.experience_months));
    p.retain_until_.push_back(static_cast<int32_t>(record.retain_until_day));
    uint64_t affinities = 0;
    for (const std::string& code : record.affinities) {
      uint8_t bit = IndexOf(code, p.affinity_codes_);
      if (bit >= 64) return absl::InternalError("column scan peer: more than 64 affinities");
      affinities |= uint64_t{1} << bit;
    }
    p.affinities_.push_back(affinities);
    if (p.regions_.size() > 255 || p.education_codes_.size() > 255) {
      return absl::InternalError("column scan peer: too many regions or education codes");
    }

    uint32_t length = 0;
    auto add = [&](const std::string& term, Xapian::termcount wdf) {
      Postings& postings = p.postings_[term];
      postings.documents.push_back(index);
      postings.wdf.push_back(static_cast<uint16_t>(std::min<Xapian::termcount>(wdf, 65535)));
      length += wdf;
    };
    for (const auto& [term, wdf] : profile.text_terms) add(term, wdf);
    for (const std::string& code : profile.esco_codes) {
      add(std::string(kOccupationKey) + code, 1);
    }
    for (const std::string& code : profile.isco_codes) {
      add(std::string(kUnitGroupKey) + code, 1);
    }
    p.length_.push_back(length);
    total_length += length;
    return absl::OkStatus();
  });
  if (!loaded.ok()) return loaded;
  const size_t documents = p.docid_.size();
  p.average_length_ = documents > 0 ? std::max(1.0, total_length / documents) : 1.0;
  p.score_.assign(documents, 0);
  p.stamp_.assign(documents, 0);

  size_t bytes = VectorBytes(p.docid_) + VectorBytes(p.lat_) + VectorBytes(p.lon_) +
                 VectorBytes(p.max_travel_) + VectorBytes(p.hours_min_) +
                 VectorBytes(p.hours_max_) + VectorBytes(p.education_ordinal_) +
                 VectorBytes(p.flags_) + VectorBytes(p.education_code_) + VectorBytes(p.region_) +
                 VectorBytes(p.experience_months_) + VectorBytes(p.retain_until_) +
                 VectorBytes(p.affinities_) + VectorBytes(p.length_) + VectorBytes(p.score_) +
                 VectorBytes(p.stamp_);
  for (auto& [term, postings] : p.postings_) {
    postings.documents.shrink_to_fit();
    postings.wdf.shrink_to_fit();
    bytes += term.capacity() + sizeof(Postings) + VectorBytes(postings.documents) +
             VectorBytes(postings.wdf);
  }
  p.build_stats_.documents = static_cast<int64_t>(documents);
  p.build_stats_.memory_bytes = static_cast<int64_t>(bytes);
  p.build_stats_.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return peer;
}

double ColumnScanPeer::TermWeight(const Postings& postings, double factor) const {
  const double n = static_cast<double>(postings.documents.size());
  const double total = static_cast<double>(docid_.size());
  return factor * std::max(0.01, std::log((total - n + 0.5) / (n + 0.5))) * (kK1 + 1);
}

double ColumnScanPeer::Saturation(uint32_t document, double wdf) const {
  const double normalised = std::max(kMinNormalisedLength, length_[document] / average_length_);
  return wdf / (kK1 * ((1 - kB) + kB * normalised) + wdf);
}

void ColumnScanPeer::Touch(uint32_t document) {
  if (stamp_[document] != current_stamp_) {
    stamp_[document] = current_stamp_;
    score_[document] = 0;
    touched_.push_back(document);
  }
}

void ColumnScanPeer::Accumulate(const std::string& term, double factor) {
  auto found = postings_.find(term);
  if (found == postings_.end()) return;
  const Postings& postings = found->second;
  const double weight = TermWeight(postings, factor);
  for (size_t k = 0; k < postings.documents.size(); ++k) {
    const uint32_t i = postings.documents[k];
    Touch(i);
    score_[i] += static_cast<float>(weight * Saturation(i, postings.wdf[k]));
  }
}

void ColumnScanPeer::AccumulateAll(const std::vector<std::string>& terms) {
  if (terms.size() == 1) {
    Accumulate(terms[0], 1.0);
    return;
  }
  std::vector<const Postings*> lists;
  for (const std::string& term : terms) {
    auto found = postings_.find(term);
    if (found == postings_.end()) return;  // AND with a term nobody has
    lists.push_back(&found->second);
  }
  std::sort(lists.begin(), lists.end(), [](const Postings* a, const Postings* b) {
    return a->documents.size() < b->documents.size();
  });
  std::vector<double> weights;
  for (const Postings* list : lists) weights.push_back(TermWeight(*list, 1.0));
  std::vector<size_t> cursor(lists.size(), 0);
  const Postings& shortest = *lists[0];
  for (size_t k = 0; k < shortest.documents.size(); ++k) {
    const uint32_t i = shortest.documents[k];
    bool everywhere = true;
    for (size_t j = 1; j < lists.size() && everywhere; ++j) {
      const std::vector<uint32_t>& documents = lists[j]->documents;
      cursor[j] = static_cast<size_t>(
          std::lower_bound(documents.begin() + static_cast<ptrdiff_t>(cursor[j]), documents.end(),
                           i) -
          documents.begin());
      everywhere = cursor[j] < documents.size() && documents[cursor[j]] == i;
    }
    if (!everywhere) continue;
    Touch(i);
    double score = weights[0] * Saturation(i, shortest.wdf[k]);
    for (size_t j = 1; j < lists.size(); ++j) {
      score += weights[j] * Saturation(i, lists[j]->wdf[cursor[j]]);
    }
    score_[i] += static_cast<float>(score);
  }
}

absl::StatusOr<PeerResult> ColumnScanPeer::Search(const engine::SearchQuery& query) {
  auto resolved = resolver_.Resolve(query);
  if (!resolved.ok()) return resolved.status();
  const ResolvedQuery& q = *resolved;
  PeerResult result;
  for (FacetKind facet : q.facets) result.facets[facet];
  result.examined_before_travel = 0;

  if (++current_stamp_ == 0) {  // wrapped: forget every old stamp
    std::fill(stamp_.begin(), stamp_.end(), 0);
    current_stamp_ = 1;
  }
  touched_.clear();
  if (!q.match_all) {
    for (const std::vector<std::string>& clause : q.text_clauses) AccumulateAll(clause);
    for (const std::string& code : q.esco_codes) {
      Accumulate(std::string(kOccupationKey) + code, 1.0);
    }
    for (const std::string& code : q.isco_codes) {
      Accumulate(std::string(kUnitGroupKey) + code, kRelatedOccupationWeight);
    }
  }

  const bool tolerant = q.tolerant;
  const bool hours = q.offered_hours.has_value();
  const double offered_min = hours ? q.offered_hours->first : 0;
  const double offered_max = hours ? q.offered_hours->second : 0;
  const bool education = q.required_education_ordinal.has_value();
  const int minimum_ordinal = education ? *q.required_education_ordinal : 0;
  const bool located = q.workplace.has_value();
  const engine::GeoPoint workplace = located ? *q.workplace : engine::GeoPoint{};
  const auto today = static_cast<int32_t>(q.today_day);

  bool want[6] = {};
  for (FacetKind facet : q.facets) want[static_cast<int>(facet)] = true;
  std::vector<int64_t> education_counts(education_codes_.size());
  std::vector<int64_t> region_counts(regions_.size());
  int64_t hours_counts[6] = {};
  int64_t distance_counts[6] = {};
  int64_t experience_counts[5] = {};
  std::vector<int64_t> affinity_counts(affinity_codes_.size());

  const size_t page_size = static_cast<size_t>(std::max(0, q.page_size));
  std::vector<Ranked> top;  // a heap with the worst of the best on top
  top.reserve(page_size + 1);
  auto worse_on_top = [](const Ranked& a, const Ranked& b) { return Better(a, b); };

  auto visit = [&](uint32_t i, float score) {
    if (retain_until_[i] < today) return;
    if (hours && !(hours_max_[i] >= offered_min && hours_min_[i] <= offered_max) &&
        !(tolerant && !(flags_[i] & kAvailabilityKnown))) {
      return;
    }
    if (!tolerant && q.education_asked && !(flags_[i] & kEducationKnown)) return;
    if (education && !(education_ordinal_[i] >= minimum_ordinal) &&
        !(tolerant && !(flags_[i] & kEducationKnown))) {
      return;
    }
    ++result.examined_before_travel;
    double distance = 0;
    if (located) {
      double limit = max_travel_[i];
      if (max_travel_[i] < 0) {
        if (!tolerant) return;
        limit = kAssumedTravelKmWhenUnknown;
      }
      // A cheap latitude test first: the distance is at least the latitude difference.
      if (std::abs(lat_[i] - workplace.lat) * kKmPerDegree > limit * 1.0001 + 1e-9) return;
      distance = engine::DistanceKm({lat_[i], lon_[i]}, workplace);
      if (!(distance <= limit)) return;
    }
    ++result.total;
    if (want[static_cast<int>(FacetKind::kEducationLevel)]) ++education_counts[education_code_[i]];
    if (want[static_cast<int>(FacetKind::kRegion)]) ++region_counts[region_[i]];
    if (want[static_cast<int>(FacetKind::kHoursBand)])
      ++hours_counts[HoursBandIndex(hours_max_[i])];
    if (want[static_cast<int>(FacetKind::kDistanceBand)] && located) {
      ++distance_counts[DistanceBandIndex(distance)];
    }
    if (want[static_cast<int>(FacetKind::kExperienceBand)]) {
      ++experience_counts[ExperienceBandIndex(experience_months_[i])];
    }
    if (want[static_cast<int>(FacetKind::kAffinity)]) {
      for (uint64_t bits = affinities_[i]; bits != 0; bits &= bits - 1) {
        ++affinity_counts[static_cast<size_t>(std::countr_zero(bits))];
      }
    }
    if (page_size == 0) return;
    const Ranked candidate{score, docid_[i]};
    if (top.size() < page_size) {
      top.push_back(candidate);
      std::push_heap(top.begin(), top.end(), worse_on_top);
    } else if (Better(candidate, top.front())) {
      std::pop_heap(top.begin(), top.end(), worse_on_top);
      top.back() = candidate;
      std::push_heap(top.begin(), top.end(), worse_on_top);
    }
  };
  if (q.match_all) {
    for (uint32_t i = 0; i < docid_.size(); ++i) visit(i, 0);
  } else {
    for (uint32_t i : touched_) visit(i, score_[i]);
  }

  std::sort(top.begin(), top.end(), Better);
  for (const Ranked& ranked : top) result.top.push_back(ranked.docid);
  auto fill = [&](FacetKind facet, auto&& label_of, const auto& counts, size_t size) {
    if (!want[static_cast<int>(facet)]) return;
    std::map<std::string, int64_t>& out = result.facets[facet];
    for (size_t k = 0; k < size; ++k) {
      if (counts[k] > 0) out[label_of(k)] = counts[k];
    }
  };
  fill(
      FacetKind::kEducationLevel, [&](size_t k) { return education_codes_[k]; }, education_counts,
      education_counts.size());
  fill(
      FacetKind::kRegion, [&](size_t k) { return regions_[k]; }, region_counts,
      region_counts.size());
  fill(
      FacetKind::kHoursBand, [](size_t k) { return std::string(kHoursBands[k]); }, hours_counts, 6);
  fill(
      FacetKind::kDistanceBand,
      [](size_t k) {
        return std::string(engine::DistanceBandLabel(static_cast<engine::DistanceBand>(k)));
      },
      distance_counts, 6);
  fill(
      FacetKind::kExperienceBand, [](size_t k) { return std::string(kExperienceBands[k]); },
      experience_counts, 5);
  fill(
      FacetKind::kAffinity, [&](size_t k) { return affinity_codes_[k]; }, affinity_counts,
      affinity_counts.size());
  return result;
}

}  // namespace verkenner::benchmarks
