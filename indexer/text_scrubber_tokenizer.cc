#include "indexer/text_scrubber_tokenizer.h"

#include <utility>

#include "base/utf8.h"

namespace verkenner::indexer::text_scrubber_internal {
namespace {

struct Range {
  char32_t first;
  char32_t last;
};

template <size_t N>
bool InRanges(char32_t c, const Range (&ranges)[N]) {
  for (const Range& range : ranges) {
    if (c >= range.first && c <= range.last) return true;
  }
  return false;
}

// Spaces other than ASCII ones; they become a plain space.
constexpr Range kUnicodeSpaces[] = {{0x00A0, 0x00A0}, {0x1680, 0x1680}, {0x2000, 0x200A},
                                    {0x202F, 0x202F}, {0x205F, 0x205F}, {0x3000, 0x3000}};

// Invisible characters (soft hyphen, zero-width spaces and joiners, direction marks and
// overrides, variation selectors, byte-order mark). Dropped before anything else, so that
// "06<zero-width space>12345678" is still a phone number and nothing reorders what is shown.
constexpr Range kInvisible[] = {
    {0x00AD, 0x00AD}, {0x061C, 0x061C}, {0x180E, 0x180E}, {0x200B, 0x200F}, {0x202A, 0x202E},
    {0x2060, 0x2064}, {0x2066, 0x206F}, {0xFE00, 0xFE0F}, {0xFEFF, 0xFEFF}, {0xE0000, 0xE007F}};

// Digits other than ASCII ones (other scripts, fullwidth, super- and subscript, circled and
// mathematical digits, number forms): they carry a phone number as well as ASCII digits do.
constexpr Range kOtherDigits[] = {
    {0x00B2, 0x00B3},  {0x00B9, 0x00B9}, {0x0660, 0x0669}, {0x06F0, 0x06F9},   {0x07C0, 0x07C9},
    {0x0966, 0x096F},  {0x09E6, 0x09EF}, {0x0A66, 0x0A6F}, {0x0AE6, 0x0AEF},   {0x0B66, 0x0B6F},
    {0x0BE6, 0x0BEF},  {0x0C66, 0x0C6F}, {0x0CE6, 0x0CEF}, {0x0D66, 0x0D6F},   {0x0DE6, 0x0DEF},
    {0x0E50, 0x0E59},  {0x0ED0, 0x0ED9}, {0x0F20, 0x0F29}, {0x1040, 0x1049},   {0x1090, 0x1099},
    {0x17E0, 0x17E9},  {0x1810, 0x1819}, {0x1946, 0x194F}, {0x19D0, 0x19D9},   {0x1A80, 0x1A99},
    {0x1B50, 0x1B59},  {0x1BB0, 0x1BB9}, {0x1C40, 0x1C49}, {0x1C50, 0x1C59},   {0x2070, 0x2079},
    {0x2080, 0x2089},  {0x2150, 0x2189}, {0x2460, 0x24FF}, {0x2776, 0x2793},   {0x3007, 0x3007},
    {0x3021, 0x3029},  {0xA620, 0xA629}, {0xA8D0, 0xA8D9}, {0xA900, 0xA909},   {0xA9D0, 0xA9D9},
    {0xAA50, 0xAA59},  {0xABF0, 0xABF9}, {0xFF10, 0xFF19}, {0x104A0, 0x104A9}, {0x1D7CE, 0x1D7FF},
    {0x1F100, 0x1F10C}};

// Combining marks: part of the letter before them ("e" + U+0308 is "ë").
constexpr Range kMarks[] = {
    {0x0300, 0x036F}, {0x1AB0, 0x1AFF}, {0x1DC0, 0x1DFF}, {0x20D0, 0x20FF}, {0xFE20, 0xFE2F}};

// Punctuation and symbols outside ASCII: Latin-1 signs, spacing accents, general punctuation,
// currency, arrows, mathematical and technical signs, CJK and fullwidth punctuation, emoji.
constexpr Range kOtherPunctuation[] = {
    {0x0080, 0x00BF}, {0x00D7, 0x00D7}, {0x00F7, 0x00F7}, {0x02B0, 0x02FF},  {0x2000, 0x2BFF},
    {0x2E00, 0x2E7F}, {0x3000, 0x303F}, {0xFE10, 0xFE6F}, {0xFF01, 0xFF0F},  {0xFF1A, 0xFF20},
    {0xFF3B, 0xFF40}, {0xFF5B, 0xFF65}, {0xFFF9, 0xFFFD}, {0x1F000, 0x1FAFF}};

enum class CharKind { kSpace, kNewline, kLetter, kMark, kDigit, kApostrophe, kAt, kPunct };

CharKind Classify(char32_t c) {
  if (c == ' ') return CharKind::kSpace;
  if (c == '\n') return CharKind::kNewline;
  if (c < 0x80) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return CharKind::kLetter;
    if (c >= '0' && c <= '9') return CharKind::kDigit;
    if (c == '\'' || c == '`') return CharKind::kApostrophe;
    if (c == '@') return CharKind::kAt;
    return CharKind::kPunct;
  }
  if (c == 0x2019 || c == 0x2018 || c == 0x02BC || c == 0x00B4) return CharKind::kApostrophe;
  if (c == 0xFF20 || c == 0xFE6B) return CharKind::kAt;
  if (InRanges(c, kOtherDigits)) return CharKind::kDigit;
  if (InRanges(c, kMarks)) return CharKind::kMark;
  if (InRanges(c, kOtherPunctuation)) return CharKind::kPunct;
  // Letters of every script, and private-use characters: treated as letters of unknown case,
  // which the name rule removes.
  return CharKind::kLetter;
}

// Lower-case base letters of U+00C0..U+00FF; empty for the two signs among them (× and ÷).
constexpr std::string_view kLatin1Fold[64] = {
    "a", "a", "a", "a", "a", "a", "ae", "c", "e", "e", "e", "e", "i", "i", "i",  "i",
    "d", "n", "o", "o", "o", "o", "o",  "",  "o", "u", "u", "u", "u", "y", "th", "ss",
    "a", "a", "a", "a", "a", "a", "ae", "c", "e", "e", "e", "e", "i", "i", "i",  "i",
    "d", "n", "o", "o", "o", "o", "o",  "",  "o", "u", "u", "u", "u", "y", "th", "y"};

// Base letters of U+0100..U+017F (Latin Extended-A); '1' stands for "ij", '2' for "oe".
constexpr std::string_view kLatinExtendedAFold =
    "aaaaaacccccccc"
    "dddd"
    "eeeeeeeeee"
    "gggggggg"
    "hhhh"
    "iiiiiiiiii"
    "11"
    "jj"
    "kkk"
    "llllllllll"
    "nnnnnnnnn"
    "oooooo"
    "22"
    "rrrrrr"
    "ssssssss"
    "tttttt"
    "uuuuuuuuuuuu"
    "ww"
    "yyy"
    "zzzzzz"
    "s";
static_assert(kLatinExtendedAFold.size() == 0x80);

// Whether a Latin Extended-A letter is upper-case: the block alternates upper and lower, with
// the phase shifting at U+0138 (ĸ), U+0149 (ŉ) and U+0178 (Ÿ).
bool IsUpperLatinExtendedA(char32_t c) {
  if (c <= 0x137) return c % 2 == 0;
  if (c == 0x138) return false;
  if (c <= 0x148) return c % 2 == 1;
  if (c == 0x149) return false;
  if (c <= 0x177) return c % 2 == 0;
  if (c == 0x178) return true;
  if (c <= 0x17E) return c % 2 == 1;
  return false;
}

enum class LetterCase { kLower, kUpper, kUnknown };

// Appends the folded form of the letter `c` (lower-case ASCII without diacritics for Latin
// letters, so that "Noëlle", "NOELLE" and "noelle" compare equal) and returns its case. Letters
// of other scripts are appended as they are, with unknown case.
LetterCase FoldLetter(char32_t c, std::string* folded) {
  if (c < 0x80) {
    bool upper = c >= 'A' && c <= 'Z';
    folded->push_back(static_cast<char>(upper ? c - 'A' + 'a' : c));
    return upper ? LetterCase::kUpper : LetterCase::kLower;
  }
  if (c >= 0xC0 && c <= 0xFF) {
    folded->append(kLatin1Fold[c - 0xC0]);
    return c < 0xDF ? LetterCase::kUpper : LetterCase::kLower;
  }
  if (c >= 0x100 && c <= 0x17F) {
    const char letter = kLatinExtendedAFold[c - 0x100];
    folded->append(letter == '1'   ? std::string_view("ij")
                   : letter == '2' ? std::string_view("oe")
                                   : std::string_view(&letter, 1));
    return IsUpperLatinExtendedA(c) ? LetterCase::kUpper : LetterCase::kLower;
  }
  if (c >= 0x218 && c <= 0x21B) {  // Romanian Ș ș Ț ț
    folded->push_back(c < 0x21A ? 's' : 't');
    return c % 2 == 0 ? LetterCase::kUpper : LetterCase::kLower;
  }
  base::AppendUtf8(c, folded);
  return LetterCase::kUnknown;
}

// The code point at text[pos] and its class, without advancing; kSpace at the end of the text.
CharKind PeekKind(std::string_view text, size_t pos, char32_t* c = nullptr) {
  if (pos >= text.size()) return CharKind::kSpace;
  char32_t code;
  base::DecodeUtf8(text, &pos, &code);  // the text was validated by Normalize
  if (c != nullptr) *c = code;
  return Classify(code);
}

size_t NextPos(std::string_view text, size_t pos) {
  char32_t c;
  base::DecodeUtf8(text, &pos, &c);
  return pos;
}

bool IsWordChar(CharKind kind) {
  return kind == CharKind::kLetter || kind == CharKind::kMark || kind == CharKind::kDigit;
}

// Whether an apostrophe at `pos` (not inside a word) opens one: "'s", "'t", "'n", "'r" before a
// non-letter ("'s-Hertogenbosch", "'t Harde") or two digits ("'90").
bool ApostropheOpensWord(std::string_view text, size_t pos) {
  size_t after = NextPos(text, pos);
  char32_t c;
  CharKind kind = PeekKind(text, after, &c);
  if (kind == CharKind::kLetter) {
    if (c != 's' && c != 't' && c != 'n' && c != 'r') return false;
    return !IsWordChar(PeekKind(text, NextPos(text, after)));
  }
  if (kind == CharKind::kDigit && c < 0x80) {
    size_t second = NextPos(text, after);
    char32_t d;
    return PeekKind(text, second, &d) == CharKind::kDigit && d < 0x80 &&
           !IsWordChar(PeekKind(text, NextPos(text, second)));
  }
  return false;
}

void AddToWord(char32_t c, CharKind kind, Token* token) {
  switch (kind) {
    case CharKind::kLetter: {
      ++token->letters;
      if (c >= 0x80) token->ascii = false;
      LetterCase letter_case = FoldLetter(c, &token->folded);
      if (letter_case != LetterCase::kLower) token->capitalised = true;
      break;
    }
    case CharKind::kMark:
      token->ascii = false;
      break;
    case CharKind::kDigit:
      ++token->digits;
      if (c >= 0x80) token->ascii = false;
      base::AppendUtf8(c, &token->folded);
      break;
    case CharKind::kApostrophe:
      token->folded.push_back('\'');
      break;
    default:
      break;
  }
}

bool EndsSentence(char32_t c) { return c == '.' || c == '!' || c == '?' || c == 0x2026; }

}  // namespace

