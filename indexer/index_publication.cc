#include "indexer/index_publication.h"

#include <filesystem>
#include <fstream>
#include <random>
#include <set>
#include <sstream>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "base/sha256.h"
#include "engine/index_layout.h"
#include "engine/schema.h"

namespace verkenner::indexer {
namespace {

namespace fs = std::filesystem;

constexpr char kManifestFormat[] = "verkenner publication 1";

std::string NewLineage() {
  std::random_device random;
  return absl::StrCat(absl::Hex(random(), absl::kZeroPad8), absl::Hex(random(), absl::kZeroPad8),
                      absl::Hex(random(), absl::kZeroPad8), absl::Hex(random(), absl::kZeroPad8));
}

std::string Revisions(const std::vector<uint32_t>& revisions) {
  return absl::StrJoin(revisions, ",");
}

bool ParseRevisions(absl::string_view text, int shards, std::vector<uint32_t>& revisions) {
  revisions.clear();
  for (absl::string_view part : absl::StrSplit(text, ',')) {
    uint32_t revision = 0;
    if (!absl::SimpleAtoi(part, &revision)) return false;
    revisions.push_back(revision);
  }
  return static_cast<int>(revisions.size()) == shards;
}

std::string FileLine(const PublishedFile& file) {
  return absl::StrCat("file ", file.name, " ", file.bytes, " ", file.sha256, "\n");
}

// A file name the MANIFEST may list: relative, no "..", no empty parts, printable ASCII.
bool IsSafeName(absl::string_view name) {
  if (name.empty() || name.front() == '/') return false;
  for (absl::string_view part : absl::StrSplit(name, '/')) {
    if (part.empty() || part == "." || part == "..") return false;
  }
  for (char c : name) {
    if (c <= ' ' || c > '~') return false;
  }
  return true;
}

absl::Status Damaged(absl::string_view what) {
  return absl::DataLossError(absl::StrCat("publication manifest: ", what));
}

absl::StatusOr<std::string> ReadWholeFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("no file ", path.string()));
  std::ostringstream bytes;
  bytes << in.rdbuf();
  return bytes.str();
}

absl::Status WriteNewFile(const fs::path& path, std::string_view bytes) {
  std::error_code error;
  fs::create_directories(path.parent_path(), error);
  return engine::ReplaceFileDurably(path.string(), bytes);
}

PublishedFile Described(std::string name, std::string_view bytes) {
  return PublishedFile{std::move(name), static_cast<int64_t>(bytes.size()), base::Sha256Hex(bytes)};
}

}  // namespace

std::vector<uint32_t> Publication::revisions() const {
  return change_sets.empty() ? base_revisions : change_sets.back().to_revisions;
}

std::string PublishedSource(const std::string& lineage, int shard) {
  return absl::StrCat(lineage, "/", shard);
}

std::string EncodePublication(const Publication& publication) {
  std::string out = absl::StrCat(kManifestFormat, "\n");
  absl::StrAppend(&out, "lineage ", publication.lineage, "\nsequence ", publication.sequence,
                  "\ngeneration ", publication.generation, "\nepoch ", publication.epoch,
                  "\npublished_micros ", publication.published_micros, "\nshards ",
                  publication.shards, "\n");
  absl::StrAppend(&out, "base ", publication.base_sequence, " ",
                  Revisions(publication.base_revisions), "\n");
  for (const PublishedFile& file : publication.base_files) out.append(FileLine(file));
  for (const Publication::ChangeSet& set : publication.change_sets) {
    absl::StrAppend(&out, "changes ", set.sequence, " ", Revisions(set.from_revisions), " ",
                    Revisions(set.to_revisions), "\n");
    for (const PublishedFile& file : set.shard_files) out.append(FileLine(file));
  }
  absl::StrAppend(&out, "sha256 ", base::Sha256Hex(out), "\n");
  return out;
}

