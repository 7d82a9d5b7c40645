// CandidateIndex::Update: an in-memory image updated by the index's change log answers every
// search exactly as an image loaded in full at the same state would, and falls back to a full
// load when the log cannot tell what changed.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "engine/candidate_index.h"
#include "engine/index_layout.h"
#include "engine/schema.h"
#include "engine/searcher.h"
#include "tests/engine/test_index.h"

namespace verkenner::engine {
namespace {

class CandidateIndexUpdateTest : public fixtures::SearchFixture {
 protected:
  // Profile `i` in one of many variations: place, hours, education, words, occupations,
  // affinities and dates drawn from `random`, some hidden by their source.
  CandidateRecord Varied(int i, std::mt19937& random) const {
    static const char* const kWords[] = {"heftruck", "lassen",   "koken",         "schoonmaak",
                                         "kassa",    "magazijn", "tuinonderhoud", "administratie"};
    static const char* const kEducation[] = {"mbo1", "mbo2", "mbo4", "hbo_bachelor"};
    auto pick = [&](int n) { return static_cast<int>(random() % static_cast<unsigned>(n)); };
    CandidateRecord record = Profile("p" + std::to_string(i));
    record.home = North(kUtrecht, 4.0 * pick(8));
    record.max_travel_km = pick(4) == 0 ? std::optional<int>() : std::optional<int>(5 + pick(30));
    record.hours_min = 8 + pick(16);
    record.hours_max = *record.hours_min + pick(16);
    if (pick(5) == 0) {
      record.education_code.clear();
      record.education_ordinal.reset();
    } else {
      record.education_code = kEducation[pick(4)];
      const EducationLevelInfo* level = reference_->FindEducationLevel(record.education_code);
      EXPECT_NE(level, nullptr) << record.education_code;
      if (level != nullptr) record.education_ordinal = level->ordinal;
    }
    record.skills = {kWords[pick(8)], kWords[pick(8)]};
    record.experience.clear();
    if (pick(3) != 0) {
      record.experience.push_back(
          {"9333.8.1", "9333", "orderpicker", "logistiek", 1 + pick(60), 2015 + pick(11)});
    }
    if (pick(3) == 0) {
      record.experience.push_back({"5120.1", "5120", "kok", "horeca", 1 + pick(60), 2020});
    }
    record.affinities = pick(2) == 0 ? std::vector<std::string>{"techniek"}
                                     : std::vector<std::string>{"zorg", "buiten"};
    record.driving_licence = pick(3) == 0 ? std::optional<bool>() : std::optional<bool>(pick(2));
    record.updated_day = kToday - pick(400);
    record.hidden_at_source = pick(12) == 0;
    return record;
  }

  std::vector<SearchQuery> Queries() const {
    std::vector<SearchQuery> queries;
    auto add = [&](SearchQuery query) {
      query.facets = {FacetKind::kEducationLevel, FacetKind::kRegion,   FacetKind::kHoursBand,
                      FacetKind::kDistanceBand,   FacetKind::kAffinity, FacetKind::kExperienceBand};
      query.page_size = 7;
      queries.push_back(query);
    };
    add(Vacancy("heftruck magazijn"));
    add(Vacancy("orderpicker"));
    add(Vacancy("kok koken kassa"));
    SearchQuery by_update = Vacancy("schoonmaak");
    by_update.sort = SortOrder::kLastUpdate;
    add(by_update);
    SearchQuery by_distance = Vacancy("");
    by_distance.sort = SortOrder::kDistance;
    by_distance.hours_min = 16;
    by_distance.hours_max = 24;
    add(by_distance);
    SearchQuery nowhere = Vacancy("lassen administratie");
    nowhere.workplace.reset();
    nowhere.min_education_code = "mbo2";
    nowhere.education = Requirement::kRequired;
    add(nowhere);
    SearchQuery filtered = Vacancy("tuinonderhoud");
    filtered.affinities = {"buiten"};
    filtered.facet_filters = {{FacetKind::kAffinity, {"zorg"}}};
    add(filtered);
    SearchQuery occupation = Vacancy("");
    occupation.esco_codes = {"5120.1"};
    occupation.unknown_fields = UnknownFieldPolicy::kStrict;
    add(occupation);
    return queries;
  }

  // What a search answered, as text, so that a difference shows where it is.
  static std::string Describe(const SearchResult& result) {
    std::string text = "total " + std::to_string(result.total) +
                       (result.text_ignored ? " text ignored" : "") + "\n";
    for (const CandidateMatch& match : result.matches) {
      text += match.profile_id + " " + std::to_string(match.score);
      for (const MatchReason& reason : match.reasons) text += " | " + reason.text;
      text += "\n";
    }
    for (const auto& [facet, values] : result.facets) {
      text += "facet " + std::to_string(static_cast<int>(facet)) + ":";
      for (const FacetValueCount& value : values) {
        text += " " + value.value + "=" + std::to_string(value.count);
      }
      text += "\n";
    }
    return text + "next " + (result.next_page_token.empty() ? "none" : "page") + "\n";
  }