std::optional<std::string> Normalize(std::string_view text, OnBadBytes on_bad_bytes) {
  std::string out;
  out.reserve(text.size());
  size_t pos = 0;
  while (pos < text.size()) {
    size_t start = pos;
    char32_t c;
    bool valid = base::DecodeUtf8(text, &pos, &c);
    if (!valid || (c < 0x20 && c != '\n' && c != '\r' && c != '\t' && c != '\v' && c != '\f') ||
        (c >= 0x7F && c < 0xA0 && c != 0x85)) {
      if (on_bad_bytes == OnBadBytes::kRefuse) return std::nullopt;
      if (!valid) pos = start + 1;
      out.push_back(' ');
    } else if (c == '\n' || c == '\r' || c == 0x2028 || c == 0x2029 || c == 0x85) {
      out.push_back('\n');
    } else if (c == '\t' || c == '\v' || c == '\f' || InRanges(c, kUnicodeSpaces)) {
      out.push_back(' ');
    } else if (!InRanges(c, kInvisible)) {
      out.append(text.substr(start, pos - start));
    }
  }
  return out;
}

std::vector<Token> Tokenize(std::string_view text) {
  std::vector<Token> tokens;
  tokens.reserve(text.size() / 3 + 4);
  size_t pos = 0;
  while (pos < text.size()) {
    Token token;
    token.begin = pos;
    char32_t c;
    CharKind kind = PeekKind(text, pos, &c);
    pos = NextPos(text, pos);
    if (kind == CharKind::kSpace || kind == CharKind::kNewline) {
      token.kind = TokenKind::kSpace;
      token.newline = kind == CharKind::kNewline;
      while (pos < text.size()) {
        CharKind next = PeekKind(text, pos);
        if (next != CharKind::kSpace && next != CharKind::kNewline) break;
        token.newline = token.newline || next == CharKind::kNewline;
        pos = NextPos(text, pos);
      }
    } else if (IsWordChar(kind) ||
               (kind == CharKind::kApostrophe && ApostropheOpensWord(text, token.begin))) {
      token.kind = TokenKind::kWord;
      AddToWord(c, kind, &token);
      while (pos < text.size()) {
        char32_t next;
        CharKind next_kind = PeekKind(text, pos, &next);
        if (IsWordChar(next_kind)) {
          AddToWord(next, next_kind, &token);
          pos = NextPos(text, pos);
        } else if (next_kind == CharKind::kApostrophe &&
                   IsWordChar(PeekKind(text, NextPos(text, pos)))) {
          AddToWord(next, next_kind, &token);
          pos = NextPos(text, pos);
        } else {
          break;
        }
      }
    } else {
      token.kind = TokenKind::kPunct;
      token.punct = kind == CharKind::kAt ? U'@' : kind == CharKind::kApostrophe ? U'\'' : c;
    }
    token.end = pos;
    tokens.push_back(std::move(token));
  }
  return tokens;
}

void MarkSentenceStarts(std::vector<Token>* tokens) {
  bool start = true;
  for (Token& token : *tokens) {
    switch (token.kind) {
      case TokenKind::kWord:
        token.sentence_start = start;
        start = false;
        break;
      case TokenKind::kSpace:
        if (token.newline) start = true;
        break;
      case TokenKind::kPunct:
        if (EndsSentence(token.punct)) {
          start = true;
        } else if (token.punct == ',' || token.punct == ';' || token.punct == ':') {
          start = false;
        }
        break;
    }
  }
}

}  // namespace verkenner::indexer::text_scrubber_internal
