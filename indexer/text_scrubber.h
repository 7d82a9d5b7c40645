#ifndef VERKENNER_INDEXER_TEXT_SCRUBBER_H_
#define VERKENNER_INDEXER_TEXT_SCRUBBER_H_

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "verkenner/v1/source_profile.pb.h"

namespace verkenner::indexer {

namespace text_scrubber_internal {
struct Vocabulary;
}  // namespace text_scrubber_internal

// What the scrubber knows of the person the text is about: their own names and address words,
// which must never survive, whatever their case or position.
struct ScrubContext {
  // First name, surname (with and without tussenvoegsel), street, city. An entry of several words
  // ("van der Berg", "Bergen op Zoom") is removed wherever the whole entry occurs, and each of its
  // words that is not a stop word or tussenvoegsel ("Berg", "Bergen", "Zoom") is removed wherever
  // it occurs on its own. An entry of one word is removed even if it is a common word (a surname
  // "Groen" takes "in het groen werken" with it): the person's privacy outweighs the sentence.
  // Entries need not be valid UTF-8; what decodes of them counts.
  std::vector<std::string> person_words;
};

// The person words of a source profile: first name, surname with and without tussenvoegsel,
// street and city.
ScrubContext ScrubContextFor(const v1::SourceProfile& profile);

// Removes personal data from the free text of a client profile (the `wishes` field: a Dutch
// sentence or two such as "Ik wil graag buiten werken met dieren."), so that it may be indexed and
// shown with the anonymous profile, or refuses the text when it cannot be made safe.
//
// What is removed:
//  - e-mail addresses (anything with an '@', and "naam (at) gmail punt com") and URLs ("https://",
//    "www.", or a host ending in a common top-level domain, "noelle.nl");
//  - IBANs ("NL91 ABNA 0417 1643 00");
//  - every run of 4 or more digits, groups separated by spaces, dots, hyphens, slashes or
//    brackets: phone numbers in any notation ("06-12345678", "+31 (0)6 1234 5678",
//    "(030) 123 45 67"), BSNs with or without dots, PC4s, numeric dates, years, amounts; a PC6's
//    letters go with its digits ("3512 AB"), a written date with its year ("17 mei 1990").
//    Kept: clock times ("9:00-17:00") and ranges of two small numbers before a unit ("20-30 uur");
//  - the person's own words from ScrubContext, case- and accent-insensitively, as whole words and
//    with possessive or adjective endings ("Noëlle's", "Noelles", "Zeister", "zeistse");
//  - capitalised words (names of people, places, employers): kept only when they are in a small
//    list of harmless words (days, months, languages, "Ik", school and certificate acronyms such
//    as "MBO" and "VCA"), or open a sentence and are a common Dutch word (the reference stop words
//    and a short list of usual openers such as "Graag", "Bel", "Ochtenden"). Words in a script
//    without letter case (Arabic, Chinese) or with letters of unknown case (Greek, Cyrillic) count
//    as capitalised. Words joined by '-', '_' or '.' go as a whole ("Albert Heijn-filiaal",
//    "noelle_vdb", "J.P.");
//  - lower-case names where the text says they are names: after "ik heet", "mijn naam is",
//    greetings ("groetjes, jan") and titles ("meneer jansen");
//  - house numbers after a removed street or other removed word ("Kerkstraat 12a"), unless a unit
//    follows ("Jumbo 3 jaar"), and lower-case street names with a house number ("dorpsstraat 5");
//  - tussenvoegsels of a removed surname ("van der Berg", "Jan de Vries").
//
// Each removed span becomes the marker "[…]", the Dutch sign for an omission in a quotation, and
// adjacent spans share one marker. A marker rather than nothing, because "Bel mij op […], groet
// […]." stays readable Dutch and shows the reader that something was left out, where "Bel mij op,
// groet." reads as a mistake of the writer; and one neutral marker rather than "[naam]" or
// "[telefoonnummer]", because a capitalised word may be a place or an employer as well as a name,
// and because the marker holds no letters, so the index gains no term from it. Whitespace is
// folded to single spaces; everything else that is kept is kept byte for byte.
//
// The text is refused (nullopt) when it is longer than kMaxTextBytes, is not valid UTF-8 or holds
// control characters, or when too little is left to mean anything: fewer than kMinKeptWords words,
// more removed words than kept ones (a phone number, e-mail address or date counts as one word),
// or only stop words.
//
// Known limits, for which the caller must not rely on this class: lower-case names of other people
// and places without a cue ("ik werk bij jan"), numbers written in words ("nul zes een twee"), and
// anything the person chooses to disguise further. The filter errs towards removing too much.
//
// Deterministic. Immutable after construction, so one instance may be shared by all threads.
class TextScrubber {
 public:
  static constexpr size_t kMaxTextBytes = 1000;
  static constexpr size_t kMinKeptWords = 3;
  static constexpr std::string_view kMarker = "[…]";

  // `stopwords` are the common Dutch words (engine::ReferenceData::stopwords()) that may open a
  // sentence with a capital without being taken for a name.
  explicit TextScrubber(const std::vector<std::string>& stopwords);

  // Returns `text` with personal data replaced by kMarker, or nullopt when it cannot be made safe.
  std::optional<std::string> Scrub(std::string_view text, const ScrubContext& context) const;

 private:
  std::shared_ptr<const text_scrubber_internal::Vocabulary> vocabulary_;
};

}  // namespace verkenner::indexer

#endif  // VERKENNER_INDEXER_TEXT_SCRUBBER_H_