absl::StatusOr<Publication> DecodePublication(std::string_view text) {
  const size_t digest_at = text.rfind("sha256 ");
  if (digest_at == std::string_view::npos ||
      absl::StrCat("sha256 ", base::Sha256Hex(text.substr(0, digest_at)), "\n") !=
          text.substr(digest_at)) {
    return Damaged("checksum mismatch, or cut off");
  }
  std::vector<std::string> lines =
      absl::StrSplit(absl::string_view(text.data(), digest_at), '\n', absl::SkipEmpty());
  if (lines.size() < 8 || lines[0] != kManifestFormat) return Damaged("not a manifest");
  Publication publication;
  const auto field = [&](size_t at, absl::string_view name) -> absl::string_view {
    absl::string_view line = lines[at];
    return absl::ConsumePrefix(&line, name) && absl::ConsumePrefix(&line, " ") ? line : "";
  };
  publication.lineage = std::string(field(1, "lineage"));
  if (publication.lineage.empty() || !IsSafeName(publication.lineage) ||
      !absl::SimpleAtoi(field(2, "sequence"), &publication.sequence) ||
      !absl::SimpleAtoi(field(3, "generation"), &publication.generation) ||
      !absl::SimpleAtoi(field(4, "epoch"), &publication.epoch) ||
      !absl::SimpleAtoi(field(5, "published_micros"), &publication.published_micros) ||
      !absl::SimpleAtoi(field(6, "shards"), &publication.shards) || publication.shards < 1 ||
      publication.shards > engine::kMaxShards) {
    return Damaged("bad header");
  }
  std::vector<PublishedFile>* files = nullptr;
  for (size_t at = 7; at < lines.size(); ++at) {
    const std::vector<std::string> parts = absl::StrSplit(lines[at], ' ');
    if (parts[0] == "base" && at == 7 && parts.size() == 3 &&
        absl::SimpleAtoi(parts[1], &publication.base_sequence) &&
        ParseRevisions(parts[2], publication.shards, publication.base_revisions)) {
      files = &publication.base_files;
    } else if (parts[0] == "changes" && files != nullptr && parts.size() == 4) {
      Publication::ChangeSet& set = publication.change_sets.emplace_back();
      if (!absl::SimpleAtoi(parts[1], &set.sequence) ||
          !ParseRevisions(parts[2], publication.shards, set.from_revisions) ||
          !ParseRevisions(parts[3], publication.shards, set.to_revisions)) {
        return Damaged(absl::StrCat("bad line ", at + 1));
      }
      files = &set.shard_files;
    } else if (parts[0] == "file" && files != nullptr && parts.size() == 4 &&
               IsSafeName(parts[1])) {
      PublishedFile& file = files->emplace_back();
      file.name = parts[1];
      file.sha256 = parts[3];
      if (!absl::SimpleAtoi(parts[2], &file.bytes) || file.bytes < 0) {
        return Damaged(absl::StrCat("bad line ", at + 1));
      }
    } else {
      return Damaged(absl::StrCat("bad line ", at + 1));
    }
  }
  // Change sets follow the base one by one, each with a file per shard.
  int64_t expected = publication.base_sequence + 1;
  for (const Publication::ChangeSet& set : publication.change_sets) {
    if (set.sequence != expected++ ||
        static_cast<int>(set.shard_files.size()) != publication.shards) {
      return Damaged("change sets out of order");
    }
  }
  if (expected - 1 != publication.sequence) return Damaged("the sequence is not the last");
  return publication;
}

// ---- the writer's side ----

