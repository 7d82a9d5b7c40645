#include "indexer/text_scrubber.h"

#include <algorithm>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_set>
#include <utility>
#include <vector>

namespace verkenner::indexer {
namespace text_scrubber_internal {

struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};
using WordSet = std::unordered_set<std::string, StringHash, std::equal_to<>>;

}  // namespace text_scrubber_internal

namespace {

using text_scrubber_internal::WordSet;

// The word lists hold folded words: lower-case ASCII without diacritics (see FoldLetter).

// Capitalised words that may stand anywhere: they name no person, place or employer.
constexpr std::string_view kHarmlessCapitalised[] = {
    // The pronouns ("Kunt U mij bellen"), and the word (not the number) "BSN".
    "ik", "u", "bsn",
    // Days and months. Not "jan": as often a name as an abbreviation of januari.
    "maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag", "zondag", "ma", "di",
    "wo", "do", "vr", "za", "zo", "januari", "februari", "maart", "april", "mei", "juni", "juli",
    "augustus", "september", "oktober", "november", "december", "feb", "mrt", "apr", "jun", "jul",
    "aug", "sep", "sept", "okt", "nov", "dec",
    // Languages (a profile field of its own), not nationalities.
    "nederlands", "nederlandse", "nederland", "engels", "engelse", "duits", "frans", "spaans",
    "italiaans", "portugees", "pools", "turks", "arabisch", "berbers", "tamazight", "koerdisch",
    "perzisch", "farsi", "dari", "pasjtoe", "somalisch", "tigrinya", "amhaars", "oekraiens",
    "russisch", "roemeens", "bulgaars", "hongaars", "grieks", "chinees", "japans", "hindi", "urdu",
    "papiaments", "sranantongo", "fries", "ngt",
    // Schools, certificates, language levels, schemes and tools people name in their wishes.
    "mbo", "vmbo", "havo", "vwo", "hbo", "pro", "vso", "bbl", "bol", "vca", "vol-vca", "bhv",
    "ehbo", "haccp", "nt2", "svh", "ict", "it", "a1", "a2", "b1", "b2", "c1", "c2", "wsw", "uwv",
    "wsp", "wajong", "wia", "ww", "ov", "cv", "pc", "tv", "ok", "wifi", "word", "excel", "outlook",
    "powerpoint", "office", "windows", "whatsapp", "sms", "e-mail", "email"};

// Common words that open sentences in wishes texts and are no stop words. Kept only at the start
// of a sentence, where every word has a capital; no name among them.
constexpr std::string_view kSentenceOpeners[] = {
    "graag",          "liefst",     "bel",         "bellen",       "mail",
    "mailen",         "stuur",      "app",         "appen",        "sms",
    "e-mail",         "email",      "contact",     "telefoon",     "tel",
    "telefoonnummer", "mobiel",     "adres",       "postcode",     "geboren",
    "groet",          "groeten",    "groetjes",    "hallo",        "hoi",
    "beste",          "geachte",    "dank",        "bedankt",      "werken",
    "werk",           "ochtenden",  "middagen",    "avonden",      "weekenden",
    "nachten",        "dagen",      "fulltime",    "parttime",     "voltijd",
    "deeltijd",       "ervaring",   "interesse",   "voorkeur",     "helaas",
    "hopelijk",       "momenteel",  "vroeger",     "soms",         "natuurlijk",
    "uiteraard",      "wellicht",   "eventueel",   "bijvoorbeeld", "voornamelijk",
    "daarnaast",      "daarbij",    "daarvoor",    "hierbij",      "hiervoor",
    "kortom",         "tevens",     "zowel",       "indien",       "doordat",
    "fijn",           "prettig",    "belangrijk",  "rustig",       "rustige",
    "vaste",          "duidelijke", "structuur",   "begeleiding",  "ondersteuning",
    "hulp",           "jobcoach",   "vervoer",     "reizen",       "fietsen",
    "lopen",          "tillen",     "staan",       "zitten",       "thuis",
    "dichtbij",       "vlakbij",    "omgeving",    "regio",        "maximaal",
    "minimaal",       "minstens",   "hooguit",     "circa",        "ca",
    "rijbewijs",      "diploma",    "certificaat", "opleiding",    "cursus",
    "stage",          "school",     "straks",      "binnenkort",   "goed",
    "beschikbaar",    "bereikbaar", "mensen",      "klanten",      "collega's",
    "dieren",         "kinderen",   "ouderen",     "buitenwerk",   "binnenwerk",
    "schoonmaken",    "koken",      "let",         "zie",          "kijk",
    "vind",           "houd",       "hou",         "help",         "leuk"};

// Stop words that are also first names; at a sentence start they are more likely the name.
constexpr std::string_view kNameLikeStopwords[] = {"ben", "wil", "door"};

// Words that may join the parts of one name ("Jan van der Berg", "Maria de la Cruz").
constexpr std::string_view kNameParticles[] = {"van", "von", "de",  "der", "den", "het", "'t",
                                               "te",  "ter", "ten", "la",  "le",  "du",  "da",
                                               "dos", "del", "zu",  "d'",  "l'",  "vd"};

// Tussenvoegsels that only ever precede a surname, so they go with a removed name that follows
// them. Not "van", "de" or "in de": in "de buurt van […]" they are ordinary words.
constexpr std::string_view kSurnamePrefixes[] = {
    "van der", "van den", "van 't", "de la", "de le", "der", "den", "ter", "ten",
    "'t",      "von",     "zu",     "la",    "le",    "du",  "da",  "dos", "del"};

// Words after which the next word is a name whatever its case ("mijn naam is jan", "groetjes,
// noëlle", "meneer jansen").
constexpr std::string_view kNameCues[] = {"heet", "naam", "groet",  "groeten", "groetjes", "gr",
                                          "mvg",  "mvgr", "meneer", "heer",    "mevrouw",  "mevr",
                                          "dhr",  "mw",   "mr",     "mej"};

// Units after a number that make it a quantity rather than a house number or part of an
// identifier ("Jumbo 3 jaar", "20-30 uur").
constexpr std::string_view kUnits[] = {
    "uur",  "uren",  "u",         "dag",        "dagen", "dagdeel", "dagdelen",
    "week", "weken", "maand",     "maanden",    "jaar",  "jaren",   "keer",
    "x",    "km",    "kilometer", "kilometers", "min",   "minuten", "kwartier",
    "euro", "eur",   "procent",   "kg",         "kilo",  "per"};

constexpr std::string_view kMonths[] = {
    "januari",   "februari", "maart",    "april",    "mei",  "juni", "juli", "augustus",
    "september", "oktober",  "november", "december", "jan",  "feb",  "mrt",  "apr",
    "jun",       "jul",      "aug",      "sep",      "sept", "okt",  "nov",  "dec"};

// Words before a clock time written with a dot ("om 9.30", "tot 17.00").
constexpr std::string_view kTimePrepositions[] = {"om",   "van",    "vanaf", "tot",  "na",
                                                  "voor", "tussen", "en",    "rond", "omstreeks"};

// Endings of Dutch street names, for a lower-case street followed by a house number.
constexpr std::string_view kStreetEndings[] = {
    "straat", "laan",  "weg",  "gracht", "singel", "plein",     "kade",      "dreef",
    "steeg",  "dijk",  "pad",  "park",   "baan",   "wal",       "markt",     "ring",
    "dam",    "haven", "hof",  "erf",    "lei",    "plantsoen", "boulevard", "allee",
    "kanaal", "vaart", "oord", "poort",  "brink"};

// Short words after a house number that belong to it ("12 hs", "221 bis").
constexpr std::string_view kHouseNumberAdditions[] = {"hs", "bis",  "bg",    "zw",
                                                      "rd", "huis", "boven", "beneden"};

constexpr std::string_view kTopLevelDomains[] = {
    "nl",    "com",  "org",  "net",       "eu",   "be",   "de",  "info",   "nu",
    "io",    "me",   "tv",   "co",        "uk",   "biz",  "app", "online", "shop",
    "frl",   "site", "xyz",  "fr",        "es",   "it",   "ly",  "gl",     "to",
    "email", "page", "link", "amsterdam", "blog", "club", "int", "gov",    "edu"};

// Spellings of '@' that people use to hide an e-mail address from robots.
constexpr std::string_view kHiddenAtSigns[] = {
    "(at)", "[at]", "{at}", "<at>", "(a)", "[a]", "apenstaartje", "apestaartje", "(apenstaartje)"};
constexpr std::string_view kHiddenDots[] = {"punt",  "dot",   "(punt)", "[punt]",
                                            "(dot)", "[dot]", "."};

// Endings that still name the person or place of the stem: possessives and adjectives.
constexpr std::string_view kNameEndings[] = {"'s", "'", "s", "se", "er", "ers", "sche", "s'"};

template <size_t N>
WordSet MakeSet(const std::string_view (&words)[N]) {
  WordSet set;
  for (std::string_view word : words) set.emplace(word);
  return set;
}

bool IsAsciiDigit(char c) { return c >= '0' && c <= '9'; }
bool IsAsciiLetter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

bool Has(const WordSet& set, std::string_view word) { return set.find(word) != set.end(); }

template <size_t N>
bool IsOneOf(std::string_view word, const std::string_view (&words)[N]) {
  return std::find(std::begin(words), std::end(words), word) != std::end(words);
}

// Decodes the code point at text[*pos] and moves *pos past it. Strict: overlong forms,
// surrogates, code points above U+10FFFF and cut-off sequences are errors.
bool DecodeUtf8(std::string_view text, size_t* pos, char32_t* out) {
  size_t i = *pos;
  auto lead = static_cast<unsigned char>(text[i]);
  if (lead < 0x80) {
    *out = lead;
    *pos = i + 1;
    return true;
  }
  size_t length;
  char32_t c;
  char32_t smallest;
  if ((lead & 0xE0) == 0xC0) {
    length = 2;
    c = lead & 0x1F;
    smallest = 0x80;
  } else if ((lead & 0xF0) == 0xE0) {
    length = 3;
    c = lead & 0x0F;
    smallest = 0x800;
  } else if ((lead & 0xF8) == 0xF0) {
    length = 4;
    c = lead & 0x07;
    smallest = 0x10000;
  } else {
    return false;
  }
  if (text.size() - i < length) return false;
  for (size_t k = 1; k < length; ++k) {
    auto next = static_cast<unsigned char>(text[i + k]);
    if ((next & 0xC0) != 0x80) return false;
    c = (c << 6) | (next & 0x3F);
  }
  if (c < smallest || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) return false;
  *out = c;
  *pos = i + length;
  return true;
}

void AppendUtf8(char32_t c, std::string* out) {
  if (c < 0x80) {
    out->push_back(static_cast<char>(c));
  } else if (c < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (c >> 6)));
    out->push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else if (c < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (c >> 12)));
    out->push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (c >> 18)));
    out->push_back(static_cast<char>(0x80 | ((c >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (c & 0x3F)));
  }
}

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
    char base = kLatinExtendedAFold[c - 0x100];
    if (base == '1') {
      folded->append("ij");
    } else if (base == '2') {
      folded->append("oe");
    } else {
      folded->push_back(base);
    }
    return IsUpperLatinExtendedA(c) ? LetterCase::kUpper : LetterCase::kLower;
  }
  if (c >= 0x218 && c <= 0x21B) {  // Romanian Ș ș Ț ț
    folded->push_back(c < 0x21A ? 's' : 't');
    return c % 2 == 0 ? LetterCase::kUpper : LetterCase::kLower;
  }
  AppendUtf8(c, folded);
  return LetterCase::kUnknown;
}

