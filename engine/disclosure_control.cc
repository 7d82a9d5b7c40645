#include "engine/disclosure_control.h"

#include <algorithm>
#include <map>
#include <vector>

#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "engine/schema.h"

namespace verkenner::engine {

std::string DisclosureGroupKey(const std::string& municipality_code,
                               const std::string& education_code) {
  return municipality_code + "|" + (education_code.empty() ? "?" : education_code);
}

DisclosureGroups CountDisclosureGroups(const Xapian::Database& database, int k) {
  // Value streams run in document order; walk the municipality, region and education streams
  // side by side (education is absent where unknown).
  std::map<std::string, int64_t> municipality_groups;
  std::map<std::string, int64_t> region_groups;
  Xapian::ValueIterator municipality = database.valuestream_begin(schema::kSlotMunicipalityCode);
  Xapian::ValueIterator region = database.valuestream_begin(schema::kSlotRegionCode);
  Xapian::ValueIterator education = database.valuestream_begin(schema::kSlotEducationCode);
  const Xapian::ValueIterator end = database.valuestream_end(schema::kSlotMunicipalityCode);
  std::vector<std::pair<std::string, std::string>> profiles;  // (group, region group)
  for (; municipality != end; ++municipality) {
    const Xapian::docid docid = municipality.get_docid();
    if (region != database.valuestream_end(schema::kSlotRegionCode)) region.skip_to(docid);
    std::string education_code;
    if (education != database.valuestream_end(schema::kSlotEducationCode)) {
      education.skip_to(docid);
      if (education != database.valuestream_end(schema::kSlotEducationCode) &&
          education.get_docid() == docid) {
        education_code = *education;
      }
    }
    std::string region_code;
    if (region != database.valuestream_end(schema::kSlotRegionCode) &&
        region.get_docid() == docid) {
      region_code = *region;
    }
    std::string group = DisclosureGroupKey(*municipality, education_code);
    std::string region_group = DisclosureGroupKey(region_code, education_code);
    ++municipality_groups[group];
    ++region_groups[region_group];
    profiles.emplace_back(std::move(group), std::move(region_group));
  }

  DisclosureGroups result;
  result.k = k;
  int64_t smallest = -1;
  for (const auto& [group, region_group] : profiles) {
    int64_t shown_size = municipality_groups[group];
    if (shown_size >= k) {
      result.municipality_groups.insert(group);
    } else {
      ++result.profiles_shown_at_region_level;
      shown_size = region_groups[region_group];
    }
    if (smallest < 0 || shown_size < smallest) smallest = shown_size;
  }
  result.smallest_shown_group = std::max<int64_t>(0, smallest);
  return result;
}

std::string EncodeGroups(const std::set<std::string>& groups) {
  return absl::StrJoin(groups, "\n");
}

std::set<std::string> DecodeGroups(const std::string& encoded) {
  std::set<std::string> groups;
  for (absl::string_view group : absl::StrSplit(encoded, '\n', absl::SkipEmpty())) {
    groups.emplace(group);
  }
  return groups;
}

}  // namespace verkenner::engine
