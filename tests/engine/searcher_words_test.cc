// Issue 14: the words employers type. "medewerker X" finds people with experience in X, never
// the people whose occupation label merely holds "medewerker"; agent nouns and compounds find
// the people whose labels hold the same work ("afwasser" / afwashulp, "afvalophaler" /
// vuilnisophaler); and the explanation names the occupation or the words as typed, never a
// generic word alone. On small hand-made indexes with the project's reference data.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "engine/searcher.h"
#include "tests/engine/test_index.h"

namespace verkenner::engine {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

class SearcherWordsTest : public fixtures::SearchFixture {
 protected:
  // A profile with one experience entry, written as the generator writes it (ESCO's label).
  CandidateRecord Experienced(const std::string& id, const std::string& esco,
                              const std::string& label, int months) const {
    CandidateRecord record = Profile(id);
    const OccupationInfo* occupation = reference_->FindOccupation(label);
    record.experience = {{esco, occupation != nullptr ? occupation->isco_code : esco.substr(0, 4),
                          label, "", months, 2026}};
    return record;
  }

  // People with long experience in occupations whose labels hold "medewerker" (8160.3 has the
  // alternative label "medewerker"), and people with shorter experience in the work asked.
  void CommitPeople() {
    Commit({Experienced("drank", "8160.3", "technicus drankenfiltering", 120),
            Experienced("vet", "8160.3", "medewerker vetzuivering", 120),
            Experienced("schoon", "9112.2", "schoonmaker gebouwen", 24),
            Experienced("ober", "5131.2", "ober/serveerster", 24),
            Experienced("groen", "6113.1",
                        "medewerker groenvoorziening/medewerkster groenvoorziening", 24),
            Experienced("admin", "3343.1", "administratief medewerker", 24),
            Experienced("keuken", "9412.2", "medewerker keuken", 24),
            Experienced("vuilnis", "9611.1", "vuilnisophaler", 24)});
  }