// What Normalize does with invalid UTF-8 and control characters.
enum class OnBadBytes {
  kRefuse,  // the whole text: it cannot be trusted
  kSpace,   // replace each by a space: for person words, whose readable parts must still go
};

// Checks UTF-8, folds every kind of whitespace to ' ' or '\n' and drops invisible characters.
// nullopt when the text holds invalid UTF-8 or control characters and `on_bad_bytes` refuses
// them.
std::optional<std::string> Normalize(std::string_view text, OnBadBytes on_bad_bytes) {
  std::string out;
  out.reserve(text.size());
  size_t pos = 0;
  while (pos < text.size()) {
    size_t start = pos;
    char32_t c;
    bool valid = DecodeUtf8(text, &pos, &c);
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

// The code point at text[pos] and its class, without advancing; kSpace at the end of the text.
CharKind PeekKind(std::string_view text, size_t pos, char32_t* c = nullptr) {
  if (pos >= text.size()) return CharKind::kSpace;
  char32_t code;
  DecodeUtf8(text, &pos, &code);  // the text was validated by Normalize
  if (c != nullptr) *c = code;
  return Classify(code);
}

size_t NextPos(std::string_view text, size_t pos) {
  char32_t c;
  DecodeUtf8(text, &pos, &c);
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
      AppendUtf8(c, &token->folded);
      break;
    case CharKind::kApostrophe:
      token->folded.push_back('\'');
      break;
    default:
      break;
  }
}

// Splits normalised text into words (letters, digits and marks, with apostrophes inside or
// opening them), runs of whitespace, and single punctuation characters.
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

bool EndsSentence(char32_t c) { return c == '.' || c == '!' || c == '?' || c == 0x2026; }

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

// The value of a plain ASCII number token of at most `max_digits` digits, or -1.
int SmallNumber(const Token& token, int max_digits) {
  if (!token.plain_number() || token.digits > max_digits) return -1;
  int value = 0;
  for (char d : token.folded) value = value * 10 + (d - '0');
  return value;
}

std::string AsciiLower(std::string_view text) {
  std::string lower(text);
  for (char& c : lower) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return lower;
}

}  // namespace

