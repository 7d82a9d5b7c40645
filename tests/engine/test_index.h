#ifndef VERKENNER_TESTS_ENGINE_TEST_INDEX_H_
#define VERKENNER_TESTS_ENGINE_TEST_INDEX_H_

#include <gtest/gtest.h>
#include <xapian.h>

#include <memory>
#include <string>
#include <vector>

#include "engine/candidate_record.h"
#include "engine/refdata/reference_data.h"
#include "engine/search_types.h"
#include "engine/searcher.h"

namespace verkenner::engine::fixtures {

// A small on-disk index for engine tests, written with the engine's own pieces (index layout,
// schema version, BuildDocument) the way indexer::IndexWriter writes one, so that engine tests
// do not link the indexer. Two shards, so that searches run over a combined database as in
// production. The directory is removed on destruction.
//
// Not thread-safe: one writer, on the test's thread (searchers may read meanwhile).
class TestIndex {
 public:
  // Creates an empty index in a fresh temporary directory named after `name`.
  TestIndex(const std::string& name, std::shared_ptr<const ReferenceData> reference,
            int shards = 2);
  ~TestIndex();

  // Adds or replaces (by profile id) each record, deletes the withdrawn ones, then commits every
  // shard, with its change-log entry (engine/schema.h) unless set_log_changes(false).
  void Commit(const std::vector<CandidateRecord>& records,
              const std::vector<std::string>& withdrawn_ids = {});
  // False: commit as a writer that keeps no change log (an older program).
  void set_log_changes(bool log) { log_changes_ = log; }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  std::vector<Xapian::WritableDatabase> shards_;
  Xapian::TermGenerator generator_;
  bool log_changes_ = true;
};

// The fixture most engine tests share: the reference data, an empty TestIndex, a complete
// profile in Utrecht to vary, and a searcher over the index.
class SearchFixture : public ::testing::Test {
 protected:
  static constexpr int64_t kToday = 20758;  // 2026-11-01
  // Utrecht centre; the profiles below live in the same PC4 area unless moved.
  static constexpr GeoPoint kUtrecht{52.0907, 5.1214};

  void SetUp() override;
  void TearDown() override;

  // A complete profile in Utrecht: 16-24 hours, mbo2, 20 km, orderpicker for 3 years.
  CandidateRecord Profile(const std::string& id) const;
  // `count` copies of Profile(), with ids prefix + first .. prefix + (first + count - 1).
  std::vector<CandidateRecord> Profiles(const std::string& prefix, int count, int first = 0) const;
  void Commit(const std::vector<CandidateRecord>& records) { index_->Commit(records); }
  // Searches with the fixture's searcher (opened on first use), expecting success.
  SearchResult Search(const SearchQuery& query);
  // A vacancy in Utrecht with `text`, searched today.
  static SearchQuery Vacancy(const std::string& text);
  // The point `km` kilometres due north of `from` (along a meridian, where geo.h's distance is
  // the latitude difference times kKmPerDegreeLatitude).
  static GeoPoint North(const GeoPoint& from, double km);

  static std::vector<std::string> Ids(const SearchResult& result);
  static const MatchReason* Reason(const CandidateMatch& match, ReasonCode code);

  std::shared_ptr<const ReferenceData> reference_;
  std::unique_ptr<TestIndex> index_;
  std::unique_ptr<Searcher> searcher_;
};

}  // namespace verkenner::engine::fixtures

#endif  // VERKENNER_TESTS_ENGINE_TEST_INDEX_H_
