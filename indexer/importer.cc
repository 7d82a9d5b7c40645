#include "indexer/importer.h"

#include <openssl/evp.h>

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <fstream>
#include <iterator>
#include <limits>
#include <thread>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "engine/schema.h"
#include "indexer/source_format.h"
#include "indexer/source_reader.h"

namespace verkenner::indexer {
namespace {

// What an import of one file has committed so far in one shard, kept in that shard's metadata.
// Only the counts that depend on the index's state at the time are kept; everything else is
// recomputed when the committed rows are replayed.
struct ImportPosition {
  int64_t row = 0;  // the last file row routed to this shard that is committed
  int64_t created = 0;
  int64_t updated = 0;
  int64_t deleted = 0;
  int64_t unchanged = 0;
  int64_t withdrawn_absent = 0;
  bool done = false;

  std::string Serialize() const {
    return absl::StrCat("row=", row, " created=", created, " updated=", updated,
                        " withdrawn=", deleted, " unknown=", unchanged,
                        " synced=", withdrawn_absent, " done=", done ? 1 : 0);
  }

  static ImportPosition Parse(const std::string& text) {
    ImportPosition position;
    for (absl::string_view part : absl::StrSplit(text, ' ', absl::SkipEmpty())) {
      std::pair<std::string, std::string> field = absl::StrSplit(part, absl::MaxSplits('=', 1));
      int64_t value = 0;
      if (!absl::SimpleAtoi(field.second, &value)) continue;
      if (field.first == "row") position.row = value;
      if (field.first == "created") position.created = value;
      if (field.first == "updated") position.updated = value;
      if (field.first == "withdrawn") position.deleted = value;
      if (field.first == "unknown") position.unchanged = value;
      if (field.first == "synced") position.withdrawn_absent = value;
      if (field.first == "done") position.done = value != 0;
    }
    return position;
  }
};

// A row on its way to its shard: parsed, or refused by the parser but with a readable key.
struct RoutedRow {
  int64_t row = 0;
  std::string profile_id;  // empty when the row lacks source or client number
  v1::SourceProfile profile;
  absl::Status parse_error;  // why the row could not be parsed; then `profile` holds its key only
  RejectionKind parse_problem = RejectionKind::kBadFormat;
};

// A change to the identity vault, held until the shard's batch commits.
struct VaultChange {
  bool remove = false;
  VaultEntry entry;  // only profile_id for a removal
};

// Hands rows from the reading thread to one shard worker in chunks, with a bound on how far the
// reader may run ahead. The bound must cover a commit: while one shard commits (about 0.4 s at a
// million profiles), the reader blocks on that shard's full queue, and the other shards live on
// what their queues hold. With 2,048 rows they ran dry, and workers waited 15% of the import.
class RowQueue {
 public:
  static constexpr size_t kChunkRows = 256;
  static constexpr size_t kMaxChunks = 64;

  // Blocks while the queue is full. Returns false if the consumer gave up.
  bool Push(std::vector<RoutedRow> chunk) {
    std::unique_lock<std::mutex> lock(mutex_);
    not_full_.wait(lock, [&] { return chunks_.size() < kMaxChunks || abandoned_; });
    if (abandoned_) return false;
    chunks_.push_back(std::move(chunk));
    not_empty_.notify_one();
    return true;
  }
  void Close() {
    std::lock_guard<std::mutex> lock(mutex_);
    closed_ = true;
    not_empty_.notify_one();
  }
  // The consumer failed: producers stop waiting.
  void Abandon() {
    std::lock_guard<std::mutex> lock(mutex_);
    abandoned_ = true;
    not_full_.notify_all();
  }
  // A handled chunk goes back to the reader, which parses the next rows into its profiles: their
  // strings and nested messages are reused instead of freed and allocated again per row.
  void Recycle(std::vector<RoutedRow> chunk) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (spare_.size() < kMaxChunks) spare_.push_back(std::move(chunk));
  }
  // A recycled chunk, or an empty one.
  std::vector<RoutedRow> TakeSpare() {
    std::lock_guard<std::mutex> lock(mutex_);
    if (spare_.empty()) return {};
    std::vector<RoutedRow> chunk = std::move(spare_.back());
    spare_.pop_back();
    return chunk;
  }
  // Blocks until a chunk arrives; false once the queue is closed and drained.
  bool Pop(std::vector<RoutedRow>& chunk) {
    std::unique_lock<std::mutex> lock(mutex_);
    not_empty_.wait(lock, [&] { return !chunks_.empty() || closed_; });
    if (chunks_.empty()) return false;
    chunk = std::move(chunks_.front());
    chunks_.pop_front();
    not_full_.notify_one();
    return true;
  }