namespace text_scrubber_internal {

// The word lists, as sets of folded words.
struct Vocabulary {
  WordSet stopwords;
  WordSet harmless = MakeSet(kHarmlessCapitalised);
  WordSet openers = MakeSet(kSentenceOpeners);
  WordSet name_like_stopwords = MakeSet(kNameLikeStopwords);
  WordSet particles = MakeSet(kNameParticles);
  WordSet surname_prefixes = MakeSet(kSurnamePrefixes);
  WordSet name_cues = MakeSet(kNameCues);
  WordSet units = MakeSet(kUnits);
  WordSet months = MakeSet(kMonths);
  WordSet time_prepositions = MakeSet(kTimePrepositions);
  WordSet house_number_additions = MakeSet(kHouseNumberAdditions);
  WordSet top_level_domains = MakeSet(kTopLevelDomains);
  WordSet hidden_at_signs = MakeSet(kHiddenAtSigns);
  WordSet hidden_dots = MakeSet(kHiddenDots);

  // Whether a capitalised word may open a sentence.
  bool MayOpenSentence(std::string_view folded) const {
    return Has(harmless, folded) || Has(openers, folded) ||
           (Has(stopwords, folded) && !Has(name_like_stopwords, folded));
  }
};

}  // namespace text_scrubber_internal

namespace {

using text_scrubber_internal::Vocabulary;

// One text being scrubbed: its tokens, what has been removed, and the person's words.
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

  const Vocabulary& vocabulary_;
  std::string text_;
  std::vector<Token> tokens_;
  std::vector<std::string> person_words_;
  std::vector<std::vector<std::string>> person_phrases_;
  int removed_words_ = 0;
};

void Scrubbing::SetPersonWords(const ScrubContext& context) {
  for (const std::string& entry : context.person_words) {
    std::optional<std::string> normalized = Normalize(entry, OnBadBytes::kSpace);
    std::vector<std::string> parts;
    for (Token& token : Tokenize(*normalized)) {
      if (token.is_word() && token.letters + token.digits > 0) {
        parts.push_back(std::move(token.folded));
      }
    }
    if (parts.size() > 1) person_phrases_.push_back(parts);
    for (std::string& part : parts) {
      // A lone tussenvoegsel names nobody; a lone stop word does if it is the whole entry (a
      // place called "Een").
      if (part.size() < 2 || Has(vocabulary_.particles, part)) continue;
      if (parts.size() > 1 && IsStopword(part)) continue;
      person_words_.push_back(std::move(part));
    }
  }
}

void Scrubbing::RemoveSpan(size_t begin, size_t end, Cause cause) {
  bool removed_word = false;
  for (size_t i = begin; i < end; ++i) {
    Token& token = tokens_[i];
    if (token.removed()) continue;
    token.cause = cause;
    removed_word = removed_word || token.is_word();
  }
  if (removed_word) ++removed_words_;
}

