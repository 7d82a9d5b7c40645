#ifndef VERKENNER_ENGINE_REFDATA_CSV_READER_H_
#define VERKENNER_ENGINE_REFDATA_CSV_READER_H_

#include <cstdint>
#include <functional>
#include <istream>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace verkenner::engine {

// Reads RFC 4180 CSV records: fields may be quoted, and quoted fields may hold the separator,
// doubled quotes and line breaks. Both "\n" and "\r\n" end a record. A UTF-8 byte order mark at
// the very start is skipped. The reader does not check encodings; callers validate field content.
//
// Used for the reference data and for CSV import files, so there is one CSV dialect in the
// project. Not thread-safe; does not own the stream, which must outlive the reader.
class CsvReader {
 public:
  struct Options {
    // Field separator: ',' for the reference data, ';' for Dutch spreadsheet exports.
    char separator = ',';
    // A record longer than this is an error rather than an unbounded allocation.
    size_t max_record_bytes = 1 << 20;
  };

  CsvReader(std::istream& in, Options options);

  // Reads the next record into `fields` (cleared first). Returns false at end of input.
  // Errors: InvalidArgument for a quote left open at end of input or a record longer than
  // max_record_bytes; the message names the line but never quotes the content, which may be
  // personal data. After an error the reader continues at the next line.
  absl::StatusOr<bool> Next(std::vector<std::string>& fields);

  // Physical line (1-based) on which the record last returned by Next() started.
  int64_t record_line() const { return record_line_; }
  // Whether the error Next() last returned was a record longer than max_record_bytes (an
  // import reports that as too long, any other error as malformed).
  bool record_too_long() const { return record_too_long_; }

 private:
  // Returns the next byte, or -1 at end of input.
  int Get();
  int Peek();
  void SkipRestOfLine();

  std::istream& in_;
  Options options_;
  std::vector<char> buffer_;
  size_t position_ = 0;
  size_t size_ = 0;
  int64_t line_ = 1;
  int64_t record_line_ = 0;
  bool record_too_long_ = false;
  bool at_start_ = true;
};

// Splits a multi-valued cell ("a|b|c") on `separator`, dropping empty parts and trimming spaces.
std::vector<std::string> SplitMultiValue(const std::string& cell, char separator = '|');

// The cells of one data row of a CSV file with a header, by column name; a column the file does
// not have reads as empty.
using CsvRowGetter = std::function<const std::string&(std::string_view column)>;
// Called with each data row and the line on which it starts.
using CsvRowVisitor = std::function<absl::Status(const CsvRowGetter& get, int64_t line)>;

// Reads the comma-separated file at `path` (header row first) and calls `row` for every data row,
// skipping blank lines. Errors: NotFound for a file it cannot open; InvalidArgument, naming the
// file and line, for a missing required column, a row with another number of fields than the
// header, a malformed record, or an error `row` returned (its message kept).
absl::Status ForEachCsvRow(const std::string& path,
                           const std::vector<std::string>& required_columns,
                           const CsvRowVisitor& row);

}  // namespace verkenner::engine

#endif  // VERKENNER_ENGINE_REFDATA_CSV_READER_H_