namespace {

// The base of `sequence`: a copy of every shard's files (not Xapian's lock file), named
// b<sequence>/s<shard>/<file>. The writer holds the index's write lock and no batch is open,
// so the files do not change while they are read.
absl::StatusOr<std::vector<PublishedFile>> CopyBase(IndexWriter& writer, const fs::path& published,
                                                    int64_t sequence) {
  std::vector<PublishedFile> files;
  for (int shard = 0; shard < writer.shard_count(); ++shard) {
    std::error_code error;
    std::vector<fs::path> names;
    for (const auto& entry : fs::directory_iterator(writer.layout().shard_paths[shard], error)) {
      if (entry.is_regular_file() && entry.path().filename() != "flintlock") {
        names.push_back(entry.path());
      }
    }
    if (error) return absl::InternalError(absl::StrCat("cannot list ", error.message()));
    std::sort(names.begin(), names.end());
    for (const fs::path& path : names) {
      absl::StatusOr<std::string> bytes = ReadWholeFile(path);
      if (!bytes.ok()) return bytes.status();
      std::string name = absl::StrCat("b", sequence, "/s", shard, "/", path.filename().string());
      if (absl::Status written = WriteNewFile(published / name, *bytes); !written.ok()) {
        return written;
      }
      files.push_back(Described(std::move(name), *bytes));
    }
  }
  return files;
}

// Each shard's changes since `previous`'s revisions, written as c<sequence>.s<shard>. Errors:
// FailedPrecondition when a change log does not reach back (then a base is published instead).
absl::StatusOr<Publication::ChangeSet> WriteChangeSet(IndexWriter& writer,
                                                      const Publication& previous,
                                                      const fs::path& published, int64_t sequence) {
  Publication::ChangeSet set;
  set.sequence = sequence;
  set.from_revisions = previous.revisions();
  for (int shard = 0; shard < writer.shard_count(); ++shard) {
    absl::StatusOr<ShardChanges> changes =
        writer.shard(shard).ChangesSince(set.from_revisions[shard]);
    if (!changes.ok()) return changes.status();
    changes->source = PublishedSource(previous.lineage, shard);
    set.to_revisions.push_back(changes->to_revision);
    const std::string bytes = EncodeShardChanges(*changes);
    std::string name = absl::StrCat("c", sequence, ".s", shard);
    if (absl::Status written = WriteNewFile(published / name, bytes); !written.ok()) return written;
    set.shard_files.push_back(Described(std::move(name), bytes));
  }
  return set;
}

// The marker commit: the state being published names itself in every shard (lineage, sequence
// and that shard's revision of this commit), on the writer and on every follower that holds it
// (engine::schema::PublishedStateName).
absl::Status MarkPublished(IndexWriter& writer, const Publication& publication) {
  if (absl::Status begun = writer.BeginBatch(); !begun.ok()) return begun;
  for (int shard = 0; shard < writer.shard_count(); ++shard) {
    IndexShardWriter& writing = writer.shard(shard);
    const engine::schema::PublishedMarker marker{publication.lineage, publication.sequence,
                                                 static_cast<uint32_t>(writing.revision() + 1)};
    if (absl::Status committed = writing.CommitBatch(
            {{engine::schema::kPublishedKey, engine::schema::EncodePublishedMarker(marker)}});
        !committed.ok()) {
      writer.AbortBatch();
      return committed;
    }
  }
  return absl::OkStatus();
}

// Removes what `publication` does not name: older bases and change sets, and what a publish
// that crashed left behind.
void RemoveUnnamed(const fs::path& published, const Publication& publication) {
  std::set<std::string> named = {kManifestName};
  for (const PublishedFile& file : publication.base_files) {
    named.insert(file.name.substr(0, file.name.find('/')));  // b<sequence>
  }
  for (const Publication::ChangeSet& set : publication.change_sets) {
    for (const PublishedFile& file : set.shard_files) named.insert(file.name);
  }
  std::error_code error;
  for (const auto& entry : fs::directory_iterator(published, error)) {
    if (!named.contains(entry.path().filename().string())) fs::remove_all(entry.path(), error);
  }
}

}  // namespace

absl::StatusOr<Publication> Publish(IndexWriter& writer, const PublishOptions& options) {
  const fs::path published = fs::path(writer.layout().directory) / kPublicationDirectory;
  std::optional<Publication> previous;
  if (absl::StatusOr<std::string> manifest = ReadWholeFile(published / kManifestName);
      manifest.ok()) {
    absl::StatusOr<Publication> decoded = DecodePublication(*manifest);
    if (decoded.ok()) previous = *std::move(decoded);  // damaged: start again with a base
  }
  Publication next;
  next.sequence = previous.has_value() ? previous->sequence + 1 : 1;
  next.generation = writer.layout().generation;
  next.epoch = options.epoch;
  next.shards = writer.shard_count();
  // A new epoch starts with a base: between its two leases, another writer may have published
  // states this one then followed.
  const bool continues = previous.has_value() && previous->epoch == next.epoch &&
                         previous->generation == next.generation &&
                         previous->shards == next.shards &&
                         static_cast<int>(previous->change_sets.size()) < options.max_change_sets;
  next.lineage = continues ? previous->lineage : NewLineage();
  if (absl::Status marked = MarkPublished(writer, next); !marked.ok()) return marked;
  absl::StatusOr<Publication::ChangeSet> set =
      continues ? WriteChangeSet(writer, *previous, published, next.sequence)
                : absl::FailedPreconditionError("a new base");
  if (set.ok()) {
    next.base_sequence = previous->base_sequence;
    next.base_revisions = previous->base_revisions;
    next.base_files = previous->base_files;
    next.change_sets = previous->change_sets;
    next.change_sets.push_back(*std::move(set));
  } else if (absl::IsFailedPrecondition(set.status())) {
    if (continues) {  // a change log that does not reach back: a base of a new lineage
      next.lineage = NewLineage();
      if (absl::Status marked = MarkPublished(writer, next); !marked.ok()) return marked;
    }
    absl::StatusOr<std::vector<PublishedFile>> base = CopyBase(writer, published, next.sequence);
    if (!base.ok()) return base.status();
    next.base_sequence = next.sequence;
    for (int shard = 0; shard < next.shards; ++shard) {
      next.base_revisions.push_back(static_cast<uint32_t>(writer.shard(shard).revision()));
    }
    next.base_files = *std::move(base);
  } else {
    return set.status();
  }
  next.published_micros = absl::ToUnixMicros(absl::Now());
  if (absl::Status written =
          engine::ReplaceFileDurably((published / kManifestName).string(), EncodePublication(next));
      !written.ok()) {
    return written;
  }
  RemoveUnnamed(published, next);
  return next;
}

