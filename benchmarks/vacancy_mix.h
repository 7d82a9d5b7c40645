#ifndef VERKENNER_BENCHMARKS_VACANCY_MIX_H_
#define VERKENNER_BENCHMARKS_VACANCY_MIX_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "engine/refdata/reference_data.h"
#include "engine/search_types.h"
#include "indexer/synthetic/portable_random.h"

namespace verkenner::benchmarks {

// A deterministic, realistic mix of vacancy searches for the latency benchmarks (issue 4,
// "Speed"), drawn from the reference data. The same seed and reference data give the same
// queries on every platform (PortableRandom). See vacancy_mix.cc for the mix and its shares.
//
// Not thread-safe; shares the reference data, which is immutable.
class VacancyMix {
 public:
  struct Options {
    uint64_t seed = 4;
    int64_t today_day = 20758;  // 2026-11-01, the synthetic generator's reference date
  };

  // Errors: InvalidArgument when the reference data lacks postcode areas, entry-level
  // occupations or the education levels the mix asks for.
  static absl::StatusOr<std::unique_ptr<VacancyMix>> Create(
      std::shared_ptr<const engine::ReferenceData> reference, const Options& options);

  engine::SearchQuery Next();
  std::vector<engine::SearchQuery> Take(int count);

 private:
  VacancyMix(std::shared_ptr<const engine::ReferenceData> reference, const Options& options);

  std::shared_ptr<const engine::ReferenceData> reference_;
  Options options_;
  indexer::PortableRandom random_;
  std::vector<const engine::OccupationInfo*> entry_level_occupations_;
  std::vector<const engine::OccupationInfo*> occupations_;
  indexer::WeightedIndex hours_index_;
  indexer::WeightedIndex education_index_;
};

// One line describing `query` for diagnostics: text, codes, hours, education, mode, facets.
// Never used for profile data, only for the generated vacancies.
std::string DescribeQuery(const engine::SearchQuery& query);

}  // namespace verkenner::benchmarks

#endif  // VERKENNER_BENCHMARKS_VACANCY_MIX_H_