 private:
  std::mutex mutex_;
  std::condition_variable not_full_;
  std::condition_variable not_empty_;
  std::deque<std::vector<RoutedRow>> chunks_;
  std::vector<std::vector<RoutedRow>> spare_;
  bool closed_ = false;
  bool abandoned_ = false;
};

void MergeReport(ImportReport& into, ImportReport&& from) {
  into.received_rows += from.received_rows;
  into.expired += from.expired;
  into.rejected_rows += from.rejected_rows;
  into.free_text_left_out += from.free_text_left_out;
  for (RejectedRow& row : from.rejections) into.rejections.push_back(std::move(row));
  for (auto& [source, counts] : from.completeness_by_source) {
    SourceCompleteness& total = into.completeness_by_source[source];
    total.profiles += counts.profiles;
    for (const auto& [field, known] : counts.known) total.known[field] += known;
  }
}

// An accepted upsert in its source's completeness counts.
void CountKnownFields(const engine::CandidateRecord& record, SourceCompleteness& completeness) {
  ++completeness.profiles;
  auto count_known = [&](const char* field, bool known) {
    if (known) ++completeness.known[field];
  };
  count_known(engine::schema::kKnownEducation, record.education_known());
  count_known(engine::schema::kKnownExperience, record.experience_known());
  count_known(engine::schema::kKnownAvailability, record.availability_known());
  count_known(engine::schema::kKnownTravelDistance, record.travel_distance_known());
  count_known(engine::schema::kKnownAffinities, record.affinities_known());
}

}  // namespace

// The state of one shard during one ImportFile() call. While the workers run, only the shard's
// worker touches it; afterwards the calling thread does.
struct Importer::ShardRun {
  ShardRun(const Importer::Options& run_options, IndexShardWriter& shard_writer, std::string key)
      : options(run_options), writer(shard_writer), position_key(std::move(key)) {}

  const Importer::Options& options;
  IndexShardWriter& writer;
  const std::string position_key;
  RowQueue queue;
  ImportReport report;             // this shard's rows only
  ImportPosition position;         // what is committed, including this run's batches
  int64_t replay_through_row = 0;  // rows up to here were committed by an earlier run
  bool finished_earlier = false;   // an earlier run completed this shard
  int64_t rows_in_batch = 0;
  std::vector<VaultChange> vault_changes;
  // Profile id -> first row it appeared in; also the set a full sync keeps.
  std::unordered_map<std::string, int64_t> seen;
  absl::Status status;
};

namespace {

int64_t FileSize(std::istream& in) {
  in.seekg(0, std::ios::end);
  int64_t size = in.tellg();
  in.seekg(0, std::ios::beg);
  return size < 0 ? 0 : size;
}

}  // namespace

std::string ImportPositionKey(const std::string& file_sha256_hex) {
  return absl::StrCat("verkenner.import.", file_sha256_hex);
}

absl::StatusOr<std::string> FileSha256(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot open import file ", path));
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> context(EVP_MD_CTX_new(),
                                                                  EVP_MD_CTX_free);
  EVP_DigestInit_ex(context.get(), EVP_sha256(), nullptr);
  std::vector<char> buffer(1 << 20);
  while (in) {
    in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
    EVP_DigestUpdate(context.get(), buffer.data(), static_cast<size_t>(in.gcount()));
  }
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_DigestFinal_ex(context.get(), digest, &length);
  return absl::BytesToHexString(absl::string_view(reinterpret_cast<const char*>(digest), length));
}