void Scrubbing::RemoveWords(size_t begin, size_t end, Cause cause) {
  for (size_t i = begin; i < end; ++i) {
    Token& token = tokens_[i];
    if (token.removed()) continue;
    token.cause = cause;
    if (token.is_word()) ++removed_words_;
  }
}

bool Scrubbing::IsPersonWord(std::string_view folded) const {
  for (const std::string& word : person_words_) {
    if (folded == word) return true;
    if (word.size() < 3 || folded.size() <= word.size() || folded.substr(0, word.size()) != word) {
      continue;
    }
    std::string_view rest = folded.substr(word.size());
    if (IsOneOf(rest, kNameEndings)) return true;
    // A handle such as "noelle92".
    if (std::all_of(rest.begin(), rest.end(), IsAsciiDigit)) {
      return true;
    }
  }
  return false;
}

size_t Scrubbing::PreviousWord(size_t i) const {
  while (i > 0) {
    --i;
    if (tokens_[i].is_word()) return i;
    if (!tokens_[i].is_space()) return size();
  }
  return size();
}

void Scrubbing::RemoveEmailsAndUrls() {
  // Blobs: maximal runs of tokens between spaces; `begin` and `end` leave out the punctuation
  // around them, `raw_begin` and `raw_end` do not.
  struct Blob {
    size_t raw_begin;
    size_t raw_end;
    size_t begin;
    size_t end;
  };
  auto leading = [](char32_t c) {
    return c == '(' || c == '[' || c == '{' || c == '<' || c == '"' || c == '\'' || c == 0x201C ||
           c == 0x00AB;
  };
  auto trailing = [](char32_t c) {
    return c == '.' || c == ',' || c == ';' || c == ':' || c == '!' || c == '?' || c == ')' ||
           c == ']' || c == '}' || c == '>' || c == '"' || c == '\'' || c == 0x201D ||
           c == 0x00BB || c == 0x2026;
  };
  std::vector<Blob> blobs;
  for (size_t i = 0; i < size();) {
    if (tokens_[i].is_space()) {
      ++i;
      continue;
    }
    Blob blob;
    blob.raw_begin = i;
    while (i < size() && !tokens_[i].is_space()) ++i;
    blob.raw_end = i;
    blob.begin = blob.raw_begin;
    blob.end = blob.raw_end;
    while (blob.begin < blob.end && tokens_[blob.begin].kind == TokenKind::kPunct &&
           leading(tokens_[blob.begin].punct)) {
      ++blob.begin;
    }
    while (blob.end > blob.begin && tokens_[blob.end - 1].kind == TokenKind::kPunct &&
           trailing(tokens_[blob.end - 1].punct)) {
      --blob.end;
    }
    // "(at)" and a lone "." are all punctuation, and still count.
    if (blob.begin == blob.end) {
      blob.begin = blob.raw_begin;
      blob.end = blob.raw_end;
    }
    blobs.push_back(blob);
  }
  auto raw_lower = [&](const Blob& blob) {
    return AsciiLower(TextOf(blob.raw_begin, blob.raw_end));
  };

  for (size_t b = 0; b < blobs.size(); ++b) {
    const Blob& blob = blobs[b];
    bool at_sign = false;
    bool dot_or_colon = false;
    for (size_t i = blob.begin; i < blob.end; ++i) {
      at_sign = at_sign || tokens_[i].is_punct('@');
      dot_or_colon = dot_or_colon || tokens_[i].is_punct('.') || tokens_[i].is_punct(':');
    }
    if (at_sign) {
      RemoveSpan(blob.begin, blob.end, Cause::kStructure);
      continue;
    }
    // Most blobs are plain words: no copy for them.
    bool hidden_at_sign = false;
    if (blob.raw_end - blob.raw_begin <= 3 || tokens_[blob.begin].folded.starts_with("ape")) {
      hidden_at_sign = Has(vocabulary_.hidden_at_signs, raw_lower(blob)) ||
                       Has(vocabulary_.hidden_at_signs, AsciiLower(TextOf(blob.begin, blob.end)));
    }
    if (hidden_at_sign) {
      // "noelle (at) gmail punt com": the words before and after, and the "punt com" chain.
      size_t first = b > 0 ? b - 1 : b;
      size_t last = b + 1 < blobs.size() ? b + 1 : b;
      while (last + 2 < blobs.size() && Has(vocabulary_.hidden_dots, raw_lower(blobs[last + 1]))) {
        last += 2;
      }
      RemoveSpan(blobs[first].begin, blobs[last].end, Cause::kStructure);
      b = last;
      continue;
    }
    if (!dot_or_colon) continue;
    std::string lower = AsciiLower(TextOf(blob.begin, blob.end));
    bool url = lower.starts_with("http://") || lower.starts_with("https://") ||
               lower.starts_with("www.") || lower.find("://") != std::string::npos;
    if (!url) {
      // A host name such as "noelletekent.nl" or "linkedin.com/in/noelle".
      std::string_view host = lower;
      host = host.substr(0, host.find_first_of("/?#:"));
      size_t dot = host.rfind('.');
      if (dot != std::string_view::npos && dot > 0 &&
          Has(vocabulary_.top_level_domains, host.substr(dot + 1))) {
        url = std::all_of(host.begin(), host.end(), [](char c) {
          return IsAsciiLetter(c) || IsAsciiDigit(c) || c == '-' || c == '.';
        });
        url = url && host.find("..") == std::string_view::npos;
      }
    }
    if (url) RemoveSpan(blob.begin, blob.end, Cause::kStructure);
  }
}

