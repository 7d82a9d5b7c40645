#include "service/rpc/profile_annotations.h"

#include "service/store/records.h"

namespace verkenner::service {

absl::StatusOr<std::shared_ptr<ProfileAnnotationsCache>> ProfileAnnotationsCache::Load(
    Store& store) {
  auto annotations = std::make_shared<engine::ProfileAnnotations>();
  absl::Status read = store.Read([&](sql::Connection& db) {
    absl::StatusOr<std::set<std::string>> hidden = HiddenProfileIdsIn(db);
    if (!hidden.ok()) return hidden.status();
    absl::StatusOr<std::map<std::string, int64_t>> confirmed = AvailabilityConfirmationsIn(db);
    if (!confirmed.ok()) return confirmed.status();
    annotations->hidden = std::move(*hidden);
    annotations->availability_confirmed_day = std::move(*confirmed);
    return absl::OkStatus();
  });
  if (!read.ok()) return read;
  auto cache = std::make_shared<ProfileAnnotationsCache>();
  cache->current_ = std::move(annotations);
  return cache;
}

std::shared_ptr<const engine::ProfileAnnotations> ProfileAnnotationsCache::Current() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return current_;
}

void ProfileAnnotationsCache::Change(
    const std::function<void(engine::ProfileAnnotations&)>& change) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto next = std::make_shared<engine::ProfileAnnotations>(*current_);
  change(*next);
  current_ = std::move(next);
}

void ProfileAnnotationsCache::SetHidden(const std::string& profile_id, bool hidden) {
  Change([&](engine::ProfileAnnotations& annotations) {
    if (hidden) {
      annotations.hidden.insert(profile_id);
    } else {
      annotations.hidden.erase(profile_id);
    }
  });
}

void ProfileAnnotationsCache::SetAvailabilityConfirmed(const std::string& profile_id, int64_t day) {
  Change([&](engine::ProfileAnnotations& annotations) {
    annotations.availability_confirmed_day[profile_id] = day;
  });
}

}  // namespace verkenner::service
