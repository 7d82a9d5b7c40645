#include "service/rpc/profile_import_service.h"

#include <unistd.h>

#include <condition_variable>
#include <limits>
#include <random>
#include <thread>
#include <tuple>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "indexer/identity_vault.h"
#include "indexer/import_job.h"
#include "indexer/import_report_writer.h"
#include "indexer/importer.h"
#include "indexer/index_writer.h"
#include "indexer/profile_validator.h"
#include "indexer/source_format.h"
#include "service/rpc/error_details.h"
#include "service/rpc/request_validation.h"
#include "service/rpc/spreadsheet_csv.h"
#include "service/rpc/status_mapping.h"
#include "service/rpc/worklist.h"
#include "service/store/records.h"

namespace verkenner::service {
namespace {

constexpr int kMaxBatchProfiles = 1000;
constexpr size_t kMaxFileNameCharacters = 255;

// The first message's own rules, checked before anything is stored.
absl::Status CheckHeader(const v1::ImportHeader& header, const Caller& caller) {
  if (absl::Status valid = CheckImportId("header.import_id", header.import_id()); !valid.ok()) {
    return valid;
  }
  if (header.mode() < v1::IMPORT_MODE_UNSPECIFIED || header.mode() > v1::IMPORT_MODE_FULL_SYNC) {
    return InvalidField("header.mode", "INCREMENTAL or FULL_SYNC");
  }
  if (absl::Status valid =
          CheckCharacters("header.file_name", header.file_name(), 0, kMaxFileNameCharacters);
      !valid.ok()) {
    return valid;
  }
  if (header.source() != caller.account.source) {
    return WithReason(
        absl::PermissionDeniedError("header.source: you import only for your own source"),
        v1::OTHER_SOURCE);
  }
  return absl::OkStatus();
}

// The record of a row the client could not read, as the file reader would have made it: the
// importer reports it under its row, naming the field, as `record.problem` says.
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

// A row of a received batch: a profile or an unreadable row, with its number.
struct BatchRow {
  int64_t number = 0;
  int profile = -1;     // index in ProfileBatch.profiles, or -1
  int unreadable = -1;  // index in ProfileBatch.unreadable_rows, or -1
};

// A batch held until the import is complete: serialized as the client sent it (far smaller than
// the parsed message), with its rows in order.
struct SpooledBatch {
  std::string bytes;
  std::vector<BatchRow> rows;
};

// The spooled batches of a complete import as the importer's records, parsed back one batch at a
// time.
class SpooledRecords final : public indexer::RecordSource {
 public:
  // `source`: the import's, the source of every row (the importer rejects others).
  SpooledRecords(std::vector<SpooledBatch> batches, std::string source)
      : batches_(std::move(batches)), source_(std::move(source)) {}

  bool Next(indexer::SourceRecord& record) override {
    while (next_row_ >= rows_.size()) {
      if (next_batch_ >= batches_.size()) return false;
      SpooledBatch& spooled = batches_[next_batch_++];
      // The bytes were parsed once when they arrived, so this cannot fail.
      (void)batch_.ParseFromString(spooled.bytes);
      std::string().swap(spooled.bytes);
      rows_ = std::move(spooled.rows);
      next_row_ = 0;
    }
    const BatchRow& row = rows_[next_row_++];
    record.row = row.number;
    if (row.profile >= 0) {
      record.status = absl::OkStatus();
      record.profile.Swap(batch_.mutable_profiles(row.profile));
    } else {
      const v1::UnreadableRow& unreadable = batch_.unreadable_rows(row.unreadable);
      record.status = UnreadableStatus(unreadable);
      record.problem = unreadable.reason() == v1::REJECTION_REASON_TOO_LONG
                           ? indexer::RejectionKind::kTooLong
                           : indexer::RejectionKind::kBadFormat;
      // Its key, if the client read one: a full sync then keeps the client's profile.
      record.profile.Clear();
      if (!unreadable.client_number().empty()) {
        record.profile.set_source(source_);
        record.profile.set_client_number(unreadable.client_number());
      }
    }
    return true;
  }