void Scrubbing::RemoveIbans() {
  for (size_t i = 0; i < size(); ++i) {
    const Token& token = tokens_[i];
    if (!token.is_word() || token.removed() || !token.ascii || token.folded.size() < 4) continue;
    const std::string& f = token.folded;
    if (!IsAsciiLetter(f[0]) || !IsAsciiLetter(f[1]) || !IsAsciiDigit(f[2]) ||
        !IsAsciiDigit(f[3]) || f.find('\'') != std::string::npos) {
      continue;
    }
    size_t length = f.size();
    int digits = token.digits;
    size_t last = i;
    // Printed IBANs come in groups of four.
    while (length < 34 && IsInlineSpaceAt(last + 1) && IsWordAt(last + 2)) {
      const Token& group = tokens_[last + 2];
      if (group.removed() || !group.ascii || group.folded.size() > 4 ||
          group.folded.find('\'') != std::string::npos) {
        break;
      }
      length += group.folded.size();
      digits += group.digits;
      last += 2;
    }
    if (length >= 15 && length <= 34 && digits >= 8) {
      RemoveSpan(i, last + 1, Cause::kStructure);
      i = last;
    }
  }
}

size_t Scrubbing::MatchClockTime(size_t i, bool second_of_range, bool* with_dot) const {
  int hours = SmallNumber(tokens_[i], 2);
  if (hours < 0 || hours > 24 || i + 2 >= size()) return 0;
  const Token& separator = tokens_[i + 1];
  if (!separator.is_punct(':') && !separator.is_punct('.')) return 0;
  const Token& minutes = tokens_[i + 2];
  int value = SmallNumber(minutes, 2);
  if (value < 0 || value > 59 || minutes.digits != 2) return 0;
  // "12:34:56" or "06.12.34.56.78" are no clock times.
  size_t end = i + 3;
  if (end + 1 < size() && tokens_[end].kind == TokenKind::kPunct &&
      (tokens_[end].punct == ':' || tokens_[end].punct == '.' || tokens_[end].punct == '/') &&
      tokens_[end + 1].digits > 0) {
    return 0;
  }
  if (!second_of_range && i >= 2 && tokens_[i - 2].digits > 0 && !tokens_[i - 2].clock_time &&
      tokens_[i - 1].kind == TokenKind::kPunct &&
      (tokens_[i - 1].punct == ':' || tokens_[i - 1].punct == '.' || tokens_[i - 1].punct == '/' ||
       tokens_[i - 1].punct == '-')) {
    return 0;
  }
  *with_dot = separator.is_punct('.');
  return end;
}

void Scrubbing::ProtectClockTimes() {
  for (size_t i = 0; i < size(); ++i) {
    if (tokens_[i].removed()) continue;
    bool with_dot = false;
    size_t end = MatchClockTime(i, false, &with_dot);
    if (end == 0) continue;
    // A range "9:00-17:00", "9.00 - 17.30" or "9:00 tot 17:00".
    size_t range_end = 0;
    size_t k = end;
    if (IsInlineSpaceAt(k)) ++k;
    if (k < size() && (tokens_[k].is_punct('-') || tokens_[k].is_punct(0x2013) ||
                       (tokens_[k].is_word() && tokens_[k].folded == "tot"))) {
      ++k;
      if (IsInlineSpaceAt(k)) ++k;
      bool second_with_dot = false;
      if (k < size()) range_end = MatchClockTime(k, true, &second_with_dot);
    }
    if (with_dot && range_end == 0) {
      // "9.30" is a time only where the words say so: "om 9.30", "9.30 uur".
      size_t previous = PreviousWord(i);
      bool cue_before =
          previous < size() && Has(vocabulary_.time_prepositions, tokens_[previous].folded);
      bool unit_after = IsInlineSpaceAt(end) && IsWordAt(end + 1) &&
                        (tokens_[end + 1].folded == "uur" || tokens_[end + 1].folded == "u");
      if (!cue_before && !unit_after) continue;
    }
    size_t last = range_end != 0 ? range_end : end;
    for (size_t t = i; t < last; ++t) tokens_[t].clock_time = true;
    i = last - 1;
  }
}

void Scrubbing::RemoveWrittenDates() {
  for (size_t i = 0; i < size(); ++i) {
    const Token& month = tokens_[i];
    if (!month.is_word() || month.removed() || !Has(vocabulary_.months, month.folded)) continue;
    size_t k = i + 1;
    if (k < size() && tokens_[k].is_punct('.')) ++k;  // "17 jan. 1990"
    if (!IsInlineSpaceAt(k) || !IsWordAt(k + 1)) continue;
    const Token& year = tokens_[k + 1];
    int value = SmallNumber(year, 4);
    bool full_year = year.digits == 4 && value >= 1900 && value <= 2099;
    bool short_year =
        year.letters == 0 && year.digits == 2 && year.folded.size() == 3 && year.folded[0] == '\'';
    if (!full_year && !short_year) continue;
    size_t begin = i;
    // The day before the month: "17 mei 1990", "1e mei 1990".
    if (i >= 2 && IsInlineSpaceAt(i - 1) && tokens_[i - 2].is_word() && !tokens_[i - 2].removed()) {
      const Token& day = tokens_[i - 2];
      std::string_view digits = std::string_view(day.folded).substr(0, day.digits);
      std::string_view suffix = std::string_view(day.folded).substr(day.digits);
      if (day.ascii && day.digits >= 1 && day.digits <= 2 &&
          (suffix.empty() || suffix == "e" || suffix == "ste" || suffix == "de") &&
          std::all_of(digits.begin(), digits.end(), IsAsciiDigit)) {
        begin = i - 2;
      }
    }
    RemoveSpan(begin, k + 2, Cause::kStructure);
    i = k + 1;
  }
}

