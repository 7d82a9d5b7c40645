#include "indexer/synthetic/synthetic_profile_generator.h"

#include <algorithm>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "engine/refdata/reference_data.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "indexer/bsn.h"
#include "indexer/source_format.h"

namespace verkenner::indexer {
namespace {

using v1::SourceProfile;

constexpr int kRows = 5000;

class SyntheticProfileGeneratorTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto loaded = engine::ReferenceData::Load(engine::ReferenceData::DefaultDirectory());
    ASSERT_TRUE(loaded.ok()) << loaded.status();
    reference_ = new std::shared_ptr<const engine::ReferenceData>(*std::move(loaded));
  }
  static void TearDownTestSuite() {
    delete reference_;
    reference_ = nullptr;
  }

  static const engine::ReferenceData& reference() { return **reference_; }

  static std::unique_ptr<SyntheticProfileGenerator> Generator(
      const SyntheticProfileGenerator::Options& options) {
    auto generator = SyntheticProfileGenerator::Create(
        *reference_, engine::ReferenceData::DefaultDirectory(), options);
    EXPECT_TRUE(generator.ok()) << generator.status();
    return generator.ok() ? *std::move(generator) : nullptr;
  }

  static std::vector<SourceProfile> Generate(int count,
                                             const SyntheticProfileGenerator::Options& options) {
    std::unique_ptr<SyntheticProfileGenerator> generator = Generator(options);
    std::vector<SourceProfile> profiles;
    if (generator == nullptr) return profiles;
    profiles.resize(static_cast<size_t>(count));
    for (SourceProfile& profile : profiles) generator->Next(&profile);
    return profiles;
  }

  static std::vector<SourceProfile> Generate(int count) { return Generate(count, {}); }

  static std::string CsvBytes(int count, uint64_t seed) {
    SyntheticProfileGenerator::Options options;
    options.seed = seed;
    options.invalid_share = 0.05;
    options.delete_share = 0.05;
    std::string bytes = FormatCsvHeader(';') + "\n";
    for (const SourceProfile& profile : Generate(count, options)) {
      AppendCsvRow(profile, ';', &bytes);
      bytes.push_back('\n');
    }
    return bytes;
  }

  static std::string JsonLinesBytes(int count, uint64_t seed) {
    SyntheticProfileGenerator::Options options;
    options.seed = seed;
    options.invalid_share = 0.05;
    options.delete_share = 0.05;
    std::string bytes;
    for (const SourceProfile& profile : Generate(count, options)) {
      auto line = FormatJsonLine(profile);
      EXPECT_TRUE(line.ok());
      bytes += *line + "\n";
    }
    return bytes;
  }

  static std::shared_ptr<const engine::ReferenceData>* reference_;
};

std::shared_ptr<const engine::ReferenceData>* SyntheticProfileGeneratorTest::reference_ = nullptr;

// A strict ISO 8601 calendar date, "YYYY-MM-DD"; std::nullopt for anything else, including
// "1990-02-30".
std::optional<absl::CivilDay> ParseIsoDate(std::string_view text) {
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') return std::nullopt;
  int year, month, day;
  if (!absl::SimpleAtoi(absl::string_view(text.data(), 4), &year) ||
      !absl::SimpleAtoi(absl::string_view(text.data() + 5, 2), &month) ||
      !absl::SimpleAtoi(absl::string_view(text.data() + 8, 2), &day)) {
    return std::nullopt;
  }
  absl::CivilDay date(year, month, day);
  // CivilDay normalises 30 February to 2 March; a real date survives unchanged.
  if (date.year() != year || date.month() != month || date.day() != day) return std::nullopt;
  return date;
}

double Share(int part, int whole) { return whole == 0 ? 0 : static_cast<double>(part) / whole; }

TEST_F(SyntheticProfileGeneratorTest, SameSeedGivesSameBytes) {
  EXPECT_EQ(CsvBytes(2000, 42), CsvBytes(2000, 42));
  EXPECT_EQ(JsonLinesBytes(2000, 42), JsonLinesBytes(2000, 42));
}

