#include "service/store/records.h"

#include <openssl/rand.h>
#include <openssl/sha.h>

#include <cstdlib>

namespace verkenner::service {
namespace {

using indexer::SqliteConnection;
using indexer::SqliteStatement;

constexpr char kRequestColumns[] = "id, organisation, created_by, coalesce(assigned_to, ''), body";

absl::StatusOr<StoredContactRequest> ReadRequest(const SqliteStatement& row) {
  StoredContactRequest stored;
  stored.id = row.Text(0);
  stored.organisation = row.Text(1);
  stored.created_by = row.Text(2);
  stored.assigned_to = row.Text(3);
  if (!stored.request.ParseFromString(row.Text(4))) {
    return absl::DataLossError("store: a contact request cannot be read");
  }
  return stored;
}

std::string Hex(const unsigned char* bytes, size_t size) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(size * 2);
  for (size_t i = 0; i < size; ++i) {
    hex.push_back(kHex[bytes[i] >> 4]);
    hex.push_back(kHex[bytes[i] & 0xf]);
  }
  return hex;
}

}  // namespace

std::string NewResourceId() {
  unsigned char bytes[16];
  if (RAND_bytes(bytes, sizeof(bytes)) != 1) std::abort();  // no randomness: nothing is safe
  return Hex(bytes, sizeof(bytes));
}

std::string Sha256Hex(std::string_view bytes) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), digest);
  return Hex(digest, sizeof(digest));
}

absl::StatusOr<std::optional<StoredContactRequest>> LoadContactRequest(SqliteConnection& db,
                                                                       const std::string& id) {
  absl::StatusOr<SqliteStatement> select =
      db.Prepare(std::string("SELECT ") + kRequestColumns + " FROM contact_request WHERE id = ?1");
  if (!select.ok()) return select.status();
  select->Bind(1, id);
  absl::StatusOr<bool> row = select->Step();
  if (!row.ok()) return row.status();
  if (!*row) return std::nullopt;
  absl::StatusOr<StoredContactRequest> stored = ReadRequest(*select);
  if (!stored.ok()) return stored.status();
  return std::move(*stored);
}

absl::Status SaveContactRequest(SqliteConnection& db, const StoredContactRequest& stored) {
  absl::StatusOr<SqliteStatement> upsert = db.Prepare(
      "INSERT INTO contact_request (id, organisation, created_by, profile_id, region_code, "
      "status, assigned_to, create_time, last_activity_time, body) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) "
      "ON CONFLICT (id) DO UPDATE SET status = excluded.status, "
      "assigned_to = excluded.assigned_to, last_activity_time = excluded.last_activity_time, "
      "body = excluded.body");
  if (!upsert.ok()) return upsert.status();
  const v1::ContactRequest& request = stored.request;
  const std::string body = request.SerializeAsString();
  auto micros = [](const google::protobuf::Timestamp& time) {
    return time.seconds() * 1'000'000 + time.nanos() / 1000;
  };
  upsert->Bind(1, stored.id)
      .Bind(2, stored.organisation)
      .Bind(3, stored.created_by)
      .Bind(4, request.profile_id())
      .Bind(5, request.labour_market_region_code())
      .Bind(6, static_cast<int64_t>(request.status()))
      .Bind(8, micros(request.create_time()))
      .Bind(9, micros(request.last_activity_time()))
      .BindBlob(10, body);
  if (stored.assigned_to.empty()) {
    upsert->BindNull(7);
  } else {
    upsert->Bind(7, stored.assigned_to);
  }
  return upsert->Run();
}

absl::StatusOr<std::vector<StoredContactRequest>> ListStoredContactRequests(
    SqliteConnection& db, bool by_region, const std::string& key) {
  absl::StatusOr<SqliteStatement> select =
      db.Prepare(std::string("SELECT ") + kRequestColumns + " FROM contact_request WHERE " +
                 (by_region ? "region_code" : "organisation") + " = ?1 ORDER BY create_time, id");
  if (!select.ok()) return select.status();
  select->Bind(1, key);
  std::vector<StoredContactRequest> requests;
  while (true) {
    absl::StatusOr<bool> row = select->Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    absl::StatusOr<StoredContactRequest> stored = ReadRequest(*select);
    if (!stored.ok()) return stored.status();
    requests.push_back(std::move(*stored));
  }
  return requests;
}

absl::StatusOr<std::optional<std::string>> FindIdempotencyKey(SqliteConnection& db,
                                                              const std::string& account_id,
                                                              const std::string& key,
                                                              const std::string& content_hash) {
  absl::StatusOr<SqliteStatement> select = db.Prepare(
      "SELECT content_hash, resource FROM idempotency_key WHERE account_id = ?1 AND key = ?2");
  if (!select.ok()) return select.status();
  select->Bind(1, account_id).Bind(2, key);
  absl::StatusOr<bool> row = select->Step();
  if (!row.ok()) return row.status();
  if (!*row) return std::nullopt;
  if (select->Text(0) != content_hash) {
    return absl::AlreadyExistsError("request_id: used before for a different request");
  }
  return select->Text(1);
}

absl::Status RememberIdempotencyKey(SqliteConnection& db, const std::string& account_id,
                                    const std::string& key, const std::string& content_hash,
                                    const std::string& resource, int64_t now_micros) {
  absl::StatusOr<SqliteStatement> insert = db.Prepare(
      "INSERT INTO idempotency_key (account_id, key, content_hash, resource, create_time) "
      "VALUES (?1, ?2, ?3, ?4, ?5)");
  if (!insert.ok()) return insert.status();
  insert->Bind(1, account_id)
      .Bind(2, key)
      .Bind(3, content_hash)
      .Bind(4, resource)
      .Bind(5, now_micros);
  return insert->Run();
}

absl::StatusOr<int64_t> AppendAudit(SqliteConnection& db, const AuditEntry& entry) {
  absl::StatusOr<SqliteStatement> insert = db.Prepare(
      "INSERT INTO audit (time, account_id, action, profile_id, resource, purpose, outcome) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
  if (!insert.ok()) return insert.status();
  insert->Bind(1, entry.time_micros)
      .Bind(2, entry.account_id)
      .Bind(3, entry.action)
      .Bind(4, entry.profile_id)
      .Bind(5, entry.resource)
      .Bind(6, entry.purpose)
      .Bind(7, entry.outcome);
  if (absl::Status status = insert->Run(); !status.ok()) return status;
  return sqlite3_last_insert_rowid(db.handle());
}

}  // namespace verkenner::service
