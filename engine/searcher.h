#ifndef VERKENNER_ENGINE_SEARCHER_H_
#define VERKENNER_ENGINE_SEARCHER_H_

#include <xapian.h>

#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "engine/candidate_index.h"
#include "engine/disclosure_control.h"
#include "engine/index_layout.h"
#include "engine/occupation_suggestions.h"
#include "engine/query_vocabulary.h"
#include "engine/refdata/reference_data.h"
#include "engine/search_types.h"
#include "engine/text_analysis.h"

namespace verkenner::engine {

// Answers vacancy searches and profile look-ups from one Verkenner index (all its shards).
//
// A search resolves the vacancy's words (Dutch stems, occupation labels as synonyms), matches and
// ranks over the in-memory CandidateIndex the searchers share, then reads the page's profiles
// from Xapian for showing and explains each.
//
// Not thread-safe: a Searcher owns its Xapian::Database, and Xapian objects never cross threads.
// Give each worker thread its own Searcher (see SearcherPool). Before every call it reopens the
// database if the index writer committed a new revision, so searches see imports without a
// restart (the shared CandidateIndex follows by what the commit changed, CandidateIndex::Update).
//
// Never a dead end: when the vacancy text is the only reason nobody is found (it has words
// besides stop words, none of which any profile holds, and neither the text nor the vacancy names
// an occupation), the search leaves the text out and says so (SearchResult::text_ignored), with
// the words it did not know and the occupations nearest to them. Whether a search is such a
// fallback follows from its text and the index state alone, so the next page of one (whose token
// names that state) is one too. A recognised text whose search finds nobody because of the hard
// constraints stays as it is: the text is not the cause.
//
// Errors: InvalidArgument for a query or page token it cannot use (naming the field),
// FailedPrecondition when a page token belongs to an older index revision, NotFound for an
// unknown or expired profile, Unavailable/Internal for index trouble (never with profile data).
class Searcher {
 public:
  // Opens the index at `index_path`. Errors: NotFound if there is no index, FailedPrecondition
  // if its schema version is not ours.
  // `cache`, `vocabulary` and `suggester` may be shared by the searchers of a pool; null makes
  // private ones (NotFound when the Dutch word list, hunspell-nl, is missing).
  static absl::StatusOr<std::unique_ptr<Searcher>> Open(
      const std::string& index_path, std::shared_ptr<const ReferenceData> reference_data,
      std::shared_ptr<CandidateIndexCache> cache = nullptr,
      std::shared_ptr<const QueryVocabulary> vocabulary = nullptr,
      std::shared_ptr<const OccupationSuggester> suggester = nullptr);
  // Open, but an index that is not there yet is no error: until it appears (a replica that
  // fetches the writer's first publication, indexer::IndexFollower), every call answers
  // Unavailable, "no search index yet". With `may_serve_unpublished`, the first state is also
  // awaited while it is not a published one (schema::PublishedStateName: commits since the last
  // publication, as a writer killed in an import leaves, or a follower's shards at different
  // sequences) and the function says no (a server: unless it holds the writer's lease, whose
  // own state is the one to serve). Null: any state is served. Called on searching threads.
  static absl::StatusOr<std::unique_ptr<Searcher>> OpenAwaiting(
      const std::string& index_path, std::shared_ptr<const ReferenceData> reference_data,
      std::shared_ptr<CandidateIndexCache> cache, std::shared_ptr<const QueryVocabulary> vocabulary,
      std::shared_ptr<const OccupationSuggester> suggester,
      std::function<bool()> may_serve_unpublished = nullptr);

  absl::StatusOr<SearchResult> Search(const SearchQuery& query);

  enum class Visibility {
    kShownOnly,  // as employers may see profiles: a hidden one is NotFound
    kHiddenToo,  // for the organisations acting for the candidate
  };
  // An active profile as a match without score or reasons. NotFound when there is none, it is
  // past retention, or (kShownOnly) it is hidden.
  absl::StatusOr<CandidateMatch> GetProfile(const std::string& profile_id, int64_t today_day,
                                            Visibility visibility = Visibility::kShownOnly);

  // The active profiles (registration within retention on `today_day`) of one source, per
  // municipality of residence code, with the core fields each lacks. Errors: Unavailable or
  // Internal for index trouble.
  absl::StatusOr<std::map<std::string, CompletenessCount>> CompletenessOfSource(
      const std::string& source, int64_t today_day);

  // The worklist of `source` on `today_day`: its active profiles that miss a core field or
  // whose availability was not confirmed within the period, hidden ones included. Errors:
  // Unavailable or Internal for index trouble.
  absl::StatusOr<SourceWorklist> WorklistOfSource(const std::string& source, int64_t today_day);

