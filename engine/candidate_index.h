#ifndef VERKENNER_ENGINE_CANDIDATE_INDEX_H_
#define VERKENNER_ENGINE_CANDIDATE_INDEX_H_

#include <xapian.h>

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "absl/status/statusor.h"
#include "engine/ranking.h"
#include "engine/refdata/reference_data.h"
#include "engine/search_types.h"

// The matching side of the engine: an immutable in-memory image of one index state, with the
// fields every search filters, ranks and counts on as columns (one array per field, indexed by
// document id) and the text and occupation posting lists. A search scans only the documents its
// terms reach (or every document for a search without text or occupations), applying the hard
// constraints, counting facets and ranking in one pass, so it costs microseconds per candidate
// instead of a document read per candidate. Xapian stays the durable store: the image is loaded
// from it (about a second per million profiles) and rebuilt when the index changes.
//
// Thread-safe: Match() is const and keeps its scratch space per thread.
namespace verkenner::engine {

// A SearchQuery with its words resolved against the index's vocabulary.
struct ResolvedQuery {
  const SearchQuery* query = nullptr;   // the rest: workplace, hours, filters, facets, order
  std::vector<std::string> text_terms;  // stemmed, unique, as the indexer made them
  std::vector<std::string> esco_codes;  // asked for, or named by an occupation label in text
  std::vector<std::string> isco_codes;  // unit groups of those, for related experience
  int minimum_education_ordinal = -1;   // -1: no education criterion
  int offset = 0;                       // first result of the page
  // In tolerant mode, how far a profile whose own travel limit is unknown is assumed to travel.
  int unknown_travel_km = kDefaultUnknownTravelKm;
  // Documents never admitted, sorted: profiles an organisation hid (ProfileAnnotations). Null or
  // empty when none.
  const std::vector<Xapian::docid>* hidden_documents = nullptr;
  // Availability confirmed by a WSP (ProfileAnnotations), by document, sorted: counts where
  // later than the profile's own confirmation. Null or empty when none.
  const std::vector<std::pair<Xapian::docid, int32_t>>* confirmed_documents = nullptr;
};

// One result of a search, before the profile is read for showing.
struct RankedCandidate {
  Xapian::docid docid = 0;
  uint32_t row = 0;        // in the CandidateIndex
  float score = 0;         // 0..100
  float distance_km = -1;  // -1: no workplace given
  // Each feature's weighted contribution (ranking::kWeights times the feature), and whether the
  // vacancy asked about it; the explanation shares follow from these.
  std::array<float, ranking::kFeatureCount> contribution{};
  uint16_t present = 0;  // bit per ranking::Feature
  // The occupation that matched, for the explanation ("3 jaar ervaring als ...").
  std::string matched_esco_code;
  bool matched_related = false;
  // Text terms of the query the profile holds.
  std::vector<std::string> matched_terms;
  // Fields the vacancy asked about that the profile leaves unknown.
  bool availability_unknown = false;
  bool education_unknown = false;
};

struct MatchOutcome {
  int64_t total = 0;  // exact size of the matching set
  std::vector<RankedCandidate> page;
  std::map<FacetKind, std::map<std::string, int64_t>> facet_counts;
};

class CandidateIndex {
 public:
  struct LoadStats {
    int64_t documents = 0;
    int64_t postings = 0;
    int64_t memory_bytes = 0;
    double seconds = 0;
  };

  // Loads the image of `database` (all shards as one). `state` names the index state it
  // reflects (generation and shard revisions), so callers can tell when to load again. Throws
  // Xapian::Error like the database does.
  static std::shared_ptr<const CandidateIndex> Load(const Xapian::Database& database,
                                                    std::string state,
                                                    std::shared_ptr<const ReferenceData> reference);

  const std::string& state() const { return state_; }
  const LoadStats& load_stats() const { return load_stats_; }

