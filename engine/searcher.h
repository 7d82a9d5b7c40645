#ifndef VERKENNER_ENGINE_SEARCHER_H_
#define VERKENNER_ENGINE_SEARCHER_H_

#include <xapian.h>

#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "engine/refdata/reference_data.h"
#include "engine/search_types.h"
#include "engine/text_analysis.h"

namespace verkenner::engine {

// Answers vacancy searches and profile look-ups from one Verkenner index (all its shards).
//
// Not thread-safe: a Searcher owns its Xapian::Database, and Xapian objects never cross threads.
// Give each worker thread its own Searcher (see SearcherPool). Before every call it reopens the
// database if the index writer committed a new revision, so searches see imports without a
// restart.
//
// Errors: InvalidArgument for a query or page token it cannot use (naming the field),
// FailedPrecondition when a page token belongs to an older index revision, NotFound for an
// unknown or expired profile, Unavailable/Internal for index trouble (never with profile data).
class Searcher {
 public:
  // Opens the index at `index_path`. Errors: NotFound if there is no index, FailedPrecondition
  // if its schema version is not ours.
  static absl::StatusOr<std::unique_ptr<Searcher>> Open(
      const std::string& index_path, std::shared_ptr<const ReferenceData> reference_data);

  absl::StatusOr<SearchResult> Search(const SearchQuery& query);

  // An active profile as a match without score or reasons.
  absl::StatusOr<CandidateMatch> GetProfile(const std::string& profile_id, int64_t today_day);

  // Number of documents in the index as this searcher sees it.
  absl::StatusOr<int64_t> DocumentCount();

 private:
  Searcher(std::string index_path, std::shared_ptr<const ReferenceData> reference_data);

  absl::StatusOr<SearchResult> SearchOnce(const SearchQuery& query);
  // Opens the generation the index stub names (engine/index_layout.h), one handle per shard.
  absl::Status OpenGeneration();
  // Switches to a new generation or reopens the shards if a new revision was committed, and
  // reloads what depends on it. Throws Xapian::Error.
  void Refresh();
  // Fills the shown area of `match` for a profile in `municipality_code`.
  void SetShownArea(const Xapian::Document& document, CandidateMatch& match) const;
  Xapian::Query BuildQuery(const SearchQuery& query, std::string& parse_error);

  std::string index_path_;
  std::vector<Xapian::Database> shards_;  // shard 0 holds the whole-index metadata
  Xapian::Database database_;             // all shards as one
  int generation_ = 0;
  std::string stub_identity_;
  std::shared_ptr<const ReferenceData> reference_data_;
  TextAnalysis text_analysis_;
  // Generation and shard revisions the loaded metadata and page tokens belong to.
  std::string loaded_state_;
  std::set<std::string> municipality_groups_;  // disclosure groups that may show the municipality
};

// Maps a Xapian exception to a Status without passing through text that could hold user data.
absl::Status StatusFromXapianError(const Xapian::Error& error);

}  // namespace verkenner::engine

#endif  // VERKENNER_ENGINE_SEARCHER_H_