FetchPublished FetchFromDirectory(const std::string& index_directory) {
  const fs::path published = fs::path(index_directory) / kPublicationDirectory;
  return [published](const std::string& name) -> absl::StatusOr<std::string> {
    if (!IsSafeName(name)) return absl::InvalidArgumentError("not a published file's name");
    return ReadWholeFile(published / name);
  };
}

// ---- the follower's side ----

absl::StatusOr<int64_t> HeldSequence(IndexWriter& writer) {
  int64_t held = -1;
  for (int shard = 0; shard < writer.shard_count(); ++shard) {
    absl::StatusOr<std::string> marker =
        writer.shard(shard).GetMetadata(engine::schema::kPublishedKey);
    if (!marker.ok()) return marker.status();
    const std::optional<engine::schema::PublishedMarker> decoded =
        engine::schema::DecodePublishedMarker(*marker);
    if (!decoded.has_value() || (held >= 0 && decoded->sequence != held)) return 0;
    held = decoded->sequence;
  }
  return held < 0 ? 0 : held;
}

absl::StatusOr<std::string> IndexFollower::FetchVerified(const PublishedFile& file) {
  absl::StatusOr<std::string> bytes = options_.fetch(file.name);
  if (!bytes.ok()) return bytes.status();
  if (static_cast<int64_t>(bytes->size()) != file.bytes || base::Sha256Hex(*bytes) != file.sha256) {
    return absl::DataLossError(
        absl::StrCat("the published file ", file.name, " arrived damaged or cut off"));
  }
  return bytes;
}

absl::StatusOr<IndexFollower::Round> IndexFollower::CatchUp() {
  absl::StatusOr<std::string> manifest = options_.fetch(kManifestName);
  if (!manifest.ok()) return manifest.status();
  absl::StatusOr<Publication> publication = DecodePublication(*manifest);
  if (!publication.ok()) return publication.status();
  if (publication->epoch < highest_epoch_) {
    return absl::FailedPreconditionError(absl::StrCat("the publication comes from writer epoch ",
                                                      publication->epoch, ", older than epoch ",
                                                      highest_epoch_, " seen before"));
  }
  highest_epoch_ = publication->epoch;
  newest_seen_ = {publication->sequence, publication->published_micros};
  absl::StatusOr<Round> round = Round{};
  if (publication->lineage == held_.lineage && publication->sequence == held_.sequence) {
    round->sequence = held_.sequence;  // nothing new: the index is left alone
  } else {
    round = CatchUpTo(*publication);
    if (!round.ok()) return round.status();
    held_ = {publication->lineage, round->sequence};
  }
  round->newest_sequence = publication->sequence;
  round->newest_published_micros = publication->published_micros;
  return round;
}

absl::StatusOr<IndexFollower::Round> IndexFollower::CatchUpTo(const Publication& publication) {
  absl::StatusOr<std::unique_ptr<IndexWriter>> writer = OpenWriter(publication);
  if (!writer.ok()) return writer.status();
  Round round;
  if (*writer != nullptr) {
    absl::StatusOr<int> applied = ApplyChangeSets(publication, **writer);
    if (!applied.ok() && !absl::IsFailedPrecondition(applied.status())) return applied.status();
    if (applied.ok()) round.applied_change_sets = *applied;
    if (!applied.ok()) writer->reset();  // it holds no state of this base: install the base
  }
  if (*writer == nullptr) {
    if (absl::Status installed = InstallBase(publication); !installed.ok()) return installed;
    round.installed_base = true;
    writer = OpenWriter(publication);
    if (!writer.ok()) return writer.status();
    if (*writer == nullptr) return absl::InternalError("the installed base does not open");
    absl::StatusOr<int> applied = ApplyChangeSets(publication, **writer);
    if (!applied.ok()) return applied.status();
    round.applied_change_sets = *applied;
  }
  absl::StatusOr<int64_t> held = HeldSequence(**writer);
  if (!held.ok()) return held.status();
  round.sequence = *held;
  return round;
}

