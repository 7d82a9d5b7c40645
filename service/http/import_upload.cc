#include "service/http/import_upload.h"

#include <algorithm>
#include <chrono>
#include <mutex>
#include <sstream>

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
  const bool path = field.size() <= 64 && std::all_of(field.begin(), field.end(), [](char c) {
                      return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
                             c == '.' || c == '[' || c == ']';
                    });
  return path ? field : "";
}

// One upload: a client-streaming call whose reactions read the file's next batch, and send the
// ImportEnd after the last. Deletes itself when the call is done.
class UploadReactor final : public grpc::ClientWriteReactor<v1::ImportProfilesRequest> {
 public:
  UploadReactor(std::shared_ptr<grpc::Channel> channel, indexer::SourceFileFormat format,
                std::string file, std::function<void(const grpc::Status&, bool)> started)
      : stub_(v1::ProfileImportService::NewStub(std::move(channel))),
        in_(std::move(file)),
        reader_(in_, format, indexer::kMaxSourceRecordBytes),
        started_(std::move(started)) {}

  // The file's header row, before anything is sent.
  absl::Status Prepare() { return reader_.Start(); }

  void Begin(const std::string& token, const v1::ImportHeader& header) {
    context_.AddMetadata("authorization", "Bearer " + token);
    context_.set_deadline(std::chrono::system_clock::now() + kImportDeadline);
    stub_->async()->ImportProfiles(&context_, &response_, this);
    *request_.mutable_header() = header;
    StartWrite(&request_);
    StartCall();
  }

  void OnReadInitialMetadataDone(bool ok) override {
    if (ok && context_.GetServerInitialMetadata().count(kStartedKey) > 0) {
      Report(grpc::Status::OK, false);
    }
  }

  void OnWriteDone(bool ok) override {
    if (!ok) return;  // the service ended the call: OnDone says how
    if (end_sent_) {
      StartWritesDone();
      return;
    }
    if (!NextBatch()) {
      // The whole file is sent: only now does the import count as complete.
      request_.mutable_end()->set_rows(rows_sent_);
      end_sent_ = true;
    }
    StartWrite(&request_);
  }

  void OnDone(const grpc::Status& status) override {
    Report(status, status.ok() && response_.replayed());
    delete this;
  }

 private:
  // Fills request_ with the next rows; false at the end of the file.
  bool NextBatch() {
    v1::ProfileBatch* batch = request_.mutable_batch();
    batch->Clear();
    size_t bytes = 0;
    int rows = 0;
    while (rows < kMaxBatchRows && bytes < kMaxBatchBytes && reader_.Next(record_)) {
      ++rows;
      if (record_.status.ok()) {
        bytes += record_.profile.ByteSizeLong();
        batch->add_profiles()->Swap(&record_.profile);
        batch->add_row_numbers(record_.row);
      } else {
        v1::UnreadableRow* row = batch->add_unreadable_rows();
        row->set_row_number(record_.row);
        row->set_field(FieldPathOf(record_.status));
        // The reader says "longer than N bytes" for oversized records; everything else is form.
        row->set_reason(record_.status.message().find("longer than") != absl::string_view::npos
                            ? v1::REJECTION_REASON_TOO_LONG
                            : v1::REJECTION_REASON_BAD_FORMAT);
      }
    }
    rows_sent_ += rows;
    if (rows == 0) {
      request_.Clear();
      in_ = std::istringstream();  // the file is sent: let it go before the import ends
    }
    return rows > 0;
  }

  void Report(const grpc::Status& status, bool replayed) {
    std::function<void(const grpc::Status&, bool)> started;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      started = std::move(started_);
      started_ = nullptr;
    }
    if (started) started(status, replayed);
  }

  std::unique_ptr<v1::ProfileImportService::Stub> stub_;
  grpc::ClientContext context_;
  v1::ImportProfilesResponse response_;
  v1::ImportProfilesRequest request_;  // the message being written
  std::istringstream in_;              // the file, moved in, not copied
  indexer::SourceFileReader reader_;
  indexer::SourceRecord record_;  // reused for every row
  int64_t rows_sent_ = 0;
  bool end_sent_ = false;
  std::mutex mutex_;
  std::function<void(const grpc::Status&, bool)> started_;  // guarded by mutex_; null once called
};

}  // namespace

void StartImportUpload(std::shared_ptr<grpc::Channel> channel, const std::string& token,
                       const v1::ImportHeader& header, indexer::SourceFileFormat format,
                       std::string file,
                       std::function<void(const grpc::Status& status, bool replayed)> started) {
  auto* reactor = new UploadReactor(std::move(channel), format, std::move(file), started);
  if (absl::Status prepared = reactor->Prepare(); !prepared.ok()) {
    delete reactor;
    // The reader's messages name columns only when they look like field names, never a value.
    started(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                         "file: " + std::string(prepared.message())),
            false);
    return;
  }
  reactor->Begin(token, header);
}

}  // namespace verkenner::service
