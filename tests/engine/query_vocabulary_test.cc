// QueryVocabulary: which occupations a vacancy's words name, and spelling suggestions within one
// edit for short words and two for longer ones; on the project's reference data.
#include "engine/query_vocabulary.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <set>

namespace verkenner::engine {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

class QueryVocabularyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto reference = ReferenceData::Load(ReferenceData::DefaultDirectory());
    ASSERT_TRUE(reference.ok()) << reference.status();
    vocabulary_ = std::make_unique<QueryVocabulary>(**reference);
  }

  // A suggestion where only `known` words are known, each as frequent as its position says.
  std::string Suggest(const std::string& text, const std::vector<std::string>& known) const {
    return vocabulary_->SuggestSpelling(
        text,
        [&](const std::string& word) {
          return std::find(known.begin(), known.end(), word) != known.end();
        },
        [&](const std::string& word) -> int64_t {
          return std::find(known.begin(), known.end(), word) - known.begin() + 1;
        });
  }

  std::unique_ptr<QueryVocabulary> vocabulary_;
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
  // A label of several words names its occupation first; its last word, a label of its own
  // (of that occupation and of others), then adds the others, each code once.
  EXPECT_THAT(vocabulary_->OccupationsNamedIn("brood- en banketbakker"),
              ElementsAre("7512.1", "3434.1.2", "7512.3"));
  EXPECT_THAT(vocabulary_->OccupationsNamedIn("orderpickers"), IsEmpty()) << "whole words only";
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

}  // namespace
}  // namespace verkenner::engine