  std::string First(const std::string& text) {
    SearchResult result = Search(Vacancy(text));
    return result.matches.empty() ? "" : result.matches[0].profile_id;
  }
};

TEST_F(SearcherWordsTest, MedewerkerXPutsExperienceInXFirst) {
  CommitPeople();
  EXPECT_EQ(First("medewerker schoonmaak"), "schoon");
  EXPECT_EQ(First("Medewerker bediening"), "ober");
  EXPECT_EQ(First("medewerker groenvoorziening"), "groen");
  EXPECT_EQ(First("administratief medewerker"), "admin");
  EXPECT_EQ(First("schoonmaakmedewerker"), "schoon");
}

TEST_F(SearcherWordsTest, AGenericWordEarnsNoExperience) {
  CommitPeople();
  for (const std::string text : {"medewerker schoonmaak", "medewerker bediening",
                                 "medewerker groenvoorziening", "administratief medewerker"}) {
    for (const CandidateMatch& match : Search(Vacancy(text)).matches) {
      if (match.profile_id != "drank" && match.profile_id != "vet") continue;
      EXPECT_EQ(Reason(match, ReasonCode::kOccupationExperience), nullptr)
          << text << ": " << match.profile_id;
      EXPECT_EQ(Reason(match, ReasonCode::kRelatedOccupation), nullptr)
          << text << ": " << match.profile_id;
    }
  }
}

TEST_F(SearcherWordsTest, AgentNounsFindThePeopleWhoDidThatWork) {
  CommitPeople();
  SearchResult dishes = Search(Vacancy("afwasser"));
  ASSERT_THAT(dishes.matches, Not(IsEmpty()));
  EXPECT_EQ(dishes.matches[0].profile_id, "keuken");
  SearchResult refuse = Search(Vacancy("afvalophaler"));
  ASSERT_THAT(refuse.matches, Not(IsEmpty()));
  EXPECT_EQ(refuse.matches[0].profile_id, "vuilnis");
}

// A compound written apart is the compound: "order picker" is an orderpicker, although the word
// list does not cut "orderpicker" into "order" and "picker".
TEST_F(SearcherWordsTest, ACompoundWrittenApartFindsThePeopleWhoDidThatWork) {
  CommitPeople();
  Commit({Experienced("picker", "9333.8.1", "orderpicker", 24),
          Experienced("bediening", "5131.2", "bedieningsmedewerker", 24)});
  for (const std::string text : {"order picker", "Order Picker m/v", "ervaren order picker"}) {
    SearchResult result = Search(Vacancy(text));
    EXPECT_FALSE(result.text_ignored) << text;
    ASSERT_THAT(result.matches, Not(IsEmpty())) << text;
    EXPECT_EQ(result.matches[0].profile_id, "picker") << text;
    EXPECT_NE(Reason(result.matches[0], ReasonCode::kOccupationExperience), nullptr) << text;
  }
  EXPECT_EQ(First("bediening medewerker"), "bediening") << "joined with the linking -s-";
}

// A description without a title says the work in a finite verb: "Je verzamelt orders" is the
// work of an orderverzamelaar, an alternative label of orderpicker.
TEST_F(SearcherWordsTest, AVerbInTheDescriptionFindsThePeopleWhoDidThatWork) {
  CommitPeople();
  Commit({Experienced("picker", "9333.8.1", "orderpicker", 24)});
  SearchResult result = Search(Vacancy("Je verzamelt orders in het magazijn"));
  ASSERT_THAT(result.matches, Not(IsEmpty()));
  EXPECT_EQ(result.matches[0].profile_id, "picker");
  EXPECT_NE(Reason(result.matches[0], ReasonCode::kOccupationExperience), nullptr);
}

TEST_F(SearcherWordsTest, TheSlashLabelsFirstHalfNamesTheOccupation) {
  CommitPeople();
  SearchResult result = Search(Vacancy("medewerker groenvoorziening"));
  ASSERT_THAT(result.matches, Not(IsEmpty()));
  const MatchReason* reason = Reason(result.matches[0], ReasonCode::kOccupationExperience);
  ASSERT_NE(reason, nullptr);
  EXPECT_THAT(reason->text, HasSubstr("ervaring als medewerker groenvoorziening"));
}

TEST_F(SearcherWordsTest, ExplanationsNameTypedWordsAndNeverAGenericWordAlone) {
  CandidateRecord cleaner = Experienced("schoon", "9112.2", "schoonmaker gebouwen", 24);
  cleaner.skills = {"schoonmaak"};
  Commit({cleaner, Experienced("vet", "8160.3", "medewerker vetzuivering", 120)});
  SearchResult result = Search(Vacancy("Medewerker schoonmaak"));
  ASSERT_THAT(result.matches, Not(IsEmpty()));
  EXPECT_EQ(result.matches[0].profile_id, "schoon");
  const MatchReason* words = Reason(result.matches[0], ReasonCode::kText);
  ASSERT_NE(words, nullptr);
  EXPECT_EQ(words->text, "komt overeen met: schoonmaak") << "as typed, not the stem";
  for (const std::string text : {"Medewerker schoonmaak", "medewerker", "medewerkers"}) {
    for (const CandidateMatch& match : Search(Vacancy(text)).matches) {
      for (const MatchReason& reason : match.reasons) {
        EXPECT_THAT(reason.text, Not(HasSubstr("komt overeen met: medewerk")))
            << text << ": " << match.profile_id;
      }
    }
  }
}

// A text of generic words only is still a text criterion: "verkoopster" (verkoop is in 3% of
// the occupations' labels) finds the people whose profiles hold "verkoop", not everyone.
TEST_F(SearcherWordsTest, ATextOfGenericWordsOnlyStillNarrows) {
  CandidateRecord seller = Experienced("verkoop", "5223.4", "verkoopmedewerker", 24);
  Commit({seller, Experienced("vet", "8160.3", "medewerker vetzuivering", 120)});
  SearchResult result = Search(Vacancy("verkoopster"));
  ASSERT_EQ(fixtures::SearchFixture::Ids(result), std::vector<std::string>{"verkoop"});
  const MatchReason* words = Reason(result.matches[0], ReasonCode::kText);
  ASSERT_NE(words, nullptr);
  EXPECT_EQ(words->text, "komt overeen met: verkoopster");
}

// A generic word is left out only for an informative word that some profile holds: "flexkracht"
// (flex + kracht) reaches nobody, so "productie" must still count, not the text be left out.
TEST_F(SearcherWordsTest, AGenericWordCountsWhenTheInformativeWordsReachNobody) {
  Commit({Experienced("productie", "9329.1", "productiemedewerker", 24),
          Experienced("vet", "8160.3", "medewerker vetzuivering", 120)});
  SearchResult result = Search(Vacancy("flexkracht productie"));
  EXPECT_FALSE(result.text_ignored);
  EXPECT_EQ(fixtures::SearchFixture::Ids(result), std::vector<std::string>{"productie"});
}

// The words of one label must stand together: a description's "kantoren" and the title's
// "medewerker" do not name *kantoormedewerker*.
TEST_F(SearcherWordsTest, ALabelsWordsMustStandTogether) {
  Commit({Experienced("schoon", "9112.2", "schoonmaker gebouwen", 24),
          Experienced("kantoor", "4110.1", "kantoorbediende", 120)});
  EXPECT_EQ(First("Medewerker schoonmaak. Je maakt kantoren en scholen in de regio schoon."),
            "schoon");
}

}  // namespace
}  // namespace verkenner::engine