bool Scrubbing::FollowedByUnit(size_t end) const {
  return IsInlineSpaceAt(end) && IsWordAt(end + 1) &&
         Has(vocabulary_.units, tokens_[end + 1].folded);
}

void Scrubbing::RemoveNumbers() {
  auto is_group = [&](size_t i) {
    const Token& token = tokens_[i];
    return token.is_word() && token.digits > 0 && !token.removed() && !token.clock_time;
  };
  auto is_separator = [&](size_t i) {
    const Token& token = tokens_[i];
    if (token.is_space()) return !token.newline;
    if (token.kind != TokenKind::kPunct || token.clock_time) return false;
    char32_t c = token.punct;
    return c == '-' || c == 0x2013 || c == '.' || c == '/' || c == '(' || c == ')';
  };
  for (size_t i = 0; i < size(); ++i) {
    if (!is_group(i)) continue;
    size_t last = i;
    int digits = tokens_[i].digits;
    int groups = 1;
    bool dash = false;
    while (true) {
      size_t k = last + 1;
      size_t separator_bytes = 0;
      bool separator_dash = false;
      while (k < size() && is_separator(k) && separator_bytes <= 3) {
        separator_bytes += tokens_[k].size();
        separator_dash = separator_dash || tokens_[k].is_punct('-') || tokens_[k].is_punct(0x2013);
        ++k;
      }
      if (k == last + 1 || separator_bytes > 3 || k >= size() || !is_group(k)) break;
      digits += tokens_[k].digits;
      ++groups;
      dash = dash || separator_dash;
      last = k;
    }
    if (digits < 4) {
      i = last;
      continue;
    }
    // "20-30 uur", "3 - 4 dagen": a range of small quantities, not an identifier.
    if (groups == 2 && dash && SmallNumber(tokens_[i], 2) >= 0 &&
        SmallNumber(tokens_[last], 2) >= 0 && FollowedByUnit(last + 1)) {
      i = last;
      continue;
    }
    size_t begin = i;
    size_t end = last + 1;
    while (begin > 0 && (tokens_[begin - 1].is_punct('+') || tokens_[begin - 1].is_punct('('))) {
      --begin;
    }
    int open = 0;
    for (size_t t = begin; t < end; ++t) {
      if (tokens_[t].is_punct('(')) ++open;
      if (tokens_[t].is_punct(')')) --open;
    }
    if (open > 0 && end < size() && tokens_[end].is_punct(')')) ++end;
    // The letters of a PC6 go with its digits: "3512 AB", "3512 ab" (but not "3512 en").
    if (tokens_[last].plain_number() && tokens_[last].digits == 4) {
      size_t k = end;
      if (IsInlineSpaceAt(k) && tokens_[k].size() == 1) ++k;
      if (IsWordAt(k)) {
        const Token& letters = tokens_[k];
        bool two_letters = letters.ascii && letters.letters == 2 && letters.digits == 0 &&
                           letters.folded.size() == 2;
        bool upper = letters.capitalised && text_[letters.begin] >= 'A' &&
                     text_[letters.begin] <= 'Z' && text_[letters.begin + 1] >= 'A' &&
                     text_[letters.begin + 1] <= 'Z';
        if (two_letters && !letters.removed() && (upper || !IsStopword(letters.folded))) {
          end = k + 1;
        }
      }
    }
    RemoveSpan(begin, end, Cause::kStructure);
    i = end - 1;
  }
}

void Scrubbing::RemovePersonPhrases() {
  for (const std::vector<std::string>& phrase : person_phrases_) {
    for (size_t i = 0; i < size(); ++i) {
      size_t k = i;
      size_t matched = 0;
      while (matched < phrase.size()) {
        if (matched > 0) {
          // Between the words: a space within the line, a hyphen, or both.
          size_t skipped = 0;
          while (k < size() && skipped < 3 && (IsInlineSpaceAt(k) || tokens_[k].is_punct('-'))) {
            ++k;
            ++skipped;
          }
        }
        if (!IsWordAt(k)) break;
        const std::string& expected = phrase[matched];
        std::string_view folded = tokens_[k].folded;
        bool last_word = matched + 1 == phrase.size();
        bool same = folded == expected || (last_word && folded.size() > expected.size() &&
                                           folded.substr(0, expected.size()) == expected &&
                                           IsOneOf(folded.substr(expected.size()), kNameEndings));
        if (!same) break;
        ++matched;
        ++k;
      }
      if (matched == phrase.size()) {
        RemoveWords(i, k, Cause::kName);
        i = k - 1;
      }
    }
  }
}

bool Scrubbing::IsLicenceCategory(size_t i) const {
  static constexpr std::string_view kCategories[] = {"a",   "am", "b",  "be", "c",   "c1", "ce",
                                                     "c1e", "d",  "d1", "de", "d1e", "t"};
  if (!IsOneOf(std::string_view(tokens_[i].folded), kCategories)) return false;
  size_t previous = PreviousWord(i);
  return previous < size() &&
         (tokens_[previous].folded == "rijbewijs" || tokens_[previous].folded == "rijbewijzen");
}