  // Number of documents in the index as this searcher sees it.
  absl::StatusOr<int64_t> DocumentCount();

  // Catches up with the index (new revision or generation), loading its in-memory image into the
  // shared cache if nobody has yet. Errors are left for the next search to report.
  void Prefetch();

  // Loads the in-memory image of the newest index state in full and gives it to the shared cache,
  // so that the changes since the image's last full load, which every search pays a little for,
  // start again from none (CandidateIndexCache::InstallMerged). For a background thread: searches
  // meanwhile go on with the updated images. Errors are left for the next round.
  void MergeImage();

  // Whether searches may load a new in-memory image themselves (the default), or leave that to
  // a background thread calling Prefetch() and meanwhile use the previous image.
  void set_loads_images(bool loads) { loads_images_ = loads; }

  // In tolerant mode, how far from the workplace a profile whose own travel limit is unknown is
  // found (kDefaultUnknownTravelKm unless set); matches of such profiles carry it.
  void set_unknown_travel_km(int km) { unknown_travel_km_ = km; }
  // After how many months without a confirmation a match's availability counts as unconfirmed
  // (kDefaultAvailabilityConfirmationMonths unless set).
  void set_availability_confirmation_months(int months) { confirmation_months_ = months; }

  // Where the searcher reads, at each request, what organisations recorded about profiles. Hidden
  // ones are left out of results, totals and facet counts, and GetProfile does not find them
  // (profiles the source's import hid, CandidateRecord::hidden_at_source, are left out anyway);
  // a WSP's confirmation of availability counts as the import's does.
  void set_profile_annotations(ProfileAnnotationsSource source) {
    annotations_source_ = std::move(source);
  }

  // How the in-memory image this searcher uses was loaded.
  CandidateIndex::LoadStats candidate_index_stats() const { return candidates_->load_stats(); }

 private:
  static absl::StatusOr<std::unique_ptr<Searcher>> OpenIndex(
      const std::string& index_path, std::shared_ptr<const ReferenceData> reference_data,
      std::shared_ptr<CandidateIndexCache> cache, std::shared_ptr<const QueryVocabulary> vocabulary,
      std::shared_ptr<const OccupationSuggester> suggester, bool awaiting,
      std::function<bool()> may_serve_unpublished);
  Searcher(std::string index_path, std::shared_ptr<const ReferenceData> reference_data,
           std::shared_ptr<CandidateIndexCache> cache,
           std::shared_ptr<const QueryVocabulary> vocabulary,
           std::shared_ptr<const OccupationSuggester> suggester);

