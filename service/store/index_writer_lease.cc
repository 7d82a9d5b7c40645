#include "service/store/index_writer_lease.h"

#include <unistd.h>

#include <filesystem>
#include <random>
#include <utility>

#include "absl/strings/str_cat.h"
#include "base/host_port.h"
#include "service/rpc/error_details.h"

namespace verkenner::service {

std::string NewLeaseHolderName() {
  std::random_device random;
  return absl::StrCat(base::HostName(), "/", getpid(), "/", absl::Hex(random()),
                      absl::Hex(random()));
}

namespace {

std::string LocationOf(const std::string& index_directory) {
  std::error_code ignored;
  std::filesystem::path path = std::filesystem::weakly_canonical(index_directory, ignored);
  if (path.empty()) path = std::filesystem::absolute(index_directory, ignored);
  return absl::StrCat(base::HostName(), ":", path.lexically_normal().string());
}

}  // namespace

IndexWriterLease::IndexWriterLease(Store* store, Options options)
    : store_(store),
      options_(std::move(options)),
      holder_(NewLeaseHolderName()),
      location_(LocationOf(options_.index_directory)) {}

IndexWriterLease::~IndexWriterLease() { Stop(); }

void IndexWriterLease::SetPublication(std::string publication) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    publication_ = std::move(publication);
    claim_now_ = true;  // followers learn it at once, not a renewal later
  }
  stopping_or_due_.notify_all();
}

absl::StatusOr<IndexWriterClaim> IndexWriterLease::Start(std::string address) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    // Stopped is final: a lease taken now would never be released.
    if (stopping_ || renewer_.joinable()) {
      return absl::FailedPreconditionError("the index writer's lease was started or stopped");
    }
  }
  address_ = std::move(address);
  absl::StatusOr<IndexWriterClaim> claimed = Claim();
  renewer_ = std::thread([this] { Renew(); });
  return claimed;
}

void IndexWriterLease::Stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (stopping_) return;
    stopping_ = true;
    held_until_ = {};
  }
  stopping_or_due_.notify_all();
  if (renewer_.joinable()) renewer_.join();
  // The last claim, also one that was under way when Stop() began, says whether it is ours.
  std::optional<IndexWriterClaim> last;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    last = std::exchange(writer_, std::nullopt);  // a stopped process names no writer
  }
  if (!last.has_value() || last->holder != holder_) return;
  // When this fails the lease simply runs out after its term.
  (void)store_->WriteAndWait(
      [this](sql::Connection& db) { return ReleaseIndexWriter(db, holder_); });
}

absl::StatusOr<IndexWriterClaim> IndexWriterLease::Claim() {
  const auto sent = std::chrono::steady_clock::now();
  const int64_t now = absl::ToUnixMicros(options_.now());
  if (options_.may_claim != nullptr && !options_.may_claim()) return Watch(now);
  IndexWriterClaim claim{
      holder_, address_, location_, 0, now + absl::ToInt64Microseconds(options_.term), ""};
  {
    std::lock_guard<std::mutex> lock(mutex_);
    claim.publication = publication_;
  }
  IndexWriterClaim valid;
  absl::Status status = store_->WriteAndWait([&](sql::Connection& db) -> absl::Status {
    absl::StatusOr<IndexWriterClaim> claimed = ClaimIndexWriter(db, claim, now);
    if (!claimed.ok()) return claimed.status();
    valid = *std::move(claimed);
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  std::lock_guard<std::mutex> lock(mutex_);
  writer_ = valid;
  if (stopping_) return valid;  // Stop() releases it; never held again
  if (valid.holder == holder_) {
    held_until_ = sent + absl::ToChronoMilliseconds(options_.term - options_.term / 6);
    epoch_ = valid.epoch;
  } else {
    held_until_ = {};
  }
  return valid;
}

absl::StatusOr<IndexWriterClaim> IndexWriterLease::Watch(int64_t now_micros) {
  std::optional<IndexWriterClaim> seen;
  absl::Status status = store_->Read([&](sql::Connection& db) -> absl::Status {
    absl::StatusOr<std::optional<IndexWriterClaim>> found = FindIndexWriter(db, now_micros);
    if (!found.ok()) return found.status();
    seen = *std::move(found);
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  std::lock_guard<std::mutex> lock(mutex_);
  writer_ = seen;
  held_until_ = {};
  if (!seen.has_value()) return absl::UnavailableError("no process holds the index writer's lease");
  return *seen;
}

void IndexWriterLease::Renew() {
  std::unique_lock<std::mutex> lock(mutex_);
  while (!stopping_) {
    stopping_or_due_.wait_for(lock, absl::ToChronoMilliseconds(options_.term / 3),
                              [this] { return stopping_ || claim_now_; });
    if (stopping_) break;
    claim_now_ = false;
    lock.unlock();
    (void)Claim();  // on an error Held() turns false when the term runs out
    lock.lock();
  }
}

bool IndexWriterLease::Held() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return std::chrono::steady_clock::now() < held_until_;
}

bool IndexWriterLease::MayWrite() const {
  if (Held()) return true;
  if (!CoWrites(writer())) return false;
  // As the store says now, not as the last claim saw it up to term / 3 ago, and with the same
  // margin the holder keeps: the co-writer stops no later than the holder would.
  std::optional<IndexWriterClaim> now;
  const int64_t now_micros = absl::ToUnixMicros(options_.now());
  absl::Status read = store_->Read([&](sql::Connection& db) -> absl::Status {
    absl::StatusOr<std::optional<IndexWriterClaim>> found = FindIndexWriter(db, now_micros);
    if (!found.ok()) return found.status();
    now = *std::move(found);
    return absl::OkStatus();
  });
  return read.ok() && CoWrites(now) &&
         now->expire_micros - absl::ToInt64Microseconds(options_.term / 6) > now_micros;
}

bool IndexWriterLease::CoWrites(const std::optional<IndexWriterClaim>& writer) const {
  return writer.has_value() && writer->holder != holder_ && writer->location == location_;
}

absl::Status IndexWriterLease::CheckMayWrite() const {
  if (MayWrite()) return absl::OkStatus();
  const absl::Status held = CheckHeld();
  return WithReason(absl::AbortedError(absl::StrCat(
                        "this process lost the index writer's lease and commits nothing more",
                        held.ok() ? "" : absl::StrCat(": ", held.message()))),
                    v1::INDEX_BUSY);
}

absl::Status IndexWriterLease::CheckHeld() const {
  if (Held()) return absl::OkStatus();
  std::optional<IndexWriterClaim> seen = writer();
  if (!seen.has_value() || absl::FromUnixMicros(seen->expire_micros) <= options_.now()) {
    return absl::UnavailableError(
        "no instance is the index writer at this moment; send the import again in a minute");
  }
  if (seen->holder == holder_) {
    return absl::UnavailableError(
        "this instance cannot renew its lease as the index writer now; send the import again in "
        "a minute");
  }
  if (seen->address.empty()) {
    return absl::UnavailableError(
        "the index is being written by verkenner-index; send the import again when it is done");
  }
  return WithReason(absl::FailedPreconditionError(absl::StrCat(
                        "this instance follows the index writer; imports go to the index writer "
                        "at ",
                        seen->address)),
                    v1::NOT_INDEX_WRITER, {{"writer", seen->address}});
}

int64_t IndexWriterLease::epoch() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return epoch_;
}

std::optional<IndexWriterClaim> IndexWriterLease::writer() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return writer_;
}

}  // namespace verkenner::service
