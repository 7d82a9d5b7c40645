#ifndef VERKENNER_INDEXER_TEXT_SCRUBBER_TOKENIZER_H_
#define VERKENNER_INDEXER_TEXT_SCRUBBER_TOKENIZER_H_

// The text scrubber's tokenizer: normalises a text (UTF-8 checked, whitespace folded, invisible
// characters dropped) and splits it into words, spaces and punctuation, each word with its folded
// form (lower-case ASCII without diacritics for Latin letters), so that the rules
// (text_scrubber_rules.h) compare "Noëlle", "NOELLE" and "noelle" as one word. Free functions
// without state: safe from any thread.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace verkenner::indexer::text_scrubber_internal {

inline bool IsAsciiDigit(char c) { return c >= '0' && c <= '9'; }
inline bool IsAsciiLetter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

// What Normalize does with invalid UTF-8 and control characters.
enum class OnBadBytes {
  kRefuse,  // the whole text: it cannot be trusted
  kSpace,   // replace each by a space: for person words, whose readable parts must still go
};

// Checks UTF-8, folds every kind of whitespace to ' ' or '\n' and drops invisible characters.
// nullopt when the text holds invalid UTF-8 or control characters and `on_bad_bytes` refuses
// them.
std::optional<std::string> Normalize(std::string_view text, OnBadBytes on_bad_bytes);

enum class TokenKind { kWord, kSpace, kPunct };

// Why a token was removed; kNone while it is kept.
enum class Cause {
  kNone,
  kStructure,    // e-mail, URL, IBAN, number, date
  kName,         // person word, capitalised word, name after a cue
  kParticle,     // tussenvoegsel of a removed name
  kHouseNumber,  // number after a removed street
  kJoin,         // punctuation or space between two removed spans
};

struct Token {
  TokenKind kind = TokenKind::kPunct;
  size_t begin = 0;  // byte offsets into the normalised text
  size_t end = 0;
  // Words: the folded form, with apostrophes as '\''.
  std::string folded;
  // Punctuation: the character ('@' for every at-sign, '\'' for every apostrophe).
  char32_t punct = 0;
  int letters = 0;
  int digits = 0;
  bool ascii = true;         // words: only ASCII letters and digits
  bool capitalised = false;  // words: an upper-case letter or a letter of unknown case
  bool newline = false;      // spaces: holds a line break
  bool sentence_start = false;
  bool clock_time = false;  // part of a clock time, which the number rule leaves alone
  Cause cause = Cause::kNone;

  bool removed() const { return cause != Cause::kNone; }
  bool is_word() const { return kind == TokenKind::kWord; }
  bool is_space() const { return kind == TokenKind::kSpace; }
  bool is_punct(char32_t c) const { return kind == TokenKind::kPunct && punct == c; }
  bool plain_number() const { return is_word() && letters == 0 && digits > 0 && ascii; }
  size_t size() const { return end - begin; }
};

// Splits normalised text into words (letters, digits and marks, with apostrophes inside or
// opening them), runs of whitespace, and single punctuation characters.
std::vector<Token> Tokenize(std::string_view text);

// Marks the words that open a sentence: the first word, and those after a sentence's end
// ('.', '!', '?', '…') or a line break.
void MarkSentenceStarts(std::vector<Token>* tokens);

}  // namespace verkenner::indexer::text_scrubber_internal

#endif  // VERKENNER_INDEXER_TEXT_SCRUBBER_TOKENIZER_H_
