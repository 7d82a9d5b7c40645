#include "tests/engine/test_index.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "engine/geo.h"
#include "engine/index_layout.h"
#include "engine/schema.h"
#include "engine/text_analysis.h"

namespace verkenner::engine::fixtures {

TestIndex::TestIndex(const std::string& name, std::shared_ptr<const ReferenceData> reference,
                     int shards)
    : path_((std::filesystem::temp_directory_path() /
             ("verkenner-engine-" + std::to_string(getpid()) + "-" + name))
                .string()),
      generator_(TextAnalysis(reference->stopwords()).MakeTermGenerator()) {
  std::filesystem::remove_all(path_);
  const IndexLayout layout = MakeIndexLayout(path_, 1, shards);
  std::filesystem::create_directories(std::filesystem::path(layout.shard_paths[0]).parent_path());
  for (const std::string& shard : layout.shard_paths) {
    shards_.emplace_back(shard, Xapian::DB_CREATE);
    shards_.back().set_metadata(schema::kSchemaVersionKey, std::to_string(schema::kSchemaVersion));
    shards_.back().commit();
  }
  const absl::Status published = PublishIndexLayout(layout);
  EXPECT_TRUE(published.ok()) << published;
}

TestIndex::~TestIndex() {
  shards_.clear();
  std::filesystem::remove_all(path_);
}

void TestIndex::Commit(const std::vector<CandidateRecord>& records,
                       const std::vector<std::string>& withdrawn_ids) {
  const int shard_count = static_cast<int>(shards_.size());
  std::vector<std::vector<Xapian::docid>> changed(shards_.size());
  for (const CandidateRecord& record : records) {
    const int shard = ShardOf(record.profile_id, shard_count);
    changed[shard].push_back(shards_[shard].replace_document(
        schema::ProfileIdTerm(record.profile_id), BuildDocument(record, generator_)));
  }
  for (const std::string& id : withdrawn_ids) {
    const int shard = ShardOf(id, shard_count);
    const std::string term = schema::ProfileIdTerm(id);
    if (!shards_[shard].term_exists(term)) continue;
    changed[shard].push_back(*shards_[shard].postlist_begin(term));
    shards_[shard].delete_document(term);
  }
  for (int shard = 0; shard < shard_count; ++shard) {
    if (log_changes_) schema::LogChanges(shards_[shard], changed[shard]);
    shards_[shard].commit();
  }
}

void SearchFixture::SetUp() {
  auto reference = ReferenceData::Load(ReferenceData::DefaultDirectory());
  ASSERT_TRUE(reference.ok()) << reference.status();
  reference_ = *reference;
  index_ = std::make_unique<TestIndex>(
      ::testing::UnitTest::GetInstance()->current_test_info()->name(), reference_);
}

void SearchFixture::TearDown() {
  searcher_.reset();
  index_.reset();
}

CandidateRecord SearchFixture::Profile(const std::string& id) const {
  CandidateRecord record;
  record.profile_id = id;
  record.source = "GM0344";
  record.municipality_code = "GM0344";
  record.region_code = reference_->FindMunicipality("GM0344")->region_code;
  record.home = kUtrecht;
  record.max_travel_km = 20;
  record.hours_min = 16;
  record.hours_max = 24;
  record.education_code = "mbo2";
  record.education_ordinal = reference_->FindEducationLevel("mbo2")->ordinal;
  record.experience = {{"9333.8.1", "9333", "orderpicker", "logistiek", 36, 2025}};
  record.affinities = {"techniek"};
  record.driving_licence = true;
  record.updated_day = kToday - 10;
  record.retain_until_day = kToday + 1000;
  return record;
}

std::vector<CandidateRecord> SearchFixture::Profiles(const std::string& prefix, int count,
                                                     int first) const {
  std::vector<CandidateRecord> records;
  for (int i = first; i < first + count; ++i)
    records.push_back(Profile(prefix + std::to_string(i)));
  return records;
}

SearchResult SearchFixture::Search(const SearchQuery& query) {
  if (searcher_ == nullptr) {
    auto searcher = Searcher::Open(index_->path(), reference_);
    EXPECT_TRUE(searcher.ok()) << searcher.status();
    if (!searcher.ok()) return SearchResult();
    searcher_ = std::move(*searcher);
  }
  auto result = searcher_->Search(query);
  EXPECT_TRUE(result.ok()) << result.status();
  return result.value_or(SearchResult());
}

SearchQuery SearchFixture::Vacancy(const std::string& text) {
  SearchQuery query;
  query.text = text;
  query.workplace = kUtrecht;
  query.today_day = kToday;
  return query;
}

GeoPoint SearchFixture::North(const GeoPoint& from, double km) {
  return {from.lat + km / kKmPerDegreeLatitude, from.lon};
}

std::vector<std::string> SearchFixture::Ids(const SearchResult& result) {
  std::vector<std::string> ids;
  for (const auto& match : result.matches) ids.push_back(match.profile_id);
  return ids;
}

const MatchReason* SearchFixture::Reason(const CandidateMatch& match, ReasonCode code) {
  for (const auto& reason : match.reasons) {
    if (reason.code == code) return &reason;
  }
  return nullptr;
}

}  // namespace verkenner::engine::fixtures
