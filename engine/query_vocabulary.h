#ifndef VERKENNER_ENGINE_QUERY_VOCABULARY_H_
#define VERKENNER_ENGINE_QUERY_VOCABULARY_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "engine/dutch_words.h"
#include "engine/refdata/reference_data.h"

// What the engine knows about the words of a vacancy beyond the index: which ESCO occupations its
// words name, and how to correct a misspelt occupation word.
//
// Occupations are recognised by content, not by exact label. Every preferred and alternative
// label (and its variants: the sides of a slash, the label without its parenthesised remark)
// becomes the set of its words' parts (DutchWords::Parts: compounds split, gendered, plural and
// agent-noun forms undone), so "magazijnmedewerker" and "medewerker magazijn" are the same
// label, and "medewerkster groenvoorziening" is "medewerker groenvoorziening". Each part weighs
// what it says, MEASURED over the labels: log(occupations / occupations whose labels hold the
// part). A part held by at least kGenericShare of the occupations is generic ("medewerker",
// "assistent", "hulp" come out so from the data). A vacancy names an occupation when its text
// holds every informative part of one of its labels; a label of generic parts only never names
// one. The score is the share of the label's weight the text holds (so "afwasser" names
// "afwashulp", afwas + hulp, with the share of "afwas") times the share of the carrying words
// the label explains; occupations well below the best are not named.
//
// Immutable after construction; thread-safe.
namespace verkenner::engine {

// One word of a vacancy as the text search reads it.
struct SearchWord {
  std::string word;                // as typed (lower case)
  std::vector<std::string> forms;  // the word and its parts to search for (TextAnalysis::WordParts)
  bool says_nothing = false;       // QueryVocabulary::SaysNothing: never shown as a reason
};

// One occupation a vacancy text names, and why.
struct NamedOccupation {
  std::string esco_code;
  double score = 0;   // 0..1: the share of the label's weight the text holds
  std::string label;  // the label (variant) the text matched, as ESCO writes it
  // The vacancy's words that carried it, as typed (lower case); a separable verb with its
  // particle ("maakt schoon").
  std::vector<std::string> words;
};

class QueryVocabulary {
 public:
  // A part held by at least this share of the occupations' labels is generic (46 of ESCO's
  // 3,039 occupations).
  static constexpr double kGenericShare = 0.015;
  // A label names an occupation only if one of its parts is held by less than this share of the
  // occupations: "medewerker" (mede 16%, werk 20%) or "operator" (10%) never does, "verkoper"
  // (verkoop 3%) does, when the text holds it in full.
  static constexpr double kNamingShare = 0.05;
  // A shared compound head ("afvalophaler" / "vuilnisophaler": "ophaler") names an occupation
  // when no label is named fully, at this share of the score.
  static constexpr double kSharedHeadShare = 0.5;
  // Occupations scoring below this share of the best one are not named: "medewerker
  // kinderopvang" names the occupations labelled so, not also "manager kinderopvang".
  static constexpr double kKeepShare = 0.9;
  // An alternative label that is another occupation's preferred label ("metselaar" of *voorman
  // metselaar*, "lasser" of *lasinspecteur*) names its occupation at this share of the score:
  // the words are first the other occupation's name.
  static constexpr double kShadowedShare = 0.5;
  // The words carrying one label stand together: within one word of each other, or as many as
  // the label has words (stop words not counted). "medewerker in de bediening" names
  // *bedieningsmedewerker*, but "medewerker schoonmaak. Je maakt kantoren schoon" does not name
  // *kantoormedewerker*.

  QueryVocabulary(const ReferenceData& reference, std::shared_ptr<const DutchWords> words);
  // With the process's DutchWords::Shared(); its error (hunspell-nl missing) if it has one.
  static absl::StatusOr<std::shared_ptr<const QueryVocabulary>> Create(
      const ReferenceData& reference);

  // The occupations `text` names, best score first (then in text order), at most `limit`.
  std::vector<NamedOccupation> RecogniseOccupations(const std::string& text,
                                                    size_t limit = 8) const;
  // Their ESCO codes.
  std::vector<std::string> OccupationsNamedIn(const std::string& text, size_t limit = 8) const;

  // The words of `text` the text search looks for, in text order, each with its compound parts.
  // When the text has an informative word that `reaches` accepts (some profile holds it or its
  // parts), its generic words and parts are left out: they would reach and rank most profiles
  // for saying little. Otherwise ("verkoopster", "productiemedewerker", or "flexkracht
  // productie" when nobody holds "flex") the text keeps its words, and their parts that say
  // something. Without `reaches`, every word is taken to reach someone.
  std::vector<SearchWord> SearchWords(
      const std::string& text,
      const std::function<bool(const std::string&)>& reaches = nullptr) const;

  // Whether `word` says little about a job: each of its parts is generic, or a stop word.
  bool IsGeneric(const std::string& word) const;
  // Whether `word` says nothing about a job: each of its parts is held by at least kNamingShare
  // of the occupations ("medewerker", "operator"), or a stop word. Never a reason shown.
  bool SaysNothing(const std::string& word) const;
  // The measured weight of one part (DutchWords::Parts); 0 for a part no label holds.
  double PartWeight(const std::string& part) const;

  const DutchWords& dutch_words() const { return *words_; }

