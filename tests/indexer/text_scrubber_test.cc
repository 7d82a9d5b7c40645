#include "indexer/text_scrubber.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <fstream>
#include <iterator>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "engine/refdata/reference_data.h"
#include "indexer/synthetic/synthetic_profile_generator.h"

namespace verkenner::indexer {
namespace {

constexpr std::string_view kLeftOut = "<LEFT OUT>";

std::shared_ptr<const engine::ReferenceData> LoadReference() {
  static const auto* const reference = [] {
    auto loaded = engine::ReferenceData::Load(engine::ReferenceData::DefaultDirectory());
    EXPECT_TRUE(loaded.ok()) << loaded.status();
    return new std::shared_ptr<const engine::ReferenceData>(loaded.ok() ? *loaded : nullptr);
  }();
  return *reference;
}

const TextScrubber& Scrubber() {
  static const auto* const scrubber = new TextScrubber(LoadReference()->stopwords());
  return *scrubber;
}

// The person of every golden case without a third column.
ScrubContext DefaultPerson() {
  return ScrubContext{{"Noëlle", "Berg", "van der Berg", "Kerkstraat", "Zeist"}};
}

std::string Lower(std::string_view text) { return absl::AsciiStrToLower(std::string(text)); }
std::string Upper(std::string_view text) { return absl::AsciiStrToUpper(std::string(text)); }

// Shows control characters and invalid bytes, so that a failing case can be read.
std::string Printable(std::string_view text) {
  std::string out;
  for (char c : text) {
    auto byte = static_cast<unsigned char>(c);
    if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (byte < 0x20 || byte == 0x7F) {
      absl::StrAppend(&out, "\\x", absl::Hex(byte, absl::kZeroPad2));
    } else {
      out.push_back(c);
    }
  }
  return out;
}

// Undoes the escapes of the golden file: \t, \n, \\ and \xHH.
std::string Unescape(std::string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '\\' || i + 1 == text.size()) {
      out.push_back(text[i]);
      continue;
    }
    char kind = text[++i];
    if (kind == 't') {
      out.push_back('\t');
    } else if (kind == 'n') {
      out.push_back('\n');
    } else if (kind == 'x' && i + 2 < text.size()) {
      out.push_back(static_cast<char>(std::stoi(std::string(text.substr(i + 1, 2)), nullptr, 16)));
      i += 2;
    } else {
      out.push_back(kind);
    }
  }
  return out;
}

struct GoldenCase {
  int line = 0;
  std::string input;
  std::optional<std::string> expected;  // nullopt: the text must be left out
  ScrubContext context;
};

// Reads scrub_golden.tsv: input<TAB>expected[<TAB>person words separated by '|', or "-" for
// none]. An input "@repeat N text" stands for text repeated N times.
std::vector<GoldenCase> ReadGoldenCases() {
  std::string path = std::string(VERKENNER_TESTDATA_DIR) + "/scrub_golden.tsv";
  std::ifstream file(path);
  EXPECT_TRUE(file.good()) << "cannot read " << path;
  std::vector<GoldenCase> cases;
  std::string line;
  for (int number = 1; std::getline(file, line); ++number) {
    if (line.empty() || line[0] == '#') continue;
    std::vector<std::string> columns = absl::StrSplit(line, '\t');
    if (columns.size() < 2 || columns.size() > 3) {
      ADD_FAILURE() << "scrub_golden.tsv:" << number << ": expected 2 or 3 columns";
      continue;
    }
    GoldenCase golden;
    golden.line = number;
    std::string input = Unescape(columns[0]);
    if (input.starts_with("@repeat ")) {
      std::vector<std::string> parts = absl::StrSplit(input, absl::MaxSplits(' ', 2));
      for (int i = std::stoi(parts[1]); i > 0; --i) golden.input += parts[2];
    } else {
      golden.input = input;
    }
    if (columns[1] != kLeftOut) golden.expected = Unescape(columns[1]);
    if (columns.size() == 3) {
      if (columns[2] != "-") {
        golden.context.person_words = absl::StrSplit(Unescape(columns[2]), '|');
      }
    } else {
      golden.context = DefaultPerson();
    }
    cases.push_back(std::move(golden));
  }
  return cases;
}

