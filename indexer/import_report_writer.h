#ifndef VERKENNER_INDEXER_IMPORT_REPORT_WRITER_H_
#define VERKENNER_INDEXER_IMPORT_REPORT_WRITER_H_

#include <string>

#include "absl/status/status.h"
#include "indexer/importer.h"
#include "verkenner/v1/profile_import.pb.h"

namespace verkenner::indexer {

// The public API's name for a kind of rejection.
v1::RejectionReason ToProtoReason(RejectionKind kind);

// The report in the public API's shape, as ProfileImportService returns it.
v1::ImportReport ToProtoReport(const ImportReport& report, const std::string& file_name,
                               const std::string& full_sync_source);

// Writes the rejected-rows report for a municipality to correct its export: JSON (the
// verkenner.v1.ImportReport message in protobuf's JSON mapping) when `path` ends in ".json",
// otherwise CSV with the columns row;field;reason. Holds row numbers, field names and reasons,
// never a value from the file. Errors: Unavailable when the file cannot be written.
absl::Status WriteRejectedRowsReport(const ImportReport& report, const std::string& file_name,
                                     const std::string& full_sync_source, const std::string& path);

}  // namespace verkenner::indexer

#endif  // VERKENNER_INDEXER_IMPORT_REPORT_WRITER_H_
