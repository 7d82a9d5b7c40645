// Searcher: explanations, paging and its tokens, spelling suggestions, seeing new commits, and
// the limits on page size and vacancy text, on small hand-made indexes.
#include "engine/searcher.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "tests/engine/test_index.h"

namespace verkenner::engine {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

class SearcherTest : public fixtures::SearchFixture {};

TEST_F(SearcherTest, ExplanationsShareTheScoreAndSpeakDutch) {
  CandidateRecord record = Profile("p");
  record.home = {52.0, 5.1};  // about 10 km south of the workplace
  Commit({record});
  SearchQuery query = Vacancy("orderpicker");
  query.hours_min = 24;
  query.hours_max = 24;
  query.affinities = {"techniek"};
  SearchResult result = Search(query);
  ASSERT_EQ(result.matches.size(), 1u);
  const CandidateMatch& match = result.matches[0];
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
  EXPECT_EQ(match.distance_band, DistanceBand::k10To20);
  ASSERT_NE(Reason(match, ReasonCode::kAffinity), nullptr);
  EXPECT_EQ(Reason(match, ReasonCode::kAffinity)->text, "affiniteit met techniek");
  // Reasons come biggest share first.
  for (size_t i = 1; i < match.reasons.size(); ++i) {
    EXPECT_GE(match.reasons[i - 1].share, match.reasons[i].share);
  }
}

TEST_F(SearcherTest, PagingIsConsistent) {
  Commit(Profiles("p", 25));
  SearchQuery query = Vacancy("orderpicker");
  query.page_size = 10;
  std::vector<std::string> seen;
  for (int page = 0; page < 3; ++page) {
    SearchResult result = Search(query);
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
  Commit(Profiles("p", 1005));
  SearchQuery query = Vacancy("orderpicker");
  query.page_size = 100;
  int pages = 0;
  std::string last_token;
  do {
    SearchResult result = Search(query);
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
  SearchResult result = Search(Vacancy("orderpikcer"));
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

TEST_F(SearcherTest, HugeOrEmptyTextsAreSafe) {
  Commit({Profile("p")});
  std::string huge;
  for (int i = 0; i < 20000; ++i)
    huge += "orderpicker magazijn heftruck " + std::to_string(i) + " ";
  EXPECT_EQ(Search(Vacancy(huge)).total, 1);
  // Only stop words: no text criterion at all, so every profile within reach.
  EXPECT_EQ(Search(Vacancy("de het een")).total, 1);
}

// ---- Limits, each with a case just inside and just outside.

TEST_F(SearcherTest, AFullLastPageHasNoNextToken) {
  Commit(Profiles("p", 6));
  SearchQuery query = Vacancy("orderpicker");
  query.page_size = 6;  // exactly the matching set
  SearchResult whole = Search(query);
  EXPECT_EQ(whole.matches.size(), 6u);
  EXPECT_EQ(whole.next_page_token, "");
  query.page_size = 5;  // one short
  SearchResult first = Search(query);
  EXPECT_EQ(first.matches.size(), 5u);
  ASSERT_NE(first.next_page_token, "");
  query.page_token = first.next_page_token;
  SearchResult last = Search(query);
  EXPECT_EQ(last.matches.size(), 1u);
  EXPECT_EQ(last.next_page_token, "");
}

TEST_F(SearcherTest, TheLastReachableResultIsServedAndTheOneAfterIsNot) {
  Commit(Profiles("p", 1001));
  SearchQuery query = Vacancy("orderpicker");
  query.page_size = 1;
  const std::string token = Search(query).next_page_token;  // offset 1
  ASSERT_EQ(token.substr(token.rfind('o')), "o1");
  const std::string prefix = token.substr(0, token.rfind('o') + 1);

  query.page_token = prefix + std::to_string(CandidateIndex::kMaxReachableResults - 1);
  SearchResult last = Search(query);
  EXPECT_EQ(last.total, 1001);
  EXPECT_EQ(last.matches.size(), 1u);
  EXPECT_EQ(last.next_page_token, "") << "result 1001 is not reachable";

  query.page_token = prefix + std::to_string(CandidateIndex::kMaxReachableResults);
  auto refused = searcher_->Search(query);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kInvalidArgument);
}

// Only the first 2,000 bytes of a vacancy text are read.
TEST_F(SearcherTest, AWordEndingAtTheTextLimitCountsAndOneCrossingItDoesNot) {
  CandidateRecord other = Profile("other");
  other.experience = {{"5223.1", "5223", "winkelmedewerker", "", 36, 2025}};
  Commit({Profile("orderpicker"), other});
  std::string filler;
  while (filler.size() < 2000 - std::string("orderpicker").size()) filler += "de ";
  filler.resize(2000 - std::string("orderpicker").size(), ' ');
  EXPECT_THAT(Ids(Search(Vacancy(filler + "orderpicker"))), ElementsAre("orderpicker"));
  // One byte later the word is cut; what is left of it matches nobody.
  EXPECT_THAT(Ids(Search(Vacancy(filler + " orderpicker"))), IsEmpty());
}

// At most 32 distinct text terms are used, in term order (digits sort before letters).
TEST_F(SearcherTest, TheThirtySecondTermCountsAndTheThirtyThirdDoesNot) {
  Commit({Profile("p")});
  auto text_with_numbers = [](int count) {
    std::string text;
    for (int i = 0; i < count; ++i) text += std::to_string(1000 + i) + " ";
    return text + "orderpicker";
  };
  SearchResult inside = Search(Vacancy(text_with_numbers(31)));
  ASSERT_EQ(inside.matches.size(), 1u);
  const MatchReason* text = Reason(inside.matches[0], ReasonCode::kText);
  ASSERT_NE(text, nullptr);
  EXPECT_EQ(text->text, "komt overeen met: orderpicker");
  // The 33rd term is dropped; the occupation named in the text still finds the profile.
  SearchResult outside = Search(Vacancy(text_with_numbers(32)));
  ASSERT_EQ(outside.matches.size(), 1u);
  EXPECT_EQ(Reason(outside.matches[0], ReasonCode::kText), nullptr);
}

}  // namespace
}  // namespace verkenner::engine
