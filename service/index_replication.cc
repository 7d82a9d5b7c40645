#include "service/index_replication.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"

namespace verkenner::service {

IndexReplication::IndexReplication(Options options)
    : options_(std::move(options)),
      follower_({options_.index_path,
                 [this](const std::string& name) { return options_.fetch(writer_address_, name); },
                 options_.reference_data}) {}

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
  if (options_.lease->Held()) return;  // the writer publishes; it follows no one
  const std::optional<IndexWriterClaim> writer = options_.lease->writer();
  if (!writer.has_value() || writer->holder == options_.lease->holder() ||
      writer->publication.empty()) {
    return;
  }
  writer_address_ = writer->publication;
  absl::StatusOr<indexer::IndexFollower::Round> round = follower_.CatchUp();
  Report(round.status());
  const indexer::IndexFollower::Seen newest = follower_.newest_seen();
  std::lock_guard<std::mutex> lock(mutex_);
  if (round.ok()) held_sequence_ = round->sequence;
  if (held_sequence_ >= newest.sequence) {
    behind_since_.reset();
  } else if (!behind_since_.has_value()) {
    behind_since_ = absl::FromUnixMicros(newest.published_micros);
  }
  if (round.ok() && options_.metrics != nullptr) {
    (void)options_.metrics->SetGauge("verkenner_index_publication_sequence",
                                     "the sequence of the writer's publication the index holds",
                                     static_cast<double>(round->sequence));
  }
}

absl::Duration IndexReplication::Lag() const {
  if (options_.lease->Held()) return absl::ZeroDuration();
  std::lock_guard<std::mutex> lock(mutex_);
  if (!behind_since_.has_value()) return absl::ZeroDuration();
  return std::max(absl::ZeroDuration(), absl::Now() - *behind_since_);
}

void IndexReplication::Report(const absl::Status& status) {
  const std::string error = status.ok() ? "" : status.ToString();
  if (error == last_error_) return;
  last_error_ = error;
  if (log_ == nullptr) return;
  if (status.ok()) {
    log_->Write("info", "index_follow_recovered", {});
  } else {
    log_->Write("warning", "index_follow_failed",
                {absl::StrCat("\"error\":", StructuredLog::Quote(error))});
  }
}

}  // namespace verkenner::service
