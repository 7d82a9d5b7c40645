#include "indexer/importer.h"

#include <openssl/evp.h>

#include <fstream>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "engine/schema.h"
#include "indexer/source_format.h"
#include "indexer/source_reader.h"

namespace verkenner::indexer {
namespace {

// No profile needs more; a longer line is refused rather than parsed.
constexpr size_t kMaxRecordBytes = 1 << 20;

// What an import of one file has committed so far, kept in the index metadata. Only the counts
// that depend on the index's state at the time are kept; everything else is recomputed when the
// committed rows are replayed.
struct ImportPosition {
  int64_t row = 0;
  int64_t created = 0;
  int64_t updated = 0;
  int64_t withdrawn = 0;
  int64_t withdraw_unknown = 0;
  bool done = false;

  std::string Serialize() const {
    return absl::StrCat("row=", row, " created=", created, " updated=", updated,
                        " withdrawn=", withdrawn, " unknown=", withdraw_unknown,
                        " done=", done ? 1 : 0);
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
      if (field.first == "withdrawn") position.withdrawn = value;
      if (field.first == "unknown") position.withdraw_unknown = value;
      if (field.first == "done") position.done = value != 0;
    }
    return position;
  }
};

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
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  for (unsigned int i = 0; i < length; ++i) {
    hex.push_back(kHex[digest[i] >> 4]);
    hex.push_back(kHex[digest[i] & 0xf]);
  }
  return hex;
}

// The state of one ImportFile() call.
struct Importer::FileRun {
  explicit FileRun(const Options& run_options) : options(run_options) {}

  const Options& options;
  ImportReport report;
  ImportPosition position;         // what is committed, including this run's batches
  int64_t replay_through_row = 0;  // rows up to here were committed by an earlier run
  int64_t rows_in_batch = 0;
  int64_t last_row = 0;
  // Profile id -> first row it appeared in; also the set a full sync keeps.
  std::unordered_map<std::string, int64_t> seen;
};

Importer::Importer(std::shared_ptr<const engine::ReferenceData> reference_data,
                   std::shared_ptr<const Pseudonymizer> pseudonymizer, RetentionRule retention,
                   IndexWriter* writer, IdentityVault* vault)
    : pseudonymizer_(pseudonymizer),
      validator_(reference_data),
      anonymizer_(reference_data, std::move(pseudonymizer), retention),
      writer_(writer),
      vault_(vault) {}

