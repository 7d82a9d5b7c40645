// Issue 3's speed and size questions, end to end through the library the CLI uses: parse,
// validate, anonymise, index, commit, with the identity vault. Prints rows/s, peak resident
// memory and index bytes per profile. Usage:
//   import_throughput [PROFILES (default 1000000)] [WORK_DIR (default /tmp)] [VAULT]
// VAULT: where the identity vault goes, a file or a postgresql:// URI (its schema vault is
// emptied first) (default: WORK_DIR/verkenner-import-benchmark/vault).
// Generating the input file happens before the clock starts.
#include <sys/resource.h>
#include <sys/stat.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "base/postgres/pg_connection.h"
#include "benchmarks/benchmark_index.h"
#include "engine/index_layout.h"
#include "engine/refdata/reference_data.h"

namespace {

int64_t PeakResidentKib() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss;
}

// The benchmark measures an import into an empty vault, as the one into a file does.
absl::Status EmptyPostgresVault(const std::string& target) {
  auto db = verkenner::postgres::PgConnection::Open(
      "benchmark vault", target, verkenner::postgres::PgConnection::Mode::kReadWrite);
  if (!db.ok()) return db.status();
  return (*db)->Execute("DROP SCHEMA IF EXISTS vault CASCADE", "empty the vault");
}

int Fail(const absl::Status& status) {
  std::cerr << "import_throughput: " << status << "\n";
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace verkenner;
  const int64_t profiles = argc > 1 ? std::atoll(argv[1]) : 1000000;
  const std::filesystem::path work =
      std::filesystem::path(argc > 2 ? argv[2] : "/tmp") / "verkenner-import-benchmark";
  std::filesystem::remove_all(work);
  std::filesystem::create_directories(work);

  auto reference = engine::ReferenceData::Load(engine::ReferenceData::DefaultDirectory());
  if (!reference.ok()) return Fail(reference.status());
  const std::filesystem::path input = work / "export.csv";
  if (absl::Status status = benchmarks::WriteGeneratedExport(*reference, profiles, input);
      !status.ok()) {
    return Fail(status);
  }
  const int64_t rss_before_kib = PeakResidentKib();

  const std::string vault = argc > 3 ? argv[3] : (work / "vault").string();
  if (postgres::IsPostgresTarget(vault)) {
    if (absl::Status status = EmptyPostgresVault(vault); !status.ok()) return Fail(status);
  }
  auto imported = benchmarks::ImportExport(*reference, input, work / "index", vault);
  if (!imported.ok()) return Fail(imported.status());
  const double seconds = imported->seconds;
  const int64_t indexed = imported->indexed;
  const indexer::ImportReport* report = &imported->report;
  const int64_t index_bytes = engine::DirectoryBytes((work / "index").string());
  std::printf("profiles in file        %lld (%.0f MB CSV)\n", static_cast<long long>(profiles),
              std::filesystem::file_size(input) / 1e6);
  std::printf("indexed                 %lld (rejected %lld, expired %lld)\n",
              static_cast<long long>(indexed), static_cast<long long>(report->rejected_rows),
              static_cast<long long>(report->expired));
  std::printf(
      "import time             %.1f s, %.0f rows/s (parse, validate, anonymise, index, "
      "vault, commit, disclosure count, compaction)\n",
      seconds, profiles / seconds);
  std::printf("peak resident memory    %.0f MiB (%.0f MiB before the import, for generating)\n",
              PeakResidentKib() / 1024.0, rss_before_kib / 1024.0);
  std::printf("index size              %.0f MB, %.0f bytes/profile\n", index_bytes / 1e6,
              static_cast<double>(index_bytes) / std::max<int64_t>(1, indexed));
  std::filesystem::remove_all(work);
  return 0;
}
