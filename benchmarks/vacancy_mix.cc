// The vacancy mix of the search-latency benchmark: what employers of the banenafspraak target
// group ask for, in these shares (each query draws every line independently, in this order):
//
//   workplace     always: the centre of a PC4 area, drawn like the synthetic profiles' homes.
//                 With the generator's default options (every municipality plus UWV) both its
//                 municipal share and its UWV share draw uniformly over all PC4 areas, so every
//                 area is equally likely and vacancies lie where the candidates live.
//   occupation    85% an entry-level occupation (entry_level_occupations_nl.csv), 15% any ESCO
//                 occupation, as the generator draws work experience.
//   text          always the occupation's label: 80% the preferred label, 20% an alternative
//                 label (when it has one); in 30% of queries followed by one or two task words
//                 ("orderpicken", "vakken vullen", ...). A '+' or '-' that starts a word is
//                 dropped, since the engine parses text with FLAG_LOVEHATE and a label such as
//                 "machines en -uitrusting" is not meant to exclude anything.
//   esco_codes    35%: the occupation's ESCO code; of those, 30% also a second occupation of the
//                 same ISCO unit group (when there is one).
//   hours         90%: an offered range, 8-16 (15%), 16-24 (30%), 24-32 (30%), 32-40 (15%) of
//                 all queries; 10% no hours.
//   education     35%: a minimum level (praktijkonderwijs 20, vmbo_bb 15, mbo1 25, mbo2 30,
//                 mbo3 10), required in 40% of those and preferred in 60%.
//   facets        75%: education level, region, hours band, distance band; 20%: all six kinds
//                 (plus experience band and affinities); 5%: none.
//   unknown       80% tolerant (the default), 20% strict.
//   always        sort by relevance, page_size 20, first page, today_day from the options.
#include "benchmarks/vacancy_mix.h"

#include <algorithm>
#include <string_view>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace verkenner::benchmarks {
namespace {

using engine::FacetKind;
using engine::OccupationInfo;
using engine::SearchQuery;

// Task words employers add to a job title; the same activities the generated profiles list as
// skills, so they find candidates by text as well.
constexpr std::string_view kTaskWords[] = {
    "orderpicken",   "inpakken",   "schoonmaken",       "vakken vullen",   "kassawerk",
    "tuinonderhoud", "sorteren",   "afwassen",          "heftruck rijden", "klantvriendelijk",
    "samenwerken",   "nauwkeurig", "telefoon aannemen", "koken",           "snoeien",
};

struct HoursRange {
  int min;
  int max;
  uint32_t weight;
};
constexpr HoursRange kHours[] = {{8, 16, 15}, {16, 24, 30}, {24, 32, 30}, {32, 40, 15}};

struct EducationWeight {
  std::string_view code;
  uint32_t weight;
};
constexpr EducationWeight kEducation[] = {
    {"praktijkonderwijs", 20}, {"vmbo_bb", 15}, {"mbo1", 25}, {"mbo2", 30}, {"mbo3", 10}};

// Drops a '+' or '-' at the start of a word (see the comment at the top).
std::string WithoutLoveHate(std::string_view text) {
  std::string result;
  result.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    const bool word_start = i == 0 || text[i - 1] == ' ';
    if (word_start && (text[i] == '+' || text[i] == '-')) continue;
    result.push_back(text[i]);
  }
  return result;
}

const char* FacetName(FacetKind facet) {
  switch (facet) {
    case FacetKind::kEducationLevel:
      return "education";
    case FacetKind::kRegion:
      return "region";
    case FacetKind::kHoursBand:
      return "hours";
    case FacetKind::kDistanceBand:
      return "distance";
    case FacetKind::kExperienceBand:
      return "experience";
    case FacetKind::kAffinity:
      return "affinity";
  }
  return "?";
}

}  // namespace

absl::StatusOr<std::unique_ptr<VacancyMix>> VacancyMix::Create(
    std::shared_ptr<const engine::ReferenceData> reference, const Options& options) {
  if (reference == nullptr) return absl::InvalidArgumentError("no reference data");
  if (reference->postcode_areas().empty()) {
    return absl::InvalidArgumentError("the reference data has no postcode areas");
  }
  for (const EducationWeight& level : kEducation) {
    if (reference->FindEducationLevel(level.code) == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat("education level ", std::string(level.code),
                                                     " is not in the reference data"));
    }
  }
  std::unique_ptr<VacancyMix> mix(new VacancyMix(std::move(reference), options));
  for (const OccupationInfo& occupation : mix->reference_->occupations()) {
    mix->occupations_.push_back(&occupation);
    if (occupation.entry_level) mix->entry_level_occupations_.push_back(&occupation);
  }
  if (mix->entry_level_occupations_.empty()) {
    return absl::InvalidArgumentError("the reference data has no entry-level occupations");
  }
  return mix;
}

