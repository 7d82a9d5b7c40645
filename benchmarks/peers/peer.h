#ifndef VERKENNER_BENCHMARKS_PEERS_PEER_H_
#define VERKENNER_BENCHMARKS_PEERS_PEER_H_

#include <xapian.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "engine/candidate_record.h"
#include "engine/geo.h"
#include "engine/query_vocabulary.h"
#include "engine/refdata/reference_data.h"
#include "engine/search_types.h"
#include "engine/text_analysis.h"

// What the search-latency benchmark's peers share: the answer they give, the profile data they
// load from a built Verkenner index, and the engine's search semantics resolved once per query.
//
// The peers answer the same question as engine::Searcher, so several rules below are copies of
// the engine's (engine/searcher.cc): the hours and experience bands. If the engine changes them,
// the agreement column of search_latency shows it.
namespace verkenner::benchmarks {

// A profile whose own travel limit is unknown travels this far in tolerant mode, as the engine's
// searchers do by default.
inline constexpr int kAssumedTravelKmWhenUnknown = engine::kDefaultUnknownTravelKm;
// ISCO unit-group matches weigh half as much as ESCO occupation matches (searcher.cc).
inline constexpr double kRelatedOccupationWeight = 0.5;

// The facet labels of the engine, for the peers' counts.
const char* HoursBandLabel(double hours_max);
const char* ExperienceBandLabel(double months);

// A peer's answer: enough to compare with the engine's (total and facet counts exactly; the
// ranking is the peer's own).
struct PeerResult {
  int64_t total = 0;
  std::vector<Xapian::docid> top;  // best first, at most page_size
  std::map<engine::FacetKind, std::map<std::string, int64_t>> facets;
  // Profiles that pass text and every filter except the travel limit, when the peer knows it
  // (else -1): the work a per-document travel check has to do.
  int64_t examined_before_travel = -1;
};

class SearchPeer {
 public:
  virtual ~SearchPeer() = default;
  virtual std::string name() const = 0;
  virtual absl::StatusOr<PeerResult> Search(const engine::SearchQuery& query) = 0;
};

// One profile as a peer loads it from a Verkenner index: the record as the engine reads it back
// (engine::ReadRecord) plus what the engine matches on directly in terms and values.
struct IndexedProfile {
  Xapian::docid docid = 0;
  engine::CandidateRecord record;
  bool availability_known = false;  // both hours values present
  bool education_known = false;     // the education values present
  double experience_months = 0;     // CandidateRecord::TotalExperienceMonths()
  // Unprefixed terms (the stemmed free text) with their wdf.
  std::vector<std::pair<std::string, Xapian::termcount>> text_terms;
  std::vector<std::string> esco_codes;  // XO terms
  std::vector<std::string> isco_codes;  // XI terms
};

// Opens the index read-only and calls `visit` for every document in docid order. Stops at the
// first error `visit` returns.
absl::Status ForEachIndexedProfile(const std::string& index_path,
                                   const std::function<absl::Status(const IndexedProfile&)>& visit);

// A SearchQuery as the engine interprets it (Searcher::BuildQuery and its decider).
struct ResolvedQuery {
  // No text terms (none given, or only stop words) and no occupations: every active profile
  // matches the relevance part.
  bool match_all = false;
  // The text's terms, as an OR of clauses each an AND of terms. The engine matches any one term,
  // so every clause is a single term.
  std::vector<std::vector<std::string>> text_clauses;
  std::vector<std::string> esco_codes;  // unique: asked for, or named by a label in the text
  std::vector<std::string> isco_codes;  // unique; of those occupations
  bool tolerant = true;
  std::optional<std::pair<double, double>> offered_hours;  // min, max
  std::optional<int> required_education_ordinal;
  bool education_asked = false;  // required or preferred
  std::optional<engine::GeoPoint> workplace;
  int64_t today_day = 0;
  int page_size = 20;
  std::vector<engine::FacetKind> facets;
};

class QueryResolver {
 public:
  explicit QueryResolver(std::shared_ptr<const engine::ReferenceData> reference);
  absl::StatusOr<ResolvedQuery> Resolve(const engine::SearchQuery& query);

 private:
  std::shared_ptr<const engine::ReferenceData> reference_;
  engine::TextAnalysis text_analysis_;
  Xapian::TermGenerator term_generator_;
  engine::QueryVocabulary vocabulary_;
};

}  // namespace verkenner::benchmarks

#endif  // VERKENNER_BENCHMARKS_PEERS_PEER_H_