  // Whether any profile holds this stemmed text term.
  bool HasTextTerm(const std::string& term) const { return text_.contains(term); }
  int64_t TextTermFrequency(const std::string& term) const;
  // How many profiles hold experience in the occupation (ESCO code).
  int64_t OccupationFrequency(const std::string& esco_code) const;

  // The search: hard constraints, facet counts over the whole matching set, ranking, and the
  // requested page. Deep pages end at kMaxReachableResults.
  MatchOutcome Match(const ResolvedQuery& resolved) const;

  // Results beyond this rank are not served: paging through a whole region is how profiles are
  // scraped. A narrower search reaches the rest.
  static constexpr int kMaxReachableResults = 1000;

 private:
  struct TextPostings {
    std::vector<uint32_t> documents;  // rows, ascending
    std::vector<uint16_t> wdf;
  };
  struct OccupationPostings {
    std::vector<uint32_t> documents;  // rows, ascending
    std::vector<uint16_t> months;
    std::vector<uint16_t> last_year;
  };

  // The values a search's facet filters allow, as index sets over the column codes.
  struct CompiledFilters {
    bool any = false;
    std::vector<std::vector<bool>> education;   // by education code index
    std::vector<std::vector<bool>> region;      // by region index
    std::vector<std::vector<bool>> hours;       // by hours band
    std::vector<std::vector<bool>> distance;    // by DistanceBand
    std::vector<std::vector<bool>> experience;  // by experience band
    std::vector<uint64_t> affinity;             // any of these bits
  };

  // Builds the image from a database (Load()); one search over the image (Match()). Both are
  // defined in candidate_index.cc, as classes so that their phases share state without long
  // parameter lists.
  class Loader;
  class MatchRun;

  CandidateIndex() = default;
  // Sizes every column for `size` document ids (rows come later, in ArrangeSpatially()).
  void AllocateColumns(size_t size);
  // Numbers the distinct home points (PC4 centres) and sets each document's Gate::area.
  void GroupHomeAreas();
  void ComputeAverageTextLength();
  int64_t MemoryBytes() const;
  // Puts the rows in spatial order (latitude strips, then longitude) and the posting lists with
  // them, so that the profiles near a workplace are a few row ranges.
  void ArrangeSpatially();
  // The documents that exist, ordered by latitude strip, then longitude, then docid.
  std::vector<uint32_t> SpatialOrder();
  // Reorders every column by `order` (document ids, in row order) and makes docid_ of it.
  void PermuteColumns(std::vector<uint32_t> order);
  // Replaces document ids by rows in every posting list, keeping each list sorted by row.
  void RenumberPostings(const std::vector<uint32_t>& row_of);
  // Fills strip_begin_ and max_known_reach_km_ for RowsNear().
  void IndexStrips();
  int StripOf(double lat) const;
  // The row ranges [begin, end) of every profile that could travel to `point`.
  std::vector<std::pair<uint32_t, uint32_t>> RowsNear(const GeoPoint& point, double reach_km) const;
  CompiledFilters CompileFilters(const std::vector<FacetFilter>& facet_filters) const;
  bool PassesFilters(const CompiledFilters& filters, uint32_t d, double distance) const;
  // The facet value of education_codes_[code]: the code, or "onbekend" for 0.
  std::string EducationFacetLabel(size_t code) const;
  uint64_t AffinityBit(const std::string& code) const;  // 0 for an unknown code
  uint64_t SectorBit(const std::string& sector) const;  // 0 for a sector nobody worked in

  std::string state_;
  LoadStats load_stats_;
  std::shared_ptr<const ReferenceData> reference_;

  // What admission reads of a document, together so that one cache line holds it: the hard
  // constraints of a search touch every document its terms reach.
  struct Gate {
    int32_t retain_until_day = 0;  // 0: no such document
    uint32_t area = 0;             // index into area_lat_/area_lon_: the PC4 centre
    int16_t max_travel_km = -1;    // -1 unknown
    int8_t hours_min = -1;         // -1 unknown
    int8_t hours_max = -1;
    int8_t education_ordinal = -1;
    int8_t driving_licence = -1;  // 0 no, 1 yes
  };

