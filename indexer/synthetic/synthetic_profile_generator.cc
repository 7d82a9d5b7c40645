#include "indexer/synthetic/synthetic_profile_generator.h"

#include <algorithm>
#include <fstream>
#include <initializer_list>
#include <string_view>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "engine/refdata/csv_reader.h"
#include "indexer/bsn.h"

namespace verkenner::indexer {
namespace {

using engine::EducationLevelInfo;
using engine::OccupationInfo;
using engine::PostcodeArea;

// Client numbers are 8 digits: 10,000,000 plus a bijection of the row index on [0, kClientSpace),
// so they are unique without a set. The multiplier shares no factor with kClientSpace =
// 2^7 * 3^2 * 5^7, which makes the map a bijection; being near 0.618 * kClientSpace, it scatters
// consecutive rows so that numbers do not look sequential.
constexpr uint64_t kClientSpace = 90'000'000;
constexpr uint64_t kClientMultiplier = 55'623'059;
constexpr size_t kRecentKeys = 4096;

// A fixed list of values with integer weights.
template <typename T>
class Choice {
 public:
  struct Weighted {
    T value;
    uint32_t weight;
  };

  Choice(std::initializer_list<Weighted> items) {
    std::vector<uint32_t> weights;
    for (const Weighted& item : items) {
      values_.push_back(item.value);
      weights.push_back(item.weight);
    }
    index_ = WeightedIndex(weights);
  }

  T Draw(PortableRandom& random) const { return values_[index_.Draw(random)]; }
  size_t DrawIndex(PortableRandom& random) const { return index_.Draw(random); }
  T value(size_t i) const { return values_[i]; }