absl::StatusOr<std::unique_ptr<IndexWriter>> IndexFollower::OpenWriter(
    const Publication& publication) {
  absl::StatusOr<engine::IndexLayout> layout = engine::ReadIndexLayout(options_.index_directory);
  if (absl::IsNotFound(layout.status())) return nullptr;
  if (!layout.ok()) return layout.status();
  if (layout->shard_count() != publication.shards) return nullptr;
  return IndexWriter::Open(options_.index_directory, options_.reference_data);
}

absl::StatusOr<int> IndexFollower::ApplyChangeSets(const Publication& publication,
                                                   IndexWriter& writer) {
  std::vector<SourcePosition> held;
  for (int shard = 0; shard < writer.shard_count(); ++shard) {
    absl::StatusOr<SourcePosition> position = writer.shard(shard).HeldPosition();
    if (!position.ok()) return position.status();
    if (position->source != PublishedSource(publication.lineage, shard)) {
      return absl::FailedPreconditionError("the index follows another base");
    }
    held.push_back(*position);
  }
  int applied = 0;
  for (const Publication::ChangeSet& set : publication.change_sets) {
    std::vector<std::pair<int, ShardChanges>> pending;
    for (int shard = 0; shard < publication.shards; ++shard) {
      if (held[shard].revision >= set.to_revisions[shard]) continue;  // applied before
      if (held[shard].revision != set.from_revisions[shard]) {
        return absl::FailedPreconditionError("the index holds no state of this base");
      }
      absl::StatusOr<std::string> bytes = FetchVerified(set.shard_files[shard]);
      if (!bytes.ok()) return bytes.status();
      absl::StatusOr<ShardChanges> changes = DecodeShardChanges(*bytes);
      if (!changes.ok()) return changes.status();
      pending.emplace_back(shard, *std::move(changes));
    }
    if (pending.empty()) continue;
    // Every shard of the set, or (after a crash) the rest of them, as one switch for searchers.
    engine::IndexSwitchLock lock(options_.index_directory);
    lock.Exclusive();
    for (auto& [shard, changes] : pending) {
      if (absl::Status status = writer.shard(shard).ApplyChanges(changes); !status.ok()) {
        return status;
      }
      held[shard].revision = changes.to_revision;
    }
    ++applied;
  }
  return applied;
}

absl::Status IndexFollower::InstallBase(const Publication& publication) {
  absl::StatusOr<engine::IndexLayout> current = engine::ReadIndexLayout(options_.index_directory);
  const int generation = current.ok() ? current->generation + 1 : 1;
  engine::IndexLayout layout =
      engine::MakeIndexLayout(options_.index_directory, generation, publication.shards);
  const fs::path directory = fs::path(layout.shard_paths[0]).parent_path();
  std::error_code error;
  fs::remove_all(directory, error);  // what an install that crashed left
  for (const PublishedFile& file : publication.base_files) {
    absl::StatusOr<std::string> bytes = FetchVerified(file);
    if (!bytes.ok()) {
      fs::remove_all(directory, error);
      return bytes.status();
    }
    // b<sequence>/s<shard>/<file> -> g<generation>/s<shard>/<file>
    const std::vector<std::string> parts = absl::StrSplit(file.name, '/');
    if (parts.size() != 3) return absl::DataLossError("a base file without a shard");
    if (absl::Status written = WriteNewFile(directory / parts[1] / parts[2], *bytes);
        !written.ok()) {
      fs::remove_all(directory, error);
      return written;
    }
  }
  // Each shard records the base it holds, so that only this base's change sets apply to it.
  if (absl::Status recorded = RecordBase(layout, publication); !recorded.ok()) {
    fs::remove_all(directory, error);
    return recorded;
  }
  if (absl::Status switched = engine::PublishIndexLayout(layout); !switched.ok()) return switched;
  engine::RemoveGenerationsBefore(options_.index_directory, generation);
  return absl::OkStatus();
}

absl::Status IndexFollower::RecordBase(const engine::IndexLayout& layout,
                                       const Publication& publication) {
  for (int shard = 0; shard < publication.shards; ++shard) {
    try {
      Xapian::WritableDatabase database(layout.shard_paths[shard], Xapian::DB_OPEN);
      const uint32_t own = static_cast<uint32_t>(database.get_revision()) + 1;
      database.set_metadata(engine::schema::kSourceRevisionKey,
                            EncodeSourcePosition({PublishedSource(publication.lineage, shard),
                                                  publication.base_revisions[shard], own}));
      database.commit();
    } catch (const Xapian::Error& error) {
      return absl::DataLossError(
          absl::StrCat("the base of shard ", shard, " does not open: ", error.get_msg()));
    }
  }
  return absl::OkStatus();
}

}  // namespace verkenner::indexer
