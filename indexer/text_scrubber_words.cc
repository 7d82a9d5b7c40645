#include "indexer/text_scrubber_words.h"

#include <optional>
#include <utility>

#include "indexer/text_scrubber_tokenizer.h"

namespace verkenner::indexer::text_scrubber_internal {

Vocabulary::Vocabulary(const std::vector<std::string>& stopword_list) {
  // Folded like the text's words, so that "één" in the list matches "Een" in a text.
  for (const std::string& word : stopword_list) {
    std::optional<std::string> normalized = Normalize(word, OnBadBytes::kSpace);
    for (Token& token : Tokenize(*normalized)) {
      if (token.is_word()) stopwords.insert(std::move(token.folded));
    }
  }
}

bool Vocabulary::MayOpenSentence(std::string_view folded) const {
  return Has(harmless, folded) || Has(openers, folded) ||
         (Has(stopwords, folded) && !Has(name_like_stopwords, folded));
}

}  // namespace verkenner::indexer::text_scrubber_internal
