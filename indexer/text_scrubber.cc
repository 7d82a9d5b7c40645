#include "indexer/text_scrubber.h"

// The public contract. The scrubber's parts: its word lists (text_scrubber_words.h), its tokenizer
// (text_scrubber_tokenizer.h) and its rules (text_scrubber_rules.h).

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "indexer/text_scrubber_rules.h"
#include "indexer/text_scrubber_tokenizer.h"
#include "indexer/text_scrubber_words.h"

namespace verkenner::indexer {

using text_scrubber_internal::Normalize;
using text_scrubber_internal::OnBadBytes;
using text_scrubber_internal::Scrubbing;
using text_scrubber_internal::Vocabulary;

ScrubContext ScrubContextFor(const v1::SourceProfile& profile) {
  ScrubContext context;
  auto add = [&](std::string value) {
    if (!value.empty()) context.person_words.push_back(std::move(value));
  };
  add(profile.first_name());
  add(profile.last_name());
  if (!profile.name_prefix().empty() && !profile.last_name().empty()) {
    add(profile.name_prefix() + " " + profile.last_name());
  }
  add(profile.street());
  add(profile.city());
  return context;
}

TextScrubber::TextScrubber(const std::vector<std::string>& stopwords)
    : vocabulary_(std::make_shared<const Vocabulary>(stopwords)) {}

std::optional<std::string> TextScrubber::Scrub(std::string_view text,
                                               const ScrubContext& context) const {
  if (text.size() > kMaxTextBytes) return std::nullopt;
  std::optional<std::string> normalized = Normalize(text, OnBadBytes::kRefuse);
  if (!normalized) return std::nullopt;
  Scrubbing scrubbing(*vocabulary_, *std::move(normalized));
  scrubbing.SetPersonWords(context);
  // Structures before words, so that the word rules see neither the letters of an e-mail address
  // nor the digits of a phone number; joining last, over what every rule removed.
  scrubbing.RemoveEmailsAndUrls();
  scrubbing.RemoveIbans();
  scrubbing.ProtectClockTimes();
  scrubbing.RemoveWrittenDates();
  scrubbing.RemoveNumbers();
  scrubbing.RemovePersonPhrases();
  scrubbing.RemoveNames();
  scrubbing.RemoveNamesAfterCues();
  scrubbing.RemoveHouseNumbers();
  scrubbing.RemoveSurnamePrefixes();
  scrubbing.JoinRemovedSpans();
  return scrubbing.Result();
}

}  // namespace verkenner::indexer
