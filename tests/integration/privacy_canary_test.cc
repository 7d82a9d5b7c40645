// The personal-data canary: import 10,000 generated profiles with verkenner-index, then look for
// every fake BSN, name, street, phone number, e-mail address and client number in every file of
// the index directory, in everything a search can read from the index, in the indexer's output
// and in its rejected-rows report. Zero hits.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <xapian.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <unordered_map>

#include "absl/strings/ascii.h"
#include "absl/strings/str_split.h"
#include "engine/refdata/reference_data.h"
#include "engine/schema.h"
#include "engine/text_analysis.h"
#include "indexer/source_format.h"
#include "indexer/synthetic/synthetic_profile_generator.h"

namespace verkenner {
namespace {

constexpr int kProfiles = 10000;

std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// Everything a reader of the index can get out of it, decompressed, lower-cased.
std::string LogicalDump(const std::string& path, std::set<std::string>& terms) {
  Xapian::Database database(path);
  std::string dump;
  for (auto term = database.allterms_begin(); term != database.allterms_end(); ++term) {
    terms.insert(*term);
    dump += *term + "\n";
  }
  for (auto posting = database.postlist_begin(""); posting != database.postlist_end("");
       ++posting) {
    Xapian::Document document = database.get_document(*posting);
    dump += document.get_data() + "\n";
    for (auto value = document.values_begin(); value != document.values_end(); ++value) {
      dump += *value + "\n";
    }
  }
  for (auto key = database.metadata_keys_begin(); key != database.metadata_keys_end(); ++key) {
    dump += *key + "=" + database.get_metadata(*key) + "\n";
  }
  return absl::AsciiStrToLower(dump);
}

// Words that are not personal even when they are also someone's name: Dutch surnames are often
// occupations or words (Bakker, Visser, Groen). They come from the reference data and from the
// non-personal fields of the file (occupations, sectors, skills, diplomas, affinities; not the
// free-text wishes), so a name that leaked through a personal field cannot hide behind them.
std::set<std::string> OrdinaryWords(const engine::ReferenceData& reference,
                                    const std::vector<v1::SourceProfile>& profiles) {
  std::set<std::string> words;
  // Each word with the compound parts and base forms the index adds for it (TextAnalysis::
  // WordParts): "diepvries" brings "vries", which is also a last name.
  auto add_words = [&](const std::string& text) {
    for (absl::string_view word : absl::StrSplit(text, absl::ByAnyChar(" -/(),'_"))) {
      if (word.empty()) continue;
      const std::string lower = absl::AsciiStrToLower(std::string(word));
      for (std::string& part : engine::TextAnalysis::WordParts(lower)) words.insert(part);
      words.insert(lower);
    }
  };
  for (const v1::SourceProfile& profile : profiles) {
    for (const auto& experience : profile.work_experience()) {
      add_words(experience.occupation());
      add_words(experience.sector());
    }
    for (const std::string& skill : profile.skills()) add_words(skill);
    for (const std::string& diploma : profile.diplomas()) add_words(diploma);
    for (const std::string& affinity : profile.affinities()) add_words(affinity);
    for (const std::string& need : profile.support_needs()) add_words(need);
  }
  for (const auto& occupation : reference.occupations()) {
    add_words(occupation.label);
    for (const auto& alt : occupation.alt_labels) add_words(alt);
  }
  for (const auto& level : reference.education_levels()) add_words(level.label);
  for (const auto& municipality : reference.municipalities()) add_words(municipality.name);
  for (const auto& region : reference.regions()) add_words(region.name);
  for (const auto& word : reference.stopwords()) words.insert(word);
  // The index holds stems: "reinigen" becomes "rein", which is also a first name.
  Xapian::Stem stemmer(engine::schema::kStemLanguage);
  std::set<std::string> stems;
  for (const std::string& word : words) stems.insert(stemmer(word));
  words.insert(stems.begin(), stems.end());
  return words;
}

// Many lower-case needles searched in one pass over a text: candidates are found by the first
// four bytes (every needle has at least four), then compared in full.
class NeedleSet {
 public:
  void Add(const std::string& needle, const char* what) {
    const std::string lower = absl::AsciiStrToLower(needle);
    by_prefix_[Prefix(lower.data())].push_back(needles_.size());
    needles_.push_back({lower, what});
  }

  // "what: needle" for each needle found (each reported once).
  std::vector<std::string> FindIn(const std::string& text, bool whole_words) const {
    std::vector<std::string> hits;
    std::vector<bool> reported(needles_.size());
    for (size_t at = 0; at + 4 <= text.size(); ++at) {
      auto candidates = by_prefix_.find(Prefix(text.data() + at));
      if (candidates == by_prefix_.end()) continue;
      for (size_t index : candidates->second) {
        const auto& [needle, what] = needles_[index];
        if (reported[index] || text.compare(at, needle.size(), needle) != 0) continue;
        if (whole_words) {
          const size_t after = at + needle.size();
          if ((at > 0 && absl::ascii_isalnum(text[at - 1])) ||
              (after < text.size() && absl::ascii_isalnum(text[after]))) {
            continue;
          }
        }
        reported[index] = true;
        hits.push_back(std::string(what) + ": " + needle + " near \"" +
                       text.substr(at < 30 ? 0 : at - 30, 60) + "\"");
      }
    }
    return hits;
  }

 private:
  static uint32_t Prefix(const char* bytes) {
    uint32_t prefix = 0;
    std::memcpy(&prefix, bytes, sizeof(prefix));
    return prefix;
  }

