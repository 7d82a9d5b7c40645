#ifndef VERKENNER_INDEXER_TEXT_SCRUBBER_RULES_H_
#define VERKENNER_INDEXER_TEXT_SCRUBBER_RULES_H_

// The text scrubber's rules: what TextScrubber (text_scrubber.h) removes, one method a rule, on
// the tokens of text_scrubber_tokenizer.h and the word lists of text_scrubber_words.h.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "indexer/text_scrubber.h"
#include "indexer/text_scrubber_tokenizer.h"
#include "indexer/text_scrubber_words.h"

namespace verkenner::indexer::text_scrubber_internal {

// One text being scrubbed: its tokens, what has been removed, and the person's words. Lives for
// one Scrub() call on one thread.
class Scrubbing {
 public:
  Scrubbing(const Vocabulary& vocabulary, std::string text)
      : vocabulary_(vocabulary), text_(std::move(text)), tokens_(Tokenize(text_)) {
    MarkSentenceStarts(&tokens_);
  }

  void SetPersonWords(const ScrubContext& context);

  // The rules, in the order Scrub() applies them: structures before words, so that the word
  // rules see neither the letters of an e-mail address nor the digits of a phone number.
  void RemoveEmailsAndUrls();
  void RemoveIbans();
  void ProtectClockTimes();
  void RemoveWrittenDates();
  void RemoveNumbers();
  void RemovePersonPhrases();
  void RemoveNames();
  void RemoveNamesAfterCues();
  void RemoveHouseNumbers();
  void RemoveSurnamePrefixes();
  void JoinRemovedSpans();

  std::optional<std::string> Result() const;

 private:
  size_t size() const { return tokens_.size(); }
  bool IsWordAt(size_t i) const { return i < size() && tokens_[i].is_word(); }
  // A space within a line.
  bool IsInlineSpaceAt(size_t i) const {
    return i < size() && tokens_[i].is_space() && !tokens_[i].newline;
  }
  std::string_view TextOf(size_t begin, size_t end) const {
    return std::string_view(text_).substr(tokens_[begin].begin,
                                          tokens_[end - 1].end - tokens_[begin].begin);
  }

  // Removes tokens [begin, end) as one removed word, if any word among them was still kept.
  void RemoveSpan(size_t begin, size_t end, Cause cause);
  // Removes each word of [begin, end) as a removed word of its own.
  void RemoveWords(size_t begin, size_t end, Cause cause);

  bool IsPersonWord(std::string_view folded) const;
  bool IsStopword(std::string_view folded) const { return Has(vocabulary_.stopwords, folded); }
  // The index of the previous word, skipping spaces only; size() if none.
  size_t PreviousWord(size_t i) const;
  // Index just past a clock time starting at `i` ("9:00", "17.30"), or 0. `second_of_range`: `i`
  // follows the dash of a range, so the digits before the dash are the first time, not a reason
  // to see a longer number.
  size_t MatchClockTime(size_t i, bool second_of_range, bool* with_dot) const;
  bool FollowedByUnit(size_t end) const;
  // Index just past a house number starting at `i` ("12", "12a", "12-2", "221 bis"), or 0.
  size_t MatchHouseNumber(size_t i) const;
  bool IsLicenceCategory(size_t i) const;

  // RemoveEmailsAndUrls works on blobs: maximal runs of tokens between spaces; `begin` and `end`
  // leave out the punctuation around them, `raw_begin` and `raw_end` do not.
  struct Blob {
    size_t raw_begin;
    size_t raw_end;
    size_t begin;
    size_t end;
  };
  std::vector<Blob> SplitIntoBlobs() const;
  std::string RawLower(const Blob& blob) const;
  bool IsHiddenAtSign(const Blob& blob) const;
  // Removes "noelle (at) gmail punt com" around the hidden at-sign of blobs[b]; returns the index
  // of the last blob removed.
  size_t RemoveHiddenEmail(const std::vector<Blob>& blobs, size_t b);
  bool IsUrl(const Blob& blob) const;

  // RemoveNumbers works on runs of digit groups ("06 12 34 56 78", "+31 (0)6-1234").
  struct NumberRun {
    size_t last;  // the run's last group
    int digits;
    int groups;
    bool dash;  // a dash between two groups
  };
  bool IsDigitGroup(size_t i) const;
  bool IsNumberSeparator(size_t i) const;
  NumberRun MatchNumberRun(size_t first) const;
  // Whether a run is a range of two small quantities: "20-30 uur", "3 - 4 dagen".
  bool IsQuantityRange(size_t first, const NumberRun& run) const;
  // Widens [*begin, *end) to a '+' or '(' before it and the ')' that closes an open bracket.
  void WidenToPhonePunctuation(size_t* begin, size_t* end) const;
  // `end`, or the index past the two letters of a PC6 after the four digits at `last`.
  size_t EndOfPostcode(size_t last, size_t end) const;

  const Vocabulary& vocabulary_;
  std::string text_;
  std::vector<Token> tokens_;
  std::vector<std::string> person_words_;
  std::vector<std::vector<std::string>> person_phrases_;
  int removed_words_ = 0;
};

}  // namespace verkenner::indexer::text_scrubber_internal

#endif  // VERKENNER_INDEXER_TEXT_SCRUBBER_RULES_H_
