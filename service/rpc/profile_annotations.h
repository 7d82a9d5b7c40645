#ifndef VERKENNER_SERVICE_RPC_PROFILE_ANNOTATIONS_H_
#define VERKENNER_SERVICE_RPC_PROFILE_ANNOTATIONS_H_

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

#include "absl/status/statusor.h"
#include "engine/search_types.h"
#include "service/store/store.h"

namespace verkenner::service {

// What organisations recorded about profiles in the store (hidden profiles, availability
// confirmed by a WSP), for the searchers (engine::ProfileAnnotationsSource): read from the store
// when the server starts, then changed by CandidateRightsService after each committed change, so
// that a change shows in every answer as soon as it is acknowledged.
//
// Thread-safe. Each change makes new immutable annotations; changes are rare, so copying is cheap.
class ProfileAnnotationsCache {
 public:
  static absl::StatusOr<std::shared_ptr<ProfileAnnotationsCache>> Load(Store& store);

  std::shared_ptr<const engine::ProfileAnnotations> Current() const;
  // After the store committed hiding (`hidden`) or showing `profile_id` again.
  void SetHidden(const std::string& profile_id, bool hidden);
  // After the store committed a WSP's confirmation of the availability on `day`.
  void SetAvailabilityConfirmed(const std::string& profile_id, int64_t day);
  // What the searchers read: Current() of this cache, which must outlive them.
  engine::ProfileAnnotationsSource Source() const {
    return [this] { return Current(); };
  }

 private:
  // Replaces the annotations by `change` applied to a copy.
  void Change(const std::function<void(engine::ProfileAnnotations&)>& change);

  mutable std::mutex mutex_;
  std::shared_ptr<const engine::ProfileAnnotations> current_;  // guarded by mutex_
};

}  // namespace verkenner::service

#endif  // VERKENNER_SERVICE_RPC_PROFILE_ANNOTATIONS_H_
