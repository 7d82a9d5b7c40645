#ifndef VERKENNER_ENGINE_CANDIDATE_INDEX_H_
#define VERKENNER_ENGINE_CANDIDATE_INDEX_H_

#include <xapian.h>

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
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
// from it (about a second per million profiles), and follows commits by what they changed: an
// image is a base loaded in full plus a small delta, the documents changed since, read again from
// the index's change log (Update()), whose cost follows the changes, not the index. A search runs
// over both parts with the statistics of the whole (document counts, text lengths, term
// frequencies without the base rows the delta replaces), so it answers exactly as an image loaded
// in full at the same state: page tokens stay valid across processes serving that state.
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
  uint32_t row = 0;         // in its part of the CandidateIndex
  uint8_t segment = 0;      // which part: the base or the changes since
  int32_t updated_day = 0;  // for the order by last update
  float score = 0;          // 0..100
  float distance_km = -1;   // -1: no workplace given
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
    int64_t documents = 0;  // searchable: neither hidden by their source nor malformed
    int64_t postings = 0;
    int64_t memory_bytes = 0;
    double seconds = 0;  // to load the image, or to update it from the previous one
    // Documents changed since the image's base was loaded in full (Update()).
    int64_t changed_since_load = 0;
  };

  ~CandidateIndex();

  // Loads the image of `database` (all shards as one). `state` names the index state it
  // reflects (IndexState::Name()), so callers can tell when to load again. Throws Xapian::Error
  // like the database does.
  static std::shared_ptr<const CandidateIndex> Load(const Xapian::Database& database,
                                                    std::string state);

  // The image of `database` at `state`, made from `previous` (an image of an older state of the
  // same generation) and the index's change log (engine/schema.h): the previous image's base
  // stays as it is, and the documents changed since the base was loaded are read again into a
  // small second part that replaces them, so the cost follows the changes, not the index. Null
  // when the change log does not reach back to `previous`, or more than `max_changed` documents
  // changed since its base: then Load() it. `shards` are the databases `database` combines, at
  // `state`. Throws Xapian::Error.
  static std::shared_ptr<const CandidateIndex> Update(const CandidateIndex& previous,
                                                      const Xapian::Database& database,
                                                      const std::vector<Xapian::Database>& shards,
                                                      std::string state, int64_t max_changed);

  const std::string& state() const { return state_; }
  const LoadStats& load_stats() const { return load_stats_; }

  // Whether any searchable profile holds this stemmed text term.
  bool HasTextTerm(const std::string& term) const { return TextTermFrequency(term) > 0; }
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
  // Columns and posting lists of a set of documents (engine/candidate_index.cc).
  struct Segment;
  // Builds a segment from a database (all of it, or the documents a change touched).
  class Loader;
  // One search over one segment.
  class MatchRun;
  // The numbers BM25 needs over the whole image, for one search.
  struct CorpusStats;

  CandidateIndex() = default;
  // The combined docids changed between `previous` and `state` by the shards' change logs, with
  // those changed before; nullopt when the logs do not tell or more than `max_changed` changed.
  static std::optional<std::vector<Xapian::docid>> ChangedSince(
      const CandidateIndex& previous, const std::vector<Xapian::Database>& shards,
      const std::string& state, int64_t max_changed);
  // Fills masked_, masked_rows_ and masked_text_length_ from changed_.
  void MaskChangedBaseRows();
  CorpusStats StatsFor(const ResolvedQuery& resolved) const;
  // The postings of `key` in the lists `lists` of every part, without the masked ones.
  template <typename Lists>
  int64_t PostingCount(const Lists Segment::*lists, const std::string& key) const;
  // How many of `rows` (rows of the base, ascending) the delta replaces.
  int64_t CountMasked(const std::vector<uint32_t>& rows) const;
  bool Masked(uint32_t base_row) const {
    return !masked_.empty() && ((masked_[base_row >> 6] >> (base_row & 63)) & 1) != 0;
  }

  std::string state_;
  LoadStats load_stats_;
  // Loaded in full at base_state_; shared by the images updated from it.
  std::shared_ptr<const Segment> base_;
  std::string base_state_;
  // The documents changed since base_state_ as the database holds them at state_ (those that
  // still exist and are searchable); null when nothing changed.
  std::shared_ptr<const Segment> delta_;
  // Combined docids changed since base_state_, ascending.
  std::vector<Xapian::docid> changed_;
  // Rows of base_ whose documents changed (bit per row), and those rows, ascending.
  std::vector<uint64_t> masked_;
  std::vector<uint32_t> masked_rows_;
  int64_t masked_text_length_ = 0;  // the text lengths of those rows, for BM25
};

// The current CandidateIndex, shared by the searchers of one process so that a million profiles
// are held once. The first searcher to see a new index state loads it; the others keep using
// the previous image meanwhile (if there is one), so searches never wait for a reload.
//
// Thread-safe.
class CandidateIndexCache {
 public:
  // An image of `state`, made from `database` (which must be at that state; `shards` are its
  // parts) unless one is cached: updated from the cached image by the change log when it can be,
  // else loaded. Or the previous image while another thread makes `state`, or when `may_load` is
  // false (a background thread makes it for this caller). Throws Xapian::Error.
  std::shared_ptr<const CandidateIndex> Get(const std::string& state,
                                            const Xapian::Database& database,
                                            const std::vector<Xapian::Database>& shards,
                                            bool may_load = true);

  // An image is updated by what changed (CandidateIndex::Update) until this many documents
  // changed since it was last loaded in full; then Get() loads it in full itself.
  static constexpr int64_t kMaxChangedDocuments = 20000;
  // Long before that, a background thread loads it in full (SearcherPool): every search pays a
  // little for each change an image holds (its rows are masked and counted out of the base).
  static constexpr int64_t kMergeAfterChangedDocuments = 2000;

  // Whether the current image holds at least `changed` changes since its last full load.
  bool WantsMerge(int64_t changed);
  // Makes `merged` (an image loaded in full, of `state` or an older state) the current image,
  // brought up to `state` by the change log (`database` and `shards` are at `state`), unless the
  // current image is newer. For the background merge; Get() waits meanwhile, but only for the
  // update, not for the full load. Throws Xapian::Error.
  void InstallMerged(std::shared_ptr<const CandidateIndex> merged, const Xapian::Database& database,
                     const std::vector<Xapian::Database>& shards, const std::string& state);

  // The image searches use now; null before the first one is made.
  std::shared_ptr<const CandidateIndex> Current();

 private:
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
