#ifndef VERKENNER_ENGINE_TEXT_ANALYSIS_H_
#define VERKENNER_ENGINE_TEXT_ANALYSIS_H_

#include <xapian.h>

#include <memory>
#include <string>
#include <vector>

namespace verkenner::engine {

// The one Dutch text analysis of the project: Xapian's Dutch stemmer and the reference stop
// words, applied identically when documents are indexed and when vacancies are parsed, so a
// stem written by the indexer is the stem the query looks for.
//
// Immutable and shareable between threads; each thread makes its own TermGenerator or
// QueryParser from it, since those Xapian objects must not cross threads.
class TextAnalysis {
 public:
  explicit TextAnalysis(const std::vector<std::string>& stopwords);

  // A term generator set up for indexing profile text into `document`.
  Xapian::TermGenerator MakeTermGenerator() const;
  // A query parser set up for vacancy text against `database` (used for spelling data).
  Xapian::QueryParser MakeQueryParser() const;

 private:
  Xapian::Stem stemmer_;
  std::vector<std::string> stopwords_;
};

}  // namespace verkenner::engine

#endif  // VERKENNER_ENGINE_TEXT_ANALYSIS_H_