 private:
  std::vector<SpooledBatch> batches_;
  const std::string source_;
  size_t next_batch_ = 0;
  v1::ProfileBatch batch_;
  std::vector<BatchRow> rows_;
  size_t next_row_ = 0;
};

}  // namespace

// One ImportProfiles call. gRPC threads check the header and each batch and spool the batches
// (OnReadDone); from the header on, a thread of the call's own waits until the client's
// ImportEnd completes the stream or something interrupts it, then applies the import or records
// why not, and finishes the call.
class ProfileImportService::ImportReactor final
    : public grpc::ServerReadReactor<v1::ImportProfilesRequest> {
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
    if (!header_seen_) {
      header_seen_ = true;
      if (!ok || !message_.has_header()) {
        Finish(ToGrpcStatus(InvalidField("header", "the first message must carry the header")));
        return;
      }
      OnHeader();
      return;
    }
    if (!ok) {
      // Both a cancelled call and a client that half-closed end the reads; only ImportEnd says
      // the client sent everything.
      Interrupt(context_->IsCancelled()
                    ? absl::CancelledError("the client cancelled the import or went away")
                    : InvalidField("end",
                                   "the stream ended without ImportEnd; nothing was "
                                   "applied, send the import again"));
      return;
    }
    absl::Status received = absl::OkStatus();
    switch (message_.content_case()) {
      case v1::ImportProfilesRequest::kBatch:
        received = Spool(message_.batch());
        break;
      case v1::ImportProfilesRequest::kEnd:
        Complete(message_.end());
        return;  // nothing is read after the end
      case v1::ImportProfilesRequest::kHeader:
        received = InvalidField("header", "only the first message carries one");
        break;
      default:
        received = InvalidField("content", "a batch or the end");
    }
    message_.Clear();
    if (!received.ok()) {
      Fail(std::move(received));
      return;
    }
    StartRead(&message_);
  }

  void OnCancel() override {
    Interrupt(absl::CancelledError("the client cancelled the import or went away"));
  }

  void OnDone() override {
    if (call_thread_.joinable()) call_thread_.join();
    delete this;
  }

 private:
  enum class Phase { kReceiving, kComplete, kInterrupted, kFailed };

  // Checks a batch's rows, numbers them in order (ProfileBatch) after the rows of the batches
  // before, and keeps it until the import is complete. gRPC threads only, one read at a time.
  absl::Status Spool(const v1::ProfileBatch& batch) {
    SpooledBatch spooled;
    if (absl::Status valid = OrderRows(batch, spooled.rows); !valid.ok()) return valid;
    if (!batch.SerializeToString(&spooled.bytes)) {
      return absl::InternalError("a batch could not be kept");
    }
    const int64_t rows = static_cast<int64_t>(spooled.rows.size());
    spooled_bytes_ += static_cast<int64_t>(spooled.bytes.size() + rows * sizeof(BatchRow));
    if (spooled_bytes_ > service_->options_.limits.max_bytes) {
      return WithReason(
          absl::ResourceExhaustedError(absl::StrCat("the import is larger than this server takes (",
                                                    service_->options_.limits.max_bytes >> 20,
                                                    " MiB); nothing was applied")),
          v1::TOO_LARGE);
    }
    {
      std::lock_guard<std::mutex> lock(mutex_);
      spool_.push_back(std::move(spooled));
      last_message_ = absl::Now();
    }
    received_rows_->fetch_add(rows);
    return absl::OkStatus();
  }

