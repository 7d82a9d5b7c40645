#include "engine/disclosure_control.h"

#include <algorithm>
#include <map>
#include <vector>

#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "engine/candidate_record.h"
#include "engine/schema.h"

namespace verkenner::engine {

std::string DisclosureGroupKey(const std::string& municipality_code,
                               const std::string& education_code) {
  return municipality_code + "|" + (education_code.empty() ? "?" : education_code);
}

DisclosureCounts CountDisclosureCombinations(const Xapian::Database& database) {
  DisclosureCounts counts;
  CandidateRecord record;  // reused across documents
  std::string key;
  for (auto value = database.valuestream_begin(schema::kSlotSearchFields);
       value != database.valuestream_end(schema::kSlotSearchFields); ++value) {
    if (!DecodeSearchFields(*value, record) || record.municipality_code.empty()) continue;
    key.assign(record.municipality_code).append("|").append(record.region_code).append("|");
    key.append(record.education_code.empty() ? "?" : record.education_code);
    ++counts[key];
  }
  return counts;
}

void AddDisclosureCounts(const DisclosureCounts& counts, DisclosureCounts& into) {
  for (const auto& [combination, count] : counts) into[combination] += count;
}

DisclosureGroups DecideDisclosureGroups(const DisclosureCounts& counts, int k) {
  struct Combination {
    std::string group;         // municipality|education
    std::string region_group;  // region|education
    int64_t count;
  };
  std::vector<Combination> combinations;
  std::map<std::string, int64_t> municipality_groups;
  std::map<std::string, int64_t> region_groups;
  for (const auto& [key, count] : counts) {
    std::vector<std::string> parts = absl::StrSplit(key, absl::MaxSplits('|', 2));
    if (parts.size() != 3) continue;
    const std::string education = parts[2] == "?" ? "" : parts[2];
    Combination combination{DisclosureGroupKey(parts[0], education),
                            DisclosureGroupKey(parts[1], education), count};
    municipality_groups[combination.group] += count;
    region_groups[combination.region_group] += count;
    combinations.push_back(std::move(combination));
  }

  DisclosureGroups result;
  result.k = k;
  int64_t smallest = -1;
  for (const Combination& combination : combinations) {
    int64_t shown_size = municipality_groups[combination.group];
    if (shown_size >= k) {
      result.municipality_groups.insert(combination.group);
    } else {
      result.profiles_shown_at_region_level += combination.count;
      shown_size = region_groups[combination.region_group];
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
