#ifndef VERKENNER_BENCHMARKS_BENCHMARK_INDEX_H_
#define VERKENNER_BENCHMARKS_BENCHMARK_INDEX_H_

#include <cstdint>
#include <filesystem>
#include <memory>

#include "absl/status/statusor.h"
#include "engine/refdata/reference_data.h"
#include "indexer/importer.h"

// What the benchmarks share: the same generated export and the same end-to-end import, so that
// the import and search figures are about the same index.
namespace verkenner::benchmarks {

// 2026-11-01, the generator's reference date.
inline constexpr int64_t kBenchmarkToday = 20758;

// Writes `profiles` generated profiles (seed 7) to `path` as ';'-separated CSV.
absl::Status WriteGeneratedExport(std::shared_ptr<const engine::ReferenceData> reference,
                                  int64_t profiles, const std::filesystem::path& path);

struct ImportedIndex {
  indexer::ImportReport report;
  int64_t indexed = 0;
  double seconds = 0;  // import, disclosure count and compaction
};

// Imports `export_file` into a new index at `index` (one shard per core) with the identity vault
// at `vault` (a file or a postgresql:// URI), counts the disclosure groups and compacts, as
// verkenner-index does.
absl::StatusOr<ImportedIndex> ImportExport(std::shared_ptr<const engine::ReferenceData> reference,
                                           const std::filesystem::path& export_file,
                                           const std::filesystem::path& index,
                                           const std::string& vault);

// What search benchmarks start from: `profiles` generated profiles (WriteGeneratedExport) imported
// into `work`/index (ImportExport); the export and the identity vault are deleted afterwards.
absl::StatusOr<ImportedIndex> BuildGeneratedIndex(
    std::shared_ptr<const engine::ReferenceData> reference, int64_t profiles,
    const std::filesystem::path& work);

}  // namespace verkenner::benchmarks

#endif  // VERKENNER_BENCHMARKS_BENCHMARK_INDEX_H_