  // Checks a batch's rows and numbers them (see Spool).
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
      if (!indexer::IsFieldPath(row.field())) {
        return InvalidField("batch.unreadable_rows.field", "a field path, or empty");
      }
      if (row.reason() != v1::REJECTION_REASON_UNSPECIFIED &&
          row.reason() != v1::REJECTION_REASON_BAD_FORMAT &&
          row.reason() != v1::REJECTION_REASON_TOO_LONG) {
        return InvalidField("batch.unreadable_rows.reason", "BAD_FORMAT or TOO_LONG");
      }
      if (row.client_number().size() > indexer::kMaxClientNumberBytes) {
        return InvalidField("batch.unreadable_rows.client_number", "at most 64 bytes, or empty");
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

  // The client's end: the stream is complete when it counts the rows that arrived.
  void Complete(const v1::ImportEnd& end) {
    const int64_t received = received_rows_->load();
    if (end.rows() != received) {
      Fail(InvalidField("end.rows", absl::StrCat("the service received ", received,
                                                 " rows; nothing was applied")));
      return;
    }
    EndReceiving(Phase::kComplete, absl::OkStatus());
  }
  // The stream ended before it was complete.
  void Interrupt(absl::Status why) { EndReceiving(Phase::kInterrupted, std::move(why)); }
  // The service refuses what the client sent.
  void Fail(absl::Status why) { EndReceiving(Phase::kFailed, std::move(why)); }

  // The first end of the stream counts; the call thread acts on it.
  void EndReceiving(Phase phase, absl::Status why) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (phase_ != Phase::kReceiving) return;
      phase_ = phase;
      end_ = std::move(why);
    }
    changed_.notify_one();
  }

  void OnHeader() {
    header_ = message_.header();
    message_.Clear();
    if (absl::Status valid = CheckHeader(header_, caller_); !valid.ok()) {
      Finish(ToGrpcStatus(valid));
      return;
    }
    // A SUCCEEDED import id answers with its report and applies nothing.
    std::optional<v1::ImportReport> earlier;
    absl::Status read = service_->environment_.store->Read([&](sql::Connection& db) {
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
        Finish(ToGrpcStatus(WithReason(
            absl::AlreadyExistsError(
                "header.import_id: used before for an import with another mode or file name"),
            v1::IDEMPOTENCY_KEY_REUSED)));
        return;
      }
      *response_->mutable_report() = std::move(*earlier);
      response_->set_replayed(true);
      Finish(grpc::Status::OK);
      return;
    }
    if (absl::Status slot =
            service_->StartImport(header_.source(), {header_.import_id(), received_rows_});
        !slot.ok()) {
      Finish(ToGrpcStatus(slot));
      return;
    }
    start_micros_ = absl::ToUnixMicros(service_->environment_.now());
    last_message_ = absl::Now();
    call_thread_ = std::thread([this] { RunCall(); });
    StartRead(&message_);
  }

  // The call's thread: record the start, wait for the end of the stream, apply the import or
  // record why not, finish the call.
  void RunCall() {
    v1::ImportReport report = StartingReport();
    absl::Status outcome = Save(report);
    Phase phase = Phase::kFailed;
    if (outcome.ok()) {
      // The import has started: a client that only starts it may stop waiting (see the proto).
      context_->AddInitialMetadata("verkenner-import-started", "1");
      StartSendInitialMetadata();
      std::tie(phase, outcome) = AwaitEndOfStream();
    }
    if (phase == Phase::kComplete) {
      absl::StatusOr<v1::ImportReport> applied = Apply(report);
      if (applied.ok()) {
        report = std::move(*applied);
      } else {
        outcome = applied.status();
        phase = Phase::kFailed;
      }
    }
    if (phase != Phase::kComplete) {
      report.set_state(phase == Phase::kInterrupted ? v1::IMPORT_STATE_INTERRUPTED
                                                    : v1::IMPORT_STATE_FAILED);
      report.set_received_rows(received_rows_->load());
    }
    SetTimestamp(absl::ToUnixMicros(service_->environment_.now()), report.mutable_end_time());
    if (absl::Status saved = Save(report); outcome.ok()) outcome = saved;
    service_->EndImport(header_.source());
    if (outcome.ok()) *response_->mutable_report() = report;
    Finish(ToGrpcStatus(outcome));
  }

  // The RUNNING report: who sent what, when.
  v1::ImportReport StartingReport() const {
    v1::ImportReport report;
    report.set_import_id(header_.import_id());
    report.set_source(header_.source());
    report.set_mode(ModeOf(header_));
    report.set_file_name(header_.file_name());
    report.set_expected_rows(header_.expected_rows());
    FillAccountReference(caller_.account, report.mutable_imported_by());
    SetTimestamp(start_micros_, report.mutable_start_time());
    report.set_state(v1::IMPORT_STATE_RUNNING);
    return report;
  }

  // Waits until the stream ends, or has been idle for the idle timeout.
  std::pair<Phase, absl::Status> AwaitEndOfStream() {
    const absl::Duration idle_timeout = service_->options_.limits.idle_timeout;
    std::unique_lock<std::mutex> lock(mutex_);
    while (phase_ == Phase::kReceiving) {
      const absl::Time idle_until = last_message_ + idle_timeout;
      if (absl::Now() >= idle_until) {
        phase_ = Phase::kInterrupted;
        end_ = absl::DeadlineExceededError(
            absl::StrCat("no message for ", absl::FormatDuration(idle_timeout),
                         ": the import was interrupted and nothing was applied; send it again"));
        break;
      }
      changed_.wait_until(lock, absl::ToChronoTime(idle_until));
    }
    return {phase_, end_};
  }

  // Applies the complete import: takes the index writer, runs the import job on the spooled rows
  // (import, purge of expired profiles, disclosure groups; compaction stays with verkenner-index)
  // and returns the SUCCEEDED report built on `started`.
  absl::StatusOr<v1::ImportReport> Apply(const v1::ImportReport& started) {
    const ProfileImportService::Options& options = service_->options_;
    if (options.pseudonymizer == nullptr) {
      return WithReason(
          absl::FailedPreconditionError("this server has no pseudonym key for imports"),
          v1::NOT_CONFIGURED);
    }
    std::vector<SpooledBatch> batches;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      batches = std::move(spool_);
    }
    std::lock_guard<std::mutex> one_writer(service_->writer_mutex_);
    indexer::ImportJob job(service_->environment_.reference_data, options.pseudonymizer,
                           service_->ImportJobOptions());
    if (absl::Status opened = job.Open(); !opened.ok()) {
      if (job.step() == indexer::ImportJob::Step::kOpenVault) {
        return absl::UnavailableError("the identity vault cannot be opened now");
      }
      return WithReason(absl::AbortedError("the index is being written by verkenner-index; nothing "
                                           "was applied, send the import again later"),
                        v1::INDEX_BUSY);
    }
    indexer::Importer::Options import_options;
    import_options.only_source = header_.source();
    if (ModeOf(header_) == v1::IMPORT_MODE_FULL_SYNC) {
      import_options.full_sync_source = header_.source();
    }
    const std::string position_key = indexer::ImportPositionKey(
        Sha256Hex(absl::StrCat("api\x1f", header_.source(), "\x1f", header_.import_id())));
    SpooledRecords records(std::move(batches), header_.source());
    absl::StatusOr<indexer::ImportReport> imported =
        job.ImportRecords(records, position_key, import_options);
    if (!imported.ok()) {
      // The importer's one precondition of a full sync: it accepted a row, else it withdraws
      // nothing.
      const bool empty_full_sync = ModeOf(header_) == v1::IMPORT_MODE_FULL_SYNC &&
                                   absl::IsFailedPrecondition(imported.status());
      return empty_full_sync ? WithReason(imported.status(), v1::FULL_SYNC_NOTHING_ACCEPTED)
                             : imported.status();
    }
    indexer::ImportJob::Upkeep upkeep;
    if (absl::Status finished = job.Finish(upkeep); !finished.ok()) return finished;
    return CountedReport(started, *imported, job.writer());
  }

  // The SUCCEEDED report: the importer's counts, on `started`, with what the index holds of the
  // source afterwards.
  absl::StatusOr<v1::ImportReport> CountedReport(const v1::ImportReport& started,
                                                 const indexer::ImportReport& imported,
                                                 indexer::IndexWriter& writer) {
    const int k = service_->options_.disclosure_k;
    absl::StatusOr<engine::SourceDisclosure> disclosure =
        writer.DisclosureOfSource(header_.source(), k);
    if (!disclosure.ok()) return disclosure.status();
    auto held = writer.ProfilesOfSource(header_.source());
    if (!held.ok()) return held.status();

    v1::ImportReport counted = indexer::ToProtoReport(
        imported, header_.file_name(),
        ModeOf(header_) == v1::IMPORT_MODE_FULL_SYNC ? header_.source() : "");
    counted.MergeFrom(started);  // identity, times and account
    counted.set_state(v1::IMPORT_STATE_SUCCEEDED);
    counted.set_active_profiles(static_cast<int64_t>(held->size()));
    // Groups span sources; the figures are about the groups this source's profiles are in.
    counted.set_k_threshold(k);
    counted.set_smallest_group_size(static_cast<int32_t>(disclosure->smallest_shown_group));
    counted.set_generalised_profiles(disclosure->profiles_shown_at_region_level);
    counted.set_education_generalised_profiles(disclosure->profiles_with_education_generalised);
    return counted;
  }

  absl::Status Save(const v1::ImportReport& report) {
    return service_->environment_.store->WriteAndWait(
        [&report, now = absl::ToUnixMicros(service_->environment_.now())](sql::Connection& db) {
          return SaveImportReport(db, report, now);
        });
  }

  ProfileImportService* service_;
  grpc::CallbackServerContext* context_;
  v1::ImportProfilesResponse* response_;
  Caller caller_;
  v1::ImportProfilesRequest message_;  // the message being read
  bool header_seen_ = false;           // gRPC threads only, one read at a time
  int64_t last_row_ = 0;               // gRPC threads only: the last row number read
  int64_t spooled_bytes_ = 0;          // gRPC threads only
  v1::ImportHeader header_;
  int64_t start_micros_ = 0;
  std::thread call_thread_;
  const std::shared_ptr<std::atomic<int64_t>> received_rows_ =
      std::make_shared<std::atomic<int64_t>>(0);

  std::mutex mutex_;
  std::condition_variable changed_;
  Phase phase_ = Phase::kReceiving;  // guarded by mutex_
  absl::Status end_;                 // guarded by mutex_: why receiving ended
  absl::Time last_message_;          // guarded by mutex_
  std::vector<SpooledBatch> spool_;  // guarded by mutex_
};

