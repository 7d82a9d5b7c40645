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

 private:
  std::vector<std::string> stopwords_;
};

}  // namespace verkenner::engine

#endif  // VERKENNER_ENGINE_TEXT_ANALYSIS_H_
