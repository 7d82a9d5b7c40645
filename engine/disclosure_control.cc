#include "engine/disclosure_control.h"

#include <algorithm>
#include <map>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "engine/candidate_record.h"
#include "engine/schema.h"

namespace verkenner::engine {

std::string DisclosureGroupKey(const std::string& municipality_code,
                               const std::string& education_code) {
  return municipality_code + "|" + (education_code.empty() ? "?" : education_code);
}

namespace {

// Counts the combination of one document's packed search fields.
void CountCombination(const std::string& value, CandidateRecord& record, std::string& key,
                      DisclosureCounts& counts) {
  if (!DecodeSearchFields(value, record) || record.municipality_code.empty()) return;
  key.assign(record.municipality_code).append("|").append(record.region_code).append("|");
  key.append(record.education_code.empty() ? "?" : record.education_code);
  ++counts[key];
}

// The three parts of a combination key, or false.
bool SplitCombination(const std::string& combination, std::string& municipality,
                      std::string& region, std::string& education) {
  std::vector<std::string> parts = absl::StrSplit(combination, absl::MaxSplits('|', 2));
  if (parts.size() != 3) return false;
  municipality = std::move(parts[0]);
  region = std::move(parts[1]);
  education = parts[2] == "?" ? "" : std::move(parts[2]);
  return true;
}

}  // namespace

DisclosureCounts CountDisclosureCombinations(const Xapian::Database& database) {
  DisclosureCounts counts;
  CandidateRecord record;  // reused across documents
  std::string key;
  for (auto value = database.valuestream_begin(schema::kSlotSearchFields);
       value != database.valuestream_end(schema::kSlotSearchFields); ++value) {
    CountCombination(*value, record, key, counts);
  }
  return counts;
}

DisclosureCounts CountDisclosureCombinationsOfSource(const Xapian::Database& database,
                                                     const std::string& source) {
  DisclosureCounts counts;
  CandidateRecord record;
  std::string key;
  const std::string term = std::string(schema::kPrefixSource) + source;
  // Postings and values both run in document order: one pass over each.
  Xapian::ValueIterator value = database.valuestream_begin(schema::kSlotSearchFields);
  const Xapian::ValueIterator end = database.valuestream_end(schema::kSlotSearchFields);
  for (auto posting = database.postlist_begin(term); posting != database.postlist_end(term);
       ++posting) {
    if (value == end) break;
    value.skip_to(*posting);
    if (value != end && value.get_docid() == *posting)
      CountCombination(*value, record, key, counts);
  }
  return counts;
}

namespace {

// One "municipality|education" group and the detail it is shown at.
struct Group {
  std::string key;  // DisclosureGroupKey(municipality, education)
  std::string municipality;
  std::string region;
  std::string education;  // empty: unknown
  std::string band;       // CBS's band of the level; "?" when unknown or not in the list
  int64_t count = 0;
  ShownDetail detail = ShownDetail::kRegionOnly;
};

// What an employer sees of a group at a detail: equal strings are one shown group. An unknown
// education shows as unknown ("X|?") until the last detail, which withholds known and unknown
// alike.
std::string ShownAs(const Group& group, ShownDetail detail) {
  const std::string& area = ShowsMunicipality(detail) ? group.municipality : group.region;
  if (detail == ShownDetail::kRegionOnly) return area + "|withheld";
  if (group.education.empty()) return area + "|?";
  if (ShowsEducationLevel(detail)) return area + "|" + group.education;
  return area + "|band:" + group.band;
}

// The groups of `counts`, by region.
std::map<std::string, std::vector<Group>> GroupsByRegion(const DisclosureCounts& counts,
                                                         const ReferenceData& reference) {
  std::map<std::string, std::map<std::string, Group>> by_region;
  std::string municipality, region, education;
  for (const auto& [combination, count] : counts) {
    if (!SplitCombination(combination, municipality, region, education)) continue;
    const std::string key = DisclosureGroupKey(municipality, education);
    Group& group = by_region[region][key];
    if (group.key.empty()) {
      const EducationLevelInfo* level = reference.FindEducationLevel(education);
      group = Group{key,
                    municipality,
                    region,
                    education,
                    level == nullptr || education.empty() ? "?" : level->band,
                    0};
    }
    group.count += count;
  }
  std::map<std::string, std::vector<Group>> groups;
  for (auto& [region_code, of_region] : by_region) {
    for (auto& [key, group] : of_region) groups[region_code].push_back(std::move(group));
  }
  return groups;
}

// Profiles per shown string among `groups`.
std::map<std::string, int64_t> ShownSizes(const std::vector<Group>& groups) {
  std::map<std::string, int64_t> sizes;
  for (const Group& group : groups) sizes[ShownAs(group, group.detail)] += group.count;
  return sizes;
}

// The details of one region's groups: each at the finest detail whose shown group holds at least
// k of the profiles still to place, the rest withheld; then too small a withheld group takes the
// region's smallest shown groups along until it holds k.
void DecideRegion(std::vector<Group>& groups, int k) {
  std::vector<Group*> pending;
  for (Group& group : groups) pending.push_back(&group);
  for (ShownDetail detail : {ShownDetail::kMunicipalityAndLevel, ShownDetail::kMunicipalityAndBand,
                             ShownDetail::kRegionAndLevel, ShownDetail::kRegionAndBand}) {
    std::map<std::string, int64_t> sizes;
    for (const Group* group : pending) sizes[ShownAs(*group, detail)] += group->count;
    std::vector<Group*> still;
    for (Group* group : pending) {
      if (sizes[ShownAs(*group, detail)] >= k) {
        group->detail = detail;
      } else {
        still.push_back(group);
      }
    }
    pending = std::move(still);
  }
  for (Group* group : pending) group->detail = ShownDetail::kRegionOnly;
  auto withheld_size = [&]() {
    int64_t size = 0;
    for (const Group& group : groups) {
      if (group.detail == ShownDetail::kRegionOnly) size += group.count;
    }
    return size;
  };
  for (int64_t size = withheld_size(); size > 0 && size < k; size = withheld_size()) {
    // The smallest shown group moves down whole; of equal ones the coarsest, which loses least.
    std::map<std::string, int64_t> sizes = ShownSizes(groups);
    std::string smallest;
    ShownDetail smallest_detail = ShownDetail::kRegionOnly;
    for (const Group& group : groups) {
      if (group.detail == ShownDetail::kRegionOnly) continue;
      const std::string shown = ShownAs(group, group.detail);
      if (smallest.empty() || sizes[shown] < sizes[smallest] ||
          (sizes[shown] == sizes[smallest] && group.detail > smallest_detail)) {
        smallest = shown;
        smallest_detail = group.detail;
      }
    }
    if (smallest.empty()) break;  // the whole region holds fewer than k
    for (Group& group : groups) {
      if (group.detail != ShownDetail::kRegionOnly && ShownAs(group, group.detail) == smallest) {
        group.detail = ShownDetail::kRegionOnly;
      }
    }
  }
}

// The decision over every region, with the size of each shown group.
struct Decision {
  std::map<std::string, std::vector<Group>> groups;  // by region
  std::map<std::string, int64_t> shown_sizes;
};

Decision Decide(const DisclosureCounts& counts, int k, const ReferenceData& reference) {
  Decision decision{GroupsByRegion(counts, reference), {}};
  for (auto& [region, groups] : decision.groups) {
    DecideRegion(groups, k);
    for (const auto& [shown, size] : ShownSizes(groups)) decision.shown_sizes[shown] += size;
  }
  return decision;
}

}  // namespace

bool ShowsMunicipality(ShownDetail detail) {
  return detail == ShownDetail::kMunicipalityAndLevel ||
         detail == ShownDetail::kMunicipalityAndBand;
}

bool ShowsEducationLevel(ShownDetail detail) {
  return detail == ShownDetail::kMunicipalityAndLevel || detail == ShownDetail::kRegionAndLevel;
}

bool ShowsEducationBand(ShownDetail detail) {
  return detail == ShownDetail::kMunicipalityAndBand || detail == ShownDetail::kRegionAndBand;
}

ShownDetail DetailOf(const ShownDetails& details, const std::string& municipality_code,
                     const std::string& education_code) {
  auto found = details.find(DisclosureGroupKey(municipality_code, education_code));
  return found == details.end() ? ShownDetail::kRegionOnly : found->second;
}

SourceDisclosure DescribeSourceDisclosure(const DisclosureCounts& all,
                                          const DisclosureCounts& of_source, int k,
                                          const ReferenceData& reference) {
  const Decision decision = Decide(all, k, reference);
  absl::flat_hash_map<std::string, const Group*> by_key;
  for (const auto& [region, groups] : decision.groups) {
    for (const Group& group : groups) by_key[group.key] = &group;
  }
  SourceDisclosure result;
  int64_t smallest = -1;
  std::string municipality, region, education;
  for (const auto& [combination, count] : of_source) {
    if (!SplitCombination(combination, municipality, region, education)) continue;
    auto found = by_key.find(DisclosureGroupKey(municipality, education));
    if (found == by_key.end()) continue;  // not in the index's counts: no decision to report
    const Group& group = *found->second;
    if (!ShowsMunicipality(group.detail)) result.profiles_shown_at_region_level += count;
    if (!education.empty() && !ShowsEducationLevel(group.detail)) {
      result.profiles_with_education_generalised += count;
    }
    const int64_t size = decision.shown_sizes.at(ShownAs(group, group.detail));
    if (smallest < 0 || size < smallest) smallest = size;
  }
  result.smallest_shown_group = std::max<int64_t>(0, smallest);
  return result;
}

void AddDisclosureCounts(const DisclosureCounts& counts, DisclosureCounts& into) {
  for (const auto& [combination, count] : counts) into[combination] += count;
}

DisclosureGroups DecideDisclosureGroups(const DisclosureCounts& counts, int k,
                                        const ReferenceData& reference) {
  const Decision decision = Decide(counts, k, reference);
  DisclosureGroups result;
  result.k = k;
  for (const auto& [region, groups] : decision.groups) {
    for (const Group& group : groups) {
      result.details[group.key] = group.detail;
      if (!ShowsMunicipality(group.detail)) result.profiles_shown_at_region_level += group.count;
      if (!group.education.empty() && !ShowsEducationLevel(group.detail)) {
        result.profiles_with_education_generalised += group.count;
      }
    }
  }
  for (const auto& [shown, size] : decision.shown_sizes) {
    if (result.smallest_shown_group == 0 || size < result.smallest_shown_group) {
      result.smallest_shown_group = size;
    }
  }
  return result;
}

std::string EncodeDetails(const ShownDetails& details) {
  std::string encoded;
  for (const auto& [key, detail] : details) {
    absl::StrAppend(&encoded, key, "=", static_cast<int>(detail), "\n");
  }
  return encoded;
}

ShownDetails DecodeDetails(const std::string& encoded) {
  ShownDetails details;
  for (absl::string_view line : absl::StrSplit(encoded, '\n', absl::SkipEmpty())) {
    const size_t equals = line.rfind('=');
    int detail = 0;
    if (equals == absl::string_view::npos || !absl::SimpleAtoi(line.substr(equals + 1), &detail) ||
        detail < static_cast<int>(ShownDetail::kMunicipalityAndLevel) ||
        detail > static_cast<int>(ShownDetail::kRegionOnly)) {
      continue;  // unreadable: the group shows the coarsest detail
    }
    details.emplace(std::string(line.substr(0, equals)), static_cast<ShownDetail>(detail));
  }
  return details;
}

}  // namespace verkenner::engine
