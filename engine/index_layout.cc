#include "engine/index_layout.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "base/disk_space.h"

namespace verkenner::engine {
namespace {

constexpr char kGenerationPrefix = 'g';

std::string GenerationName(int generation) { return absl::StrFormat("g%06d", generation); }

// Parses "g000003/s1" into its generation and shard numbers.
bool ParseShardEntry(absl::string_view entry, int& generation, int& shard) {
  std::vector<absl::string_view> parts = absl::StrSplit(entry, '/');
  return parts.size() == 2 && absl::ConsumePrefix(&parts[0], "g") &&
         absl::SimpleAtoi(parts[0], &generation) && absl::ConsumePrefix(&parts[1], "s") &&
         absl::SimpleAtoi(parts[1], &shard);
}

absl::Status SyncPath(const std::string& path, int flags) {
  int fd = ::open(path.c_str(), flags);
  if (fd < 0) return absl::InternalError(absl::StrCat("cannot open ", path, " to sync it"));
  int result = ::fsync(fd);
  const int sync_error = errno;
  ::close(fd);
  if (result != 0) {
    if (base::IsDiskSpaceErrno(sync_error)) return base::DiskFullError("search index");
    return absl::InternalError(absl::StrCat("cannot sync ", path));
  }
  return absl::OkStatus();
}

}  // namespace

IndexLayout MakeIndexLayout(const std::string& directory, int generation, int shard_count) {
  IndexLayout layout;
  layout.directory = directory;
  layout.generation = generation;
  for (int shard = 0; shard < shard_count; ++shard) {
    layout.shard_paths.push_back(
        (std::filesystem::path(directory) / GenerationName(generation) / absl::StrCat("s", shard))
            .string());
  }
  return layout;
}

absl::StatusOr<IndexLayout> ReadIndexLayout(const std::string& directory) {
  const std::filesystem::path stub = std::filesystem::path(directory) / kStubFileName;
  std::ifstream in(stub);
  if (!in) return absl::NotFoundError(absl::StrCat("no Verkenner index at ", directory));
  std::string line;
  int generation = -1;
  int expected_shard = 0;
  while (std::getline(in, line)) {
    absl::string_view entry = absl::StripAsciiWhitespace(line);
    if (entry.empty()) continue;
    int line_generation = 0;
    int shard = 0;
    if (!absl::ConsumePrefix(&entry, "glass ") || !ParseShardEntry(entry, line_generation, shard) ||
        (generation >= 0 && line_generation != generation) || shard != expected_shard) {
      return absl::DataLossError(
          absl::StrCat(stub.string(), " is not a Verkenner index stub; rebuild the index"));
    }
    generation = line_generation;
    ++expected_shard;
  }
  if (expected_shard == 0 || expected_shard > kMaxShards) {
    return absl::DataLossError(absl::StrCat(stub.string(), " names no usable shards"));
  }
  return MakeIndexLayout(directory, generation, expected_shard);
}

absl::Status ReplaceFileDurably(const std::string& path, std::string_view bytes) {
  const std::string temporary_path = path + ".new";
  {
    std::ofstream out(temporary_path, std::ios::trunc | std::ios::binary);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    if (!out.flush()) {
      if (base::IsDiskSpaceErrno(errno)) return base::DiskFullError("search index");
      return absl::InternalError(absl::StrCat("cannot write ", temporary_path));
    }
  }
  if (absl::Status status = SyncPath(temporary_path, O_RDONLY); !status.ok()) return status;
  if (std::rename(temporary_path.c_str(), path.c_str()) != 0) {
    return absl::InternalError(absl::StrCat("cannot rename ", temporary_path));
  }
  return SyncPath(std::filesystem::path(path).parent_path().string(), O_RDONLY | O_DIRECTORY);
}

absl::Status PublishIndexLayout(const IndexLayout& layout) {
  std::ostringstream stub;
  for (int shard = 0; shard < layout.shard_count(); ++shard) {
    // Xapian resolves stub entries relative to the stub's directory, so the index can move.
    stub << "glass " << GenerationName(layout.generation) << "/s" << shard << "\n";
  }
  return ReplaceFileDurably((std::filesystem::path(layout.directory) / kStubFileName).string(),
                            stub.str());
}

IndexSwitchLock::IndexSwitchLock(const std::string& directory)
    : fd_(::open((std::filesystem::path(directory) / kSwitchLockName).c_str(),
                 O_RDONLY | O_CREAT | O_CLOEXEC, 0644)) {}

IndexSwitchLock::~IndexSwitchLock() {
  if (fd_ >= 0) ::close(fd_);
}

bool IndexSwitchLock::TryShared() { return fd_ < 0 || ::flock(fd_, LOCK_SH | LOCK_NB) == 0; }

void IndexSwitchLock::Exclusive() {
  while (fd_ >= 0 && ::flock(fd_, LOCK_EX) != 0 && errno == EINTR) {
  }
}

void IndexSwitchLock::Unlock() {
  if (fd_ >= 0) ::flock(fd_, LOCK_UN);
}

void RemoveGenerationsBefore(const std::string& directory, int keep_from_generation) {
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator(directory, error)) {
    const std::string name = entry.path().filename().string();
    int generation = 0;
    if (name.size() == 7 && name[0] == kGenerationPrefix &&
        absl::SimpleAtoi(absl::string_view(name).substr(1), &generation) &&
        generation < keep_from_generation) {
      std::filesystem::remove_all(entry.path(), error);
    }
  }
}

int64_t DirectoryBytes(const std::string& directory) {
  int64_t bytes = 0;
  std::error_code error;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(directory, error)) {
    if (entry.is_regular_file(error)) bytes += static_cast<int64_t>(entry.file_size(error));
  }
  return bytes;
}

std::string IndexState::Name() const {
  std::string name = absl::StrCat(generation);
  for (uint32_t revision : revisions) absl::StrAppend(&name, ".", revision);
  return name;
}

bool IndexState::IsSameOrNewer(const IndexState& other) const {
  if (generation != other.generation || revisions.size() != other.revisions.size()) return false;
  for (size_t i = 0; i < revisions.size(); ++i) {
    if (revisions[i] < other.revisions[i]) return false;
  }
  return true;
}

std::optional<IndexState> ParseIndexState(const std::string& name) {
  IndexState state;
  std::vector<absl::string_view> parts = absl::StrSplit(name, '.');
  if (parts.size() < 2 || !absl::SimpleAtoi(parts[0], &state.generation)) return std::nullopt;
  for (size_t i = 1; i < parts.size(); ++i) {
    uint32_t revision = 0;
    if (!absl::SimpleAtoi(parts[i], &revision)) return std::nullopt;
    state.revisions.push_back(revision);
  }
  return state;
}

int ShardOf(const std::string& profile_id, int shard_count) {
  uint32_t hash = 2166136261u;
  for (unsigned char c : profile_id) {
    hash ^= c;
    hash *= 16777619u;
  }
  return static_cast<int>(hash % static_cast<uint32_t>(shard_count));
}

int DefaultShardCount() {
  const int cores = static_cast<int>(std::thread::hardware_concurrency());
  return std::clamp(cores, 1, kMaxShards);
}

}  // namespace verkenner::engine
