#ifndef VERKENNER_INDEXER_SOURCE_FORMAT_H_
#define VERKENNER_INDEXER_SOURCE_FORMAT_H_

// The two file formats of an import record (verkenner.v1.SourceProfile), in both directions, so
// that the synthetic generator and the importer share one definition. docs/import-format.md
// describes them for people; this header is the contract for code.
//
// CSV: a header row naming SourceProfile fields, one record per profile. The columns are derived
// from SourceProfile's descriptor by reflection, so the field list exists once, in the proto:
//   - repeated string fields: values joined with '|' (values are trimmed, empty values dropped);
//   - work_experience: entries joined with '|', each entry's fields in field order
//     (occupation~sector~months~last_year) joined with '~';
//   - optional integer fields: empty means unset;
//   - driving_licence: "ja", "nee", or empty for unset;
//   - action: "upsert", "delete", or empty (= upsert); the proto's names ("SOURCE_ACTION_DELETE")
//     too, in any case;
//   - every other field: the text as is.
// A '|' inside a list value, or a '~' inside a work-experience part, cannot be represented; the
// writer replaces it with '/'. JSON Lines carries such values unchanged.
//
// JSON Lines: one SourceProfile per line in protobuf's JSON mapping with the proto field names
// ("first_name"), except that the action is spelled as in CSV ("delete"), in both directions; the
// reader also takes the proto's names.
//
// Neither parser trims text values or changes their case: the import contract's rule for that is
// NormalizeSourceProfile() (profile_validator.h), applied to a row whichever way it arrived.
//
// Errors from the parsing functions are InvalidArgument. Their messages name the field and the
// reason and never contain the input value, which may be a BSN, a name or an address: they are
// safe to log and to put in a rejected-rows report. ErrorField() gives the field separately.
//
// All functions are thread-safe.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "verkenner/v1/source_profile.pb.h"

namespace google::protobuf {
class FieldDescriptor;
}  // namespace google::protobuf

namespace verkenner::indexer {

// What the writer puts between fields: Dutch spreadsheet programs export with ';', because ',' is
// the decimal mark.
inline constexpr char kCsvSeparator = ';';
// Between the values of a repeated field and between work_experience entries.
inline constexpr char kCsvListSeparator = '|';
// Between the fields of one work_experience entry.
inline constexpr char kCsvPartSeparator = '~';

// SourceProfile's field names in field-number order: the columns FormatCsvRow() writes.
const std::vector<std::string>& CsvHeader();

// True for text that may appear in an error message although it came from the input: it looks
// like a field name (lower-case ASCII letters, digits and '_', starting with a letter, at most 64
// bytes). Names, BSNs, e-mail addresses, phone numbers and postcodes do not, so an unknown column
// or JSON key is named in an error only when this holds.
bool LooksLikeFieldName(std::string_view text);

// Appends `text` as one CSV cell, quoted as RFC 4180 says when it holds the separator, a double
// quote or a line break.
void AppendCsvCell(std::string_view text, char separator, std::string* out);

// CsvHeader() as one CSV record joined with `separator`, without a line break.
std::string FormatCsvHeader(char separator);

// `profile` as one CSV record with a cell per CsvHeader() column, without a line break. Cells
// holding the separator, a double quote or a line break are quoted as RFC 4180 says.
std::string FormatCsvRow(const v1::SourceProfile& profile, char separator);

// As FormatCsvRow(), but appends to `out`, so a writer can reuse one buffer for many rows.
void AppendCsvRow(const v1::SourceProfile& profile, char separator, std::string* out);

// The separator of a CSV import file, from its first line (a UTF-8 byte order mark before it is
// fine): ';' or ',', whichever occurs more often outside quotes. Errors: InvalidArgument when the
// line has neither, or both equally often.
absl::StatusOr<char> DetectCsvSeparator(std::string_view header_line);

// Which SourceProfile field each column of a CSV import file holds. Built once per file from its
// header row; columns may come in any order and any subset, as long as `source` and
// `client_number` are present. Names are matched ignoring ASCII case and surrounding spaces.
// Immutable and cheap to copy.
class CsvColumnMapping {
 public:
  // Errors (InvalidArgument): a column whose name is not a SourceProfile field (named in the
  // message only if it looks like a field name, because a file without its header row would
  // otherwise put its first data row, with a BSN or a name, into the message); an empty column
  // name; a field named twice; `source` or `client_number` missing.
  static absl::StatusOr<CsvColumnMapping> FromHeader(const std::vector<std::string>& header);

