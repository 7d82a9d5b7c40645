#include "base/disk_space.h"

#include <cerrno>
#include <string>

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"

namespace verkenner::base {
namespace {

// Marks the status, so that IsDiskFull does not depend on the message's wording.
constexpr char kDiskFullPayload[] = "type.verkenner.nl/verkenner.DiskFull";

}  // namespace

absl::Status DiskFullError(std::string_view what) {
  absl::Status status = absl::UnavailableError(
      absl::StrCat(std::string(what), ": the disk is full (no space left on device)"));
  status.SetPayload(kDiskFullPayload, absl::Cord(std::string(what)));
  return status;
}

bool IsDiskFull(const absl::Status& status) {
  return status.GetPayload(kDiskFullPayload).has_value();
}

bool IsDiskSpaceErrno(int error) { return error == ENOSPC || error == EDQUOT; }

}  // namespace verkenner::base