namespace {

absl::Status SourceBusyError() {
  return WithReason(
      absl::AbortedError("an import of this source is running; send this one when it has ended"),
      v1::IMPORT_RUNNING);
}

}  // namespace

ProfileImportService::ProfileImportService(const ServiceEnvironment* environment, Options options)
    : environment_(*environment),
      options_(std::move(options)),
      lease_holder_(NewLeaseHolderName()),
      lease_keeper_([this] { KeepLeases(); }) {
  if (options_.upkeep_interval > absl::ZeroDuration()) {
    upkeep_keeper_ = std::thread([this] { KeepUp(); });
  }
}

ProfileImportService::~ProfileImportService() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  stopping_or_renewal_due_.notify_all();
  lease_keeper_.join();
  if (upkeep_keeper_.joinable()) upkeep_keeper_.join();
}

indexer::ImportJob::Options ProfileImportService::ImportJobOptions() const {
  indexer::ImportJob::Options job;
  job.index_path = options_.index_path;
  job.vault_path = options_.vault_path;
  job.writer_wait = options_.limits.writer_wait;
  job.retention = options_.retention;
  job.today_day = options_.today();
  job.disclosure_k = options_.disclosure_k;
  if (options_.writer_lease != nullptr) {
    job.commit_guard = [lease = options_.writer_lease] { return lease->CheckMayWrite(); };
  }
  if (options_.replication != nullptr) job.publish = options_.replication->PublishOptions();
  return job;
}