  // `text` with each word that `misspelled` accepts replaced by the nearest occupation word (at
  // most one edit for words up to six letters, two for longer ones) whose `frequency` is above
  // zero and at least `min_ratio` times the word's own, preferring the word with the highest
  // `frequency`; empty if no word needed or found a replacement.
  std::string SuggestSpelling(const std::string& text,
                              const std::function<bool(const std::string&)>& misspelled,
                              const std::function<int64_t(const std::string&)>& frequency,
                              double min_ratio) const;
  // Whether `word` is a word of an occupation label (lower case), as SuggestSpelling offers.
  bool IsLabelWord(const std::string& word) const;
  // `text` with each compound written apart joined again, when the joined word (directly or
  // with the linking -s-) is a word of an occupation label: "order picker" -> "orderpicker",
  // "bediening medewerker" -> "bedieningsmedewerker". Profiles hold the compound, and its parts
  // only when the dictionary knows them; the rest of the text is kept as its words (lower
  // case). `text` itself when nothing joins.
  std::string JoinSplitCompounds(const std::string& text) const;

  // Lower-cased words of `text` (letters, digits and inner hyphens), as the vocabulary sees them.
  static std::vector<std::string> Words(const std::string& text);

 private:
  // Words(), and for each whether a sentence ends after it (at ".", "!", "?", ";", ":" or the
  // end of the text; a comma does not end one: "Je maakt kantoren, scholen en winkels schoon").
  static std::vector<std::string> Words(const std::string& text, std::vector<bool>* sentence_ends);
  // One label variant as parts.
  struct Label {
    uint32_t occupation;          // index into reference occupations
    uint32_t text;                // index into label_texts_
    std::vector<uint32_t> parts;  // part ids, unique
    int32_t head = -1;            // part id of the head of a one-word compound label, or -1
    double weight = 0;            // sum of its parts' weights
    bool preferred = false;       // a variant of the occupation's preferred label
    bool shadowed = false;        // an alternative that is another occupation's preferred label
    bool informative = false;     // has a part that is not generic
    bool names = false;           // has a part below kNamingShare
    uint32_t words = 0;           // its words that are not stop words
  };
  // A vacancy word's part, with where the word stands.
  struct QueryPart {
    uint32_t part;
    size_t position;
  };
  // What a vacancy word is: its head part if informative, kGenericHead if generic,
  // kUnknownHead if no label holds it (then it is informative too, and no label has it); and
  // whether it names a person by itself (an agent noun: "afwasser", "medewerker").
  static constexpr int64_t kGenericHead = -1;
  static constexpr int64_t kUnknownHead = -2;
  struct QueryWord {
    int64_t head = kGenericHead;
    size_t content_position = 0;  // counting the words that are not stop words
    bool person = false;
    bool verb = false;     // a present-tense verb form ("verzamelt")
    std::string particle;  // of a separable verb written apart ("maakt ... schoon"), if any
  };
  struct Query {
    std::vector<std::string> words;
    std::vector<QueryWord> word_info;  // by position
    std::vector<QueryPart> parts;      // known parts, in text order
    std::vector<QueryPart> heads;      // heads of compound words and of the last word
    // Content positions of the generic words that name a person ("medewerker").
    std::vector<size_t> generic_persons;
    double weight = 0;  // of its distinct known parts
    const QueryPart* Find(uint32_t part) const;
  };

  // Adds one label variant; `parts_of` remembers the parts of words already seen (labels
  // repeat words, and splitting is the costly step of construction).
  void AddLabel(uint32_t occupation, bool preferred, const std::string& label,
                absl::flat_hash_map<std::string, std::vector<std::string>>& parts_of);
  void MeasureWeights(size_t occupation_count);
  // Marks the alternative labels that are another occupation's preferred label.
  void MarkShadowedLabels();
  // The vacancy's words as parts.
  Query ReadQuery(const std::string& text) const;
  // The stem of the separable verb whose finite form is query.words[verb], with its particle
  // later in the same sentence ("maakt ... schoon" -> "schoonmaak"), when labels hold every part
  // of the joined verb; marks the particle's position in `particles` and notes the particle in
  // the verb's QueryWord. Empty when there is none.
  std::string JoinParticle(const std::vector<bool>& sentence_ends, size_t verb,
                           std::vector<bool>& particles, Query& query) const;
  // How a vacancy names one label: the score (NamedOccupation::score), the share of the whole
  // text's weight the label explains (to order labels carried by the same words), and the
  // positions of the words that carry it.
  struct LabelMatch {
    double score = 0;
    double text_share = 0;
    std::vector<size_t> carriers;
  };
  // Whether `query` names `label`: it holds every informative part, and its generic parts too
  // unless a word that carries the label names a person by itself, or a generic word of the
  // text does; and no carrying word has an informative head the label lacks.
  std::optional<LabelMatch> Names(const Query& query, const Label& label) const;
  bool IsStopWord(const std::string& word) const;
  // Part id of `part`, adding it when `add`; -1 when unknown.
  int64_t PartId(const std::string& part, bool add);

  std::shared_ptr<const DutchWords> words_;
  std::vector<std::string> codes_;        // ESCO code of each reference occupation
  std::vector<bool> entry_level_;         // of each reference occupation
  std::vector<std::string> label_texts_;  // each variant as ESCO writes it
  std::vector<std::string> stopwords_;    // sorted
  absl::flat_hash_map<std::string, uint32_t> part_ids_;
  std::vector<double> part_weight_;
  std::vector<bool> part_generic_;
  std::vector<bool> part_names_;  // held by less than kNamingShare
  std::vector<Label> labels_;
  // By informative part; a label without one by its parts below kNamingShare.
  std::vector<std::vector<uint32_t>> labels_by_part_;
  std::vector<std::vector<uint32_t>> labels_by_head_;
  // Words of occupation labels, by length, for spelling suggestions.
  std::vector<std::vector<std::string>> words_by_length_;
};

}  // namespace verkenner::engine

#endif  // VERKENNER_ENGINE_QUERY_VOCABULARY_H_
