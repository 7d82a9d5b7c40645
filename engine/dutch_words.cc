#include "engine/dutch_words.h"

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <hunspell/hunspell.hxx>
#include <sstream>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace verkenner::engine {
namespace {

// Words longer than this are not split: no Dutch word is, and the cut search is quadratic.
constexpr size_t kMaxSplitLength = 40;
constexpr std::string_view kIjLigature = "\xc4\xb3";

bool IsVowel(char c) { return c == 'a' || c == 'e' || c == 'i' || c == 'o' || c == 'u'; }
bool IsConsonant(char c) { return c >= 'a' && c <= 'z' && !IsVowel(c); }

// A dictionary entry we keep: lower-case letters (accented ones too) and inner hyphens. Names
// (capitals), abbreviations (dots), numbers and phrases are left out.
bool IsPlainWord(std::string_view word) {
  if (word.empty() || word.front() == '-' || word.back() == '-') return false;
  for (char c : word) {
    const unsigned char u = static_cast<unsigned char>(c);
    if (!((c >= 'a' && c <= 'z') || c == '-' || u >= 0x80)) return false;
  }
  return true;
}

// The closed-syllable spelling of a verb stem written open before a suffix: "wass" -> "was",
// "mak" -> "maak", "lez" -> "lees" (as "wasser", "maker", "lezer" are written).
std::string ClosedSyllable(std::string stem) {
  const size_t n = stem.size();
  if (n >= 2 && IsConsonant(stem[n - 1]) && stem[n - 1] == stem[n - 2]) {
    stem.pop_back();
  } else if (n >= 3 && IsConsonant(stem[n - 1]) && IsVowel(stem[n - 2]) && stem[n - 2] != 'i' &&
             !IsVowel(stem[n - 3])) {
    stem.insert(n - 1, 1, stem[n - 2]);
  }
  if (!stem.empty() && stem.back() == 'v') stem.back() = 'f';
  if (!stem.empty() && stem.back() == 'z') stem.back() = 's';
  return stem;
}

// The infinitive of a closed-syllable stem: "maak" -> "maken", "was" -> "wassen", "werk" ->
// "werken".
std::string Infinitive(const std::string& stem) {
  const size_t n = stem.size();
  if (n >= 3 && IsConsonant(stem[n - 1]) && IsVowel(stem[n - 2]) && stem[n - 2] == stem[n - 3]) {
    return stem.substr(0, n - 2) + stem.substr(n - 1) + "en";
  }
  if (n >= 2 && IsConsonant(stem[n - 1]) && IsVowel(stem[n - 2]) &&
      (n < 3 || !IsVowel(stem[n - 3]))) {
    return stem + stem.substr(n - 1) + "en";
  }
  return stem + "en";
}

// The infinitives a present-tense stem may have: "pluk" -> plukken, "maak" -> maken, "leef" ->
// leven, "reis" -> reizen.
std::vector<std::string> Infinitives(const std::string& stem) {
  std::string voiced = stem;
  if (voiced.back() == 'f') voiced.back() = 'v';
  if (voiced.back() == 's') voiced.back() = 'z';
  return {stem + "en", Infinitive(stem), Infinitive(voiced)};
}

// The ending of a diminutive, what it is written after, and whether the base's final consonant
// was doubled before it: "balletje" (bal), "ringetje", "boompje", "stoeltje", "hulpje". In this
// order, so that "balletje" is no small ballet and "plantje" no small plan.
struct DiminutiveEnding {
  std::string_view ending;
  std::string_view after;  // the letters the base may end in; empty: any
  bool doubled;
};
constexpr DiminutiveEnding kDiminutiveEndings[] = {
    {"etje", "lmnr", true}, {"etje", "g", false},         {"je", "", false},
    {"pje", "m", false},    {"tje", "aeiouylnrw", false},
};

}  // namespace

DutchWords::DutchWords() {
  static std::atomic<uint64_t> next_id{1};
  id_ = next_id.fetch_add(1);
}

DutchWords::~DutchWords() = default;

bool DutchWords::Spells(std::string_view word) const {
  if (Contains(word)) return true;
  std::call_once(hunspell_loaded_, [this] {
    if (!affix_path_.empty() && std::filesystem::exists(affix_path_)) {
      hunspell_ = std::make_unique<Hunspell>(affix_path_.c_str(), dictionary_path_.c_str());
    }
  });
  // Without the rules an inflected form cannot be told from a typo, so no word is called one.
  if (hunspell_ == nullptr) return true;
  std::lock_guard<std::mutex> lock(hunspell_mutex_);
  return hunspell_->spell(std::string(word));
}

