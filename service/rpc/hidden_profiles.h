#ifndef VERKENNER_SERVICE_RPC_HIDDEN_PROFILES_H_
#define VERKENNER_SERVICE_RPC_HIDDEN_PROFILES_H_

#include <memory>
#include <mutex>
#include <string>

#include "absl/status/statusor.h"
#include "engine/search_types.h"
#include "service/store/store.h"

namespace verkenner::service {

// The profiles organisations hid from employers, as the store holds them, for the searchers
// (engine::HiddenProfilesSource): read from the store when the server starts, then changed by
// CandidateRightsService after each committed change, so that a hidden profile leaves every
// answer as soon as hiding it is acknowledged.
//
// Thread-safe. Each change makes a new immutable set; hiding is rare, so copying is cheap.
class HiddenProfiles {
 public:
  static absl::StatusOr<std::shared_ptr<HiddenProfiles>> Load(Store& store);

  std::shared_ptr<const engine::HiddenProfileIds> Current() const;
  // After the store committed hiding (`hidden`) or showing `profile_id` again.
  void Set(const std::string& profile_id, bool hidden);
  // What the searchers read: Current() of this registry, which must outlive them.
  engine::HiddenProfilesSource Source() const {
    return [this] { return Current(); };
  }

 private:
  mutable std::mutex mutex_;
  std::shared_ptr<const engine::HiddenProfileIds> current_;  // guarded by mutex_
};

}  // namespace verkenner::service

#endif  // VERKENNER_SERVICE_RPC_HIDDEN_PROFILES_H_
