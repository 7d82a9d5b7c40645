#include "engine/refdata/csv_reader.h"

#include <fstream>
#include <unordered_map>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace verkenner::engine {
namespace {
constexpr size_t kBufferBytes = 1 << 16;
}  // namespace

CsvReader::CsvReader(std::istream& in, Options options)
    : in_(in), options_(options), buffer_(kBufferBytes) {}

int CsvReader::Peek() {
  if (position_ == size_) {
    in_.read(buffer_.data(), static_cast<std::streamsize>(buffer_.size()));
    size_ = static_cast<size_t>(in_.gcount());
    position_ = 0;
    if (size_ == 0) return -1;
  }
  return static_cast<unsigned char>(buffer_[position_]);
}

int CsvReader::Get() {
  int c = Peek();
  if (c >= 0) {
    ++position_;
    if (c == '\n') ++line_;
  }
  return c;
}

void CsvReader::SkipRestOfLine() {
  for (int c = Get(); c >= 0 && c != '\n'; c = Get()) {
  }
}

absl::StatusOr<bool> CsvReader::Next(std::vector<std::string>& fields) {
  fields.clear();
  record_too_long_ = false;
  if (at_start_) {
    at_start_ = false;
    // UTF-8 byte order mark, as written by spreadsheet programs.
    if (Peek() == 0xEF) {
      Get();
      if (Get() != 0xBB || Get() != 0xBF) {
        return absl::InvalidArgumentError("line 1: malformed byte order mark");
      }
    }
  }
  if (Peek() < 0) return false;
  record_line_ = line_;

  std::string field;
  size_t record_bytes = 0;
  bool quoted = false;
  bool field_started = false;
  while (true) {
    int c = Get();
    if (c < 0) {
      if (quoted) {
        return absl::InvalidArgumentError(absl::StrCat(
            "line ", record_line_, ": quoted field is not closed before the end of the file"));
      }
      fields.push_back(std::move(field));
      return true;
    }
    if (++record_bytes > options_.max_record_bytes) {
      if (c != '\n') SkipRestOfLine();
      record_too_long_ = true;
      return absl::InvalidArgumentError(absl::StrCat(
          "line ", record_line_, ": record is longer than ", options_.max_record_bytes, " bytes"));
    }
    if (quoted) {
      if (c == '"') {
        if (Peek() == '"') {
          Get();
          field.push_back('"');
        } else {
          quoted = false;
        }
      } else {
        field.push_back(static_cast<char>(c));
      }
      continue;
    }
    if (c == '"' && !field_started) {
      quoted = true;
      field_started = true;
    } else if (c == options_.separator) {
      fields.push_back(std::move(field));
      field.clear();
      field_started = false;
    } else if (c == '\n') {
      fields.push_back(std::move(field));
      return true;
    } else if (c == '\r' && Peek() == '\n') {
      // Handled with the '\n'.
    } else {
      field.push_back(static_cast<char>(c));
      field_started = true;
    }
  }
}

std::vector<std::string> SplitMultiValue(const std::string& cell, char separator) {
  std::vector<std::string> values;
  for (absl::string_view part : absl::StrSplit(cell, separator)) {
    part = absl::StripAsciiWhitespace(part);
    if (!part.empty()) values.emplace_back(part);
  }
  return values;
}

absl::Status ForEachCsvRow(const std::string& path,
                           const std::vector<std::string>& required_columns,
                           const CsvRowVisitor& row) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot open CSV file ", path));
  CsvReader reader(in, {});
  std::vector<std::string> header;
  auto has_header = reader.Next(header);
  if (!has_header.ok()) return has_header.status();
  if (!*has_header) return absl::InvalidArgumentError(absl::StrCat(path, ": empty file"));
  std::unordered_map<std::string, size_t> column_index;
  for (size_t i = 0; i < header.size(); ++i) column_index[header[i]] = i;
  for (const std::string& column : required_columns) {
    if (!column_index.contains(column)) {
      return absl::InvalidArgumentError(absl::StrCat(path, ": missing column '", column, "'"));
    }
  }
  std::vector<std::string> fields;
  static const std::string kEmpty;
  CsvRowGetter get = [&](std::string_view column) -> const std::string& {
    auto it = column_index.find(std::string(column));
    if (it == column_index.end() || it->second >= fields.size()) return kEmpty;
    return fields[it->second];
  };
  while (true) {
    auto more = reader.Next(fields);
    if (!more.ok())
      return absl::InvalidArgumentError(absl::StrCat(path, ": ", more.status().message()));
    if (!*more) break;
    if (fields.size() == 1 && fields[0].empty()) continue;  // blank line
    if (fields.size() != header.size()) {
      return absl::InvalidArgumentError(absl::StrCat(path, ": line ", reader.record_line(),
                                                     ": expected ", header.size(),
                                                     " fields, found ", fields.size()));
    }
    absl::Status status = row(get, reader.record_line());
    if (!status.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ": line ", reader.record_line(), ": ", status.message()));
    }
  }
  return absl::OkStatus();
}

}  // namespace verkenner::engine
