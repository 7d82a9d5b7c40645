#ifndef VERKENNER_SERVICE_HTTP_IMPORT_UPLOAD_H_
#define VERKENNER_SERVICE_HTTP_IMPORT_UPLOAD_H_

#include <grpcpp/grpcpp.h>

#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "indexer/source_reader.h"
#include "service/http/body_stream.h"
#include "verkenner/v1/profile_import.pb.h"

namespace verkenner::service {

// Import files uploaded over HTTP, each sent through ProfileImportService.ImportProfiles on
// `channel` as its uploader, while its body arrives: the file's rows are read by
// indexer::SourceFileReader (the reader of the command-line import) straight from the body and
// sent in batches of at most 1,000 rows, so the body is never held whole. Rows the reader cannot
// turn into a profile go along as UnreadableRow, and every row carries the file's own row
// number, so the service's report names the rows an import of the same file with verkenner-index
// would. Only a body that arrived whole ends with ImportEnd; a body that breaks off cancels the
// call, and the service applies nothing of it.
//
// Each upload runs on a thread of its own (it reads the body as BodyStream does, blocking) until
// its import call ends, after the import is applied. Thread-safe; the destructor waits for the
// uploads' threads.
class ImportUploads {
 public:
  explicit ImportUploads(std::shared_ptr<grpc::Channel> channel) : channel_(std::move(channel)) {}
  ~ImportUploads();

  // Starts an upload of `body` as the holder of `token`. `answered` is called exactly once, on
  // the upload's thread: with OK and replayed false once the whole file is sent (the import is
  // then applied; GetImport follows it); with OK and replayed true when the import id had
  // already succeeded (no more of the body is read); else with the error that ended it first
  // (the service's, before the body is read; INVALID_ARGUMENT for a CSV file whose header row
  // the reader refuses, or for a body that broke off). Errors never hold a value from the file.
  void Start(const std::string& token, const v1::ImportHeader& header,
             indexer::SourceFileFormat format, std::shared_ptr<BodyStream> body,
             std::function<void(const grpc::Status& status, bool replayed)> answered);

 private:
  struct Upload {
    std::thread thread;
    bool done = false;  // guarded by mutex_
  };

  std::shared_ptr<grpc::Channel> channel_;
  std::mutex mutex_;
  std::list<Upload> uploads_;  // guarded by mutex_
};

}  // namespace verkenner::service

#endif  // VERKENNER_SERVICE_HTTP_IMPORT_UPLOAD_H_
