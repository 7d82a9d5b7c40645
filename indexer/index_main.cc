// verkenner-index: imports Sonar-style profile exports (CSV or JSON Lines) into a search index.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <iostream>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_format.h"
#include "engine/refdata/reference_data.h"
#include "indexer/importer.h"
#include "indexer/index_writer.h"
#include "indexer/pseudonymizer.h"

ABSL_FLAG(std::string, index, "", "directory of the search index; created if absent (required)");
ABSL_FLAG(std::string, key_file, "",
          "pseudonym key file (default: $VERKENNER_PSEUDONYM_KEY or "
          "~/.config/verkenner/pseudonym.key)");
ABSL_FLAG(std::string, refdata, "",
          "reference data directory (default: $VERKENNER_REFDATA or ../shared/refdata)");
ABSL_FLAG(std::string, format, "auto", "input format: auto (by extension), csv or jsonl");
ABSL_FLAG(int64_t, batch_size, 10000, "rows per committed batch");
ABSL_FLAG(int, show_rejected, 20, "rejected rows to list in the summary");

namespace {

// Exit codes a script can act on.
constexpr int kExitOk = 0;            // every row imported
constexpr int kExitRowsRejected = 3;  // the import ran, some rows were rejected
constexpr int kExitFailed = 1;        // nothing (more) was imported: file, index or key problem
constexpr int kExitUsage = 2;

void PrintProgress(const verkenner::indexer::ImportProgress& progress,
                   std::chrono::steady_clock::time_point start, bool terminal) {
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const double rate = seconds > 0 ? progress.rows_read / seconds : 0;
  const double fraction = progress.bytes_total > 0
                              ? static_cast<double>(progress.bytes_read) / progress.bytes_total
                              : 0;
  const double eta = fraction > 0 ? seconds / fraction - seconds : 0;
  if (terminal) {
    const int width = 30;
    const int filled = static_cast<int>(fraction * width);
    std::fprintf(stderr, "\r[%s%s] %5.1f%%  %lld rows  %.0f rows/s  ETA %.0fs ",
                 std::string(filled, '#').c_str(), std::string(width - filled, ' ').c_str(),
                 fraction * 100, static_cast<long long>(progress.rows_read), rate, eta);
  } else {
    std::fprintf(stderr, "progress: %lld rows, %.1f%%, %.0f rows/s\n",
                 static_cast<long long>(progress.rows_read), fraction * 100, rate);
  }
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "Imports Sonar-style client profiles into an anonymous search index.\n"
      "  verkenner-index --index DIR [--key-file FILE] FILE.csv|FILE.jsonl ...\n"
      "Exit codes: 0 all rows imported, 3 some rows rejected, 1 failed, 2 usage error.");
  std::vector<char*> files = absl::ParseCommandLine(argc, argv);
  files.erase(files.begin());
  const std::string index = absl::GetFlag(FLAGS_index);
  if (index.empty() || files.empty()) {
    std::cerr << "verkenner-index: give --index DIR and at least one file (see --help)\n";
    return kExitUsage;
  }
  verkenner::indexer::Importer::Options options;
  const std::string format = absl::GetFlag(FLAGS_format);
  if (format == "csv") {
    options.format = verkenner::indexer::SourceFileFormat::kCsv;
  } else if (format == "jsonl") {
    options.format = verkenner::indexer::SourceFileFormat::kJsonLines;
  } else if (format != "auto") {
    std::cerr << "verkenner-index: --format must be auto, csv or jsonl\n";
    return kExitUsage;
  }
  options.batch_size = absl::GetFlag(FLAGS_batch_size);
  if (options.batch_size <= 0) {
    std::cerr << "verkenner-index: --batch_size must be positive\n";
    return kExitUsage;
  }
  options.today_day = std::chrono::floor<std::chrono::days>(std::chrono::system_clock::now())
                          .time_since_epoch()
                          .count();

  std::string refdata_dir = absl::GetFlag(FLAGS_refdata);
  if (refdata_dir.empty()) refdata_dir = verkenner::engine::ReferenceData::DefaultDirectory();
  auto reference_data = verkenner::engine::ReferenceData::Load(refdata_dir);
  if (!reference_data.ok()) {
    std::cerr << "verkenner-index: " << reference_data.status().message() << "\n";
    return kExitFailed;
  }
  std::string key_file = absl::GetFlag(FLAGS_key_file);
  if (key_file.empty()) key_file = verkenner::indexer::Pseudonymizer::DefaultKeyFile();
  auto pseudonymizer = verkenner::indexer::Pseudonymizer::FromKeyFile(key_file);
  if (!pseudonymizer.ok()) {
    std::cerr << "verkenner-index: " << pseudonymizer.status().message() << "\n";
    return kExitFailed;
  }
  auto writer = verkenner::indexer::IndexWriter::Open(index, *reference_data);
  if (!writer.ok()) {
    std::cerr << "verkenner-index: " << writer.status().message() << "\n";
    return kExitFailed;
  }

  verkenner::indexer::Importer importer(*reference_data, std::move(*pseudonymizer), {},
                                        writer->get());
  const bool terminal = isatty(STDERR_FILENO);
  bool any_rejected = false;
  for (const char* file : files) {
    const auto start = std::chrono::steady_clock::now();
    options.on_progress = [&](const verkenner::indexer::ImportProgress& progress) {
      PrintProgress(progress, start, terminal);
    };
    auto report = importer.ImportFile(file, options);
    if (terminal) std::fprintf(stderr, "\n");
    if (!report.ok()) {
      std::cerr << "verkenner-index: " << file << ": " << report.status().message() << "\n";
      return kExitFailed;
    }
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf("%s: %lld rows in %.1fs (%.0f rows/s)\n", file,
                static_cast<long long>(report->rows_read), seconds,
                seconds > 0 ? report->rows_read / seconds : 0.0);
    std::printf(
        "  created %lld, updated %lld, withdrawn %lld, delete of unknown %lld, "
        "rejected %lld\n",
        static_cast<long long>(report->created), static_cast<long long>(report->updated),
        static_cast<long long>(report->withdrawn), static_cast<long long>(report->withdraw_unknown),
        static_cast<long long>(report->rejected));
    const int64_t upserts = report->created + report->updated;
    std::printf("  completeness of accepted profiles:");
    for (const char* field : {"education", "experience", "availability", "travel", "affinities"}) {
      auto it = report->known_field_counts.find(field);
      const int64_t known = it == report->known_field_counts.end() ? 0 : it->second;
      std::printf(" %s %.0f%%", field, upserts > 0 ? 100.0 * known / upserts : 0.0);
    }
    std::printf("\n");
    const int show = absl::GetFlag(FLAGS_show_rejected);
    for (int i = 0; i < show && i < static_cast<int>(report->rejected_rows.size()); ++i) {
      const auto& rejected = report->rejected_rows[i];
      std::printf("  rejected row %lld: %s: %s\n", static_cast<long long>(rejected.row),
                  rejected.field.c_str(), rejected.reason.c_str());
    }
    any_rejected = any_rejected || report->rejected > 0;
  }
  std::printf("index %s now holds %lld profiles\n", index.c_str(),
              static_cast<long long>((*writer)->DocumentCount()));
  return any_rejected ? kExitRowsRejected : kExitOk;
}
