#include "service/rpc/profile_import_service.h"

#include <condition_variable>
#include <deque>
#include <limits>
#include <thread>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "indexer/identity_vault.h"
#include "indexer/import_report_writer.h"
#include "indexer/importer.h"
#include "indexer/index_writer.h"
#include "indexer/retention_sweep.h"
#include "indexer/source_format.h"
#include "service/rpc/spreadsheet_csv.h"
#include "service/rpc/status_mapping.h"
#include "service/store/records.h"

namespace verkenner::service {
namespace {

constexpr int kMaxBatchProfiles = 1000;
// Batches received but not yet imported; the reactor stops reading when this many wait, so a
// fast client cannot make the server hold its whole file.
constexpr size_t kMaxQueuedBatches = 4;

bool IsImportId(const std::string& id) {
  return !id.empty() && id.size() <= 64 && std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == '-';
  });
}

// A field path as the parsers name fields ("hours_min", "work_experience[1].months"): safe to
// store in a report, since it cannot carry a value from the file.
bool IsFieldPath(const std::string& text) {
  return text.size() <= 64 && std::all_of(text.begin(), text.end(), [](char c) {
           return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.' ||
                  c == '[' || c == ']';
         });
}

// The record of a row the client could not read, as the file reader would have made it: the
// importer reports it under its row, naming the field.
absl::Status UnreadableStatus(const v1::UnreadableRow& row) {
  if (row.reason() == v1::REJECTION_REASON_TOO_LONG) {
    return absl::InvalidArgumentError("the row is longer than the reader allows");
  }
  if (row.field().empty()) {
    return absl::InvalidArgumentError(
        "the row cannot be read: wrong number of fields, broken quoting, text that is not UTF-8 "
        "or not a JSON object");
  }
  return indexer::InvalidFieldStatus(row.field(),
                                     "cannot be read as its type, or is not valid UTF-8");
}

void AddMissing(const engine::CompletenessCount& count,
                google::protobuf::RepeatedPtrField<v1::MissingFieldCount>* out) {
  const std::pair<v1::CoreField, int64_t> fields[] = {
      {v1::CORE_FIELD_EDUCATION, count.missing_education},
      {v1::CORE_FIELD_EXPERIENCE, count.missing_experience},
      {v1::CORE_FIELD_AVAILABILITY, count.missing_availability},
      {v1::CORE_FIELD_TRAVEL_DISTANCE, count.missing_travel_distance},
      {v1::CORE_FIELD_AFFINITIES, count.missing_affinities},
  };
  for (const auto& [field, missing] : fields) {
    v1::MissingFieldCount* entry = out->Add();
    entry->set_field(field);
    entry->set_missing_profiles(missing);
  }
}

v1::ImportMode ModeOf(const v1::ImportHeader& header) {
  return header.mode() == v1::IMPORT_MODE_FULL_SYNC ? v1::IMPORT_MODE_FULL_SYNC
                                                    : v1::IMPORT_MODE_INCREMENTAL;
}

// The rejected rows as a spreadsheet file, one line per problem.
std::string RejectedRowsCsv(const v1::ImportReport& report) {
  std::string csv = kSpreadsheetCsvStart;
  AppendSpreadsheetRow({"rij", "veld", "reden", "toelichting"}, &csv);
  for (const v1::RowRejection& rejection : report.rejections()) {
    // "REJECTION_REASON_BAD_FORMAT" -> "bad_format"
    std::string reason = v1::RejectionReason_Name(rejection.reason());
    reason = absl::AsciiStrToLower(absl::StripPrefix(reason, "REJECTION_REASON_"));
    AppendSpreadsheetRow(
        {absl::StrCat(rejection.row_number()), rejection.field(), reason, rejection.message_nl()},
        &csv);
  }
  return csv;
}

}  // namespace