TEST_F(SyntheticProfileGeneratorTest, DifferentSeedGivesDifferentBytes) {
  std::string first = CsvBytes(200, 1);
  std::string second = CsvBytes(200, 2);
  EXPECT_NE(first, second);
  // Not just one field: nearly every row differs.
  EXPECT_NE(first.substr(first.find('\n') + 1, 200), second.substr(second.find('\n') + 1, 200));
  EXPECT_NE(JsonLinesBytes(200, 1), JsonLinesBytes(200, 2));
}

TEST_F(SyntheticProfileGeneratorTest, LongerRunStartsWithTheShorterRun) {
  std::string longer = CsvBytes(300, 9);
  std::string shorter = CsvBytes(100, 9);
  EXPECT_EQ(longer.substr(0, shorter.size()), shorter);
}

TEST_F(SyntheticProfileGeneratorTest, EveryBsnPassesTheElfproef) {
  std::set<std::string> seen;
  for (const SourceProfile& profile : Generate(20'000)) {
    ASSERT_TRUE(IsValidBsn(profile.bsn())) << profile.bsn();
    seen.insert(profile.bsn());
  }
  EXPECT_GT(seen.size(), 19'900u);  // ~1.1e8 valid numbers: collisions are rare
}

TEST_F(SyntheticProfileGeneratorTest, EveryPostcodeIsARealPc4AreaWithItsPlace) {
  for (const SourceProfile& profile : Generate(kRows)) {
    std::optional<int> pc4 = engine::ParsePc4(profile.postcode());
    ASSERT_TRUE(pc4.has_value()) << profile.postcode();
    const engine::PostcodeArea* area = reference().FindPostcodeArea(*pc4);
    ASSERT_NE(area, nullptr) << profile.postcode();
    EXPECT_EQ(profile.city(), area->place);
    if (profile.source() != "UWV") {
      EXPECT_EQ(profile.source(), area->municipality_code);
    }
  }
}

TEST_F(SyntheticProfileGeneratorTest, MunicipalitiesGetProfilesInProportionToTheirAreas) {
  constexpr int kMany = 40'000;
  std::map<std::string, int> per_source;
  for (const SourceProfile& profile : Generate(kMany)) ++per_source[profile.source()];
  EXPECT_NEAR(Share(per_source["UWV"], kMany), 0.15, 0.015);
  std::map<std::string, int> areas;
  for (const engine::PostcodeArea& area : reference().postcode_areas()) {
    ++areas[area.municipality_code];
  }
  const double total_areas = static_cast<double>(reference().postcode_areas().size());
  // The municipalities with the most areas are large enough to compare; small ones are noise.
  int compared = 0;
  for (const auto& [code, count] : areas) {
    if (count < 40) continue;
    double expected = 0.85 * count / total_areas;
    EXPECT_NEAR(Share(per_source[code], kMany), expected, expected * 0.25) << code;
    ++compared;
  }
  EXPECT_GE(compared, 5);
  EXPECT_GT(per_source.size(), 300u);
}

TEST_F(SyntheticProfileGeneratorTest, ChosenSourcesOnlyDeliverTheirOwnResidents) {
  SyntheticProfileGenerator::Options options;
  options.sources = {"GM0344"};
  for (const SourceProfile& profile : Generate(500, options)) {
    ASSERT_EQ(profile.source(), "GM0344");
    const engine::PostcodeArea* area =
        reference().FindPostcodeArea(engine::ParsePc4(profile.postcode()).value_or(0));
    ASSERT_NE(area, nullptr);
    EXPECT_EQ(area->municipality_code, "GM0344");
  }
  options.sources = {"uwv"};
  for (const SourceProfile& profile : Generate(100, options)) EXPECT_EQ(profile.source(), "UWV");
}

TEST_F(SyntheticProfileGeneratorTest, UnknownSourceOrShareOutOfRangeIsRejected) {
  SyntheticProfileGenerator::Options options;
  options.sources = {"GM9999"};
  auto generator = SyntheticProfileGenerator::Create(
      *reference_, engine::ReferenceData::DefaultDirectory(), options);
  EXPECT_EQ(generator.status().code(), absl::StatusCode::kInvalidArgument);
  options.sources.clear();
  options.invalid_share = 1.5;
  generator = SyntheticProfileGenerator::Create(*reference_,
                                                engine::ReferenceData::DefaultDirectory(), options);
  EXPECT_EQ(generator.status().code(), absl::StatusCode::kInvalidArgument);
  generator = SyntheticProfileGenerator::Create(*reference_, "/nonexistent", {});
  EXPECT_EQ(generator.status().code(), absl::StatusCode::kNotFound);
}

TEST_F(SyntheticProfileGeneratorTest, ClientNumbersAreUniquePerSource) {
  std::set<std::pair<std::string, std::string>> keys;
  for (const SourceProfile& profile : Generate(20'000)) {
    EXPECT_EQ(profile.client_number().size(), 8u);
    EXPECT_TRUE(keys.emplace(profile.source(), profile.client_number()).second)
        << profile.source() << " " << profile.client_number();
  }
}

TEST_F(SyntheticProfileGeneratorTest, EducationIsUnknownForAboutFortyPercent) {
  int unknown = 0;
  for (const SourceProfile& profile : Generate(kRows)) unknown += profile.education_level().empty();
  EXPECT_NEAR(Share(unknown, kRows), 0.40, 0.03);
}

TEST_F(SyntheticProfileGeneratorTest, KnownEducationIsMostlyLowAndResolvable) {
  int known = 0;
  int target_group_levels = 0;
  int at_most_mbo2 = 0;
  int higher_education = 0;
  int given_as_code = 0;
  const std::set<std::string> typical = {"praktijkonderwijs",
                                         "vso_arbeidsmarkt",
                                         "vso_dagbesteding",
                                         "vmbo_bb",
                                         "vmbo_kb",
                                         "vmbo_gl_tl",
                                         "mbo1",
                                         "mbo2"};
  for (const SourceProfile& profile : Generate(kRows)) {
    if (profile.education_level().empty()) continue;
    ++known;
    const engine::EducationLevelInfo* level =
        reference().FindEducationLevel(profile.education_level());
    ASSERT_NE(level, nullptr) << profile.education_level();
    target_group_levels += typical.contains(level->code);
    at_most_mbo2 += level->ordinal <= 6;
    higher_education += level->ordinal >= 10;
    given_as_code += profile.education_level() == level->code;
  }
  ASSERT_GT(known, kRows / 2);
  EXPECT_GT(Share(target_group_levels, known), 0.7);
  EXPECT_GT(Share(at_most_mbo2, known), 0.85);
  EXPECT_LT(Share(higher_education, known), 0.03);
  // Sometimes a label or alias instead of the code.
  EXPECT_GT(Share(given_as_code, known), 0.55);
  EXPECT_LT(Share(given_as_code, known), 0.85);
}

TEST_F(SyntheticProfileGeneratorTest, HoursAreMostlyTwelveToThirtyTwo) {
  int both = 0;
  int in_range = 0;
  int unknown = 0;
  for (const SourceProfile& profile : Generate(kRows)) {
    if (!profile.has_hours_max()) {
      ++unknown;
      continue;
    }
    EXPECT_GE(profile.hours_max(), 1);
    EXPECT_LE(profile.hours_max(), 40);
    if (!profile.has_hours_min()) continue;
    ++both;
    EXPECT_LE(profile.hours_min(), profile.hours_max());
    in_range += profile.hours_min() >= 12 && profile.hours_max() <= 32;
  }
  EXPECT_GT(Share(in_range, both), 0.72);
  EXPECT_GT(Share(unknown, kRows), 0.1);  // sparse profiles and missing values
  EXPECT_LT(Share(unknown, kRows), 0.35);
}

TEST_F(SyntheticProfileGeneratorTest, TravelDistanceIsMostlyFiveToThirtyKilometres) {
  int known = 0;
  int in_range = 0;
  for (const SourceProfile& profile : Generate(kRows)) {
    if (!profile.has_max_travel_km()) continue;
    ++known;
    EXPECT_GE(profile.max_travel_km(), 1);
    EXPECT_LE(profile.max_travel_km(), 60);
    in_range += profile.max_travel_km() >= 5 && profile.max_travel_km() <= 30;
  }
  EXPECT_GT(Share(known, kRows), 0.65);
  EXPECT_LT(Share(known, kRows), 0.9);
  EXPECT_GT(Share(in_range, known), 0.8);
}

TEST_F(SyntheticProfileGeneratorTest, EntryLevelOccupationsDominateWorkExperience) {
  int entries = 0;
  int resolved = 0;
  int entry_level = 0;
  int with_experience = 0;
  for (const SourceProfile& profile : Generate(kRows)) {
    EXPECT_LE(profile.work_experience_size(), 3);
    with_experience += profile.work_experience_size() > 0;
    for (const v1::SourceWorkExperience& experience : profile.work_experience()) {
      ++entries;
      EXPECT_FALSE(experience.occupation().empty());
      if (experience.has_months()) {
        EXPECT_GE(experience.months(), 1);
        EXPECT_LE(experience.months(), 180);
      }
      if (experience.has_last_year()) {
        EXPECT_GE(experience.last_year(), 2014);
        EXPECT_LE(experience.last_year(), 2026);
      }
      const engine::OccupationInfo* occupation =
          reference().FindOccupation(experience.occupation());
      if (occupation == nullptr) continue;  // free text with a typo
      ++resolved;
      entry_level += occupation->entry_level;
    }
  }
  ASSERT_GT(entries, kRows / 2);
  EXPECT_GT(Share(with_experience, kRows), 0.5);
  // About one in ten is typed by hand with a typo and does not resolve.
  EXPECT_GT(Share(resolved, entries), 0.82);
  EXPECT_LT(Share(resolved, entries), 0.97);
  EXPECT_GT(Share(entry_level, resolved), 0.75);
}

TEST_F(SyntheticProfileGeneratorTest, ListFieldsUseTheDocumentedVocabulary) {
  const std::set<std::string> affinities = {
      "buiten_werken", "binnen_werken", "dieren", "techniek", "zorg",
      "schoonmaak",    "logistiek",     "horeca", "groen",    "administratie",
      "detailhandel",  "productie",     "ict",    "creatief", "koken"};
  const std::set<std::string> support = {"jobcoach",     "werkplekaanpassing",
                                         "vervoer",      "loonkostensubsidie",
                                         "no_riskpolis", "beschut_werk"};
  const std::set<std::string> modes = {"lopen", "fiets", "ov", "auto", "begeleid"};
  const std::set<std::string> groups = {"wajong", "wsw", "participatiewet", "wiw_id", "vso_pro"};
  std::set<std::string> affinities_seen;
  for (const SourceProfile& profile : Generate(kRows)) {
    for (const std::string& affinity : profile.affinities()) {
      EXPECT_TRUE(affinities.contains(affinity)) << affinity;
      affinities_seen.insert(affinity);
    }
    for (const std::string& need : profile.support_needs()) {
      EXPECT_TRUE(support.contains(need)) << need;
    }
    const std::vector<std::string> week = {"ma", "di", "wo", "do", "vr", "za", "zo"};
    size_t previous = 0;
    for (const std::string& day : profile.days()) {
      size_t position = std::find(week.begin(), week.end(), day) - week.begin();
      ASSERT_LT(position, week.size()) << day;
      if (&day != &profile.days(0)) {
        EXPECT_GT(position, previous) << "days in week order, each once";
      }
      previous = position;
    }
    if (!profile.travel_mode().empty()) {
      EXPECT_TRUE(modes.contains(profile.travel_mode())) << profile.travel_mode();
    }
    if (!profile.target_group().empty()) {
      EXPECT_TRUE(groups.contains(profile.target_group())) << profile.target_group();
    }
    for (const std::string& language : profile.languages()) EXPECT_EQ(language.size(), 2u);
  }
  EXPECT_EQ(affinities_seen, affinities);
}

TEST_F(SyntheticProfileGeneratorTest, PersonalFieldsLookReal) {
  std::set<std::string> first_names;
  int with_phone = 0;
  int with_email = 0;
  for (const SourceProfile& profile : Generate(kRows)) {
    EXPECT_FALSE(profile.first_name().empty());
    EXPECT_FALSE(profile.last_name().empty());
    first_names.insert(profile.first_name());
    std::optional<absl::CivilDay> birth = ParseIsoDate(profile.birth_date());
    ASSERT_TRUE(birth.has_value()) << profile.birth_date();
    EXPECT_GE(*birth, absl::CivilDay(1960, 1, 1));
    EXPECT_LE(*birth, absl::CivilDay(2008, 12, 31));
    if (!profile.phone().empty()) {
      ++with_phone;
      std::string digits;
      for (char c : profile.phone()) {
        if (absl::ascii_isdigit(static_cast<unsigned char>(c))) digits.push_back(c);
      }
      if (digits.substr(0, 2) == "31") digits = "0" + digits.substr(2);
      EXPECT_EQ(digits.size(), 10u) << profile.phone();
      EXPECT_EQ(digits.substr(0, 2), "06") << profile.phone();
    }
    if (!profile.email().empty()) {
      ++with_email;
      const std::string& email = profile.email();
      size_t at = email.find('@');
      ASSERT_NE(at, std::string::npos) << email;
      EXPECT_GT(at, 0u) << email;
      EXPECT_NE(email.find('.', at), std::string::npos) << email;
      for (char c : email) {
        EXPECT_TRUE(absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '@')
            << email;
      }
    }
    if (!profile.street().empty()) {
      ASSERT_FALSE(profile.house_number().empty());
      EXPECT_TRUE(absl::ascii_isdigit(static_cast<unsigned char>(profile.house_number()[0])));
    }
  }
  EXPECT_GT(first_names.size(), 500u);
  EXPECT_NEAR(Share(with_phone, kRows), 0.85, 0.03);
  EXPECT_NEAR(Share(with_email, kRows), 0.75, 0.03);
}

TEST_F(SyntheticProfileGeneratorTest, WishesSometimesContainPersonalData) {
  int wishes = 0;
  int personal = 0;
  int with_name = 0;
  int with_phone = 0;
  int with_email = 0;
  for (const SourceProfile& profile : Generate(kRows)) {
    if (profile.wishes().empty()) continue;
    ++wishes;
    bool name = profile.wishes().find(profile.first_name()) != std::string::npos;
    bool phone = profile.wishes().find("06") != std::string::npos ||
                 profile.wishes().find("+31") != std::string::npos;
    bool email =
        !profile.email().empty() && profile.wishes().find(profile.email()) != std::string::npos;
    with_name += name;
    with_phone += phone;
    with_email += email;
    personal += name || phone || email;
  }
  EXPECT_GT(Share(wishes, kRows), 0.5);
  EXPECT_GT(Share(personal, wishes), 0.1);
  EXPECT_LT(Share(personal, wishes), 0.35);
  EXPECT_GT(with_name, 0);
  EXPECT_GT(with_phone, 0);
  EXPECT_GT(with_email, 0);
}

TEST_F(SyntheticProfileGeneratorTest, DatesAreValidAndConsistent) {
  SyntheticProfileGenerator::Options options;
  const absl::CivilDay today = options.reference_date;
  int ended = 0;
  for (const SourceProfile& profile : Generate(kRows)) {
    std::optional<absl::CivilDay> start = ParseIsoDate(profile.register_start());
    ASSERT_TRUE(start.has_value()) << profile.register_start();
    EXPECT_GE(*start, absl::CivilDay(2015, 1, 1));
    EXPECT_LE(*start, today);
    if (!profile.register_end().empty()) {
      ++ended;
      std::optional<absl::CivilDay> end = ParseIsoDate(profile.register_end());
      ASSERT_TRUE(end.has_value()) << profile.register_end();
      EXPECT_GE(*end, *start);
      EXPECT_LE(*end, today);
    }
    if (!profile.available_from().empty()) {
      std::optional<absl::CivilDay> from = ParseIsoDate(profile.available_from());
      ASSERT_TRUE(from.has_value()) << profile.available_from();
      EXPECT_GT(*from, today);
    }
    std::optional<absl::CivilDay> updated = ParseIsoDate(profile.updated_at().substr(0, 10));
    ASSERT_TRUE(updated.has_value()) << profile.updated_at();
    EXPECT_LE(*updated, today);
  }
  // Register end is mostly empty.
  EXPECT_GT(ended, 0);
  EXPECT_LT(Share(ended, kRows), 0.15);
}

TEST_F(SyntheticProfileGeneratorTest, InvalidShareSpoilsThatShareOfRowsDetectably) {
  SyntheticProfileGenerator::Options options;
  options.invalid_share = 0.1;
  std::unique_ptr<SyntheticProfileGenerator> generator = Generator(options);
  ASSERT_NE(generator, nullptr);
  std::map<SyntheticDefect, int> defects;
  SourceProfile profile;
  for (int i = 0; i < kRows; ++i) {
    generator->Next(&profile);
    SyntheticDefect defect = generator->last_defect();
    ++defects[defect];
    bool bsn_ok = IsValidBsn(profile.bsn());
    std::optional<int> pc4 = engine::ParsePc4(profile.postcode());
    bool postcode_ok = pc4.has_value() && reference().FindPostcodeArea(*pc4) != nullptr;
    bool hours_ok = !profile.has_hours_min() || !profile.has_hours_max() ||
                    profile.hours_min() <= profile.hours_max();
    bool date_ok = ParseIsoDate(profile.birth_date()).has_value();
    EXPECT_EQ(bsn_ok, defect != SyntheticDefect::kBadBsn) << profile.bsn();
    EXPECT_EQ(postcode_ok, defect != SyntheticDefect::kMalformedPostcode) << profile.postcode();
    EXPECT_EQ(hours_ok, defect != SyntheticDefect::kHoursMinAboveMax);
    EXPECT_EQ(date_ok, defect != SyntheticDefect::kBadDate) << profile.birth_date();
  }
  EXPECT_NEAR(Share(kRows - defects[SyntheticDefect::kNone], kRows), 0.1, 0.02);
  for (SyntheticDefect defect : {SyntheticDefect::kBadBsn, SyntheticDefect::kMalformedPostcode,
                                 SyntheticDefect::kHoursMinAboveMax, SyntheticDefect::kBadDate}) {
    EXPECT_GT(defects[defect], 50) << static_cast<int>(defect);
  }
}

TEST_F(SyntheticProfileGeneratorTest, DeleteRowsWithdrawEarlierProfiles) {
  SyntheticProfileGenerator::Options options;
  options.delete_share = 0.1;
  std::set<std::pair<std::string, std::string>> earlier;
  int deletes = 0;
  for (const SourceProfile& profile : Generate(kRows, options)) {
    std::pair<std::string, std::string> key(profile.source(), profile.client_number());
    if (profile.action() == v1::SOURCE_ACTION_DELETE) {
      ++deletes;
      EXPECT_TRUE(earlier.contains(key)) << key.first << " " << key.second;
      EXPECT_TRUE(profile.bsn().empty());
      EXPECT_TRUE(profile.first_name().empty());
      EXPECT_FALSE(profile.updated_at().empty());
    } else {
      earlier.insert(key);
    }
  }
  EXPECT_NEAR(Share(deletes, kRows), 0.1, 0.02);
}

TEST_F(SyntheticProfileGeneratorTest, WithoutInvalidShareNothingIsSpoiled) {
  std::unique_ptr<SyntheticProfileGenerator> generator = Generator({});
  ASSERT_NE(generator, nullptr);
  SourceProfile profile;
  for (int i = 0; i < kRows; ++i) {
    generator->Next(&profile);
    ASSERT_EQ(generator->last_defect(), SyntheticDefect::kNone);
    ASSERT_NE(profile.action(), v1::SOURCE_ACTION_DELETE);
    ASSERT_TRUE(ParseIsoDate(profile.birth_date()).has_value());
    if (profile.has_hours_min() && profile.has_hours_max()) {
      ASSERT_LE(profile.hours_min(), profile.hours_max());
    }
  }
  EXPECT_EQ(generator->generated_count(), kRows);
}

}  // namespace
}  // namespace verkenner::indexer
