#include "indexer/source_reader.h"

#include "absl/strings/str_cat.h"

namespace verkenner::indexer {

SourceFileReader::SourceFileReader(std::istream& in, SourceFileFormat format,
                                   size_t max_record_bytes)
    : in_(in), format_(format), max_record_bytes_(max_record_bytes) {}

absl::Status SourceFileReader::Start() {
  if (format_ != SourceFileFormat::kCsv) return absl::OkStatus();
  std::string header_line;
  std::getline(in_, header_line);
  if (header_line.empty() && in_.eof()) {
    return absl::InvalidArgumentError("the file is empty; expected a header row");
  }
  absl::StatusOr<char> separator = DetectCsvSeparator(header_line);
  if (!separator.ok()) return separator.status();
  in_.clear();
  in_.seekg(0, std::ios::beg);

  engine::CsvReader::Options options;
  options.separator = *separator;
  options.max_record_bytes = max_record_bytes_;
  csv_ = std::make_unique<engine::CsvReader>(in_, options);
  absl::StatusOr<bool> read = csv_->Next(header_);
  if (!read.ok()) return read.status();
  absl::StatusOr<CsvColumnMapping> mapping = CsvColumnMapping::FromHeader(header_);
  if (!mapping.ok()) return mapping.status();
  mapping_ = std::move(*mapping);
  return absl::OkStatus();
}

bool SourceFileReader::Next(SourceRecord& record) {
  record.status = absl::OkStatus();
  record.profile.Clear();
  record.cells.clear();
  return format_ == SourceFileFormat::kCsv ? NextCsv(record) : NextJsonLine(record);
}

bool SourceFileReader::NextCsv(SourceRecord& record) {
  if (!mapping_) return false;
  while (true) {
    absl::StatusOr<bool> more = csv_->Next(record.cells);
    record.row = ++row_;
    if (!more.ok()) {
      record.status = more.status();
      return true;
    }
    if (!*more) return false;
    if (record.cells.size() == 1 && record.cells[0].empty()) {
      --row_;  // a blank line, e.g. at the end of the file
      continue;
    }
    record.status = ParseCsvRow(*mapping_, record.cells, &record.profile);
    return true;
  }
}

bool SourceFileReader::NextJsonLine(SourceRecord& record) {
  while (std::getline(in_, line_)) {
    record.row = ++row_;
    if (row_ == 1 && line_.starts_with("\xEF\xBB\xBF")) line_.erase(0, 3);
    if (line_.find_first_not_of(" \t\r") == std::string::npos) continue;
    if (line_.size() > max_record_bytes_) {
      record.status = absl::InvalidArgumentError(
          absl::StrCat("line ", row_, ": longer than ", max_record_bytes_, " bytes"));
    } else {
      record.status = ParseJsonLine(line_, &record.profile);
    }
    return true;
  }
  return false;
}

}  // namespace verkenner::indexer
