#include "engine/refdata/reference_data.h"

#include <algorithm>
#include <cstdlib>
#include <functional>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "engine/refdata/csv_reader.h"

namespace verkenner::engine {
namespace {

// Calls `row` for every data row of a reference CSV file (ForEachCsvRow, whose messages name
// the line).
using RowGetter = CsvRowGetter;
absl::Status ForEachRow(const std::string& path, const std::vector<std::string>& required_columns,
                        const std::function<absl::Status(const RowGetter&)>& row) {
  return ForEachCsvRow(path, required_columns,
                       [&](const CsvRowGetter& get, int64_t /*line*/) { return row(get); });
}

absl::Status ParseDouble(const std::string& text, double& value) {
  if (!absl::SimpleAtod(text, &value)) {
    return absl::InvalidArgumentError(absl::StrCat("not a number: '", text, "'"));
  }
  return absl::OkStatus();
}

absl::Status ParseInt(const std::string& text, int& value) {
  if (!absl::SimpleAtoi(text, &value)) {
    return absl::InvalidArgumentError(absl::StrCat("not an integer: '", text, "'"));
  }
  return absl::OkStatus();
}

std::string InDirectory(const std::string& directory, const char* name) {
  return absl::StrCat(directory, "/", name);
}

// Indexes `items` by normalised key into `by_key`. Codes and labels win over aliases: codes
// first (a later code replaces an earlier one), labels where still free, and aliases only where
// still free after every code and label, the first item's alias winning.
template <typename Item>
void IndexByKeys(const std::vector<Item>& items, std::string Item::*code, std::string Item::*label,
                 std::vector<std::string> Item::*aliases,
                 std::unordered_map<std::string, size_t>& by_key) {
  for (size_t i = 0; i < items.size(); ++i) {
    by_key[NormalizeKey(items[i].*code)] = i;
    by_key.try_emplace(NormalizeKey(items[i].*label), i);
  }
  for (size_t i = 0; i < items.size(); ++i) {
    for (const std::string& alias : items[i].*aliases) by_key.try_emplace(NormalizeKey(alias), i);
  }
}

}  // namespace

std::string NormalizeKey(std::string_view text) {
  std::string key;
  key.reserve(text.size());
  bool pending_space = false;
  for (char c : text) {
    if (c == ' ' || c == '-' || c == '_' || c == '\t') {
      pending_space = !key.empty();
      continue;
    }
    if (pending_space) key.push_back(' ');
    pending_space = false;
    key.push_back(absl::ascii_tolower(static_cast<unsigned char>(c)));
  }
  return key;
}

std::optional<int> ParsePc4(std::string_view postcode) {
  std::string compact;
  for (char c : postcode) {
    if (c != ' ') compact.push_back(absl::ascii_toupper(static_cast<unsigned char>(c)));
  }
  if (compact.size() != 4 && compact.size() != 6) return std::nullopt;
  for (int i = 0; i < 4; ++i) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(compact[i]))) return std::nullopt;
  }
  if (compact[0] == '0') return std::nullopt;
  if (compact.size() == 6 && !(absl::ascii_isalpha(static_cast<unsigned char>(compact[4])) &&
                               absl::ascii_isalpha(static_cast<unsigned char>(compact[5])))) {
    return std::nullopt;
  }
  return std::stoi(compact.substr(0, 4));
}

std::string ReferenceData::DefaultDirectory() {
  const char* configured = std::getenv("VERKENNER_REFDATA");
  if (configured != nullptr && *configured != '\0') return configured;
  return "../shared/refdata";
}

absl::StatusOr<std::shared_ptr<const ReferenceData>> ReferenceData::Load(
    const std::string& directory) {
  std::shared_ptr<ReferenceData> data(new ReferenceData());
  for (auto load : {&ReferenceData::LoadRegions, &ReferenceData::LoadMunicipalities,
                    &ReferenceData::LoadPostcodeAreas, &ReferenceData::LoadEducationLevels,
                    &ReferenceData::LoadOccupations, &ReferenceData::LoadStopwords}) {
    if (absl::Status status = (data.get()->*load)(directory); !status.ok()) return status;
  }
  return std::shared_ptr<const ReferenceData>(std::move(data));
}

