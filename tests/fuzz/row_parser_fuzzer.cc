// libFuzzer target for the import row parser: the input is one import file, read the way the
// importer reads it (indexer/source_reader.h: SourceFileReader), and every row that parses is
// validated. Besides crashes and sanitizer reports, it traps when one of these breaks:
//
//   1. No error message (absl::Status message, its ErrorField() payload, or a validator
//      FieldError) repeats input bytes, as tests/fuzz/echo_check.h defines it, with the parser's
//      text as owned: the proto's field and enum names and the string literals of the parser's
//      sources. The one documented exception: a header column or JSON key that looks like a
//      field name may be named in the error about it (source_format.h: LooksLikeFieldName).
//   2. Every error of the parsing functions is InvalidArgument.
//   3. ParseCsvRow() never returns OK with a profile whose fields hold bytes that are not in the
//      input: scalar text fields are their cell as is, list values are trimmed, non-empty pieces
//      of their cell, and no field without a column is set.
//   4. What the writers make of a parsed profile reads back to the same profile: FormatCsvRow()
//      up to the documented '/' for '|' and '~' in list values, FormatJsonLine() exactly.
//
// A file whose first byte (after a byte order mark and white space) is '{' is read as JSON Lines,
// any other as CSV, so the seed corpus is plain import files.

#include <array>
#include <cctype>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <memory>
#include <sstream>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "engine/refdata/csv_reader.h"
#include "engine/refdata/reference_data.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"
#include "google/protobuf/util/message_differencer.h"
#include "indexer/profile_validator.h"
#include "indexer/source_format.h"
#include "indexer/source_reader.h"
#include "tests/fuzz/echo_check.h"
#include "verkenner/v1/source_profile.pb.h"