absl::StatusOr<std::shared_ptr<const DutchWords>> DutchWords::Load(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    return absl::NotFoundError(absl::StrCat(
        "Dutch word list ", path, " cannot be read; install the Debian package hunspell-nl or set ",
        kPathVariable));
  }
  std::shared_ptr<DutchWords> words(new DutchWords());
  words->dictionary_path_ = path;
  if (absl::EndsWith(path, ".dic")) {
    words->affix_path_ = path.substr(0, path.size() - 4) + ".aff";
  }
  // Read at once and scanned in place: the list has some 400,000 lines, and a string per line made
  // the server's start (and every test's) seconds slower under the sanitizers.
  std::ostringstream contents;
  contents << in.rdbuf();
  const std::string file = std::move(contents).str();
  words->text_.reserve(file.size());
  std::string_view rest(file);
  rest.remove_prefix(std::min(rest.size(), rest.find('\n') + 1));  // the entry count
  while (!rest.empty()) {
    const size_t line_end = std::min(rest.find('\n'), rest.size());
    std::string_view entry = rest.substr(0, line_end);
    entry = entry.substr(0, entry.find('/'));
    rest.remove_prefix(std::min(rest.size(), line_end + 1));
    while (!entry.empty() && (entry.back() == '\r' || entry.back() == ' ')) entry.remove_suffix(1);
    if (!IsPlainWord(entry)) continue;
    // OpenTaal writes the Dutch ij as the ligature U+0133 ("magazĳn"); texts write two letters.
    for (size_t ligature; (ligature = entry.find(kIjLigature)) != std::string_view::npos;) {
      words->text_.append(entry.substr(0, ligature)).append("ij");
      entry.remove_prefix(ligature + kIjLigature.size());
    }
    words->text_.append(entry).push_back('\n');
  }
  words->Index();
  return words;
}

absl::StatusOr<std::shared_ptr<const DutchWords>> DutchWords::Shared() {
  static const absl::StatusOr<std::shared_ptr<const DutchWords>>* const shared = [] {
    const char* path = std::getenv(kPathVariable);
    return new absl::StatusOr<std::shared_ptr<const DutchWords>>(
        Load(path != nullptr && *path != '\0' ? path : kDefaultPath));
  }();
  return *shared;
}

std::shared_ptr<const DutchWords> DutchWords::FromWords(const std::vector<std::string>& words) {
  std::shared_ptr<DutchWords> dictionary(new DutchWords());
  for (const std::string& word : words) dictionary->text_.append(word).push_back('\n');
  dictionary->Index();
  return dictionary;
}

void DutchWords::Index() {
  words_.reserve(std::count(text_.begin(), text_.end(), '\n'));
  std::string_view rest(text_);
  while (!rest.empty()) {
    const size_t end = rest.find('\n');
    words_.insert(rest.substr(0, end));
    rest.remove_prefix(end + 1);
  }
}

