// DutchWords: compounds split into dictionary words, and gendered, plural and agent-noun forms
// brought back to their base, on OpenTaal's Dutch word list (hunspell-nl) and on small
// hand-made dictionaries.
#include "engine/dutch_words.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>

namespace verkenner::engine {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

class DutchWordsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto words = DutchWords::Shared();
    ASSERT_TRUE(words.ok()) << words.status();
    words_ = *words;
  }
  std::shared_ptr<const DutchWords> words_;
};

TEST_F(DutchWordsTest, CompoundsSplitIntoDictionaryWordsWithLinkingElements) {
  EXPECT_THAT(words_->Split("magazijnmedewerker"), ElementsAre("magazijn", "mede", "werker"));
  EXPECT_THAT(words_->Split("afwashulp"), ElementsAre("afwas", "hulp"));
  EXPECT_THAT(words_->Split("groenvoorziening"), ElementsAre("groen", "voorziening"));
  EXPECT_THAT(words_->Split("vetzuiveringsinstallatie"),
              ElementsAre("vet", "zuivering", "installatie"));
  EXPECT_THAT(words_->Split("vuilnisophaler"), ElementsAre("vuilnis", "ophaler"));
  // The gendered form first becomes "schoonmaker", so not "schoonmaak" + "ster".
  EXPECT_THAT(words_->Split("schoonmaakster"), ElementsAre("schoon", "maker"));
}

TEST_F(DutchWordsTest, ShortAndUnsplittableWordsStayWhole) {
  EXPECT_THAT(words_->Split("keuken"), ElementsAre("keuken")) << "not keu + ken";
  EXPECT_THAT(words_->Split("assistent"), ElementsAre("assistent"));
  EXPECT_THAT(words_->Split("xyzzyplugh"), ElementsAre("xyzzyplugh"));
}

TEST_F(DutchWordsTest, HyphenatedWordsSplitAtTheHyphenFirst) {
  EXPECT_THAT(words_->Split("horeca-medewerker"), ElementsAre("horeca", "mede", "werker"));
  EXPECT_THAT(words_->Split("x-medewerker"), ElementsAre("x", "mede", "werker"));
}

TEST_F(DutchWordsTest, GenderedFormsBecomeTheirBaseWhereTheDictionaryHasIt) {
  EXPECT_EQ(words_->BaseForm("assistente"), "assistent");
  EXPECT_EQ(words_->BaseForm("verpleegster"), "verpleeg");  // verpleger, an agent of verplegen
  EXPECT_THAT(words_->Parts("medewerkster"), ElementsAre("mede", "werk"));
  EXPECT_THAT(words_->Parts("medewerker"), ElementsAre("mede", "werk"));
  EXPECT_THAT(words_->Parts("kantoorassistente"), ElementsAre("kantoor", "assistent"));
}

TEST_F(DutchWordsTest, AgentNounsMeetTheWorkTheyDo) {
  EXPECT_EQ(words_->BaseForm("afwasser"), "afwas");
  EXPECT_THAT(words_->Parts("afwasser"), ElementsAre("afwas"));
  EXPECT_THAT(words_->Parts("schoonmaker"), ElementsAre("schoon", "maak"));
  EXPECT_THAT(words_->Parts("schoonmaak"), ElementsAre("schoon", "maak"));
  EXPECT_THAT(words_->Parts("schoonmaakster"), ElementsAre("schoon", "maak"));
  EXPECT_THAT(words_->Parts("afvalophaler"), ElementsAre("afval", "ophaal"));
  EXPECT_THAT(words_->Parts("medewerkers"), ElementsAre("mede", "werk")) << "plural";
  EXPECT_EQ(words_->BaseForm("ober"), "ober") << "no verb oben";
}

