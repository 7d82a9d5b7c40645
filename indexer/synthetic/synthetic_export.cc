#include "indexer/synthetic/synthetic_export.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace verkenner::indexer {
namespace {

// Bytes gathered before a write: few system calls, little memory.
constexpr size_t kFlushBytes = 1 << 20;

// `what` failed for the reason `error` (an errno value, read before anything could change it).
absl::Status SystemError(int error, absl::string_view what) {
  return absl::UnavailableError(absl::StrCat(what, ": ", std::strerror(error)));
}

}  // namespace

ExportFile::~ExportFile() {
  if (file_ != nullptr && file_ != stdout) {
    std::fclose(file_);
    std::remove(temporary_path_.c_str());
  }
}

absl::Status ExportFile::Open(const std::string& path) {
  path_ = path;
  if (path == "-") {
    file_ = stdout;
    return absl::OkStatus();
  }
  temporary_path_ = absl::StrCat(path, ".tmp-", getpid());
  file_ = std::fopen(temporary_path_.c_str(), "wb");
  if (file_ == nullptr) {
    const int error = errno;
    return SystemError(error, absl::StrCat("cannot create ", temporary_path_));
  }
  return absl::OkStatus();
}

absl::Status ExportFile::Write(absl::string_view bytes) {
  if (std::fwrite(bytes.data(), 1, bytes.size(), file_) != bytes.size()) {
    const int error = errno;
    return SystemError(error, absl::StrCat("cannot write ", DisplayName()));
  }
  return absl::OkStatus();
}

absl::Status ExportFile::Close() {
  if (file_ == stdout) {
    if (std::fflush(stdout) != 0) return SystemError(errno, "cannot write standard output");
    return absl::OkStatus();
  }
  std::FILE* file = file_;
  file_ = nullptr;
  if (std::fclose(file) != 0) {
    const int error = errno;
    std::remove(temporary_path_.c_str());
    return SystemError(error, absl::StrCat("cannot write ", path_));
  }
  if (std::rename(temporary_path_.c_str(), path_.c_str()) != 0) {
    const int error = errno;
    std::remove(temporary_path_.c_str());
    return SystemError(error, absl::StrCat("cannot rename the output to ", path_));
  }
  return absl::OkStatus();
}

std::string ExportFile::DisplayName() const { return path_ == "-" ? "standard output" : path_; }

absl::Status WriteSyntheticExport(SyntheticProfileGenerator& generator,
                                  const SyntheticExportOptions& options, ExportFile& output) {
  if (options.format == SourceFileFormat::kAuto) {
    return absl::InvalidArgumentError("an export needs a format: CSV or JSON Lines");
  }
  const bool csv = options.format == SourceFileFormat::kCsv;
  std::string buffer;
  buffer.reserve(kFlushBytes + (64 << 10));
  if (csv) {
    buffer = FormatCsvHeader(options.separator);
    buffer.push_back('\n');
  }
  v1::SourceProfile profile;
  for (int64_t row = 0; row < options.count; ++row) {
    generator.Next(&profile);
    if (csv) {
      AppendCsvRow(profile, options.separator, &buffer);
    } else {
      absl::StatusOr<std::string> line = FormatJsonLine(profile);
      if (!line.ok()) return line.status();
      buffer.append(*line);
    }
    buffer.push_back('\n');
    if (buffer.size() >= kFlushBytes) {
      if (absl::Status status = output.Write(buffer); !status.ok()) return status;
      buffer.clear();
    }
    if (options.on_progress && (row + 1) % options.progress_step == 0) options.on_progress(row + 1);
  }
  return output.Write(buffer);
}

}  // namespace verkenner::indexer
