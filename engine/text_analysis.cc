#include "engine/text_analysis.h"

#include <string>
#include <unordered_map>

#include "absl/container/flat_hash_map.h"
#include "engine/dutch_words.h"
#include "engine/query_vocabulary.h"
#include "engine/schema.h"

namespace verkenner::engine {
namespace {

// Xapian takes stoppers as intrusive ref-counted objects; release() hands ownership to Xapian.
Xapian::Stopper* MakeStopper(const std::vector<std::string>& words) {
  auto* stopper = new Xapian::SimpleStopper(words.begin(), words.end());
  return stopper->release();
}

// Xapian's Snowball stemmer, remembering the words it has stemmed. Profile text draws on a small
// vocabulary (occupations, skills, diplomas), and Snowball's Dutch rules took a tenth of an
// import worker's time; a look-up takes a fraction of that. Like the stemmer it wraps, one
// instance is for one thread.
class MemoizingStemmer : public Xapian::StemImplementation {
 public:
  explicit MemoizingStemmer(const std::string& language) : stemmer_(language) {}

  std::string operator()(const std::string& word) override {
    if (auto known = memo_.find(word); known != memo_.end()) return known->second;
    std::string stem = stemmer_(word);
    // Bounded: free text can bring any number of distinct words.
    if (memo_.size() >= kMaxWords) memo_.clear();
    memo_.emplace(word, stem);
    return stem;
  }

  std::string get_description() const override { return "memoizing " + stemmer_.get_description(); }

 private:
  static constexpr size_t kMaxWords = 100'000;
  Xapian::Stem stemmer_;
  std::unordered_map<std::string, std::string> memo_;
};

}  // namespace

TextAnalysis::TextAnalysis(const std::vector<std::string>& stopwords) : stopwords_(stopwords) {}

Xapian::TermGenerator TextAnalysis::MakeTermGenerator() const {
  Xapian::TermGenerator generator;
  // A stemmer of its own: Xapian::Stem copies share one Snowball state, which is not safe to
  // use from two threads, and each index shard writer runs on its own thread.
  generator.set_stemmer(Xapian::Stem(new MemoizingStemmer(schema::kStemLanguage)));
  generator.set_stopper(MakeStopper(stopwords_));
  generator.set_stemming_strategy(Xapian::TermGenerator::STEM_ALL);
  generator.set_stopper_strategy(Xapian::TermGenerator::STOP_ALL);
  return generator;
}

std::vector<std::string> TextAnalysis::WordParts(const std::string& word) {
  static const std::shared_ptr<const DutchWords> words = DutchWords::Shared().value_or(nullptr);
  if (words == nullptr) return {};
  // Profile text repeats a small vocabulary; splitting is the costly step of indexing it.
  // Bounded, as free text can bring any number of distinct words.
  static constexpr size_t kMaxWords = 100'000;
  thread_local absl::flat_hash_map<std::string, std::vector<std::string>> memo;
  if (auto known = memo.find(word); known != memo.end()) return known->second;
  std::vector<std::string> parts = words->Parts(word);
  std::erase(parts, word);
  // A verb form is searched as itself: "helpt" is no part "help" of a profile's "helpdesk".
  // Its stem serves to recognise occupations ("Je verzamelt orders": orderverzamelaar).
  if (words->VerbStem(word) != word) parts.clear();
  if (memo.size() >= kMaxWords) memo.clear();
  memo.emplace(word, parts);
  return parts;
}

std::string TextAnalysis::WithWordParts(const std::string& text) {
  std::string result = text;
  for (const std::string& word : QueryVocabulary::Words(text)) {
    for (const std::string& part : WordParts(word)) {
      result.push_back(' ');
      result.append(part);
    }
  }
  return result;
}

}  // namespace verkenner::engine
