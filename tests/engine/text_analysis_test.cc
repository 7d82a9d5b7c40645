#include "engine/text_analysis.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace verkenner::engine {
namespace {

std::vector<std::string> TermsOf(Xapian::TermGenerator& generator, const std::string& text) {
  Xapian::Document document;
  generator.set_document(document);
  generator.index_text_without_positions(text);
  return {document.termlist_begin(), document.termlist_end()};
}

// The generator remembers stems; what it remembers must be exactly what Snowball says, the
// first time and every time after, including after the memo has been emptied for being full.
TEST(TextAnalysisTest, StemsAreXapiansDutchStemsEveryTime) {
  const std::string text = "Schoonmakers maakten de kantoren schoon en liepen naar huis";
  Xapian::Stem dutch("dutch");
  std::vector<std::string> expected;
  for (const std::string word :
       {"huis", "kantoren", "liepen", "maakten", "naar", "schoon", "schoonmakers", "en"}) {
    expected.push_back(dutch(word));
  }
  std::erase(expected, dutch("en"));  // a stop word below
  std::sort(expected.begin(), expected.end());

  Xapian::TermGenerator generator = TextAnalysis({"de", "en"}).MakeTermGenerator();
  EXPECT_EQ(TermsOf(generator, text), expected);
  EXPECT_EQ(TermsOf(generator, text), expected);
  std::string many_words;
  for (int i = 0; i < 120'000; ++i) many_words += "woord" + std::to_string(i) + "en ";
  EXPECT_EQ(TermsOf(generator, many_words).size(), 120'000u);
  EXPECT_EQ(TermsOf(generator, text), expected);
}

// A verb form is searched as itself, not by its stem: "Je helpt klanten" is no "helpdesk"
// (help + desk) in a profile. Its stem serves only to recognise occupations (QueryVocabulary).
TEST(TextAnalysisTest, VerbFormsAddNoParts) {
  EXPECT_THAT(TextAnalysis::WordParts("helpt"), ::testing::IsEmpty());
  EXPECT_THAT(TextAnalysis::WordParts("verzamelt"), ::testing::IsEmpty());
  EXPECT_THAT(TextAnalysis::WordParts("afwasser"), ::testing::ElementsAre("afwas"));
  EXPECT_THAT(TextAnalysis::WordParts("keukenhulpje"), ::testing::ElementsAre("keuken", "hulp"));
}

}  // namespace
}  // namespace verkenner::engine