Importer::Importer(std::shared_ptr<const engine::ReferenceData> reference_data,
                   std::shared_ptr<const Pseudonymizer> pseudonymizer, RetentionRule retention,
                   IndexWriter* writer, IdentityVault* vault)
    : pseudonymizer_(pseudonymizer),
      validator_(reference_data),
      anonymizer_(reference_data, std::move(pseudonymizer), retention),
      writer_(writer),
      vault_(vault) {}

std::optional<ValidatedProfile> Importer::CheckRow(const v1::SourceProfile& profile,
                                                   const std::string& profile_id, int64_t row,
                                                   ShardRun& run) {
  ImportReport& report = run.report;
  auto reject = [&](std::string field, std::string reason, RejectionKind kind) {
    ++report.rejected_rows;
    report.rejections.push_back({row, std::move(field), std::move(reason), kind, {}});
  };
  const std::string& only_source = !run.options.full_sync_source.empty()
                                       ? run.options.full_sync_source
                                       : run.options.only_source;
  if (!only_source.empty() && profile.source() != only_source) {
    reject("source", "differs from the source this import is for", RejectionKind::kSourceMismatch);
    return std::nullopt;
  }
  std::vector<FieldError> errors;
  std::optional<ValidatedProfile> valid = validator_.Resolve(profile, errors);
  if (!valid.has_value()) {
    // A full sync keeps the existing profile of a client whose row was merely malformed.
    if (!profile_id.empty()) run.seen.emplace(profile_id, row);
    ++report.rejected_rows;
    for (FieldError& error : errors) {
      report.rejections.push_back({row, std::move(error.field), std::move(error.reason), error.kind,
                                   std::move(error.allowed)});
    }
    return std::nullopt;
  }
  auto [first, inserted] = run.seen.emplace(profile_id, row);
  if (!inserted) {
    reject("client_number",
           absl::StrCat("the same client is in row ", first->second,
                        " of this file already; only that row is imported"),
           RejectionKind::kDuplicate);
    return std::nullopt;
  }
  return valid;
}

void Importer::RejectUnparsedRow(const absl::Status& error, RejectionKind problem,
                                 const std::string& profile_id, int64_t row, ShardRun& run) {
  ++run.report.received_rows;
  ++run.report.rejected_rows;
  run.report.rejections.push_back(
      {row, ErrorField(error), std::string(error.message()), problem, {}});
  // As for a row the validator refuses: a full sync keeps the client's existing profile.
  if (!profile_id.empty()) run.seen.emplace(profile_id, row);
}

absl::Status Importer::HandleRow(const v1::SourceProfile& profile, const std::string& profile_id,
                                 int64_t row, bool replay, ShardRun& run) {
  ++run.report.received_rows;
  std::optional<ValidatedProfile> valid = CheckRow(profile, profile_id, row, run);
  if (!valid.has_value()) return absl::OkStatus();
  auto withdraw = [&]() -> absl::StatusOr<bool> {
    if (vault_ != nullptr && !run.options.dry_run) {
      run.vault_changes.push_back({true, {profile_id, "", ""}});
    }
    return run.writer.Withdraw(profile_id);
  };
  if (valid->is_delete()) {
    if (replay) return absl::OkStatus();  // counted in the restored position
    absl::StatusOr<bool> existed = withdraw();
    if (!existed.ok()) return existed.status();
    ++(*existed ? run.position.deleted : run.position.unchanged);
    return absl::OkStatus();
  }

  engine::CandidateRecord record = anonymizer_.Anonymize(*valid, run.options.today_day);
  if (record.retain_until_day < run.options.today_day) {
    ++run.report.expired;
    if (!replay) {
      if (absl::StatusOr<bool> existed = withdraw(); !existed.ok()) return existed.status();
    }
    return absl::OkStatus();
  }
  CountKnownFields(record, run.report.completeness_by_source[record.source]);
  run.report.free_text_left_out +=
      (profile.diplomas_size() - std::ssize(record.diplomas)) +
      (profile.skills_size() - std::ssize(record.skills)) +
      (profile.work_experience_size() - std::ssize(record.experience)) +
      (!profile.wishes().empty() && record.wishes.empty() ? 1 : 0);
  if (replay) return absl::OkStatus();

  if (vault_ != nullptr && !run.options.dry_run) {
    run.vault_changes.push_back({false, {profile_id, profile.source(), profile.client_number()}});
  }
  absl::StatusOr<UpsertResult> upserted = run.writer.Upsert(record);
  if (!upserted.ok()) return upserted.status();
  switch (*upserted) {
    case UpsertResult::kCreated:
      ++run.position.created;
      break;
    case UpsertResult::kUpdated:
      ++run.position.updated;
      break;
    case UpsertResult::kUnchanged:
      ++run.position.unchanged;
      break;
  }
  return absl::OkStatus();
}

