#ifndef VERKENNER_INDEXER_SYNTHETIC_SYNTHETIC_EXPORT_H_
#define VERKENNER_INDEXER_SYNTHETIC_SYNTHETIC_EXPORT_H_

// Synthetic import files as verkenner-generate writes them: profiles from a
// SyntheticProfileGenerator, formatted as CSV or JSON Lines, into a file that appears only when
// complete.

#include <cstdint>
#include <cstdio>
#include <functional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "indexer/source_format.h"
#include "indexer/source_reader.h"
#include "indexer/synthetic/synthetic_profile_generator.h"

namespace verkenner::indexer {

// Where an export goes: standard output, or a temporary file beside the target that is renamed
// over it only after everything was written, so a failed run never leaves a truncated file that
// looks complete. The destructor removes the temporary file of an export that was not closed.
//
// Not thread-safe. Errors: Unavailable naming the file and the system's reason.
class ExportFile {
 public:
  ExportFile() = default;
  ~ExportFile();
  ExportFile(const ExportFile&) = delete;
  ExportFile& operator=(const ExportFile&) = delete;

  // `path` "-" is standard output.
  absl::Status Open(const std::string& path);
  absl::Status Write(absl::string_view bytes);
  // Flushes, and for a file renames the temporary file over the target.
  absl::Status Close();

  // "standard output" or the path, for messages.
  std::string DisplayName() const;

 private:
  std::string path_;
  std::string temporary_path_;
  std::FILE* file_ = nullptr;
};

struct SyntheticExportOptions {
  int64_t count = 0;  // profiles to write
  // kCsv (a header row, then one row per profile) or kJsonLines; kAuto is InvalidArgument.
  SourceFileFormat format = SourceFileFormat::kCsv;
  char separator = kCsvSeparator;  // CSV only
  // Called after every `progress_step` profiles with the number written so far.
  std::function<void(int64_t profiles)> on_progress;
  int64_t progress_step = 1;
};

// Writes the next `options.count` profiles of `generator` to `output`, which must be open; does
// not close it. Errors: those of ExportFile::Write and of FormatJsonLine.
absl::Status WriteSyntheticExport(SyntheticProfileGenerator& generator,
                                  const SyntheticExportOptions& options, ExportFile& output);

}  // namespace verkenner::indexer

#endif  // VERKENNER_INDEXER_SYNTHETIC_SYNTHETIC_EXPORT_H_