 private:
  std::vector<T> values_;
  WeightedIndex index_;
};

using TextChoice = Choice<std::string_view>;
using NumberChoice = Choice<int>;

// Sector in Dutch by ISCO-08 code prefix; the longest matching prefix wins. Roughly where people
// with these occupations work, which is all the realism the matching tests need.
constexpr std::pair<std::string_view, std::string_view> kSectorByIsco[] = {
    {"0", "defensie"},
    {"1", "zakelijke dienstverlening"},
    {"2", "zakelijke dienstverlening"},
    {"22", "zorg"},
    {"23", "onderwijs"},
    {"3", "techniek"},
    {"32", "zorg"},
    {"34", "sport en cultuur"},
    {"4", "administratie"},
    {"42", "klantenservice"},
    {"5", "horeca"},
    {"515", "facilitair"},
    {"516", "persoonlijke dienstverlening"},
    {"52", "detailhandel"},
    {"53", "zorg"},
    {"54", "beveiliging"},
    {"6", "groen"},
    {"7", "techniek"},
    {"71", "bouw"},
    {"72", "metaal"},
    {"75", "voedingsindustrie"},
    {"8", "productie"},
    {"83", "transport"},
    {"91", "schoonmaak"},
    {"92", "groen"},
    {"931", "bouw"},
    {"932", "productie"},
    {"933", "logistiek"},
    {"94", "horeca"},
    {"95", "detailhandel"},
    {"96", "afvalbeheer"},
};

constexpr std::string_view kSectors[] = {
    "schoonmaak",   "groen",     "logistiek",         "productie", "horeca",
    "detailhandel", "zorg",      "administratie",     "bouw",      "techniek",
    "facilitair",   "transport", "voedingsindustrie", "overheid",  "klantenservice",
};

// The affinity a sector suggests, so that a person's likes and experience tend to agree.
constexpr std::pair<std::string_view, std::string_view> kAffinityBySector[] = {
    {"schoonmaak", "schoonmaak"},
    {"groen", "groen"},
    {"logistiek", "logistiek"},
    {"transport", "logistiek"},
    {"productie", "productie"},
    {"voedingsindustrie", "productie"},
    {"metaal", "techniek"},
    {"techniek", "techniek"},
    {"bouw", "buiten_werken"},
    {"horeca", "horeca"},
    {"detailhandel", "detailhandel"},
    {"zorg", "zorg"},
    {"administratie", "administratie"},
    {"klantenservice", "administratie"},
    {"facilitair", "schoonmaak"},
    {"afvalbeheer", "buiten_werken"},
};

// What a person who likes this kind of work would write in the wishes text.
constexpr std::pair<std::string_view, std::string_view> kAffinityPhrase[] = {
    {"buiten_werken", "buiten werken"},
    {"binnen_werken", "binnen werken"},
    {"dieren", "met dieren werken"},
    {"techniek", "iets technisch doen"},
    {"zorg", "in de zorg werken"},
    {"schoonmaak", "schoonmaakwerk doen"},
    {"logistiek", "in een magazijn werken"},
    {"horeca", "in de horeca werken"},
    {"groen", "in het groen werken"},
    {"administratie", "administratief werk doen"},
    {"detailhandel", "in een winkel werken"},
    {"productie", "in de productie werken"},
    {"ict", "met computers werken"},
    {"creatief", "iets creatiefs maken"},
    {"koken", "in een keuken werken"},
};

// Education levels of people in the target group, by code from education_levels_nl.csv, in
// thousandths: mostly praktijkonderwijs, vso, vmbo basis/kader and mbo 1-2; higher education rare.
constexpr std::pair<std::string_view, uint32_t> kEducation[] = {
    {"geen", 30},
    {"basisonderwijs", 50},
    {"vso_dagbesteding", 30},
    {"praktijkonderwijs", 170},
    {"vso_arbeidsmarkt", 120},
    {"vmbo_bb", 130},
    {"mbo1", 140},
    {"vmbo_kb", 60},
    {"vmbo_gl_tl", 40},
    {"havo_vwo_onderbouw", 10},
    {"mbo2", 130},
    {"mbo3", 40},
    {"mbo4", 20},
    {"havo", 10},
    {"vwo", 5},
    {"associate_degree", 2},
    {"hbo_bachelor", 8},
    {"wo_bachelor", 2},
    {"hbo_master", 1},
    {"wo_master", 2},
};
// Target group vso_pro: school leavers from praktijkonderwijs and vso.
constexpr std::pair<std::string_view, uint32_t> kSchoolLeaverEducation[] = {
    {"praktijkonderwijs", 50}, {"vso_arbeidsmarkt", 35}, {"vso_dagbesteding", 10}, {"mbo1", 5}};

constexpr std::string_view kWeekdays[] = {"ma", "di", "wo", "do", "vr"};

// Letters PostNL uses in postcodes; the pairs SA, SD and SS are never issued.
constexpr std::string_view kPostcodeLetters = "ABCDEGHJKLMNPRSTVWXZ";

std::string_view Lookup(std::string_view key,
                        const std::pair<std::string_view, std::string_view>* begin,
                        const std::pair<std::string_view, std::string_view>* end) {
  for (const auto* it = begin; it != end; ++it) {
    if (it->first == key) return it->second;
  }
  return {};
}

std::string_view SectorForIsco(std::string_view isco) {
  std::string_view best;
  size_t best_length = 0;
  for (const auto& [prefix, sector] : kSectorByIsco) {
    if (prefix.size() > best_length && isco.substr(0, prefix.size()) == prefix) {
      best = sector;
      best_length = prefix.size();
    }
  }
  return best;
}

void AppendZeroPadded(uint64_t value, int width, std::string* out) {
  char digits[20];
  for (int i = width - 1; i >= 0; --i) {
    digits[i] = static_cast<char>('0' + value % 10);
    value /= 10;
  }
  out->append(digits, static_cast<size_t>(width));
}

void AppendDate(absl::CivilDay day, std::string* out) {
  AppendZeroPadded(static_cast<uint64_t>(day.year()), 4, out);
  out->push_back('-');
  AppendZeroPadded(static_cast<uint64_t>(day.month()), 2, out);
  out->push_back('-');
  AppendZeroPadded(static_cast<uint64_t>(day.day()), 2, out);
}

// A day uniformly in [first, last].
absl::CivilDay DayBetween(absl::CivilDay first, absl::CivilDay last, PortableRandom& random) {
  if (last <= first) return first;
  return first +
         static_cast<absl::civil_diff_t>(random.Below(static_cast<uint64_t>(last - first) + 1));
}

// Lower-case ASCII letters for an e-mail address: Latin letters with diacritics lose them, and
// everything else (spaces, apostrophes, hyphens, other scripts) is dropped.
void AppendEmailLetters(std::string_view name, std::string* out) {
  // U+00C0..U+00FF and U+0100..U+017F by base letter; '_' means drop.
  static constexpr std::string_view kLatin1 =
      "aaaaaaaceeeeiiiidnooooo_ouuuuytsaaaaaaaceeeeiiiidnooooo_ouuuuyty";
  static constexpr std::string_view kLatinExtendedA =
      "aaaaaaccccccccddddeeeeeeeeeegggggggghhhhiiiiiiiiiiiijjkkklllllllllln"
      "nnnnnnnnoooooooorrrrrrsssssssstttttttuuuuuuuuuuuuwwyyyzzzzzzs";
  for (size_t i = 0; i < name.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(name[i]);
    if (c < 0x80) {
      if (absl::ascii_isalpha(c)) out->push_back(absl::ascii_tolower(c));
      continue;
    }
    if ((c & 0xE0) == 0xC0 && i + 1 < name.size()) {
      unsigned code = ((c & 0x1Fu) << 6) | (static_cast<unsigned char>(name[i + 1]) & 0x3Fu);
      ++i;
      char folded = '_';
      if (code >= 0xC0 && code <= 0xFF) {
        folded = kLatin1[code - 0xC0];
      } else if (code >= 0x100 && code <= 0x17F) {
        folded = kLatinExtendedA[code - 0x100];
      }
      if (folded != '_') out->push_back(folded);
    }
  }
}

// `text` with one typing error in an ASCII letter (swapped, dropped or doubled), as in free text
// typed by a case worker. Multi-byte UTF-8 characters are left alone.
std::string WithTypo(std::string_view text, PortableRandom& random) {
  std::string result(text);
  std::vector<size_t> letters;
  for (size_t i = 0; i + 1 < result.size(); ++i) {
    if (absl::ascii_isalpha(static_cast<unsigned char>(result[i])) &&
        absl::ascii_isalpha(static_cast<unsigned char>(result[i + 1]))) {
      letters.push_back(i);
    }
  }
  if (letters.empty()) return result;
  size_t at = letters[random.Below(letters.size())];
  switch (random.Below(3)) {
    case 0:
      std::swap(result[at], result[at + 1]);
      break;
    case 1:
      result.erase(at, 1);
      break;
    default:
      result.insert(at, 1, result[at]);
      break;
  }
  return result;
}

// Appends `value` unless `values` already holds it.
void AddDistinct(std::string_view value, google::protobuf::RepeatedPtrField<std::string>* values) {
  if (std::find(values->begin(), values->end(), value) == values->end()) {
    values->Add(std::string(value));
  }
}

absl::StatusOr<std::vector<std::string>> ReadColumn(const std::string& path,
                                                    std::string_view column) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot open ", path));
  engine::CsvReader reader(in, {});
  std::vector<std::string> fields;
  auto more = reader.Next(fields);
  if (!more.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": ", more.status().message()));
  }
  if (!*more) return absl::InvalidArgumentError(absl::StrCat(path, ": empty file"));
  auto it = std::find(fields.begin(), fields.end(), column);
  if (it == fields.end()) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": missing column '", std::string(column), "'"));
  }
  size_t index = static_cast<size_t>(it - fields.begin());
  std::vector<std::string> values;
  while (true) {
    more = reader.Next(fields);
    if (!more.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(path, ": ", more.status().message()));
    }
    if (!*more) break;
    if (index < fields.size() && !fields[index].empty()) values.push_back(fields[index]);
  }
  if (values.empty()) return absl::InvalidArgumentError(absl::StrCat(path, ": no values"));
  return values;
}

}  // namespace

// Everything Next() draws from, prepared once by Create() in the steps below. None of them draws
// random numbers, so their order does not change the profiles.
struct SyntheticProfileGenerator::Tables {
  // The fake first names, surnames, streets and tussenvoegsels from `refdata_directory`.
  absl::Status ReadNameLists(const std::string& refdata_directory);
  // Weighs the tussenvoegsels and finds the one each listed surname starts with.
  void IndexNamePrefixes();
  // Where the clients of the chosen sources live, and how many come from UWV.
  absl::Status ChooseSources(const engine::ReferenceData& reference, const Options& options);
  absl::Status ResolveEducationLevels(const engine::ReferenceData& reference,
                                      const Options& options);
  absl::Status CollectOccupations(const engine::ReferenceData& reference);