absl::Status Importer::CommitShardBatch(ShardRun& run) {
  if (run.options.dry_run) {  // what the batch did is counted; it is not kept
    run.writer.AbortBatch();
    run.rows_in_batch = 0;
    return absl::OkStatus();
  }
  // The vault commits first: an indexed profile must always be resolvable by the WSP.
  if (vault_ != nullptr && !run.vault_changes.empty()) {
    std::lock_guard<std::mutex> lock(vault_mutex_);
    absl::Status status = vault_->BeginBatch();
    for (const VaultChange& change : run.vault_changes) {
      if (!status.ok()) break;
      status = change.remove ? vault_->Remove(change.entry.profile_id) : vault_->Put(change.entry);
    }
    if (status.ok()) status = vault_->CommitBatch();
    if (!status.ok()) {
      if (vault_->InBatch()) vault_->AbortBatch();
      run.writer.AbortBatch();
      return status;
    }
  }
  run.vault_changes.clear();
  run.rows_in_batch = 0;
  return run.writer.CommitBatch({{run.position_key, run.position.Serialize()}});
}

void Importer::RunShard(ShardRun& run) {
  auto fail = [&](absl::Status status) {
    run.status = std::move(status);
    run.writer.AbortBatch();
    run.vault_changes.clear();
    run.queue.Abandon();
  };
  if (absl::Status status = run.writer.BeginBatch(); !status.ok()) return fail(status);
  std::vector<RoutedRow> chunk;
  while (run.queue.Pop(chunk)) {
    for (RoutedRow& routed : chunk) {
      const bool replay = routed.row <= run.replay_through_row;
      if (!routed.parse_error.ok()) {
        RejectUnparsedRow(routed.parse_error, routed.parse_problem, routed.profile_id, routed.row,
                          run);
      } else {
        NormalizeSourceProfile(routed.profile);
        if (absl::Status status =
                HandleRow(routed.profile, routed.profile_id, routed.row, replay, run);
            !status.ok()) {
          return fail(status);
        }
      }
      if (replay) continue;
      run.position.row = routed.row;
      if (run.options.after_row_applied) run.options.after_row_applied(routed.row);
      if (++run.rows_in_batch >= run.options.batch_size) {
        if (absl::Status status = CommitShardBatch(run); !status.ok()) return fail(status);
        if (absl::Status status = run.writer.BeginBatch(); !status.ok()) return fail(status);
      }
    }
    run.queue.Recycle(std::move(chunk));
  }
}

absl::Status Importer::WithdrawAbsentProfiles(ShardRun& run) {
  absl::StatusOr<std::vector<std::string>> held =
      run.writer.ProfilesOfSource(run.options.full_sync_source);
  if (!held.ok()) return held.status();
  for (const std::string& profile_id : *held) {
    if (run.seen.contains(profile_id)) continue;
    if (vault_ != nullptr && !run.options.dry_run) {
      run.vault_changes.push_back({true, {profile_id, "", ""}});
    }
    if (absl::StatusOr<bool> existed = run.writer.Withdraw(profile_id); !existed.ok()) {
      return existed.status();
    }
    ++run.position.withdrawn_absent;
  }
  return absl::OkStatus();
}

