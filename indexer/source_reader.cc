#include "indexer/source_reader.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace verkenner::indexer {
namespace {

// Reads `prefix`, then what `rest` has: so that a line read to look at it can be read again
// without seeking back, which a stream that arrives over the network cannot do.
class PrefixedStreamBuffer final : public std::streambuf {
 public:
  PrefixedStreamBuffer(std::string prefix, std::streambuf* rest)
      : prefix_(std::move(prefix)), rest_(rest) {
    setg(prefix_.data(), prefix_.data(), prefix_.data() + prefix_.size());
  }

 protected:
  int_type underflow() override {
    if (gptr() < egptr()) return traits_type::to_int_type(*gptr());
    // Whatever `rest` has at hand, without waiting for more than one of its parts.
    if (traits_type::eq_int_type(rest_->sgetc(), traits_type::eof())) return traits_type::eof();
    const std::streamsize available = std::max<std::streamsize>(1, rest_->in_avail());
    const std::streamsize got =
        rest_->sgetn(buffer_, std::min<std::streamsize>(available, sizeof(buffer_)));
    if (got <= 0) return traits_type::eof();
    setg(buffer_, buffer_, buffer_ + got);
    return traits_type::to_int_type(*gptr());
  }

 private:
  std::string prefix_;
  std::streambuf* rest_;
  char buffer_[64 * 1024];
};

}  // namespace

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
  if (!in_.eof()) header_line.push_back('\n');  // getline took it
  replayed_ = std::make_unique<PrefixedStreamBuffer>(std::move(header_line), in_.rdbuf());
  replayed_in_ = std::make_unique<std::istream>(replayed_.get());

  engine::CsvReader::Options options;
  options.separator = *separator;
  options.max_record_bytes = max_record_bytes_;
  csv_ = std::make_unique<engine::CsvReader>(*replayed_in_, options);
  absl::StatusOr<bool> read = csv_->Next(header_);
  if (!read.ok()) return read.status();
  absl::StatusOr<CsvColumnMapping> mapping = CsvColumnMapping::FromHeader(header_);
  if (!mapping.ok()) return mapping.status();
  mapping_ = std::move(*mapping);
  return absl::OkStatus();
}

bool SourceFileReader::Next(SourceRecord& record) {
  record.status = absl::OkStatus();
  record.problem = RejectionKind::kBadFormat;
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
      if (csv_->record_too_long()) record.problem = RejectionKind::kTooLong;
      return true;
    }
    if (!*more) return false;
    if (record.cells.size() == 1 && record.cells[0].empty()) {
      --row_;  // a blank line, e.g. at the end of the file
      continue;
    }
    record.status = ParseCsvRow(*mapping_, record.cells, &record.profile);
    if (!record.status.ok()) ParseCsvRowKey(*mapping_, record.cells, &record.profile);
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
      record.problem = RejectionKind::kTooLong;
    } else {
      record.status = ParseJsonLine(line_, &record.profile);
      if (!record.status.ok()) ParseJsonLineKey(line_, &record.profile);
    }
    return true;
  }
  return false;
}

}  // namespace verkenner::indexer