  std::vector<std::string> first_names;
  std::vector<std::string> last_names;
  // Length of the tussenvoegsel a listed surname starts with ("van den Berg": 7), or 0.
  std::vector<size_t> last_name_prefix_lengths;
  std::vector<std::string> streets;
  std::vector<std::string> name_prefixes;
  WeightedIndex name_prefix_index;

  // Where municipality sources' clients live, and where UWV's live (anywhere).
  std::vector<const PostcodeArea*> municipal_areas;
  std::vector<const PostcodeArea*> all_areas;
  double uwv_probability = 0;

  std::vector<const EducationLevelInfo*> education_levels;
  WeightedIndex education_index;
  // Levels for target group vso_pro: school leavers from praktijkonderwijs and vso.
  std::vector<const EducationLevelInfo*> school_leaver_levels;
  WeightedIndex school_leaver_index;
  // education_unknown_share corrected for the sparse profiles, which have no education anyway.
  double education_unknown_in_full = 0;

  std::vector<const OccupationInfo*> entry_level_occupations;
  std::vector<const OccupationInfo*> occupations;

  TextChoice municipal_target_groups{
      {"participatiewet", 48}, {"vso_pro", 28}, {"wsw", 12}, {"wajong", 8}, {"wiw_id", 4}};
  TextChoice uwv_target_groups{
      {"wajong", 85}, {"participatiewet", 8}, {"vso_pro", 5}, {"wsw", 1}, {"wiw_id", 1}};
  TextChoice affinities{{"buiten_werken", 14},
                        {"binnen_werken", 10},
                        {"dieren", 6},
                        {"techniek", 8},
                        {"zorg", 6},
                        {"schoonmaak", 7},
                        {"logistiek", 10},
                        {"horeca", 7},
                        {"groen", 9},
                        {"administratie", 6},
                        {"detailhandel", 6},
                        {"productie", 10},
                        {"ict", 3},
                        {"creatief", 4},
                        {"koken", 5}};
  TextChoice skills{{"samenwerken", 10},
                    {"nauwkeurig werken", 8},
                    {"klantvriendelijk", 7},
                    {"orderpicken", 6},
                    {"inpakken", 6},
                    {"schoonmaken", 7},
                    {"afwassen", 4},
                    {"kassawerk", 4},
                    {"vakken vullen", 5},
                    {"tuinonderhoud", 5},
                    {"snoeien", 2},
                    {"heftruck rijden", 3},
                    {"computervaardigheden", 4},
                    {"Word en Excel", 3},
                    {"koken", 4},
                    {"dieren verzorgen", 2},
                    {"telefoon aannemen", 3},
                    {"sorteren", 5},
                    {"solderen", 1},
                    {"schilderen", 2},
                    {"stipt op tijd", 6},
                    {"zelfstandig werken", 5},
                    {"fysiek sterk", 4},
                    {"geduldig", 4}};
  TextChoice diplomas{{"VCA basis", 8},
                      {"BHV", 6},
                      {"EHBO", 5},
                      {"heftruckcertificaat", 6},
                      {"reachtruckcertificaat", 2},
                      {"Sociale Hygiëne", 2},
                      {"HACCP", 3},
                      {"branchecertificaat schoonmaak", 4},
                      {"branchecertificaat groen", 3},
                      {"entreediploma", 5},
                      {"getuigschrift praktijkonderwijs", 4},
                      {"NT2 A2", 3},
                      {"typediploma", 1}};
  TextChoice travel_near{{"lopen", 50}, {"fiets", 40}, {"begeleid", 10}};
  TextChoice travel_middle{{"fiets", 45}, {"ov", 25}, {"auto", 15}, {"begeleid", 10}, {"lopen", 5}};
  TextChoice travel_far{{"ov", 40}, {"auto", 40}, {"fiets", 10}, {"begeleid", 10}};
  NumberChoice hours_max{{8, 4},   {12, 8},  {16, 16}, {20, 20}, {24, 20},
                         {28, 10}, {32, 12}, {36, 6},  {40, 4}};
  // How far below hours_max hours_min lies.
  NumberChoice hours_range{{0, 20}, {4, 35}, {8, 30}, {12, 15}};
  NumberChoice experience_count{{0, 25}, {1, 35}, {2, 25}, {3, 15}};
  NumberChoice diploma_count{{0, 50}, {1, 30}, {2, 15}, {3, 5}};
  TextChoice languages{{"en", 25}, {"ar", 5}, {"tr", 5}, {"pl", 3}, {"de", 3},
                       {"ti", 2},  {"uk", 2}, {"fr", 2}, {"so", 1}, {"fa", 1}};
  TextChoice email_domains{{"gmail.com", 30}, {"hotmail.com", 20}, {"outlook.com", 10},
                           {"live.nl", 8},    {"ziggo.nl", 8},     {"hotmail.nl", 6},
                           {"kpnmail.nl", 6}, {"icloud.com", 5},   {"planet.nl", 3},
                           {"home.nl", 2},    {"xs4all.nl", 2}};
  TextChoice wish_templates{{"Ik wil graag {a}.", 30},
                            {"Ik zou graag {a}, het liefst {h} uur per week.", 25},
                            {"Het liefst wil ik {a}, dicht bij huis.", 20},
                            {"Ik wil graag {a} in een klein team.", 15},
                            {"Ik wil {a} en daarnaast iets nieuws leren.", 10}};
  TextChoice wish_extras{{"Ik heb duidelijke afspraken en vaste werktijden nodig.", 10},
                         {"Ik kan niet zwaar tillen.", 6},
                         {"Ochtenden passen mij het best.", 6},
                         {"Ik wil graag doorgroeien.", 5},
                         {"Ik kom op de fiets.", 5},
                         {"In het begin heb ik begeleiding nodig.", 8},
                         {"Ik werk liever niet in het weekend.", 5},
                         {"Een rustige werkplek is voor mij belangrijk.", 8}};
  // {f}: first name, {p}: phone number, {e}: e-mail address.
  TextChoice wish_personal{{"Mijn naam is {f}.", 30},
                           {"Bel me gerust op {p}.", 25},
                           {"Mail me op {e}.", 20},
                           {"Groeten, {f}", 10},
                           {"Bel {f} op {p} voor een afspraak.", 15}};
};

