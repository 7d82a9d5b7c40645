#include "indexer/postgres_identity_vault.h"

#include <chrono>
#include <map>
#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "base/postgres/pg_connection.h"

namespace verkenner::indexer {
namespace {

// The key of the advisory lock under which the schema is checked and created ("VKIV", as the
// SQLite vault's application id), so that two instances starting at once create it once.
constexpr int64_t kSchemaLockKey = 0x564B4956;
constexpr char kApplication[] = "verkenner identity vault";

// The schema is closed to PUBLIC: only the role that owns it (the one the importer and the service
// connect as) reads it. A profile id is checked by the database too, so that nothing else can be
// stored where a pseudonym belongs.
constexpr char kCreateSchema[] = R"sql(
CREATE SCHEMA IF NOT EXISTS vault;
REVOKE ALL ON SCHEMA vault FROM PUBLIC;
CREATE TABLE vault.schema_version (
  version integer NOT NULL,
  application text NOT NULL
);
CREATE TABLE vault.identity (
  profile_id text PRIMARY KEY CHECK (profile_id ~ '^[0-9a-f]{24}$'),
  source text NOT NULL,
  client_number text NOT NULL,
  updated_at bigint NOT NULL  -- Unix seconds of the last Put, for audits of the link
);
)sql";

// A batch is sent as two statements, whatever its size: its removals, then its entries as arrays
// (one round trip each instead of one per row). Rows go in profile id order, so that two importers
// writing overlapping batches lock rows in the same order and cannot deadlock.
constexpr char kRemoveMany[] =
    "DELETE FROM vault.identity WHERE profile_id = ANY(CAST(?1 AS text[]))";
constexpr char kPutMany[] = R"sql(
INSERT INTO vault.identity (profile_id, source, client_number, updated_at)
SELECT p, s, c, ?4 FROM unnest(CAST(?1 AS text[]), CAST(?2 AS text[]), CAST(?3 AS text[]))
  AS batch (p, s, c) ORDER BY p
ON CONFLICT (profile_id) DO UPDATE SET
  source = excluded.source, client_number = excluded.client_number,
  updated_at = excluded.updated_at
)sql";
constexpr char kLookup[] = "SELECT source, client_number FROM vault.identity WHERE profile_id = ?1";
constexpr char kCount[] = "SELECT count(*) FROM vault.identity";
constexpr char kForEach[] =
    "SELECT profile_id, source, client_number FROM vault.identity ORDER BY profile_id";

// A PostgreSQL array literal of `values`: each element quoted, with \ and " escaped.
class ArrayLiteral {
 public:
  void Add(std::string_view value) {
    text_.append(text_.size() == 1 ? "\"" : ",\"");
    for (char c : value) {
      if (c == '"' || c == '\\') text_.push_back('\\');
      text_.push_back(c);
    }
    text_.push_back('"');
  }
  std::string Finish() && { return std::move(text_) + "}"; }

 private:
  std::string text_ = "{";
};

class PostgresIdentityVault final : public IdentityVault {
 public:
  PostgresIdentityVault(std::string what, std::unique_ptr<postgres::PgConnection> connection,
                        bool read_only)
      : what_(std::move(what)), connection_(std::move(connection)), read_only_(read_only) {}
  ~PostgresIdentityVault() override { AbortBatch(); }

  absl::Status CheckOrCreateSchema();

  absl::Status BeginBatch() override {
    if (absl::Status status = CheckWritable(); !status.ok()) return status;
    if (in_batch_) return Misuse("BeginBatch while a batch is open");
    in_batch_ = true;
    return absl::OkStatus();
  }
  absl::Status CommitBatch() override {
    if (absl::Status status = CheckWritable(); !status.ok()) return status;
    if (!in_batch_) return Misuse("CommitBatch without an open batch");
    if (absl::Status status = Flush(); !status.ok()) return status;
    in_batch_ = false;
    return absl::OkStatus();
  }
  void AbortBatch() override {
    pending_.clear();
    in_batch_ = false;
  }
  bool InBatch() const override { return in_batch_; }

