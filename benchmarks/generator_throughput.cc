// How fast does the synthetic generator make import files? Issue 2 asks for 1,000,000 rows in
// under 60 seconds. Measures generation plus formatting (CSV and JSON Lines) into a reused
// buffer, the work verkenner-generate does apart from writing the file.
#include <benchmark/benchmark.h>

#include <iostream>

#include "engine/refdata/reference_data.h"
#include "indexer/source_format.h"
#include "indexer/synthetic/synthetic_profile_generator.h"

namespace verkenner {
namespace {

std::shared_ptr<const engine::ReferenceData> LoadReference() {
  static auto* reference = [] {
    auto loaded = engine::ReferenceData::Load(engine::ReferenceData::DefaultDirectory());
    if (!loaded.ok()) {
      std::cerr << loaded.status() << "\n";
      std::exit(1);
    }
    return new std::shared_ptr<const engine::ReferenceData>(*loaded);
  }();
  return *reference;
}

std::unique_ptr<indexer::SyntheticProfileGenerator> MakeGenerator() {
  indexer::SyntheticProfileGenerator::Options options;
  options.seed = 42;
  auto generator = indexer::SyntheticProfileGenerator::Create(
      LoadReference(), engine::ReferenceData::DefaultDirectory(), options);
  if (!generator.ok()) {
    std::cerr << generator.status() << "\n";
    std::exit(1);
  }
  return std::move(*generator);
}

void BM_GenerateCsv(benchmark::State& state) {
  auto generator = MakeGenerator();
  v1::SourceProfile profile;
  std::string buffer;
  int64_t bytes = 0;
  for (auto _ : state) {
    generator->Next(&profile);
    indexer::AppendCsvRow(profile, indexer::kCsvSeparator, &buffer);
    buffer.push_back('\n');
    if (buffer.size() > (1 << 20)) {
      bytes += buffer.size();
      buffer.clear();
    }
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(bytes + buffer.size());
}
BENCHMARK(BM_GenerateCsv)->Iterations(1000000)->Unit(benchmark::kMillisecond);

void BM_GenerateJsonLines(benchmark::State& state) {
  auto generator = MakeGenerator();
  v1::SourceProfile profile;
  int64_t bytes = 0;
  for (auto _ : state) {
    generator->Next(&profile);
    auto line = indexer::FormatJsonLine(profile);
    bytes += line->size() + 1;
    benchmark::DoNotOptimize(line);
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(bytes);
}
BENCHMARK(BM_GenerateJsonLines)->Iterations(1000000)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace verkenner

BENCHMARK_MAIN();
