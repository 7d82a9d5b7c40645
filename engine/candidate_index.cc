#include "engine/candidate_index.h"

#include <algorithm>
#include <bit>
#include <chrono>
#include <cmath>
#include <limits>
#include <numbers>
#include <tuple>

#include "engine/affinities.h"
#include "engine/banenafspraak.h"
#include "engine/candidate_record.h"
#include "engine/geo.h"
#include "engine/schema.h"

namespace verkenner::engine {
namespace {

// A profile whose own travel limit is unknown is, in tolerant mode, assumed to travel this far:
// unknown is not "no", but it is not "anywhere in the country" either.
constexpr int kAssumedTravelKmWhenUnknown = 15;
// The distance is at least the latitude difference times this (engine/geo.cc's Earth radius).
constexpr double kRadiansPerDegree = std::numbers::pi / 180.0;

// Xapian's BM25Weight defaults, so text scores rank as Xapian's would.
constexpr double kK1 = 1.0;
constexpr double kB = 0.5;
constexpr double kMinNormalisedLength = 0.5;

constexpr const char* kHoursBands[] = {"0-12", "12-20", "20-26", "26-32", "32-40", "onbekend"};
constexpr int kHoursUnknownBand = 5;
int HoursBand(int hours_max) {
  if (hours_max < 0) return kHoursUnknownBand;
  if (hours_max < 12) return 0;
  if (hours_max < 20) return 1;
  if (hours_max < 26) return 2;
  if (hours_max < 32) return 3;
  return 4;
}

constexpr const char* kExperienceBands[] = {"0", "1-12", "12-36", "36-120", "120+"};
int ExperienceBand(int months) {
  if (months <= 0) return 0;
  if (months <= 12) return 1;
  if (months <= 36) return 2;
  if (months <= 120) return 3;
  return 4;
}

constexpr const char* kUnknownFacetValue = "onbekend";

template <typename T>
int64_t VectorBytes(const std::vector<T>& values) {
  return static_cast<int64_t>(values.capacity() * sizeof(T));
}

// Index of values in a table, appending new ones; the table stays a plain vector for searches.
class Interner {
 public:
  explicit Interner(std::vector<std::string>& table) : table_(table) {
    for (size_t i = 0; i < table_.size(); ++i) index_.emplace(table_[i], static_cast<int>(i));
  }
  int operator()(const std::string& value) {
    auto [it, inserted] = index_.try_emplace(value, static_cast<int>(table_.size()));
    if (inserted) table_.push_back(value);
    return it->second;
  }

 private:
  std::vector<std::string>& table_;
  std::unordered_map<std::string, int> index_;
};

// Sorts keys (row << 32 | position) by row. Posting lists hold up to every row, so a two-pass
// radix sort on the row bits beats a comparison sort for the long ones.
void SortKeysByRow(std::vector<uint64_t>& keys, std::vector<uint64_t>& buffer, size_t rows) {
  constexpr int kBits = 11;
  constexpr size_t kBuckets = size_t{1} << kBits;
  if (keys.size() < 4 * kBuckets || rows > (size_t{1} << (2 * kBits))) {
    std::sort(keys.begin(), keys.end());
    return;
  }
  buffer.resize(keys.size());
  for (int pass = 0; pass < 2; ++pass) {
    const int shift = 32 + pass * kBits;
    std::array<size_t, kBuckets + 1> start{};
    for (uint64_t key : keys) ++start[((key >> shift) & (kBuckets - 1)) + 1];
    for (size_t b = 1; b <= kBuckets; ++b) start[b] += start[b - 1];
    for (uint64_t key : keys) buffer[start[(key >> shift) & (kBuckets - 1)]++] = key;
    keys.swap(buffer);
  }
}

// Per-thread scratch space of Match(), sized to the largest index seen. A document's entries
// are valid only while its stamp equals the current one, so nothing is cleared between searches.
struct Scratch {
  // One document's state in this search, together so that one cache line holds it.
  struct Slot {
    uint32_t stamp = 0;
    uint8_t admitted = 0;         // passed the hard constraints
    uint8_t unknowns = 0;         // kAvailabilityUnknown | kEducationUnknown
    uint8_t occupation_code = 0;  // index into ResolvedQuery::esco_codes / isco_codes
    uint8_t occupation_related = 0;
    double distance = -1;
    float text = 0;
    float occupation = 0;
  };
  std::vector<Slot> slots;
  uint32_t current = 0;
  std::vector<uint32_t> admitted_documents;
  std::vector<double> area_distance;  // per PC4 area, for this search; NaN until computed

