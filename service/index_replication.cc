#include "service/index_replication.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"

namespace verkenner::service {
namespace {

// The MANIFEST `fetch` reads; none when there is none or it is damaged.
std::optional<indexer::Publication> ReadPublication(const indexer::FetchPublished& fetch) {
  absl::StatusOr<std::string> manifest = fetch(indexer::kManifestName);
  if (!manifest.ok()) return std::nullopt;
  absl::StatusOr<indexer::Publication> publication = indexer::DecodePublication(*manifest);
  if (!publication.ok()) return std::nullopt;
  return *std::move(publication);
}

}  // namespace

IndexReplication::IndexReplication(Options options)
    : options_(std::move(options)),
      follower_({options_.index_path,
                 [this](const std::string& name) { return options_.fetch(writer_address_, name); },
                 options_.reference_data}),
      published_(indexer::FetchFromDirectory(options_.index_path)) {}

void IndexReplication::Start(const std::string& publication_address, StructuredLog* log) {
  log_ = log;
  options_.lease->SetPublication(publication_address);
  thread_ = std::thread([this] { Follow(); });
}

IndexReplication::~IndexReplication() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  stopping_or_due_.notify_all();
  if (thread_.joinable()) thread_.join();
}

indexer::PublishOptions IndexReplication::PublishOptions() const {
  indexer::PublishOptions publish;
  publish.epoch = options_.lease->epoch();
  return publish;
}

void IndexReplication::Follow() {
  std::unique_lock<std::mutex> lock(mutex_);
  while (!stopping_) {
    lock.unlock();
    FollowOnce();
    lock.lock();
    stopping_or_due_.wait_for(lock, absl::ToChronoMilliseconds(options_.interval),
                              [this] { return stopping_; });
  }
}

void IndexReplication::FollowOnce() {
  if (options_.lease->Held()) {  // the writer publishes; it follows no one
    Report(PublishOnTakeover(), "index_publish");
    if (std::optional<indexer::Publication> own = ReadPublication(published_);
        own.has_value() && own->epoch == options_.lease->epoch()) {
      ReportSequence(own->sequence);
    }
    return;
  }
  const std::optional<IndexWriterClaim> writer = options_.lease->writer();
  if (!writer.has_value() || writer->holder == options_.lease->holder() ||
      writer->publication.empty()) {
    return;
  }
  writer_address_ = writer->publication;
  absl::StatusOr<indexer::IndexFollower::Round> round = follower_.CatchUp();
  Report(round.status(), "index_follow");
  const indexer::IndexFollower::Seen newest = follower_.newest_seen();
  std::lock_guard<std::mutex> lock(mutex_);
  if (round.ok()) held_sequence_ = round->sequence;
  if (held_sequence_ >= newest.sequence) {
    behind_since_.reset();
  } else if (!behind_since_.has_value()) {
    behind_since_ = absl::FromUnixMicros(newest.published_micros);
  }
  if (round.ok()) ReportSequence(round->sequence);
}

void IndexReplication::ReportSequence(int64_t sequence) {
  if (options_.metrics == nullptr) return;
  (void)options_.metrics->SetGauge(
      "verkenner_index_publication_sequence",
      "the sequence of the writer's publication the index holds (on the writer: it published)",
      static_cast<double>(sequence));
}

absl::Status IndexReplication::PublishOnTakeover() {
  const int64_t epoch = options_.lease->epoch();
  if (published_epoch_ == epoch) return absl::OkStatus();
  // An import may have published in this epoch already (it ends with a publish).
  if (std::optional<indexer::Publication> own = ReadPublication(published_);
      own.has_value() && own->epoch == epoch) {
    published_epoch_ = epoch;
    return absl::OkStatus();
  }
  indexer::IndexWriter::Options writer_options;
  writer_options.commit_guard = [lease = options_.lease] { return lease->CheckMayWrite(); };
  // Fails while an import holds the index (its own publish then comes first); the next round
  // looks again.
  absl::StatusOr<std::unique_ptr<indexer::IndexWriter>> writer =
      indexer::IndexWriter::Open(options_.index_path, options_.reference_data, writer_options);
  if (!writer.ok()) return writer.status();
  absl::StatusOr<indexer::Publication> published = indexer::Publish(**writer, PublishOptions());
  if (!published.ok()) return published.status();
  published_epoch_ = epoch;
  return absl::OkStatus();
}

absl::StatusOr<std::string> IndexReplication::PublishedFile(const std::string& name) const {
  if (!options_.lease->Held()) {
    return absl::UnavailableError(
        "this instance is not the index writer; follow the one the lease names");
  }
  absl::StatusOr<std::string> file = published_(name);
  if (!file.ok() || name != indexer::kManifestName) return file;
  absl::StatusOr<indexer::Publication> publication = indexer::DecodePublication(*file);
  if (publication.ok() && publication->epoch != options_.lease->epoch()) {
    return absl::UnavailableError(
        "the index writer has not published its index yet; ask again soon");
  }
  return file;
}

absl::Duration IndexReplication::Lag() const {
  if (options_.lease->Held()) return absl::ZeroDuration();
  std::lock_guard<std::mutex> lock(mutex_);
  if (!behind_since_.has_value()) return absl::ZeroDuration();
  return std::max(absl::ZeroDuration(), absl::Now() - *behind_since_);
}

void IndexReplication::Report(const absl::Status& status, const std::string& what) {
  const std::string error = status.ok() ? "" : status.ToString();
  if (error == last_error_) return;
  last_error_ = error;
  if (log_ == nullptr) return;
  if (status.ok()) {
    log_->Write("info", what + "_recovered", {});
  } else {
    log_->Write("warning", what + "_failed",
                {absl::StrCat("\"error\":", StructuredLog::Quote(error))});
  }
}

}  // namespace verkenner::service
