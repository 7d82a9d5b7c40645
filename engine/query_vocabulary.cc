#include "engine/query_vocabulary.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <set>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "engine/edit_distance.h"
#include "engine/text_analysis.h"

namespace verkenner::engine {
namespace {

constexpr size_t kMinSpellingWordLength = 4;
constexpr size_t kMaxWordLength = 40;

// The variants of one ESCO label: each side of a slash ("medewerker groenvoorziening/
// medewerkster groenvoorziening", "ober/serveerster"). A parenthesised remark stays: it narrows
// the label ("schoonmaakster gebouwen (buitenkant)").
std::vector<std::string> LabelVariants(const std::string& label) {
  std::vector<std::string> variants;
  for (absl::string_view side : absl::StrSplit(label, '/', absl::SkipWhitespace())) {
    variants.emplace_back(side);
  }
  return variants;
}

}  // namespace

std::vector<std::string> QueryVocabulary::Words(const std::string& text) {
  return Words(text, nullptr);
}

std::vector<std::string> QueryVocabulary::Words(const std::string& text,
                                                std::vector<bool>* sentence_ends) {
  std::vector<std::string> words;
  std::string word;
  auto flush = [&]() {
    while (!word.empty() && word.back() == '-') word.pop_back();
    if (!word.empty() && word.size() <= kMaxWordLength) {
      words.push_back(word);
      if (sentence_ends != nullptr) sentence_ends->push_back(false);
    }
    word.clear();
  };
  for (char c : text) {
    const unsigned char u = static_cast<unsigned char>(c);
    if (absl::ascii_isalnum(u) || u >= 0x80) {
      word.push_back(absl::ascii_tolower(u));
    } else if (c == '-' && !word.empty()) {
      word.push_back('-');
    } else {
      flush();
      if (sentence_ends != nullptr && !sentence_ends->empty() &&
          absl::string_view(".!?;:").find(c) != absl::string_view::npos) {
        sentence_ends->back() = true;
      }
    }
  }
  flush();
  if (sentence_ends != nullptr && !sentence_ends->empty()) sentence_ends->back() = true;
  return words;
}

QueryVocabulary::QueryVocabulary(const ReferenceData& reference,
                                 std::shared_ptr<const DutchWords> words)
    : words_(std::move(words)), stopwords_(reference.stopwords()) {
  std::sort(stopwords_.begin(), stopwords_.end());
  std::set<std::string> spelling_words;
  absl::flat_hash_map<std::string, std::vector<std::string>> parts_of;
  const std::vector<OccupationInfo>& occupations = reference.occupations();
  for (size_t o = 0; o < occupations.size(); ++o) {
    const OccupationInfo& occupation = occupations[o];
    codes_.push_back(occupation.esco_code);
    entry_level_.push_back(occupation.entry_level);
    std::vector<const std::string*> labels = {&occupation.label};
    for (const std::string& alt : occupation.alt_labels) labels.push_back(&alt);
    for (const std::string* label : labels) {
      for (const std::string& variant : LabelVariants(*label)) {
        AddLabel(static_cast<uint32_t>(o), label == &occupation.label, variant, parts_of);
      }
      for (const std::string& word : Words(*label)) {
        if (word.size() >= kMinSpellingWordLength && word.find('-') == std::string::npos) {
          spelling_words.insert(word);
        }
      }
    }
  }
  MeasureWeights(occupations.size());
  MarkShadowedLabels();
  words_by_length_.resize(kMaxWordLength + 1);
  for (const std::string& word : spelling_words) words_by_length_[word.size()].push_back(word);
}

absl::StatusOr<std::shared_ptr<const QueryVocabulary>> QueryVocabulary::Create(
    const ReferenceData& reference) {
  absl::StatusOr<std::shared_ptr<const DutchWords>> words = DutchWords::Shared();
  if (!words.ok()) return words.status();
  return std::make_shared<const QueryVocabulary>(reference, *std::move(words));
}

bool QueryVocabulary::IsStopWord(const std::string& word) const {
  return std::binary_search(stopwords_.begin(), stopwords_.end(), word);
}

int64_t QueryVocabulary::PartId(const std::string& part, bool add) {
  auto found = part_ids_.find(part);
  if (found != part_ids_.end()) return found->second;
  if (!add) return -1;
  const uint32_t id = static_cast<uint32_t>(part_weight_.size());
  part_ids_.emplace(part, id);
  part_weight_.push_back(0);
  return id;
}

void QueryVocabulary::AddLabel(
    uint32_t occupation, bool preferred, const std::string& label,
    absl::flat_hash_map<std::string, std::vector<std::string>>& parts_of) {
  Label entry{occupation, static_cast<uint32_t>(label_texts_.size()), {}, -1, 0, preferred};
  const std::vector<std::string> label_words = Words(label);
  for (const std::string& word : label_words) {
    if (IsStopWord(word)) continue;
    ++entry.words;
    auto [known, added] = parts_of.try_emplace(word);
    if (added) known->second = words_->Parts(word);
    const std::vector<std::string>& parts = known->second;
    for (const std::string& part : parts) {
      const uint32_t id = static_cast<uint32_t>(PartId(part, /*add=*/true));
      if (std::find(entry.parts.begin(), entry.parts.end(), id) == entry.parts.end()) {
        entry.parts.push_back(id);
      }
    }
    if (label_words.size() == 1 && parts.size() >= 2) {
      entry.head = static_cast<int32_t>(PartId(parts.back(), /*add=*/false));
    }
  }
  if (entry.parts.empty()) return;
  label_texts_.push_back(label);
  labels_.push_back(std::move(entry));
}

// Each part's weight from the number of occupations whose labels hold it; then the index of
// labels by their informative parts and heads.
void QueryVocabulary::MeasureWeights(size_t occupation_count) {
  std::vector<uint32_t> holders(part_weight_.size(), 0);
  std::vector<uint32_t> last_holder(part_weight_.size(), UINT32_MAX);
  for (const Label& label : labels_) {
    for (uint32_t part : label.parts) {
      if (last_holder[part] == label.occupation) continue;
      last_holder[part] = label.occupation;
      ++holders[part];
    }
  }
  const double total = static_cast<double>(std::max<size_t>(1, occupation_count));
  part_generic_.assign(part_weight_.size(), false);
  part_names_.assign(part_weight_.size(), false);
  for (size_t part = 0; part < part_weight_.size(); ++part) {
    part_weight_[part] = std::log(total / std::max<uint32_t>(1, holders[part]));
    part_generic_[part] = holders[part] >= kGenericShare * total;
    part_names_[part] = holders[part] < kNamingShare * total;
  }
  labels_by_part_.assign(part_weight_.size(), {});
  labels_by_head_.assign(part_weight_.size(), {});
  for (uint32_t l = 0; l < labels_.size(); ++l) {
    Label& label = labels_[l];
    for (uint32_t part : label.parts) {
      label.weight += part_weight_[part];
      label.informative = label.informative || !part_generic_[part];
      label.names = label.names || part_names_[part];
    }
    for (uint32_t part : label.parts) {
      if (label.informative ? !part_generic_[part] : part_names_[part]) {
        labels_by_part_[part].push_back(l);
      }
    }
    if (label.head >= 0 && !part_generic_[label.head]) labels_by_head_[label.head].push_back(l);
  }
}

void QueryVocabulary::MarkShadowedLabels() {
  // By parts, as labels are compared: "medewerker bakkerij" (of *verkoopspecialist brood en
  // banket*) is the "bakkerijmedewerker" of *bakkerijmedewerker*.
  auto parts_of = [](const Label& label) {
    std::vector<uint32_t> parts = label.parts;
    std::sort(parts.begin(), parts.end());
    return parts;
  };
  absl::flat_hash_map<std::vector<uint32_t>, uint32_t> preferred_by;  // parts -> occupation
  for (const Label& label : labels_) {
    if (label.preferred) preferred_by.emplace(parts_of(label), label.occupation);
  }
  for (Label& label : labels_) {
    if (label.preferred) continue;
    auto found = preferred_by.find(parts_of(label));
    label.shadowed = found != preferred_by.end() && found->second != label.occupation;
  }
}

double QueryVocabulary::PartWeight(const std::string& part) const {
  auto found = part_ids_.find(part);
  return found == part_ids_.end() ? 0 : part_weight_[found->second];
}

bool QueryVocabulary::IsGeneric(const std::string& word) const {
  if (IsStopWord(word)) return true;
  for (const std::string& part : words_->Parts(word)) {
    auto found = part_ids_.find(part);
    if (found == part_ids_.end() || !part_generic_[found->second]) return false;
  }
  return true;
}

std::vector<SearchWord> QueryVocabulary::SearchWords(
    const std::string& text, const std::function<bool(const std::string&)>& reaches) const {
  const std::vector<std::string> words = Words(text);
  const bool informative = std::any_of(words.begin(), words.end(), [&](const std::string& word) {
    return !IsGeneric(word) && (reaches == nullptr || reaches(word));
  });
  std::vector<SearchWord> search;
  for (const std::string& word : words) {
    if (informative && IsGeneric(word)) continue;
    SearchWord entry{word, {}, SaysNothing(word)};
    for (const std::string& part : TextAnalysis::WordParts(word)) {
      // A part that says nothing ("werk" of "productiemedewerker") would reach most profiles.
      if (informative ? !IsGeneric(part) : !SaysNothing(part)) entry.forms.push_back(part);
    }
    // Profile text is indexed with the parts of its words too, so the parts reach every
    // profile the whole word would: searching the word as well would read those postings twice.
    if (entry.forms.empty()) entry.forms.push_back(word);
    search.push_back(std::move(entry));
  }
  return search;
}

bool QueryVocabulary::SaysNothing(const std::string& word) const {
  if (IsStopWord(word)) return true;
  for (const std::string& part : words_->Parts(word)) {
    auto found = part_ids_.find(part);
    if (found == part_ids_.end() || part_names_[found->second]) return false;
  }
  return true;
}

const QueryVocabulary::QueryPart* QueryVocabulary::Query::Find(uint32_t part) const {
  for (const QueryPart& held : parts) {
    if (held.part == part) return &held;
  }
  return nullptr;
}

QueryVocabulary::Query QueryVocabulary::ReadQuery(const std::string& text) const {
  Query query;
  std::vector<bool> sentence_ends;
  query.words = Words(text, &sentence_ends);
  query.word_info.resize(query.words.size());
  std::vector<bool> particles(query.words.size(), false);
  size_t content_position = 0;
  for (size_t position = 0; position < query.words.size(); ++position) {
    const std::string& word = query.words[position];
    if (particles[position]) continue;
    // A separable verb is read as one word, at the verb's place; its finite form may be a stop
    // word ("maakt ... schoon").
    const std::string joined = JoinParticle(sentence_ends, position, particles, query);
    if (joined.empty() && IsStopWord(word)) continue;
    query.word_info[position].content_position = content_position++;
    const std::vector<std::string> split = words_->Split(joined.empty() ? word : joined);
    query.word_info[position].verb =
        joined.empty() && split.size() == 1 && words_->VerbStem(word) != word;
    std::vector<std::string> parts;
    for (const std::string& part : split) parts.push_back(words_->BaseForm(part));
    for (const std::string& part : parts) {
      auto found = part_ids_.find(part);
      if (found == part_ids_.end()) continue;
      if (query.Find(found->second) == nullptr) query.weight += part_weight_[found->second];
      query.parts.push_back({found->second, position});
    }
    auto head = part_ids_.find(parts.back());
    QueryWord& info = query.word_info[position];
    info.person = parts.back() != split.back();
    if (head == part_ids_.end()) {
      info.head = kUnknownHead;
      continue;
    }
    if (!part_generic_[head->second]) info.head = head->second;
    // Heads for the shared-head fallback: of compounds, and of the last word ("afval ophaler").
    if (parts.size() >= 2 || position + 1 == query.words.size()) {
      query.heads.push_back({head->second, position});
    }
    if (info.person && info.head == kGenericHead) {
      query.generic_persons.push_back(info.content_position);
    }
  }
  return query;
}

std::string QueryVocabulary::JoinParticle(const std::vector<bool>& sentence_ends, size_t verb,
                                          std::vector<bool>& particles, Query& query) const {
  const std::vector<std::string>& words = query.words;
  if (words_->VerbStem(words[verb]) == words[verb]) return "";
  for (size_t position = verb + 1; position < words.size() && !sentence_ends[position - 1];
       ++position) {
    std::string joined = words_->SeparableVerbStem(words[verb], words[position]);
    if (joined.empty()) continue;
    // Only a joined verb whose parts labels hold: "in" of "maakt kantoren in de regio schoon"
    // makes inmaken, work no occupation names.
    const std::vector<std::string> parts = words_->Parts(joined);
    if (std::all_of(parts.begin(), parts.end(),
                    [&](const std::string& part) { return part_ids_.contains(part); })) {
      particles[position] = true;
      query.word_info[verb].particle = words[position];
      return joined;
    }
  }
  return "";
}

std::optional<QueryVocabulary::LabelMatch> QueryVocabulary::Names(const Query& query,
                                                                  const Label& label) const {
  if (!label.names) return std::nullopt;
  LabelMatch match;
  double covered = 0;
  bool all_generic_held = true;
  for (uint32_t part : label.parts) {
    const QueryPart* held = query.Find(part);
    if (held == nullptr) {
      if (!part_generic_[part]) return std::nullopt;
      all_generic_held = false;
      continue;
    }
    covered += part_weight_[part];
    if (std::find(match.carriers.begin(), match.carriers.end(), held->position) ==
        match.carriers.end()) {
      match.carriers.push_back(held->position);
    }
  }
  bool person = false;
  bool verbs_only = true;
  size_t first = SIZE_MAX;
  size_t last = 0;
  for (size_t position : match.carriers) {
    const QueryWord& word = query.word_info[position];
    person = person || word.person;
    verbs_only = verbs_only && word.verb;
    first = std::min(first, word.content_position);
    last = std::max(last, word.content_position);
    // A word whose head the label lacks is about something else: "afvalophaler" is no
    // "afvalverantwoordelijke", nor "afvalinzameling" (a head no label has).
    if (word.head == kUnknownHead ||
        (word.head >= 0 && std::find(label.parts.begin(), label.parts.end(),
                                     static_cast<uint32_t>(word.head)) == label.parts.end())) {
      return std::nullopt;
    }
  }
  // A verb names the work with its object ("Je verzamelt orders": orderverzamelaar), never
  // alone: who receives guests ("ontvangt") is no ontvanger.
  if (verbs_only) return std::nullopt;
  const size_t span = label.words > 2 ? label.words - 1 : 1;
  if (last > first + span) return std::nullopt;
  for (size_t generic : query.generic_persons) {
    person = person || std::max(last, generic) <= std::min(first, generic) + span;
  }
  // Generic parts may be missing only from a label with an informative part, and only when a
  // person is named by a word carrying the label or by a generic word next to them ("afwasser"
  // and "medewerker afwas" name "afwashulp"; "kantoor" does not name "kantoorhulp", nor
  // "afwasser voor ons restaurant" "restaurantmanager").
  if (!all_generic_held && (!label.informative || !person)) return std::nullopt;
  // The weight of the carrying words' known parts, each part once.
  double carried = 0;
  std::vector<uint32_t> counted;
  for (const QueryPart& held : query.parts) {
    if (std::find(match.carriers.begin(), match.carriers.end(), held.position) ==
            match.carriers.end() ||
        std::find(counted.begin(), counted.end(), held.part) != counted.end()) {
      continue;
    }
    counted.push_back(held.part);
    carried += part_weight_[held.part];
  }
  if (label.weight <= 0 || carried <= 0) return std::nullopt;
  match.score = (covered / label.weight) * std::min(1.0, covered / carried) *
                (label.shadowed ? kShadowedShare : 1.0);
  match.text_share = query.weight > 0 ? covered / query.weight : 0;
  return match;
}

std::vector<NamedOccupation> QueryVocabulary::RecogniseOccupations(const std::string& text,
                                                                   size_t limit) const {
  const Query query = ReadQuery(text);
  // Best per occupation, with the first position of the words that carried it.
  struct Candidate {
    NamedOccupation named;
    size_t first = SIZE_MAX;
    double text_share = 0;
    bool preferred = false;    // by its preferred label
    bool entry_level = false;  // the banenafspraak's work, on a tie
  };
  // Best score first, then text order, then the label that explains more of the text
  // ("chauffeur vuilniswagen" before "chauffeur"), preferred labels, entry-level occupations.
  auto better = [](const Candidate& a, const Candidate& b) {
    if (a.named.score != b.named.score) return a.named.score > b.named.score;
    if (a.first != b.first) return a.first < b.first;
    if (a.text_share != b.text_share) return a.text_share > b.text_share;
    if (a.preferred != b.preferred) return a.preferred;
    if (a.entry_level != b.entry_level) return a.entry_level;
    return a.named.esco_code < b.named.esco_code;
  };
  absl::flat_hash_map<std::string, Candidate> best;
  auto consider = [&](const Label& label, const LabelMatch& match) {
    Candidate candidate;
    candidate.named.esco_code = codes_[label.occupation];
    candidate.named.score = match.score;
    candidate.text_share = match.text_share;
    candidate.named.label = label_texts_[label.text];
    std::vector<size_t> positions = match.carriers;
    std::sort(positions.begin(), positions.end());
    for (size_t position : positions) {
      const std::string& particle = query.word_info[position].particle;
      candidate.named.words.push_back(particle.empty()
                                          ? query.words[position]
                                          : absl::StrCat(query.words[position], " ", particle));
    }
    if (!positions.empty()) candidate.first = positions.front();
    candidate.preferred = label.preferred;
    candidate.entry_level = entry_level_[label.occupation];
    auto [it, inserted] = best.try_emplace(candidate.named.esco_code, candidate);
    if (!inserted && better(candidate, it->second)) it->second = std::move(candidate);
  };
  absl::flat_hash_set<uint32_t> seen;
  for (const QueryPart& held : query.parts) {
    for (uint32_t l : labels_by_part_[held.part]) {
      if (!seen.insert(l).second) continue;
      if (std::optional<LabelMatch> match = Names(query, labels_[l])) consider(labels_[l], *match);
    }
  }
  // Only when no label is named in full: a compound word of the text and a one-word compound
  // label that end in the same informative word ("afvalophaler", "vuilnisophaler"), weaker.
  if (best.empty()) {
    for (const QueryPart& head : query.heads) {
      if (part_generic_[head.part]) continue;
      for (uint32_t l : labels_by_head_[head.part]) {
        const Label& label = labels_[l];
        const double held = part_weight_[head.part];
        const double share = held / label.weight;
        consider(label, {kSharedHeadShare * share, held / query.weight, {head.position}});
      }
    }
  }
  std::vector<Candidate> ranked;
  for (auto& [code, candidate] : best) ranked.push_back(std::move(candidate));
  std::sort(ranked.begin(), ranked.end(), better);
  std::vector<NamedOccupation> named;
  for (size_t i = 0; i < ranked.size() && i < limit &&
                     ranked[i].named.score >= kKeepShare * ranked[0].named.score;
       ++i) {
    named.push_back(std::move(ranked[i].named));
  }
  return named;
}

std::vector<std::string> QueryVocabulary::OccupationsNamedIn(const std::string& text,
                                                             size_t limit) const {
  std::vector<std::string> codes;
  for (NamedOccupation& named : RecogniseOccupations(text, limit)) {
    codes.push_back(std::move(named.esco_code));
  }
  return codes;
}

std::string QueryVocabulary::SuggestSpelling(
    const std::string& text, const std::function<bool(const std::string&)>& misspelled,
    const std::function<int64_t(const std::string&)>& frequency, double min_ratio) const {
  std::vector<std::string> words = Words(text);
  bool changed = false;
  for (std::string& word : words) {
    if (word.size() < kMinSpellingWordLength || word.find('-') != std::string::npos ||
        !misspelled(word)) {
      continue;
    }
    const size_t limit = TypoAllowance(word.size());
    const double needed = min_ratio * static_cast<double>(frequency(word));
    std::string best;
    size_t best_distance = limit + 1;
    int64_t best_frequency = 0;
    for (size_t length = word.size() - std::min(word.size(), limit);
         length <= std::min(kMaxWordLength, word.size() + limit); ++length) {
      for (const std::string& candidate : words_by_length_[length]) {
        const size_t distance = EditDistance(word, candidate, limit);
        if (distance > limit || distance > best_distance) continue;
        const int64_t candidate_frequency = frequency(candidate);
        if (candidate_frequency == 0 || static_cast<double>(candidate_frequency) < needed) continue;
        if (distance < best_distance || candidate_frequency > best_frequency) {
          best = candidate;
          best_distance = distance;
          best_frequency = candidate_frequency;
        }
      }
    }
    if (!best.empty()) {
      word = best;
      changed = true;
    }
  }
  return changed ? absl::StrJoin(words, " ") : "";
}

std::string QueryVocabulary::JoinSplitCompounds(const std::string& text) const {
  const std::vector<std::string> words = Words(text);
  std::vector<std::string> joined;
  bool changed = false;
  for (size_t i = 0; i < words.size(); ++i) {
    std::string compound;
    if (i + 1 < words.size() && !IsStopWord(words[i]) && !IsStopWord(words[i + 1])) {
      for (const char* linker : {"", "s"}) {
        const std::string candidate = absl::StrCat(words[i], linker, words[i + 1]);
        if (IsLabelWord(candidate)) {
          compound = candidate;
          break;
        }
      }
    }
    if (compound.empty()) {
      joined.push_back(words[i]);
    } else {
      joined.push_back(std::move(compound));
      changed = true;
      ++i;
    }
  }
  return changed ? absl::StrJoin(joined, " ") : text;
}

bool QueryVocabulary::IsLabelWord(const std::string& word) const {
  if (word.size() >= words_by_length_.size()) return false;
  const std::vector<std::string>& same_length = words_by_length_[word.size()];
  return std::find(same_length.begin(), same_length.end(), word) != same_length.end();
}

}  // namespace verkenner::engine
