#include "indexer/index_writer.h"

#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <functional>
#include <limits>
#include <set>
#include <thread>

#include "absl/strings/str_cat.h"
#include "base/disk_space.h"
#include "engine/dutch_words.h"
#include "engine/schema.h"
#include "engine/searcher.h"

namespace verkenner::indexer {
namespace {

// Xapian merges a writer's pending changes into its B-trees every XAPIAN_FLUSH_THRESHOLD
// documents (default 10,000), inside a transaction too, where nothing is committed by it. The
// random profile-id terms land all over the B-trees, so each merge rewrites blocks everywhere;
// merging once per batch, at its commit, made a million-profile import 11% faster. The memory a
// writer holds is then bounded by the batch size (Importer::Options::batch_size). Set during
// static initialisation, before any thread exists (setenv is not safe against a concurrent
// getenv), and only when the environment does not set it already.
[[maybe_unused]] const bool kFlushOnlyAtCommit = [] {
  setenv("XAPIAN_FLUSH_THRESHOLD", "1000000000", /*overwrite=*/0);
  return true;
}();

// The index directory whose Xapian write this thread is inside, for the terminate handler
// (InstallXapianTerminateHandler); null outside one.
thread_local const std::string* xapian_write_directory = nullptr;

// Marks the calling thread as writing to the index at `directory` while it lives.
class XapianWriteScope {
 public:
  explicit XapianWriteScope(const std::string& directory) : previous_(xapian_write_directory) {
    xapian_write_directory = &directory;
  }
  XapianWriteScope(const XapianWriteScope&) = delete;
  XapianWriteScope& operator=(const XapianWriteScope&) = delete;
  ~XapianWriteScope() { xapian_write_directory = previous_; }

