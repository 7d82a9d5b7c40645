#ifndef VERKENNER_ENGINE_QUERY_VOCABULARY_H_
#define VERKENNER_ENGINE_QUERY_VOCABULARY_H_

#include <functional>
#include <string>
#include <unordered_map>
#include <vector>

#include "engine/refdata/reference_data.h"

// What the engine knows about the words of a vacancy beyond the index: which ESCO occupations its
// words name (preferred and alternative labels, so "orderpicker" also finds the occupation whose
// preferred label is "magazijnmedewerker"), and how to correct a misspelt occupation word.
//
// Immutable after construction; thread-safe.
namespace verkenner::engine {

class QueryVocabulary {
 public:
  explicit QueryVocabulary(const ReferenceData& reference);

  // The ESCO codes of the occupations whose preferred or alternative label occurs in `text` as
  // whole words (longest label first at each position), at most `limit`.
  std::vector<std::string> OccupationsNamedIn(const std::string& text, size_t limit = 8) const;

  // `text` with each word that `known` rejects replaced by the nearest occupation word (at most
  // one edit for words up to six letters, two for longer ones) that `known` accepts, preferring
  // the word with the highest `frequency`; empty if no word needed or found a replacement.
  std::string SuggestSpelling(const std::string& text,
                              const std::function<bool(const std::string&)>& known,
                              const std::function<int64_t(const std::string&)>& frequency) const;

  // Lower-cased words of `text` (letters, digits and inner hyphens), as the vocabulary sees them.
  static std::vector<std::string> Words(const std::string& text);

 private:
  std::unordered_map<std::string, std::vector<std::string>> codes_by_label_;  // normalised label
  size_t longest_label_words_ = 1;
  // Words of occupation labels, by length, for spelling suggestions.
  std::vector<std::vector<std::string>> words_by_length_;
};

}  // namespace verkenner::engine

#endif  // VERKENNER_ENGINE_QUERY_VOCABULARY_H_