  absl::StatusOr<SearchResult> SearchOnce(const SearchQuery& query);
  // The query's words against the vocabulary and the index; InvalidArgument naming the field.
  // `text` is the query's text, clipped, or its typo correction.
  absl::StatusOr<ResolvedQuery> Resolve(const SearchQuery& query, const std::string& text);
  // Whether nothing in the vacancy text reaches anyone: it has terms, no profile holds any of
  // them, and no occupation was asked for or named. Then the search leaves the text out.
  bool RecognisesNothing(const ResolvedQuery& resolved) const;
  // The words of an ignored text that no profile holds, and the occupations nearest to them,
  // those that people who meet the other criteria of `without_text` have worked in first.
  void DescribeIgnoredText(const ResolvedQuery& without_text, SearchResult& result);
  // How many candidates meet the criteria of `without_text` and have experience in the
  // occupation.
  int64_t PeopleWithOccupation(const ResolvedQuery& without_text,
                               const std::string& esco_code) const;
  // The text terms of `text` into `resolved` (and typed_words_ for the explanation).
  void ResolveTextTerms(const std::string& text, ResolvedQuery& resolved);
  // The terms the indexer makes of `text`.
  std::vector<std::string> TermsOf(const std::string& text);
  // The text reason of one result: the typed words whose terms it holds; empty if none.
  std::string MatchedWordsText(const RankedCandidate& ranked) const;
  // A corrected vacancy text when some word is unknown to the index, else empty.
  std::string SpellingSuggestion(const std::string& text);
  // `text` with its typos replaced by the nearest occupation words that reach many more profiles,
  // when it has any; else empty. The search then runs on the correction
  // (SearchResult::spelling_applied).
  std::string TypoCorrection(const std::string& text);
  // Whether some profile holds the word's term (a stop word counts as held).
  bool ProfilesHoldWord(const std::string& word);
  // How many profiles hold the word's term; 0 for a stop word.
  int64_t TextTermFrequency(const std::string& word);
  // How many profiles the word reaches, by its term or the occupations it names (at least).
  int64_t PeopleReachedBy(const std::string& word);
  // The term the indexer makes of one word (its Dutch stem); empty for a stop word.
  std::string Stem(const std::string& word);
  // Reads, explains and appends the profiles of a page.
  void AddMatches(const SearchQuery& query, const std::vector<RankedCandidate>& page,
                  SearchResult& result);
  // The facet counts under the labels people read.
  void AddFacets(const std::map<FacetKind, std::map<std::string, int64_t>>& facet_counts,
                 SearchResult& result) const;
  // The reasons of one result, with their shares of its score.
  void Explain(const SearchQuery& query, const RankedCandidate& ranked,
               const CandidateRecord& record, CandidateMatch& match) const;
  // Opens the generation the index stub names (engine/index_layout.h), one handle per shard.
  absl::Status OpenGeneration();
  // Switches to a new generation or reopens the shards if a new revision was committed, and
  // reloads what depends on it. Throws Xapian::Error.
  void Refresh();
  // Refresh() up to the image: the database and the disclosure details. Returns the index state
  // (IndexState::Name()). Throws Xapian::Error.
  std::string CatchUp();
  // What page tokens name: the image's published state when it is one (the same on every
  // instance that serves it), else its local state.
  std::string TokenState() const;
  // Fills what `match` shows beside its record: the area and education disclosure control
  // allows (municipality or arbeidsmarktregio; level, band or nothing), the travel distance
  // assumed when the profile's own is unknown, and the latest confirmation of the availability
  // (a WSP's included) and whether it is older than the confirmation period on `today_day`.
  void DescribeShown(CandidateMatch& match, int64_t today_day) const;
  // Calls `visit` with each active profile of `source` on `today_day` (registration within
  // retention), in document order; the record holds the search fields only and is reused.
  // Throws Xapian::Error.
  void ForEachActiveOfSource(const std::string& source, int64_t today_day,
                             const std::function<void(Xapian::docid, CandidateRecord&)>& visit);
  // The profile id of `document`, from its unique term. Throws Xapian::Error.
  std::string ProfileIdOf(Xapian::docid document);
  // Reads the current annotations and finds their documents, when they or the image changed.
  void FindAnnotatedDocuments();
  // Whether employers may not see `record`: its source or an organisation hid it.
  bool IsHidden(const CandidateRecord& record) const;

  std::string index_path_;
  // Held shared while the handles move to a newer state: never into a follower's half-applied
  // change set (engine/index_layout.h).
  IndexSwitchLock switch_lock_;
  std::vector<Xapian::Database> shards_;  // shard 0 holds the whole-index metadata
  Xapian::Database database_;             // all shards as one
  int generation_ = 0;
  std::string stub_identity_;
  std::shared_ptr<const ReferenceData> reference_data_;
  TextAnalysis text_analysis_;
  Xapian::TermGenerator term_generator_;  // for vacancy texts, as the indexer makes terms
  std::shared_ptr<CandidateIndexCache> cache_;
  std::shared_ptr<const QueryVocabulary> vocabulary_;
  std::shared_ptr<const OccupationSuggester> suggester_;
  // The words of the vacancy being searched, as typed (lower case), with the text terms each
  // gave: the explanation names words, not stems.
  struct TypedWord {
    std::string word;
    std::vector<std::string> terms;
    bool says_nothing = false;  // QueryVocabulary::SaysNothing: never shown as a reason
  };
  std::vector<TypedWord> typed_words_;
  std::shared_ptr<const CandidateIndex> candidates_;
  bool loads_images_ = true;  // the image of loaded_state_ (or older)
  int unknown_travel_km_ = kDefaultUnknownTravelKm;
  int confirmation_months_ = kDefaultAvailabilityConfirmationMonths;
  ProfileAnnotationsSource annotations_source_;
  std::shared_ptr<const ProfileAnnotations> annotations_;
  // The annotations' documents, sorted, in the image's state annotated_state_.
  std::vector<Xapian::docid> hidden_documents_;
  std::vector<std::pair<Xapian::docid, int32_t>> confirmed_documents_;
  std::string annotated_state_;
  // Generation and shard revisions the loaded metadata and page tokens belong to.
  std::string loaded_state_;
  std::function<bool()> may_serve_unpublished_;  // OpenAwaiting's; null: any first state
  // The published name (schema::PublishedStateName) of the last few states, newest last.
  std::vector<std::pair<std::string, std::string>> published_names_;
  ShownDetails shown_details_;  // disclosure control's decision, by group
};

// The one place where Xapian exceptions become statuses, without passing through text that could
// hold user data. A write that failed for lack of disk space is DiskFullError
// (engine/disk_space.h).
absl::Status StatusFromXapianError(const Xapian::Error& error);

}  // namespace verkenner::engine

#endif  // VERKENNER_ENGINE_SEARCHER_H_
