#ifndef VERKENNER_INDEXER_SOURCE_READER_H_
#define VERKENNER_INDEXER_SOURCE_READER_H_

#include <cstdint>
#include <istream>
#include <memory>
#include <optional>
#include <streambuf>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "engine/refdata/csv_reader.h"
#include "indexer/rejection_kind.h"
#include "indexer/source_format.h"
#include "verkenner/v1/source_profile.pb.h"

namespace verkenner::indexer {

enum class SourceFileFormat { kAuto, kCsv, kJsonLines };

// The longest record (CSV record or JSON line) an import reads; a longer one is a rejected row.
inline constexpr size_t kMaxSourceRecordBytes = 1 << 20;

// One record of an import file.
struct SourceRecord {
  int64_t row = 0;  // CSV: data row number (1 = first row after the header); JSONL: line number
  // OK, or why this row cannot be parsed (InvalidArgument naming the field, never the value).
  absl::Status status;
  // When status is not OK: kTooLong for a record over the reader's limit, else kBadFormat.
  RejectionKind problem = RejectionKind::kBadFormat;
  // The parsed row, when status is OK; otherwise its source and client_number where they could
  // be read (ParseCsvRowKey), so that a full sync keeps that client's profile.
  v1::SourceProfile profile;
  std::vector<std::string> cells;  // CSV only: the row's cells as read
};

// Reads the records of an import file in either format (docs/import-format.md), the one reading
// loop of the importer (and of the row-parser fuzzer, so it fuzzes what the importer runs). A bad
// row is a record with an error status and reading goes on; a bad file (empty, no usable header)
// fails Start().
//
// Not thread-safe; does not own the stream, which must outlive the reader.
class SourceFileReader {
 public:
  // `format` must not be kAuto. Records longer than `max_record_bytes` are refused.
  SourceFileReader(std::istream& in, SourceFileFormat format, size_t max_record_bytes);

  // Reads the header (CSV). Errors: InvalidArgument for an empty file, an undetectable separator
  // or a header CsvColumnMapping refuses.
  absl::Status Start();

  // The header's cells as read, also when Start() refused them (CSV only).
  const std::vector<std::string>& header() const { return header_; }
  // The column mapping after a successful Start() (CSV only).
  const CsvColumnMapping* mapping() const { return mapping_ ? &*mapping_ : nullptr; }

  // Reads the next record into `record`; false at the end of the file.
  bool Next(SourceRecord& record);

 private:
  bool NextCsv(SourceRecord& record);
  bool NextJsonLine(SourceRecord& record);

  std::istream& in_;
  SourceFileFormat format_;
  size_t max_record_bytes_;
  // CSV: the header line the separator was read from, then the rest of `in_` (which need not
  // be seekable: an upload's body arrives as it is read).
  std::unique_ptr<std::streambuf> replayed_;
  std::unique_ptr<std::istream> replayed_in_;
  std::unique_ptr<engine::CsvReader> csv_;
  std::vector<std::string> header_;
  std::optional<CsvColumnMapping> mapping_;
  int64_t row_ = 0;
  std::string line_;
};

}  // namespace verkenner::indexer

#endif  // VERKENNER_INDEXER_SOURCE_READER_H_
