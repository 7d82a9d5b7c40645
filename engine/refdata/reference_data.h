#ifndef VERKENNER_ENGINE_REFDATA_REFERENCE_DATA_H_
#define VERKENNER_ENGINE_REFDATA_REFERENCE_DATA_H_

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace verkenner::engine {

// An arbeidsmarktregio: one of the 35 Dutch labour-market regions, each with a
// Werkgeversservicepunt (WSP) that follows up employer requests.
struct LabourMarketRegion {
  std::string code;  // "AM01"; CBS codes run AM01..AM38 with gaps.
  std::string name;  // "Groningen"
  double lat = 0;
  double lon = 0;
};

struct Municipality {
  std::string code;  // "GM0344"
  std::string name;  // "Utrecht"
  std::string province;
  std::string region_code;  // arbeidsmarktregio
  double lat = 0;
  double lon = 0;
  int postcode_area_count = 0;
};

// A four-digit postcode area (PC4) with its centre.
struct PostcodeArea {
  int pc4 = 0;
  double lat = 0;
  double lon = 0;
  std::string municipality_code;  // majority municipality
  std::string place;              // first place name
};

struct EducationLevelInfo {
  std::string code;   // "mbo2"
  std::string label;  // Dutch label
  int ordinal = 0;    // 0 (none) .. 13 (doctor); comparable levels share a value
  std::vector<std::string> aliases;
  // CBS's three categories (column cbs_3cat): "laag", "middelbaar" or "hoog". Disclosure
  // control shows this band where the level itself would single a person out.
  std::string band;
};

struct OccupationInfo {
  std::string esco_code;  // "9333.1"
  std::string isco_code;  // "9333"
  std::string label;      // preferred Dutch label
  std::vector<std::string> alt_labels;
  bool entry_level = false;  // in entry_level_occupations_nl.csv
};

// The Dutch reference data from $VERKENNER_REFDATA: postcode areas, municipalities,
// arbeidsmarktregio's, education levels, ESCO occupations and stop words. Immutable after Load(),
// so one instance is shared by all threads. Look-ups return nullptr when nothing matches.
class ReferenceData {
 public:
  // $VERKENNER_REFDATA if set, else "../shared/refdata" (the checkout's sibling folder).
  static std::string DefaultDirectory();

  // Loads every file the engine needs from `directory`. Errors: NotFound for a missing file,
  // InvalidArgument (naming file and line) for a malformed one.
  static absl::StatusOr<std::shared_ptr<const ReferenceData>> Load(const std::string& directory);

  const std::vector<PostcodeArea>& postcode_areas() const { return postcode_areas_; }
  const std::vector<Municipality>& municipalities() const { return municipalities_; }
  const std::vector<LabourMarketRegion>& regions() const { return regions_; }
  // Ordered by ordinal, lowest first.
  const std::vector<EducationLevelInfo>& education_levels() const { return education_levels_; }
  const std::vector<OccupationInfo>& occupations() const { return occupations_; }
  const std::vector<std::string>& stopwords() const { return stopwords_; }

  const PostcodeArea* FindPostcodeArea(int pc4) const;
  // The known area with the numerically nearest PC4, for PO-box-only and new postcodes, which
  // are numbered next to the areas they lie in. nullptr only if no areas are loaded.
  const PostcodeArea* NearestPostcodeArea(int pc4) const;
  const Municipality* FindMunicipality(std::string_view code) const;
  const LabourMarketRegion* FindRegion(std::string_view code) const;
  // By code, label or alias, case-insensitively ("MBO 2", "mbo2", "Mbo-2" all find mbo2).
  const EducationLevelInfo* FindEducationLevel(std::string_view code_or_label) const;
  // By ESCO code, or by preferred or alternative label, case-insensitively. ESCO's notation
  // codes are not unique (48 of 3,039 are shared by two occupations of one ISCO group); a shared
  // code finds the first, while each label finds its own occupation.
  const OccupationInfo* FindOccupation(std::string_view code_or_label) const;

 private:
  ReferenceData() = default;

  // One file each, in dependency order (municipalities name regions, postcode areas name
  // municipalities, occupations read the entry-level list). Errors: those of Load().
  absl::Status LoadRegions(const std::string& directory);
  absl::Status LoadMunicipalities(const std::string& directory);
  absl::Status LoadPostcodeAreas(const std::string& directory);
  absl::Status LoadEducationLevels(const std::string& directory);
  absl::Status LoadOccupations(const std::string& directory);
  absl::Status LoadStopwords(const std::string& directory);

  std::vector<PostcodeArea> postcode_areas_;  // sorted by pc4
  std::vector<Municipality> municipalities_;
  std::vector<LabourMarketRegion> regions_;
  std::vector<EducationLevelInfo> education_levels_;
  std::vector<OccupationInfo> occupations_;
  std::vector<std::string> stopwords_;

  std::unordered_map<std::string, size_t> municipality_by_code_;
  std::unordered_map<std::string, size_t> region_by_code_;
  std::unordered_map<std::string, size_t> education_by_key_;
  std::unordered_map<std::string, size_t> occupation_by_key_;
};

// Lower-cases ASCII letters and folds spaces, hyphens and underscores to one space, so that
// "Mbo-2", "mbo 2" and "MBO_2" compare equal. Used for look-up keys.
std::string NormalizeKey(std::string_view text);

// The PC4 number of a Dutch postcode ("3512 AB", "3512AB", "3512"), or nullopt.
std::optional<int> ParsePc4(std::string_view postcode);

}  // namespace verkenner::engine

#endif  // VERKENNER_ENGINE_REFDATA_REFERENCE_DATA_H_
