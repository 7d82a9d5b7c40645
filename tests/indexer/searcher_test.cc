// The engine's matching and ranking on small hand-made indexes, where the right answer is
// obvious: unknown is not "no", synonyms, related occupations, explanations, filters, paging and
// spelling. Built through the IndexWriter, searched through the Searcher, as in production.
#include "engine/searcher.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <map>

#include "engine/searcher_pool.h"
#include "indexer/index_writer.h"

namespace verkenner::indexer {
namespace {

using engine::CandidateRecord;
using engine::ReasonCode;
using engine::SearchQuery;
using ::testing::ElementsAre;

constexpr int64_t kToday = 20758;  // 2026-11-01
// Utrecht centre; the profiles below live in the same PC4 area unless moved.
constexpr engine::GeoPoint kUtrecht{52.0907, 5.1214};

class SearcherTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto reference = engine::ReferenceData::Load(engine::ReferenceData::DefaultDirectory());
    ASSERT_TRUE(reference.ok()) << reference.status();
    reference_ = *reference;
    path_ = (std::filesystem::temp_directory_path() /
             ("verkenner-searcher-" + std::to_string(getpid()) + "-" +
              ::testing::UnitTest::GetInstance()->current_test_info()->name()))
                .string();
    std::filesystem::remove_all(path_);
    auto writer = IndexWriter::Open(path_, reference_);
    ASSERT_TRUE(writer.ok()) << writer.status();
    writer_ = std::move(*writer);
  }
  void TearDown() override {
    searcher_.reset();
    writer_.reset();
    std::filesystem::remove_all(path_);
  }