  // Columns, indexed by row (while loading: by docid). Rows are in spatial order.
  std::vector<Xapian::docid> docid_;  // of each row
  std::vector<Gate> gate_;
  std::vector<double>
      lat_;  // doubles: distances at a travel limit must come out as geo.h computes them
  std::vector<double> lon_;
  std::vector<uint8_t> education_code_;  // index into education_codes_; 0 is unknown
  std::vector<uint8_t> region_;          // index into regions_
  std::vector<int32_t> experience_months_;
  std::vector<int32_t> updated_day_;
  // The later of updated_day_ and the import's confirmation of the availability: what freshness
  // ranks on (a WSP's later confirmation, ResolvedQuery::confirmed_documents, counts too).
  std::vector<int32_t> fresh_day_;
  std::vector<uint8_t> completeness_;        // percent
  std::vector<uint64_t> affinities_;         // bit per affinity_codes_ entry
  std::vector<uint64_t> sectors_;            // bit per sector_codes_ entry: sectors worked in
  std::vector<uint8_t> days_;                // bit 0 Monday .. bit 6 Sunday; 0 unknown
  std::vector<int32_t> available_from_day_;  // 0: available now
  std::vector<uint16_t> text_length_;        // sum of text wdf, for BM25
  std::vector<double> area_lat_;
  std::vector<double> area_lon_;
  double average_text_length_ = 1;

  std::vector<std::string> education_codes_;  // [0] = "" (unknown)
  std::vector<std::string> regions_;
  std::vector<std::string> affinity_codes_;
  std::vector<std::string> sector_codes_;  // normalised (refdata NormalizeKey)

  // Rows of latitude strip s (counted from strip_base_) are [strip_begin_[s], strip_begin_[s+1]),
  // in longitude order.
  static constexpr double kStripDegrees = 0.1;
  int strip_base_ = 0;
  std::vector<uint32_t> strip_begin_;
  double max_known_reach_km_ = 0;  // the farthest any profile with a known limit travels

  std::unordered_map<std::string, TextPostings> text_;
  std::unordered_map<std::string, OccupationPostings> occupations_;  // by ESCO code
  std::unordered_map<std::string, OccupationPostings> unit_groups_;  // by ISCO code
  int64_t document_count_ = 0;
};

// The current CandidateIndex, shared by the searchers of one process so that a million profiles
// are held once. The first searcher to see a new index state loads it; the others keep using
// the previous image meanwhile (if there is one), so searches never wait for a reload.
//
// Thread-safe.
class CandidateIndexCache {
 public:
  explicit CandidateIndexCache(std::shared_ptr<const ReferenceData> reference)
      : reference_(std::move(reference)) {}

  // An image of `state`, loaded from `database` (which must be at that state) unless one is
  // cached; or the previous image while another thread loads `state`, or when `may_load` is
  // false (a background thread loads for this caller). Throws Xapian::Error.
  std::shared_ptr<const CandidateIndex> Get(const std::string& state,
                                            const Xapian::Database& database, bool may_load = true);

 private:
  std::shared_ptr<const ReferenceData> reference_;
  std::mutex mutex_;       // guards current_
  std::mutex load_mutex_;  // held by the one thread loading
  std::shared_ptr<const CandidateIndex> current_;
};

// Whether `value` is one a facet count of `facet` can show, so that a filter on it can match:
// an education level code of the reference data or "onbekend", a region code, an hours,
// distance or experience band label, an affinity code (engine/affinities.h). The API refuses
// filters on other values instead of silently matching nothing. Thread-safe.
bool IsFacetValue(FacetKind facet, std::string_view value, const ReferenceData& reference);

}  // namespace verkenner::engine

#endif  // VERKENNER_ENGINE_CANDIDATE_INDEX_H_
