#include "service/rpc/hidden_profiles.h"

#include "service/store/records.h"

namespace verkenner::service {

absl::StatusOr<std::shared_ptr<HiddenProfiles>> HiddenProfiles::Load(Store& store) {
  auto ids = std::make_shared<engine::HiddenProfileIds>();
  absl::Status read = store.Read([&](sqlite::SqliteConnection& db) {
    absl::StatusOr<std::set<std::string>> stored = HiddenProfileIdsIn(db);
    if (!stored.ok()) return stored.status();
    *ids = std::move(*stored);
    return absl::OkStatus();
  });
  if (!read.ok()) return read;
  auto hidden = std::make_shared<HiddenProfiles>();
  hidden->current_ = std::move(ids);
  return hidden;
}

std::shared_ptr<const engine::HiddenProfileIds> HiddenProfiles::Current() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return current_;
}

void HiddenProfiles::Set(const std::string& profile_id, bool hidden) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (current_->contains(profile_id) == hidden) return;
  auto next = std::make_shared<engine::HiddenProfileIds>(*current_);
  if (hidden) {
    next->insert(profile_id);
  } else {
    next->erase(profile_id);
  }
  current_ = std::move(next);
}

}  // namespace verkenner::service
