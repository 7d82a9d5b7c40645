#include "indexer/import_job.h"

#include <utility>

#include "indexer/retention_sweep.h"

namespace verkenner::indexer {

std::string DefaultVaultPath(std::string_view index_directory) {
  if (index_directory.ends_with('/')) index_directory.remove_suffix(1);
  return std::string(index_directory) + ".vault";
}

ImportJob::ImportJob(std::shared_ptr<const engine::ReferenceData> reference_data,
                     std::shared_ptr<const Pseudonymizer> pseudonymizer, Options options)
    : reference_data_(std::move(reference_data)),
      pseudonymizer_(std::move(pseudonymizer)),
      options_(std::move(options)) {
  if (options_.vault_path.empty()) options_.vault_path = DefaultVaultPath(options_.index_path);
}

absl::StatusOr<std::unique_ptr<IndexWriter>> ImportJob::OpenWriter() {
  IndexWriter::Options writer_options;
  writer_options.shards_if_new = options_.shards_if_new;
  writer_options.commit_guard = options_.commit_guard;
  // The index has one writer (Xapian's lock); another one usually lets go within seconds.
  const absl::Time give_up = absl::Now() + options_.writer_wait;
  while (true) {
    auto opened = IndexWriter::Open(options_.index_path, reference_data_, writer_options);
    if (opened.ok() || absl::Now() >= give_up) return opened;
    absl::SleepFor(absl::Milliseconds(200));
  }
}

absl::Status ImportJob::Open() {
  step_ = Step::kOpenIndex;
  absl::StatusOr<std::unique_ptr<IndexWriter>> writer = OpenWriter();
  if (!writer.ok()) return writer.status();
  step_ = Step::kOpenVault;
  absl::StatusOr<std::unique_ptr<IdentityVault>> vault = IdentityVault::Open(options_.vault_path);
  if (!vault.ok()) return vault.status();
  writer_ = std::move(*writer);
  vault_ = std::move(*vault);
  importer_ = std::make_unique<Importer>(reference_data_, pseudonymizer_, options_.retention,
                                         writer_.get(), vault_.get());
  return absl::OkStatus();
}

absl::StatusOr<ImportReport> ImportJob::ImportFile(const std::string& path,
                                                   Importer::Options options) {
  step_ = Step::kImport;
  if (importer_ == nullptr) return absl::FailedPreconditionError("the import job is not open");
  options.today_day = options_.today_day;
  return importer_->ImportFile(path, options);
}

absl::StatusOr<ImportReport> ImportJob::ImportRecords(RecordSource& source,
                                                      const std::string& position_key,
                                                      Importer::Options options) {
  step_ = Step::kImport;
  if (importer_ == nullptr) return absl::FailedPreconditionError("the import job is not open");
  options.today_day = options_.today_day;
  return importer_->ImportRecords(source, position_key, options);
}

absl::Status ImportJob::Finish(Upkeep& upkeep) {
  step_ = Step::kSweep;
  if (writer_ == nullptr) return absl::FailedPreconditionError("the import job is not open");
  // Retention is a rule of the data: every run that writes the index also purges what expired.
  absl::StatusOr<int64_t> swept = SweepExpiredProfiles(*writer_, vault_.get(), options_.today_day);
  if (!swept.ok()) return swept.status();
  upkeep.expired_purged = *swept;
  // Searchers show a municipality only where the groups are large enough, counted after every
  // change to the index.
  step_ = Step::kDisclosureControl;
  absl::StatusOr<engine::DisclosureGroups> groups =
      writer_->UpdateDisclosureControl(options_.disclosure_k);
  if (!groups.ok()) return groups.status();
  upkeep.disclosure = *groups;
  if (options_.compact) {
    step_ = Step::kCompaction;
    absl::StatusOr<IndexWriter::CompactionResult> compacted = writer_->Compact();
    if (!compacted.ok()) return compacted.status();
    upkeep.compaction = *compacted;
  }
  if (!options_.publish.has_value()) return absl::OkStatus();
  step_ = Step::kPublish;
  absl::StatusOr<Publication> published = Publish(*writer_, *options_.publish);
  if (!published.ok()) return published.status();
  upkeep.publication = *std::move(published);
  return absl::OkStatus();
}

}  // namespace verkenner::indexer