  absl::Status Put(const VaultEntry& entry) override {
    if (absl::Status status = CheckWritable(); !status.ok()) return status;
    if (absl::Status status = CheckEntry(entry); !status.ok()) return status;
    pending_[entry.profile_id] = entry;
    return in_batch_ ? absl::OkStatus() : Flush();
  }
  absl::Status Remove(const std::string& profile_id) override {
    if (absl::Status status = CheckWritable(); !status.ok()) return status;
    if (absl::Status status = CheckProfileId(profile_id); !status.ok()) return status;
    pending_[profile_id] = std::nullopt;
    return in_batch_ ? absl::OkStatus() : Flush();
  }
  absl::StatusOr<std::optional<VaultEntry>> Lookup(const std::string& profile_id) override {
    if (absl::Status status = CheckProfileId(profile_id); !status.ok()) return status;
    if (absl::Status status = CheckConnected(); !status.ok()) return status;
    absl::StatusOr<sql::Statement> lookup = connection_->Prepare(kLookup);
    if (!lookup.ok()) return lookup.status();
    lookup->Bind(1, profile_id);
    absl::StatusOr<bool> row = lookup->Step();
    if (!row.ok()) return row.status();
    if (!*row) return std::nullopt;
    return VaultEntry{profile_id, lookup->Text(0), lookup->Text(1)};
  }
  absl::StatusOr<int64_t> Count() override {
    if (absl::Status status = CheckConnected(); !status.ok()) return status;
    return connection_->QueryInteger(kCount);
  }
  absl::Status ForEach(const std::function<void(const VaultEntry&)>& entry) override {
    if (absl::Status status = CheckConnected(); !status.ok()) return status;
    return ForEachEntry(*connection_, kForEach, entry);
  }
  bool broken() const override { return connection_->broken(); }

 private:
  // Writes the pending changes in one transaction; on success they are durable (and, with a
  // synchronous standby, on the standby: PgConnection refuses a COMMIT the standby may lack).
  absl::Status Flush();
  absl::Status WritePending();
  absl::Status Misuse(std::string_view what) const {
    return absl::FailedPreconditionError(
        absl::StrCat("identity vault ", what_, ": ", std::string(what)));
  }
  absl::Status CheckConnected() const {
    if (!connection_->broken()) return absl::OkStatus();
    return absl::UnavailableError(absl::StrCat("identity vault ", what_,
                                               ": the connection to the database was lost; open "
                                               "the vault again"));
  }
  absl::Status CheckWritable() const {
    if (read_only_) return Misuse("opened read-only");
    return CheckConnected();
  }

  const std::string what_;  // the URI without credentials
  const std::unique_ptr<postgres::PgConnection> connection_;
  const bool read_only_;
  bool in_batch_ = false;
  // The batch's changes by profile id (the last one per id counts; nullopt: remove), in id order.
  std::map<std::string, std::optional<VaultEntry>> pending_;
};