// Descriptions say what the work is in finite verbs ("Je verzamelt orders"): the verb form
// becomes the stem the agent noun of that work gives, so the two meet.
TEST_F(DutchWordsTest, PresentTenseVerbsMeetTheAgentNounsOfTheirWork) {
  EXPECT_EQ(words_->BaseForm("verzamelt"), "verzamel");
  EXPECT_EQ(words_->BaseForm("bezorgt"), "bezorg");
  EXPECT_EQ(words_->BaseForm("sorteert"), "sorteer");
  EXPECT_EQ(words_->BaseForm("plukt"), "pluk");
  EXPECT_EQ(words_->BaseForm("wast"), "was");
  EXPECT_EQ(words_->BaseForm("maakt"), "maak");
  EXPECT_EQ(words_->BaseForm("kiest"), "kies") << "kiezen";
  EXPECT_EQ(words_->BaseForm("geeft"), "geef") << "geven";
  EXPECT_EQ(words_->BaseForm("leeft"), "leef") << "leven";
  EXPECT_EQ(words_->BaseForm("reist"), "reis") << "reizen";
  EXPECT_EQ(words_->BaseForm("verzamelt"), words_->Parts("orderverzamelaar").back());
  EXPECT_EQ(words_->BaseForm("bezorgt"), words_->Parts("pakketbezorger").back());
  EXPECT_EQ(words_->BaseForm("sorteert"), words_->Parts("afvalsorteerder").back());
  EXPECT_EQ(words_->BaseForm("plukt"), words_->Parts("fruitplukker").back());
  EXPECT_EQ(words_->BaseForm("wast"), words_->Parts("glazenwasser").back());
  EXPECT_THAT(words_->Parts("verzamelt"), ElementsAre("verzamel"));
  EXPECT_EQ(words_->BaseForm("handelaar"), "handel") << "-aar after an unstressed -el";
  EXPECT_EQ(words_->BaseForm("leraar"), "leraar") << "ler is no verb stem";
}

// Dutch main clauses write a separable verb apart, its particle after the object ("Je maakt de
// kamers schoon", "Je haalt het afval op"): joined, they are the work whose agent noun is the
// occupation (schoonmaker, vuilnisophaler).
TEST_F(DutchWordsTest, ASeparableVerbWrittenApartIsJoinedWhereTheDictionaryHasIt) {
  EXPECT_EQ(words_->SeparableVerbStem("maakt", "schoon"), "schoonmaak");
  EXPECT_EQ(words_->SeparableVerbStem("haalt", "op"), "ophaal");
  EXPECT_THAT(words_->Parts(words_->SeparableVerbStem("maakt", "schoon")),
              ElementsAre("schoon", "maak"));
  EXPECT_EQ(words_->Parts("schoonmaker"), words_->Parts("schoonmaak"));
  EXPECT_EQ(words_->SeparableVerbStem("maakt", "kantoren"), "") << "no verb kantorenmaken";
  EXPECT_EQ(words_->SeparableVerbStem("kantoren", "schoon"), "") << "not a verb form";
  EXPECT_EQ(words_->SeparableVerbStem("maakt", "xq"), "");
}

TEST_F(DutchWordsTest, WordsListedAsTheyAreKeepTheirFinalT) {
  for (const char* word : {"kat", "post", "markt", "kant", "plant", "vaart", "leest", "fruit"}) {
    EXPECT_EQ(words_->BaseForm(word), word);
  }
  EXPECT_EQ(words_->BaseForm("xyzt"), "xyzt") << "no verb xyzen";
}

// Informal titles use diminutives: "keukenhulpje" is a keukenhulp, "pakjesbezorger" delivers
// parcels (pak). A listed word ending in -je is a word of its own ("meisje" is no small meis).
TEST_F(DutchWordsTest, DiminutivesBecomeTheWordTheyMakeSmall) {
  EXPECT_EQ(words_->BaseForm("hulpje"), "hulp");
  EXPECT_EQ(words_->BaseForm("pakje"), "pak");
  EXPECT_EQ(words_->BaseForm("hulpjes"), "hulp") << "plural";
  EXPECT_EQ(words_->BaseForm("baantje"), "baan");
  EXPECT_EQ(words_->BaseForm("stoeltje"), "stoel");
  EXPECT_EQ(words_->BaseForm("boompje"), "boom");
  EXPECT_EQ(words_->BaseForm("balletje"), "bal") << "not ballet";
  EXPECT_EQ(words_->BaseForm("ringetje"), "ring");
  EXPECT_EQ(words_->BaseForm("plantje"), "plant") << "not plan";
  EXPECT_EQ(words_->BaseForm("pakketje"), "pakket");
  EXPECT_EQ(words_->BaseForm("meisje"), "meisje");
  EXPECT_THAT(words_->Parts("keukenhulpje"), ElementsAre("keuken", "hulp"));
  EXPECT_THAT(words_->Parts("pakjesbezorger"), ElementsAre("pak", "bezorg"));
}