absl::StatusOr<ImportReport> Importer::ImportFile(const std::string& path, const Options& options) {
  absl::StatusOr<std::string> sha256 = FileSha256(path);
  if (!sha256.ok()) return sha256.status();
  const std::string position_key = ImportPositionKey(*sha256);
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot open import file ", path));
  SourceFileFormat format = options.format;
  if (format == SourceFileFormat::kAuto) {
    format = absl::EndsWith(path, ".jsonl") || absl::EndsWith(path, ".json")
                 ? SourceFileFormat::kJsonLines
                 : SourceFileFormat::kCsv;
  }
  // The file's reader as a record source, with the file's size and position for progress.
  class FileRecordSource final : public RecordSource {
   public:
    FileRecordSource(std::ifstream& in, SourceFileFormat format)
        : in_(in), total_(FileSize(in)), reader_(in, format, kMaxSourceRecordBytes) {}
    absl::Status Start() { return reader_.Start(); }
    bool Next(SourceRecord& record) override { return reader_.Next(record); }
    int64_t BytesRead() override {
      const int64_t offset = in_.tellg();
      return offset < 0 ? total_ : offset;
    }
    int64_t BytesTotal() override { return total_; }

   private:
    std::ifstream& in_;
    const int64_t total_;  // before reading starts: it seeks
    SourceFileReader reader_;
  };
  FileRecordSource file(in, format);
  if (absl::Status status = file.Start(); !status.ok()) return status;
  return ImportRecords(file, position_key, options);
}

absl::StatusOr<ImportReport> Importer::ImportRecords(RecordSource& source,
                                                     const std::string& position_key,
                                                     const Options& options) {
  std::vector<std::unique_ptr<ShardRun>> shards;
  for (int i = 0; i < writer_->shard_count(); ++i) {
    shards.push_back(std::make_unique<ShardRun>(options, writer_->shard(i), position_key));
  }
  ImportReport report;
  if (!options.dry_run) {
    if (absl::Status restored = RestorePositions(shards, report); !restored.ok()) return restored;
  }

  std::vector<std::thread> workers;
  for (auto& run : shards) workers.emplace_back([this, &run] { RunShard(*run); });
  ReadAndRoute(source, shards, options, report);
  for (std::thread& worker : workers) worker.join();

  // The workers are done; from here this thread uses the shards.
  absl::Status finished = FinishShards(source, shards, options, report);
  if (!finished.ok()) {
    for (auto& run : shards) {
      run->writer.AbortBatch();
      run->vault_changes.clear();
    }
    return finished;
  }
  return report;
}

absl::Status Importer::RestorePositions(std::vector<std::unique_ptr<ShardRun>>& shards,
                                        ImportReport& report) {
  // Resume: if any shard holds an unfinished position for this import, every shard replays the
  // rows it committed (a shard that finished replays all of its rows and is left as it is).
  std::vector<ImportPosition> saved(shards.size());
  bool resuming = false;
  for (size_t i = 0; i < shards.size(); ++i) {
    absl::StatusOr<std::string> text = shards[i]->writer.GetMetadata(shards[i]->position_key);
    if (!text.ok()) return text.status();
    if (text->empty()) continue;
    saved[i] = ImportPosition::Parse(*text);
    if (!saved[i].done) resuming = true;
  }
  if (!resuming) return absl::OkStatus();
  report.resumed_after_row = std::numeric_limits<int64_t>::max();
  for (size_t i = 0; i < shards.size(); ++i) {
    ShardRun& run = *shards[i];
    run.position = saved[i];
    run.replay_through_row = saved[i].done ? std::numeric_limits<int64_t>::max() : saved[i].row;
    run.finished_earlier = saved[i].done;
    if (!saved[i].done) report.resumed_after_row = std::min(report.resumed_after_row, saved[i].row);
  }
  return absl::OkStatus();
}