void Scrubbing::RemoveNames() {
  // Compounds: words joined by '-', '_' or '.' without spaces ("Heijn-filiaal", "noelle_vdb",
  // "J.P."), judged and removed as one.
  for (size_t i = 0; i < size(); ++i) {
    if (!tokens_[i].is_word()) continue;
    size_t last = i;
    std::string joined = tokens_[i].folded;
    while (last + 2 < size() && tokens_[last + 2].is_word() &&
           (tokens_[last + 1].is_punct('-') || tokens_[last + 1].is_punct('_') ||
            tokens_[last + 1].is_punct('.'))) {
      joined.push_back('-');
      joined.append(tokens_[last + 2].folded);
      last += 2;
    }
    bool compound = last > i;
    bool compound_allowed =
        compound && (Has(vocabulary_.harmless, joined) ||
                     (tokens_[i].sentence_start && vocabulary_.MayOpenSentence(joined)));
    bool remove = false;
    for (size_t t = i; t <= last && !remove; t += 2) {
      const Token& token = tokens_[t];
      if (token.letters == 0) continue;
      if (IsPersonWord(token.folded)) {
        remove = true;
      } else if (!token.capitalised || compound_allowed ||
                 Has(vocabulary_.harmless, token.folded) ||
                 (token.sentence_start && vocabulary_.MayOpenSentence(token.folded)) ||
                 IsLicenceCategory(t)) {
        continue;
      } else {
        remove = true;
      }
    }
    if (remove) RemoveWords(i, last + 1, Cause::kName);
    i = last;
  }
}

void Scrubbing::RemoveNamesAfterCues() {
  for (size_t i = 0; i < size(); ++i) {
    const Token& cue = tokens_[i];
    if (!cue.is_word() || !Has(vocabulary_.name_cues, cue.folded)) continue;
    size_t k = i + 1;
    auto skip_separators = [&] {
      while (k < size() &&
             (tokens_[k].is_space() || tokens_[k].is_punct(',') || tokens_[k].is_punct(':') ||
              tokens_[k].is_punct('.') || tokens_[k].is_punct('-'))) {
        ++k;
      }
    };
    skip_separators();
    if (cue.folded == "naam") {
      // "mijn naam is jan", "naam: jan"; not "de naam van het bedrijf".
      bool colon = false;
      for (size_t t = i + 1; t < k; ++t) colon = colon || tokens_[t].is_punct(':');
      if (IsWordAt(k) && tokens_[k].folded == "is") {
        ++k;
        skip_separators();
      } else if (!colon) {
        continue;
      }
    } else if (IsWordAt(k) && tokens_[k].folded == "van" && cue.folded.starts_with("groet")) {
      ++k;  // "groetjes van jan"
      skip_separators();
    }
    // [tussenvoegsels] name [tussenvoegsels surname]
    size_t name_begin = k;
    for (int part = 0; part < 2; ++part) {
      size_t j = k;
      bool particles = false;
      while (IsWordAt(j) && Has(vocabulary_.particles, tokens_[j].folded) &&
             IsInlineSpaceAt(j + 1)) {
        j += 2;
        particles = true;
      }
      if (!IsWordAt(j) || tokens_[j].letters == 0) break;
      const Token& name = tokens_[j];
      bool plausible = name.removed() || (!Has(vocabulary_.harmless, name.folded) &&
                                          !Has(vocabulary_.units, name.folded) &&
                                          (particles || !IsStopword(name.folded)));
      if (!plausible || (part == 1 && !particles)) break;
      RemoveWords(k, j + 1, Cause::kName);
      k = j + 1;
      if (!IsInlineSpaceAt(k)) break;
      ++k;
    }
    if (k > name_begin) i = k - 1;
  }
}

size_t Scrubbing::MatchHouseNumber(size_t i) const {
  if (!IsWordAt(i)) return 0;
  const Token& number = tokens_[i];
  if (number.removed() || number.clock_time || !number.ascii || number.digits == 0 ||
      number.digits > 4 || !IsAsciiDigit(number.folded[0]) ||
      number.folded.size() - number.digits > 3 || number.folded.find('\'') != std::string::npos) {
    return 0;
  }
  // Letters only after the digits: "12a", "221bis".
  for (int d = 0; d < number.digits; ++d) {
    if (!IsAsciiDigit(number.folded[d])) return 0;
  }
  size_t end = i + 1;
  if (end + 1 < size() && tokens_[end].is_punct('-') && tokens_[end + 1].is_word() &&
      tokens_[end + 1].ascii && tokens_[end + 1].folded.size() <= 3) {
    end += 2;  // "12-2", "12-hs"
  } else if (IsInlineSpaceAt(end) && IsWordAt(end + 1)) {
    const Token& addition = tokens_[end + 1];
    bool upper_letter =
        addition.letters == 1 && addition.digits == 0 && addition.capitalised && addition.ascii;
    if (upper_letter || Has(vocabulary_.house_number_additions, addition.folded)) end += 2;
  }
  if (FollowedByUnit(end)) return 0;
  return end;
}

void Scrubbing::RemoveHouseNumbers() {
  for (size_t i = 0; i + 2 < size(); ++i) {
    const Token& street = tokens_[i];
    if (!street.is_word() || !IsInlineSpaceAt(i + 1)) continue;
    bool removed_name = street.cause == Cause::kName;
    bool lower_case_street = false;
    if (!street.removed() && street.letters > 0 && !street.capitalised) {
      for (std::string_view ending : kStreetEndings) {
        if (street.folded.size() >= ending.size() + 3 && street.folded.ends_with(ending)) {
          lower_case_street = true;
          break;
        }
      }
    }
    if (!removed_name && !lower_case_street) continue;
    size_t end = MatchHouseNumber(i + 2);
    if (end == 0) continue;
    if (lower_case_street) RemoveWords(i, i + 1, Cause::kName);
    RemoveSpan(i + 1, end, Cause::kHouseNumber);
    i = end - 1;
  }
}

