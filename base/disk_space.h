#ifndef VERKENNER_BASE_DISK_SPACE_H_
#define VERKENNER_BASE_DISK_SPACE_H_

#include <string_view>

#include "absl/status/status.h"

namespace verkenner::base {

// A full disk (or an exhausted disk quota) is an operator's problem with a known remedy, not a
// bug and not a caller's quota: every layer that writes files (the index, the identity vault,
// the service's store) reports it with this one status, so that programs can tell it apart and
// say so. Unavailable, because the same request succeeds once space is freed; never
// ResourceExhausted, which clients read as their own quota. The message names `what` was being
// written ("search index", "identity vault", "store") and never a path or a value.
absl::Status DiskFullError(std::string_view what);

// Whether `status` came from DiskFullError.
bool IsDiskFull(const absl::Status& status);

// Whether the errno value `error` means that the disk or the quota is full.
bool IsDiskSpaceErrno(int error);

}  // namespace verkenner::base

#endif  // VERKENNER_BASE_DISK_SPACE_H_