TEST(TextScrubberTest, GoldenCases) {
  std::vector<GoldenCase> cases = ReadGoldenCases();
  EXPECT_GE(cases.size(), 40u);
  for (const GoldenCase& golden : cases) {
    std::optional<std::string> actual = Scrubber().Scrub(golden.input, golden.context);
    if (actual != golden.expected) {
      ADD_FAILURE() << "scrub_golden.tsv:" << golden.line
                    << "\n  input:    " << Printable(golden.input)
                    << "\n  expected: " << (golden.expected ? *golden.expected : kLeftOut)
                    << "\n  actual:   " << (actual ? Printable(*actual) : kLeftOut);
    }
  }
}

TEST(TextScrubberTest, KeepsTextAtTheLengthLimitAndRefusesLonger) {
  std::string text;
  while (text.size() + 28 <= TextScrubber::kMaxTextBytes) text += "Ik wil graag buiten werken. ";
  text.append(TextScrubber::kMaxTextBytes - text.size(), 'x');
  ASSERT_EQ(text.size(), TextScrubber::kMaxTextBytes);
  EXPECT_TRUE(Scrubber().Scrub(text, DefaultPerson()).has_value());
  text.push_back('x');
  EXPECT_EQ(Scrubber().Scrub(text, DefaultPerson()), std::nullopt);
}

TEST(TextScrubberTest, PersonWordsGoWhateverTheirCaseOrAccents) {
  for (std::string_view name : {"Noëlle", "NOËLLE", "noëlle", "Noelle", "NOELLE", "noelle",
                                "Noe\xcc\x88lle", "Noëlle's", "noelles", "NOËLLE’S"}) {
    std::string text = "Ik werk graag buiten met dieren, zegt " + std::string(name) + " zelf.";
    EXPECT_EQ(Scrubber().Scrub(text, DefaultPerson()),
              "Ik werk graag buiten met dieren, zegt […] zelf.")
        << name;
  }
}

TEST(TextScrubberTest, OnlyTheGivenPersonsLowerCaseWordsGo) {
  std::string text = "ik wil graag in het groen werken met bloemen en planten.";
  EXPECT_EQ(Scrubber().Scrub(text, ScrubContext{}), text);
  EXPECT_EQ(Scrubber().Scrub(text, ScrubContext{{"Groen"}}),
            "ik wil graag in het […] werken met bloemen en planten.");
  // A tussenvoegsel names nobody on its own.
  EXPECT_EQ(Scrubber().Scrub(text, ScrubContext{{"het"}}), text);
}

TEST(TextScrubberTest, PersonWordsWithBadBytesStillCountAsFarAsTheyDecode) {
  // A mangled export must not let the readable part of a name through.
  EXPECT_EQ(Scrubber().Scrub("ik werk graag samen met jan in de keuken.",
                             ScrubContext{{"Jan\xff", "Pie\x01ter"}}),
            "ik werk graag samen met […] in de keuken.");
}

TEST(TextScrubberTest, ScrubContextForHoldsNamesStreetAndCity) {
  v1::SourceProfile profile;
  profile.set_first_name("Noëlle");
  profile.set_name_prefix("van der");
  profile.set_last_name("Berg");
  profile.set_street("Kerkstraat");
  profile.set_city("Zeist");
  profile.set_phone("06-12345678");
  EXPECT_EQ(ScrubContextFor(profile).person_words,
            (std::vector<std::string>{"Noëlle", "Berg", "van der Berg", "Kerkstraat", "Zeist"}));
  profile.clear_name_prefix();
  profile.clear_street();
  EXPECT_EQ(ScrubContextFor(profile).person_words,
            (std::vector<std::string>{"Noëlle", "Berg", "Zeist"}));
}

// ---------------------------------------------------------------------------------------------
// Properties over generated profiles.