absl::StatusOr<std::optional<indexer::ImportJob::Upkeep>> ProfileImportService::RunUpkeep() {
  if (options_.writer_lease != nullptr && !options_.writer_lease->CheckHeld().ok()) {
    return std::nullopt;
  }
  std::lock_guard<std::mutex> one_writer(writer_mutex_);
  indexer::ImportJob::Options job_options = ImportJobOptions();
  job_options.compact = options_.upkeep_compacts;
  indexer::ImportJob job(environment_.reference_data, options_.pseudonymizer, job_options);
  if (absl::Status opened = job.Open(); !opened.ok()) {
    return job.step() == indexer::ImportJob::Step::kOpenIndex
               ? WithReason(absl::AbortedError("the index is being written by verkenner-index"),
                            v1::INDEX_BUSY)
               : opened;
  }
  indexer::ImportJob::Upkeep upkeep;
  if (absl::Status finished = job.Finish(upkeep); !finished.ok()) return finished;
  return upkeep;
}

void ProfileImportService::KeepUp() {
  std::unique_lock<std::mutex> lock(mutex_);
  while (!stopping_) {
    const bool stopped = stopping_or_renewal_due_.wait_for(
        lock, absl::ToChronoMilliseconds(options_.upkeep_interval), [this] { return stopping_; });
    if (stopped) return;
    lock.unlock();
    const absl::StatusOr<std::optional<indexer::ImportJob::Upkeep>> outcome = RunUpkeep();
    if (options_.on_upkeep) options_.on_upkeep(outcome);
    lock.lock();
  }
}

