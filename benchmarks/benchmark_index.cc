#include "benchmarks/benchmark_index.h"

#include <chrono>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "indexer/identity_vault.h"
#include "indexer/index_writer.h"
#include "indexer/pseudonymizer.h"
#include "indexer/source_format.h"
#include "indexer/synthetic/synthetic_profile_generator.h"

namespace verkenner::benchmarks {

absl::Status WriteGeneratedExport(std::shared_ptr<const engine::ReferenceData> reference,
                                  int64_t profiles, const std::filesystem::path& path) {
  indexer::SyntheticProfileGenerator::Options options;
  options.seed = 7;
  auto generator = indexer::SyntheticProfileGenerator::Create(
      reference, engine::ReferenceData::DefaultDirectory(), options);
  if (!generator.ok()) return generator.status();
  std::ofstream out(path, std::ios::binary);
  std::string buffer = indexer::FormatCsvHeader(';') + "\n";
  v1::SourceProfile profile;
  for (int64_t i = 0; i < profiles; ++i) {
    (*generator)->Next(&profile);
    indexer::AppendCsvRow(profile, ';', &buffer);
    buffer.push_back('\n');
    if (buffer.size() > (1 << 22)) {
      out << buffer;
      buffer.clear();
    }
  }
  out << buffer;
  if (!out.flush()) return absl::InternalError(absl::StrCat("cannot write ", path.string()));
  return absl::OkStatus();
}

absl::StatusOr<ImportedIndex> ImportExport(std::shared_ptr<const engine::ReferenceData> reference,
                                           const std::filesystem::path& export_file,
                                           const std::filesystem::path& index,
                                           const std::string& vault) {
  auto pseudonymizer = indexer::Pseudonymizer::FromKey(std::string(32, 'b'));
  if (!pseudonymizer.ok()) return pseudonymizer.status();
  auto writer = indexer::IndexWriter::Open(index.string(), reference);
  if (!writer.ok()) return writer.status();
  auto identity_vault = indexer::IdentityVault::Open(vault);
  if (!identity_vault.ok()) return identity_vault.status();
  indexer::Importer importer(reference, std::move(*pseudonymizer), {}, writer->get(),
                             identity_vault->get());
  indexer::Importer::Options options;
  options.today_day = kBenchmarkToday;

  const auto start = std::chrono::steady_clock::now();
  ImportedIndex imported;
  auto report = importer.ImportFile(export_file.string(), options);
  if (!report.ok()) return report.status();
  imported.report = std::move(*report);
  if (auto groups = (*writer)->UpdateDisclosureControl(engine::kDefaultMinimumGroupSize);
      !groups.ok())
    return groups.status();
  if (auto compacted = (*writer)->Compact(); !compacted.ok()) return compacted.status();
  imported.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  imported.indexed = (*writer)->DocumentCount();
  return imported;
}

absl::StatusOr<ImportedIndex> BuildGeneratedIndex(
    std::shared_ptr<const engine::ReferenceData> reference, int64_t profiles,
    const std::filesystem::path& work) {
  const std::filesystem::path input = work / "export.csv";
  if (absl::Status status = WriteGeneratedExport(reference, profiles, input); !status.ok()) {
    return status;
  }
  auto imported = ImportExport(reference, input, work / "index", work / "vault");
  std::error_code ignored;
  std::filesystem::remove(input, ignored);
  std::filesystem::remove_all(work / "vault", ignored);
  return imported;
}

}  // namespace verkenner::benchmarks
