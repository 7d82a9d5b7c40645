#ifndef VERKENNER_ENGINE_OCCUPATION_SUGGESTIONS_H_
#define VERKENNER_ENGINE_OCCUPATION_SUGGESTIONS_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "engine/refdata/reference_data.h"
#include "engine/search_types.h"

// The occupations nearest to vacancy words Verkenner does not know, offered when a vacancy text
// named nothing it knows (SearchResult::suggested_occupations), so that the employer can pick
// the occupation they meant instead of rephrasing blindly.
//
// A typed word is near an occupation when a word of one of its labels is within TypoAllowance
// edits of it ("orderpikcer": orderpicker), or when its label words share beginnings or endings
// of at least four letters with it that together cover most of it ("afwasser": afwas|hulp and
// borden|wasser; "afvalophaler": vuil|ophaler). Preferred and alternative ESCO labels count
// alike; a suggestion names the occupation by its preferred label.
//
// Immutable after construction; thread-safe.
namespace verkenner::engine {

class OccupationSuggester {
 public:
  explicit OccupationSuggester(const ReferenceData& reference);

  // At most `limit` occupations whose labels are near `words` (lower-cased, as
  // QueryVocabulary::Words makes them), nearest first, except that occupations with `people`
  // come before those without, so that choosing one finds someone; among equally near ones, the
  // one with more people first. `people(esco_code)` says how many candidates have experience in
  // the occupation (the Searcher counts those who meet the vacancy's other criteria); it is
  // asked for the 4 * `limit` nearest occupations only. Empty when no label is near any word.
  // Compares each of the first 8 words with every label word: about a millisecond per word on
  // the reference data, which is why only searches whose text was left out ask.
  std::vector<OccupationSuggestion> Suggest(
      const std::vector<std::string>& words,
      const std::function<int64_t(const std::string& esco_code)>& people, size_t limit = 5) const;

 private:
  // How a typed word meets one label word: its nearness by typo (1 - edits / length, 0 beyond
  // TypoAllowance) and the lengths of the beginning and of the ending they share as word parts.
  struct WordMatch {
    float typo = 0;
    size_t prefix = 0;
    size_t suffix = 0;
  };
  struct Candidate {
    uint32_t occupation;
    float nearness;
    int64_t people = 0;
  };
  struct LabelWord {
    uint32_t occupation;  // index into occupations_
    uint32_t word;        // index into words_
    bool preferred;       // a word of the preferred label
    auto operator<=>(const LabelWord&) const = default;
  };

  static WordMatch Match(const std::string& typed, const std::string& known);
  // For each occupation, the sum over the typed words of how near its labels come to each: by a
  // typo of one label word, or by how much of the typed word the beginnings and endings shared
  // with its label words cover together ("afwasser": afwas|hulp and borden|wasser cover it all).
  std::vector<float> OccupationNearness(const std::vector<std::string>& words) const;

  std::vector<OccupationSuggestion> occupations_;
  std::vector<std::string> words_;  // the distinct words of all labels
  // Each word of each label of each occupation, without repeats.
  std::vector<LabelWord> label_words_;
};

}  // namespace verkenner::engine

#endif  // VERKENNER_ENGINE_OCCUPATION_SUGGESTIONS_H_