std::vector<std::string> DutchWords::Decompound(std::string_view word) const {
  const size_t n = word.size();
  if (n < 2 * (kMinPartLength - 1) || n > kMaxSplitLength) return {};
  const size_t min_part = Contains(word) ? kMinPartLength : kMinPartLength - 1;
  // For each end position: the fewest parts that cut word[0, end) (0: no cut), where the last
  // part starts, and where the cut before it (and its linking element) ends.
  std::vector<int> parts(n + 1, 0);
  std::vector<size_t> start(n + 1, 0);
  std::vector<size_t> previous(n + 1, 0);
  auto cut_before = [&](size_t s, size_t& ending) {
    if (s == 0) return (ending = 0, 0);
    int best = 0;
    // The linking elements -s-, -e-, -en- may stand between two parts.
    for (size_t link : {size_t{0}, size_t{1}, size_t{2}}) {
      if (link > s) break;
      const std::string_view element = word.substr(s - link, link);
      if (link > 0 && element != "s" && element != "e" && element != "en") continue;
      const int before = parts[s - link];
      if (before > 0 && (best == 0 || before < best)) best = before, ending = s - link;
    }
    return best;
  };
  for (size_t e = min_part; e <= n; ++e) {
    for (size_t s = 0; s + min_part <= e; ++s) {  // longest last part first
      if (s == 0 && e == n) continue;             // the word itself is no cut
      const std::string_view part = word.substr(s, e - s);
      // The head may be a gendered form ("magazijnwerkster" = magazijn + werker), any part a
      // diminutive ("pakjesbezorger" = pakje + bezorger).
      if (!Contains(part) && (e != n || !Contains(WithoutGender(part))) &&
          (!part.ends_with("je") || !Contains(WithoutDiminutive(part)))) {
        continue;
      }
      size_t ending = 0;
      const int before = cut_before(s, ending);
      if (s > 0 && before == 0) continue;
      if (parts[e] == 0 || before + 1 < parts[e]) {
        parts[e] = before + 1;
        start[e] = s;
        previous[e] = ending;
      }
    }
  }
  if (parts[n] < 2) return {};
  std::vector<std::string> cut(static_cast<size_t>(parts[n]));
  for (size_t e = n, k = cut.size(); k > 0; e = previous[e]) {
    cut[--k] = std::string(word.substr(start[e], e - start[e]));
  }
  return cut;
}

std::vector<std::string> DutchWords::Split(std::string_view word) const {
  // Vacancies and profiles repeat a small vocabulary, and a search reads its words more than
  // once (occupations, text terms, genericness): each thread remembers the words it has split,
  // per dictionary, bounded as free text can bring any number of distinct words.
  struct Memo {
    uint64_t owner = 0;
    absl::flat_hash_map<std::string, std::vector<std::string>> splits;
  };
  static constexpr size_t kMaxRemembered = 100'000;
  thread_local Memo memo;
  if (memo.owner != id_ || memo.splits.size() >= kMaxRemembered) {
    memo.owner = id_;
    memo.splits.clear();
  }
  const std::string key(word);
  if (auto known = memo.splits.find(key); known != memo.splits.end()) return known->second;
  std::vector<std::string> result = SplitUncached(word);
  memo.splits.emplace(key, result);
  return result;
}

std::vector<std::string> DutchWords::SplitUncached(std::string_view word) const {
  std::vector<std::string> result;
  if (word.find('-') == std::string_view::npos) {
    // "medewerkster" is "medewerker" before it is "mede" + "werk" + "ster".
    const std::string base = WithoutDiminutive(WithoutGender(WithoutPlural(word)));
    if (base != word) return Split(base);
  }
  for (size_t begin = 0, end = 0; begin < word.size(); begin = end + 1) {
    end = std::min(word.find('-', begin), word.size());
    const std::string_view segment = word.substr(begin, end - begin);
    if (segment.empty()) continue;
    std::vector<std::string> cut = Decompound(segment);
    if (cut.empty()) {
      result.emplace_back(segment);
      continue;
    }
    // A part may be a compound itself ("magazijnmedewerker" = magazijn + mede + werker).
    for (const std::string& part : cut) {
      std::vector<std::string> inner = Split(part);
      result.insert(result.end(), inner.begin(), inner.end());
    }
  }
  return result;
}

std::string DutchWords::WithoutPlural(std::string_view word) const {
  if (Contains(word)) return std::string(word);
  if (word.size() > 4 && word.back() == 's' && Contains(word.substr(0, word.size() - 1))) {
    return std::string(word.substr(0, word.size() - 1));
  }
  if (word.size() > 5 && word.ends_with("en")) {
    const std::string stem(word.substr(0, word.size() - 2));
    if (Contains(stem)) return stem;
    if (const std::string closed = ClosedSyllable(stem); Contains(closed)) return closed;
  }
  return std::string(word);
}