  // A complete profile in Utrecht: 16-24 hours, mbo2, 20 km, orderpicker for 3 years.
  CandidateRecord Profile(const std::string& id) {
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

  void Commit(const std::vector<CandidateRecord>& records) {
    ASSERT_TRUE(writer_->BeginBatch().ok());
    for (const CandidateRecord& record : records) ASSERT_TRUE(writer_->Upsert(record).ok());
    ASSERT_TRUE(writer_->CommitBatch().ok());
  }

  engine::SearchResult Search(const SearchQuery& query) {
    if (searcher_ == nullptr) {
      auto searcher = engine::Searcher::Open(path_, reference_);
      EXPECT_TRUE(searcher.ok()) << searcher.status();
      searcher_ = std::move(*searcher);
    }
    auto result = searcher_->Search(query);
    EXPECT_TRUE(result.ok()) << result.status();
    return result.value_or(engine::SearchResult());
  }

  static SearchQuery Vacancy(const std::string& text) {
    SearchQuery query;
    query.text = text;
    query.workplace = kUtrecht;
    query.today_day = kToday;
    return query;
  }

  static std::vector<std::string> Ids(const engine::SearchResult& result) {
    std::vector<std::string> ids;
    for (const auto& match : result.matches) ids.push_back(match.profile_id);
    return ids;
  }

  static const engine::MatchReason* Reason(const engine::CandidateMatch& match, ReasonCode code) {
    for (const auto& reason : match.reasons) {
      if (reason.code == code) return &reason;
    }
    return nullptr;
  }

  std::shared_ptr<const engine::ReferenceData> reference_;
  std::string path_;
  std::unique_ptr<IndexWriter> writer_;
  std::unique_ptr<engine::Searcher> searcher_;
};

TEST_F(SearcherTest, UnknownIsNotNoInTolerantModeAndExcludedInStrictMode) {
  CandidateRecord known = Profile("known");
  CandidateRecord unknown_education = Profile("unknown-education");
  unknown_education.education_code.clear();
  unknown_education.education_ordinal.reset();
  CandidateRecord unknown_hours = Profile("unknown-hours");
  unknown_hours.hours_min.reset();
  unknown_hours.hours_max.reset();
  CandidateRecord too_low = Profile("too-low");
  too_low.education_code = "vmbo_bb";
  too_low.education_ordinal = reference_->FindEducationLevel("vmbo_bb")->ordinal;
  Commit({known, unknown_education, unknown_hours, too_low});

  SearchQuery query = Vacancy("orderpicker");
  query.hours_min = 16;
  query.hours_max = 24;
  query.min_education_code = "mbo2";
  query.education = engine::Requirement::kPreferred;
  engine::SearchResult tolerant = Search(query);
  ASSERT_EQ(tolerant.total, 4);
  EXPECT_EQ(tolerant.matches[0].profile_id, "known");
  std::map<std::string, const engine::CandidateMatch*> by_id;
  for (const auto& match : tolerant.matches) by_id[match.profile_id] = &match;
  // Each unknown ranks below the known match, and says what is unknown.
  for (const char* id : {"unknown-education", "unknown-hours"}) {
    ASSERT_TRUE(by_id.contains(id)) << id;
    EXPECT_LT(by_id[id]->score, by_id["known"]->score) << id;
    EXPECT_NE(Reason(*by_id[id], ReasonCode::kUnknownField), nullptr) << id;
  }
  // A known level below the preferred one ranks below an unknown level.
  EXPECT_LT(by_id["too-low"]->score, by_id["unknown-education"]->score);

  query.unknown_fields = engine::UnknownFieldPolicy::kStrict;
  EXPECT_THAT(Ids(Search(query)), ElementsAre("known", "too-low"));
  query.education = engine::Requirement::kRequired;
  EXPECT_THAT(Ids(Search(query)), ElementsAre("known"));
}

// A required education level in tolerant mode: a known level below it excludes the profile, an
// unknown level does not (unknown is not "no"), and a level at or above it is a match.
TEST_F(SearcherTest, RequiredEducationInTolerantModeKeepsUnknownAndExcludesTooLow) {
  CandidateRecord known = Profile("known");  // mbo2, the required level itself
  CandidateRecord unknown_education = Profile("unknown-education");
  unknown_education.education_code.clear();
  unknown_education.education_ordinal.reset();
  CandidateRecord too_low = Profile("too-low");
  too_low.education_code = "vmbo_bb";
  too_low.education_ordinal = reference_->FindEducationLevel("vmbo_bb")->ordinal;
  Commit({known, unknown_education, too_low});

  SearchQuery query = Vacancy("orderpicker");
  query.min_education_code = "mbo2";
  query.education = engine::Requirement::kRequired;
  query.unknown_fields = engine::UnknownFieldPolicy::kTolerant;
  engine::SearchResult result = Search(query);
  EXPECT_THAT(Ids(result), ElementsAre("known", "unknown-education"));
  ASSERT_EQ(result.matches.size(), 2u);
  EXPECT_NE(Reason(result.matches[1], ReasonCode::kUnknownField), nullptr);
}

TEST_F(SearcherTest, AlternativeLabelsAreSynonymsAndTheUnitGroupIsAWeakerMatch) {
  CandidateRecord exact = Profile("exact");  // orderpicker, 9333.8.1
  CandidateRecord related = Profile("related");
  related.experience = {{"9333.3", "9333", "pakhuismedewerker", "", 36, 2025}};
  CandidateRecord other = Profile("other");
  other.experience = {{"5223.1", "5223", "winkelmedewerker", "", 36, 2025}};
  Commit({exact, related, other});

  // "orderverzamelaar" is an alternative label of orderpicker; no profile has the word itself.
  engine::SearchResult result = Search(Vacancy("orderverzamelaar"));
  ASSERT_THAT(Ids(result), ElementsAre("exact", "related"));
  const engine::MatchReason* experience =
      Reason(result.matches[0], ReasonCode::kOccupationExperience);
  ASSERT_NE(experience, nullptr);
  EXPECT_EQ(experience->text, "3 jaar ervaring als orderpicker");
  EXPECT_NE(Reason(result.matches[1], ReasonCode::kRelatedOccupation), nullptr);
  EXPECT_GT(result.matches[0].score, result.matches[1].score);
}

TEST_F(SearcherTest, ExplanationsShareTheScoreAndSpeakDutch) {
  CandidateRecord record = Profile("p");
  record.home = {52.0, 5.1};  // about 10 km south of the workplace
  Commit({record});
  SearchQuery query = Vacancy("orderpicker");
  query.hours_min = 24;
  query.hours_max = 24;
  query.affinities = {"techniek"};
  engine::SearchResult result = Search(query);
  ASSERT_EQ(result.matches.size(), 1u);
  const engine::CandidateMatch& match = result.matches[0];
  double shares = 0;
  for (const auto& reason : match.reasons) shares += reason.share;
  EXPECT_NEAR(shares, 1.0, 1e-6);
  EXPECT_GT(match.score, 0);
  EXPECT_LE(match.score, 100);
  ASSERT_NE(Reason(match, ReasonCode::kAvailability), nullptr);
  EXPECT_EQ(Reason(match, ReasonCode::kAvailability)->text,
            "beschikbaar 16-24 uur per week (0,94 baan)");
  ASSERT_NE(Reason(match, ReasonCode::kDistance), nullptr);
  EXPECT_EQ(Reason(match, ReasonCode::kDistance)->text, "woont op 10-20 km");
  EXPECT_EQ(match.distance_band, engine::DistanceBand::k10To20);
  ASSERT_NE(Reason(match, ReasonCode::kAffinity), nullptr);
  EXPECT_EQ(Reason(match, ReasonCode::kAffinity)->text, "affiniteit met techniek");
  // Reasons come biggest share first.
  for (size_t i = 1; i < match.reasons.size(); ++i) {
    EXPECT_GE(match.reasons[i - 1].share, match.reasons[i].share);
  }
}

TEST_F(SearcherTest, DaysAndStartDateRankTheCandidatesWhoFitTheRosterFirst) {
  CandidateRecord weekdays = Profile("weekdays");
  weekdays.days = 0b0000011;  // Monday, Tuesday
  CandidateRecord weekend = Profile("weekend");
  weekend.days = 0b1100000;  // Saturday, Sunday
  CandidateRecord later = Profile("later");
  later.days = 0b0000011;
  later.available_from_day = kToday + 60;
  Commit({weekdays, weekend, later});
  SearchQuery query = Vacancy("orderpicker");
  query.days = 0b0000011;
  query.start_day = kToday + 7;
  engine::SearchResult result = Search(query);
  ASSERT_THAT(Ids(result), ElementsAre("weekdays", "later", "weekend"));
  const engine::MatchReason* availability = Reason(result.matches[1], ReasonCode::kAvailability);
  ASSERT_NE(availability, nullptr);
  EXPECT_EQ(availability->text,
            "beschikbaar 16-24 uur per week (0,94 baan) op ma, di vanaf 31 december 2026");
}

TEST_F(SearcherTest, SectorsMatchExperienceInTheSectorOrTheAffinity) {
  CandidateRecord logistics = Profile("logistics");  // sector logistiek, affinity techniek
  logistics.affinities.clear();
  CandidateRecord care = Profile("care");
  care.experience[0].sector = "zorg";
  care.affinities.clear();
  Commit({logistics, care});
  SearchQuery query = Vacancy("orderpicker");
  query.sectors = {"Logistiek"};
  engine::SearchResult result = Search(query);
  ASSERT_THAT(Ids(result), ElementsAre("logistics", "care"));
  const engine::MatchReason* reason = Reason(result.matches[0], ReasonCode::kAffinity);
  ASSERT_NE(reason, nullptr);
  EXPECT_EQ(reason->text, "ervaring in de sector Logistiek");
  EXPECT_EQ(Reason(result.matches[1], ReasonCode::kAffinity), nullptr);
}

TEST_F(SearcherTest, HardConstraintsTravelHoursLicenceAndRetention) {
  CandidateRecord far = Profile("far");
  far.max_travel_km = 5;
  far.home = {52.0, 5.1};  // 10 km away, beyond their own 5 km
  CandidateRecord no_overlap = Profile("no-overlap");
  no_overlap.hours_min = 32;
  no_overlap.hours_max = 40;
  CandidateRecord no_licence = Profile("no-licence");
  no_licence.driving_licence = false;
  CandidateRecord expired = Profile("expired");
  expired.retain_until_day = kToday - 1;
  Commit({Profile("fits"), far, no_overlap, no_licence, expired});
  SearchQuery query = Vacancy("orderpicker");
  query.hours_min = 16;
  query.hours_max = 24;
  query.driving_licence = engine::Requirement::kRequired;
  EXPECT_THAT(Ids(Search(query)), ElementsAre("fits"));
}

TEST_F(SearcherTest, ScoresAndReasonsDoNotMoveWithinADistanceBand) {
  Commit({Profile("p")});
  // Two workplaces about 1 and 4 km north of the candidate: both in the 0-5 km band.
  SearchQuery near = Vacancy("orderpicker");
  near.workplace = engine::GeoPoint{kUtrecht.lat + 0.009, kUtrecht.lon};
  SearchQuery farther = near;
  farther.workplace = engine::GeoPoint{kUtrecht.lat + 0.036, kUtrecht.lon};
  engine::SearchResult a = Search(near);
  engine::SearchResult b = Search(farther);
  ASSERT_EQ(a.matches.size(), 1u);
  ASSERT_EQ(b.matches.size(), 1u);
  EXPECT_EQ(a.matches[0].score, b.matches[0].score);
  ASSERT_EQ(a.matches[0].reasons.size(), b.matches[0].reasons.size());
  for (size_t i = 0; i < a.matches[0].reasons.size(); ++i) {
    EXPECT_EQ(a.matches[0].reasons[i].text, b.matches[0].reasons[i].text);
    EXPECT_EQ(a.matches[0].reasons[i].share, b.matches[0].reasons[i].share);
  }
}

TEST_F(SearcherTest, IdenticalQueriesGiveIdenticalOrderings) {
  std::vector<CandidateRecord> records;
  for (int i = 0; i < 30; ++i) records.push_back(Profile("p" + std::to_string(i)));
  Commit(records);  // all equal: only the tie-break orders them
  SearchQuery query = Vacancy("orderpicker");
  query.page_size = 30;
  const std::vector<std::string> first = Ids(Search(query));
  ASSERT_EQ(first.size(), 30u);
  EXPECT_EQ(Ids(Search(query)), first);
}

TEST_F(SearcherTest, FacetFiltersNarrowAndFacetCountsAddUp) {
  CandidateRecord zeist = Profile("zeist");
  zeist.municipality_code = "GM0355";
  zeist.region_code = reference_->FindMunicipality("GM0355")->region_code;
  CandidateRecord hbo = Profile("hbo");
  hbo.education_code = "hbo_bachelor";
  hbo.education_ordinal = reference_->FindEducationLevel("hbo_bachelor")->ordinal;
  Commit({Profile("a"), Profile("b"), zeist, hbo});
  SearchQuery query = Vacancy("");
  query.facets = {engine::FacetKind::kEducationLevel, engine::FacetKind::kHoursBand};
  engine::SearchResult all = Search(query);
  ASSERT_EQ(all.total, 4);
  for (const auto& [facet, values] : all.facets) {
    int64_t sum = 0;
    for (const auto& value : values) sum += value.count;
    EXPECT_EQ(sum, all.total);
  }
  query.facet_filters = {{engine::FacetKind::kEducationLevel, {"hbo_bachelor"}}};
  EXPECT_THAT(Ids(Search(query)), ElementsAre("hbo"));
  query.facet_filters = {{engine::FacetKind::kEducationLevel, {"mbo2", "hbo_bachelor"}},
                         {engine::FacetKind::kHoursBand, {"20-26"}}};
  EXPECT_EQ(Search(query).total, 4);
  query.facet_filters = {{engine::FacetKind::kHoursBand, {"32-40"}}};
  EXPECT_EQ(Search(query).total, 0);
}

TEST_F(SearcherTest, PagingIsConsistent) {
  std::vector<CandidateRecord> records;
  for (int i = 0; i < 25; ++i) records.push_back(Profile("p" + std::to_string(i)));
  Commit(records);
  SearchQuery query = Vacancy("orderpicker");
  query.page_size = 10;
  std::vector<std::string> seen;
  for (int page = 0; page < 3; ++page) {
    engine::SearchResult result = Search(query);
    for (const std::string& id : Ids(result)) seen.push_back(id);
    query.page_token = result.next_page_token;
    if (page < 2) {
      ASSERT_FALSE(query.page_token.empty());
    }
  }
  EXPECT_TRUE(query.page_token.empty());
  std::sort(seen.begin(), seen.end());
  EXPECT_EQ(std::unique(seen.begin(), seen.end()), seen.end()) << "a profile on two pages";
  EXPECT_EQ(seen.size(), 25u);
}

TEST_F(SearcherTest, ResultsBeyondTheFirstThousandAreNotServed) {
  std::vector<CandidateRecord> records;
  for (int i = 0; i < 1005; ++i) records.push_back(Profile("p" + std::to_string(i)));
  Commit(records);
  SearchQuery query = Vacancy("orderpicker");
  query.page_size = 100;
  int pages = 0;
  std::string last_token;
  do {
    engine::SearchResult result = Search(query);
    EXPECT_EQ(result.total, 1005);
    ++pages;
    last_token = query.page_token;
    query.page_token = result.next_page_token;
  } while (!query.page_token.empty() && pages < 20);
  EXPECT_EQ(pages, 10) << "paging must stop after result 1000";
  // A token forged to reach further is refused, naming the field.
  ASSERT_FALSE(last_token.empty());
  query.page_token = last_token.substr(0, last_token.rfind('o') + 1) + "1000";
  auto refused = searcher_->Search(query);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(refused.status().message().find("page_token"), absl::string_view::npos);
}

TEST_F(SearcherTest, MisspeltOccupationGetsASuggestion) {
  Commit({Profile("p")});
  engine::SearchResult result = Search(Vacancy("orderpikcer"));
  EXPECT_EQ(result.total, 0);
  EXPECT_EQ(result.spelling_suggestion, "orderpicker");
  EXPECT_EQ(Search(Vacancy("orderpicker")).spelling_suggestion, "");
}

TEST_F(SearcherTest, CommittedImportsAreSearchableWithoutRestart) {
  Commit({Profile("first")});
  EXPECT_EQ(Search(Vacancy("orderpicker")).total, 1);
  Commit({Profile("second")});
  EXPECT_EQ(Search(Vacancy("orderpicker")).total, 2);
}

TEST_F(SearcherTest, ConcurrentSearchesWhileImportsCommit) {
  std::vector<CandidateRecord> first;
  for (int i = 0; i < 50; ++i) first.push_back(Profile("a" + std::to_string(i)));
  Commit(first);
  engine::SearcherPool::Options options;
  options.index_path = path_;
  options.reference_data = reference_;
  options.threads = 3;
  auto pool = engine::SearcherPool::Start(options);
  ASSERT_TRUE(pool.ok()) << pool.status();
  std::atomic<int> done = 0;
  std::atomic<int> failed = 0;
  std::atomic<int> out_of_range = 0;
  constexpr int kSearches = 300;
  for (int i = 0; i < kSearches; ++i) {
    (*pool)->Submit([&](engine::Searcher& searcher) {
      absl::StatusOr<engine::SearchResult> result = searcher.Search(Vacancy("orderpicker"));
      if (!result.ok()) {
        ++failed;
      } else if (result->total < 50 || result->total > 100) {
        ++out_of_range;
      }
      ++done;
    });
  }
  for (int batch = 0; batch < 5; ++batch) {  // imports land while the searches run
    std::vector<CandidateRecord> more;
    for (int i = 0; i < 10; ++i) more.push_back(Profile("b" + std::to_string(batch * 10 + i)));
    Commit(more);
  }
  pool->reset();  // finishes the queued searches
  EXPECT_EQ(done, kSearches);
  EXPECT_EQ(failed, 0);
  EXPECT_EQ(out_of_range, 0);
}

TEST_F(SearcherTest, HugeOrEmptyTextsAreSafe) {
  Commit({Profile("p")});
  std::string huge;
  for (int i = 0; i < 20000; ++i)
    huge += "orderpicker magazijn heftruck " + std::to_string(i) + " ";
  EXPECT_EQ(Search(Vacancy(huge)).total, 1);
  // Only stop words: no text criterion at all, so every profile within reach.
  EXPECT_EQ(Search(Vacancy("de het een")).total, 1);
}

}  // namespace
}  // namespace verkenner::indexer
