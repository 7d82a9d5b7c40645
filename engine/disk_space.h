#ifndef VERKENNER_ENGINE_DISK_SPACE_H_
#define VERKENNER_ENGINE_DISK_SPACE_H_

// The full-disk status lives in base/disk_space.h, below the SQLite library that reports it too;
// the engine's callers keep their names for it.
#include "base/disk_space.h"

namespace verkenner::engine {

using base::DiskFullError;
using base::IsDiskFull;
using base::IsDiskSpaceErrno;

}  // namespace verkenner::engine

#endif  // VERKENNER_ENGINE_DISK_SPACE_H_