  void Prepare(size_t size, size_t areas) {
    if (slots.size() < size) {
      slots.assign(size, Slot());
      current = 0;
    }
    if (++current == 0) {  // wrapped: forget every old stamp
      for (Slot& slot : slots) slot.stamp = 0;
      current = 1;
    }
    admitted_documents.clear();
    area_distance.assign(areas, std::numeric_limits<double>::quiet_NaN());
  }
  bool Seen(uint32_t document) const { return slots[document].stamp == current; }
};

thread_local Scratch scratch;

constexpr uint8_t kAvailabilityUnknown = 1;
constexpr uint8_t kEducationUnknown = 2;

}  // namespace

std::shared_ptr<const CandidateIndex> CandidateIndex::Load(
    const Xapian::Database& database, std::string state,
    std::shared_ptr<const ReferenceData> reference) {
  const auto start = std::chrono::steady_clock::now();
  std::shared_ptr<CandidateIndex> index(new CandidateIndex());
  CandidateIndex& x = *index;
  x.state_ = std::move(state);
  x.reference_ = std::move(reference);
  const size_t size = static_cast<size_t>(database.get_lastdocid()) + 1;
  x.lat_.assign(size, 0);
  x.lon_.assign(size, 0);
  x.gate_.assign(size, Gate());
  x.education_code_.assign(size, 0);
  x.region_.assign(size, 0);
  x.experience_months_.assign(size, 0);
  x.updated_day_.assign(size, 0);
  x.completeness_.assign(size, 0);
  x.affinities_.assign(size, 0);
  x.days_.assign(size, 0);
  x.sectors_.assign(size, 0);
  x.available_from_day_.assign(size, 0);
  x.text_length_.assign(size, 0);
  x.education_codes_ = {""};
  x.document_count_ = database.get_doccount();

  Interner region_index(x.regions_);
  Interner education_index(x.education_codes_);
  Interner sector_index(x.sector_codes_);
  Interner affinity_index(x.affinity_codes_);
  int64_t postings = 0;
  CandidateRecord record;  // reused: decoding then reuses its strings and vectors
  for (auto value = database.valuestream_begin(schema::kSlotSearchFields);
       value != database.valuestream_end(schema::kSlotSearchFields); ++value) {
    const Xapian::docid d = value.get_docid();
    // A malformed record stays out of every result: its retention is 0.
    if (!DecodeSearchFields(*value, record)) continue;
    x.lat_[d] = record.home.lat;
    x.lon_[d] = record.home.lon;
    Gate& gate = x.gate_[d];
    gate.retain_until_day = static_cast<int32_t>(record.retain_until_day);
    if (record.max_travel_km) {
      gate.max_travel_km = static_cast<int16_t>(std::clamp(*record.max_travel_km, 0, 30000));
    }
    if (record.hours_min)
      gate.hours_min = static_cast<int8_t>(std::clamp(*record.hours_min, 0, 100));
    if (record.hours_max)
      gate.hours_max = static_cast<int8_t>(std::clamp(*record.hours_max, 0, 100));
    if (record.education_ordinal) {
      gate.education_ordinal = static_cast<int8_t>(std::clamp(*record.education_ordinal, 0, 100));
    }
    if (record.driving_licence) gate.driving_licence = *record.driving_licence ? 1 : 0;
    x.updated_day_[d] = static_cast<int32_t>(record.updated_day);
    x.experience_months_[d] = record.TotalExperienceMonths();
    x.completeness_[d] = static_cast<uint8_t>(std::lround(record.Completeness() * 100));
    x.days_[d] = record.days;
    if (record.available_from_day) {
      x.available_from_day_[d] = static_cast<int32_t>(*record.available_from_day);
    }
    if (!record.region_code.empty()) {
      x.region_[d] = static_cast<uint8_t>(std::min(region_index(record.region_code), 255));
    }
    if (!record.education_code.empty()) {
      x.education_code_[d] =
          static_cast<uint8_t>(std::min(education_index(record.education_code), 255));
    }
    for (const ExperienceEntry& entry : record.experience) {
      auto add = [&](OccupationPostings& list) {
        // One entry per document: several jobs in one occupation add up.
        if (!list.documents.empty() && list.documents.back() == d) {
          list.months.back() =
              static_cast<uint16_t>(std::min(65535, list.months.back() + entry.months));
          list.last_year.back() =
              static_cast<uint16_t>(std::max<int>(list.last_year.back(), entry.last_year));
          return;
        }
        list.documents.push_back(d);
        list.months.push_back(static_cast<uint16_t>(std::clamp(entry.months, 0, 65535)));
        list.last_year.push_back(static_cast<uint16_t>(std::clamp(entry.last_year, 0, 65535)));
        ++postings;
      };
      if (const std::string sector = NormalizeKey(entry.sector); !sector.empty()) {
        const int bit = sector_index(sector);
        if (bit < 64) x.sectors_[d] |= uint64_t{1} << bit;
      }
      if (!entry.esco_code.empty()) add(x.occupations_[entry.esco_code]);
      if (!entry.isco_code.empty()) add(x.unit_groups_[entry.isco_code]);
    }
    for (const std::string& code : record.affinities) {
      const int bit = affinity_index(code);
      // More kinds than the reference set has are not countable here.
      if (bit < 64) x.affinities_[d] |= uint64_t{1} << bit;
    }
  }
  // Profiles live at PC4 centres: a few thousand distinct points, so a search can compute one
  // distance per area instead of one per profile.
  {
    struct PointHash {
      size_t operator()(const std::pair<double, double>& point) const {
        return std::hash<double>()(point.first) * 31 + std::hash<double>()(point.second);
      }
    };
    std::unordered_map<std::pair<double, double>, uint32_t, PointHash> areas;
    for (size_t d = 0; d < size; ++d) {
      auto [it, inserted] =
          areas.try_emplace({x.lat_[d], x.lon_[d]}, static_cast<uint32_t>(x.area_lat_.size()));
      if (inserted) {
        x.area_lat_.push_back(x.lat_[d]);
        x.area_lon_.push_back(x.lon_[d]);
      }
      x.gate_[d].area = it->second;
    }
  }

  // Text terms are the unprefixed ones: they start with a digit, a lower-case letter or a
  // non-ASCII byte, while every prefix is upper-case ASCII.
  auto load_text = [&](Xapian::TermIterator term) {
    for (; term != database.allterms_end(); ++term) {
      const std::string name = *term;
      if (name.empty()) continue;
      const unsigned char first = static_cast<unsigned char>(name[0]);
      if (first >= 'A' && first <= 'Z') {
        term.skip_to("a");
        if (term == database.allterms_end()) break;
        const std::string next = *term;
        const unsigned char next_first = static_cast<unsigned char>(next[0]);
        if (next_first >= 'A' && next_first <= 'Z') break;
      }
      const std::string text_term = *term;
      TextPostings& list = x.text_[text_term];
      list.documents.reserve(term.get_termfreq());
      list.wdf.reserve(term.get_termfreq());
      for (auto posting = database.postlist_begin(text_term);
           posting != database.postlist_end(text_term); ++posting) {
        const Xapian::termcount wdf = std::min<Xapian::termcount>(posting.get_wdf(), 65535);
        list.documents.push_back(*posting);
        list.wdf.push_back(static_cast<uint16_t>(wdf));
        x.text_length_[*posting] =
            static_cast<uint16_t>(std::min<uint32_t>(65535, x.text_length_[*posting] + wdf));
        ++postings;
      }
    }
  };
  load_text(database.allterms_begin());
  double total_length = 0;
  for (uint16_t length : x.text_length_) total_length += length;
  x.average_text_length_ =
      x.document_count_ > 0 ? std::max(1.0, total_length / x.document_count_) : 1.0;
  x.ArrangeSpatially();

  int64_t bytes = VectorBytes(x.gate_) + VectorBytes(x.lat_) + VectorBytes(x.lon_) +
                  VectorBytes(x.education_code_) + VectorBytes(x.region_) +
                  VectorBytes(x.experience_months_) + VectorBytes(x.updated_day_) +
                  VectorBytes(x.completeness_) + VectorBytes(x.affinities_) + VectorBytes(x.days_) +
                  VectorBytes(x.available_from_day_) + VectorBytes(x.text_length_) +
                  VectorBytes(x.area_lat_) + VectorBytes(x.area_lon_);
  for (const auto& [term, list] : x.text_) {
    bytes +=
        static_cast<int64_t>(term.capacity()) + VectorBytes(list.documents) + VectorBytes(list.wdf);
  }
  for (const auto* lists : {&x.occupations_, &x.unit_groups_}) {
    for (const auto& [code, list] : *lists) {
      bytes += VectorBytes(list.documents) + VectorBytes(list.months) + VectorBytes(list.last_year);
    }
  }
  x.load_stats_.documents = x.document_count_;
  x.load_stats_.postings = postings;
  x.load_stats_.memory_bytes = bytes;
  x.load_stats_.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return index;
}

void CandidateIndex::ArrangeSpatially() {
  // Rows: the documents that exist, ordered by latitude strip, then longitude, then docid.
  double min_lat = 90;
  for (size_t d = 1; d < gate_.size(); ++d) {
    if (gate_[d].retain_until_day != 0) min_lat = std::min(min_lat, lat_[d]);
  }
  strip_base_ = static_cast<int>(std::floor(min_lat / kStripDegrees));
  // Sorted by value rather than through the columns: a comparator that reads lat_ and lon_ at
  // random took most of the load time.
  struct Place {
    int strip;
    double lon;
    uint32_t docid;
    bool operator<(const Place& other) const {
      return std::tie(strip, lon, docid) < std::tie(other.strip, other.lon, other.docid);
    }
  };
  std::vector<Place> places;
  for (size_t d = 1; d < gate_.size(); ++d) {
    if (gate_[d].retain_until_day != 0) {
      places.push_back({StripOf(lat_[d]), lon_[d], static_cast<uint32_t>(d)});
    }
  }
  std::sort(places.begin(), places.end());
  std::vector<uint32_t> order(places.size());
  for (size_t r = 0; r < places.size(); ++r) order[r] = places[r].docid;
  std::vector<uint32_t> row_of(gate_.size(), 0);
  for (uint32_t r = 0; r < order.size(); ++r) row_of[order[r]] = r;
  auto permute = [&](auto& column) {
    std::remove_reference_t<decltype(column)> rows(order.size());
    for (size_t r = 0; r < order.size(); ++r) rows[r] = column[order[r]];
    column.swap(rows);
  };
  permute(gate_);
  permute(lat_);
  permute(lon_);
  permute(education_code_);
  permute(region_);
  permute(experience_months_);
  permute(updated_day_);
  permute(completeness_);
  permute(affinities_);
  permute(days_);
  permute(sectors_);
  permute(available_from_day_);
  permute(text_length_);
  docid_ = std::move(order);

  // Posting lists in row order.
  std::vector<uint64_t> keys;  // row << 32 | position in the list
  std::vector<uint64_t> scratch_keys;
  auto reorder = [&](std::vector<uint32_t>& documents, auto&... payloads) {
    keys.resize(documents.size());
    for (size_t k = 0; k < documents.size(); ++k) {
      keys[k] = (uint64_t{row_of[documents[k]]} << 32) | k;
    }
    SortKeysByRow(keys, scratch_keys, order.size());
    auto apply = [&](auto& values) {
      std::remove_reference_t<decltype(values)> sorted(values.size());
      for (size_t k = 0; k < keys.size(); ++k) sorted[k] = values[keys[k] & 0xffffffffu];
      values.swap(sorted);
    };
    (apply(payloads), ...);
    for (size_t k = 0; k < keys.size(); ++k) documents[k] = static_cast<uint32_t>(keys[k] >> 32);
  };
  for (auto& [term, list] : text_) reorder(list.documents, list.wdf);
  for (auto* lists : {&occupations_, &unit_groups_}) {
    for (auto& [code, list] : *lists) reorder(list.documents, list.months, list.last_year);
  }

  const int strips = docid_.empty() ? 0 : StripOf(lat_.back()) + 1;  // rows are in strip order
  strip_begin_.assign(static_cast<size_t>(strips) + 1, static_cast<uint32_t>(docid_.size()));
  for (uint32_t r = static_cast<uint32_t>(docid_.size()); r-- > 0;) {
    strip_begin_[static_cast<size_t>(StripOf(lat_[r]))] = r;
  }
  for (size_t strip = strip_begin_.size() - 1; strip-- > 0;) {
    strip_begin_[strip] = std::min(strip_begin_[strip], strip_begin_[strip + 1]);
  }
  max_reach_km_ = kAssumedTravelKmWhenUnknown;
  for (const Gate& gate : gate_) {
    max_reach_km_ = std::max<double>(max_reach_km_, gate.max_travel_km);
  }
}

int CandidateIndex::StripOf(double lat) const {
  return std::max(0, static_cast<int>(std::floor(lat / kStripDegrees)) - strip_base_);
}

std::vector<std::pair<uint32_t, uint32_t>> CandidateIndex::RowsNear(const GeoPoint& point) const {
  std::vector<std::pair<uint32_t, uint32_t>> ranges;
  if (docid_.empty()) return ranges;
  // Everything a profile could travel from lies in this box around the workplace.
  const double lat_reach = max_reach_km_ / kKmPerDegreeLatitude + 1e-6;
  const double widest = std::max(std::abs(point.lat - lat_reach), std::abs(point.lat + lat_reach));
  const double lon_reach = max_reach_km_ / (kKmPerDegreeLatitude *
                                            std::cos(std::min(89.0, widest) * kRadiansPerDegree)) +
                           1e-6;
  const int last_strip = static_cast<int>(strip_begin_.size()) - 2;
  const int first = StripOf(point.lat - lat_reach);
  const int last = std::min(last_strip, StripOf(point.lat + lat_reach));
  for (int strip = first; strip <= last; ++strip) {
    const auto begin = lon_.begin() + strip_begin_[static_cast<size_t>(strip)];
    const auto end = lon_.begin() + strip_begin_[static_cast<size_t>(strip) + 1];
    const auto low = std::lower_bound(begin, end, point.lon - lon_reach);
    const auto high = std::upper_bound(low, end, point.lon + lon_reach);
    if (low != high) {
      ranges.emplace_back(static_cast<uint32_t>(low - lon_.begin()),
                          static_cast<uint32_t>(high - lon_.begin()));
    }
  }
  return ranges;
}

int64_t CandidateIndex::TextTermFrequency(const std::string& term) const {
  auto found = text_.find(term);
  return found == text_.end() ? 0 : static_cast<int64_t>(found->second.documents.size());
}

MatchOutcome CandidateIndex::Match(const ResolvedQuery& resolved) const {
  using namespace ranking;
  const SearchQuery& query = *resolved.query;
  MatchOutcome outcome;
  for (FacetKind facet : query.facets) outcome.facet_counts[facet];
  const size_t size = docid_.size();
  Scratch& s = scratch;
  s.Prepare(size, area_lat_.size());

  const bool tolerant = query.unknown_fields == UnknownFieldPolicy::kTolerant;
  const bool hours_asked = query.hours_min.has_value() || query.hours_max.has_value();
  const int offered_min = query.hours_min.value_or(0);
  const int offered_max = query.hours_max.value_or(kMaxHoursPerWeek);
  const bool education_asked = resolved.minimum_education_ordinal >= 0;
  const bool education_required = education_asked && query.education == Requirement::kRequired;
  const bool licence_required = query.driving_licence == Requirement::kRequired;
  const bool located = query.workplace.has_value();
  const GeoPoint workplace = located ? *query.workplace : GeoPoint{};
  const auto today = static_cast<int32_t>(query.today_day);
  const CompiledFilters filters = CompileFilters(query.facet_filters);

  // The hard constraints, checked once per document the search reaches; cheap column reads, so
  // the scoring below runs only for documents that can be in the result.
  auto admit = [&](uint32_t d) -> bool {
    Scratch::Slot& slot = s.slots[d];
    if (slot.stamp == s.current) return slot.admitted != 0;
    slot = Scratch::Slot();
    slot.stamp = s.current;
    const Gate& gate = gate_[d];
    if (gate.retain_until_day < today || gate.retain_until_day == 0) return false;
    if (located) {  // first: the most selective
      double limit = gate.max_travel_km;
      if (gate.max_travel_km < 0) {
        if (!tolerant) return false;
        limit = kAssumedTravelKmWhenUnknown;
      }
      // Profiles live at PC4 centres, so a search computes each area's distance once.
      double& distance = s.area_distance[gate.area];
      if (std::isnan(distance)) {
        distance = DistanceKm({area_lat_[gate.area], area_lon_[gate.area]}, workplace);
      }
      if (!(distance <= limit)) return false;
      slot.distance = distance;
    }
    if (hours_asked) {
      if (gate.hours_max < 0 || gate.hours_min < 0) {
        if (!tolerant) return false;
        slot.unknowns |= kAvailabilityUnknown;
      } else if (gate.hours_max < offered_min || gate.hours_min > offered_max) {
        return false;
      }
    }
    if (education_asked) {
      if (gate.education_ordinal < 0) {
        if (!tolerant) return false;
        slot.unknowns |= kEducationUnknown;
      } else if (education_required &&
                 gate.education_ordinal < resolved.minimum_education_ordinal) {
        return false;
      }
    }
    if (licence_required && gate.driving_licence != 1 && (gate.driving_licence == 0 || !tolerant)) {
      return false;
    }
    if (filters.any && !PassesFilters(filters, d, slot.distance)) return false;
    slot.admitted = 1;
    s.admitted_documents.push_back(d);
    return true;
  };

  // A search with a workplace reads only the rows in the box its farthest traveller could come
  // from: a few row ranges, found by binary search in every posting list.
  std::vector<std::pair<uint32_t, uint32_t>> near;
  if (located) near = RowsNear(workplace);
  auto for_each_near = [&](const std::vector<uint32_t>& documents, auto&& visit) {
    if (!located) {
      for (size_t k = 0; k < documents.size(); ++k) visit(k);
      return;
    }
    auto from = documents.begin();
    for (const auto& [begin, end] : near) {
      from = std::lower_bound(from, documents.end(), begin);
      for (; from != documents.end() && *from < end; ++from) {
        visit(static_cast<size_t>(from - documents.begin()));
      }
    }
  };

  // Relevance: which documents the text and occupations reach, and how well.
  const bool has_text = !resolved.text_terms.empty();
  const bool has_occupations = !resolved.esco_codes.empty();
  float best_text = 0;
  for (const std::string& term : resolved.text_terms) {
    auto found = text_.find(term);
    if (found == text_.end()) continue;
    const TextPostings& list = found->second;
    const double n = static_cast<double>(list.documents.size());
    const double total = static_cast<double>(std::max<int64_t>(1, document_count_));
    const double idf = std::max(0.01, std::log((total - n + 0.5) / (n + 0.5))) * (kK1 + 1);
    for_each_near(list.documents, [&](size_t k) {
      const uint32_t d = list.documents[k];
      if (!admit(d)) return;
      const double length = std::max(kMinNormalisedLength, text_length_[d] / average_text_length_);
      const double wdf = list.wdf[k];
      s.slots[d].text += static_cast<float>(idf * wdf / (kK1 * ((1 - kB) + kB * length) + wdf));
      best_text = std::max(best_text, s.slots[d].text);
    });
  }
  const int current_year = static_cast<int>(
      std::chrono::year_month_day(std::chrono::sys_days(std::chrono::days(query.today_day)))
          .year());
  auto reach_occupations = [&](const std::unordered_map<std::string, OccupationPostings>& lists,
                               const std::vector<std::string>& codes, bool related) {
    for (size_t c = 0; c < codes.size(); ++c) {
      auto found = lists.find(codes[c]);
      if (found == lists.end()) continue;
      const OccupationPostings& list = found->second;
      for_each_near(list.documents, [&](size_t k) {
        const uint32_t d = list.documents[k];
        if (!admit(d)) return;
        const float feature = static_cast<float>(
            OccupationFeature(list.months[k], list.last_year[k], current_year, related));
        if (feature > s.slots[d].occupation) {
          s.slots[d].occupation = feature;
          s.slots[d].occupation_code = static_cast<uint8_t>(std::min<size_t>(c, 255));
          s.slots[d].occupation_related = related ? 1 : 0;
        }
      });
    }
  };
  reach_occupations(occupations_, resolved.esco_codes, false);
  reach_occupations(unit_groups_, resolved.isco_codes, true);
  if (!has_text && !has_occupations) {
    if (located) {
      for (const auto& [begin, end] : near) {
        for (uint32_t d = begin; d < end; ++d) admit(d);
      }
    } else {
      for (uint32_t d = 0; d < size; ++d) admit(d);
    }
  }

  // Facets and ranking over the admitted documents.
  // What the vacancy's affinities and sectors ask for: each is met by the candidate's affinity
  // of that name or by experience in a sector of that name.
  struct Interest {
    uint64_t affinity_bit;
    uint64_t sector_bit;
  };
  std::vector<Interest> interests;
  for (const std::string& wanted : query.affinities) {
    interests.push_back({AffinityBit(wanted), SectorBit(wanted)});
  }
  for (const std::string& wanted : query.sectors) {
    interests.push_back({AffinityBit(wanted), SectorBit(wanted)});
  }
  const bool affinities_asked = !interests.empty();
  const bool days_asked = query.days != 0;
  const bool start_asked = query.start_day.has_value();
  bool want[6] = {};
  for (FacetKind facet : query.facets) want[static_cast<int>(facet)] = true;
  std::vector<int64_t> education_counts(education_codes_.size());
  std::vector<int64_t> region_counts(regions_.size());
  std::array<int64_t, 6> hours_counts{};
  std::array<int64_t, 6> distance_counts{};
  std::array<int64_t, 5> experience_counts{};
  std::vector<int64_t> affinity_counts(std::min<size_t>(affinity_codes_.size(), 64));

  // Better first: by the requested order, then by score, then by docid, so that identical
  // queries give identical orderings.
  auto better = [&](const RankedCandidate& a, const RankedCandidate& b) {
    if (query.sort == SortOrder::kDistance && located) {
      // By band only: an order by exact distance would leak it, as a score would.
      const DistanceBand a_band = BandForDistance(a.distance_km);
      const DistanceBand b_band = BandForDistance(b.distance_km);
      if (a_band != b_band) return a_band < b_band;
    }
    if (query.sort == SortOrder::kLastUpdate) {
      const int32_t a_day = updated_day_[a.row];
      const int32_t b_day = updated_day_[b.row];
      if (a_day != b_day) return a_day > b_day;
    }
    if (a.score != b.score) return a.score > b.score;
    return a.docid < b.docid;
  };
  const size_t wanted = static_cast<size_t>(
      std::clamp(resolved.offset + std::max(0, query.page_size), 0, kMaxReachableResults));
  std::vector<RankedCandidate> best;  // heap, worst of the best on top
  best.reserve(wanted + 1);

  outcome.total = static_cast<int64_t>(s.admitted_documents.size());
  for (uint32_t d : s.admitted_documents) {
    const double distance = s.slots[d].distance;
    if (want[static_cast<int>(FacetKind::kEducationLevel)]) ++education_counts[education_code_[d]];
    if (want[static_cast<int>(FacetKind::kRegion)]) ++region_counts[region_[d]];
    if (want[static_cast<int>(FacetKind::kHoursBand)])
      ++hours_counts[HoursBand(gate_[d].hours_max)];
    if (want[static_cast<int>(FacetKind::kDistanceBand)] && located) {
      ++distance_counts[static_cast<int>(BandForDistance(distance))];
    }
    if (want[static_cast<int>(FacetKind::kExperienceBand)]) {
      ++experience_counts[ExperienceBand(experience_months_[d])];
    }
    if (want[static_cast<int>(FacetKind::kAffinity)]) {
      for (uint64_t bits = affinities_[d]; bits != 0; bits &= bits - 1) {
        ++affinity_counts[static_cast<size_t>(std::countr_zero(bits))];
      }
    }
    if (wanted == 0) continue;

    RankedCandidate candidate;
    candidate.row = d;
    candidate.docid = docid_[d];
    candidate.distance_km = static_cast<float>(distance);
    candidate.availability_unknown = (s.slots[d].unknowns & kAvailabilityUnknown) != 0;
    candidate.education_unknown = (s.slots[d].unknowns & kEducationUnknown) != 0;
    std::array<double, kFeatureCount> feature{};
    uint16_t present = 0;
    auto set = [&](Feature f, double value) {
      feature[f] = value;
      present |= static_cast<uint16_t>(1u << f);
    };
    if (has_occupations) set(kOccupation, s.slots[d].occupation);
    if (has_text) set(kText, best_text > 0 ? s.slots[d].text / best_text : 0.0);
    if (located) {
      const double limit =
          gate_[d].max_travel_km < 0 ? kAssumedTravelKmWhenUnknown : gate_[d].max_travel_km;
      const double closeness = DistanceFeature(BandForDistance(distance), limit);
      set(kDistance, gate_[d].max_travel_km < 0 ? kUnknownFeature * closeness : closeness);
    }
    if (hours_asked || days_asked || start_asked) {
      // The mean of the parts the vacancy asks about: hours, days and start date.
      double sum = 0;
      int parts = 0;
      if (hours_asked) {
        sum += candidate.availability_unknown
                   ? kUnknownFeature
                   : AvailabilityFeature(gate_[d].hours_min, gate_[d].hours_max, offered_min,
                                         offered_max);
        ++parts;
      }
      if (days_asked) {
        sum += DaysFeature(days_[d], query.days);
        ++parts;
      }
      if (start_asked) {
        sum += available_from_day_[d] <= *query.start_day ? 1.0 : 0.0;
        ++parts;
      }
      set(kAvailability, sum / parts);
    }
    if (education_asked) {
      set(kEducation, candidate.education_unknown ? kUnknownFeature
                      : gate_[d].education_ordinal >= resolved.minimum_education_ordinal ? 1.0
                                                                                         : 0.0);
    }
    if (affinities_asked) {
      if (affinities_[d] == 0 && sectors_[d] == 0) {
        set(kAffinity, kUnknownFeature);
      } else {
        int met = 0;
        for (const Interest& interest : interests) {
          met += (affinities_[d] & interest.affinity_bit) || (sectors_[d] & interest.sector_bit);
        }
        set(kAffinity, static_cast<double>(met) / static_cast<double>(interests.size()));
      }
    }
    set(kCompleteness, completeness_[d] / 100.0);
    set(kFreshness, FreshnessFeature(today - updated_day_[d]));
    double weighted = 0;
    double weights = 0;
    for (int f = 0; f < kFeatureCount; ++f) {
      if (!(present & (1u << f))) continue;
      candidate.contribution[f] = static_cast<float>(kWeights[f] * feature[f]);
      weighted += kWeights[f] * feature[f];
      weights += kWeights[f];
    }
    candidate.present = present;
    candidate.score = static_cast<float>(weights > 0 ? 100 * weighted / weights : 0);
    if (best.size() < wanted) {
      best.push_back(std::move(candidate));
      std::push_heap(best.begin(), best.end(), better);
    } else if (better(candidate, best.front())) {
      std::pop_heap(best.begin(), best.end(), better);
      best.back() = std::move(candidate);
      std::push_heap(best.begin(), best.end(), better);
    }
  }

  std::sort(best.begin(), best.end(), better);
  for (size_t i = static_cast<size_t>(resolved.offset); i < best.size(); ++i) {
    RankedCandidate& candidate = best[i];
    const uint32_t d = candidate.row;
    if (s.slots[d].occupation > 0) {
      const auto& codes = s.slots[d].occupation_related ? resolved.isco_codes : resolved.esco_codes;
      if (s.slots[d].occupation_code < codes.size()) {
        candidate.matched_esco_code = codes[s.slots[d].occupation_code];
        candidate.matched_related = s.slots[d].occupation_related != 0;
      }
    }
    for (const std::string& term : resolved.text_terms) {
      auto found = text_.find(term);
      if (found == text_.end()) continue;
      const std::vector<uint32_t>& documents = found->second.documents;
      if (std::binary_search(documents.begin(), documents.end(), d)) {
        candidate.matched_terms.push_back(term);
      }
    }
    outcome.page.push_back(std::move(candidate));
  }

  auto fill = [&](FacetKind facet, auto&& label_of, const auto& counts) {
    if (!want[static_cast<int>(facet)]) return;
    std::map<std::string, int64_t>& out = outcome.facet_counts[facet];
    for (size_t k = 0; k < counts.size(); ++k) {
      if (counts[k] > 0) out[label_of(k)] += counts[k];
    }
  };
  fill(
      FacetKind::kEducationLevel,
      [&](size_t k) { return k == 0 ? std::string(kUnknownFacetValue) : education_codes_[k]; },
      education_counts);
  fill(
      FacetKind::kRegion, [&](size_t k) { return regions_[k]; }, region_counts);
  fill(
      FacetKind::kHoursBand, [](size_t k) { return std::string(kHoursBands[k]); }, hours_counts);
  fill(
      FacetKind::kDistanceBand,
      [](size_t k) { return std::string(DistanceBandLabel(static_cast<DistanceBand>(k))); },
      distance_counts);
  fill(
      FacetKind::kExperienceBand, [](size_t k) { return std::string(kExperienceBands[k]); },
      experience_counts);
  fill(
      FacetKind::kAffinity, [&](size_t k) { return affinity_codes_[k]; }, affinity_counts);
  return outcome;
}

uint64_t CandidateIndex::SectorBit(const std::string& sector) const {
  const std::string key = NormalizeKey(sector);
  auto found = std::find(sector_codes_.begin(), sector_codes_.end(), key);
  const auto bit = found - sector_codes_.begin();
  return found != sector_codes_.end() && bit < 64 ? uint64_t{1} << bit : 0;
}

uint64_t CandidateIndex::AffinityBit(const std::string& code) const {
  auto found = std::find(affinity_codes_.begin(), affinity_codes_.end(), code);
  const auto bit = found - affinity_codes_.begin();
  return found != affinity_codes_.end() && bit < 64 ? uint64_t{1} << bit : 0;
}

CandidateIndex::CompiledFilters CandidateIndex::CompileFilters(
    const std::vector<FacetFilter>& facet_filters) const {
  CompiledFilters filters;
  for (const FacetFilter& filter : facet_filters) {
    filters.any = true;
    auto allowed = [&](auto&& label_of, size_t count) {
      std::vector<bool> set(count, false);
      for (const std::string& value : filter.values) {
        for (size_t i = 0; i < count; ++i) {
          if (label_of(i) == value) set[i] = true;
        }
      }
      return set;
    };
    switch (filter.facet) {
      case FacetKind::kEducationLevel:
        filters.education.push_back(allowed(
            [&](size_t i) {
              return i == 0 ? std::string(kUnknownFacetValue) : education_codes_[i];
            },
            education_codes_.size()));
        break;
      case FacetKind::kRegion:
        filters.region.push_back(allowed([&](size_t i) { return regions_[i]; }, regions_.size()));
        break;
      case FacetKind::kHoursBand:
        filters.hours.push_back(allowed([](size_t i) { return std::string(kHoursBands[i]); }, 6));
        break;
      case FacetKind::kDistanceBand:
        filters.distance.push_back(allowed(
            [](size_t i) { return std::string(DistanceBandLabel(static_cast<DistanceBand>(i))); },
            6));
        break;
      case FacetKind::kExperienceBand:
        filters.experience.push_back(
            allowed([](size_t i) { return std::string(kExperienceBands[i]); }, 5));
        break;
      case FacetKind::kAffinity: {
        uint64_t bits = 0;
        for (const std::string& value : filter.values) bits |= AffinityBit(value);
        filters.affinity.push_back(bits);
        break;
      }
    }
  }
  return filters;
}

bool CandidateIndex::PassesFilters(const CompiledFilters& filters, uint32_t d,
                                   double distance) const {
  for (const auto& allowed : filters.education) {
    if (!allowed[education_code_[d]]) return false;
  }
  for (const auto& allowed : filters.region) {
    if (!allowed[region_[d]]) return false;
  }
  for (const auto& allowed : filters.hours) {
    if (!allowed[HoursBand(gate_[d].hours_max)]) return false;
  }
  for (const auto& allowed : filters.distance) {
    if (distance < 0 || !allowed[static_cast<int>(BandForDistance(distance))]) return false;
  }
  for (const auto& allowed : filters.experience) {
    if (!allowed[ExperienceBand(experience_months_[d])]) return false;
  }
  for (uint64_t bits : filters.affinity) {
    if ((affinities_[d] & bits) == 0) return false;
  }
  return true;
}

std::shared_ptr<const CandidateIndex> CandidateIndexCache::Get(const std::string& state,
                                                               const Xapian::Database& database,
                                                               bool may_load) {
  auto cached = [&]() {
    std::lock_guard<std::mutex> lock(mutex_);
    return current_;
  };
  std::shared_ptr<const CandidateIndex> current = cached();
  if (current != nullptr && current->state() == state) return current;
  if (current != nullptr && !may_load) return current;
  std::unique_lock<std::mutex> loading(load_mutex_, std::try_to_lock);
  if (!loading.owns_lock()) {
    if (current != nullptr) return current;  // another thread loads; serve the previous image
    loading.lock();                          // nothing to serve yet: wait for that load
    current = cached();
    if (current != nullptr && current->state() == state) return current;
  }
  std::shared_ptr<const CandidateIndex> loaded = CandidateIndex::Load(database, state, reference_);
  std::lock_guard<std::mutex> lock(mutex_);
  current_ = loaded;
  return loaded;
}

bool IsFacetValue(FacetKind facet, std::string_view value, const ReferenceData& reference) {
  auto in = [value](const auto& labels) {
    return std::any_of(std::begin(labels), std::end(labels),
                       [value](std::string_view label) { return label == value; });
  };
  switch (facet) {
    case FacetKind::kEducationLevel: {
      if (value == kUnknownFacetValue) return true;
      const EducationLevelInfo* level = reference.FindEducationLevel(value);
      return level != nullptr && level->code == value;
    }
    case FacetKind::kRegion:
      return reference.FindRegion(value) != nullptr;
    case FacetKind::kHoursBand:
      return in(kHoursBands);
    case FacetKind::kDistanceBand:
      for (int band = 0; band <= static_cast<int>(DistanceBand::k30Plus); ++band) {
        if (value == DistanceBandLabel(static_cast<DistanceBand>(band))) return true;
      }
      return false;
    case FacetKind::kExperienceBand:
      return in(kExperienceBands);
    case FacetKind::kAffinity:
      return in(kAffinityCodes);
  }
  return false;
}

}  // namespace verkenner::engine
