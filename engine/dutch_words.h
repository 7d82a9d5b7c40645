#ifndef VERKENNER_ENGINE_DUTCH_WORDS_H_
#define VERKENNER_ENGINE_DUTCH_WORDS_H_

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"

// Dutch words as Dutch works: compounds split into the words they are made of, and gendered,
// plural and agent-noun forms brought back to the word they come from, all confirmed by a
// dictionary rather than by hand-written lists. The dictionary is OpenTaal's Hunspell word list
// (Debian package hunspell-nl, /usr/share/hunspell/nl.dic), read without its affix flags.
//
// Splitting works as Lucene's DictionaryCompoundWordTokenFilter does: a compound is cut into
// dictionary words of at least a minimum length, with the Dutch linking elements -s-, -e- and
// -en- allowed between them ("vetzuiveringsinstallatie" = vetzuivering + installatie,
// "bordenwasser" = bord + wasser); of the possible cuts the one with the fewest parts wins, then
// the one with the longest head (the last part, which says what the compound is).
//
// Base forms: "medewerkster" -> "medewerker", "assistente" -> "assistent" (gendered forms, when
// the dictionary has the base), "medewerkers" -> "medewerker" (plurals), and agent nouns to the
// verb stem they come from when the dictionary has the stem or the verb ("afwasser" -> "afwas",
// "schoonmaker" -> "schoon" + "maak"), so that "afwasser" meets "afwashulp" and "medewerker
// schoonmaak" meets "schoonmaker".
//
// Immutable after loading; thread-safe. Memory: the word list once (about 2 MB of text plus a
// hash set of views into it), and per thread the splits of up to 100,000 words seen.
class Hunspell;

namespace verkenner::engine {

class DutchWords {
 public:
  ~DutchWords();  // out of line: Hunspell is only declared here
  // The environment variable naming the word list, and the Debian path used without it.
  static constexpr const char* kPathVariable = "VERKENNER_HUNSPELL_NL";
  static constexpr const char* kDefaultPath = "/usr/share/hunspell/nl.dic";
  // Parts shorter than this are not cut off a compound that is itself a dictionary word (so
  // "keuken" stays whole rather than "keu" + "ken"); a word the dictionary lacks may lose parts
  // one letter shorter ("barmedewerker" = bar + medewerker).
  static constexpr size_t kMinPartLength = 4;

  // Reads a Hunspell .dic file: one "word/FLAGS" entry a line after the count on the first line;
  // entries with capitals (names), digits or punctuation other than an inner hyphen are left
  // out. Errors: NotFound naming the path and the package hunspell-nl when the file is missing.
  static absl::StatusOr<std::shared_ptr<const DutchWords>> Load(const std::string& path);
  // The word list at $VERKENNER_HUNSPELL_NL or kDefaultPath, loaded once per process; the same
  // error every call when it is missing.
  static absl::StatusOr<std::shared_ptr<const DutchWords>> Shared();
  // A dictionary of exactly these (lower-case) words, for tests.
  static std::shared_ptr<const DutchWords> FromWords(const std::vector<std::string>& words);

  bool Contains(std::string_view word) const { return words_.contains(word); }
  // Whether Hunspell, with the affix rules beside the word list (nl.aff), accepts the word as
  // Dutch: inflected forms ("maakt", "kantoren") and the compounds it allows, besides the listed
  // words. A typo ("schoonmaaker", "keukehulp") it rejects. The rules are loaded on first use
  // (about 0.1 s); without an .aff file (or for FromWords()) every word is accepted, since an
  // inflected form cannot then be told from a typo. Thread-safe.
  bool Spells(std::string_view word) const;

  // The parts of one lower-case word, head last, each a word as written except that plural and
  // gendered forms are undone first: "magazijnmedewerkers" -> {"magazijn", "mede", "werker"}
  // (a part that is a compound itself is split too), "x-medewerkster" -> {"x", "mede",
  // "werker"}; {word} when it does not split.
  std::vector<std::string> Split(std::string_view word) const;
  // The base form of one word (not split): plural, gendered and agent-noun forms undone where
  // the dictionary confirms the result; otherwise the word itself.
  std::string BaseForm(std::string_view word) const;
  // A present-tense verb form to its stem, where the dictionary has the infinitive and not the
  // word: "verzamelt" -> "verzamel", as BaseForm brings "verzamelaar" to; otherwise the word.
  // BaseForm does this too; callers ask to tell a verb from a noun.
  std::string VerbStem(std::string_view word) const;
  // A present-tense verb form and a particle written apart from it, as Dutch main clauses
  // write separable verbs ("Je maakt de kamers schoon", "haalt het afval op"): the stem of the
  // joined verb ("schoonmaak", "ophaal") when the dictionary has the joined infinitive
  // (schoonmaken, ophalen); otherwise empty.
  std::string SeparableVerbStem(std::string_view verb_form, std::string_view particle) const;
  // Split, then each part to its base form (repeated parts once): what the word means, as the
  // vocabulary compares words. "schoonmaakster" -> {"schoon", "maak"}.
  std::vector<std::string> Parts(std::string_view word) const;

 private:
  DutchWords();
  // Fills words_ with views of the lines of text_.
  void Index();
  // Split() without its per-thread memory of words already split.
  std::vector<std::string> SplitUncached(std::string_view word) const;
  // The best cut of a word without hyphens into at least two parts, or empty if none.
  std::vector<std::string> Decompound(std::string_view word) const;
  std::string WithoutGender(std::string_view word) const;
  std::string WithoutPlural(std::string_view word) const;
  // "hulpje" -> "hulp", "pakjes" -> "pak", where the dictionary has the base and not the word.
  std::string WithoutDiminutive(std::string_view word) const;
  std::string AgentStem(std::string_view word) const;

  // Distinguishes dictionaries for the per-thread memory of splits, also when one is freed and
  // another allocated at the same address.
  uint64_t id_;
  std::string dictionary_path_;  // the word list read; empty for FromWords()
  std::string affix_path_;       // nl.aff beside it
  mutable std::once_flag hunspell_loaded_;
  mutable std::mutex hunspell_mutex_;  // Hunspell::spell keeps state between calls
  mutable std::unique_ptr<Hunspell> hunspell_;
  std::string text_;  // every word, each followed by '\n'; words_ points into it
  absl::flat_hash_set<std::string_view> words_;
};

}  // namespace verkenner::engine

#endif  // VERKENNER_ENGINE_DUTCH_WORDS_H_
