#ifndef VERKENNER_INDEXER_INDEX_WRITER_H_
#define VERKENNER_INDEXER_INDEX_WRITER_H_

#include <xapian.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "engine/candidate_record.h"
#include "engine/disclosure_control.h"
#include "engine/refdata/reference_data.h"
#include "engine/text_analysis.h"

namespace verkenner::indexer {

// The one writer of a Verkenner index: owns the only Xapian::WritableDatabase (Xapian allows one
// writer per database, enforced with a lock). Changes are grouped in batches; a batch becomes
// visible to searchers atomically when CommitBatch() returns, and a crash before that leaves the
// index as it was at the previous commit.
//
// Not thread-safe: one importing thread uses it.
class IndexWriter {
 public:
  // Opens the index at `path`, creating it if absent. Errors: FailedPrecondition if it was built
  // with another schema version or another process holds the write lock.
  static absl::StatusOr<std::unique_ptr<IndexWriter>> Open(
      const std::string& path, std::shared_ptr<const engine::ReferenceData> reference_data);
  ~IndexWriter();

  // Starts a batch. Every change must happen inside one.
  absl::Status BeginBatch();
  // Makes the batch durable and visible; `metadata` key/values are committed with it.
  absl::Status CommitBatch(const std::vector<std::pair<std::string, std::string>>& metadata = {});
  // Drops the batch's changes.
  void AbortBatch();

  // Adds or replaces the profile's document. Returns true if it was new.
  absl::StatusOr<bool> Upsert(const engine::CandidateRecord& record);
  // Removes the profile. Returns true if it existed.
  absl::StatusOr<bool> Withdraw(const std::string& profile_id);

  // The profile ids the index holds for `source` (as committed and changed in the open batch).
  absl::StatusOr<std::vector<std::string>> ProfilesOfSource(const std::string& source);

  // The profile ids whose retention ended before `today_day` (days since 1970-01-01).
  absl::StatusOr<std::vector<std::string>> ExpiredProfiles(int64_t today_day);

  // Counts the disclosure-control groups (engine/disclosure_control.h) over the whole index and
  // commits the small ones for searchers, in a batch of its own. Call after imports and sweeps.
  absl::StatusOr<engine::DisclosureGroups> UpdateDisclosureControl(int k);

  absl::StatusOr<std::string> GetMetadata(const std::string& key);
  int64_t DocumentCount();

 private:
  IndexWriter(Xapian::WritableDatabase database, const engine::TextAnalysis& text_analysis);

  Xapian::WritableDatabase database_;
  Xapian::TermGenerator term_generator_;
  bool in_batch_ = false;
};

}  // namespace verkenner::indexer

#endif  // VERKENNER_INDEXER_INDEX_WRITER_H_
