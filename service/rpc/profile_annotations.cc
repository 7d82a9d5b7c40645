#include "service/rpc/profile_annotations.h"

#include "service/store/records.h"

namespace verkenner::service {

absl::StatusOr<std::shared_ptr<ProfileAnnotationsCache>> ProfileAnnotationsCache::Load(
    Store& store) {
  std::shared_ptr<ProfileAnnotationsCache> cache(new ProfileAnnotationsCache(store));
  if (absl::Status read = cache->Refresh(); !read.ok()) return read;
  return cache;
}

absl::Status ProfileAnnotationsCache::Refresh() {
  std::lock_guard<std::mutex> refreshing(refresh_mutex_);
  int64_t seen;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    seen = seen_count_;
  }
  auto annotations = std::make_shared<engine::ProfileAnnotations>();
  int64_t count = 0;
  // The count and the annotations in one read transaction: one state of the store.
  absl::Status read = store_.Read([&](sql::Connection& db) {
    absl::StatusOr<int64_t> changes = ChangeCount(db, kProfileAnnotationsChange);
    if (!changes.ok()) return changes.status();
    count = *changes;
    if (count == seen) return absl::OkStatus();
    absl::StatusOr<std::set<std::string>> hidden = HiddenProfileIdsIn(db);
    if (!hidden.ok()) return hidden.status();
    absl::StatusOr<std::map<std::string, int64_t>> confirmed = AvailabilityConfirmationsIn(db);
    if (!confirmed.ok()) return confirmed.status();
    annotations->hidden = std::move(*hidden);
    annotations->availability_confirmed_day = std::move(*confirmed);
    return absl::OkStatus();
  });
  if (!read.ok()) return read;
  if (count == seen) return absl::OkStatus();
  std::lock_guard<std::mutex> lock(mutex_);
  current_ = std::move(annotations);
  seen_count_ = count;
  return absl::OkStatus();
}

std::shared_ptr<const engine::ProfileAnnotations> ProfileAnnotationsCache::Current() {
  // When the store cannot be read: the last copy (see the class comment).
  (void)Refresh();
  std::lock_guard<std::mutex> lock(mutex_);
  return current_;
}

}  // namespace verkenner::service
