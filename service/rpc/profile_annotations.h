#ifndef VERKENNER_SERVICE_RPC_PROFILE_ANNOTATIONS_H_
#define VERKENNER_SERVICE_RPC_PROFILE_ANNOTATIONS_H_

#include <cstdint>
#include <memory>
#include <mutex>

#include "absl/status/statusor.h"
#include "engine/search_types.h"
#include "service/store/store.h"

namespace verkenner::service {

// What organisations recorded about profiles in the store (hidden profiles, availability
// confirmed by a WSP), for the searchers (engine::ProfileAnnotationsSource). Every instance on the
// store keeps a copy, and before each use reads the store's change count of the annotations (one
// primary-key read, kProfileAnnotationsChange, counted in the transaction of every change): when
// it moved, the copy is read again. So a change acknowledged by any instance shows in the next
// answer of every instance.
//
// When the store cannot be read, the last copy is used: searches go on while the store is away
// (a change cannot be acknowledged meanwhile). What this copy lacks is a change acknowledged
// between this instance's last read and the store's going away.
//
// Thread-safe. The store must outlive the cache.
class ProfileAnnotationsCache {
 public:
  // Reads the annotations. Errors: the store's.
  static absl::StatusOr<std::shared_ptr<ProfileAnnotationsCache>> Load(Store& store);

  // The annotations as the store holds them now.
  std::shared_ptr<const engine::ProfileAnnotations> Current();
  // What the searchers read: Current() of this cache, which must outlive them.
  engine::ProfileAnnotationsSource Source() {
    return [this] { return Current(); };
  }

 private:
  explicit ProfileAnnotationsCache(Store& store) : store_(store) {}
  // Reads the annotations if the change count is not `seen_count_`. Errors: the store's.
  absl::Status Refresh();

  Store& store_;
  std::mutex refresh_mutex_;  // one refresh at a time; held while reading the store
  mutable std::mutex mutex_;  // guards the two below, held only to copy them
  std::shared_ptr<const engine::ProfileAnnotations> current_;
  int64_t seen_count_ = -1;
};

}  // namespace verkenner::service

#endif  // VERKENNER_SERVICE_RPC_PROFILE_ANNOTATIONS_H_
