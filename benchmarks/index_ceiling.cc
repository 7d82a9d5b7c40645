// How fast Xapian alone takes Verkenner documents on this machine: the ceiling of the import
// (issue 3). Generates and anonymises N profiles first, outside the clock, then times only the
// writing: one thread per shard adding its profiles in batches of 50,000 and committing, as the
// importer's workers do, without parsing, validation, anonymisation or the identity vault.
// Usage: index_ceiling [PROFILES (default 1000000)] [WORK_DIR (default /tmp)]
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <thread>

#include "benchmarks/benchmark_index.h"
#include "indexer/index_writer.h"
#include "indexer/profile_anonymizer.h"
#include "indexer/pseudonymizer.h"
#include "indexer/synthetic/synthetic_profile_generator.h"

int main(int argc, char** argv) {
  using namespace verkenner;
  const int64_t profiles = argc > 1 ? std::atoll(argv[1]) : 1000000;
  const std::filesystem::path work =
      std::filesystem::path(argc > 2 ? argv[2] : "/tmp") / "verkenner-index-ceiling";
  std::filesystem::remove_all(work);
  std::filesystem::create_directories(work);
  auto reference = engine::ReferenceData::Load(engine::ReferenceData::DefaultDirectory());
  if (!reference.ok()) {
    std::cerr << reference.status() << "\n";
    return 1;
  }
  indexer::SyntheticProfileGenerator::Options options;
  options.seed = 7;
  auto generator = indexer::SyntheticProfileGenerator::Create(
      *reference, engine::ReferenceData::DefaultDirectory(), options);
  auto pseudonymizer = indexer::Pseudonymizer::FromKey(std::string(32, 'b'));
  if (!generator.ok() || !pseudonymizer.ok()) return 1;
  indexer::ProfileAnonymizer anonymizer(*reference, std::move(*pseudonymizer), {});
  const indexer::ProfileValidator validator(*reference);
  std::vector<indexer::FieldError> errors;
  auto writer = indexer::IndexWriter::Open((work / "index").string(), *reference);
  if (!writer.ok()) {
    std::cerr << writer.status() << "\n";
    return 1;
  }
  const int shards = (*writer)->shard_count();
  std::vector<std::vector<engine::CandidateRecord>> records(shards);
  v1::SourceProfile profile;
  for (int64_t i = 0; i < profiles; ++i) {
    (*generator)->Next(&profile);
    std::optional<indexer::ValidatedProfile> valid = validator.Resolve(profile, errors);
    if (!valid.has_value()) continue;  // the generator makes valid rows unless told otherwise
    engine::CandidateRecord record = anonymizer.Anonymize(*valid, benchmarks::kBenchmarkToday);
    const int shard = (*writer)->ShardOf(record.profile_id);
    records[shard].push_back(std::move(record));
  }

  const auto start = std::chrono::steady_clock::now();
  std::vector<std::thread> threads;
  for (int i = 0; i < shards; ++i) {
    threads.emplace_back([&, i] {
      indexer::IndexShardWriter& shard = (*writer)->shard(i);
      size_t in_batch = 0;
      (void)shard.BeginBatch();
      for (const engine::CandidateRecord& record : records[i]) {
        (void)shard.Upsert(record);
        if (++in_batch == 50000) {
          (void)shard.CommitBatch();
          (void)shard.BeginBatch();
          in_batch = 0;
        }
      }
      (void)shard.CommitBatch();
    });
  }
  for (std::thread& thread : threads) thread.join();
  const double write_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  auto compacted = (*writer)->Compact();
  const double total_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("documents               %lld into %d shards, one writer thread each\n",
              static_cast<long long>(profiles), shards);
  std::printf("writing and committing  %.1f s, %.0f documents/s\n", write_seconds,
              profiles / write_seconds);
  std::printf("with compaction         %.1f s, %.0f documents/s%s\n", total_seconds,
              profiles / total_seconds, compacted.ok() ? "" : " (compaction failed)");
  writer->reset();
  std::filesystem::remove_all(work);
  return 0;
}