namespace {

// The shares are probabilities.
absl::Status CheckShares(const SyntheticProfileGenerator::Options& options) {
  for (auto [name, share] : {std::pair<const char*, double>{"uwv_share", options.uwv_share},
                             {"sparse_share", options.sparse_share},
                             {"education_unknown_share", options.education_unknown_share},
                             {"missing_share", options.missing_share},
                             {"invalid_share", options.invalid_share},
                             {"delete_share", options.delete_share}}) {
    if (!(share >= 0 && share <= 1)) {
      return absl::InvalidArgumentError(absl::StrCat(name, " must be between 0 and 1"));
    }
  }
  return absl::OkStatus();
}

// The reference data's levels for `entries` (code, weight) in `levels`, and their weights in
// `index`. InvalidArgument names a code the reference data lacks.
template <typename Entries>
absl::Status ResolveLevels(const engine::ReferenceData& reference, const Entries& entries,
                           std::vector<const EducationLevelInfo*>* levels, WeightedIndex* index) {
  std::vector<uint32_t> weights;
  for (const auto& [code, weight] : entries) {
    const EducationLevelInfo* level = reference.FindEducationLevel(code);
    if (level == nullptr || level->code != code) {
      return absl::InvalidArgumentError(
          absl::StrCat("education level ", std::string(code), " is not in the reference data"));
    }
    levels->push_back(level);
    weights.push_back(weight);
  }
  *index = WeightedIndex(weights);
  return absl::OkStatus();
}

}  // namespace

absl::Status SyntheticProfileGenerator::Tables::ReadNameLists(
    const std::string& refdata_directory) {
  const struct {
    const char* file;
    const char* column;
    std::vector<std::string> Tables::*list;
  } kLists[] = {{"fake_first_names_nl.csv", "first_name", &Tables::first_names},
                {"fake_last_names_nl.csv", "last_name", &Tables::last_names},
                {"fake_street_names_nl.csv", "street_name", &Tables::streets},
                {"tussenvoegsels_nl.csv", "tussenvoegsel", &Tables::name_prefixes}};
  for (const auto& [file, column, list] : kLists) {
    auto values = ReadColumn(absl::StrCat(refdata_directory, "/", file), column);
    if (!values.ok()) return values.status();
    this->*list = *std::move(values);
  }
  return absl::OkStatus();
}

void SyntheticProfileGenerator::Tables::IndexNamePrefixes() {
  // A few prefixes make up nearly all Dutch surnames that have one.
  std::vector<uint32_t> prefix_weights;
  for (const std::string& prefix : name_prefixes) {
    static constexpr std::pair<std::string_view, uint32_t> kCommon[] = {
        {"van", 300}, {"de", 250}, {"van der", 150}, {"van de", 100}, {"van den", 80},
        {"den", 10},  {"ter", 10}, {"ten", 10},      {"te", 5},       {"van 't", 5}};
    uint32_t weight = 1;
    for (const auto& [common, common_weight] : kCommon) {
      if (prefix == common) weight = common_weight;
    }
    prefix_weights.push_back(weight);
  }
  name_prefix_index = WeightedIndex(prefix_weights);
  for (const std::string& last_name : last_names) {
    size_t length = 0;
    for (const std::string& prefix : name_prefixes) {
      if (prefix.size() > length && last_name.size() > prefix.size() + 1 &&
          last_name.compare(0, prefix.size(), prefix) == 0 && last_name[prefix.size()] == ' ') {
        length = prefix.size();
      }
    }
    last_name_prefix_lengths.push_back(length);
  }
}

absl::Status SyntheticProfileGenerator::Tables::ChooseSources(
    const engine::ReferenceData& reference, const Options& options) {
  for (const PostcodeArea& area : reference.postcode_areas()) all_areas.push_back(&area);
  if (all_areas.empty()) return absl::InvalidArgumentError("no postcode areas loaded");
  bool uwv = options.sources.empty();
  const bool all_municipalities = options.sources.empty();
  std::vector<std::string> municipality_codes;
  for (const std::string& source : options.sources) {
    std::string code = absl::AsciiStrToUpper(source);
    if (code == "UWV") {
      uwv = true;
      continue;
    }
    const engine::Municipality* municipality = reference.FindMunicipality(code);
    if (municipality == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat("unknown source '", source, "': expected a municipality code or UWV"));
    }
    municipality_codes.push_back(municipality->code);
  }
  for (const PostcodeArea* area : all_areas) {
    if (all_municipalities || std::find(municipality_codes.begin(), municipality_codes.end(),
                                        area->municipality_code) != municipality_codes.end()) {
      municipal_areas.push_back(area);
    }
  }
  for (const std::string& code : municipality_codes) {
    bool has_area =
        std::any_of(municipal_areas.begin(), municipal_areas.end(),
                    [&](const PostcodeArea* area) { return area->municipality_code == code; });
    if (!has_area) {
      return absl::InvalidArgumentError(
          absl::StrCat("municipality ", code, " has no postcode areas in the reference data"));
    }
  }
  if (!uwv) {
    uwv_probability = 0;
  } else if (municipal_areas.empty()) {
    uwv_probability = 1;
  } else {
    uwv_probability = options.uwv_share;
  }
  return absl::OkStatus();
}

absl::Status SyntheticProfileGenerator::Tables::ResolveEducationLevels(
    const engine::ReferenceData& reference, const Options& options) {
  if (absl::Status status =
          ResolveLevels(reference, kEducation, &education_levels, &education_index);
      !status.ok()) {
    return status;
  }
  if (absl::Status status = ResolveLevels(reference, kSchoolLeaverEducation, &school_leaver_levels,
                                          &school_leaver_index);
      !status.ok()) {
    return status;
  }
  education_unknown_in_full =
      options.sparse_share >= 1
          ? 0
          : std::max(0.0, (options.education_unknown_share - options.sparse_share) /
                              (1 - options.sparse_share));
  return absl::OkStatus();
}