std::string DutchWords::WithoutGender(std::string_view word) const {
  const size_t n = word.size();
  std::vector<std::string> bases;
  if (n > 5 && word.ends_with("ster")) {
    // "werkster" -> "werker", "verpleegster" -> "verpleger".
    const std::string stem(word.substr(0, n - 4));
    const size_t m = stem.size();
    const bool long_vowel = m >= 3 && IsVowel(stem[m - 2]) && stem[m - 2] == stem[m - 3];
    bases = {stem + "er", long_vowel ? stem.substr(0, m - 2) + stem.substr(m - 1) + "er" : ""};
  } else if (n > 5 && (word.ends_with("nte") || word.ends_with("ste"))) {
    bases = {std::string(word.substr(0, n - 1))};  // "assistente" -> "assistent"
  } else if (n > 5 && word.ends_with("ares")) {
    bases = {std::string(word.substr(0, n - 4)) + "aar"};  // "lerares" -> "leraar"
  } else if (n > 5 && (word.ends_with("euse") || word.ends_with("rice"))) {
    bases = {std::string(word.substr(0, n - 4)) + "eur",    // "serveuse" -> "serveur"
             std::string(word.substr(0, n - 4)) + "teur"};  // "directrice" -> "directeur"
  } else if (n > 6 && word.ends_with("in")) {
    bases = {std::string(word.substr(0, n - 2))};  // "boerin" -> "boer"
  }
  for (const std::string& base : bases) {
    if (Contains(base)) return base;
  }
  return std::string(word);
}

std::string DutchWords::WithoutDiminutive(std::string_view word) const {
  if (Contains(word)) return std::string(word);  // "meisje" is a word of its own
  if (word.ends_with("jes")) word.remove_suffix(1);
  for (const DiminutiveEnding& form : kDiminutiveEndings) {
    if (word.size() < form.ending.size() + 3 || !word.ends_with(form.ending)) continue;
    std::string base(word.substr(0, word.size() - form.ending.size()));
    if (!form.after.empty() && form.after.find(base.back()) == std::string_view::npos) continue;
    if (form.doubled) {
      if (base[base.size() - 1] != base[base.size() - 2]) continue;
      base.pop_back();
    }
    if (Contains(base)) return base;
  }
  return std::string(word);
}

std::string DutchWords::VerbStem(std::string_view word) const {
  const size_t n = word.size();
  if (n < 4 || word.back() != 't' || Contains(word)) return std::string(word);
  // "verzamelt" -> "verzamel" (verzamelen), "plukt" -> "pluk" (plukken), "maakt" -> "maak"
  // (maken), "leeft" -> "leef" (leven), "reist" -> "reis" (reizen).
  const std::string stem(word.substr(0, n - 1));
  for (const std::string& infinitive : Infinitives(stem)) {
    if (Contains(infinitive)) return stem;
  }
  return std::string(word);
}

std::string DutchWords::SeparableVerbStem(std::string_view verb_form,
                                          std::string_view particle) const {
  const std::string stem = VerbStem(verb_form);
  if (stem == verb_form || particle.empty()) return "";
  const std::string joined(particle);
  for (const std::string& infinitive : Infinitives(stem)) {
    if (Contains(joined + infinitive)) return joined + stem;
  }
  return "";
}

std::string DutchWords::AgentStem(std::string_view word) const {
  const size_t n = word.size();
  // "verzamelaar" -> "verzamel", "handelaar" -> "handel": -aar follows an unstressed -el, -er or
  // -en, whose vowel stays as written ("leraar" is left alone).
  if (n >= 8 && word.ends_with("aar")) {
    const std::string stem(word.substr(0, n - 3));
    const bool unstressed = stem.ends_with("el") || stem.ends_with("er") || stem.ends_with("en");
    return unstressed && Contains(stem + "en") ? stem : std::string(word);
  }
  if (n < 5 || !word.ends_with("er")) return std::string(word);
  // "afwasser" -> "afwass", "bestuurder" -> "bestuur".
  std::string raw(word.substr(0, n - 2));
  if (word.ends_with("rder")) raw.pop_back();
  const std::string stem = ClosedSyllable(raw);
  if (stem.size() >= 3 && (Contains(stem) || Contains(raw + "en") || Contains(Infinitive(stem)))) {
    return stem;
  }
  return std::string(word);
}

std::string DutchWords::BaseForm(std::string_view word) const {
  if (std::string base = WithoutDiminutive(word); base != word) return base;
  if (std::string stem = VerbStem(word); stem != word) return stem;
  return AgentStem(WithoutGender(WithoutPlural(word)));
}

std::vector<std::string> DutchWords::Parts(std::string_view word) const {
  std::vector<std::string> parts;
  for (const std::string& part : Split(word)) {
    std::string base = BaseForm(part);
    if (std::find(parts.begin(), parts.end(), base) == parts.end())
      parts.push_back(std::move(base));
  }
  return parts;
}

}  // namespace verkenner::engine
