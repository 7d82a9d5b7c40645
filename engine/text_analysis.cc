#include "engine/text_analysis.h"

#include "engine/schema.h"

namespace verkenner::engine {
namespace {

// Xapian takes stoppers as intrusive ref-counted objects; release() hands ownership to Xapian.
Xapian::Stopper* MakeStopper(const std::vector<std::string>& words) {
  auto* stopper = new Xapian::SimpleStopper(words.begin(), words.end());
  return stopper->release();
}

}  // namespace

TextAnalysis::TextAnalysis(const std::vector<std::string>& stopwords) : stopwords_(stopwords) {}

Xapian::TermGenerator TextAnalysis::MakeTermGenerator() const {
  Xapian::TermGenerator generator;
  // A stemmer of its own: Xapian::Stem copies share one Snowball state, which is not safe to
  // use from two threads, and each index shard writer runs on its own thread.
  generator.set_stemmer(Xapian::Stem(schema::kStemLanguage));
  generator.set_stopper(MakeStopper(stopwords_));
  generator.set_stemming_strategy(Xapian::TermGenerator::STEM_ALL);
  generator.set_stopper_strategy(Xapian::TermGenerator::STOP_ALL);
  return generator;
}

}  // namespace verkenner::engine
