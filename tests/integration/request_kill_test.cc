// Crash safety of the service store: verkenner-server killed with SIGKILL again and again while
// clients create contact requests, and started again each time. Every request a client saw
// succeed must be stored exactly once; a retry of a call whose outcome was unknown must succeed
// and leave exactly one request; nothing may be stored that no client sent; and the store must
// remain a sound database that the next server serves from. Runs on SQLite and, as
// request_kill_test_on_postgres, on PostgreSQL.
//
// VERKENNER_KILL_ROUNDS raises the number of kills (default 20) for a longer run;
// VERKENNER_KILL_SEED changes the kill delays (the seed is printed, to repeat a failing run).
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>
#include <xapian.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <deque>
#include <filesystem>
#include <map>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "base/sql/connection.h"
#include "engine/refdata/reference_data.h"
#include "engine/schema.h"
#include "tests/integration/server_process.h"
#include "tests/integration/test_accounts.h"
#include "tests/integration/test_index.h"
#include "tests/test_store.h"
#include "verkenner/v1/contact_requests.grpc.pb.h"

namespace verkenner {
namespace {

constexpr int kProfiles = 300;
constexpr int kDefaultRounds = 20;
constexpr int kClients = 4;  // clients 0 and 1 retry unknown outcomes, 2 and 3 abandon them
constexpr int kOrganisations = 2;
constexpr int kProfilesAskedAbout = 5;
constexpr char kReferencePrefix[] = "Kenmerk ";  // the message carries the request_id

int EnvironmentInteger(const char* name, int fallback) {
  const char* value = std::getenv(name);
  if (value == nullptr || *value == '\0') return fallback;
  return std::atoi(value);
}

using testing::ServerProcess;
using testing::Signal;

absl::StatusOr<ServerProcess> StartServer(const std::string& index, const std::string& store,
                                          const std::string& log) {
  return testing::StartServer({VERKENNER_SERVER_BINARY, "--index=" + index, "--store=" + store,
                               "--listen=127.0.0.1:0", "--search_threads=1"},
                              log);
}

struct Attempt {
  std::string request_id;
  v1::CreateContactRequestRequest request;
};

// One client of the service: an employer account that sends contact requests, and what it knows
// about their outcomes. Used by one thread at a time.
struct Client {
  int number = 0;
  bool retries = false;
  std::string email;
  std::string organisation;
  std::string token;
  std::string account_id;
  int sent = 0;
  std::map<std::string, std::string> acknowledged;  // request_id -> the name the service gave
  std::deque<Attempt> unresolved;   // outcome unknown, to be retried (retrying clients only)
  std::set<std::string> abandoned;  // outcome unknown, never sent again
  std::set<std::string> ever_unknown;
  int retried_ok = 0;
  std::vector<std::string> failures;  // answers no kill can explain
};

v1::CreateContactRequestRequest NewRequest(const std::string& request_id,
                                           const std::string& profile_id) {
  v1::CreateContactRequestRequest request;
  request.set_request_id(request_id);
  request.set_profile_id(profile_id);
  v1::ContactRequestVacancy* vacancy = request.mutable_vacancy();
  vacancy->set_title("Medewerker inpak");
  vacancy->mutable_hours()->set_min_hours(16);
  vacancy->mutable_hours()->set_max_hours(24);
  vacancy->mutable_workplace()->set_postcode("3511 AB");
  request.set_message(kReferencePrefix + request_id);
  request.mutable_contact_person()->set_name("Anna Bakker");
  request.mutable_contact_person()->set_email("anna@korenbloem.example");
  return request;
}

std::unique_ptr<v1::ContactRequestService::Stub> Connect(int port) {
  grpc::ChannelArguments arguments;
  // A fresh connection each round: a subchannel shared with an earlier round's channel could
  // still be backing off from the server that was killed, were the port the same.
  arguments.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  return v1::ContactRequestService::NewStub(grpc::CreateCustomChannel(
      "127.0.0.1:" + std::to_string(port), grpc::InsecureChannelCredentials(), arguments));
}

// What a client may see of a call that the server's death cut short.
bool IsCutShort(grpc::StatusCode code) {
  return code == grpc::StatusCode::UNAVAILABLE || code == grpc::StatusCode::CANCELLED ||
         code == grpc::StatusCode::UNKNOWN || code == grpc::StatusCode::INTERNAL ||
         code == grpc::StatusCode::DEADLINE_EXCEEDED;
}

// Sends requests as fast as the server answers until a call fails, which is the kill (set
// `killing` before it) or a failure. Retrying clients first send their unresolved requests again.
void RunRound(Client& client, int port, const std::vector<std::string>& profiles,
              const std::atomic<bool>& killing) {
  auto stub = Connect(port);
  while (!killing.load()) {
    const bool retry = !client.unresolved.empty();
    Attempt attempt;
    if (retry) {
      attempt = client.unresolved.front();
    } else {
      attempt.request_id = absl::StrCat("c", client.number, "-", client.sent);
      attempt.request = NewRequest(attempt.request_id, profiles[client.sent % profiles.size()]);
      ++client.sent;
    }
    v1::CreateContactRequestResponse response;
    grpc::ClientContext context;
    testing::Authorize(context, client.token);
    const grpc::Status status = stub->CreateContactRequest(&context, attempt.request, &response);
    if (status.ok()) {
      client.acknowledged[attempt.request_id] = response.contact_request().name();
      if (retry) {
        client.unresolved.pop_front();
        ++client.retried_ok;
      }
      continue;
    }
    if (!killing.load() || !IsCutShort(status.error_code())) {
      client.failures.push_back(absl::StrCat(attempt.request_id, ": code ", status.error_code(),
                                             " ", status.error_message(),
                                             killing.load() ? " (while killing)" : ""));
    }
    client.ever_unknown.insert(attempt.request_id);
    if (!retry) {
      if (client.retries) {
        client.unresolved.push_back(std::move(attempt));
      } else {
        client.abandoned.insert(attempt.request_id);
      }
    }
    return;
  }
}

// A contact_request row as the store file holds it.
struct Row {
  std::string id;
  std::string organisation;
  std::string created_by;
  std::string request_id;   // from the message
  std::string key_account;  // the idempotency key that points at the row, if any
  std::string key;
  int keys = 0;
};

struct StoreContents {
  std::string integrity;
  std::string foreign_keys;
  std::vector<Row> rows;
  int64_t dangling_keys = 0;  // idempotency keys whose request does not exist
  int64_t audited_creations = 0;
};

// The first column of every row of `sql`, joined by `separator`.
absl::StatusOr<std::string> Column(sql::Connection& db, const char* sql,
                                   std::string_view separator) {
  auto select = db.Prepare(sql);
  if (!select.ok()) return select.status();
  std::string joined;
  while (true) {
    absl::StatusOr<bool> row = select->Step();
    if (!row.ok()) return row.status();
    if (!*row) return joined;
    absl::StrAppend(&joined, joined.empty() ? "" : std::string(separator), select->Text(0));
  }
}

// Whether the store's database is sound: SQLite's integrity and foreign key checks (a killed
// writer must leave a sound file); on PostgreSQL, which the kills do not touch and which checks
// foreign keys itself, no page checksum failure. "ok" and no foreign key errors when sound.
absl::Status CheckSoundness(sql::Connection& db, StoreContents& contents) {
  if (db.dialect() == sql::Dialect::kPostgres) {
    absl::StatusOr<int64_t> failures = db.QueryInteger(
        "SELECT coalesce(sum(checksum_failures), 0) FROM pg_stat_database "
        "WHERE datname = current_database()");
    if (!failures.ok()) return failures.status();
    contents.integrity = *failures == 0 ? "ok" : absl::StrCat(*failures, " checksum failures");
    return absl::OkStatus();
  }
  absl::StatusOr<std::string> integrity = Column(db, "PRAGMA integrity_check", "\n");
  if (!integrity.ok()) return integrity.status();
  contents.integrity = *integrity;
  absl::StatusOr<std::string> foreign_keys = Column(db, "PRAGMA foreign_key_check", " ");
  if (!foreign_keys.ok()) return foreign_keys.status();
  contents.foreign_keys = *foreign_keys;
  return absl::OkStatus();
}

absl::Status ReadRows(sql::Connection& db, StoreContents& contents) {
  // The idempotency key table has no index on resource: match keys to rows here.
  std::map<std::string, std::vector<std::pair<std::string, std::string>>> keys_by_resource;
  {
    auto select = db.Prepare("SELECT resource, account_id, key FROM idempotency_key");
    if (!select.ok()) return select.status();
    while (true) {
      absl::StatusOr<bool> more = select->Step();
      if (!more.ok()) return more.status();
      if (!*more) break;
      keys_by_resource[select->Text(0)].emplace_back(select->Text(1), select->Text(2));
    }
  }
  auto select = db.Prepare("SELECT id, organisation, created_by, body FROM contact_request");
  if (!select.ok()) return select.status();
  while (true) {
    absl::StatusOr<bool> more = select->Step();
    if (!more.ok()) return more.status();
    if (!*more) break;
    Row row;
    row.id = select->Text(0);
    row.organisation = select->Text(1);
    row.created_by = select->Text(2);
    v1::ContactRequest body;
    if (!body.ParseFromString(select->Text(3))) return absl::DataLossError("unparsable body");
    row.request_id = body.message().starts_with(kReferencePrefix)
                         ? body.message().substr(sizeof(kReferencePrefix) - 1)
                         : "?" + body.message();
    auto keys = keys_by_resource.find("contactRequests/" + row.id);
    if (keys != keys_by_resource.end()) {
      row.keys = static_cast<int>(keys->second.size());
      row.key_account = keys->second.front().first;
      row.key = keys->second.front().second;
      keys_by_resource.erase(keys);
    }
    contents.rows.push_back(std::move(row));
  }
  for (const auto& [resource, keys] : keys_by_resource) contents.dangling_keys += keys.size();
  auto audited =
      db.QueryInteger("SELECT count(*) FROM audit WHERE action = 'create_contact_request'");
  if (!audited.ok()) return audited.status();
  contents.audited_creations = *audited;
  return absl::OkStatus();
}

// The store at `target` as the next server would open it (on SQLite the first connection recovers
// the WAL).
absl::StatusOr<StoreContents> ReadStore(const std::string& target) {
  absl::StatusOr<std::unique_ptr<service::Store>> store = service::Store::Open(target);
  if (!store.ok()) return store.status();
  StoreContents contents;
  absl::Status status = (*store)->Read([&](sql::Connection& db) -> absl::Status {
    if (absl::Status sound = CheckSoundness(db, contents); !sound.ok()) return sound;
    return ReadRows(db, contents);
  });
  if (!status.ok()) return status;
  return contents;
}

absl::StatusOr<std::string> AccountId(const std::string& target, const std::string& email) {
  absl::StatusOr<std::unique_ptr<service::Store>> store = service::Store::Open(target);
  if (!store.ok()) return store.status();
  std::string id;
  absl::Status status = (*store)->Read([&](sql::Connection& db) -> absl::Status {
    auto select = db.Prepare("SELECT id FROM account WHERE email = ?1");
    if (!select.ok()) return select.status();
    select->Bind(1, email);
    absl::StatusOr<bool> row = select->Step();
    if (!row.ok()) return row.status();
    if (!*row) return absl::NotFoundError(email);
    id = select->Text(0);
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return id;
}

// Checks the store against what the clients saw: every acknowledged request exactly once and
// under its acknowledged name, every row one that a client sent, no row twice, a sound file.
// Returns the request_ids stored.
std::set<std::string> ExpectStoreMatches(const std::string& store,
                                         const std::vector<Client>& clients) {
  absl::StatusOr<StoreContents> contents = ReadStore(store);
  EXPECT_TRUE(contents.ok()) << contents.status();
  if (!contents.ok()) return {};
  EXPECT_EQ(contents->integrity, "ok");
  EXPECT_EQ(contents->foreign_keys, "");
  EXPECT_EQ(contents->dangling_keys, 0);
  EXPECT_EQ(contents->audited_creations, static_cast<int64_t>(contents->rows.size()));

  std::map<std::string, const Client*> sender;  // every request_id any client sent
  for (const Client& client : clients) {
    for (const auto& [request_id, name] : client.acknowledged) sender[request_id] = &client;
    for (const std::string& request_id : client.ever_unknown) sender[request_id] = &client;
  }
  std::map<std::string, const Row*> stored;
  for (const Row& row : contents->rows) {
    EXPECT_TRUE(stored.emplace(row.request_id, &row).second)
        << "request " << row.request_id << " stored twice";
    EXPECT_EQ(row.keys, 1) << "request " << row.request_id << " has " << row.keys
                           << " idempotency keys";
    EXPECT_EQ(row.key, row.request_id);
    auto from = sender.find(row.request_id);
    if (from == sender.end()) {
      ADD_FAILURE() << "stored request " << row.request_id << " was never sent";
      continue;
    }
    EXPECT_EQ(row.created_by, from->second->account_id) << row.request_id;
    EXPECT_EQ(row.key_account, from->second->account_id) << row.request_id;
    EXPECT_EQ(row.organisation, from->second->organisation) << row.request_id;
  }
  size_t acknowledged = 0;
  size_t unknown_and_stored = 0;
  int lost = 0;
  for (const Client& client : clients) {
    acknowledged += client.acknowledged.size();
    for (const auto& [request_id, name] : client.acknowledged) {
      auto row = stored.find(request_id);
      if (row == stored.end()) {
        if (++lost <= 10) ADD_FAILURE() << "acknowledged request " << request_id << " is lost";
        continue;
      }
      EXPECT_EQ("contactRequests/" + row->second->id, name) << request_id;
    }
    for (const std::string& request_id : client.ever_unknown) {
      if (!client.acknowledged.contains(request_id) && stored.contains(request_id)) {
        ++unknown_and_stored;
      }
    }
  }
  EXPECT_EQ(lost, 0) << "acknowledged requests lost";
  EXPECT_EQ(contents->rows.size(), acknowledged + unknown_and_stored);
  std::set<std::string> ids;
  for (const auto& [request_id, row] : stored) ids.insert(request_id);
  return ids;
}

// How many requests the organisation of `token` has, as the service lists them. (Paging through
// all of them costs a read of every request per page.)
absl::StatusOr<int> ListedTotal(v1::ContactRequestService::Stub& stub, const std::string& token) {
  v1::ListContactRequestsRequest request;
  request.set_page_size(1);
  v1::ListContactRequestsResponse response;
  grpc::ClientContext context;
  testing::Authorize(context, token);
  grpc::Status status = stub.ListContactRequests(&context, request, &response);
  if (!status.ok()) return absl::InternalError(status.error_message());
  return response.total_size();
}

// The request `name` as the service shows it to `token`; its message carries its request_id.
absl::StatusOr<std::string> ShownRequestId(v1::ContactRequestService::Stub& stub,
                                           const std::string& token, const std::string& name) {
  v1::GetContactRequestRequest request;
  request.set_name(name);
  v1::GetContactRequestResponse response;
  grpc::ClientContext context;
  testing::Authorize(context, token);
  grpc::Status status = stub.GetContactRequest(&context, request, &response);
  if (!status.ok()) return absl::InternalError(status.error_message());
  return response.contact_request().message().substr(sizeof(kReferencePrefix) - 1);
}

class RequestKillTest : public ::testing::Test {
 protected:
  void SetUp() override {
    directory_ = std::filesystem::temp_directory_path() /
                 ("verkenner-request-kill-" + std::to_string(getpid()));
    std::filesystem::remove_all(directory_);
    std::filesystem::create_directories(directory_);
    auto test_store = testing::TestStore::Create(directory_);
    ASSERT_TRUE(test_store.ok()) << test_store.status();
    test_store_ = std::move(*test_store);
    store_ = test_store_->target();
    log_ = (directory_ / "server.log").string();
  }
  void TearDown() override {
    test_store_.reset();
    if (!HasFailure()) std::filesystem::remove_all(directory_);
  }

  // A small index of active profiles; returns a few of their ids.
  std::vector<std::string> BuildIndex() {
    auto reference = engine::ReferenceData::Load(engine::ReferenceData::DefaultDirectory());
    EXPECT_TRUE(reference.ok()) << reference.status();
    if (!reference.ok()) return {};
    absl::StatusOr<testing::TestIndex> built =
        testing::BuildTestIndex(directory_, kProfiles, *reference);
    EXPECT_TRUE(built.ok()) << built.status();
    if (!built.ok()) return {};
    index_ = built->index_path;
    std::vector<std::string> ids;
    Xapian::Database database(index_);
    for (auto term = database.allterms_begin(engine::schema::kPrefixProfileId);
         term != database.allterms_end(engine::schema::kPrefixProfileId) &&
         ids.size() < static_cast<size_t>(kProfilesAskedAbout);
         ++term) {
      ids.push_back((*term).substr(1));
    }
    return ids;
  }

  std::filesystem::path directory_;
  std::unique_ptr<testing::TestStore> test_store_;
  std::string index_;
  std::string store_;
  std::string log_;
};

TEST_F(RequestKillTest, AcknowledgedRequestsSurviveKilledServersExactlyOnce) {
  const auto started = std::chrono::steady_clock::now();
  const std::vector<std::string> profiles = BuildIndex();
  ASSERT_EQ(profiles.size(), static_cast<size_t>(kProfilesAskedAbout));

  std::vector<Client> clients(kClients);
  for (int i = 0; i < kClients; ++i) {
    Client& client = clients[i];
    client.number = i;
    client.retries = i < kClients / 2;
    client.email = absl::StrCat("client", i, "@example.nl");
    client.organisation = absl::StrCat("Werkgever ", i % kOrganisations);
    auto token = testing::AddAccountWithToken(
        store_, testing::TestEmployer(client.email, client.organisation));
    ASSERT_TRUE(token.ok()) << token.status();
    client.token = *token;
    auto id = AccountId(store_, client.email);
    ASSERT_TRUE(id.ok()) << id.status();
    client.account_id = *id;
  }

  const int rounds = std::max(kDefaultRounds, EnvironmentInteger("VERKENNER_KILL_ROUNDS", 0));
  const int seed = EnvironmentInteger("VERKENNER_KILL_SEED", 20261123);
  std::mt19937 random(seed);
  std::uniform_int_distribution<int> delay_ms(50, 300);
  std::cout << "rounds " << rounds << ", seed " << seed << std::endl;

  for (int round = 0; round < rounds; ++round) {
    absl::StatusOr<ServerProcess> server = StartServer(index_, store_, log_);
    ASSERT_TRUE(server.ok()) << "round " << round << ": " << server.status();
    std::atomic<bool> killing = false;
    std::vector<std::thread> threads;
    for (Client& client : clients) {
      threads.emplace_back([&client, port = server->port, &profiles, &killing] {
        RunRound(client, port, profiles, killing);
      });
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms(random)));
    killing = true;
    const int status = Signal(*server, SIGKILL);
    for (std::thread& thread : threads) thread.join();
    ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
        << "round " << round << ": the server was not running when killed (" << status << "); see "
        << log_;
  }
  const auto killed = std::chrono::steady_clock::now();
  for (const Client& client : clients) {
    EXPECT_TRUE(client.failures.empty())
        << "client " << client.number << ": " << client.failures.size()
        << " unexpected answers, first: " << client.failures.front();
  }

  // The file as the last kill left it.
  std::set<std::string> stored = ExpectStoreMatches(store_, clients);

  // One more server: the retrying clients settle what they could not, and every organisation
  // sees its requests.
  absl::StatusOr<ServerProcess> server = StartServer(index_, store_, log_);
  ASSERT_TRUE(server.ok()) << server.status();
  auto stub = Connect(server->port);
  size_t retried_at_end = 0;
  for (Client& client : clients) {
    while (!client.unresolved.empty()) {
      const Attempt& attempt = client.unresolved.front();
      v1::CreateContactRequestResponse response;
      grpc::ClientContext context;
      testing::Authorize(context, client.token);
      const grpc::Status status = stub->CreateContactRequest(&context, attempt.request, &response);
      ASSERT_TRUE(status.ok()) << attempt.request_id << ": " << status.error_message();
      client.acknowledged[attempt.request_id] = response.contact_request().name();
      stored.insert(attempt.request_id);
      client.unresolved.pop_front();
      ++client.retried_ok;
      ++retried_at_end;
    }
  }
  for (int organisation = 0; organisation < kOrganisations; ++organisation) {
    size_t expected_total = 0;
    for (const Client& client : clients) {
      if (client.number % kOrganisations != organisation) continue;
      for (const std::string& request_id : stored) {
        if (request_id.starts_with(absl::StrCat("c", client.number, "-"))) ++expected_total;
      }
    }
    absl::StatusOr<int> total = ListedTotal(*stub, clients[organisation].token);
    ASSERT_TRUE(total.ok()) << total.status();
    EXPECT_EQ(static_cast<size_t>(*total), expected_total) << "organisation " << organisation;
  }
  // Each acknowledged request whose first call was cut short, and a sample of the others, is
  // shown under its acknowledged name to a colleague of the same organisation.
  for (const Client& client : clients) {
    const Client& colleague = clients[(client.number + kOrganisations) % kClients];
    int n = 0;
    for (const auto& [request_id, name] : client.acknowledged) {
      if (!client.ever_unknown.contains(request_id) && n++ % 50 != 0) continue;
      absl::StatusOr<std::string> shown = ShownRequestId(*stub, colleague.token, name);
      ASSERT_TRUE(shown.ok()) << request_id << " " << name << ": " << shown.status();
      EXPECT_EQ(*shown, request_id) << name;
    }
  }
  // The channel stays open: an idle connection no longer holds a graceful stop.
  const int status = Signal(*server, SIGTERM);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status << "; see " << log_;
  // The retries landed exactly once too, and a clean stop leaves a sound file.
  ExpectStoreMatches(store_, clients);

  size_t acknowledged = 0;
  size_t unknown = 0;
  size_t abandoned_stored = 0;
  size_t abandoned = 0;
  int retried_ok = 0;
  for (const Client& client : clients) {
    acknowledged += client.acknowledged.size();
    unknown += client.ever_unknown.size();
    abandoned += client.abandoned.size();
    retried_ok += client.retried_ok;
    for (const std::string& request_id : client.abandoned) {
      abandoned_stored += stored.contains(request_id) ? 1 : 0;
    }
  }
  EXPECT_GT(acknowledged, static_cast<size_t>(rounds));
  std::cout << rounds << " kills: " << acknowledged << " requests acknowledged, " << unknown
            << " with unknown outcome (" << retried_ok << " retried successfully, "
            << retried_at_end << " of them after the last kill; " << abandoned_stored << " of "
            << abandoned << " abandoned ones stored), " << stored.size() << " stored, in "
            << std::chrono::duration_cast<std::chrono::milliseconds>(
                   std::chrono::steady_clock::now() - started)
                   .count()
            << " ms ("
            << std::chrono::duration_cast<std::chrono::milliseconds>(killed - started).count()
            << " ms to the last kill)" << std::endl;
}

}  // namespace
}  // namespace verkenner