void Scrubbing::RemoveSurnamePrefixes() {
  auto is_name = [&](size_t i) {
    return IsWordAt(i) &&
           (tokens_[i].cause == Cause::kName || tokens_[i].cause == Cause::kParticle);
  };
  // Between two removed names: "Jan van der […]" → one name.
  for (size_t i = 0; i < size(); ++i) {
    if (!is_name(i)) continue;
    size_t k = i + 1;
    size_t particles = 0;
    while (IsInlineSpaceAt(k) && IsWordAt(k + 1) && !tokens_[k + 1].removed() &&
           Has(vocabulary_.particles, tokens_[k + 1].folded)) {
      k += 2;
      ++particles;
    }
    if (particles > 0 && IsInlineSpaceAt(k) && is_name(k + 1)) {
      RemoveWords(i + 1, k + 1, Cause::kParticle);
      i = k;
    }
  }
  // Before a removed name: "meneer van der […]" → "meneer […]".
  for (size_t i = 0; i < size(); ++i) {
    if (!is_name(i) || i < 2 || !IsInlineSpaceAt(i - 1) || is_name(i - 2)) continue;
    std::string prefix;
    size_t begin = i;
    size_t longest = i;
    for (int words = 1; words <= 2; ++words) {
      if (begin < 2 || !IsInlineSpaceAt(begin - 1) || !IsWordAt(begin - 2) ||
          tokens_[begin - 2].removed()) {
        break;
      }
      begin -= 2;
      prefix = prefix.empty() ? tokens_[begin].folded : tokens_[begin].folded + " " + prefix;
      if (Has(vocabulary_.surname_prefixes, prefix)) longest = begin;
    }
    if (longest < i) RemoveWords(longest, i, Cause::kParticle);
  }
}

void Scrubbing::JoinRemovedSpans() {
  // Two passes, because joining can close a bracket and a bracket can join two spans.
  for (int pass = 0; pass < 2; ++pass) {
    // "(Zeist)" → one span with its brackets.
    for (size_t i = 0; i < size(); ++i) {
      char32_t open = tokens_[i].kind == TokenKind::kPunct ? tokens_[i].punct : 0;
      char32_t close = open == '(' ? ')' : open == '[' ? ']' : open == '{' ? '}' : 0;
      if (close == 0 || tokens_[i].removed()) continue;
      size_t k = i + 1;
      bool inner = false;
      while (k < size() && (tokens_[k].removed() || tokens_[k].is_space())) {
        inner = inner || tokens_[k].removed();
        ++k;
      }
      if (inner && k < size() && tokens_[k].is_punct(close)) {
        for (size_t t = i; t <= k; ++t) {
          if (!tokens_[t].removed()) tokens_[t].cause = Cause::kJoin;
        }
        i = k;
      }
    }
    // Spaces and list punctuation between removed spans, and the dot of an initial ("J. […]").
    for (size_t i = 0; i < size(); ++i) {
      if (!tokens_[i].removed()) continue;
      size_t k = i + 1;
      while (k < size() && !tokens_[k].removed()) {
        const Token& token = tokens_[k];
        bool joins = token.is_space();
        if (token.kind == TokenKind::kPunct) {
          char32_t c = token.punct;
          joins = c == ',' || c == '-' || c == 0x2013 || c == 0x2014 || c == '/' || c == '&' ||
                  c == '+' || c == '|' ||
                  (c == '.' && k == i + 1 && tokens_[i].is_word() && tokens_[i].capitalised &&
                   tokens_[i].letters >= 1 && tokens_[i].letters <= 2);
        }
        if (!joins) break;
        ++k;
      }
      if (k < size() && k > i + 1 && tokens_[k].removed()) {
        for (size_t t = i + 1; t < k; ++t) tokens_[t].cause = Cause::kJoin;
      }
      i = k - 1;
    }
  }
}

std::optional<std::string> Scrubbing::Result() const {
  int kept = 0;
  int content = 0;
  for (const Token& token : tokens_) {
    if (!token.is_word() || token.removed()) continue;
    ++kept;
    if (token.letters > 0 && !IsStopword(token.folded)) ++content;
  }
  if (kept < static_cast<int>(TextScrubber::kMinKeptWords) || removed_words_ > kept ||
      content == 0) {
    return std::nullopt;
  }
  std::string out;
  out.reserve(text_.size());
  bool space = false;
  for (size_t i = 0; i < size(); ++i) {
    const Token& token = tokens_[i];
    if (token.removed()) {
      if (i > 0 && tokens_[i - 1].removed()) continue;
      if (space && !out.empty()) out.push_back(' ');
      space = false;
      out.append(TextScrubber::kMarker);
    } else if (token.is_space()) {
      space = true;
    } else {
      if (space && !out.empty()) out.push_back(' ');
      space = false;
      out.append(text_, token.begin, token.size());
    }
  }
  return out;
}

}  // namespace

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

TextScrubber::TextScrubber(const std::vector<std::string>& stopwords) {
  auto vocabulary = std::make_shared<text_scrubber_internal::Vocabulary>();
  for (const std::string& word : stopwords) {
    std::optional<std::string> normalized = Normalize(word, OnBadBytes::kSpace);
    for (Token& token : Tokenize(*normalized)) {
      if (token.is_word()) vocabulary->stopwords.insert(std::move(token.folded));
    }
  }
  vocabulary_ = std::move(vocabulary);
}

std::optional<std::string> TextScrubber::Scrub(std::string_view text,
                                               const ScrubContext& context) const {
  if (text.size() > kMaxTextBytes) return std::nullopt;
  std::optional<std::string> normalized = Normalize(text, OnBadBytes::kRefuse);
  if (!normalized) return std::nullopt;
  Scrubbing scrubbing(*vocabulary_, *std::move(normalized));
  scrubbing.SetPersonWords(context);
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
