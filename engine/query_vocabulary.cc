#include "engine/query_vocabulary.h"

#include <algorithm>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/str_join.h"
#include "engine/edit_distance.h"

namespace verkenner::engine {
namespace {

constexpr size_t kMinSpellingWordLength = 4;
constexpr size_t kMaxWordLength = 40;

}  // namespace

std::vector<std::string> QueryVocabulary::Words(const std::string& text) {
  std::vector<std::string> words;
  std::string word;
  auto flush = [&]() {
    while (!word.empty() && word.back() == '-') word.pop_back();
    if (!word.empty() && word.size() <= kMaxWordLength) words.push_back(word);
    word.clear();
  };
  for (char c : text) {
    const unsigned char u = static_cast<unsigned char>(c);
    if (absl::ascii_isalnum(u) || u >= 0x80) {
      word.push_back(absl::ascii_tolower(u));
    } else if (c == '-' && !word.empty()) {
      word.push_back('-');
    } else {
      flush();
    }
  }
  flush();
  return words;
}

QueryVocabulary::QueryVocabulary(const ReferenceData& reference) {
  std::set<std::string> spelling_words;
  for (const OccupationInfo& occupation : reference.occupations()) {
    std::vector<const std::string*> labels = {&occupation.label};
    for (const std::string& alt : occupation.alt_labels) labels.push_back(&alt);
    for (const std::string* label : labels) {
      std::vector<std::string> words = Words(*label);
      if (words.empty()) continue;
      longest_label_words_ = std::max(longest_label_words_, words.size());
      std::vector<std::string>& codes = codes_by_label_[absl::StrJoin(words, " ")];
      if (std::find(codes.begin(), codes.end(), occupation.esco_code) == codes.end()) {
        codes.push_back(occupation.esco_code);
      }
      for (const std::string& word : words) {
        if (word.size() >= kMinSpellingWordLength && word.find('-') == std::string::npos) {
          spelling_words.insert(word);
        }
      }
    }
  }
  words_by_length_.resize(kMaxWordLength + 1);
  for (const std::string& word : spelling_words) words_by_length_[word.size()].push_back(word);
}

std::vector<std::string> QueryVocabulary::OccupationsNamedIn(const std::string& text,
                                                             size_t limit) const {
  std::vector<std::string> codes;
  const std::vector<std::string> words = Words(text);
  for (size_t start = 0; start < words.size() && codes.size() < limit; ++start) {
    const size_t longest = std::min(longest_label_words_, words.size() - start);
    for (size_t length = longest; length >= 1; --length) {
      std::vector<std::string> span(words.begin() + static_cast<ptrdiff_t>(start),
                                    words.begin() + static_cast<ptrdiff_t>(start + length));
      auto found = codes_by_label_.find(absl::StrJoin(span, " "));
      if (found == codes_by_label_.end()) continue;
      for (const std::string& code : found->second) {
        if (codes.size() < limit && std::find(codes.begin(), codes.end(), code) == codes.end()) {
          codes.push_back(code);
        }
      }
      break;
    }
  }
  return codes;
}

std::string QueryVocabulary::SuggestSpelling(
    const std::string& text, const std::function<bool(const std::string&)>& known,
    const std::function<int64_t(const std::string&)>& frequency) const {
  std::vector<std::string> words = Words(text);
  bool changed = false;
  for (std::string& word : words) {
    if (word.size() < kMinSpellingWordLength || word.find('-') != std::string::npos ||
        known(word)) {
      continue;
    }
    const size_t limit = TypoAllowance(word.size());
    std::string best;
    size_t best_distance = limit + 1;
    int64_t best_frequency = 0;
    for (size_t length = word.size() - std::min(word.size(), limit);
         length <= std::min(kMaxWordLength, word.size() + limit); ++length) {
      for (const std::string& candidate : words_by_length_[length]) {
        const size_t distance = EditDistance(word, candidate, limit);
        if (distance > limit || distance > best_distance) continue;
        if (!known(candidate)) continue;
        const int64_t candidate_frequency = frequency(candidate);
        if (distance < best_distance || candidate_frequency > best_frequency) {
          best = candidate;
          best_distance = distance;
          best_frequency = candidate_frequency;
        }
      }
    }
    if (!best.empty()) {
      word = best;
      changed = true;
    }
  }
  return changed ? absl::StrJoin(words, " ") : "";
}

}  // namespace verkenner::engine
