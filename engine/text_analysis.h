#ifndef VERKENNER_ENGINE_TEXT_ANALYSIS_H_
#define VERKENNER_ENGINE_TEXT_ANALYSIS_H_

#include <xapian.h>

#include <memory>
#include <string>
#include <vector>

namespace verkenner::engine {

// The one Dutch text analysis of the project: Xapian's Dutch stemmer and the reference stop
// words. Profiles are indexed and vacancy texts are read through the same term generator, so a
// stem written by the indexer is the stem a search looks for.
//
// Immutable and shareable between threads; each thread makes its own TermGenerator from it,
// since Xapian objects must not cross threads.
class TextAnalysis {
 public:
  explicit TextAnalysis(const std::vector<std::string>& stopwords);

  // A term generator for profile and vacancy text: Dutch stems only, stop words left out.
  Xapian::TermGenerator MakeTermGenerator() const;

  // The parts a word adds to the text terms: its compound parts and base forms
  // (DutchWords::Parts) other than the word itself. "magazijnmedewerker" -> {"magazijn", "mede",
  // "werk"}, "afwasser" -> {"afwas"}; none for a verb form ("helpt"). Profile text is indexed with
  // these after its words (WithWordParts), and a vacancy's words are searched with them, so
  // "medewerker magazijn" meets "magazijnmedewerker" and back, and "afwasser" meets "afwashulp".
  // Uses DutchWords::Shared(); empty without the word list. Thread-safe: remembers the words it has
  // split per thread, as the stemmer does.
  static std::vector<std::string> WordParts(const std::string& word);
  // `text` followed by WordParts() of each of its words: what profile text is indexed as.
  static std::string WithWordParts(const std::string& text);

 private:
  std::vector<std::string> stopwords_;
};

}  // namespace verkenner::engine

#endif  // VERKENNER_ENGINE_TEXT_ANALYSIS_H_