absl::Status ProfileImportService::StartImport(const std::string& source, RunningImport running) {
  if (options_.writer_lease != nullptr) {
    if (absl::Status writer = options_.writer_lease->CheckHeld(); !writer.ok()) return writer;
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (running_.count(source) > 0) return SourceBusyError();
    if (static_cast<int>(running_.size()) >= options_.limits.max_concurrent) {
      return absl::UnavailableError(absl::StrCat("this server is receiving ",
                                                 options_.limits.max_concurrent,
                                                 " imports, as many as it takes; try again later"));
    }
    running_.emplace(source, running);
  }
  const int64_t now = absl::ToUnixMicros(environment_.now());
  bool taken = false;
  absl::Status status = environment_.store->WriteAndWait([&](sql::Connection& db) {
    ImportLease lease{source, running.import_id, lease_holder_, 0,
                      now + absl::ToInt64Microseconds(kImportLeaseTerm)};
    absl::StatusOr<bool> took = TakeImportLease(db, lease, now);
    if (!took.ok()) return took.status();
    taken = *took;
    return absl::OkStatus();
  });
  if (status.ok() && taken) return absl::OkStatus();
  std::lock_guard<std::mutex> lock(mutex_);
  running_.erase(source);
  if (!status.ok()) return absl::UnavailableError("cannot start the import now; try again");
  return SourceBusyError();
}

void ProfileImportService::EndImport(const std::string& source) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    running_.erase(source);
  }
  // When this fails the lease simply expires after kImportLeaseTerm.
  (void)environment_.store->WriteAndWait(
      [&](sql::Connection& db) { return ReleaseImportLease(db, source, lease_holder_); });
}

void ProfileImportService::KeepLeases() {
  std::unique_lock<std::mutex> lock(mutex_);
  while (!stopping_) {
    stopping_or_renewal_due_.wait_for(lock, absl::ToChronoSeconds(kImportLeaseTerm / 3));
    if (stopping_ || running_.empty()) continue;
    std::map<std::string, int64_t> progress;
    for (const auto& [source, running] : running_) progress[source] = running.received_rows->load();
    lock.unlock();
    const int64_t expire =
        absl::ToUnixMicros(environment_.now()) + absl::ToInt64Microseconds(kImportLeaseTerm);
    // A lease another instance took meanwhile stays its own: RenewImportLease changes only ours.
    (void)environment_.store->WriteAndWait([&](sql::Connection& db) -> absl::Status {
      for (const auto& [source, rows] : progress) {
        absl::StatusOr<bool> renewed = RenewImportLease(db, source, lease_holder_, rows, expire);
        if (!renewed.ok()) return renewed.status();
      }
      return absl::OkStatus();
    });
    lock.lock();
  }
}

grpc::ServerReadReactor<v1::ImportProfilesRequest>* ProfileImportService::ImportProfiles(
    grpc::CallbackServerContext* context, v1::ImportProfilesResponse* response) {
  return new ImportReactor(this, context, response);
}

