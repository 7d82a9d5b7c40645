#ifndef VERKENNER_INDEXER_IMPORTER_H_
#define VERKENNER_INDEXER_IMPORTER_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "indexer/index_writer.h"
#include "indexer/profile_anonymizer.h"
#include "indexer/profile_validator.h"

namespace verkenner::indexer {

enum class SourceFileFormat { kAuto, kCsv, kJsonLines };

// A row that was not imported. Never holds the offending value.
struct RejectedRow {
  int64_t row = 0;  // CSV: data row number (1 = first row after the header); JSONL: line number
  std::string field;
  std::string reason;
};

struct ImportProgress {
  int64_t rows_read = 0;
  int64_t bytes_read = 0;
  int64_t bytes_total = 0;  // 0 when unknown
};

// What an import did. Counts are of rows; completeness counts are of accepted upserts.
struct ImportReport {
  int64_t rows_read = 0;
  int64_t created = 0;
  int64_t updated = 0;
  int64_t withdrawn = 0;
  int64_t withdraw_unknown = 0;  // delete rows for profiles that were not in the index
  int64_t rejected = 0;
  std::vector<RejectedRow> rejected_rows;
  // Per core field ("education", "experience", ...): accepted upserts with the field known.
  std::map<std::string, int64_t> known_field_counts;
  int64_t accepted() const { return created + updated + withdrawn + withdraw_unknown; }
};

// Runs the import pipeline: read -> validate -> anonymise -> write, committing in batches.
// A bad row never blocks good rows; it goes to the report. A file-level problem (unreadable
// file, bad header) fails the whole import before anything is written.
//
// Not thread-safe; uses the IndexWriter it is given (not owned; must outlive the importer).
class Importer {
 public:
  struct Options {
    SourceFileFormat format = SourceFileFormat::kAuto;  // kAuto: by extension, .jsonl/.json = JSONL
    int64_t batch_size = 10000;                         // rows per committed batch
    int64_t today_day = 0;                              // days since 1970-01-01
    std::function<void(const ImportProgress&)> on_progress;  // called once per batch
  };

  Importer(std::shared_ptr<const engine::ReferenceData> reference_data,
           std::shared_ptr<const Pseudonymizer> pseudonymizer, RetentionRule retention,
           IndexWriter* writer);

  // Imports one file. Errors: NotFound (file), InvalidArgument (header, naming the column),
  // or the index writer's errors.
  absl::StatusOr<ImportReport> ImportFile(const std::string& path, const Options& options);

  // Validates, anonymises and applies one profile inside the writer's current batch; rejected
  // rows are added to `report`. The streaming import RPC shares this path.
  absl::Status ImportProfile(const v1::SourceProfile& profile, int64_t row, int64_t today_day,
                             ImportReport& report);

 private:
  std::shared_ptr<const Pseudonymizer> pseudonymizer_;
  ProfileValidator validator_;
  ProfileAnonymizer anonymizer_;
  IndexWriter* writer_;
};

}  // namespace verkenner::indexer

#endif  // VERKENNER_INDEXER_IMPORTER_H_