void Importer::ReadAndRoute(RecordSource& source, std::vector<std::unique_ptr<ShardRun>>& shards,
                            const Options& options, ImportReport& report) {
  // This thread reads, parses and routes; the shard workers do the rest. A shard's pending chunk
  // is filled up to `filled[shard]` rows, reusing the rows of a recycled chunk.
  std::vector<std::vector<RoutedRow>> pending(shards.size());
  std::vector<size_t> filled(shards.size(), 0);
  bool abandoned = false;
  auto flush = [&](size_t shard) {
    pending[shard].resize(filled[shard]);
    if (!pending[shard].empty() && !shards[shard]->queue.Push(std::move(pending[shard]))) {
      abandoned = true;
    }
    pending[shard] = shards[shard]->queue.TakeSpare();
    filled[shard] = 0;
  };
  ImportProgress progress;
  progress.bytes_total = source.BytesTotal();
  SourceRecord record;
  int64_t rows_since_progress = 0;
  while (!abandoned && source.Next(record)) {
    std::string profile_id;
    // The key as the shard worker will read it (NormalizeSourceProfile), for routing.
    NormalizeProfileKey(*record.profile.mutable_source(), *record.profile.mutable_client_number());
    if (!record.profile.source().empty() && !record.profile.client_number().empty()) {
      profile_id =
          pseudonymizer_->ProfileId(record.profile.source(), record.profile.client_number());
    }
    if (!record.status.ok() && profile_id.empty()) {  // whose row it is is unknown: counted here
      ++report.received_rows;
      ++report.rejected_rows;
      report.rejections.push_back({record.row, ErrorField(record.status),
                                   std::string(record.status.message()), record.problem, {}});
    } else {
      const size_t shard = writer_->ShardOf(profile_id);
      if (filled[shard] == pending[shard].size()) pending[shard].emplace_back();
      RoutedRow& routed = pending[shard][filled[shard]++];
      routed.row = record.row;
      routed.profile_id = std::move(profile_id);
      routed.parse_error = record.status;
      routed.parse_problem = record.problem;
      // The reader parses its next row into the recycled profile it gets back.
      routed.profile.Swap(&record.profile);
      if (filled[shard] >= RowQueue::kChunkRows) flush(shard);
    }
    if (options.on_progress && ++rows_since_progress >= options.batch_size) {
      rows_since_progress = 0;
      progress.rows_read = record.row;
      progress.bytes_read = source.BytesRead();
      options.on_progress(progress);
    }
  }
  for (size_t shard = 0; shard < shards.size(); ++shard) {
    if (!abandoned) flush(shard);
    shards[shard]->queue.Close();
  }
}

absl::Status Importer::FinishShards(RecordSource& source,
                                    std::vector<std::unique_ptr<ShardRun>>& shards,
                                    const Options& options, ImportReport& report) {
  for (auto& run : shards) {
    if (!run->status.ok()) return run->status;
  }
  // A source that broke off is not complete: nothing more is committed, nothing withdrawn.
  if (absl::Status broken = source.status(); !broken.ok()) return broken;
  for (auto& run : shards) {
    MergeReport(report, std::move(run->report));
    report.created += run->position.created;
    report.updated += run->position.updated;
    report.deleted += run->position.deleted;
    report.unchanged += run->position.unchanged;
  }
  std::stable_sort(report.rejections.begin(), report.rejections.end(),
                   [](const RejectedRow& a, const RejectedRow& b) { return a.row < b.row; });
  if (!options.full_sync_source.empty() && report.accepted_rows() == 0) {
    return absl::FailedPreconditionError(absl::StrCat(
        "full sync of ", options.full_sync_source,
        ": the file has no accepted row; nothing was withdrawn (a broken export is likelier "
        "than a source without clients)"));
  }
  // Each shard's last batch: the full sync's withdrawals and the position marked done.
  for (auto& run : shards) {
    if (run->finished_earlier) {
      run->writer.AbortBatch();  // holds nothing: every row was a replay
    } else {
      absl::Status status = absl::OkStatus();
      if (!options.full_sync_source.empty()) status = WithdrawAbsentProfiles(*run);
      run->position.done = true;
      if (status.ok()) status = CommitShardBatch(*run);
      if (!status.ok()) return status;
    }
    report.withdrawn_absent += run->position.withdrawn_absent;
  }
  return absl::OkStatus();
}

}  // namespace verkenner::indexer