absl::StatusOr<std::optional<v1::ImportReport>> ProfileImportService::StoredReport(
    const std::string& source, const std::string& import_id) {
  std::optional<v1::ImportReport> found;
  absl::Status status = environment_.store->Read([&](sql::Connection& db) {
    auto loaded = LoadImportReport(db, source, import_id);
    if (!loaded.ok()) return loaded.status();
    found = std::move(*loaded);
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return found;
}

absl::StatusOr<v1::ImportReport> ProfileImportService::ReportOf(const Caller& caller,
                                                                const std::string& import_id) {
  if (absl::Status valid = CheckImportId("import_id", import_id); !valid.ok()) return valid;
  const std::string& source = caller.account.source;
  absl::StatusOr<std::optional<v1::ImportReport>> found = StoredReport(source, import_id);
  if (!found.ok()) return found.status();
  if (!found->has_value()) return absl::NotFoundError("no such import");
  v1::ImportReport& report = **found;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto running = running_.find(source);
    if (running != running_.end() && running->second.import_id == import_id) {
      report.set_received_rows(running->second.received_rows->load());
      return report;
    }
  }
  if (report.state() != v1::IMPORT_STATE_RUNNING) return report;
  // Running elsewhere: the lease holds its progress.
  std::optional<ImportLease> lease;
  absl::Status status = environment_.store->Read([&](sql::Connection& db) {
    auto held = FindImportLease(db, source, absl::ToUnixMicros(environment_.now()));
    if (!held.ok()) return held.status();
    lease = std::move(*held);
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  if (lease.has_value() && lease->import_id == import_id) {
    report.set_received_rows(lease->received_rows);
    return report;
  }
  // No lease: the import ended since the report was read (its end is saved before its lease is
  // given up, so a second read shows how), or the instance that ran it stopped during it.
  absl::StatusOr<std::optional<v1::ImportReport>> now = StoredReport(source, import_id);
  if (!now.ok()) return now.status();
  if (now->has_value() && (*now)->state() != v1::IMPORT_STATE_RUNNING) return **now;
  report.set_state(v1::IMPORT_STATE_INTERRUPTED);
  return report;
}

grpc::ServerUnaryReactor* ProfileImportService::GetImport(grpc::CallbackServerContext* context,
                                                          const v1::GetImportRequest* request,
                                                          v1::GetImportResponse* response) {
  return AnswerCaller(environment_, context, {v1::ACCOUNT_ROLE_IMPORTER},
                      [&](UnaryCall, const Caller& caller) -> Answer {
                        absl::StatusOr<v1::ImportReport> report =
                            ReportOf(caller, request->import_id());
                        if (report.ok()) *response->mutable_report() = *std::move(report);
                        return report.status();
                      });
}

grpc::ServerUnaryReactor* ProfileImportService::ExportRejectedRows(
    grpc::CallbackServerContext* context, const v1::ExportRejectedRowsRequest* request,
    v1::ExportRejectedRowsResponse* response) {
  return AnswerCaller(
      environment_, context, {v1::ACCOUNT_ROLE_IMPORTER},
      [&](UnaryCall, const Caller& caller) -> Answer {
        absl::StatusOr<v1::ImportReport> report = ReportOf(caller, request->import_id());
        if (!report.ok()) return report.status();
        response->set_content_type("text/csv; charset=utf-8");
        response->set_content(RejectedRowsCsv(*report));
        response->set_filename(absl::StrCat("afgekeurd-", report->import_id(), ".csv"));
        return absl::OkStatus();
      });
}

grpc::ServerUnaryReactor* ProfileImportService::GetCompletenessStatistics(
    grpc::CallbackServerContext* context, const v1::GetCompletenessStatisticsRequest*,
    v1::GetCompletenessStatisticsResponse* response) {
  return AnswerCaller(environment_, context, {v1::ACCOUNT_ROLE_IMPORTER},
                      [&](UnaryCall call, const Caller& caller) -> Answer {
                        if (options_.pool == nullptr || !options_.today) {
                          return absl::UnavailableError("this server has no index to count");
                        }
                        CountCompleteness(call, caller.account.source, response);
                        return Answer::Later();
                      });
}

void ProfileImportService::CountCompleteness(UnaryCall call, const std::string& source,
                                             v1::GetCompletenessStatisticsResponse* response) {
  options_.pool->Submit(
      [this, call, response, source, today = options_.today()](engine::Searcher& searcher) {
        absl::StatusOr<std::map<std::string, engine::CompletenessCount>> counts =
            searcher.CompletenessOfSource(source, today);
        if (!counts.ok()) {
          call.Finish(counts.status());
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
        call.Finish(absl::OkStatus());
      });
}

Answer ProfileImportService::AnswerWorklist(UnaryCall call, const Caller& caller,
                                            const char* action, WorklistFill fill) {
  if (options_.pool == nullptr || !options_.today) {
    return absl::UnavailableError("this server has no index to read");
  }
  if (options_.vault_path.empty()) {
    return WithReason(absl::FailedPreconditionError("this server has no identity vault configured"),
                      v1::NOT_CONFIGURED);
  }
  AuditEntry audit;
  audit.time_micros = absl::ToUnixMicros(environment_.now());
  audit.account_id = caller.account.id;
  audit.action = action;
  audit.resource = absl::StrCat("sources/", caller.account.source);
  options_.pool->Submit([this, call, audit, fill = std::move(fill), source = caller.account.source,
                         today = options_.today()](engine::Searcher& searcher) mutable {
    absl::Status outcome = [&]() -> absl::Status {
      absl::StatusOr<engine::SourceWorklist> worklist = searcher.WorklistOfSource(source, today);
      if (!worklist.ok()) return worklist.status();
      absl::StatusOr<std::unique_ptr<indexer::IdentityVault>> vault =
          indexer::IdentityVault::OpenReadOnly(options_.vault_path);
      if (!vault.ok()) return absl::UnavailableError("the identity vault cannot be opened now");
      absl::StatusOr<std::vector<v1::WorklistEntry>> entries =
          WorklistEntries(worklist->profiles, **vault);
      if (!entries.ok()) return absl::UnavailableError("the identity vault cannot be read now");
      return fill(*std::move(entries), worklist->active_profiles);
    }();
    audit.outcome = outcome.ok() ? "ok" : absl::StatusCodeToString(outcome.code());
    environment_.store->Write(
        [audit](sql::Connection& db) { return AppendAudit(db, audit).status(); },
        [call, outcome](absl::Status audited) {
          // Nothing leaves without its audit row.
          call.Finish(audited.ok() ? outcome : absl::UnavailableError("cannot answer now"));
        });
  });
  return Answer::Later();
}

grpc::ServerUnaryReactor* ProfileImportService::ListWorklist(grpc::CallbackServerContext* context,
                                                             const v1::ListWorklistRequest* request,
                                                             v1::ListWorklistResponse* response) {
  return AnswerCaller(
      environment_, context, {v1::ACCOUNT_ROLE_IMPORTER},
      [&](UnaryCall call, const Caller& caller) -> Answer {
        absl::StatusOr<ListPage> page = ListPage::Of(*request);
        if (!page.ok()) return page.status();
        return AnswerWorklist(
            call, caller, "list_worklist",
            [response, page = *page](std::vector<v1::WorklistEntry> entries, int64_t active) {
              const int total = static_cast<int>(entries.size());
              for (int i = page.begin(); i < page.end(total); ++i) {
                *response->add_entries() = std::move(entries[i]);
              }
              response->set_total_size(total);
              response->set_next_page_token(page.NextToken(total));
              response->set_active_profiles(active);
              return absl::OkStatus();
            });
      });
}

grpc::ServerUnaryReactor* ProfileImportService::ExportWorklist(
    grpc::CallbackServerContext* context, const v1::ExportWorklistRequest*,
    v1::ExportWorklistResponse* response) {
  return AnswerCaller(environment_, context, {v1::ACCOUNT_ROLE_IMPORTER},
                      [&](UnaryCall call, const Caller& caller) -> Answer {
                        const std::string date =
                            absl::FormatTime("%Y-%m-%d", environment_.now(), AmsterdamTimeZone());
                        return AnswerWorklist(
                            call, caller, "export_worklist",
                            [response, source = caller.account.source, date](
                                std::vector<v1::WorklistEntry> entries, int64_t) {
                              response->set_content_type("text/csv; charset=utf-8");
                              response->set_content(WorklistCsv(entries));
                              response->set_filename(absl::StrCat(
                                  "werklijst-", absl::AsciiStrToLower(source), "-", date, ".csv"));
                              return absl::OkStatus();
                            });
                      });
}

}  // namespace verkenner::service