  size_t column_count() const { return fields_.size(); }
  // The SourceProfile field that column `column` (0-based) holds.
  const google::protobuf::FieldDescriptor* field(size_t column) const { return fields_[column]; }

 private:
  explicit CsvColumnMapping(std::vector<const google::protobuf::FieldDescriptor*> fields)
      : fields_(std::move(fields)) {}

  std::vector<const google::protobuf::FieldDescriptor*> fields_;
};

// Fills `out` (cleared first) from one CSV record read with the file's mapping. Errors
// (InvalidArgument): the record has a different number of fields than the header; a cell that is
// not valid UTF-8 ("last_name: is not valid UTF-8 ..."), or that does not parse as its field's type
// (a number, ja/nee, upsert/delete, a work_experience entry with too many parts). The message names
// the field, e.g. "hours_min: not a whole number" or "work_experience[1].months: not a whole
// number" (entries counted from 0), never the cell. Checks syntax only: whether a BSN passes the
// elfproef or a postcode exists is the validator's business.
absl::Status ParseCsvRow(const CsvColumnMapping& mapping, const std::vector<std::string>& fields,
                         v1::SourceProfile* out);

// For a row ParseCsvRow() refused: fills `out` (cleared first) with the row's source and
// client_number only, when the row has the header's number of fields and they are valid UTF-8,
// so that the import knows whose row it was (a full sync keeps that client's profile). Unchecked.
void ParseCsvRowKey(const CsvColumnMapping& mapping, const std::vector<std::string>& fields,
                    v1::SourceProfile* out);

// `profile` as one line of JSON (no line break inside, none at the end). Fields at their default
// value are left out. Errors: Internal if protobuf cannot encode the message.
absl::StatusOr<std::string> FormatJsonLine(const v1::SourceProfile& profile);

// Fills `out` (cleared first) from one JSON Lines line. A UTF-8 byte order mark before the line
// and white space (including "\r") around it are ignored. Errors (InvalidArgument): an empty line;
// a line that is not valid UTF-8; malformed JSON; a value of the wrong type (named by its field
// path); an unknown field (named only if it looks like a field name). Protobuf's own error text,
// which can quote the input, is never passed on.
absl::Status ParseJsonLine(std::string_view line, v1::SourceProfile* out);

// ParseCsvRowKey() for a line ParseJsonLine() refused: source and client_number, when the line
// is a JSON object holding them as strings.
void ParseJsonLineKey(std::string_view line, v1::SourceProfile* out);

// An InvalidArgument error "<field>: <reason>" about `field`, which ErrorField() gives back.
// `reason` must not contain input values.
absl::Status InvalidFieldStatus(std::string_view field, std::string_view reason);

// The field an error from this header is about: a column or field path such as "hours_min" or
// "work_experience[1].months", or "" when the error is not about one field.
std::string ErrorField(const absl::Status& status);

// True when `text` has the form of a field path ("hours_min", "work_experience[1].months"; at
// most 64 characters of lower-case letters, digits, '_', '.', '[' and ']'), so that it cannot
// carry text from the file. Whoever passes on a field name from elsewhere checks it with this.
bool IsFieldPath(std::string_view text);

}  // namespace verkenner::indexer

#endif  // VERKENNER_INDEXER_SOURCE_FORMAT_H_