// Whether `word` occurs in `text` with no letter or digit directly before or after it. Both are
// compared in lower case; bytes of multi-byte characters count as letters.
bool ContainsWord(std::string_view text, std::string_view word) {
  auto is_word_byte = [](char c) {
    return absl::ascii_isalnum(static_cast<unsigned char>(c)) ||
           static_cast<unsigned char>(c) >= 0x80;
  };
  std::string lower_text = Lower(text);
  std::string lower_word = Lower(word);
  for (size_t at = lower_text.find(lower_word); at != std::string::npos;
       at = lower_text.find(lower_word, at + 1)) {
    size_t end = at + lower_word.size();
    if ((at == 0 || !is_word_byte(lower_text[at - 1])) &&
        (end == lower_text.size() || !is_word_byte(lower_text[end]))) {
      return true;
    }
  }
  return false;
}

std::string DigitsOf(std::string_view text) {
  std::string digits;
  for (char c : text) {
    if (absl::ascii_isdigit(static_cast<unsigned char>(c))) digits.push_back(c);
  }
  return digits;
}

// The personal values of `profile` found in `scrubbed`, empty if none.
std::vector<std::string> Leaks(const v1::SourceProfile& profile, std::string_view scrubbed) {
  const std::vector<std::string>& stopwords = LoadReference()->stopwords();
  std::vector<std::string> leaks;
  auto check_words = [&](const std::string& value) {
    if (value.empty()) return;
    if (ContainsWord(scrubbed, value)) leaks.push_back(value);
    // Each distinctive word of a value of several words: "Bernhardstraat" of "Prins
    // Bernhardstraat".
    std::vector<std::string> parts = absl::StrSplit(value, absl::ByAnyChar(" -.()"));
    for (const std::string& part : parts) {
      if (part.size() >= 4 && part != value &&
          std::find(stopwords.begin(), stopwords.end(), Lower(part)) == stopwords.end() &&
          ContainsWord(scrubbed, part)) {
        leaks.push_back(part);
      }
    }
  };
  check_words(profile.first_name());
  check_words(profile.last_name());
  if (!profile.name_prefix().empty()) {
    check_words(profile.name_prefix() + " " + profile.last_name());
  }
  check_words(profile.street());
  check_words(profile.city());
  std::string lower = Lower(scrubbed);
  if (!profile.email().empty() && lower.find(Lower(profile.email())) != std::string::npos) {
    leaks.push_back(profile.email());
  }
  if (!profile.postcode().empty() && (lower.find(Lower(profile.postcode())) != std::string::npos ||
                                      ContainsWord(scrubbed, profile.postcode().substr(0, 4)))) {
    leaks.push_back(profile.postcode());
  }
  std::string digits = DigitsOf(scrubbed);
  std::string phone = DigitsOf(profile.phone());
  // The national number without its 0 or +31, which every notation shares.
  if (phone.size() >= 9 && digits.find(phone.substr(phone.size() - 9)) != std::string::npos) {
    leaks.push_back(profile.phone());
  }
  if (!profile.bsn().empty() && digits.find(profile.bsn()) != std::string::npos) {
    leaks.push_back(profile.bsn());
  }
  return leaks;
}

class TextScrubberPropertyTest : public ::testing::Test {
 protected:
  static constexpr int kProfiles = 2000;

  void SetUp() override {
    SyntheticProfileGenerator::Options options;
    options.seed = 20261101;
    auto generator = SyntheticProfileGenerator::Create(
        LoadReference(), engine::ReferenceData::DefaultDirectory(), options);
    ASSERT_TRUE(generator.ok()) << generator.status();
    for (int i = 0; i < kProfiles; ++i) {
      (*generator)->Next(&profiles_.emplace_back());
    }
  }

  std::vector<v1::SourceProfile> profiles_;
};

