#include "engine/occupation_suggestions.h"

#include <algorithm>
#include <unordered_map>

#include "engine/edit_distance.h"
#include "engine/query_vocabulary.h"

namespace verkenner::engine {
namespace {

// A shared beginning or ending shorter than this is an affix like "-ster", not a word part.
constexpr size_t kMinPartLength = 4;
// Labels that account for a whole typed word between their parts say less than a label word
// within a typo of it.
constexpr float kPartWeight = 0.9f;
// A typo of the preferred label's word beats the same typo of an alternative label's: "tuinier"
// is the tuinier's preferred label and one of the botanicus's alternatives.
constexpr float kPreferredLabelBonus = 0.05f;
// Below this an occupation is not offered: better no suggestion than a random one.
constexpr float kMinNearness = 0.5f;
// How many of the nearest occupations are weighed by `people` for each one suggested: the
// count may run a search.
constexpr size_t kConsideredPerSuggestion = 4;
// The typed words looked at, so that a pasted document costs no more than a short text.
constexpr size_t kMaxTypedWords = 8;

size_t CommonPrefix(const std::string& a, const std::string& b) {
  const auto [end, unused] = std::mismatch(a.begin(), a.end(), b.begin(), b.end());
  return static_cast<size_t>(end - a.begin());
}

size_t CommonSuffix(const std::string& a, const std::string& b) {
  const auto [end, unused] = std::mismatch(a.rbegin(), a.rend(), b.rbegin(), b.rend());
  return static_cast<size_t>(end - a.rbegin());
}

// Whether what is left of two words beside a shared part of `part` letters could be word parts
// of their own: nothing, or at least two letters. Words that differ in one letter beside a long
// shared ending rhyme ("afwasser", "lasser") rather than share a part ("afwasser",
// "bordenwasser").
bool LeavesWordParts(const std::string& a, const std::string& b, size_t part) {
  return a.size() - part != 1 && b.size() - part != 1;
}

// `shared` letters at the beginning or the end of both words, if that is a word part; else 0.
size_t PartLength(const std::string& a, const std::string& b, size_t shared) {
  return shared >= kMinPartLength && LeavesWordParts(a, b, shared) ? shared : 0;
}

}  // namespace

OccupationSuggester::OccupationSuggester(const ReferenceData& reference) {
  std::unordered_map<std::string, uint32_t> word_index;
  for (const OccupationInfo& occupation : reference.occupations()) {
    const auto occupation_index = static_cast<uint32_t>(occupations_.size());
    occupations_.push_back({occupation.esco_code, occupation.isco_code, occupation.label});
    std::vector<const std::string*> labels = {&occupation.label};
    for (const std::string& alt : occupation.alt_labels) labels.push_back(&alt);
    for (const std::string* label : labels) {
      for (const std::string& word : QueryVocabulary::Words(*label)) {
        auto [found, added] = word_index.try_emplace(word, static_cast<uint32_t>(words_.size()));
        if (added) words_.push_back(word);
        label_words_.push_back({occupation_index, found->second, label == labels.front()});
      }
    }
  }
  std::sort(label_words_.begin(), label_words_.end());
  label_words_.erase(std::unique(label_words_.begin(), label_words_.end()), label_words_.end());
}

OccupationSuggester::WordMatch OccupationSuggester::Match(const std::string& typed,
                                                          const std::string& known) {
  WordMatch match;
  if (typed.size() >= kMinPartLength) {
    const size_t allowance = TypoAllowance(typed.size());
    const size_t edits = EditDistance(typed, known, allowance);
    const float longer = static_cast<float>(std::max(typed.size(), known.size()));
    if (edits <= allowance) match.typo = 1 - static_cast<float>(edits) / longer;
  }
  match.prefix = PartLength(typed, known, CommonPrefix(typed, known));
  match.suffix = PartLength(typed, known, CommonSuffix(typed, known));
  return match;
}

std::vector<float> OccupationSuggester::OccupationNearness(
    const std::vector<std::string>& words) const {
  std::vector<float> nearness(occupations_.size(), 0);
  std::vector<WordMatch> by_word(words_.size());
  std::vector<WordMatch> best(occupations_.size());
  for (size_t t = 0; t < words.size() && t < kMaxTypedWords; ++t) {
    const std::string& typed = words[t];
    for (size_t w = 0; w < words_.size(); ++w) by_word[w] = Match(typed, words_[w]);
    std::fill(best.begin(), best.end(), WordMatch());
    for (const auto& [occupation, word, preferred] : label_words_) {
      WordMatch& so_far = best[occupation];
      const float typo = by_word[word].typo;
      so_far.typo =
          std::max(so_far.typo, typo > 0 && preferred ? typo + kPreferredLabelBonus : typo);
      so_far.prefix = std::max(so_far.prefix, by_word[word].prefix);
      so_far.suffix = std::max(so_far.suffix, by_word[word].suffix);
    }
    const float length = static_cast<float>(typed.size());
    for (size_t o = 0; o < occupations_.size(); ++o) {
      const float covered =
          std::min(1.0f, static_cast<float>(best[o].prefix + best[o].suffix) / length);
      nearness[o] += std::max(best[o].typo, kPartWeight * covered);
    }
  }
  return nearness;
}

std::vector<OccupationSuggestion> OccupationSuggester::Suggest(
    const std::vector<std::string>& words,
    const std::function<int64_t(const std::string& esco_code)>& people, size_t limit) const {
  const std::vector<float> nearness = OccupationNearness(words);
  std::vector<Candidate> candidates;
  for (size_t o = 0; o < occupations_.size(); ++o) {
    if (nearness[o] >= kMinNearness) candidates.push_back({static_cast<uint32_t>(o), nearness[o]});
  }
  auto nearer = [&](const Candidate& a, const Candidate& b) {
    if (a.nearness != b.nearness) return a.nearness > b.nearness;
    if (a.people != b.people) return a.people > b.people;
    return occupations_[a.occupation].label < occupations_[b.occupation].label;
  };
  std::sort(candidates.begin(), candidates.end(), nearer);
  candidates.resize(std::min(candidates.size(), limit * kConsideredPerSuggestion));
  for (Candidate& candidate : candidates) {
    candidate.people = people(occupations_[candidate.occupation].esco_code);
  }
  std::sort(candidates.begin(), candidates.end(), [&](const Candidate& a, const Candidate& b) {
    if ((a.people > 0) != (b.people > 0)) return a.people > 0;
    return nearer(a, b);
  });
  std::vector<OccupationSuggestion> suggestions;
  for (size_t i = 0; i < candidates.size() && i < limit; ++i) {
    suggestions.push_back(occupations_[candidates[i].occupation]);
  }
  return suggestions;
}

}  // namespace verkenner::engine