absl::Status SyntheticProfileGenerator::Tables::CollectOccupations(
    const engine::ReferenceData& reference) {
  for (const OccupationInfo& occupation : reference.occupations()) {
    occupations.push_back(&occupation);
    if (occupation.entry_level) entry_level_occupations.push_back(&occupation);
  }
  if (entry_level_occupations.empty()) {
    return absl::InvalidArgumentError("the reference data has no entry-level occupations");
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<SyntheticProfileGenerator>> SyntheticProfileGenerator::Create(
    std::shared_ptr<const engine::ReferenceData> reference, const std::string& refdata_directory,
    const Options& options) {
  if (reference == nullptr) return absl::InvalidArgumentError("no reference data");
  if (absl::Status status = CheckShares(options); !status.ok()) return status;
  auto tables = std::make_unique<Tables>();
  if (absl::Status status = tables->ReadNameLists(refdata_directory); !status.ok()) return status;
  tables->IndexNamePrefixes();
  if (absl::Status status = tables->ChooseSources(*reference, options); !status.ok()) {
    return status;
  }
  if (absl::Status status = tables->ResolveEducationLevels(*reference, options); !status.ok()) {
    return status;
  }
  if (absl::Status status = tables->CollectOccupations(*reference); !status.ok()) return status;
  return std::unique_ptr<SyntheticProfileGenerator>(
      new SyntheticProfileGenerator(std::move(reference), std::move(tables), options));
}

SyntheticProfileGenerator::SyntheticProfileGenerator(
    std::shared_ptr<const engine::ReferenceData> reference, std::unique_ptr<const Tables> tables,
    const Options& options)
    : reference_(std::move(reference)),
      tables_(std::move(tables)),
      options_(options),
      random_(options.seed),
      confirmation_random_(options.seed ^ 0x636f6e6669726dULL) {
  client_number_offset_ = random_.Below(kClientSpace);
  recent_keys_.reserve(kRecentKeys);
}

SyntheticProfileGenerator::~SyntheticProfileGenerator() = default;

void SyntheticProfileGenerator::Next(v1::SourceProfile* profile) {
  profile->Clear();
  last_defect_ = SyntheticDefect::kNone;
  ++generated_count_;
  if (options_.delete_share > 0 && random_.Chance(options_.delete_share) && !recent_keys_.empty()) {
    const auto& [source, client_number] = recent_keys_[random_.Below(recent_keys_.size())];
    profile->set_source(source);
    profile->set_client_number(client_number);
    profile->set_action(v1::SOURCE_ACTION_DELETE);
    AppendDate(DayBetween(options_.reference_date - 30, options_.reference_date, random_),
               profile->mutable_updated_at());
    return;
  }
  FillProfile(profile);
  if (options_.invalid_share > 0 && random_.Chance(options_.invalid_share)) Spoil(profile);

  if (recent_keys_.size() < kRecentKeys) {
    recent_keys_.emplace_back(profile->source(), profile->client_number());
  } else {
    recent_keys_[next_recent_slot_] = {profile->source(), profile->client_number()};
    next_recent_slot_ = (next_recent_slot_ + 1) % kRecentKeys;
  }
}

void SyntheticProfileGenerator::FillProfile(v1::SourceProfile* profile) {
  const Tables& t = *tables_;
  // Where the person lives and who delivers the profile.
  bool from_uwv = t.uwv_probability > 0 && random_.Chance(t.uwv_probability);
  const PostcodeArea& area = from_uwv ? *t.all_areas[random_.Below(t.all_areas.size())]
                                      : *t.municipal_areas[random_.Below(t.municipal_areas.size())];
  profile->set_source(from_uwv ? "UWV" : area.municipality_code);
  uint64_t client_index = static_cast<uint64_t>(generated_count_ - 1) % kClientSpace;
  AppendZeroPadded(
      10'000'000 + (client_index * kClientMultiplier + client_number_offset_) % kClientSpace, 8,
      profile->mutable_client_number());

  absl::CivilDay birth = AddIdentity(profile);
  AddAddress(area, profile);
  AddContactDetails(birth, profile);
  std::string_view target_group = AddRegistration(from_uwv, birth, profile);

  // The sparse profiles stop here: only what the registration itself required is known.
  if (random_.Chance(options_.sparse_share)) return;

  AddEducation(target_group, profile);
  AddWorkExperience(static_cast<int>(birth.year()), profile);
  AddDiplomasAndSkills(profile);
  AddTravel(birth, profile);
  AddAvailability(profile);
  // Most sources confirm availability now and then; a third of those confirmations are older
  // than a year.
  if (confirmation_random_.Chance(0.6)) {
    AppendDate(
        DayBetween(options_.reference_date - 540, options_.reference_date, confirmation_random_),
        profile->mutable_availability_confirmed_on());
  }
  AddPreferences(target_group, profile);
  if (random_.Chance(0.7)) AddWishes(profile);
}

absl::CivilDay SyntheticProfileGenerator::AddIdentity(v1::SourceProfile* profile) {
  const Tables& t = *tables_;
  std::string* bsn = profile->mutable_bsn();
  while (true) {
    bsn->clear();
    AppendZeroPadded(random_.Below(100'000'000), 8, bsn);
    int check = BsnCheckDigit(*bsn);
    if (check >= 0) {
      bsn->push_back(static_cast<char>('0' + check));
      break;
    }
  }
  profile->set_first_name(t.first_names[random_.Below(t.first_names.size())]);
  size_t surname = random_.Below(t.last_names.size());
  const std::string& last_name = t.last_names[surname];
  size_t prefix_length = t.last_name_prefix_lengths[surname];
  if (prefix_length == 0) {
    if (random_.Chance(0.25)) {
      profile->set_name_prefix(t.name_prefixes[t.name_prefix_index.Draw(random_)]);
    }
    profile->set_last_name(last_name);
  } else if (random_.Chance(0.8)) {
    // Case systems mostly keep the tussenvoegsel in its own field; some do not.
    profile->set_name_prefix(last_name.substr(0, prefix_length));
    profile->set_last_name(last_name.substr(prefix_length + 1));
  } else {
    profile->set_last_name(last_name);
  }
  absl::CivilDay birth =
      DayBetween(absl::CivilDay(1960, 1, 1), absl::CivilDay(2008, 12, 31), random_);
  AppendDate(birth, profile->mutable_birth_date());
  return birth;
}

void SyntheticProfileGenerator::AddAddress(const PostcodeArea& area, v1::SourceProfile* profile) {
  const Tables& t = *tables_;
  // House numbers are mostly low, as on most streets.
  if (!random_.Chance(0.02)) {
    profile->set_street(t.streets[random_.Below(t.streets.size())]);
    double u = random_.Unit();
    std::string* number = profile->mutable_house_number();
    absl::StrAppend(number, 1 + static_cast<int>(u * u * 180));
    double addition = random_.Unit();
    if (addition < 0.06) {
      number->push_back(static_cast<char>('a' + random_.Below(4)));
    } else if (addition < 0.08) {
      number->push_back(static_cast<char>('A' + random_.Below(4)));
    } else if (addition < 0.12) {
      absl::StrAppend(number, "-", random_.Between(1, 3));
    } else if (addition < 0.14) {
      number->append(" hs");
    }
  }
  // Mostly "3512 AB"; exports also hold "3512AB" and "3512 ab".
  std::string* postcode = profile->mutable_postcode();
  AppendZeroPadded(static_cast<uint64_t>(area.pc4), 4, postcode);
  double style = random_.Unit();
  if (style < 0.8) postcode->push_back(' ');
  while (true) {
    char first = kPostcodeLetters[random_.Below(kPostcodeLetters.size())];
    char second = kPostcodeLetters[random_.Below(kPostcodeLetters.size())];
    if (first == 'S' && (second == 'A' || second == 'D' || second == 'S')) continue;
    if (style >= 0.95) {
      first = absl::ascii_tolower(first);
      second = absl::ascii_tolower(second);
    }
    postcode->push_back(first);
    postcode->push_back(second);
    break;
  }
  profile->set_city(area.place);
}

void SyntheticProfileGenerator::AddContactDetails(absl::CivilDay birth,
                                                  v1::SourceProfile* profile) {
  const Tables& t = *tables_;
  // A Dutch mobile number, 06 and eight digits, in the notations people type.
  if (!random_.Chance(0.15)) {
    std::string digits = "6";
    digits.push_back(static_cast<char>('1' + random_.Below(8)));
    AppendZeroPadded(random_.Below(10'000'000), 7, &digits);
    std::string* phone = profile->mutable_phone();
    double style = random_.Unit();
    absl::string_view d = digits;
    if (style < 0.35) {
      absl::StrAppend(phone, "0", d);
    } else if (style < 0.65) {
      absl::StrAppend(phone, "0", d.substr(0, 1), "-", d.substr(1));
    } else if (style < 0.75) {
      absl::StrAppend(phone, "0", d.substr(0, 1), " ", d.substr(1));
    } else if (style < 0.80) {
      absl::StrAppend(phone, "0", d.substr(0, 1), " ", d.substr(1, 4), " ", d.substr(5));
    } else if (style < 0.90) {
      absl::StrAppend(phone, "+31", d);
    } else {
      absl::StrAppend(phone, "+31 ", d.substr(0, 1), " ", d.substr(1));
    }
  }
  // An e-mail address made from the name, so that a scrubber that knows the name can tell.
  if (!random_.Chance(0.25)) {
    std::string* email = profile->mutable_email();
    std::string first;
    AppendEmailLetters(profile->first_name(), &first);
    std::string last;
    if (random_.Chance(0.5)) AppendEmailLetters(profile->name_prefix(), &last);
    AppendEmailLetters(profile->last_name(), &last);
    int year = static_cast<int>(birth.year() % 100);
    switch (random_.Below(6)) {
      case 0:
        absl::StrAppend(email, first, ".", last);
        break;
      case 1:
        absl::StrAppend(email, first, last);
        break;
      case 2:
        absl::StrAppend(email, first.substr(0, 1), ".", last);
        break;
      case 3:
        absl::StrAppend(email, first, ".", last, random_.Between(1, 99));
        break;
      case 4:
        absl::StrAppend(email, first, year < 10 ? "0" : "", year);
        break;
      default:
        absl::StrAppend(email, last, ".", first);
        break;
    }
    std::string_view domain = t.email_domains.Draw(random_);
    absl::StrAppend(email, "@", absl::string_view(domain.data(), domain.size()));
  }
}

std::string_view SyntheticProfileGenerator::AddRegistration(bool from_uwv, absl::CivilDay birth,
                                                            v1::SourceProfile* profile) {
  const Tables& t = *tables_;
  const absl::CivilDay today = options_.reference_date;
  // UWV registers mostly Wajong; municipalities the Participatiewet routes and school leavers.
  const TextChoice& groups = from_uwv ? t.uwv_target_groups : t.municipal_target_groups;
  std::string_view target_group = random_.Chance(0.02) ? std::string_view() : groups.Draw(random_);
  profile->set_target_group(std::string(target_group));
  // The register began in 2015 with the banenafspraak, and nobody is in it before leaving school
  // at about 15.
  absl::CivilDay earliest = std::max(absl::CivilDay(2015, 1, 1),
                                     absl::CivilDay(birth.year() + 15, birth.month(), birth.day()));
  absl::CivilDay register_start = DayBetween(std::min(earliest, today), today, random_);
  AppendDate(register_start, profile->mutable_register_start());
  if (random_.Chance(0.07)) {
    AppendDate(DayBetween(register_start, today, random_), profile->mutable_register_end());
  }
  absl::CivilDay updated = DayBetween(std::max(register_start, today - 365), today, random_);
  std::string* updated_at = profile->mutable_updated_at();
  AppendDate(updated, updated_at);
  if (random_.Chance(0.3)) {
    updated_at->push_back('T');
    AppendZeroPadded(random_.Below(24), 2, updated_at);
    updated_at->push_back(':');
    AppendZeroPadded(random_.Below(60), 2, updated_at);
    updated_at->push_back(':');
    AppendZeroPadded(random_.Below(60), 2, updated_at);
    updated_at->push_back('Z');
  }
  if (random_.Chance(0.03)) profile->set_action(v1::SOURCE_ACTION_UPSERT);
  return target_group;
}

void SyntheticProfileGenerator::AddEducation(std::string_view target_group,
                                             v1::SourceProfile* profile) {
  const Tables& t = *tables_;
  if (random_.Chance(t.education_unknown_in_full)) return;
  const EducationLevelInfo* level =
      target_group == "vso_pro" && random_.Chance(0.8)
          ? t.school_leaver_levels[t.school_leaver_index.Draw(random_)]
          : t.education_levels[t.education_index.Draw(random_)];
  // Case systems hold codes, but also labels and the words people use.
  double style = random_.Unit();
  if (style < 0.7 || (style >= 0.9 && level->aliases.empty())) {
    profile->set_education_level(level->code);
  } else if (style < 0.9) {
    profile->set_education_level(level->label);
  } else {
    profile->set_education_level(level->aliases[random_.Below(level->aliases.size())]);
  }
}

void SyntheticProfileGenerator::AddDiplomasAndSkills(v1::SourceProfile* profile) {
  const Tables& t = *tables_;
  if (!random_.Chance(options_.missing_share)) {
    for (int i = t.diploma_count.Draw(random_); i > 0; --i) {
      AddDistinct(t.diplomas.Draw(random_), profile->mutable_diplomas());
    }
  }
  if (!random_.Chance(options_.missing_share)) {
    for (int i = random_.Between(1, 5); i > 0; --i) {
      AddDistinct(t.skills.Draw(random_), profile->mutable_skills());
    }
  }
}

void SyntheticProfileGenerator::AddTravel(absl::CivilDay birth, v1::SourceProfile* profile) {
  const Tables& t = *tables_;
  const double missing = options_.missing_share;
  // Mostly 5-30 km, often a round number; the mode follows the distance.
  std::string_view travel_mode;
  if (!random_.Chance(missing)) {
    double u = random_.Unit();
    int km;
    if (u < 0.08) {
      km = random_.Between(1, 4);
    } else if (u < 0.93) {
      km = random_.Chance(0.7) ? 5 * random_.Between(1, 6) : random_.Between(5, 30);
    } else {
      km = random_.Between(31, 60);
    }
    profile->set_max_travel_km(km);
    const TextChoice& modes = km <= 3 ? t.travel_near : km <= 15 ? t.travel_middle : t.travel_far;
    travel_mode = modes.Draw(random_);
  } else {
    travel_mode = t.travel_middle.Draw(random_);
  }
  if (!random_.Chance(missing)) profile->set_travel_mode(std::string(travel_mode));
  // Whether someone has a licence is known less often than the rest.
  if (!random_.Chance(missing + 0.1)) {
    int64_t age = options_.reference_date.year() - birth.year();
    profile->set_driving_licence(travel_mode == "auto" || (age >= 18 && random_.Chance(0.4)));
  }
}

void SyntheticProfileGenerator::AddAvailability(v1::SourceProfile* profile) {
  const Tables& t = *tables_;
  // Mostly 12-32 hours a week (a banenafspraak job counts as 25.5 hours).
  int hours_max = 0;
  if (!random_.Chance(options_.missing_share)) {
    hours_max = t.hours_max.Draw(random_);
    int hours_min = std::max(4, hours_max - t.hours_range.Draw(random_));
    if (hours_min < 12 && hours_max >= 16 && random_.Chance(0.7)) hours_min = 12;
    profile->set_hours_max(hours_max);
    if (!random_.Chance(0.03)) profile->set_hours_min(hours_min);
  }
  // Weekdays enough for the hours, in week order; now and then a weekend day.
  if (!random_.Chance(options_.missing_share)) {
    int day_count = hours_max > 0 ? std::clamp((hours_max + 6) / 7, 2, 5) : random_.Between(2, 5);
    // Selection sampling: each weekday is taken with probability needed / remaining, which
    // picks day_count of the five uniformly and keeps them in week order.
    int needed = day_count;
    for (int day = 0; day < 5 && needed > 0; ++day) {
      if (random_.Below(static_cast<uint64_t>(5 - day)) < static_cast<uint64_t>(needed)) {
        profile->add_days(std::string(kWeekdays[day]));
        --needed;
      }
    }
    if (random_.Chance(0.08)) profile->add_days("za");
    if (random_.Chance(0.03)) profile->add_days("zo");
  }
  if (random_.Chance(0.4)) {
    AppendDate(options_.reference_date + random_.Between(1, 120),
               profile->mutable_available_from());
  }
}

void SyntheticProfileGenerator::AddPreferences(std::string_view target_group,
                                               v1::SourceProfile* profile) {
  const Tables& t = *tables_;
  const double missing = options_.missing_share;
  // Affinities, one of them often from the sector the person worked in.
  if (!random_.Chance(missing)) {
    if (profile->work_experience_size() > 0 && random_.Chance(0.5)) {
      std::string_view suggested =
          Lookup(profile->work_experience(0).sector(), std::begin(kAffinityBySector),
                 std::end(kAffinityBySector));
      if (!suggested.empty()) profile->add_affinities(std::string(suggested));
    }
    for (int i = random_.Between(1, 4); i > 0; --i) {
      AddDistinct(t.affinities.Draw(random_), profile->mutable_affinities());
    }
  }
  // Wage subsidy and sheltered work belong to the municipal routes.
  if (!random_.Chance(missing)) {
    bool municipal_route = target_group == "participatiewet" || target_group == "wsw";
    if (random_.Chance(0.45)) profile->add_support_needs("jobcoach");
    if (random_.Chance(0.15)) profile->add_support_needs("werkplekaanpassing");
    if (random_.Chance(0.10)) profile->add_support_needs("vervoer");
    if (random_.Chance(municipal_route ? 0.6 : 0.2)) {
      profile->add_support_needs("loonkostensubsidie");
    }
    if (random_.Chance(0.35)) profile->add_support_needs("no_riskpolis");
    if (random_.Chance(municipal_route ? 0.08 : 0.02)) profile->add_support_needs("beschut_werk");
  }
  if (!random_.Chance(missing)) {
    if (random_.Chance(0.93)) profile->add_languages("nl");
    for (int i = random_.Between(0, 2); i > 0; --i) {
      AddDistinct(t.languages.Draw(random_), profile->mutable_languages());
    }
    if (profile->languages_size() == 0) profile->add_languages("nl");
  }
}

void SyntheticProfileGenerator::AddWorkExperience(int birth_year, v1::SourceProfile* profile) {
  const Tables& t = *tables_;
  PortableRandom& random = random_;
  int count = t.experience_count.Draw(random);
  const int this_year = options_.reference_date.year();
  // Nobody works before about 16.
  const int first_year = std::min(this_year, birth_year + 16);
  for (int i = 0; i < count; ++i) {
    v1::SourceWorkExperience* experience = profile->add_work_experience();
    const OccupationInfo& occupation =
        random.Chance(0.85)
            ? *t.entry_level_occupations[random.Below(t.entry_level_occupations.size())]
            : *t.occupations[random.Below(t.occupations.size())];
    // Case workers record an occupation as the ESCO label, a synonym, the code, or typed by hand.
    double style = random.Unit();
    if (style < 0.65 || (style < 0.75 && occupation.alt_labels.empty())) {
      experience->set_occupation(occupation.label);
    } else if (style < 0.75) {
      experience->set_occupation(occupation.alt_labels[random.Below(occupation.alt_labels.size())]);
    } else if (style < 0.9) {
      experience->set_occupation(occupation.esco_code);
    } else {
      experience->set_occupation(WithTypo(occupation.label, random));
    }
    double sector_style = random.Unit();
    if (sector_style < 0.8) {
      experience->set_sector(std::string(SectorForIsco(occupation.isco_code)));
    } else if (sector_style < 0.9) {
      experience->set_sector(std::string(kSectors[random.Below(std::size(kSectors))]));
    }
    if (!random.Chance(0.05)) {
      double u = random.Unit();
      experience->set_months(1 + static_cast<int>(u * u * 180));
    }
    if (!random.Chance(0.05)) {
      double u = random.Unit();
      experience->set_last_year(std::max(first_year, this_year - static_cast<int>(u * u * 12)));
    }
  }
}

void SyntheticProfileGenerator::AddWishes(v1::SourceProfile* profile) {
  const Tables& t = *tables_;
  PortableRandom& random = random_;
  std::string_view affinity = profile->affinities_size() > 0
                                  ? std::string_view(profile->affinities(0))
                                  : t.affinities.Draw(random);
  std::string_view phrase =
      Lookup(affinity, std::begin(kAffinityPhrase), std::end(kAffinityPhrase));
  int hours = profile->has_hours_max() ? profile->hours_max() : 24;
  std::string* wishes = profile->mutable_wishes();

  auto expand = [&](std::string_view pattern) {
    for (size_t i = 0; i < pattern.size(); ++i) {
      if (pattern[i] == '{' && i + 2 < pattern.size() && pattern[i + 2] == '}') {
        switch (pattern[i + 1]) {
          case 'a':
            wishes->append(phrase);
            break;
          case 'h':
            absl::StrAppend(wishes, hours);
            break;
          case 'f':
            wishes->append(profile->first_name());
            break;
          case 'p':
            if (!profile->phone().empty()) {
              wishes->append(profile->phone());
            } else {
              absl::StrAppend(wishes, "06-", random.Between(10'000'000, 69'999'999));
            }
            break;
          case 'e':
            wishes->append(profile->email());
            break;
          default:
            break;
        }
        i += 2;
      } else {
        wishes->push_back(pattern[i]);
      }
    }
  };

  bool personal = random.Chance(0.2);
  size_t personal_template = personal ? t.wish_personal.DrawIndex(random) : 0;
  if (profile->email().empty() &&
      t.wish_personal.value(personal_template).find("{e}") != std::string_view::npos) {
    personal_template = 0;
  }
  // "Mijn naam is ..." opens the text; the other personal sentences close it.
  if (personal && personal_template == 0) {
    expand(t.wish_personal.value(0));
    wishes->push_back(' ');
  }
  expand(t.wish_templates.Draw(random));
  if (random.Chance(0.4)) {
    wishes->push_back(' ');
    expand(t.wish_extras.Draw(random));
  }
  if (personal && personal_template != 0) {
    wishes->push_back(' ');
    expand(t.wish_personal.value(personal_template));
  }
}

void SyntheticProfileGenerator::Spoil(v1::SourceProfile* profile) {
  PortableRandom& random = random_;
  switch (random.Below(4)) {
    case 0: {
      last_defect_ = SyntheticDefect::kBadBsn;
      std::string* bsn = profile->mutable_bsn();
      if (random.Chance(0.2)) {
        bsn->pop_back();  // Eight digits, as when a leading zero got lost in a spreadsheet.
      } else {
        // Exactly one check digit completes eight digits, so any other one fails.
        char& check = bsn->back();
        check = static_cast<char>('0' + (check - '0' + 1 + random.Below(9)) % 10);
      }
      break;
    }
    case 1: {
      last_defect_ = SyntheticDefect::kMalformedPostcode;
      std::string* postcode = profile->mutable_postcode();
      postcode->replace(0, 1, "0");
      break;
    }
    case 2: {
      last_defect_ = SyntheticDefect::kHoursMinAboveMax;
      int hours_max = profile->has_hours_max() ? profile->hours_max() : 16;
      profile->set_hours_max(hours_max);
      profile->set_hours_min(hours_max + 4 * random.Between(1, 4));
      break;
    }
    default: {
      last_defect_ = SyntheticDefect::kBadDate;
      std::string* birth_date = profile->mutable_birth_date();
      std::string year = birth_date->substr(0, 4);
      switch (random.Below(3)) {
        case 0:
          *birth_date = absl::StrCat(year, "-02-", random.Between(30, 31));
          break;
        case 1:
          *birth_date = absl::StrCat(year, "-13-01");
          break;
        default:
          // Day first, as Dutch people write dates.
          *birth_date =
              absl::StrCat(birth_date->substr(8, 2), "-", birth_date->substr(5, 2), "-", year);
          break;
      }
      break;
    }
  }
}

}  // namespace verkenner::indexer