  std::vector<std::pair<std::string, const char*>> needles_;
  std::unordered_map<uint32_t, std::vector<size_t>> by_prefix_;
};

TEST(PrivacyCanaryTest, NoPersonalValueReachesIndexLogsOrReports) {
  const std::filesystem::path directory =
      std::filesystem::temp_directory_path() / ("verkenner-canary-" + std::to_string(getpid()));
  std::filesystem::remove_all(directory);
  std::filesystem::create_directories(directory);
  {
    std::ofstream key(directory / "key", std::ios::binary);
    key << std::string(32, 'c');
  }
  chmod((directory / "key").c_str(), 0600);

  auto reference = engine::ReferenceData::Load(engine::ReferenceData::DefaultDirectory());
  ASSERT_TRUE(reference.ok()) << reference.status();
  indexer::SyntheticProfileGenerator::Options options;
  options.seed = 2026;
  options.invalid_share = 0.03;  // rejected rows must not leak through the report either
  auto generator = indexer::SyntheticProfileGenerator::Create(
      *reference, engine::ReferenceData::DefaultDirectory(), options);
  ASSERT_TRUE(generator.ok()) << generator.status();
  std::vector<v1::SourceProfile> profiles(kProfiles);
  std::string csv = indexer::FormatCsvHeader(';') + "\n";
  for (v1::SourceProfile& profile : profiles) {
    (*generator)->Next(&profile);
    indexer::AppendCsvRow(profile, ';', &csv);
    csv.push_back('\n');
  }
  const std::filesystem::path input = directory / "input" / "export.csv";
  std::filesystem::create_directories(input.parent_path());
  std::ofstream(input) << csv;

  const std::filesystem::path index = directory / "out" / "index";
  const std::filesystem::path report = directory / "out" / "rejected.csv";
  const std::filesystem::path log = directory / "out" / "indexer.log";
  std::filesystem::create_directories(index.parent_path());
  pid_t child = fork();
  if (child == 0) {
    freopen(log.c_str(), "w", stdout);
    dup2(fileno(stdout), fileno(stderr));
    const std::string index_flag = "--index=" + index.string();
    const std::string vault_flag = "--vault=" + (directory / "vault").string();
    const std::string key_flag = "--key_file=" + (directory / "key").string();
    const std::string report_flag = "--report=" + report.string();
    execl(VERKENNER_INDEX_BINARY, VERKENNER_INDEX_BINARY, index_flag.c_str(), vault_flag.c_str(),
          key_flag.c_str(), report_flag.c_str(), "--show_rejected=1000", input.c_str(),
          static_cast<char*>(nullptr));
    _exit(127);
  }
  int status = 0;
  waitpid(child, &status, 0);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 3)
      << "expected an import with rejected rows; " << ReadFile(log);

  // The indexer's output and report; the raw bytes of every index file (not of the vault, whose
  // job is to hold client numbers); and the index's decompressed logical content. Short values
  // and names are not searched in the raw index files: their compressed bytes match four-letter
  // names by chance, and the logical dump covers their content.
  const std::string text_output = absl::AsciiStrToLower(ReadFile(log) + "\n" + ReadFile(report));
  std::string raw_index;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(index)) {
    if (entry.is_regular_file()) raw_index += ReadFile(entry.path()) + "\n";
  }
  const std::string raw_lower = absl::AsciiStrToLower(raw_index);
  std::set<std::string> terms;
  const std::string logical = LogicalDump(index.string(), terms);
  ASSERT_GT(logical.size(), 1000000u) << "the index looks empty; the test would prove nothing";

  const std::set<std::string> ordinary = OrdinaryWords(**reference, profiles);
  // Every needle (a personal value, lower-cased) with what it is, in one multi-pattern search per
  // haystack: 70,000 separate find() calls over megabytes took minutes under ASan.
  NeedleSet values;       // anywhere in the text
  NeedleSet names;        // as whole words
  NeedleSet long_values;  // 10+ characters, also searched in the raw index files
  int checked = 0;
  auto add_value = [&](const std::string& value, const char* what) {
    if (value.size() < 4) return;  // too short to mean anything in a byte search
    ++checked;
    values.Add(value, what);
    if (value.size() >= 10) long_values.Add(value, what);
  };
  auto add_name = [&](const std::string& name, const char* what) {
    for (absl::string_view part : absl::StrSplit(name, ' ')) {
      const std::string word = absl::AsciiStrToLower(std::string(part));
      if (word.size() < 4 || ordinary.contains(word)) continue;
      ++checked;
      names.Add(word, what);
      EXPECT_FALSE(terms.contains(word) || terms.contains("Z" + word)) << what << ": " << name;
    }
  };
  for (const v1::SourceProfile& profile : profiles) {
    add_value(profile.bsn(), "BSN");
    add_value(profile.phone(), "phone number");
    add_value(profile.email(), "e-mail address");
    add_value(profile.client_number(), "client number");
    add_value(profile.birth_date(), "birth date");
    if (!profile.street().empty()) {
      add_value(profile.street() + " " + profile.house_number(), "address");
    }
    add_value(profile.postcode(), "postcode");
    add_name(profile.first_name(), "first name");
    add_name(profile.last_name(), "last name");
    add_name(profile.street(), "street");
  }
  for (const auto& [text, where] :
       {std::pair{&text_output, "the indexer's output or report"}, {&logical, "the index"}}) {
    for (const std::string& hit : values.FindIn(*text, /*whole_words=*/false)) {
      ADD_FAILURE() << hit << " in " << where;
    }
    for (const std::string& hit : names.FindIn(*text, /*whole_words=*/true)) {
      ADD_FAILURE() << hit << " as a word in " << where;
    }
  }
  for (const std::string& hit : long_values.FindIn(raw_lower, /*whole_words=*/false)) {
    ADD_FAILURE() << hit << " in an index file";
  }
  EXPECT_GT(checked, kProfiles * 6);
  std::filesystem::remove_all(directory);
}

}  // namespace
}  // namespace verkenner