namespace verkenner::indexer {
namespace {

using fuzz::BytesEqual;
using fuzz::Contains;
using fuzz::View;

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;
using google::protobuf::util::MessageDifferencer;

// Smaller than the importer's 1 MiB, so that inputs of the size libFuzzer makes (a few KiB) reach
// the "record too long" path as well. Most generated rows are shorter (median 370 bytes).
constexpr size_t kMaxRecordBytes = 512;

// The sources whose string literals may appear in error messages (relative to the checkout).
constexpr const char* kMessageSources[] = {
    "engine/refdata/csv_reader.cc",
    "indexer/source_format.cc",
    "indexer/profile_validator.cc",
    "indexer/source_reader.cc",
};

constexpr char kTarget[] = "row_parser_fuzzer";

[[noreturn]] void Fail(std::string_view what, std::string_view detail) {
  fuzz::Fail(kTarget, what, detail);
}

// Everything the target needs across inputs, built once.
struct FuzzContext {
  std::unique_ptr<ProfileValidator> validator;
  // Invariant 1: the text the parser owns.
  std::unique_ptr<fuzz::EchoCheck> echo_check;
  // The header FormatCsvHeader() writes, mapped, for reading back FormatCsvRow()'s output.
  std::unique_ptr<CsvColumnMapping> full_mapping;
};

const FuzzContext* context = nullptr;

void Initialize() {
  auto* built = new FuzzContext();
  absl::StatusOr<std::shared_ptr<const engine::ReferenceData>> reference_data =
      engine::ReferenceData::Load(engine::ReferenceData::DefaultDirectory());
  if (!reference_data.ok()) {
    std::fprintf(stderr, "row_parser_fuzzer: cannot load reference data from %s: %s\n",
                 engine::ReferenceData::DefaultDirectory().c_str(),
                 std::string(reference_data.status().message()).c_str());
    std::exit(1);
  }
  built->validator = std::make_unique<ProfileValidator>(*std::move(reference_data));

  std::vector<std::string> owned;
  fuzz::AddProtoNames(v1::SourceProfile::descriptor(), &owned);
  for (const std::string& name : CsvHeader()) owned.push_back(name);
  built->echo_check = std::make_unique<fuzz::EchoCheck>(
      kTarget, owned,
      std::vector<std::string>(std::begin(kMessageSources), std::end(kMessageSources)));

  std::vector<std::string> header(CsvHeader().begin(), CsvHeader().end());
  absl::StatusOr<CsvColumnMapping> mapping = CsvColumnMapping::FromHeader(header);
  if (!mapping.ok()) Fail("CsvHeader() is not a valid header", View(mapping.status().message()));
  built->full_mapping = std::make_unique<CsvColumnMapping>(*std::move(mapping));
  context = built;
}

bool IsAsciiSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

std::string_view TrimAscii(std::string_view text) {
  while (!text.empty() && IsAsciiSpace(text.front())) text.remove_prefix(1);
  while (!text.empty() && IsAsciiSpace(text.back())) text.remove_suffix(1);
  return text;
}

// The documented exception for JSON: an unknown key that looks like a field name may be named.
// Protobuf's parser also takes keys without quotes, so every word of the line ([A-Za-z0-9_]
// runs) that looks like one, key or not, to keep this simple.
std::vector<std::string> FieldLikeWords(std::string_view line) {
  auto is_word_byte = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  };
  std::vector<std::string> words;
  size_t at = 0;
  while (at < line.size()) {
    size_t end = at;
    while (end < line.size() && is_word_byte(line[end])) ++end;
    if (end > at && LooksLikeFieldName(line.substr(at, end - at))) {
      words.emplace_back(line.substr(at, end - at));
    }
    at = end == at ? at + 1 : end;
  }
  return words;
}

// Invariants 1 and 2 for an error of the parsing functions.
void CheckParseError(const absl::Status& status, std::string_view input,
                     const std::vector<std::string>& may_echo, std::string_view where) {
  if (status.ok()) return;
  if (status.code() != absl::StatusCode::kInvalidArgument) {
    Fail(std::string(where) + ": an error that is not InvalidArgument", status.ToString());
  }
  context->echo_check->Check(View(status.message()), input, may_echo, where);
  context->echo_check->Check(ErrorField(status), input, may_echo,
                             std::string(where) + " (ErrorField)");
}

void ValidateProfile(const v1::SourceProfile& profile, std::string_view input) {
  for (const FieldError& error : context->validator->Validate(profile)) {
    context->echo_check->Check(error.field, input, {}, "ProfileValidator field");
    context->echo_check->Check(error.reason, input, {}, "ProfileValidator reason");
  }
}

// Invariant 3 for one list value or work_experience part taken from `cell`.
void CheckPiece(std::string_view piece, std::string_view cell, std::string_view forbidden,
                const FieldDescriptor* field) {
  if (cell.find(piece) == std::string_view::npos) {
    Fail("ParseCsvRow: a list value that is not part of its cell", field->full_name());
  }
  if (piece.find_first_of(forbidden) != std::string_view::npos) {
    Fail("ParseCsvRow: a list value holding a separator", field->full_name());
  }
  if (!piece.empty() && (IsAsciiSpace(piece.front()) || IsAsciiSpace(piece.back()))) {
    Fail("ParseCsvRow: a list value that is not trimmed", field->full_name());
  }
}

// Invariant 3.
void CheckCsvProfile(const CsvColumnMapping& mapping, const std::vector<std::string>& cells,
                     const v1::SourceProfile& profile, const std::array<bool, 256>& input_bytes) {
  const Reflection* reflection = profile.GetReflection();
  std::vector<const FieldDescriptor*> set_fields;
  reflection->ListFields(profile, &set_fields);
  for (const FieldDescriptor* field : set_fields) {
    bool has_column = false;
    for (size_t column = 0; column < mapping.column_count(); ++column) {
      has_column = has_column || mapping.field(column) == field;
    }
    if (!has_column) Fail("ParseCsvRow: set a field that has no column", field->name());
  }
  for (size_t column = 0; column < cells.size(); ++column) {
    const std::string& cell = cells[column];
    for (char c : cell) {
      if (!input_bytes[static_cast<unsigned char>(c)]) {
        Fail("CsvReader: a cell holds a byte that is not in the input",
             mapping.field(column)->name());
      }
    }
    const FieldDescriptor* field = mapping.field(column);
    if (field->cpp_type() == FieldDescriptor::CPPTYPE_STRING && !field->is_repeated()) {
      if (reflection->GetString(profile, field) != cell) {
        Fail("ParseCsvRow: a text field differs from its cell", field->name());
      }
    } else if (field->cpp_type() == FieldDescriptor::CPPTYPE_STRING) {
      for (int i = 0; i < reflection->FieldSize(profile, field); ++i) {
        std::string value = reflection->GetRepeatedString(profile, field, i);
        if (value.empty()) Fail("ParseCsvRow: an empty list value", field->name());
        CheckPiece(value, cell, std::string_view("|"), field);
      }
    } else if (field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
      for (int i = 0; i < reflection->FieldSize(profile, field); ++i) {
        const Message& entry = reflection->GetRepeatedMessage(profile, field, i);
        const Reflection* entry_reflection = entry.GetReflection();
        const Descriptor* type = entry.GetDescriptor();
        for (int part = 0; part < type->field_count(); ++part) {
          const FieldDescriptor* part_field = type->field(part);
          if (part_field->cpp_type() != FieldDescriptor::CPPTYPE_STRING) continue;
          CheckPiece(entry_reflection->GetString(entry, part_field), cell, "|~", part_field);
        }
      }
    }
  }
}

// FormatCsvRow() writes '/' for '|' and '~' in list values, which a cell cannot hold.
v1::SourceProfile WithListSeparatorsReplaced(const v1::SourceProfile& profile) {
  v1::SourceProfile result = profile;
  auto replace = [](std::string* text) {
    for (char& c : *text) {
      if (c == kCsvListSeparator || c == kCsvPartSeparator) c = '/';
    }
  };
  const Reflection* reflection = result.GetReflection();
  const Descriptor* descriptor = result.GetDescriptor();
  for (int i = 0; i < descriptor->field_count(); ++i) {
    const FieldDescriptor* field = descriptor->field(i);
    if (!field->is_repeated()) continue;
    for (int j = 0; j < reflection->FieldSize(result, field); ++j) {
      if (field->cpp_type() == FieldDescriptor::CPPTYPE_STRING) {
        std::string value = reflection->GetRepeatedString(result, field, j);
        replace(&value);
        reflection->SetRepeatedString(&result, field, j, value);
      } else if (field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
        Message* entry = reflection->MutableRepeatedMessage(&result, field, j);
        const Descriptor* type = entry->GetDescriptor();
        for (int part = 0; part < type->field_count(); ++part) {
          const FieldDescriptor* part_field = type->field(part);
          if (part_field->cpp_type() != FieldDescriptor::CPPTYPE_STRING) continue;
          std::string value = entry->GetReflection()->GetString(*entry, part_field);
          replace(&value);
          entry->GetReflection()->SetString(entry, part_field, value);
        }
      }
    }
  }
  return result;
}

// Invariant 4 for CSV.
void CheckCsvRoundTrip(const v1::SourceProfile& profile, char separator) {
  // A whole file, as the generator writes it: a row never starts the file, so a byte order mark
  // at the start of its first cell is data.
  std::istringstream written(FormatCsvHeader(separator) + "\n" + FormatCsvRow(profile, separator));
  engine::CsvReader::Options options;
  options.separator = separator;
  engine::CsvReader reader(written, options);
  std::vector<std::string> cells;
  absl::StatusOr<bool> header = reader.Next(cells);
  absl::StatusOr<bool> read = reader.Next(cells);
  if (!header.ok() || !read.ok() || !*read) {
    Fail("FormatCsvRow: CsvReader cannot read the output", profile.DebugString());
  }
  v1::SourceProfile reread;
  if (absl::Status status = ParseCsvRow(*context->full_mapping, cells, &reread); !status.ok()) {
    Fail("FormatCsvRow: output ParseCsvRow rejects", status.ToString());
  }
  v1::SourceProfile expected = WithListSeparatorsReplaced(profile);
  if (!MessageDifferencer::Equals(reread, expected)) {
    Fail("FormatCsvRow -> ParseCsvRow changed the profile",
         expected.DebugString() + "\n  became\n" + reread.DebugString());
  }
}

// Invariant 4 for JSON Lines.
void CheckJsonRoundTrip(const v1::SourceProfile& profile) {
  absl::StatusOr<std::string> line = FormatJsonLine(profile);
  if (!line.ok()) Fail("FormatJsonLine failed on a parsed profile", line.status().ToString());
  v1::SourceProfile reread;
  if (absl::Status status = ParseJsonLine(*line, &reread); !status.ok()) {
    Fail("FormatJsonLine: output ParseJsonLine rejects", status.ToString());
  }
  if (!MessageDifferencer::Equals(reread, profile)) {
    Fail("FormatJsonLine -> ParseJsonLine changed the profile",
         profile.DebugString() + "\n  became\n" + reread.DebugString());
  }
}

// The importer's own reading loop (SourceFileReader) over a CSV file, checking every error and
// every parsed row.
void FuzzCsv(std::string_view input) {
  std::array<bool, 256> input_bytes{};
  for (char c : input) input_bytes[static_cast<unsigned char>(c)] = true;

  std::istringstream in{std::string(input)};
  SourceFileReader reader(in, SourceFileFormat::kCsv, kMaxRecordBytes);
  absl::Status started = reader.Start();
  // The documented exception: a column name that looks like a field name may be named.
  std::vector<std::string> field_like_columns;
  for (size_t i = 0; i < reader.header().size(); ++i) {
    std::string_view name = reader.header()[i];
    if (i == 0 && name.starts_with("\xEF\xBB\xBF")) name.remove_prefix(3);
    name = TrimAscii(name);
    if (LooksLikeFieldName(name)) field_like_columns.emplace_back(name);
  }
  CheckParseError(started, input, field_like_columns, "SourceFileReader::Start");
  if (!started.ok()) return;

  // Start() succeeded, so the header line has a separator.
  const char separator = *DetectCsvSeparator(input.substr(0, input.find('\n')));
  SourceRecord record;
  while (reader.Next(record)) {
    CheckParseError(record.status, input, {}, "SourceFileReader::Next");
    if (!record.status.ok()) continue;
    CheckCsvProfile(*reader.mapping(), record.cells, record.profile, input_bytes);
    CheckCsvRoundTrip(record.profile, separator);
    ValidateProfile(record.profile, input);
  }
}

// The importer's own reading loop over a JSON Lines file.
void FuzzJsonLines(std::string_view input) {
  std::istringstream in{std::string(input)};
  SourceFileReader reader(in, SourceFileFormat::kJsonLines, kMaxRecordBytes);
  if (!reader.Start().ok()) Fail("SourceFileReader::Start failed for JSON Lines", "");
  // The lines as the reader sees them, to know which line a rejected record came from.
  std::vector<std::string> lines;
  std::istringstream split{std::string(input)};
  for (std::string line; std::getline(split, line);) lines.push_back(line);
  SourceRecord record;
  while (reader.Next(record)) {
    if (!record.status.ok()) {
      // A JSON key that looks like a field name may be named, as for CSV columns.
      const std::string& line = lines.at(static_cast<size_t>(record.row - 1));
      CheckParseError(record.status, input, FieldLikeWords(line), "SourceFileReader::Next");
      continue;
    }
    CheckJsonRoundTrip(record.profile);
    ValidateProfile(record.profile, input);
  }
}

bool LooksLikeJsonLines(std::string_view input) {
  if (input.starts_with("\xEF\xBB\xBF")) input.remove_prefix(3);
  size_t first = input.find_first_not_of(" \t\r\n");
  return first != std::string_view::npos && input[first] == '{';
}

}  // namespace
}  // namespace verkenner::indexer

extern "C" int LLVMFuzzerInitialize(int* /*argc*/, char*** /*argv*/) {
  verkenner::indexer::Initialize();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  if (verkenner::indexer::LooksLikeJsonLines(input)) {
    verkenner::indexer::FuzzJsonLines(input);
  } else {
    verkenner::indexer::FuzzCsv(input);
  }
  return 0;
}
