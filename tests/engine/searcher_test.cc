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

TEST_F(SearcherTest, ATypoIsSearchedAsTheOccupationWordMeantAndSaysSo) {
  CandidateRecord picker = Profile("picker");
  CandidateRecord other = Profile("other");
  other.experience = {};
  Commit({other, picker});
  // "orderpikcer" is no Dutch word and no profile holds it: searched as typed it finds nobody
  // by the text, so the search runs on the nearest occupation word and says so.
  SearchResult result = Search(Vacancy("Orderpikcer"));
  EXPECT_TRUE(result.spelling_applied);
  EXPECT_EQ(result.spelling_suggestion, "orderpicker");
  EXPECT_FALSE(result.text_ignored);
  ASSERT_FALSE(result.matches.empty());
  EXPECT_EQ(result.matches[0].profile_id, "picker");
  ASSERT_NE(Reason(result.matches[0], ReasonCode::kOccupationExperience), nullptr);
  // Only the typo is replaced: a Dutch word stays as typed, also when no profile holds it.
  SearchResult two = Search(Vacancy("ervaren orderpikcer"));
  EXPECT_TRUE(two.spelling_applied);
  EXPECT_EQ(two.spelling_suggestion, "ervaren orderpicker");
  SearchResult plain = Search(Vacancy("orderpicker"));
  EXPECT_FALSE(plain.spelling_applied);
  EXPECT_EQ(plain.spelling_suggestion, "");
  EXPECT_EQ(Ids(plain), Ids(result));
}

// "vakkenvuller" is an alternative label of *schappenvuller*: profiles, written in preferred
// labels, hold the occupation but not the word. A typo of it is still corrected to it.
TEST_F(SearcherTest, ATypoOfALabelWordThatNamesHeldOccupationsIsCorrected) {
  CandidateRecord filler = Profile("filler");
  filler.experience = {{"9334.1", "9334", "schappenvuller", "", 24, 2025}};
  Commit({Profile("picker"), filler});
  SearchResult result = Search(Vacancy("vakkevuller"));
  EXPECT_TRUE(result.spelling_applied);
  EXPECT_EQ(result.spelling_suggestion, "vakkenvuller");
  EXPECT_FALSE(result.text_ignored);
  EXPECT_THAT(Ids(result), ElementsAre("filler"));
}

TEST_F(SearcherTest, ARealWordIsNeverTakenForATypo) {
  Commit({Profile("p")});
  // Dutch words that no profile holds, one of them an edit away from "orderpicker"'s part
  // "picker": left out as unrecognised (never a dead end), not replaced.
  SearchResult result = Search(Vacancy("kapel pikker"));
  EXPECT_FALSE(result.spelling_applied);
  EXPECT_TRUE(result.text_ignored);
}

// ---- Never a dead end: a text of which nothing is recognised is left out, and says so.

TEST_F(SearcherTest, UnknownWordsGiveThePeopleWhoMeetTheOtherCriteria) {
  CandidateRecord fresh = Profile("fresh");
  fresh.updated_day = kToday - 2;
  CandidateRecord stale = Profile("stale");
  stale.updated_day = kToday - 400;
  CandidateRecord too_far = Profile("too-far");
  too_far.home = North(kUtrecht, 40);  // beyond its own 20 km
  CandidateRecord other_hours = Profile("other-hours");
  other_hours.hours_min = 32;
  other_hours.hours_max = 40;
  Commit({stale, fresh, too_far, other_hours});
  SearchQuery query = Vacancy("Zzqx flapdrol");
  query.hours_min = 20;
  query.hours_max = 24;

  SearchResult result = Search(query);
  EXPECT_TRUE(result.text_ignored);
  EXPECT_THAT(result.unknown_words, ElementsAre("zzqx", "flapdrol"));
  EXPECT_EQ(result.total, 2);
  EXPECT_THAT(Ids(result), ElementsAre("fresh", "stale"));
  for (const CandidateMatch& match : result.matches) {
    EXPECT_EQ(Reason(match, ReasonCode::kText), nullptr) << "the text played no part";
  }
  // Ranked exactly as the same vacancy without text.
  SearchQuery without_text = query;
  without_text.text.clear();
  SearchResult plain = Search(without_text);
  EXPECT_FALSE(plain.text_ignored);
  ASSERT_EQ(plain.matches.size(), result.matches.size());
  for (size_t i = 0; i < plain.matches.size(); ++i) {
    EXPECT_EQ(result.matches[i].profile_id, plain.matches[i].profile_id);
    EXPECT_DOUBLE_EQ(result.matches[i].score, plain.matches[i].score);
  }
}