absl::Status PostgresIdentityVault::CheckOrCreateSchema() {
  const std::string begin =
      absl::StrCat("BEGIN; SELECT pg_advisory_xact_lock(", kSchemaLockKey, ")");
  // A reader only checks; it takes no lock and needs no write transaction.
  if (absl::Status status = connection_->Execute(read_only_ ? "BEGIN" : begin.c_str(), "open");
      !status.ok()) {
    return status;
  }
  absl::Status status = [&]() -> absl::Status {
    absl::StatusOr<int64_t> tables =
        connection_->QueryInteger("SELECT count(*) FROM pg_tables WHERE schemaname = 'vault'");
    if (!tables.ok()) return tables.status();
    absl::StatusOr<int64_t> ours = connection_->QueryInteger(
        absl::StrCat("SELECT count(*) FROM pg_tables WHERE schemaname = 'vault' AND tablename = "
                     "'schema_version'")
            .c_str());
    if (!ours.ok()) return ours.status();
    if (*tables == 0) {
      if (read_only_) return Misuse("has no schema yet; the importer creates it");
      if (absl::Status created = connection_->Execute(kCreateSchema, "create schema");
          !created.ok()) {
        return created;
      }
      absl::StatusOr<sql::Statement> version = connection_->Prepare(
          "INSERT INTO vault.schema_version (version, application) VALUES (?1, ?2)");
      if (!version.ok()) return version.status();
      return version->Bind(1, int64_t{kPostgresSchemaVersion}).Bind(2, kApplication).Run();
    }
    if (*ours == 0) return Misuse("the schema vault belongs to another application");
    absl::StatusOr<int64_t> version =
        connection_->QueryInteger("SELECT max(version) FROM vault.schema_version");
    if (!version.ok()) return version.status();
    if (*version > kPostgresSchemaVersion) {
      return Misuse(absl::StrCat("has schema version ", *version, "; this program knows up to ",
                                 kPostgresSchemaVersion, ": upgrade it"));
    }
    return absl::OkStatus();
  }();
  if (!status.ok()) {
    connection_->RollBack();
    return status;
  }
  return connection_->Execute("COMMIT", "open");
}

absl::Status PostgresIdentityVault::Flush() {
  if (pending_.empty()) return absl::OkStatus();
  if (absl::Status status = connection_->Execute("BEGIN", "begin batch"); !status.ok()) {
    return status;
  }
  absl::Status status = WritePending();
  if (status.ok()) status = connection_->Execute("COMMIT", "commit batch");
  if (!status.ok()) {
    // A batch stays pending (AbortBatch drops it, or a retry of CommitBatch sends it again); a
    // single write outside a batch was refused and is forgotten, so the next one goes alone.
    connection_->RollBack();
    if (!in_batch_) pending_.clear();
    return status;
  }
  pending_.clear();
  return absl::OkStatus();
}

absl::Status PostgresIdentityVault::WritePending() {
  ArrayLiteral removed, ids, sources, client_numbers;
  int64_t puts = 0;
  for (const auto& [profile_id, entry] : pending_) {
    if (!entry.has_value()) {
      removed.Add(profile_id);
      continue;
    }
    ids.Add(profile_id);
    sources.Add(entry->source);
    client_numbers.Add(entry->client_number);
    ++puts;
  }
  const std::string removed_ids = std::move(removed).Finish();
  if (removed_ids != "{}") {
    absl::StatusOr<sql::Statement> remove = connection_->Prepare(kRemoveMany);
    if (!remove.ok()) return remove.status();
    if (absl::Status status = remove->Bind(1, removed_ids).Run(); !status.ok()) return status;
  }
  if (puts == 0) return absl::OkStatus();
  const std::string put_ids = std::move(ids).Finish();
  const std::string put_sources = std::move(sources).Finish();
  const std::string put_client_numbers = std::move(client_numbers).Finish();
  const int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  absl::StatusOr<sql::Statement> put = connection_->Prepare(kPutMany);
  if (!put.ok()) return put.status();
  return put->Bind(1, put_ids).Bind(2, put_sources).Bind(3, put_client_numbers).Bind(4, now).Run();
}

}  // namespace

absl::StatusOr<std::unique_ptr<IdentityVault>> OpenPostgresIdentityVault(
    const std::string& conninfo, bool read_only) {
  const std::string what = postgres::RedactedTarget(conninfo);
  absl::StatusOr<std::unique_ptr<postgres::PgConnection>> connection =
      postgres::PgConnection::Open(absl::StrCat("identity vault ", what), conninfo,
                                   read_only ? postgres::PgConnection::Mode::kReadOnly
                                             : postgres::PgConnection::Mode::kReadWrite);
  if (!connection.ok()) return connection.status();
  auto vault = std::make_unique<PostgresIdentityVault>(what, std::move(*connection), read_only);
  if (absl::Status status = vault->CheckOrCreateSchema(); !status.ok()) return status;
  return vault;
}

}  // namespace verkenner::indexer