absl::Status ReferenceData::LoadRegions(const std::string& directory) {
  return ForEachRow(InDirectory(directory, "arbeidsmarktregios_nl.csv"),
                    {"am_code", "arbeidsmarktregio", "lat", "lon"}, [&](const RowGetter& get) {
                      LabourMarketRegion region{get("am_code"), get("arbeidsmarktregio")};
                      if (auto s = ParseDouble(get("lat"), region.lat); !s.ok()) return s;
                      if (auto s = ParseDouble(get("lon"), region.lon); !s.ok()) return s;
                      region_by_code_[region.code] = regions_.size();
                      regions_.push_back(std::move(region));
                      return absl::OkStatus();
                    });
}

absl::Status ReferenceData::LoadMunicipalities(const std::string& directory) {
  return ForEachRow(
      InDirectory(directory, "gemeenten_nl.csv"),
      {"gm_code", "gemeente", "province", "am_code", "lat", "lon", "n_pc4"},
      [&](const RowGetter& get) {
        Municipality municipality{get("gm_code"), get("gemeente"), get("province"), get("am_code")};
        if (auto s = ParseDouble(get("lat"), municipality.lat); !s.ok()) return s;
        if (auto s = ParseDouble(get("lon"), municipality.lon); !s.ok()) return s;
        if (auto s = ParseInt(get("n_pc4"), municipality.postcode_area_count); !s.ok()) return s;
        if (!region_by_code_.contains(municipality.region_code)) {
          return absl::InvalidArgumentError(
              absl::StrCat("unknown arbeidsmarktregio ", municipality.region_code));
        }
        municipality_by_code_[municipality.code] = municipalities_.size();
        municipalities_.push_back(std::move(municipality));
        return absl::OkStatus();
      });
}

absl::Status ReferenceData::LoadPostcodeAreas(const std::string& directory) {
  absl::Status status =
      ForEachRow(InDirectory(directory, "pc4_nl.csv"), {"pc4", "lat", "lon", "gm_code", "places"},
                 [&](const RowGetter& get) {
                   PostcodeArea area;
                   if (auto s = ParseInt(get("pc4"), area.pc4); !s.ok()) return s;
                   if (auto s = ParseDouble(get("lat"), area.lat); !s.ok()) return s;
                   if (auto s = ParseDouble(get("lon"), area.lon); !s.ok()) return s;
                   area.municipality_code = get("gm_code");
                   const std::string& places = get("places");
                   area.place = places.substr(0, places.find(';'));
                   if (!municipality_by_code_.contains(area.municipality_code)) {
                     return absl::InvalidArgumentError(
                         absl::StrCat("unknown municipality ", area.municipality_code));
                   }
                   postcode_areas_.push_back(std::move(area));
                   return absl::OkStatus();
                 });
  if (!status.ok()) return status;
  std::sort(postcode_areas_.begin(), postcode_areas_.end(),
            [](const PostcodeArea& a, const PostcodeArea& b) { return a.pc4 < b.pc4; });
  return absl::OkStatus();
}

absl::Status ReferenceData::LoadEducationLevels(const std::string& directory) {
  absl::Status status = ForEachRow(
      InDirectory(directory, "education_levels_nl.csv"),
      {"code", "label_nl", "ordinal", "aliases", "cbs_3cat"}, [&](const RowGetter& get) {
        EducationLevelInfo level{get("code"), get("label_nl"), 0, {}, {}};
        if (auto s = ParseInt(get("ordinal"), level.ordinal); !s.ok()) return s;
        level.aliases = SplitMultiValue(get("aliases"));
        level.band = get("cbs_3cat");
        if (level.band != "laag" && level.band != "middelbaar" && level.band != "hoog") {
          return absl::InvalidArgumentError(absl::StrCat(
              "education level ", level.code, ": cbs_3cat must be laag, middelbaar or hoog"));
        }
        education_levels_.push_back(std::move(level));
        return absl::OkStatus();
      });
  if (!status.ok()) return status;
  std::stable_sort(education_levels_.begin(), education_levels_.end(),
                   [](const EducationLevelInfo& a, const EducationLevelInfo& b) {
                     return a.ordinal < b.ordinal;
                   });
  IndexByKeys(education_levels_, &EducationLevelInfo::code, &EducationLevelInfo::label,
              &EducationLevelInfo::aliases, education_by_key_);
  return absl::OkStatus();
}