TEST_F(TextScrubberPropertyTest, GeneratedWishesKeepNoPersonalValueAndMostlySurvive) {
  int with_wishes = 0;
  int survived = 0;
  int with_personal_data = 0;
  for (const v1::SourceProfile& profile : profiles_) {
    if (profile.wishes().empty()) continue;
    ++with_wishes;
    if (!Leaks(profile, profile.wishes()).empty()) ++with_personal_data;
    std::optional<std::string> scrubbed =
        Scrubber().Scrub(profile.wishes(), ScrubContextFor(profile));
    if (!scrubbed) continue;
    ++survived;
    EXPECT_EQ(Leaks(profile, *scrubbed), std::vector<std::string>{})
        << profile.wishes() << "\n  -> " << *scrubbed;
    // Scrubbed text is a fixed point: nothing left in it looks personal any more.
    EXPECT_EQ(Scrubber().Scrub(*scrubbed, ScrubContextFor(profile)), scrubbed) << *scrubbed;
  }
  ASSERT_GT(with_wishes, kProfiles / 2);
  // The generator must give the scrubber something to catch, or this test proves little.
  EXPECT_GT(with_personal_data, with_wishes / 10);
  EXPECT_GE(survived, with_wishes * 8 / 10) << survived << " of " << with_wishes << " survived";
  RecordProperty("survived_percent", survived * 100 / with_wishes);
}

TEST_F(TextScrubberPropertyTest, InjectedPersonalValuesNeverSurviveInAnyCase) {
  static constexpr std::string_view kTemplates[] = {
      "Ik woon op de {street} {house} in {city}.",
      "Mijn adres: {street} {house}, {postcode} {city}.",
      "Mijn naam is {name}.",
      "Groetjes, {name}",
      "Mijn BSN is {bsn} en mijn telefoon {phone}.",
      "Mail {email} of bel {phone}.",
      "{first} woont in {city} ({postcode}).",
      "Bel {first} op {phone}, ik woon in {city}.",
  };
  int survived = 0;
  for (size_t i = 0; i < profiles_.size(); ++i) {
    const v1::SourceProfile& profile = profiles_[i];
    // As written, all lower case, all upper case (ASCII): a caseworker's notes come in each.
    auto variant = [&](const std::string& value) {
      switch (i % 3) {
        case 0:
          return value;
        case 1:
          return Lower(value);
        default:
          return Upper(value);
      }
    };
    std::string name = profile.first_name();
    if (!profile.name_prefix().empty()) absl::StrAppend(&name, " ", profile.name_prefix());
    absl::StrAppend(&name, " ", profile.last_name());
    std::string_view pattern = kTemplates[(i / 3) % std::size(kTemplates)];
    std::string text = profile.wishes().empty() ? "Ik zoek werk in de buurt." : profile.wishes();
    text.push_back(' ');
    for (size_t k = 0; k < pattern.size(); ++k) {
      if (pattern[k] != '{') {
        text.push_back(pattern[k]);
        continue;
      }
      size_t close = pattern.find('}', k);
      std::string_view field = pattern.substr(k + 1, close - k - 1);
      k = close;
      std::string value = field == "street"     ? profile.street()
                          : field == "house"    ? profile.house_number()
                          : field == "city"     ? profile.city()
                          : field == "postcode" ? profile.postcode()
                          : field == "name"     ? name
                          : field == "first"    ? profile.first_name()
                          : field == "bsn"      ? profile.bsn()
                          : field == "phone"    ? profile.phone()
                                                : profile.email();
      text += variant(value);
    }
    std::optional<std::string> scrubbed = Scrubber().Scrub(text, ScrubContextFor(profile));
    if (!scrubbed) continue;
    ++survived;
    EXPECT_EQ(Leaks(profile, *scrubbed), std::vector<std::string>{})
        << text << "\n  -> " << *scrubbed;
  }
  // Most texts keep their wishes; a sentence of personal data alone may take a short text with it.
  EXPECT_GT(survived, kProfiles / 2);
  RecordProperty("survived", survived);
}

TEST_F(TextScrubberPropertyTest, SharedScrubberGivesTheSameResultsOnEveryThread) {
  auto scrub_all = [&](std::vector<std::optional<std::string>>* results) {
    for (const v1::SourceProfile& profile : profiles_) {
      results->push_back(Scrubber().Scrub(profile.wishes(), ScrubContextFor(profile)));
    }
  };
  std::vector<std::optional<std::string>> sequential;
  scrub_all(&sequential);
  std::vector<std::optional<std::string>> first;
  std::vector<std::optional<std::string>> second;
  std::thread thread([&] { scrub_all(&first); });
  scrub_all(&second);
  thread.join();
  EXPECT_EQ(first, sequential);
  EXPECT_EQ(second, sequential);
}

}  // namespace
}  // namespace verkenner::indexer