// One ImportProfiles call. gRPC threads deliver messages (OnReadDone) into a bounded queue; an
// import thread of the call's own takes them out as records and runs the importer on them, then
// finishes the call with the report once it is committed and stored.
class ProfileImportService::ImportReactor final
    : public grpc::ServerReadReactor<v1::ImportProfilesRequest>,
      public indexer::RecordSource {
 public:
  ImportReactor(ProfileImportService* service, grpc::CallbackServerContext* context,
                v1::ImportProfilesResponse* response)
      : service_(service), context_(context), response_(response) {
    absl::StatusOr<Caller> caller = service_->environment_.authenticator->Authenticate(*context);
    absl::Status admitted = caller.status();
    if (admitted.ok()) admitted = RequireRole(*caller, {v1::ACCOUNT_ROLE_IMPORTER});
    if (!admitted.ok()) {
      Finish(ToGrpcStatus(admitted));
      return;
    }
    caller_ = std::move(*caller);
    StartRead(&message_);
  }

  void OnReadDone(bool ok) override {
    if (!ok) {  // the client has sent everything (or gone)
      if (!header_seen_) {
        Finish(ToGrpcStatus(InvalidField("header", "the first message must carry the header")));
        return;
      }
      Close(absl::OkStatus());
      return;
    }
    if (!header_seen_) {
      OnHeader();
      return;
    }
    if (message_.has_header()) {
      Close(InvalidField("header", "only the first message carries one"));
      return;
    }
    QueuedBatch queued;
    if (absl::Status valid = OrderRows(message_.batch(), queued.rows); !valid.ok()) {
      Close(std::move(valid));
      return;
    }
    // Out of message_ before anyone may start the next read into it.
    queued.batch = std::move(*message_.mutable_batch());
    message_.Clear();
    bool read_more = false;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      queue_.push_back(std::move(queued));
      read_more = queue_.size() < kMaxQueuedBatches;
      read_waiting_ = !read_more;
    }
    changed_.notify_one();
    if (read_more) StartRead(&message_);
  }

  void OnCancel() override { Close(absl::CancelledError("the client cancelled the import")); }

  void OnDone() override {
    if (import_thread_.joinable()) import_thread_.join();
    delete this;
  }

  // indexer::RecordSource, called on the import thread.
  bool Next(indexer::SourceRecord& record) override {
    while (next_in_batch_ >= batch_.rows.size()) {
      bool resume_reading = false;
      {
        std::unique_lock<std::mutex> lock(mutex_);
        changed_.wait(lock, [&] { return !queue_.empty() || closed_; });
        if (queue_.empty()) return false;
        batch_ = std::move(queue_.front());
        queue_.pop_front();
        next_in_batch_ = 0;
        resume_reading = read_waiting_ && !closed_;
        read_waiting_ = false;
      }
      if (resume_reading) StartRead(&message_);
    }
    const BatchRow& row = batch_.rows[next_in_batch_++];
    record.row = row.number;
    if (row.profile >= 0) {
      record.status = absl::OkStatus();
      record.profile.Swap(batch_.batch.mutable_profiles(row.profile));
    } else {
      record.status = UnreadableStatus(batch_.batch.unreadable_rows(row.unreadable));
      record.profile.Clear();
    }
    received_rows_.store(++rows_);
    return true;
  }
  absl::Status status() override {
    std::lock_guard<std::mutex> lock(mutex_);
    return end_;
  }

 private:
  // One row of a batch: a profile or an unreadable row, with its number.
  struct BatchRow {
    int64_t number = 0;
    int profile = -1;     // index in ProfileBatch.profiles, or -1
    int unreadable = -1;  // index in ProfileBatch.unreadable_rows, or -1
  };
  struct QueuedBatch {
    v1::ProfileBatch batch;
    std::vector<BatchRow> rows;  // in row order
  };

  // Checks a batch's rows and numbers them in order (ProfileBatch), after the rows of the
  // batches before. gRPC threads only, one read at a time.
  absl::Status OrderRows(const v1::ProfileBatch& batch, std::vector<BatchRow>& rows) {
    const int profiles = batch.profiles_size();
    const int unreadable = batch.unreadable_rows_size();
    if (profiles + unreadable == 0 || profiles + unreadable > kMaxBatchProfiles) {
      return InvalidField("batch.profiles", "1 to 1,000 rows per message");
    }
    const bool numbered = batch.row_numbers_size() > 0;
    if (numbered && batch.row_numbers_size() != profiles) {
      return InvalidField("batch.row_numbers", "one per profile, or none");
    }
    for (const v1::UnreadableRow& row : batch.unreadable_rows()) {
      if (!IsFieldPath(row.field())) {
        return InvalidField("batch.unreadable_rows.field", "a field path, or empty");
      }
      if (row.reason() != v1::REJECTION_REASON_UNSPECIFIED &&
          row.reason() != v1::REJECTION_REASON_BAD_FORMAT &&
          row.reason() != v1::REJECTION_REASON_TOO_LONG) {
        return InvalidField("batch.unreadable_rows.reason", "BAD_FORMAT or TOO_LONG");
      }
    }
    rows.clear();
    rows.reserve(profiles + unreadable);
    int64_t last = last_row_;
    int p = 0;
    int u = 0;
    while (p < profiles || u < unreadable) {
      constexpr int64_t kNone = std::numeric_limits<int64_t>::max();
      const int64_t next_profile =
          p < profiles ? (numbered ? batch.row_numbers(p) : last + 1) : kNone;
      const int64_t next_unreadable =
          u < unreadable ? batch.unreadable_rows(u).row_number() : kNone;
      if (u < unreadable && next_unreadable <= next_profile) {
        if (next_unreadable <= last || (numbered && next_unreadable == next_profile)) {
          return InvalidField("batch.unreadable_rows.row_number",
                              "increasing, after the rows sent before and apart from the "
                              "profiles' numbers");
        }
        rows.push_back({next_unreadable, -1, u++});
        last = next_unreadable;
      } else {
        if (next_profile <= last) {
          return InvalidField("batch.row_numbers", "increasing, after the rows sent before");
        }
        rows.push_back({next_profile, p++, -1});
        last = next_profile;
      }
    }
    last_row_ = last;
    return absl::OkStatus();
  }

  // Ends the stream of records: `why` OK at the client's end, else the reason to give up.
  void Close(absl::Status why) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (closed_) return;
      closed_ = true;
      end_ = std::move(why);
    }
    changed_.notify_one();
  }

  void OnHeader() {
    header_seen_ = true;
    if (!message_.has_header()) {
      Finish(ToGrpcStatus(InvalidField("header", "the first message must carry the header")));
      return;
    }
    header_ = message_.header();
    absl::Status valid;
    if (!IsImportId(header_.import_id())) {
      valid = InvalidField("header.import_id", "1 to 64 characters from A-Z, a-z, 0-9, ., _ and -");
    } else if (header_.mode() < v1::IMPORT_MODE_UNSPECIFIED ||
               header_.mode() > v1::IMPORT_MODE_FULL_SYNC) {
      valid = InvalidField("header.mode", "INCREMENTAL or FULL_SYNC");
    } else if (header_.file_name().size() > 255) {
      valid = InvalidField("header.file_name", "at most 255 characters");
    } else if (header_.source() != caller_.account.source) {
      valid = absl::PermissionDeniedError("header.source: you import only for your own source");
    }
    if (!valid.ok()) {
      Finish(ToGrpcStatus(valid));
      return;
    }
    // A SUCCEEDED import id answers with its report and applies nothing.
    std::optional<v1::ImportReport> earlier;
    absl::Status read = service_->environment_.store->Read([&](indexer::SqliteConnection& db) {
      auto loaded = LoadImportReport(db, header_.source(), header_.import_id());
      if (!loaded.ok()) return loaded.status();
      earlier = std::move(*loaded);
      return absl::OkStatus();
    });
    if (!read.ok()) {
      Finish(ToGrpcStatus(read));
      return;
    }
    if (earlier.has_value() && earlier->state() == v1::IMPORT_STATE_SUCCEEDED) {
      if (earlier->mode() != ModeOf(header_) || earlier->file_name() != header_.file_name()) {
        Finish(ToGrpcStatus(absl::AlreadyExistsError(
            "header.import_id: used before for an import with another mode or file name")));
        return;
      }
      *response_->mutable_report() = std::move(*earlier);
      response_->set_replayed(true);
      Finish(grpc::Status::OK);
      return;
    }
    if (!service_->TryStartImport(header_.source(), header_.import_id(), &received_rows_)) {
      Finish(ToGrpcStatus(absl::AbortedError("an import is running; try again later")));
      return;
    }
    start_micros_ = absl::ToUnixMicros(service_->environment_.now());
    message_.Clear();
    import_thread_ = std::thread([this] { RunImport(); });
    StartRead(&message_);
  }

  // The import thread: open the stores, import, record the outcome, finish the call.
  void RunImport() {
    const ProfileImportService::Options& options = service_->options_;
    v1::ImportReport report;
    report.set_import_id(header_.import_id());
    report.set_source(header_.source());
    report.set_mode(ModeOf(header_));
    report.set_file_name(header_.file_name());
    report.set_expected_rows(header_.expected_rows());
    FillAccountReference(caller_.account, report.mutable_imported_by());
    SetTimestamp(start_micros_, report.mutable_start_time());
    report.set_state(v1::IMPORT_STATE_RUNNING);
    absl::Status outcome = Save(report);

    std::unique_ptr<indexer::IndexWriter> writer;
    std::unique_ptr<indexer::IdentityVault> vault;
    absl::StatusOr<indexer::ImportReport> imported = absl::UnknownError("not run");
    if (outcome.ok() && options.pseudonymizer == nullptr) {
      outcome = absl::FailedPreconditionError("this server has no pseudonym key for imports");
    }
    if (outcome.ok()) {
      auto opened =
          indexer::IndexWriter::Open(options.index_path, service_->environment_.reference_data);
      if (opened.ok()) {
        writer = std::move(*opened);
      } else {
        // Most likely verkenner-index holds the writer.
        outcome = absl::AbortedError("the index is being written by another import; try again");
      }
    }
    if (outcome.ok()) {
      auto opened = indexer::IdentityVault::Open(options.vault_path);
      if (opened.ok()) {
        vault = std::move(*opened);
      } else {
        outcome = absl::UnavailableError("the identity vault cannot be opened now");
      }
    }
    if (outcome.ok()) {
      // The import has started: a client that only starts it may stop waiting (see the proto).
      context_->AddInitialMetadata("verkenner-import-started", "1");
      StartSendInitialMetadata();
      indexer::Importer importer(service_->environment_.reference_data, options.pseudonymizer,
                                 options.retention, writer.get(), vault.get());
      indexer::Importer::Options import_options;
      import_options.today_day = options.today();
      import_options.only_source = header_.source();
      if (ModeOf(header_) == v1::IMPORT_MODE_FULL_SYNC) {
        import_options.full_sync_source = header_.source();
      }
      const std::string position_key = indexer::ImportPositionKey(
          Sha256Hex(absl::StrCat("api\x1f", header_.source(), "\x1f", header_.import_id())));
      imported = importer.ImportRecords(*this, position_key, import_options);
      outcome = imported.status();
    }
    if (outcome.ok()) {
      // What the command line does after its files, but compaction: that is for quiet hours.
      auto swept = indexer::SweepExpiredProfiles(*writer, vault.get(), options.today());
      if (!swept.ok()) outcome = swept.status();
    }
    absl::StatusOr<engine::SourceDisclosure> disclosure = absl::UnknownError("not counted");
    if (outcome.ok()) outcome = writer->UpdateDisclosureControl(options.disclosure_k).status();
    if (outcome.ok()) {
      disclosure = writer->DisclosureOfSource(header_.source(), options.disclosure_k);
      outcome = disclosure.status();
    }
    int64_t active = 0;
    if (outcome.ok()) {
      auto held = writer->ProfilesOfSource(header_.source());
      outcome = held.status();
      if (held.ok()) active = static_cast<int64_t>(held->size());
    }
    vault.reset();
    writer.reset();  // before the slot is free, so the next import can open the index

    if (outcome.ok()) {
      v1::ImportReport counted = indexer::ToProtoReport(
          *imported, header_.file_name(),
          ModeOf(header_) == v1::IMPORT_MODE_FULL_SYNC ? header_.source() : "");
      counted.MergeFrom(report);  // identity, times and account from above
      counted.set_state(v1::IMPORT_STATE_SUCCEEDED);
      counted.set_active_profiles(active);
      // Groups span sources; the figures are about the groups this source's profiles are in.
      counted.set_k_threshold(options.disclosure_k);
      counted.set_smallest_group_size(static_cast<int32_t>(disclosure->smallest_shown_group));
      counted.set_generalised_profiles(disclosure->profiles_shown_at_region_level);
      report = std::move(counted);
    } else {
      report.set_state(v1::IMPORT_STATE_FAILED);
      report.set_received_rows(received_rows_.load());
    }
    SetTimestamp(absl::ToUnixMicros(service_->environment_.now()), report.mutable_end_time());
    if (absl::Status saved = Save(report); outcome.ok()) outcome = saved;
    service_->EndImport();
    if (outcome.ok()) *response_->mutable_report() = report;
    Finish(ToGrpcStatus(outcome));
  }

  absl::Status Save(const v1::ImportReport& report) {
    return service_->environment_.store->WriteAndWait(
        [&report, now = absl::ToUnixMicros(service_->environment_.now())](
            indexer::SqliteConnection& db) { return SaveImportReport(db, report, now); });
  }

  ProfileImportService* service_;
  grpc::CallbackServerContext* context_;
  v1::ImportProfilesResponse* response_;
  Caller caller_;
  v1::ImportProfilesRequest message_;  // the message being read
  bool header_seen_ = false;           // gRPC threads only, one read at a time
  int64_t last_row_ = 0;               // gRPC threads only: the last row number read
  v1::ImportHeader header_;
  int64_t start_micros_ = 0;
  std::thread import_thread_;

  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<QueuedBatch> queue_;  // guarded by mutex_
  bool closed_ = false;            // guarded by mutex_
  bool read_waiting_ = false;      // guarded by mutex_: a read is due when room frees up
  absl::Status end_;               // guarded by mutex_

  // The import thread's own.
  QueuedBatch batch_;
  size_t next_in_batch_ = 0;
  int64_t rows_ = 0;
  std::atomic<int64_t> received_rows_{0};
};

