#ifndef VERKENNER_ENGINE_DISCLOSURE_CONTROL_H_
#define VERKENNER_ENGINE_DISCLOSURE_CONTROL_H_

#include <xapian.h>

#include <cstdint>
#include <map>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "engine/refdata/reference_data.h"

// Disclosure control for what an employer sees of who a candidate is. The quasi-identifiers are
// what a neighbour, colleague or relative could know and an employer sees together on a card:
// the area of residence and the education level (unknown counts as a level of its own). The
// rest of a profile (experience, skills, hours, wishes) is about the job, and an outsider rarely
// knows it. Every shown combination of area and education must hold at least k profiles.
//
// A profile is shown at the finest detail whose group is large enough, finest first:
// municipality and education level; municipality and CBS's education band (laag, middelbaar,
// hoog); arbeidsmarktregio and level; arbeidsmarktregio and band; arbeidsmarktregio with the
// education withheld, and whether it is known too. The arbeidsmarktregio itself is always shown:
// it decides which WSP follows up a request. Groups are counted by what is shown: a profile
// shown as "Midden-Utrecht, middelbaar" hides among the profiles shown exactly so, not among
// those shown by municipality. When the profiles left for the last detail are fewer than k, the
// smallest shown groups of the same region are moved down to it until they are k (local
// recoding, as ARX and sdcMicro do); below k remains only a region of fewer than k profiles.
namespace verkenner::engine {

// k: the threshold the European Medicines Agency uses for published clinical data, and a
// default an operator may raise (verkenner-index --k, the service's import option).
inline constexpr int kDefaultMinimumGroupSize = 12;

// How much of a profile's area and education is shown, finest first.
enum class ShownDetail : uint8_t {
  kMunicipalityAndLevel = 1,
  kMunicipalityAndBand = 2,
  kRegionAndLevel = 3,
  kRegionAndBand = 4,
  kRegionOnly = 5,  // the education withheld, and whether it is known
};
bool ShowsMunicipality(ShownDetail detail);
bool ShowsEducationLevel(ShownDetail detail);
bool ShowsEducationBand(ShownDetail detail);

// The detail of every counted "municipality|education" group. Not listed: shown at the
// coarsest detail, so that an index never counted, or a group imported after the last count,
// shows no more than its region.
inline constexpr char kShownDetailsKey[] = "verkenner.disclosure.shown_details";
inline constexpr char kDisclosureSummaryKey[] = "verkenner.disclosure.summary";
using ShownDetails = std::map<std::string, ShownDetail>;

// The result of counting the groups of an index.
struct DisclosureGroups {
  int k = kDefaultMinimumGroupSize;
  ShownDetails details;  // by DisclosureGroupKey(municipality, education)
  // The smallest group as shown (profiles shown with exactly the same area and education).
  // Below k only where a whole region has fewer than k profiles.
  int64_t smallest_shown_group = 0;
  int64_t profiles_shown_at_region_level = 0;
  int64_t profiles_with_education_generalised = 0;  // shown by band, or withheld
};

// The key of a profile's municipality-level group.
std::string DisclosureGroupKey(const std::string& municipality_code,
                               const std::string& education_code);
// The detail `details` gives the group, or kRegionOnly when it is not listed.
ShownDetail DetailOf(const ShownDetails& details, const std::string& municipality_code,
                     const std::string& education_code);

// Profiles per "municipality|region|education" combination. Counts of several shards add up.
using DisclosureCounts = absl::flat_hash_map<std::string, int64_t>;

// Counts the combinations over every document of `database` (one value stream).
DisclosureCounts CountDisclosureCombinations(const Xapian::Database& database);
void AddDisclosureCounts(const DisclosureCounts& counts, DisclosureCounts& into);
// Decides the detail of every group; education bands from `reference`.
DisclosureGroups DecideDisclosureGroups(const DisclosureCounts& counts, int k,
                                        const ReferenceData& reference);

// The combinations of the documents of one source (term XS<source>) only.
DisclosureCounts CountDisclosureCombinationsOfSource(const Xapian::Database& database,
                                                     const std::string& source);

// What disclosure control does to one source's profiles, given the counts of the whole index and
// of that source: the smallest group as shown that holds one of its profiles (0 when it has
// none), and how many of its profiles are shown at arbeidsmarktregio level or with their
// education generalised.
struct SourceDisclosure {
  int64_t smallest_shown_group = 0;
  int64_t profiles_shown_at_region_level = 0;
  int64_t profiles_with_education_generalised = 0;  // a known level shown as a band, or withheld
};
SourceDisclosure DescribeSourceDisclosure(const DisclosureCounts& all,
                                          const DisclosureCounts& of_source, int k,
                                          const ReferenceData& reference);

// Metadata encoding of the details, for the searcher to read on reopen.
std::string EncodeDetails(const ShownDetails& details);
ShownDetails DecodeDetails(const std::string& encoded);

}  // namespace verkenner::engine

#endif  // VERKENNER_ENGINE_DISCLOSURE_CONTROL_H_
