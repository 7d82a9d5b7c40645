#ifndef VERKENNER_SERVICE_HTTP_IMPORT_UPLOAD_H_
#define VERKENNER_SERVICE_HTTP_IMPORT_UPLOAD_H_

#include <grpcpp/grpcpp.h>

#include <functional>
#include <memory>
#include <string>

#include "indexer/source_reader.h"
#include "verkenner/v1/profile_import.pb.h"

namespace verkenner::service {

// Sends an import file through ProfileImportService.ImportProfiles on `channel`, as the caller
// with `token`: the header, then the file's rows read by indexer::SourceFileReader (the reader
// of the command-line import) in batches of at most 1,000 rows. Rows the reader cannot turn into
// a profile go along as UnreadableRow, and every row carries the file's own row number, so the
// service's report names the rows an import of the same file with verkenner-index would.
//
// `started` is called exactly once, on a gRPC thread or the caller's: with OK and replayed false
// as soon as the service has started the import (its "verkenner-import-started" metadata; the
// upload goes on, and GetImport follows it); with OK and replayed true when the import id had
// already succeeded; else with the error that ended the call first (the service's, or
// INVALID_ARGUMENT for a CSV file whose header row the reader refuses). Errors never hold a value
// from the file.
//
// Holds `file` and one batch in memory until the call ends; returns at once.
void StartImportUpload(std::shared_ptr<grpc::Channel> channel, const std::string& token,
                       const v1::ImportHeader& header, indexer::SourceFileFormat format,
                       std::string file,
                       std::function<void(const grpc::Status& status, bool replayed)> started);

}  // namespace verkenner::service

#endif  // VERKENNER_SERVICE_HTTP_IMPORT_UPLOAD_H_