 private:
  const std::string* previous_;
};

// The profile id of a document, from its unique Q term.
std::string ProfileIdOf(const Xapian::Document& document) {
  const std::string prefix = engine::schema::kPrefixProfileId;
  Xapian::TermIterator term = document.termlist_begin();
  term.skip_to(prefix);
  if (term == document.termlist_end() || (*term).compare(0, prefix.size(), prefix) != 0) return "";
  return (*term).substr(prefix.size());
}

// Opens (or creates) one shard and checks its schema version.
// Creating a shard and upgrading its schema are commits too: `commit_guard` (if any) is asked
// before either.
absl::StatusOr<Xapian::WritableDatabase> OpenShard(
    const std::string& path, bool create, const std::function<absl::Status()>& commit_guard) {
  const auto may_commit = [&] { return commit_guard ? commit_guard() : absl::OkStatus(); };
  if (create) {
    if (absl::Status may = may_commit(); !may.ok()) return may;
  }
  XapianWriteScope writing(path);
  Xapian::WritableDatabase database(path, create ? Xapian::DB_CREATE : Xapian::DB_OPEN);
  const std::string expected = std::to_string(engine::schema::kSchemaVersion);
  if (create) {
    database.set_metadata(engine::schema::kSchemaVersionKey, expected);
    database.commit();
    return database;
  }
  const std::string version = database.get_metadata(engine::schema::kSchemaVersionKey);
  if (!engine::schema::IsReadableSchemaVersion(version)) {
    return absl::FailedPreconditionError(absl::StrCat("index shard ", path, " has schema version '",
                                                      version, "', this program writes ", expected,
                                                      "; import into a new index directory"));
  }
  if (version != expected) {
    if (absl::Status may = may_commit(); !may.ok()) return may;
    // An older version this program reads means the same without the newer fields: upgrade it,
    // so that programs that do not know those fields refuse the shard from now on.
    database.set_metadata(engine::schema::kSchemaVersionKey, expected);
    database.commit();
  }
  return database;
}

// An index directory may be created in if it is absent, empty, or holds only generation
// directories left by a creation that crashed before publishing its stub.
absl::Status CheckCreatable(const std::string& directory) {
  std::error_code error;
  if (!std::filesystem::exists(directory, error)) return absl::OkStatus();
  for (const auto& entry : std::filesystem::directory_iterator(directory, error)) {
    const std::string name = entry.path().filename().string();
    if (!(entry.is_directory(error) && name.size() == 7 && name[0] == 'g')) {
      return absl::FailedPreconditionError(absl::StrCat(
          directory, " holds files but no index stub (", engine::kStubFileName,
          "); it is not a Verkenner index of this version. Import into a new index directory"));
    }
  }
  return absl::OkStatus();
}

// Whether `stored` already is `built`: the same terms (with their within-document frequencies),
// values and data.
bool SameDocument(const Xapian::Document& stored, const Xapian::Document& built) {
  if (stored.termlist_count() != built.termlist_count() ||
      stored.values_count() != built.values_count() || stored.get_data() != built.get_data()) {
    return false;
  }
  for (auto a = stored.values_begin(), b = built.values_begin(); a != stored.values_end();
       ++a, ++b) {
    if (a.get_valueno() != b.get_valueno() || *a != *b) return false;
  }
  for (auto a = stored.termlist_begin(), b = built.termlist_begin(); a != stored.termlist_end();
       ++a, ++b) {
    if (*a != *b || a.get_wdf() != b.get_wdf()) return false;
  }
  return true;
}

}  // namespace

// ---- IndexShardWriter ----

IndexShardWriter::IndexShardWriter(std::string path, Xapian::WritableDatabase database,
                                   const engine::TextAnalysis& text_analysis)
    : path_(std::move(path)),
      database_(std::move(database)),
      term_generator_(text_analysis.MakeTermGenerator()) {}

IndexShardWriter::~IndexShardWriter() {
  if (in_batch_) AbortBatch();
}

absl::Status IndexShardWriter::BeginBatch() {
  try {
    database_.begin_transaction(/*flushed=*/true);
    in_batch_ = true;
    return absl::OkStatus();
  } catch (const Xapian::Error& error) {
    return engine::StatusFromXapianError(error);
  }
}

absl::Status IndexShardWriter::CommitBatch(
    const std::vector<std::pair<std::string, std::string>>& metadata) {
  if (commit_guard_ != nullptr) {
    if (absl::Status may = commit_guard_(); !may.ok()) {
      AbortBatch();
      return may;
    }
  }
  XapianWriteScope writing(path_);
  try {
    for (const auto& [key, value] : metadata) database_.set_metadata(key, value);
    engine::schema::LogChanges(database_, changed_);
    database_.commit_transaction();
    in_batch_ = false;
    changed_.clear();
    return absl::OkStatus();
  } catch (const Xapian::Error& error) {
    AbortBatch();
    return engine::StatusFromXapianError(error);
  }
}

void IndexShardWriter::AbortBatch() {
  try {
    database_.cancel_transaction();
  } catch (const Xapian::Error&) {
    // Cancelling only fails if no transaction is open, which is the state we want.
  }
  in_batch_ = false;
  changed_.clear();
}

bool IndexShardWriter::MayHold(const std::string& id_term) {
  if (!may_hold_loaded_) {
    const std::string prefix = engine::schema::kPrefixProfileId;
    if (database_.get_doccount() > 0) {
      for (auto term = database_.allterms_begin(prefix); term != database_.allterms_end(prefix);
           ++term) {
        may_hold_.insert(std::hash<std::string>()(*term));
      }
    }
    may_hold_loaded_ = true;
  }
  return may_hold_.contains(std::hash<std::string>()(id_term));
}

absl::StatusOr<UpsertResult> IndexShardWriter::Upsert(const engine::CandidateRecord& record) {
  XapianWriteScope writing(path_);
  try {
    const std::string id_term = engine::schema::ProfileIdTerm(record.profile_id);
    const bool existed = MayHold(id_term) && database_.term_exists(id_term);
    may_hold_.insert(std::hash<std::string>()(id_term));
    Xapian::Document document = engine::BuildDocument(record, term_generator_);
    if (!existed) {
      changed_.push_back(database_.add_document(document));
      return UpsertResult::kCreated;
    }
    const Xapian::docid docid = *database_.postlist_begin(id_term);
    // Re-imports mostly repeat what is stored: writing it again would cost a write per profile
    // and report a change that is none.
    if (SameDocument(database_.get_document(docid), document)) return UpsertResult::kUnchanged;
    database_.replace_document(docid, document);
    changed_.push_back(docid);
    return UpsertResult::kUpdated;
  } catch (const Xapian::Error& error) {
    return engine::StatusFromXapianError(error);
  }
}

absl::StatusOr<bool> IndexShardWriter::Withdraw(const std::string& profile_id) {
  XapianWriteScope writing(path_);
  try {
    const std::string id_term = engine::schema::ProfileIdTerm(profile_id);
    const bool existed = MayHold(id_term) && database_.term_exists(id_term);
    if (existed) {
      changed_.push_back(*database_.postlist_begin(id_term));
      database_.delete_document(id_term);
    }
    return existed;
  } catch (const Xapian::Error& error) {
    return engine::StatusFromXapianError(error);
  }
}

absl::StatusOr<bool> IndexShardWriter::CopyRenamed(IndexShardWriter& from,
                                                   const std::string& from_id,
                                                   const std::string& to_id) {
  XapianWriteScope writing(path_);
  try {
    const std::string from_term = engine::schema::ProfileIdTerm(from_id);
    if (!from.MayHold(from_term) || !from.database_.term_exists(from_term)) return false;
    Xapian::Document document =
        from.database_.get_document(*from.database_.postlist_begin(from_term));
    document.remove_term(from_term);
    const std::string to_term = engine::schema::ProfileIdTerm(to_id);
    document.add_boolean_term(to_term);
    may_hold_.insert(std::hash<std::string>()(to_term));
    changed_.push_back(database_.replace_document(to_term, document));
    return true;
  } catch (const Xapian::Error& error) {
    return engine::StatusFromXapianError(error);
  }
}

absl::StatusOr<ShardChanges> IndexShardWriter::ChangesSince(uint32_t from_revision) {
  if (in_batch_) return absl::FailedPreconditionError("changes are read between batches");
  try {
    ShardChanges changes;
    changes.source = database_.get_uuid();
    changes.from_revision = from_revision;
    changes.to_revision = static_cast<uint32_t>(database_.get_revision());
    changes.last_docid = database_.get_lastdocid();
    std::optional<std::vector<Xapian::docid>> changed =
        engine::schema::ChangedBetween(database_, from_revision, changes.to_revision);
    if (!changed.has_value()) {
      return absl::FailedPreconditionError(absl::StrCat(
          "the change log of ", path_, " does not reach back to revision ", from_revision, " from ",
          changes.to_revision, ": a replica needs a new base"));
    }
    std::sort(changed->begin(), changed->end());
    changed->erase(std::unique(changed->begin(), changed->end()), changed->end());
    for (Xapian::docid docid : *changed) {
      ShardChanges::Document& document = changes.documents.emplace_back();
      document.docid = docid;
      try {
        document.serialised = database_.get_document(docid).serialise();
      } catch (const Xapian::DocNotFoundError&) {
        // Deleted since: the replica deletes it too.
      }
    }
    for (auto key = database_.metadata_keys_begin(); key != database_.metadata_keys_end(); ++key) {
      if (!engine::schema::IsLocalMetadata(*key)) {
        changes.metadata.emplace_back(*key, database_.get_metadata(*key));
      }
    }
    return changes;
  } catch (const Xapian::Error& error) {
    return engine::StatusFromXapianError(error);
  }
}

absl::StatusOr<SourcePosition> IndexShardWriter::HeldPosition() {
  try {
    const uint32_t own = static_cast<uint32_t>(database_.get_revision());
    const std::string recorded = database_.get_metadata(engine::schema::kSourceRevisionKey);
    // A plain copy of the writer's shard, never updated by changes, holds its own revision.
    if (recorded.empty()) return SourcePosition{database_.get_uuid(), own, own};
    std::optional<SourcePosition> position = DecodeSourcePosition(recorded);
    if (!position.has_value()) {
      return absl::DataLossError(absl::StrCat(path_, ": unreadable source position"));
    }
    return *position;
  } catch (const Xapian::Error& error) {
    return engine::StatusFromXapianError(error);
  }
}

absl::Status IndexShardWriter::CheckApplicable(const ShardChanges& changes) {
  if (absl::Status valid = CheckShardChanges(changes); !valid.ok()) return valid;
  absl::StatusOr<SourcePosition> held = HeldPosition();
  if (!held.ok()) return held.status();
  const uint32_t own = static_cast<uint32_t>(database_.get_revision());
  const auto refuse = [&](const auto&... why) {
    return absl::FailedPreconditionError(absl::StrCat(path_, ": ", why...));
  };
  if (held->own_revision != own) {
    return refuse("written here since it last took the writer's changes (revision ", own, ", not ",
                  held->own_revision, "): it needs a new base");
  }
  if (held->source != changes.source) {
    return refuse("copies shard ", held->source, ", not ", changes.source,
                  ", which these changes come from: it needs a new base");
  }
  if (held->revision != changes.from_revision) {
    return refuse("holds revision ", held->revision, " of the writer's shard, not ",
                  changes.from_revision, ", which these changes start from");
  }
  if (database_.get_lastdocid() > changes.last_docid) {
    return refuse("gave out docid ", database_.get_lastdocid(), ", beyond the writer's ",
                  changes.last_docid, ": it needs a new base");
  }
  return absl::OkStatus();
}

absl::Status IndexShardWriter::ApplyChanges(const ShardChanges& changes) {
  if (in_batch_) return absl::FailedPreconditionError("changes are applied between batches");
  try {
    if (absl::Status applicable = CheckApplicable(changes); !applicable.ok()) return applicable;
  } catch (const Xapian::Error& error) {
    return engine::StatusFromXapianError(error);
  }
  const uint32_t own_after = static_cast<uint32_t>(database_.get_revision()) + 1;
  if (absl::Status begun = BeginBatch(); !begun.ok()) return begun;
  XapianWriteScope writing(path_);
  try {
    for (const ShardChanges::Document& document : changes.documents) {
      changed_.push_back(document.docid);
      if (document.serialised.has_value()) {
        database_.replace_document(document.docid,
                                   Xapian::Document::unserialise(*document.serialised));
        continue;
      }
      try {
        database_.delete_document(document.docid);
      } catch (const Xapian::DocNotFoundError&) {
        // Added and deleted again between the two revisions.
      }
    }
    if (database_.get_lastdocid() < changes.last_docid) {
      // Docids the writer gave out to documents it deleted again: Xapian moves the last docid
      // only by adding, so a placeholder comes and goes.
      database_.replace_document(changes.last_docid, Xapian::Document());
      database_.delete_document(changes.last_docid);
    }
    std::set<std::string> kept;
    for (const auto& [key, value] : changes.metadata) {
      database_.set_metadata(key, value);
      kept.insert(key);
    }
    std::vector<std::string> gone;
    for (auto key = database_.metadata_keys_begin(); key != database_.metadata_keys_end(); ++key) {
      if (!engine::schema::IsLocalMetadata(*key) && !kept.contains(*key)) gone.push_back(*key);
    }
    for (const std::string& key : gone) database_.set_metadata(key, "");
    database_.set_metadata(engine::schema::kSourceRevisionKey,
                           EncodeSourcePosition({changes.source, changes.to_revision, own_after}));
  } catch (const Xapian::Error& error) {
    AbortBatch();
    return engine::StatusFromXapianError(error);
  }
  // Profiles came and went without Upsert(): the id hashes are read again on first use.
  may_hold_.clear();
  may_hold_loaded_ = false;
  return CommitBatch();
}

absl::StatusOr<std::vector<std::string>> IndexShardWriter::ProfilesOfSource(
    const std::string& source) {
  try {
    std::vector<std::string> ids;
    const std::string term = std::string(engine::schema::kPrefixSource) + source;
    for (auto posting = database_.postlist_begin(term); posting != database_.postlist_end(term);
         ++posting) {
      ids.push_back(ProfileIdOf(database_.get_document(*posting)));
    }
    return ids;
  } catch (const Xapian::Error& error) {
    return engine::StatusFromXapianError(error);
  }
}

absl::StatusOr<std::vector<std::string>> IndexShardWriter::ExpiredProfiles(int64_t today_day) {
  try {
    // Retention ends after its last day: expired means retain_until_day < today_day. A sweep
    // reads every record; no query needs the date indexed for it.
    std::vector<std::string> ids;
    engine::CandidateRecord record;  // reused across documents
    for (auto value = database_.valuestream_begin(engine::schema::kSlotSearchFields);
         value != database_.valuestream_end(engine::schema::kSlotSearchFields); ++value) {
      if (engine::DecodeSearchFields(*value, record) && record.retain_until_day >= today_day) {
        continue;
      }
      ids.push_back(ProfileIdOf(database_.get_document(value.get_docid())));
    }
    return ids;
  } catch (const Xapian::Error& error) {
    return engine::StatusFromXapianError(error);
  }
}

absl::StatusOr<std::string> IndexShardWriter::GetMetadata(const std::string& key) {
  try {
    return database_.get_metadata(key);
  } catch (const Xapian::Error& error) {
    return engine::StatusFromXapianError(error);
  }
}

int64_t IndexShardWriter::DocumentCount() { return database_.get_doccount(); }

// ---- IndexWriter ----

absl::StatusOr<std::unique_ptr<IndexWriter>> IndexWriter::Open(
    const std::string& directory, std::shared_ptr<const engine::ReferenceData> reference_data,
    const Options& options) {
  absl::StatusOr<engine::IndexLayout> layout = engine::ReadIndexLayout(directory);
  const bool create = absl::IsNotFound(layout.status());
  if (create) {
    if (absl::Status status = CheckCreatable(directory); !status.ok()) return status;
    const int shards =
        options.shards_if_new > 0 ? options.shards_if_new : engine::DefaultShardCount();
    if (shards > engine::kMaxShards) {
      return absl::InvalidArgumentError(
          absl::StrCat("shards: at most ", engine::kMaxShards, ", not ", shards));
    }
    engine::RemoveGenerationsBefore(directory, std::numeric_limits<int>::max());
    layout = engine::MakeIndexLayout(directory, 1, shards);
    std::error_code error;
    std::filesystem::create_directories(std::filesystem::path(layout->shard_paths[0]).parent_path(),
                                        error);
  } else if (!layout.ok()) {
    return layout.status();
  }

  // Profile text is indexed with the parts of its compound words, from the Dutch word list
  // (engine/text_analysis.h); without it the index would not be the one searches expect.
  if (auto words = engine::DutchWords::Shared(); !words.ok()) return words.status();
  const engine::TextAnalysis text_analysis(reference_data->stopwords());
  std::vector<std::unique_ptr<IndexShardWriter>> shards;
  try {
    for (const std::string& path : layout->shard_paths) {
      absl::StatusOr<Xapian::WritableDatabase> database =
          OpenShard(path, create, options.commit_guard);
      if (!database.ok()) return database.status();
      shards.push_back(std::unique_ptr<IndexShardWriter>(
          new IndexShardWriter(path, std::move(*database), text_analysis)));
    }
  } catch (const Xapian::DatabaseLockError&) {
    return absl::FailedPreconditionError(
        absl::StrCat("index at ", directory, " is locked by another writer"));
  } catch (const Xapian::Error& error) {
    return engine::StatusFromXapianError(error);
  }
  // Published only once every shard exists, so a searcher never sees a half-created index.
  if (create) {
    if (absl::Status status = engine::PublishIndexLayout(*layout); !status.ok()) return status;
  }
  for (auto& shard : shards) shard->commit_guard_ = options.commit_guard;
  std::unique_ptr<IndexWriter> writer(
      new IndexWriter(std::move(*layout), std::move(shards), std::move(reference_data)));
  writer->commit_guard_ = options.commit_guard;
  return writer;
}

absl::Status IndexWriter::MayCommit() const {
  return commit_guard_ == nullptr ? absl::OkStatus() : commit_guard_();
}

absl::Status IndexWriter::BeginBatch() {
  for (auto& shard : shards_) {
    if (absl::Status status = shard->BeginBatch(); !status.ok()) {
      AbortBatch();
      return status;
    }
  }
  return absl::OkStatus();
}

absl::Status IndexWriter::CommitBatch(
    const std::vector<std::pair<std::string, std::string>>& metadata) {
  // Asked once before any shard commits, so that a lease lost before this call commits none of
  // them (each shard asks again: the lease may run out in between).
  if (absl::Status may = MayCommit(); !may.ok()) {
    AbortBatch();
    return may;
  }
  // The shards commit one after the other: searchers move on once all of them have.
  engine::IndexSwitchLock switching(layout_.directory);
  switching.Exclusive();
  for (auto& shard : shards_) {
    if (absl::Status status = shard->CommitBatch(metadata); !status.ok()) {
      AbortBatch();
      return status;
    }
  }
  return absl::OkStatus();
}

void IndexWriter::AbortBatch() {
  for (auto& shard : shards_) {
    if (shard->in_batch_) shard->AbortBatch();
  }
}

absl::StatusOr<UpsertResult> IndexWriter::Upsert(const engine::CandidateRecord& record) {
  return shards_[ShardOf(record.profile_id)]->Upsert(record);
}

absl::StatusOr<bool> IndexWriter::Withdraw(const std::string& profile_id) {
  return shards_[ShardOf(profile_id)]->Withdraw(profile_id);
}

absl::StatusOr<int64_t> IndexWriter::RenameProfiles(
    const std::vector<std::pair<std::string, std::string>>& renames) {
  int64_t moved = 0;
  if (absl::Status status = BeginBatch(); !status.ok()) return status;
  for (const auto& [from_id, to_id] : renames) {
    absl::StatusOr<bool> copied =
        shards_[ShardOf(to_id)]->CopyRenamed(*shards_[ShardOf(from_id)], from_id, to_id);
    if (!copied.ok()) {
      AbortBatch();
      return copied.status();
    }
    moved += *copied ? 1 : 0;
  }
  if (absl::Status status = CommitBatch(); !status.ok()) return status;
  if (absl::Status status = BeginBatch(); !status.ok()) return status;
  for (const auto& [from_id, to_id] : renames) {
    if (absl::StatusOr<bool> withdrawn = Withdraw(from_id); !withdrawn.ok()) {
      AbortBatch();
      return withdrawn.status();
    }
  }
  if (absl::Status status = CommitBatch(); !status.ok()) return status;
  return moved;
}

absl::StatusOr<std::vector<std::string>> IndexWriter::ProfilesOfSource(const std::string& source) {
  std::vector<std::string> ids;
  for (auto& shard : shards_) {
    absl::StatusOr<std::vector<std::string>> shard_ids = shard->ProfilesOfSource(source);
    if (!shard_ids.ok()) return shard_ids.status();
    ids.insert(ids.end(), shard_ids->begin(), shard_ids->end());
  }
  return ids;
}

absl::Status IndexWriter::OnEveryShard(const std::function<absl::Status(int)>& work) {
  std::vector<absl::Status> statuses(shards_.size());
  std::vector<std::thread> threads;
  for (size_t i = 0; i < shards_.size(); ++i) {
    threads.emplace_back([&, i] { statuses[i] = work(static_cast<int>(i)); });
  }
  for (std::thread& thread : threads) thread.join();
  for (absl::Status& status : statuses) {
    if (!status.ok()) return status;
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<std::string>> IndexWriter::ExpiredProfiles(int64_t today_day) {
  std::vector<std::vector<std::string>> per_shard(shards_.size());
  absl::Status status = OnEveryShard([&](int i) {
    absl::StatusOr<std::vector<std::string>> ids = shards_[i]->ExpiredProfiles(today_day);
    if (!ids.ok()) return ids.status();
    per_shard[i] = std::move(*ids);
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  std::vector<std::string> ids;
  for (std::vector<std::string>& shard_ids : per_shard) {
    ids.insert(ids.end(), shard_ids.begin(), shard_ids.end());
  }
  return ids;
}

absl::StatusOr<engine::DisclosureCounts> IndexWriter::CountCombinations(
    const std::string* only_source) {
  std::vector<engine::DisclosureCounts> per_shard(shards_.size());
  absl::Status status = OnEveryShard([&](int i) {
    try {
      per_shard[i] =
          only_source == nullptr
              ? engine::CountDisclosureCombinations(shards_[i]->database_)
              : engine::CountDisclosureCombinationsOfSource(shards_[i]->database_, *only_source);
      return absl::OkStatus();
    } catch (const Xapian::Error& error) {
      return engine::StatusFromXapianError(error);
    }
  });
  if (!status.ok()) return status;
  engine::DisclosureCounts counts;
  for (const engine::DisclosureCounts& shard_counts : per_shard) {
    engine::AddDisclosureCounts(shard_counts, counts);
  }
  return counts;
}

absl::StatusOr<engine::SourceDisclosure> IndexWriter::DisclosureOfSource(const std::string& source,
                                                                         int k) {
  absl::StatusOr<engine::DisclosureCounts> all = CountCombinations(nullptr);
  if (!all.ok()) return all.status();
  absl::StatusOr<engine::DisclosureCounts> of_source = CountCombinations(&source);
  if (!of_source.ok()) return of_source.status();
  return engine::DescribeSourceDisclosure(*all, *of_source, k, *reference_data_);
}

absl::StatusOr<engine::DisclosureGroups> IndexWriter::UpdateDisclosureControl(int k) {
  absl::StatusOr<engine::DisclosureCounts> counts = CountCombinations(nullptr);
  if (!counts.ok()) return counts.status();
  const engine::DisclosureGroups groups =
      engine::DecideDisclosureGroups(*counts, k, *reference_data_);
  if (absl::Status may = MayCommit(); !may.ok()) return may;
  XapianWriteScope writing(shards_[0]->path_);
  try {
    Xapian::WritableDatabase& first = shards_[0]->database_;
    first.begin_transaction();
    first.set_metadata(engine::kShownDetailsKey, engine::EncodeDetails(groups.details));
    engine::schema::LogChanges(first, {});
    first.set_metadata(
        engine::kDisclosureSummaryKey,
        absl::StrCat("k=", k, " smallest_shown_group=", groups.smallest_shown_group,
                     " region_level=", groups.profiles_shown_at_region_level,
                     " education_generalised=", groups.profiles_with_education_generalised));
    first.commit_transaction();
    return groups;
  } catch (const Xapian::Error& error) {
    return engine::StatusFromXapianError(error);
  }
}

absl::StatusOr<IndexWriter::CompactionResult> IndexWriter::Compact() {
  for (auto& shard : shards_) {
    if (shard->in_batch_) {
      return absl::FailedPreconditionError("compaction needs every batch committed first");
    }
  }
  CompactionResult result;
  result.bytes_before =
      engine::DirectoryBytes(std::filesystem::path(layout_.shard_paths[0]).parent_path().string());
  const engine::IndexLayout next =
      engine::MakeIndexLayout(layout_.directory, layout_.generation + 1, shard_count());
  const std::filesystem::path next_directory =
      std::filesystem::path(next.shard_paths[0]).parent_path();
  std::error_code ignored;
  std::filesystem::remove_all(next_directory, ignored);  // left by a compaction that crashed
  std::filesystem::create_directories(next_directory, ignored);

  // The compacted copy is never larger than the generation it copies. Without that much free
  // space compaction would fail half-way (and Xapian 1.4 leaks what it holds when it does).
  struct statvfs disk {};
  if (statvfs(layout_.directory.c_str(), &disk) == 0 &&
      static_cast<int64_t>(disk.f_bavail) * static_cast<int64_t>(disk.f_frsize) <
          result.bytes_before) {
    return base::DiskFullError("search index compaction");
  }
  absl::Status compacted = OnEveryShard([&](int i) {
    XapianWriteScope writing(next.shard_paths[i]);
    try {
      // Keep document ids: nothing depends on them, but equal ids keep runs comparable.
      shards_[i]->database_.compact(next.shard_paths[i], Xapian::DBCOMPACT_NO_RENUMBER);
      return absl::OkStatus();
    } catch (const Xapian::Error& error) {
      return engine::StatusFromXapianError(error);
    }
  });
  if (!compacted.ok()) {
    std::filesystem::remove_all(next_directory, ignored);
    return compacted;
  }

  std::vector<Xapian::WritableDatabase> reopened;
  try {
    for (const std::string& path : next.shard_paths) {
      reopened.emplace_back(path, Xapian::DB_OPEN);
    }
  } catch (const Xapian::Error& error) {
    return engine::StatusFromXapianError(error);
  }
  if (absl::Status may = MayCommit(); !may.ok()) {
    std::filesystem::remove_all(next_directory, ignored);
    return may;
  }
  if (absl::Status status = engine::PublishIndexLayout(next); !status.ok()) return status;
  for (size_t i = 0; i < shards_.size(); ++i) {
    shards_[i]->database_ = std::move(reopened[i]);
    shards_[i]->path_ = next.shard_paths[i];
  }
  // Searchers still reading the replaced generation keep its files open until their next
  // request, when they switch to the new stub; Linux keeps removed open files readable.
  engine::RemoveGenerationsBefore(layout_.directory, next.generation);
  layout_ = next;
  result.bytes_after = engine::DirectoryBytes(next_directory.string());
  return result;
}

namespace {

std::terminate_handler previous_terminate_handler = nullptr;
const char* terminating_program = "";

// Less free space than this where a Xapian write failed means the disk filled up.
constexpr int64_t kNearlyFullBytes = 4 << 20;

// What a Xapian write in `directory` that ended in std::terminate most likely met. Xapian's
// commit may call std::terminate from a destructor without an exception we could look at, so the
// disk is asked.
absl::Status FailedXapianWrite(const std::string& directory) {
  struct statvfs disk {};
  if (statvfs(directory.c_str(), &disk) == 0 &&
      static_cast<int64_t>(disk.f_bavail) * static_cast<int64_t>(disk.f_frsize) <
          kNearlyFullBytes) {
    return base::DiskFullError("search index");
  }
  return absl::InternalError("search index: a write failed inside Xapian");
}

// See InstallXapianTerminateHandler.
[[noreturn]] void ExitOnXapianError() {
  absl::Status status;  // stays OK unless Xapian is why the program terminates
  if (std::exception_ptr current = std::current_exception(); current != nullptr) {
    try {
      std::rethrow_exception(current);
    } catch (const Xapian::Error& error) {
      status = engine::StatusFromXapianError(error);
    } catch (...) {
    }
  } else if (xapian_write_directory != nullptr) {
    status = FailedXapianWrite(*xapian_write_directory);
  }
  if (status.ok()) {
    previous_terminate_handler();
    std::abort();
  }
  std::fprintf(stderr, "%s: %s%s\n", terminating_program, std::string(status.message()).c_str(),
               base::IsDiskFull(status)
                   ? "; free space and run the same command again: it resumes where this run "
                     "stopped"
                   : "; run the same command again: it resumes where this run stopped");
  std::fflush(stderr);
  _exit(EXIT_FAILURE);
}

}  // namespace

void InstallXapianTerminateHandler(const char* program) {
  terminating_program = program;
  previous_terminate_handler = std::set_terminate(ExitOnXapianError);
}

absl::StatusOr<std::string> IndexWriter::GetMetadata(const std::string& key) {
  return shards_[0]->GetMetadata(key);
}

int64_t IndexWriter::DocumentCount() {
  int64_t count = 0;
  for (auto& shard : shards_) count += shard->DocumentCount();
  return count;
}

}  // namespace verkenner::indexer