  // Every query, and its second page, with the fixture's searcher (whose image follows the
  // index by updates) and with a new searcher (which loads its image in full).
  void ExpectSameAsFullLoad(const std::string& round) {
    auto fresh = Searcher::Open(index_->path(), reference_);
    ASSERT_TRUE(fresh.ok()) << fresh.status();
    for (SearchQuery query : Queries()) {
      for (int page = 0; page < 2; ++page) {
        const SearchResult updated = Search(query);
        absl::StatusOr<SearchResult> loaded = (*fresh)->Search(query);
        ASSERT_TRUE(loaded.ok()) << loaded.status();
        EXPECT_EQ(Describe(updated), Describe(*loaded))
            << round << ", query '" << query.text << "', page " << page + 1;
        if (updated.next_page_token.empty()) break;
        query.page_token = updated.next_page_token;
      }
    }
    EXPECT_EQ((*fresh)->candidate_index_stats().changed_since_load, 0);
  }

  std::vector<CandidateRecord> Varied(int first, int count, std::mt19937& random) const {
    std::vector<CandidateRecord> records;
    for (int i = first; i < first + count; ++i) records.push_back(Varied(i, random));
    return records;
  }
};

TEST_F(CandidateIndexUpdateTest, AnImageUpdatedByTheChangeLogAnswersLikeOneLoadedInFull) {
  std::mt19937 random(20261203);
  Commit(Varied(0, 300, random));
  ExpectSameAsFullLoad("initial load");
  int next_id = 300;
  int64_t changed_before = 0;
  for (int round = 1; round <= 6; ++round) {
    std::vector<CandidateRecord> records;
    for (int k = 0; k < 25; ++k)
      records.push_back(Varied(static_cast<int>(random() % 300), random));
    for (int k = 0; k < 10; ++k) records.push_back(Varied(next_id++, random));
    std::vector<std::string> withdrawn;
    for (int k = 0; k < 8; ++k) withdrawn.push_back("p" + std::to_string(random() % next_id));
    index_->Commit(records, withdrawn);
    ExpectSameAsFullLoad("round " + std::to_string(round));
    const int64_t changed = searcher_->candidate_index_stats().changed_since_load;
    EXPECT_GT(changed, changed_before) << "round " << round << " did not update the image";
    changed_before = changed;
  }
}

TEST_F(CandidateIndexUpdateTest, AChangedProfileIsFoundByItsNewWordsOnlyAndAWithdrawnOneNotAtAll) {
  CandidateRecord welder = Profile("welder");
  welder.skills = {"lassen"};
  CandidateRecord gardener = Profile("gardener");
  gardener.skills = {"tuinonderhoud"};
  Commit({welder, gardener, Profile("other")});
  EXPECT_EQ(Ids(Search(Vacancy("lassen"))), std::vector<std::string>{"welder"});

  welder.skills = {"koken"};
  index_->Commit({welder}, {"gardener"});
  const SearchResult old_words = Search(Vacancy("lassen"));
  EXPECT_TRUE(old_words.text_ignored) << "nobody holds the old word any more";
  EXPECT_EQ(Ids(Search(Vacancy("koken"))), std::vector<std::string>{"welder"});
  const SearchResult everyone = Search(Vacancy(""));
  EXPECT_EQ(everyone.total, 2);
  EXPECT_EQ(searcher_->candidate_index_stats().changed_since_load, 2);
}

TEST_F(CandidateIndexUpdateTest, WithoutAChangeLogEntryTheImageIsLoadedInFull) {
  Commit(Profiles("a", 3));
  EXPECT_EQ(Search(Vacancy("")).total, 3);
  index_->set_log_changes(false);
  index_->Commit(Profiles("b", 2));
  EXPECT_EQ(Search(Vacancy("")).total, 5);
  EXPECT_EQ(searcher_->candidate_index_stats().changed_since_load, 0);
  index_->set_log_changes(true);
  index_->Commit(Profiles("c", 1));
  EXPECT_EQ(Search(Vacancy("")).total, 6);
  EXPECT_EQ(searcher_->candidate_index_stats().changed_since_load, 1);
}

TEST_F(CandidateIndexUpdateTest, ManyChangesLoadTheImageInFullInstead) {
  Commit(Profiles("a", 3));
  EXPECT_EQ(Search(Vacancy("")).total, 3);
  index_->Commit(Profiles("b", static_cast<int>(CandidateIndexCache::kMaxChangedDocuments) + 1));
  EXPECT_EQ(Search(Vacancy("")).total, CandidateIndexCache::kMaxChangedDocuments + 4);
  EXPECT_EQ(searcher_->candidate_index_stats().changed_since_load, 0);
}

// A profile its source hid is registered but never searchable: its words must not reach anyone
// else. (The image once put the hidden document's postings on row 0, so the profile in that row
// was found by the hidden profile's words.)
TEST_F(CandidateIndexUpdateTest, AHiddenProfilesWordsReachNobody) {
  CandidateRecord visible = Profile("visible");
  visible.skills = {"bakken"};
  CandidateRecord hidden = Profile("hidden");
  hidden.skills = {"glasblazen"};
  hidden.hidden_at_source = true;
  Commit({visible, hidden});
  const SearchResult result = Search(Vacancy("glasblazen"));
  EXPECT_TRUE(result.text_ignored) << Describe(result);
  for (const CandidateMatch& match : result.matches) {
    EXPECT_EQ(Reason(match, ReasonCode::kText), nullptr) << match.profile_id;
  }
}

}  // namespace
}  // namespace verkenner::engine
