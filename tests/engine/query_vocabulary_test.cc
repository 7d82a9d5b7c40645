// QueryVocabulary: which occupations a vacancy's words name, and spelling suggestions within one
// edit for short words and two for longer ones; on the project's reference data.
#include "engine/query_vocabulary.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <set>

namespace verkenner::engine {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::Not;

class QueryVocabularyTest : public ::testing::Test {
 protected:
  // One vocabulary for the suite: building it splits every ESCO label.
  static void SetUpTestSuite() {
    auto reference = ReferenceData::Load(ReferenceData::DefaultDirectory());
    ASSERT_TRUE(reference.ok()) << reference.status();
    auto vocabulary = QueryVocabulary::Create(**reference);
    ASSERT_TRUE(vocabulary.ok()) << vocabulary.status();
    vocabulary_ = *vocabulary;
  }
  static void TearDownTestSuite() { vocabulary_.reset(); }
  void SetUp() override { ASSERT_NE(vocabulary_, nullptr); }

  // A suggestion where only `known` words are known, each as frequent as its position says.
  std::string Suggest(const std::string& text, const std::vector<std::string>& known) const {
    auto frequency = [&](const std::string& word) -> int64_t {
      const auto found = std::find(known.begin(), known.end(), word);
      return found == known.end() ? 0 : found - known.begin() + 1;
    };
    return vocabulary_->SuggestSpelling(
        text, [&](const std::string& word) { return frequency(word) == 0; }, frequency,
        /*min_ratio=*/1);
  }

  // The first occupation `text` names, or "" if none.
  std::string First(const std::string& text) const {
    const std::vector<std::string> codes = vocabulary_->OccupationsNamedIn(text);
    return codes.empty() ? "" : codes.front();
  }