// Hunspell's affix rules know the inflected forms a vacancy description is written in, which
// the word list alone lacks; typos of occupation words it rejects.
TEST_F(DutchWordsTest, HunspellTellsInflectedWordsFromTypos) {
  for (const char* word : {"maakt", "helpt", "houdt", "kantoren", "bezorgt"}) {
    EXPECT_FALSE(words_->Contains(word)) << word << " is in the word list after all";
    EXPECT_TRUE(words_->Spells(word)) << word;
  }
  EXPECT_TRUE(words_->Spells("magazijnmedewerker"));
  for (const char* word : {"schoonmaaker", "keukehulp", "serveester", "magazijnmedewerkr",
                           "beveliger", "loodgietter", "timmerma", "heftruckchaufeur"}) {
    EXPECT_FALSE(words_->Spells(word)) << word;
  }
}

// Without the affix rules "maakt" could be a typo of "markt" as well as a form of "maken": no
// word is taken for a typo then, rather than inflected words replaced.
TEST(DutchWordsDictionaryTest, WithoutAffixRulesNoWordIsCalledATypo) {
  std::shared_ptr<const DutchWords> words = DutchWords::FromWords({"maken"});
  EXPECT_TRUE(words->Spells("maken"));
  EXPECT_TRUE(words->Spells("maakt"));
  EXPECT_TRUE(words->Spells("schoonmaaker"));
}

TEST(DutchWordsDictionaryTest, OnlyTheDictionaryConfirmsABaseForm) {
  auto words = DutchWords::FromWords({"werker", "magazijn", "mede"});
  EXPECT_THAT(words->Parts("magazijnwerkster"), ElementsAre("magazijn", "werker"));
  EXPECT_EQ(words->BaseForm("bakker"), "bakker") << "neither bak nor bakken is known";
  EXPECT_EQ(DutchWords::FromWords({"bakken"})->BaseForm("bakker"), "bak");
}

// Splits are remembered per thread and per dictionary: another dictionary splits afresh.
TEST(DutchWordsDictionaryTest, EachDictionarySplitsByItsOwnWords) {
  EXPECT_THAT(DutchWords::FromWords({"magazijn", "werker"})->Split("magazijnwerker"),
              ElementsAre("magazijn", "werker"));
  EXPECT_THAT(DutchWords::FromWords({"magazijnwerker"})->Split("magazijnwerker"),
              ElementsAre("magazijnwerker"));
}

TEST(DutchWordsLoadTest, AMissingWordListNamesThePackage) {
  auto words = DutchWords::Load("/nonexistent/nl.dic");
  ASSERT_FALSE(words.ok());
  EXPECT_EQ(words.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(words.status().message(), HasSubstr("hunspell-nl"));
  EXPECT_THAT(words.status().message(), HasSubstr("VERKENNER_HUNSPELL_NL"));
}

TEST(DutchWordsLoadTest, ReadsHunspellEntriesWithoutFlagsAndWithoutNames) {
  const std::string path = ::testing::TempDir() + "/words-test.dic";
  {
    std::ofstream out(path);
    out << "4\nafwas/CaCb\nAmsterdam/Ze\nhulp\nm.b.v.\n";
  }
  auto words = DutchWords::Load(path);
  ASSERT_TRUE(words.ok()) << words.status();
  EXPECT_TRUE((*words)->Contains("afwas"));
  EXPECT_TRUE((*words)->Contains("hulp"));
  EXPECT_FALSE((*words)->Contains("amsterdam"));
  EXPECT_FALSE((*words)->Contains("Amsterdam"));
  EXPECT_FALSE((*words)->Contains("m.b.v."));
}

}  // namespace
}  // namespace verkenner::engine
