#include "indexer/importer.h"

#include <fstream>
#include <sstream>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "engine/refdata/csv_reader.h"
#include "engine/schema.h"
#include "indexer/source_format.h"

namespace verkenner::indexer {
namespace {

// Calls `row` for each record of the file, with its row number; stops on the first error `row`
// returns. Parse errors of single rows are reported through `reject`.
using RowSink = std::function<absl::Status(const v1::SourceProfile&, int64_t row)>;
using RejectSink = std::function<void(int64_t row, const absl::Status& status)>;

int64_t FileSize(std::istream& in) {
  in.seekg(0, std::ios::end);
  int64_t size = in.tellg();
  in.seekg(0, std::ios::beg);
  return size < 0 ? 0 : size;
}

absl::Status ReadCsv(std::istream& in, const RowSink& sink, const RejectSink& reject) {
  std::string header_line;
  std::getline(in, header_line);
  if (header_line.empty() && in.eof()) {
    return absl::InvalidArgumentError("the file is empty; expected a header row");
  }
  absl::StatusOr<char> separator = DetectCsvSeparator(header_line);
  if (!separator.ok()) return separator.status();
  in.clear();
  in.seekg(0, std::ios::beg);

  engine::CsvReader::Options csv_options;
  csv_options.separator = *separator;
  engine::CsvReader reader(in, csv_options);
  std::vector<std::string> fields;
  absl::StatusOr<bool> more = reader.Next(fields);
  if (!more.ok()) return more.status();
  absl::StatusOr<CsvColumnMapping> mapping = CsvColumnMapping::FromHeader(fields);
  if (!mapping.ok()) return mapping.status();

  int64_t row = 0;
  v1::SourceProfile profile;
  while (true) {
    more = reader.Next(fields);
    ++row;
    if (!more.ok()) {
      reject(row, more.status());
      continue;
    }
    if (!*more) break;
    if (fields.size() == 1 && fields[0].empty()) {
      --row;  // blank line, e.g. at the end of the file
      continue;
    }
    profile.Clear();
    if (absl::Status parsed = ParseCsvRow(*mapping, fields, &profile); !parsed.ok()) {
      reject(row, parsed);
      continue;
    }
    if (absl::Status status = sink(profile, row); !status.ok()) return status;
  }
  return absl::OkStatus();
}

absl::Status ReadJsonLines(std::istream& in, const RowSink& sink, const RejectSink& reject) {
  std::string line;
  int64_t row = 0;
  v1::SourceProfile profile;
  while (std::getline(in, line)) {
    ++row;
    if (row == 1 && absl::StartsWith(line, "\xEF\xBB\xBF")) line.erase(0, 3);
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    profile.Clear();
    if (absl::Status parsed = ParseJsonLine(line, &profile); !parsed.ok()) {
      reject(row, parsed);
      continue;
    }
    if (absl::Status status = sink(profile, row); !status.ok()) return status;
  }
  return absl::OkStatus();
}

}  // namespace

Importer::Importer(std::shared_ptr<const engine::ReferenceData> reference_data,
                   std::shared_ptr<const Pseudonymizer> pseudonymizer, RetentionRule retention,
                   IndexWriter* writer)
    : pseudonymizer_(pseudonymizer),
      validator_(reference_data),
      anonymizer_(reference_data, std::move(pseudonymizer), retention),
      writer_(writer) {}

absl::Status Importer::ImportProfile(const v1::SourceProfile& profile, int64_t row,
                                     int64_t today_day, ImportReport& report) {
  std::vector<FieldError> errors = validator_.Validate(profile);
  if (!errors.empty()) {
    ++report.rejected;
    for (FieldError& error : errors) {
      report.rejected_rows.push_back({row, std::move(error.field), std::move(error.reason)});
    }
    return absl::OkStatus();
  }
  if (profile.action() == v1::SOURCE_ACTION_DELETE) {
    absl::StatusOr<bool> existed =
        writer_->Withdraw(pseudonymizer_->ProfileId(profile.source(), profile.client_number()));
    if (!existed.ok()) return existed.status();
    ++(*existed ? report.withdrawn : report.withdraw_unknown);
    return absl::OkStatus();
  }
  engine::CandidateRecord record = anonymizer_.Anonymize(profile, today_day);
  absl::StatusOr<bool> created = writer_->Upsert(record);
  if (!created.ok()) return created.status();
  ++(*created ? report.created : report.updated);
  auto count_known = [&](const char* field, bool known) {
    if (known) ++report.known_field_counts[field];
  };
  count_known(engine::schema::kKnownEducation, record.education_known());
  count_known(engine::schema::kKnownExperience, record.experience_known());
  count_known(engine::schema::kKnownAvailability, record.availability_known());
  count_known(engine::schema::kKnownTravelDistance, record.travel_distance_known());
  count_known(engine::schema::kKnownAffinities, record.affinities_known());
  return absl::OkStatus();
}

absl::StatusOr<ImportReport> Importer::ImportFile(const std::string& path, const Options& options) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot open import file ", path));
  SourceFileFormat format = options.format;
  if (format == SourceFileFormat::kAuto) {
    format = absl::EndsWith(path, ".jsonl") || absl::EndsWith(path, ".json")
                 ? SourceFileFormat::kJsonLines
                 : SourceFileFormat::kCsv;
  }
  ImportProgress progress;
  progress.bytes_total = FileSize(in);

  ImportReport report;
  int64_t rows_in_batch = 0;
  if (absl::Status status = writer_->BeginBatch(); !status.ok()) return status;
  auto finish_batch = [&]() -> absl::Status {
    if (absl::Status status = writer_->CommitBatch(); !status.ok()) return status;
    rows_in_batch = 0;
    if (options.on_progress) {
      progress.rows_read = report.rows_read;
      int64_t position = in.tellg();
      progress.bytes_read = position < 0 ? progress.bytes_total : position;
      options.on_progress(progress);
    }
    return absl::OkStatus();
  };
  RowSink sink = [&](const v1::SourceProfile& profile, int64_t row) -> absl::Status {
    ++report.rows_read;
    if (absl::Status status = ImportProfile(profile, row, options.today_day, report);
        !status.ok()) {
      return status;
    }
    if (++rows_in_batch >= options.batch_size) {
      if (absl::Status status = finish_batch(); !status.ok()) return status;
      return writer_->BeginBatch();
    }
    return absl::OkStatus();
  };
  RejectSink reject = [&](int64_t row, const absl::Status& status) {
    ++report.rows_read;
    ++report.rejected;
    std::string field = ErrorField(status);
    report.rejected_rows.push_back({row, field, std::string(status.message())});
  };
  absl::Status read = format == SourceFileFormat::kJsonLines ? ReadJsonLines(in, sink, reject)
                                                             : ReadCsv(in, sink, reject);
  if (!read.ok()) {
    writer_->AbortBatch();
    return read;
  }
  in.clear();
  if (absl::Status status = finish_batch(); !status.ok()) return status;
  return report;
}

}  // namespace verkenner::indexer
