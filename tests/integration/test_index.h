#ifndef VERKENNER_TESTS_INTEGRATION_TEST_INDEX_H_
#define VERKENNER_TESTS_INTEGRATION_TEST_INDEX_H_

#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "engine/refdata/reference_data.h"
#include "indexer/identity_vault.h"
#include "indexer/importer.h"
#include "indexer/index_writer.h"
#include "indexer/pseudonymizer.h"
#include "indexer/source_format.h"
#include "indexer/synthetic/synthetic_profile_generator.h"

namespace verkenner::testing {

// 2026-11-01, the synthetic generator's reference date.
inline constexpr int64_t kTestToday = 20758;

// A small index of generated profiles, every registration active, imported with an identity
// vault as verkenner-index does: at `vault_target` (a file or a postgresql:// URI), by default
// vault.db in `directory`.
struct TestIndex {
  std::string index_path;
  std::string vault_path;
  std::vector<v1::SourceProfile> sources;  // as generated, in file order
  std::shared_ptr<const indexer::Pseudonymizer> pseudonymizer;
};

// The pseudonym key BuildTestIndex imports with.
inline std::string TestPseudonymKey() { return std::string(32, 'k'); }

// Writes TestPseudonymKey() to `path`, owner-only, for the programs' --key_file; returns `path`.
inline std::string WriteTestKeyFile(const std::filesystem::path& path) {
  std::ofstream(path) << TestPseudonymKey();
  std::filesystem::permissions(
      path, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  return path.string();
}

inline absl::StatusOr<TestIndex> BuildTestIndex(
    const std::filesystem::path& directory, int profiles,
    std::shared_ptr<const engine::ReferenceData> reference, std::string vault_target = "") {
  TestIndex built;
  built.index_path = (directory / "index").string();
  built.vault_path =
      vault_target.empty() ? (directory / "vault.db").string() : std::move(vault_target);
  auto generator = indexer::SyntheticProfileGenerator::Create(
      reference, engine::ReferenceData::DefaultDirectory(), {});
  if (!generator.ok()) return generator.status();
  std::string csv = indexer::FormatCsvHeader(indexer::kCsvSeparator) + "\n";
  built.sources.resize(profiles);
  for (v1::SourceProfile& profile : built.sources) {
    (*generator)->Next(&profile);
    profile.clear_register_end();
    indexer::AppendCsvRow(profile, indexer::kCsvSeparator, &csv);
    csv.push_back('\n');
  }
  const std::string export_file = (directory / "export.csv").string();
  std::ofstream(export_file) << csv;
  auto pseudonymizer = indexer::Pseudonymizer::FromKey(TestPseudonymKey());
  if (!pseudonymizer.ok()) return pseudonymizer.status();
  built.pseudonymizer = std::move(*pseudonymizer);
  auto writer = indexer::IndexWriter::Open(built.index_path, reference);
  if (!writer.ok()) return writer.status();
  auto vault = indexer::IdentityVault::Open(built.vault_path);
  if (!vault.ok()) return vault.status();
  indexer::Importer importer(reference, built.pseudonymizer, {}, writer->get(), vault->get());
  indexer::Importer::Options options;
  options.today_day = kTestToday;
  auto report = importer.ImportFile(export_file, options);
  if (!report.ok()) return report.status();
  return built;
}

}  // namespace verkenner::testing

#endif  // VERKENNER_TESTS_INTEGRATION_TEST_INDEX_H_