ProfileImportService::ProfileImportService(const ServiceEnvironment* environment, Options options)
    : environment_(*environment), options_(std::move(options)) {}

ProfileImportService::~ProfileImportService() = default;

bool ProfileImportService::TryStartImport(const std::string& source, const std::string& import_id,
                                          std::atomic<int64_t>* received_rows) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (running_) return false;
  running_ = true;
  running_source_ = source;
  running_import_id_ = import_id;
  running_received_ = received_rows;
  return true;
}

void ProfileImportService::EndImport() {
  std::lock_guard<std::mutex> lock(mutex_);
  running_ = false;
  running_received_ = nullptr;
}

grpc::ServerReadReactor<v1::ImportProfilesRequest>* ProfileImportService::ImportProfiles(
    grpc::CallbackServerContext* context, v1::ImportProfilesResponse* response) {
  return new ImportReactor(this, context, response);
}

absl::StatusOr<v1::ImportReport> ProfileImportService::ReportOf(const Caller& caller,
                                                                const std::string& import_id) {
  if (!IsImportId(import_id)) return InvalidField("import_id", "missing or not an import id");
  std::optional<v1::ImportReport> found;
  absl::Status status = environment_.store->Read([&](indexer::SqliteConnection& db) {
    auto loaded = LoadImportReport(db, caller.account.source, import_id);
    if (!loaded.ok()) return loaded.status();
    found = std::move(*loaded);
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  if (!found.has_value()) return absl::NotFoundError("no such import");
  std::lock_guard<std::mutex> lock(mutex_);
  const bool running_here =
      running_ && running_source_ == caller.account.source && running_import_id_ == import_id;
  if (running_here && running_received_ != nullptr) {
    found->set_received_rows(running_received_->load());
  } else if (found->state() == v1::IMPORT_STATE_RUNNING) {
    // Stored as running, but no import of this server runs it: the server stopped during it.
    found->set_state(v1::IMPORT_STATE_FAILED);
  }
  return *std::move(found);
}

grpc::ServerUnaryReactor* ProfileImportService::GetImport(grpc::CallbackServerContext* context,
                                                          const v1::GetImportRequest* request,
                                                          v1::GetImportResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  std::optional<Caller> caller =
      AdmitCaller(environment_, context, reactor, {v1::ACCOUNT_ROLE_IMPORTER});
  if (!caller.has_value()) return reactor;
  absl::StatusOr<v1::ImportReport> report = ReportOf(*caller, request->import_id());
  if (report.ok()) *response->mutable_report() = *std::move(report);
  FinishWith(context, reactor, report.status());
  return reactor;
}

grpc::ServerUnaryReactor* ProfileImportService::ExportRejectedRows(
    grpc::CallbackServerContext* context, const v1::ExportRejectedRowsRequest* request,
    v1::ExportRejectedRowsResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  std::optional<Caller> caller =
      AdmitCaller(environment_, context, reactor, {v1::ACCOUNT_ROLE_IMPORTER});
  if (!caller.has_value()) return reactor;
  absl::StatusOr<v1::ImportReport> report = ReportOf(*caller, request->import_id());
  if (report.ok()) {
    response->set_content_type("text/csv; charset=utf-8");
    response->set_content(RejectedRowsCsv(*report));
    response->set_filename(absl::StrCat("afgekeurd-", report->import_id(), ".csv"));
  }
  FinishWith(context, reactor, report.status());
  return reactor;
}

grpc::ServerUnaryReactor* ProfileImportService::GetCompletenessStatistics(
    grpc::CallbackServerContext* context, const v1::GetCompletenessStatisticsRequest*,
    v1::GetCompletenessStatisticsResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  std::optional<Caller> caller =
      AdmitCaller(environment_, context, reactor, {v1::ACCOUNT_ROLE_IMPORTER});
  if (!caller.has_value()) return reactor;
  if (options_.pool == nullptr || !options_.today) {
    FinishWith(context, reactor, absl::UnavailableError("this server has no index to count"));
    return reactor;
  }
  options_.pool->Submit([this, context, reactor, response, source = caller->account.source,
                         today = options_.today()](engine::Searcher& searcher) {
    absl::StatusOr<std::map<std::string, engine::CompletenessCount>> counts =
        searcher.CompletenessOfSource(source, today);
    if (!counts.ok()) {
      FinishWith(context, reactor, counts.status());
      return;
    }
    const int k = options_.disclosure_k;
    response->set_source(source);
    response->set_k_threshold(k);
    engine::CompletenessCount total;
    engine::CompletenessCount small;  // the municipalities below k, together
    for (const auto& [code, count] : *counts) {
      total.Add(count);
      if (count.profiles < k) {
        small.Add(count);
        continue;
      }
      v1::MunicipalityCompleteness* group = response->add_municipalities();
      group->set_municipality_code(code);
      if (const engine::Municipality* municipality =
              environment_.reference_data->FindMunicipality(code)) {
        group->set_municipality_name(municipality->name);
      }
      group->set_active_profiles(count.profiles);
      AddMissing(count, group->mutable_missing());
    }
    if (small.profiles > 0) {
      v1::MunicipalityCompleteness* group = response->add_municipalities();
      group->set_municipality_code("OVERIG");
      group->set_municipality_name("overige gemeenten");
      group->set_active_profiles(small.profiles);
      AddMissing(small, group->mutable_missing());
    }
    response->set_active_profiles(total.profiles);
    AddMissing(total, response->mutable_missing());
    FinishWith(context, reactor, absl::OkStatus());
  });
  return reactor;
}

}  // namespace verkenner::service