VacancyMix::VacancyMix(std::shared_ptr<const engine::ReferenceData> reference,
                       const Options& options)
    : reference_(std::move(reference)), options_(options), random_(options.seed) {
  std::vector<uint32_t> weights;
  for (const HoursRange& range : kHours) weights.push_back(range.weight);
  hours_index_ = indexer::WeightedIndex(weights);
  weights.clear();
  for (const EducationWeight& level : kEducation) weights.push_back(level.weight);
  education_index_ = indexer::WeightedIndex(weights);
}

SearchQuery VacancyMix::Next() {
  indexer::PortableRandom& random = random_;
  SearchQuery query;
  query.page_size = 20;
  query.today_day = options_.today_day;
  query.sort = engine::SortOrder::kRelevance;

  const auto& areas = reference_->postcode_areas();
  const engine::PostcodeArea& area = areas[random.Below(areas.size())];
  query.workplace = engine::GeoPoint{area.lat, area.lon};

  const OccupationInfo& occupation =
      random.Chance(0.85) ? *entry_level_occupations_[random.Below(entry_level_occupations_.size())]
                          : *occupations_[random.Below(occupations_.size())];
  std::string text = occupation.label;
  if (random.Chance(0.2) && !occupation.alt_labels.empty()) {
    text = occupation.alt_labels[random.Below(occupation.alt_labels.size())];
  }
  if (random.Chance(0.3)) {
    for (int i = random.Between(1, 2); i > 0; --i) {
      absl::StrAppend(&text, " ", std::string(kTaskWords[random.Below(std::size(kTaskWords))]));
    }
  }
  query.text = WithoutLoveHate(text);

  if (random.Chance(0.35)) {
    query.esco_codes.push_back(occupation.esco_code);
    if (random.Chance(0.3)) {
      std::vector<const OccupationInfo*> related;
      for (const OccupationInfo* other : occupations_) {
        if (other->isco_code == occupation.isco_code && other->esco_code != occupation.esco_code) {
          related.push_back(other);
        }
      }
      if (!related.empty()) {
        query.esco_codes.push_back(related[random.Below(related.size())]->esco_code);
      }
    }
  }

  if (random.Chance(0.9)) {
    const HoursRange& range = kHours[hours_index_.Draw(random)];
    query.hours_min = range.min;
    query.hours_max = range.max;
  }

  if (random.Chance(0.35)) {
    query.min_education_code = std::string(kEducation[education_index_.Draw(random)].code);
    query.education =
        random.Chance(0.4) ? engine::Requirement::kRequired : engine::Requirement::kPreferred;
  }

  const double facets = random.Unit();
  if (facets < 0.75) {
    query.facets = {FacetKind::kEducationLevel, FacetKind::kRegion, FacetKind::kHoursBand,
                    FacetKind::kDistanceBand};
  } else if (facets < 0.95) {
    query.facets = {FacetKind::kEducationLevel, FacetKind::kRegion,         FacetKind::kHoursBand,
                    FacetKind::kDistanceBand,   FacetKind::kExperienceBand, FacetKind::kAffinity};
  }

  query.unknown_fields = random.Chance(0.2) ? engine::UnknownFieldPolicy::kStrict
                                            : engine::UnknownFieldPolicy::kTolerant;
  return query;
}

std::vector<SearchQuery> VacancyMix::Take(int count) {
  std::vector<SearchQuery> queries;
  queries.reserve(static_cast<size_t>(std::max(0, count)));
  for (int i = 0; i < count; ++i) queries.push_back(Next());
  return queries;
}

std::string DescribeQuery(const SearchQuery& query) {
  std::string description = absl::StrCat("text=\"", query.text, "\"");
  if (!query.esco_codes.empty()) {
    absl::StrAppend(&description, " esco=", absl::StrJoin(query.esco_codes, ","));
  }
  if (query.workplace.has_value()) {
    absl::StrAppend(&description, " at=", query.workplace->lat, ",", query.workplace->lon);
  }
  if (query.hours_min.has_value() || query.hours_max.has_value()) {
    absl::StrAppend(&description, " hours=", query.hours_min.value_or(0), "-",
                    query.hours_max.value_or(0));
  }
  if (query.education != engine::Requirement::kNone) {
    absl::StrAppend(
        &description, " education=", query.min_education_code,
        query.education == engine::Requirement::kRequired ? "(required)" : "(preferred)");
  }
  absl::StrAppend(&description, query.unknown_fields == engine::UnknownFieldPolicy::kStrict
                                    ? " strict"
                                    : " tolerant");
  if (!query.facets.empty()) {
    std::vector<std::string> names;
    for (FacetKind facet : query.facets) names.push_back(FacetName(facet));
    absl::StrAppend(&description, " facets=", absl::StrJoin(names, ","));
  }
  return description;
}

}  // namespace verkenner::benchmarks