absl::Status Importer::HandleRow(const v1::SourceProfile& profile, int64_t row, bool replay,
                                 FileRun& run) {
  ImportReport& report = run.report;
  auto reject = [&](std::string field, std::string reason) {
    ++report.rejected;
    report.rejected_rows.push_back({row, std::move(field), std::move(reason)});
  };
  ++report.rows_read;
  if (!run.options.full_sync_source.empty() && profile.source() != run.options.full_sync_source) {
    reject("source", "differs from the source being fully synchronised");
    return absl::OkStatus();
  }
  std::vector<FieldError> errors = validator_.Validate(profile);
  const bool has_key = !profile.source().empty() && !profile.client_number().empty();
  const std::string profile_id =
      has_key ? pseudonymizer_->ProfileId(profile.source(), profile.client_number()) : "";
  if (!errors.empty()) {
    // A full sync keeps the existing profile of a client whose row was merely malformed.
    if (has_key) run.seen.emplace(profile_id, row);
    ++report.rejected;
    for (FieldError& error : errors) {
      report.rejected_rows.push_back({row, std::move(error.field), std::move(error.reason)});
    }
    return absl::OkStatus();
  }
  auto [first, inserted] = run.seen.emplace(profile_id, row);
  if (!inserted) {
    reject("client_number", absl::StrCat("the same client is in row ", first->second,
                                         " of this file already; only that row is imported"));
    return absl::OkStatus();
  }

  auto withdraw = [&]() -> absl::StatusOr<bool> {
    if (vault_ != nullptr) {
      if (absl::Status status = vault_->Remove(profile_id); !status.ok()) return status;
    }
    return writer_->Withdraw(profile_id);
  };
  if (profile.action() == v1::SOURCE_ACTION_DELETE) {
    if (replay) return absl::OkStatus();  // counted in the restored position
    absl::StatusOr<bool> existed = withdraw();
    if (!existed.ok()) return existed.status();
    ++(*existed ? run.position.withdrawn : run.position.withdraw_unknown);
    return absl::OkStatus();
  }

  engine::CandidateRecord record = anonymizer_.Anonymize(profile, run.options.today_day);
  if (record.retain_until_day < run.options.today_day) {
    ++report.expired;
    if (!replay) {
      if (absl::StatusOr<bool> existed = withdraw(); !existed.ok()) return existed.status();
    }
    return absl::OkStatus();
  }
  SourceCompleteness& completeness = report.completeness_by_source[record.source];
  ++completeness.profiles;
  auto count_known = [&](const char* field, bool known) {
    if (known) ++completeness.known[field];
  };
  count_known(engine::schema::kKnownEducation, record.education_known());
  count_known(engine::schema::kKnownExperience, record.experience_known());
  count_known(engine::schema::kKnownAvailability, record.availability_known());
  count_known(engine::schema::kKnownTravelDistance, record.travel_distance_known());
  count_known(engine::schema::kKnownAffinities, record.affinities_known());
  if (replay) return absl::OkStatus();

  if (vault_ != nullptr) {
    if (absl::Status status = vault_->Put({profile_id, profile.source(), profile.client_number()});
        !status.ok()) {
      return status;
    }
  }
  absl::StatusOr<bool> created = writer_->Upsert(record);
  if (!created.ok()) return created.status();
  ++(*created ? run.position.created : run.position.updated);
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

  FileRun run(options);
  absl::StatusOr<std::string> saved = writer_->GetMetadata(position_key);
  if (!saved.ok()) return saved.status();
  if (!saved->empty()) {
    ImportPosition earlier = ImportPosition::Parse(*saved);
    if (!earlier.done) {
      run.position = earlier;
      run.replay_through_row = earlier.row;
      run.report.resumed_after_row = earlier.row;
    }
  }

  ImportProgress progress;
  progress.bytes_total = FileSize(in);
  auto begin_batch = [&]() -> absl::Status {
    if (vault_ != nullptr) {
      if (absl::Status status = vault_->BeginBatch(); !status.ok()) return status;
    }
    return writer_->BeginBatch();
  };
  auto abort_batch = [&]() {
    writer_->AbortBatch();
    if (vault_ != nullptr) vault_->AbortBatch();
  };
  // The vault commits first: an indexed profile must always be resolvable by the WSP.
  auto commit_batch = [&]() -> absl::Status {
    if (vault_ != nullptr) {
      if (absl::Status status = vault_->CommitBatch(); !status.ok()) {
        abort_batch();
        return status;
      }
    }
    if (absl::Status status = writer_->CommitBatch({{position_key, run.position.Serialize()}});
        !status.ok()) {
      return status;
    }
    run.rows_in_batch = 0;
    if (options.on_progress) {
      progress.rows_read = run.report.rows_read;
      int64_t offset = in.tellg();
      progress.bytes_read = offset < 0 ? progress.bytes_total : offset;
      options.on_progress(progress);
    }
    return absl::OkStatus();
  };

  SourceFileReader reader(in, format, kMaxRecordBytes);
  if (absl::Status status = reader.Start(); !status.ok()) return status;
  if (absl::Status status = begin_batch(); !status.ok()) return status;
  SourceRecord record;
  while (reader.Next(record)) {
    const bool replay = record.row <= run.replay_through_row;
    if (!record.status.ok()) {
      ++run.report.rows_read;
      ++run.report.rejected;
      run.report.rejected_rows.push_back(
          {record.row, ErrorField(record.status), std::string(record.status.message())});
    } else if (absl::Status status = HandleRow(record.profile, record.row, replay, run);
               !status.ok()) {
      abort_batch();
      return status;
    }
    if (replay) continue;
    run.position.row = record.row;
    if (!record.status.ok()) continue;
    if (options.after_row_applied) options.after_row_applied(record.row);
    if (++run.rows_in_batch >= options.batch_size) {
      if (absl::Status status = commit_batch(); !status.ok()) return status;
      if (absl::Status status = begin_batch(); !status.ok()) return status;
    }
  }
  in.clear();

  ImportReport& report = run.report;
  report.created = run.position.created;
  report.updated = run.position.updated;
  report.withdrawn = run.position.withdrawn;
  report.withdraw_unknown = run.position.withdraw_unknown;
  if (!options.full_sync_source.empty()) {
    if (report.accepted() == 0) {
      abort_batch();
      return absl::FailedPreconditionError(absl::StrCat(
          "full sync of ", options.full_sync_source,
          ": the file has no accepted row; nothing was withdrawn (a broken export is likelier "
          "than a source without clients)"));
    }
    absl::StatusOr<std::vector<std::string>> held =
        writer_->ProfilesOfSource(options.full_sync_source);
    if (!held.ok()) {
      abort_batch();
      return held.status();
    }
    for (const std::string& profile_id : *held) {
      if (run.seen.contains(profile_id)) continue;
      if (vault_ != nullptr) {
        if (absl::Status status = vault_->Remove(profile_id); !status.ok()) {
          abort_batch();
          return status;
        }
      }
      if (absl::StatusOr<bool> existed = writer_->Withdraw(profile_id); !existed.ok()) {
        abort_batch();
        return existed.status();
      }
      ++report.full_sync_withdrawn;
    }
  }
  run.position.done = true;
  if (absl::Status status = commit_batch(); !status.ok()) return status;
  return report;
}

}  // namespace verkenner::indexer
