#include "service/http/import_upload.h"

#include <algorithm>
#include <chrono>
#include <istream>

#include "indexer/import_report_writer.h"
#include "indexer/profile_validator.h"
#include "indexer/source_format.h"
#include "verkenner/v1/profile_import.grpc.pb.h"

namespace verkenner::service {
namespace {

constexpr int kMaxBatchRows = 1000;
// Below the server's 4 MiB message limit, with room for the last row that crosses it.
constexpr size_t kMaxBatchBytes = 2 << 20;
// The import runs on after the HTTP answer; the call ends with it.
constexpr std::chrono::hours kImportDeadline{2};
constexpr char kStartedKey[] = "verkenner-import-started";

// The field of an error of the reader, when the service accepts it as a field path (it refuses
// anything else, which could hold text from the file).
std::string FieldPathOf(const absl::Status& status) {
  std::string field = indexer::ErrorField(status);
  return indexer::IsFieldPath(field) ? field : "";
}

// Fills `batch` with the reader's next rows; returns how many (0 at the end of the file).
int NextBatch(indexer::SourceFileReader& reader, indexer::SourceRecord& record,
              v1::ProfileBatch& batch) {
  batch.Clear();
  size_t bytes = 0;
  int rows = 0;
  while (rows < kMaxBatchRows && bytes < kMaxBatchBytes && reader.Next(record)) {
    ++rows;
    if (record.status.ok()) {
      bytes += record.profile.ByteSizeLong();
      batch.add_profiles()->Swap(&record.profile);
      batch.add_row_numbers(record.row);
    } else {
      v1::UnreadableRow* row = batch.add_unreadable_rows();
      row->set_row_number(record.row);
      row->set_field(FieldPathOf(record.status));
      row->set_reason(indexer::ToProtoReason(record.problem));
      // The reader's key of a row it could not parse (ParseCsvRowKey), for a full sync.
      if (record.profile.client_number().size() <= indexer::kMaxClientNumberBytes) {
        row->set_client_number(record.profile.client_number());
      }
    }
  }
  return rows;
}

// One upload, on its own thread: the file's header row, the import call, the rows as the body
// arrives, the end (only for a whole body); then it waits for the call, which ends after the
// import is applied.
void RunUpload(const std::shared_ptr<grpc::Channel>& channel, const std::string& token,
               const v1::ImportHeader& header, indexer::SourceFileFormat format, BodyStream& body,
               const std::function<void(const grpc::Status&, bool)>& answered) {
  BodyStreamBuffer buffer(body);
  std::istream in(&buffer);
  indexer::SourceFileReader reader(in, format, indexer::kMaxSourceRecordBytes);
  if (absl::Status prepared = reader.Start(); !prepared.ok()) {
    // The reader's messages name columns only when they look like field names, never a value.
    answered(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                          "file: " + std::string(prepared.message())),
             false);
    return;
  }
  auto stub = v1::ProfileImportService::NewStub(channel);
  grpc::ClientContext context;
  context.AddMetadata("authorization", "Bearer " + token);
  context.set_deadline(std::chrono::system_clock::now() + kImportDeadline);
  v1::ImportProfilesResponse response;
  std::unique_ptr<grpc::ClientWriter<v1::ImportProfilesRequest>> writer =
      stub->ImportProfiles(&context, &response);
  v1::ImportProfilesRequest message;
  *message.mutable_header() = header;
  bool open = writer->Write(message);
  writer->WaitForInitialMetadata();
  if (context.GetServerInitialMetadata().count(kStartedKey) == 0) {
    // Refused, or a replay: nothing of the body beyond its first row is read.
    writer->WritesDone();
    grpc::Status status = writer->Finish();
    answered(status, status.ok() && response.replayed());
    return;
  }
  indexer::SourceRecord record;
  int64_t rows_sent = 0;
  for (int rows = 0; open && (rows = NextBatch(reader, record, *message.mutable_batch())) > 0;) {
    open = writer->Write(message);
    rows_sent += rows;
  }
  const absl::Status received = body.status();
  if (open && received.ok()) {
    message.mutable_end()->set_rows(rows_sent);
    open = writer->Write(message);
    writer->WritesDone();
  } else {
    context.TryCancel();  // not the whole file: the service applies nothing of it
  }
  if (open && received.ok()) answered(grpc::Status::OK, false);
  grpc::Status status = writer->Finish();
  if (!received.ok()) {
    answered(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                          "file: the upload broke off before its end; nothing was imported"),
             false);
  } else if (!open) {
    answered(status, false);  // the service ended the import early: its reason
  }
}

}  // namespace

ImportUploads::~ImportUploads() {
  std::list<Upload> uploads;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    uploads.swap(uploads_);
  }
  for (Upload& upload : uploads) upload.thread.join();
}

void ImportUploads::Start(const std::string& token, const v1::ImportHeader& header,
                          indexer::SourceFileFormat format, std::shared_ptr<BodyStream> body,
                          std::function<void(const grpc::Status&, bool)> answered) {
  std::lock_guard<std::mutex> lock(mutex_);
  // The threads of uploads that ended go first.
  for (auto it = uploads_.begin(); it != uploads_.end();) {
    if (it->done) {
      it->thread.join();
      it = uploads_.erase(it);
    } else {
      ++it;
    }
  }
  Upload& upload = uploads_.emplace_back();
  upload.thread = std::thread([this, &upload, token, header, format, body = std::move(body),
                               answered = std::move(answered)] {
    // `answered` is called once: the first answer counts.
    bool said = false;
    RunUpload(channel_, token, header, format, *body,
              [&](const grpc::Status& status, bool replayed) {
                if (!said) answered(status, replayed);
                said = true;
              });
    std::lock_guard<std::mutex> ended(mutex_);
    upload.done = true;
  });
}

}  // namespace verkenner::service
