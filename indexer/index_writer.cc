#include "indexer/index_writer.h"

#include "absl/strings/str_cat.h"
#include "engine/schema.h"
#include "engine/searcher.h"

namespace verkenner::indexer {

IndexWriter::IndexWriter(Xapian::WritableDatabase database,
                         const engine::TextAnalysis& text_analysis)
    : database_(std::move(database)), term_generator_(text_analysis.MakeTermGenerator()) {}

IndexWriter::~IndexWriter() {
  if (in_batch_) AbortBatch();
}

absl::StatusOr<std::unique_ptr<IndexWriter>> IndexWriter::Open(
    const std::string& path, std::shared_ptr<const engine::ReferenceData> reference_data) {
  try {
    Xapian::WritableDatabase database(path, Xapian::DB_CREATE_OR_OPEN);
    const std::string expected = std::to_string(engine::schema::kSchemaVersion);
    std::string version = database.get_metadata(engine::schema::kSchemaVersionKey);
    if (version.empty() && database.get_doccount() == 0) {
      database.set_metadata(engine::schema::kSchemaVersionKey, expected);
      database.commit();
    } else if (version != expected) {
      return absl::FailedPreconditionError(
          absl::StrCat("index at ", path, " has schema version '", version,
                       "', this program writes ", expected, "; import into a new index directory"));
    }
    return std::unique_ptr<IndexWriter>(
        new IndexWriter(std::move(database), engine::TextAnalysis(reference_data->stopwords())));
  } catch (const Xapian::DatabaseLockError&) {
    return absl::FailedPreconditionError(
        absl::StrCat("index at ", path, " is locked by another writer"));
  } catch (const Xapian::Error& error) {
    return engine::StatusFromXapianError(error);
  }
}

absl::Status IndexWriter::BeginBatch() {
  try {
    database_.begin_transaction(/*flushed=*/true);
    in_batch_ = true;
    return absl::OkStatus();
  } catch (const Xapian::Error& error) {
    return engine::StatusFromXapianError(error);
  }
}

absl::Status IndexWriter::CommitBatch(
    const std::vector<std::pair<std::string, std::string>>& metadata) {
  try {
    for (const auto& [key, value] : metadata) database_.set_metadata(key, value);
    database_.commit_transaction();
    in_batch_ = false;
    return absl::OkStatus();
  } catch (const Xapian::Error& error) {
    AbortBatch();
    return engine::StatusFromXapianError(error);
  }
}

void IndexWriter::AbortBatch() {
  try {
    database_.cancel_transaction();
  } catch (const Xapian::Error&) {
    // Cancelling only fails if no transaction is open, which is the state we want.
  }
  in_batch_ = false;
}

absl::StatusOr<bool> IndexWriter::Upsert(const engine::CandidateRecord& record) {
  try {
    const std::string id_term = engine::schema::ProfileIdTerm(record.profile_id);
    const bool existed = database_.term_exists(id_term);
    database_.replace_document(id_term, engine::BuildDocument(record, term_generator_));
    return !existed;
  } catch (const Xapian::Error& error) {
    return engine::StatusFromXapianError(error);
  }
}

absl::StatusOr<bool> IndexWriter::Withdraw(const std::string& profile_id) {
  try {
    const std::string id_term = engine::schema::ProfileIdTerm(profile_id);
    const bool existed = database_.term_exists(id_term);
    if (existed) database_.delete_document(id_term);
    return existed;
  } catch (const Xapian::Error& error) {
    return engine::StatusFromXapianError(error);
  }
}

namespace {

// The profile id of a document, from its unique Q term.
std::string ProfileIdOf(const Xapian::Document& document) {
  const std::string prefix = engine::schema::kPrefixProfileId;
  Xapian::TermIterator term = document.termlist_begin();
  term.skip_to(prefix);
  if (term == document.termlist_end() || (*term).compare(0, prefix.size(), prefix) != 0) return "";
  return (*term).substr(prefix.size());
}

}  // namespace

absl::StatusOr<std::vector<std::string>> IndexWriter::ProfilesOfSource(const std::string& source) {
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

absl::StatusOr<std::vector<std::string>> IndexWriter::ExpiredProfiles(int64_t today_day) {
  try {
    Xapian::Enquire enquire(database_);
    // Retention ends after its last day: expired means retain_until_day < today_day.
    enquire.set_query(
        Xapian::Query(Xapian::Query::OP_VALUE_LE, engine::schema::kSlotRetainUntilDay,
                      Xapian::sortable_serialise(static_cast<double>(today_day - 1))));
    enquire.set_weighting_scheme(Xapian::BoolWeight());
    Xapian::MSet expired = enquire.get_mset(0, database_.get_doccount());
    std::vector<std::string> ids;
    for (auto item = expired.begin(); item != expired.end(); ++item) {
      ids.push_back(ProfileIdOf(item.get_document()));
    }
    return ids;
  } catch (const Xapian::Error& error) {
    return engine::StatusFromXapianError(error);
  }
}

absl::StatusOr<engine::DisclosureGroups> IndexWriter::UpdateDisclosureControl(int k) {
  try {
    engine::DisclosureGroups groups = engine::CountDisclosureGroups(database_, k);
    database_.begin_transaction();
    database_.set_metadata(engine::kMunicipalityGroupsKey,
                           engine::EncodeGroups(groups.municipality_groups));
    database_.set_metadata(
        engine::kDisclosureSummaryKey,
        absl::StrCat("k=", k, " smallest_shown_group=", groups.smallest_shown_group,
                     " region_level=", groups.profiles_shown_at_region_level));
    database_.commit_transaction();
    return groups;
  } catch (const Xapian::Error& error) {
    return engine::StatusFromXapianError(error);
  }
}

absl::StatusOr<std::string> IndexWriter::GetMetadata(const std::string& key) {
  try {
    return database_.get_metadata(key);
  } catch (const Xapian::Error& error) {
    return engine::StatusFromXapianError(error);
  }
}

int64_t IndexWriter::DocumentCount() { return database_.get_doccount(); }

}  // namespace verkenner::indexer