absl::Status ReferenceData::LoadOccupations(const std::string& directory) {
  std::unordered_map<std::string, bool> entry_level_codes;
  absl::Status status = ForEachRow(InDirectory(directory, "entry_level_occupations_nl.csv"),
                                   {"esco_code"}, [&](const RowGetter& get) {
                                     entry_level_codes[get("esco_code")] = true;
                                     return absl::OkStatus();
                                   });
  if (!status.ok()) return status;

  status =
      ForEachRow(InDirectory(directory, "esco_occupations_nl.csv"),
                 {"esco_code", "isco08_code", "preferred_label_nl", "alt_labels_nl"},
                 [&](const RowGetter& get) {
                   OccupationInfo occupation{
                       get("esco_code"), get("isco08_code"), get("preferred_label_nl"), {}, false};
                   occupation.alt_labels = SplitMultiValue(get("alt_labels_nl"));
                   occupation.entry_level = entry_level_codes.contains(occupation.esco_code);
                   occupations_.push_back(std::move(occupation));
                   return absl::OkStatus();
                 });
  if (!status.ok()) return status;
  // An alternative label may be shared by several occupations; the first (lowest code) wins,
  // which keeps look-ups deterministic.
  IndexByKeys(occupations_, &OccupationInfo::esco_code, &OccupationInfo::label,
              &OccupationInfo::alt_labels, occupation_by_key_);
  return absl::OkStatus();
}

absl::Status ReferenceData::LoadStopwords(const std::string& directory) {
  return ForEachRow(InDirectory(directory, "stopwords_nl.csv"), {"word"},
                    [&](const RowGetter& get) {
                      stopwords_.push_back(get("word"));
                      return absl::OkStatus();
                    });
}

const PostcodeArea* ReferenceData::FindPostcodeArea(int pc4) const {
  auto it = std::lower_bound(postcode_areas_.begin(), postcode_areas_.end(), pc4,
                             [](const PostcodeArea& area, int value) { return area.pc4 < value; });
  return it != postcode_areas_.end() && it->pc4 == pc4 ? &*it : nullptr;
}

const PostcodeArea* ReferenceData::NearestPostcodeArea(int pc4) const {
  if (postcode_areas_.empty()) return nullptr;
  auto it = std::lower_bound(postcode_areas_.begin(), postcode_areas_.end(), pc4,
                             [](const PostcodeArea& area, int value) { return area.pc4 < value; });
  if (it == postcode_areas_.end()) return &postcode_areas_.back();
  if (it == postcode_areas_.begin() || it->pc4 == pc4) return &*it;
  auto before = std::prev(it);
  return (pc4 - before->pc4) <= (it->pc4 - pc4) ? &*before : &*it;
}

const Municipality* ReferenceData::FindMunicipality(std::string_view code) const {
  auto it = municipality_by_code_.find(absl::AsciiStrToUpper(std::string(code)));
  return it == municipality_by_code_.end() ? nullptr : &municipalities_[it->second];
}

const LabourMarketRegion* ReferenceData::FindRegion(std::string_view code) const {
  auto it = region_by_code_.find(absl::AsciiStrToUpper(std::string(code)));
  return it == region_by_code_.end() ? nullptr : &regions_[it->second];
}

const EducationLevelInfo* ReferenceData::FindEducationLevel(std::string_view code_or_label) const {
  auto it = education_by_key_.find(NormalizeKey(code_or_label));
  return it == education_by_key_.end() ? nullptr : &education_levels_[it->second];
}

const OccupationInfo* ReferenceData::FindOccupation(std::string_view code_or_label) const {
  auto it = occupation_by_key_.find(NormalizeKey(code_or_label));
  return it == occupation_by_key_.end() ? nullptr : &occupations_[it->second];
}

}  // namespace verkenner::engine
