#ifndef VERKENNER_ENGINE_DISCLOSURE_CONTROL_H_
#define VERKENNER_ENGINE_DISCLOSURE_CONTROL_H_

#include <xapian.h>

#include <cstdint>
#include <set>
#include <string>

#include "absl/container/flat_hash_map.h"

// Disclosure control for where a candidate lives. An employer may see the municipality only where
// at least k active profiles share the shown combination of quasi-identifiers; otherwise the
// arbeidsmarktregio is shown. The quasi-identifiers are what a neighbour could know and an
// employer sees together: the area of residence and the education level (unknown counts as a
// level of its own). Everything else a profile shows (experience, skills, hours) is about the
// job, not the person's demographics.
namespace verkenner::engine {

inline constexpr int kDefaultMinimumGroupSize = 5;  // k
// The groups that may show their municipality. An allow-list rather than a list of small groups,
// so that an index never counted, or a group imported after the last count, shows the region.
inline constexpr char kMunicipalityGroupsKey[] = "verkenner.disclosure.municipality_groups";
inline constexpr char kDisclosureSummaryKey[] = "verkenner.disclosure.summary";

// The result of counting the groups of an index.
struct DisclosureGroups {
  int k = kDefaultMinimumGroupSize;
  // "GMxxxx|education" combinations with at least k profiles: shown at municipality level.
  std::set<std::string> municipality_groups;
  // The smallest group as shown: municipality groups of at least k, and the region-level groups
  // the small ones fall back to. Below k only where a whole region has fewer than k profiles of
  // an education level.
  int64_t smallest_shown_group = 0;
  int64_t profiles_shown_at_region_level = 0;
};

// The key of a profile's municipality-level group.
std::string DisclosureGroupKey(const std::string& municipality_code,
                               const std::string& education_code);

// Profiles per "municipality|region|education" combination. Counts of several shards add up.
using DisclosureCounts = absl::flat_hash_map<std::string, int64_t>;

// Counts the combinations over every document of `database` (one value stream).
DisclosureCounts CountDisclosureCombinations(const Xapian::Database& database);
void AddDisclosureCounts(const DisclosureCounts& counts, DisclosureCounts& into);
// Decides which groups may show their municipality.
DisclosureGroups DecideDisclosureGroups(const DisclosureCounts& counts, int k);

// The combinations of the documents of one source (term XS<source>) only.
DisclosureCounts CountDisclosureCombinationsOfSource(const Xapian::Database& database,
                                                     const std::string& source);

// What disclosure control does to one source's profiles, given the counts of the whole index and
// of that source: the smallest group as shown that holds one of its profiles (0 when it has
// none), and how many of its profiles are shown at arbeidsmarktregio level.
struct SourceDisclosure {
  int64_t smallest_shown_group = 0;
  int64_t profiles_shown_at_region_level = 0;
};
SourceDisclosure DescribeSourceDisclosure(const DisclosureCounts& all,
                                          const DisclosureCounts& of_source, int k);

// Both steps over one database.
inline DisclosureGroups CountDisclosureGroups(const Xapian::Database& database, int k) {
  return DecideDisclosureGroups(CountDisclosureCombinations(database), k);
}

// Metadata encoding of a set of groups, for the searcher to read on reopen.
std::string EncodeGroups(const std::set<std::string>& groups);
std::set<std::string> DecodeGroups(const std::string& encoded);

}  // namespace verkenner::engine

#endif  // VERKENNER_ENGINE_DISCLOSURE_CONTROL_H_
