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

// Profiles per shown group: "municipality|education" and "region|education".
struct GroupSizes {
  std::map<std::string, int64_t> municipality;
  std::map<std::string, int64_t> region;
};

GroupSizes SizeGroups(const DisclosureCounts& counts) {
  GroupSizes sizes;
  std::string municipality, region, education;
  for (const auto& [combination, count] : counts) {
    if (!SplitCombination(combination, municipality, region, education)) continue;
    sizes.municipality[DisclosureGroupKey(municipality, education)] += count;
    sizes.region[DisclosureGroupKey(region, education)] += count;
  }
  return sizes;
}

int64_t SizeOf(const std::map<std::string, int64_t>& sizes, const std::string& group) {
  auto found = sizes.find(group);
  return found == sizes.end() ? 0 : found->second;
}

// The one k-anonymity rule: a combination is shown by its municipality when that group holds at
// least k profiles, else by its arbeidsmarktregio. Visits every parsable combination of
// `counts` with how it is shown and the size of the group it is shown in.
template <typename Visit>
void ForEachShownCombination(const GroupSizes& sizes, const DisclosureCounts& counts, int k,
                             Visit&& visit) {
  std::string municipality, region, education;
  for (const auto& [combination, count] : counts) {
    if (!SplitCombination(combination, municipality, region, education)) continue;
    const std::string group = DisclosureGroupKey(municipality, education);
    const int64_t municipality_size = SizeOf(sizes.municipality, group);
    if (municipality_size >= k) {
      visit(group, count, /*by_municipality=*/true, municipality_size);
    } else {
      visit(group, count, /*by_municipality=*/false,
            SizeOf(sizes.region, DisclosureGroupKey(region, education)));
    }
  }
}

}  // namespace

SourceDisclosure DescribeSourceDisclosure(const DisclosureCounts& all,
                                          const DisclosureCounts& of_source, int k) {
  SourceDisclosure result;
  int64_t smallest = -1;
  ForEachShownCombination(
      SizeGroups(all), of_source, k,
      [&](const std::string&, int64_t count, bool by_municipality, int64_t shown_size) {
        if (!by_municipality) result.profiles_shown_at_region_level += count;
        if (smallest < 0 || shown_size < smallest) smallest = shown_size;
      });
  result.smallest_shown_group = std::max<int64_t>(0, smallest);
  return result;
}

void AddDisclosureCounts(const DisclosureCounts& counts, DisclosureCounts& into) {
  for (const auto& [combination, count] : counts) into[combination] += count;
}

DisclosureGroups DecideDisclosureGroups(const DisclosureCounts& counts, int k) {
  DisclosureGroups result;
  result.k = k;
  int64_t smallest = -1;
  ForEachShownCombination(
      SizeGroups(counts), counts, k,
      [&](const std::string& group, int64_t count, bool by_municipality, int64_t shown_size) {
        if (by_municipality) {
          result.municipality_groups.insert(group);
        } else {
          result.profiles_shown_at_region_level += count;
        }
        if (smallest < 0 || shown_size < smallest) smallest = shown_size;
      });
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