  static inline std::shared_ptr<const QueryVocabulary> vocabulary_;
};

TEST_F(QueryVocabularyTest, WordsAreLowerCaseWithInnerHyphensAndAtMostFortyCharacters) {
  EXPECT_THAT(QueryVocabulary::Words("Assistent-Kapper, brood- en BAKKER!"),
              ElementsAre("assistent-kapper", "brood", "en", "bakker"));
  EXPECT_THAT(QueryVocabulary::Words(std::string(40, 'a')), ElementsAre(std::string(40, 'a')));
  EXPECT_THAT(QueryVocabulary::Words(std::string(41, 'a')), IsEmpty());
  EXPECT_THAT(QueryVocabulary::Words("-- . ,"), IsEmpty());
}

TEST_F(QueryVocabularyTest, PreferredAndAlternativeLabelsNameTheirOccupation) {
  EXPECT_THAT(vocabulary_->OccupationsNamedIn("Gezocht: orderpicker"), ElementsAre("9333.8.1"));
  EXPECT_THAT(vocabulary_->OccupationsNamedIn("ervaren orderverzamelaar"), ElementsAre("9333.8.1"));
  // Labels the text holds in full come first, in text order; labels it holds in part (generic
  // parts left out: "hoofdbanketbakker") after them, each code once.
  EXPECT_THAT(vocabulary_->OccupationsNamedIn("brood- en banketbakker", 3),
              ElementsAre("7512.1", "3434.1.2", "7512.3"));
  EXPECT_THAT(vocabulary_->OccupationsNamedIn("orderpickerij"), IsEmpty()) << "whole words only";
}

// Issue 14: "medewerker" is an alternative label of 8160.3 (technicus drankenfiltering), so every
// "medewerker X" vacancy named it, and its experience counted in full.
TEST_F(QueryVocabularyTest, GenericWordsAloneNameNoOccupation) {
  EXPECT_THAT(vocabulary_->OccupationsNamedIn("medewerker"), IsEmpty());
  EXPECT_THAT(vocabulary_->OccupationsNamedIn("medewerkster"), IsEmpty());
  EXPECT_THAT(vocabulary_->OccupationsNamedIn("assistent"), IsEmpty());
  for (const std::string text : {"medewerker schoonmaak", "medewerker bediening",
                                 "medewerker groenvoorziening", "administratief medewerker"}) {
    EXPECT_THAT(vocabulary_->OccupationsNamedIn(text, 50), Not(Contains("8160.3"))) << text;
  }
}

// ESCO gives "metselaar" to *voorman metselaar* as an alternative label and "lasser" to
// *lasinspecteur* and *metaalbewerker-siersmid*; a vacancy for a "metselaar" is for the occupation
// whose own name it is, and named the others as fully, so foremen and inspectors came first.
TEST_F(QueryVocabularyTest, APreferredLabelOutranksTheSameWordsAsAnotherOccupationsAlternative) {
  EXPECT_THAT(vocabulary_->OccupationsNamedIn("metselaar"), ElementsAre("7112.1"));
  EXPECT_THAT(vocabulary_->OccupationsNamedIn("lasser"), ElementsAre("7212.3"));
  // An alternative label no occupation has as its own name still names in full.
  EXPECT_THAT(vocabulary_->OccupationsNamedIn("orderpicker"), ElementsAre("9333.8.1"));
  // The occupation is still named first by its own preferred label.
  EXPECT_EQ(First("voorman metselaar"), "3123.1.1");
  // Labels are compared by their parts: "medewerker bakkerij" of *verkoopspecialist brood en
  // banket* is the preferred label of *bakkerijmedewerker*.
  EXPECT_THAT(vocabulary_->OccupationsNamedIn("bakkerijmedewerker"), ElementsAre("8160.2"));
}

TEST_F(QueryVocabularyTest, GenericWordsComeOutGenericFromTheLabels) {
  for (const std::string word : {"medewerker", "medewerkster", "assistent", "hulp"}) {
    EXPECT_TRUE(vocabulary_->IsGeneric(word)) << word;
  }
  for (const std::string word : {"schoonmaak", "afwasser", "groenvoorziening", "magazijn"}) {
    EXPECT_FALSE(vocabulary_->IsGeneric(word)) << word;
  }
  EXPECT_LT(vocabulary_->PartWeight("werk"), vocabulary_->PartWeight("magazijn"));
  EXPECT_LT(vocabulary_->PartWeight("hulp"), vocabulary_->PartWeight("afwas"));
}

TEST_F(QueryVocabularyTest, MedewerkerXNamesTheOccupationOfX) {
  EXPECT_EQ(First("medewerker schoonmaak"), "9112.2");
  EXPECT_EQ(First("Medewerker bediening"), "5131.2");
  EXPECT_EQ(First("medewerker groenvoorziening"), "6113.1");
  EXPECT_EQ(First("medewerkster groenvoorziening"), "6113.1");
  EXPECT_EQ(First("administratief medewerker"), "3343.1");
}

TEST_F(QueryVocabularyTest, CompoundsAndTheirSplitFormsNameTheSameOccupation) {
  EXPECT_EQ(First("schoonmaakmedewerker"), "9112.2");
  EXPECT_EQ(First("schoonmaakster"), "9112.2");
  EXPECT_EQ(First("medewerker keuken"), "9412.2");
  EXPECT_EQ(First("keukenmedewerker"), "9412.2");
  EXPECT_EQ(First("bedieningsmedewerker"), "5131.2");
}

TEST_F(QueryVocabularyTest, AgentNounsMeetTheLabelsOfTheirWork) {
  EXPECT_EQ(First("afwasser"), "9412.2") << "afwashulp";
  EXPECT_EQ(First("Afwasser gezocht voor ons restaurant"), "9412.2");
  EXPECT_EQ(First("afvalophaler"), "9611.1") << "vuilnisophaler, by the shared head";
}

// A description's verb names the work together with its object ("Je verzamelt orders" is an
// orderverzamelaar's work), never alone: who receives guests is no ontvanger (tax collector).
TEST_F(QueryVocabularyTest, AVerbNamesAnOccupationOnlyWithAnotherWord) {
  EXPECT_THAT(vocabulary_->OccupationsNamedIn("Je verzamelt orders in het magazijn"),
              Contains("9333.8.1"));
  EXPECT_THAT(vocabulary_->OccupationsNamedIn("Je ontvangt bezoekers"), Not(Contains("3352.1")));
  EXPECT_THAT(vocabulary_->OccupationsNamedIn("ontvanger"), Contains("3352.1")) << "the noun does";
}

// Descriptions name cleaning work with the separable verb "schoonmaken" written apart; the
// particle may stand far from its verb, and a preposition between them ("in" of inmaken) is no
// particle when the joined verb names no work.
TEST_F(QueryVocabularyTest, ASeparableVerbWrittenApartNamesTheWorkOfItsAgentNoun) {
  EXPECT_EQ(First("Je maakt kamers schoon in ons hotel"), "9112.2");
  EXPECT_EQ(First("Je maakt kantoren en scholen in de regio schoon."), "9112.2");
  EXPECT_EQ(First("hulp. Je maakt het huis van ouderen schoon"), "9112.2");
  // Only within one sentence: "schoon" of the next one is no particle of "maakt".
  EXPECT_EQ(First("Je maakt soep. Het is schoon werk"), "");
}

TEST_F(QueryVocabularyTest, RecognitionSaysWhichLabelAndWordsCarriedIt) {
  const std::vector<NamedOccupation> named =
      vocabulary_->RecogniseOccupations("Medewerker groenvoorziening, 24 uur");
  ASSERT_FALSE(named.empty());
  EXPECT_EQ(named[0].esco_code, "6113.1");
  EXPECT_EQ(named[0].label, "medewerker groenvoorziening");
  EXPECT_THAT(named[0].words, ElementsAre("medewerker", "groenvoorziening"));
  EXPECT_DOUBLE_EQ(named[0].score, 1.0);
}

TEST_F(QueryVocabularyTest, NamesAtMostTheLimitInTextOrder) {
  const std::string text = "kapper, bakker of orderpicker";
  EXPECT_THAT(vocabulary_->OccupationsNamedIn(text, 2), ElementsAre("5141.1", "7512.1"));
  EXPECT_THAT(vocabulary_->OccupationsNamedIn(text, 3),
              ElementsAre("5141.1", "7512.1", "9333.8.1"));
}

TEST_F(QueryVocabularyTest, ShortWordsGetOneEditAndLongerWordsTwo) {
  const std::vector<std::string> known = {"kapper", "orderpicker"};
  EXPECT_EQ(Suggest("kaper", known), "kapper") << "five letters, one edit";
  EXPECT_EQ(Suggest("kaxxer", known), "") << "six letters, two edits";
  EXPECT_EQ(Suggest("kappxxr", known), "kapper") << "seven letters, two edits";
  EXPECT_EQ(Suggest("ordrepikcer", known), "orderpicker") << "two swaps";
  EXPECT_EQ(Suggest("orderpicker kapper", known), "") << "nothing to correct";
  EXPECT_EQ(Suggest("zzzzzzz", known), "");
}

TEST_F(QueryVocabularyTest, OnlyUnknownWordsAreReplacedAndTheRestKept) {
  EXPECT_EQ(Suggest("ervaren kaper gezocht", {"kapper", "ervaren", "gezocht"}),
            "ervaren kapper gezocht");
}

TEST_F(QueryVocabularyTest, CompoundsWrittenApartAreJoinedWhenALabelHasTheCompound) {
  EXPECT_EQ(vocabulary_->JoinSplitCompounds("Order picker (m/v)"), "orderpicker m v");
  EXPECT_EQ(vocabulary_->JoinSplitCompounds("bediening medewerker"), "bedieningsmedewerker");
  EXPECT_EQ(vocabulary_->JoinSplitCompounds("ervaren vakken vuller"), "ervaren vakkenvuller");
  // Nothing to join: the text as it was.
  EXPECT_EQ(vocabulary_->JoinSplitCompounds("Medewerker Schoonmaak"), "Medewerker Schoonmaak");
  EXPECT_EQ(vocabulary_->JoinSplitCompounds("de bakker"), "de bakker") << "no stop word joins";
}

// Imported profiles hold typos too: a word some profiles hold is replaced only by an occupation
// word that at least min_ratio times as many hold.
TEST_F(QueryVocabularyTest, AWordSomeHoldIsReplacedOnlyByOneManyMoreHold) {
  std::map<std::string, int64_t> holders = {{"keukehulp", 3}, {"keukenhulp", 29}};
  auto frequency = [&](const std::string& word) -> int64_t {
    const auto found = holders.find(word);
    return found == holders.end() ? 0 : found->second;
  };
  auto typo = [](const std::string& word) { return word == "keukehulp"; };
  EXPECT_EQ(vocabulary_->SuggestSpelling("keukehulp", typo, frequency, 10), "");
  holders["keukenhulp"] = 30;
  EXPECT_EQ(vocabulary_->SuggestSpelling("keukehulp", typo, frequency, 10), "keukenhulp");
  holders.erase("keukenhulp");
  EXPECT_EQ(vocabulary_->SuggestSpelling("keukehulp", typo, frequency, 10), "")
      << "an occupation word nobody holds is never offered";
}

}  // namespace
}  // namespace verkenner::engine
