#ifndef VERKENNER_INDEXER_TEXT_SCRUBBER_WORDS_H_
#define VERKENNER_INDEXER_TEXT_SCRUBBER_WORDS_H_

// The text scrubber's word lists (see TextScrubber in text_scrubber.h for what they serve). They
// hold folded words: lower-case ASCII without diacritics (FoldLetter in the tokenizer), the form
// in which the rules compare words.

#include <algorithm>
#include <functional>
#include <iterator>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

namespace verkenner::indexer::text_scrubber_internal {

struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};
// Looks words up by string_view without building a string.
using WordSet = std::unordered_set<std::string, StringHash, std::equal_to<>>;

inline bool Has(const WordSet& set, std::string_view word) { return set.find(word) != set.end(); }

template <size_t N>
bool IsOneOf(std::string_view word, const std::string_view (&words)[N]) {
  return std::find(std::begin(words), std::end(words), word) != std::end(words);
}

// Endings of Dutch street names, for a lower-case street followed by a house number.
inline constexpr std::string_view kStreetEndings[] = {
    "straat", "laan",  "weg",  "gracht", "singel", "plein",     "kade",      "dreef",
    "steeg",  "dijk",  "pad",  "park",   "baan",   "wal",       "markt",     "ring",
    "dam",    "haven", "hof",  "erf",    "lei",    "plantsoen", "boulevard", "allee",
    "kanaal", "vaart", "oord", "poort",  "brink"};

// Endings that still name the person or place of the stem: possessives and adjectives.
inline constexpr std::string_view kNameEndings[] = {"'s", "'",   "s",    "se",
                                                    "er", "ers", "sche", "s'"};

// The word lists as sets, and the reference stop words with them. Built once per TextScrubber;
// immutable afterwards, so it may be shared by all threads.
struct Vocabulary {
  // Folds `stopword_list` (engine::ReferenceData::stopwords()) into `stopwords`.
  explicit Vocabulary(const std::vector<std::string>& stopword_list);

  // Whether a capitalised word may open a sentence.
  bool MayOpenSentence(std::string_view folded) const;

  // Common Dutch words (the reference data's stop words).
  WordSet stopwords;

  // Capitalised words that may stand anywhere: they name no person, place or employer.
  WordSet harmless = {
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
      "russisch", "roemeens", "bulgaars", "hongaars", "grieks", "chinees", "japans", "hindi",
      "urdu", "papiaments", "sranantongo", "fries", "ngt",
      // Schools, certificates, language levels, schemes and tools people name in their wishes.
      "mbo", "vmbo", "havo", "vwo", "hbo", "pro", "vso", "bbl", "bol", "vca", "vol-vca", "bhv",
      "ehbo", "haccp", "nt2", "svh", "ict", "it", "a1", "a2", "b1", "b2", "c1", "c2", "wsw", "uwv",
      "wsp", "wajong", "wia", "ww", "ov", "cv", "pc", "tv", "ok", "wifi", "word", "excel",
      "outlook", "powerpoint", "office", "windows", "whatsapp", "sms", "e-mail", "email"};

  // Common words that open sentences in wishes texts and are no stop words. Kept only at the start
  // of a sentence, where every word has a capital; no name among them.
  WordSet openers = {"graag",          "liefst",     "bel",         "bellen",       "mail",
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
  WordSet name_like_stopwords = {"ben", "wil", "door"};

  // Words that may join the parts of one name ("Jan van der Berg", "Maria de la Cruz").
  WordSet particles = {"van", "von", "de", "der", "den", "het", "'t", "te", "ter", "ten",
                       "la",  "le",  "du", "da",  "dos", "del", "zu", "d'", "l'",  "vd"};

  // Tussenvoegsels that only ever precede a surname, so they go with a removed name that follows
  // them. Not "van", "de" or "in de": in "de buurt van […]" they are ordinary words.
  WordSet surname_prefixes = {"van der", "van den", "van 't", "de la", "de le", "der",
                              "den",     "ter",     "ten",    "'t",    "von",   "zu",
                              "la",      "le",      "du",     "da",    "dos",   "del"};

  // Words after which the next word is a name whatever its case ("mijn naam is jan", "groetjes,
  // noëlle", "meneer jansen").
  WordSet name_cues = {"heet",   "naam", "groet",   "groeten", "groetjes", "gr", "mvg", "mvgr",
                       "meneer", "heer", "mevrouw", "mevr",    "dhr",      "mw", "mr",  "mej"};

  // Units after a number that make it a quantity rather than a house number or part of an
  // identifier ("Jumbo 3 jaar", "20-30 uur").
  WordSet units = {"uur",  "uren",  "u",         "dag",        "dagen", "dagdeel", "dagdelen",
                   "week", "weken", "maand",     "maanden",    "jaar",  "jaren",   "keer",
                   "x",    "km",    "kilometer", "kilometers", "min",   "minuten", "kwartier",
                   "euro", "eur",   "procent",   "kg",         "kilo",  "per"};

  // Month names and their abbreviations, for written dates ("17 mei 1990").
  WordSet months = {"januari", "februari", "maart",     "april",   "mei",      "juni",
                    "juli",    "augustus", "september", "oktober", "november", "december",
                    "jan",     "feb",      "mrt",       "apr",     "jun",      "jul",
                    "aug",     "sep",      "sept",      "okt",     "nov",      "dec"};

  // Words before a clock time written with a dot ("om 9.30", "tot 17.00").
  WordSet time_prepositions = {"om",   "van",    "vanaf", "tot",  "na",
                               "voor", "tussen", "en",    "rond", "omstreeks"};

  // Short words after a house number that belong to it ("12 hs", "221 bis").
  WordSet house_number_additions = {"hs", "bis", "bg", "zw", "rd", "huis", "boven", "beneden"};

  // Top-level domains that make a word with a dot a host name ("noelletekent.nl").
  WordSet top_level_domains = {
      "nl",    "com",  "org",  "net",       "eu",   "be",   "de",  "info",   "nu",
      "io",    "me",   "tv",   "co",        "uk",   "biz",  "app", "online", "shop",
      "frl",   "site", "xyz",  "fr",        "es",   "it",   "ly",  "gl",     "to",
      "email", "page", "link", "amsterdam", "blog", "club", "int", "gov",    "edu"};

  // Spellings of '@' that people use to hide an e-mail address from robots.
  WordSet hidden_at_signs = {"(at)", "[at]",         "{at}",        "<at>",          "(a)",
                             "[a]",  "apenstaartje", "apestaartje", "(apenstaartje)"};
  WordSet hidden_dots = {"punt", "dot", "(punt)", "[punt]", "(dot)", "[dot]", "."};
};

}  // namespace verkenner::indexer::text_scrubber_internal

#endif  // VERKENNER_INDEXER_TEXT_SCRUBBER_WORDS_H_