TEST_F(SearcherTest, TheNextPageOfAnIgnoredTextIgnoresItToo) {
  Commit(Profiles("p", 15));
  SearchQuery query = Vacancy("zzqx flapdrol");
  query.page_size = 10;
  SearchResult first = Search(query);
  ASSERT_TRUE(first.text_ignored);
  EXPECT_EQ(first.total, 15);
  ASSERT_FALSE(first.next_page_token.empty());
  query.page_token = first.next_page_token;
  SearchResult second = Search(query);
  EXPECT_TRUE(second.text_ignored);
  EXPECT_EQ(second.total, 15);
  EXPECT_EQ(second.matches.size(), 5u);
  EXPECT_EQ(second.next_page_token, "");
  std::vector<std::string> seen = Ids(first);
  for (const std::string& id : Ids(second)) seen.push_back(id);
  std::sort(seen.begin(), seen.end());
  EXPECT_EQ(std::unique(seen.begin(), seen.end()), seen.end()) << "a profile on two pages";
}

TEST_F(SearcherTest, ANearMissSuggestsTheNearestOccupations) {
  Commit({Profile("p")});
  // A typo of an occupation word no profile holds: nothing to correct it to, so the text is
  // left out, and the occupations it is near are suggested.
  SearchResult result = Search(Vacancy("timmermann"));
  ASSERT_TRUE(result.text_ignored);
  EXPECT_FALSE(result.spelling_applied);
  EXPECT_EQ(result.total, 1);
  EXPECT_THAT(result.unknown_words, ElementsAre("timmermann"));
  ASSERT_FALSE(result.suggested_occupations.empty());
  EXPECT_LE(result.suggested_occupations.size(), 5u);
  EXPECT_EQ(result.suggested_occupations[0].esco_code, "7115.1");
  EXPECT_EQ(result.suggested_occupations[0].label, "timmerman");
  EXPECT_EQ(result.suggested_occupations[0].isco_code, "7115");
  // Nonsense is near nothing: no suggestion rather than a random one.
  EXPECT_THAT(Search(Vacancy("zzqx flapdrol")).suggested_occupations, IsEmpty());
}

TEST_F(SearcherTest, SuggestionsFirstNameWhatPeopleWhoMeetTheOtherCriteriaHaveDone) {
  // Five occupations are one typo from "schoonmakre" through their preferred labels; the one
  // someone within reach has done comes first, not the one someone too far away has. Their
  // profiles name the work in other words, so that no profile holds "schoonmaker" and the typo
  // has nothing to be corrected to.
  CandidateRecord near = Profile("near");
  near.experience = {{"9112.6", "9112", "treinreiniging", "", 24, 2025}};
  CandidateRecord far = Profile("far");
  far.home = North(kUtrecht, 100);
  far.experience = {{"8160.1", "8160", "cacaobonenreiniging", "", 24, 2025}};
  Commit({near, far});
  SearchResult result = Search(Vacancy("schoonmakre"));
  ASSERT_TRUE(result.text_ignored);
  EXPECT_THAT(Ids(result), ElementsAre("near"));
  ASSERT_FALSE(result.suggested_occupations.empty());
  EXPECT_EQ(result.suggested_occupations[0].esco_code, "9112.6");
  EXPECT_EQ(result.suggested_occupations[0].label, "schoonmaker treinen");
}

TEST_F(SearcherTest, ARecognisedTextIsNeverIgnored) {
  Commit({Profile("p")});
  // A known word beside an unknown one: the known word decides.
  SearchResult mixed = Search(Vacancy("zzqx orderpicker"));
  EXPECT_FALSE(mixed.text_ignored);
  EXPECT_EQ(mixed.total, 1);
  EXPECT_THAT(mixed.unknown_words, IsEmpty());
  EXPECT_THAT(mixed.suggested_occupations, IsEmpty());
  // Hard constraints that leave nobody: the text is not the cause, so no fallback.
  SearchQuery no_one = Vacancy("orderpicker");
  no_one.hours_min = 36;
  no_one.hours_max = 40;
  no_one.unknown_fields = UnknownFieldPolicy::kStrict;
  SearchResult none = Search(no_one);
  EXPECT_EQ(none.total, 0);
  EXPECT_FALSE(none.text_ignored);
  // An occupation asked for by code: the unknown text is beside the point.
  SearchQuery by_code = Vacancy("zzqx");
  by_code.esco_codes = {"9333.8.1"};
  SearchResult coded = Search(by_code);
  EXPECT_FALSE(coded.text_ignored);
  EXPECT_EQ(coded.total, 1);
  // Only stop words: there was no text criterion to ignore.
  EXPECT_FALSE(Search(Vacancy("de het een")).text_ignored);
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
  // Later, the word is cut; what is left of it matches nobody, so the text is left out (and the
  // results are everyone's, as without text). Four bytes later, so that the four letters cut
  // make what is left no typo of "orderpicker" either.
  SearchResult cut = Search(Vacancy(filler + "    orderpicker"));
  EXPECT_TRUE(cut.text_ignored);
  EXPECT_THAT(cut.unknown_words, ElementsAre("orderpi"));
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
