// Several verkenner-server processes on one PostgreSQL store behind HAProxy, as scripts/cluster
// runs them, under faults:
// - instances are SIGKILLed and restarted while clients submit contact requests through HAProxy:
//   every acknowledged request is stored exactly once, and a resend of one whose answer was lost
//   answers OK with the same request;
// - the primary is killed and its synchronous standby promoted while clients submit: no
//   acknowledged request is lost;
// - an account's searches, spread by HAProxy over three instances, are limited as one;
// - a WSP account manager resolves an identity from every instance (the vault on PostgreSQL).
// - imports through HAProxy reach the index writer, also after it was SIGKILLed and another
//   instance took over its lease.
// Runs only on PostgreSQL (ctest's cluster_test_on_postgres); the failover test starts a primary
// and a standby of its own (scripts/postgres), since it destroys them.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "base/postgres/pg_connection.h"
#include "engine/refdata/reference_data.h"
#include "tests/integration/import_stream.h"
#include "tests/integration/server_process.h"
#include "tests/integration/test_accounts.h"
#include "tests/integration/test_index.h"
#include "tests/service/raw_http_client.h"
#include "tests/test_store.h"
#include "verkenner/v1/contact_requests.grpc.pb.h"
#include "verkenner/v1/identity.grpc.pb.h"
#include "verkenner/v1/search.grpc.pb.h"

namespace verkenner {
namespace {

using testing::ServerProcess;

constexpr int kInstances = 3;
constexpr int kClients = 4;
constexpr int kSearchesPerMinute = 5;

// Runs `command` through the shell; its exit status.
int Shell(const std::string& command) { return std::system(command.c_str()); }

// One instance's ports; it keeps them across restarts, as HAProxy's configuration names them.
struct Instance {
  int grpc = testing::FreePort();
  int http = testing::FreePort();
  int metrics = testing::FreePort();
  std::unique_ptr<ServerProcess> process;
};

class ClusterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(testing::TestingOnPostgres()) << "run with VERKENNER_TEST_STORE=postgresql";
    // HAProxy's own 503 pages (while no instance is up) would each log a parse error here.
    setenv("GRPC_VERBOSITY", "NONE", 1);
    directory_ = std::filesystem::temp_directory_path() /
                 absl::StrCat("verkenner-cluster-", getpid(), "-",
                              ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(directory_);
    std::filesystem::create_directories(directory_);
    auto reference = engine::ReferenceData::Load(engine::ReferenceData::DefaultDirectory());
    ASSERT_TRUE(reference.ok()) << reference.status();
    auto test_store = testing::TestStore::Create(directory_);
    ASSERT_TRUE(test_store.ok()) << test_store.status();
    test_store_ = std::move(*test_store);
    // The identity vault in the store's database, as scripts/cluster has it.
    auto index = testing::BuildTestIndex(directory_, 60, *reference, test_store_->target());
    ASSERT_TRUE(index.ok()) << index.status();
    index_ = *std::move(index);
    key_file_ = testing::WriteTestKeyFile(directory_ / "pseudonym.key");
    reference_ = *reference;
    for (int i = 0; i < 5; ++i) {
      profiles_.push_back(index_.pseudonymizer->ProfileId(index_.sources[i].source(),
                                                          index_.sources[i].client_number()));
    }
  }

  void TearDown() override {
    haproxy_.reset();  // a process still running is killed
    instances_.clear();
    test_store_.reset();
    if (!own_postgres_.empty())
      Shell("'" VERKENNER_SOURCE_DIR "/scripts/postgres' stop " + own_postgres_);
    std::filesystem::remove_all(directory_);
    if (!stats_socket_.empty()) std::filesystem::remove(stats_socket_);
  }

  // The accounts, in the store at `target`.
  void AddClients(const std::string& target) {
    for (int i = 0; i < kClients; ++i) {
      auto token = testing::AddAccountWithToken(
          target, testing::TestEmployer(absl::StrCat("klant", i, "@cluster.example"),
                                        absl::StrCat("Cluster BV ", i)));
      ASSERT_TRUE(token.ok()) << token.status();
      tokens_.push_back(*token);
    }
  }

  absl::Status StartInstance(Instance& instance) {
    const std::string log = (directory_ / absl::StrCat("server-", instance.grpc, ".log")).string();
    auto process = testing::StartServer(
        {VERKENNER_SERVER_BINARY, "--index=" + index_.index_path, "--vault=" + index_.vault_path,
         "--store=" + target_, absl::StrCat("--listen=127.0.0.1:", instance.grpc),
         absl::StrCat("--metrics_listen=127.0.0.1:", instance.metrics), "--search_threads=1",
         "--trusted_proxies=127.0.0.1", absl::StrCat("--searches_per_minute=", kSearchesPerMinute),
         "--key_file=" + key_file_, "--writer_lease_term=4s"},
        log);
    if (!process.ok()) return process.status();
    instance.process = std::make_unique<ServerProcess>(std::move(*process));
    return absl::OkStatus();
  }

  // kInstances instances on the store at `target`, and HAProxy in front of them.
  void StartCluster(const std::string& target, int instances = kInstances) {
    target_ = target;
    instances_.resize(instances);
    std::string specs;
    for (Instance& instance : instances_) {
      ASSERT_TRUE(StartInstance(instance).ok());
      absl::StrAppend(&specs, " ", instance.grpc, ":", instance.http, ":", instance.metrics);
    }
    haproxy_port_ = testing::FreePort();
    const std::string config = (directory_ / "haproxy.cfg").string();
    // HAProxy takes socket paths of at most 97 bytes: not below directory_.
    stats_socket_ = (std::filesystem::temp_directory_path() /
                     absl::StrCat("verkenner-haproxy-", getpid(), ".sock"))
                        .string();
    ASSERT_EQ(
        Shell(absl::StrCat("HAPROXY_STATS_SOCKET='", stats_socket_,
                           "' '" VERKENNER_SOURCE_DIR "/scripts/haproxy-config' ", haproxy_port_,
                           " ", testing::FreePort(), specs, " > '", config, "'")),
        0);
    auto haproxy = testing::SpawnServer({"/usr/sbin/haproxy", "-db", "-f", config},
                                        (directory_ / "haproxy.log").string());
    ASSERT_TRUE(haproxy.ok()) << haproxy.status();
    haproxy_ = std::make_unique<ServerProcess>(std::move(*haproxy));
    // Until HAProxy answers and its checks took the followers out of the writer backends
    // (HAProxy starts every server as up).
    for (int i = 0; i < 50 && !Ping(); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    for (int i = 0; i < 100 && UpServers("grpc_writer") + UpServers("web_writer") != 2; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    ASSERT_EQ(UpServers("grpc_writer"), 1);
    ASSERT_EQ(UpServers("web_writer"), 1);
  }

  // How many servers of `backend` HAProxy routes to now, from its stats socket's `show stat`
  // (CSV: proxy name, server name, ..., the status in the 18th field).
  int UpServers(const std::string& backend) {
    const std::string stat = testing::ExchangeUnix(stats_socket_, "show stat\n");
    int up = 0;
    for (absl::string_view line : absl::StrSplit(stat, '\n')) {
      const std::vector<absl::string_view> fields = absl::StrSplit(line, ',');
      if (fields.size() > 17 && fields[0] == backend && fields[1] != "BACKEND" &&
          fields[17].substr(0, 2) == "UP") {
        ++up;
      }
    }
    return up;
  }

  std::shared_ptr<grpc::Channel> Channel() {
    return grpc::CreateChannel(absl::StrCat("127.0.0.1:", haproxy_port_),
                               grpc::InsecureChannelCredentials());
  }

  bool Ping() {
    auto stub = v1::ContactRequestService::NewStub(Channel());
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(1));
    v1::ListContactRequestsRequest request;
    v1::ListContactRequestsResponse response;
    return stub->ListContactRequests(&context, request, &response).error_code() !=
           grpc::StatusCode::UNAVAILABLE;
  }

  static v1::CreateContactRequestRequest NewRequest(const std::string& id,
                                                    const std::string& profile_id) {
    v1::CreateContactRequestRequest request;
    request.set_request_id(id);
    request.set_profile_id(profile_id);
    request.mutable_vacancy()->set_title("Medewerker inpak");
    request.mutable_vacancy()->mutable_hours()->set_min_hours(16);
    request.mutable_vacancy()->mutable_hours()->set_max_hours(24);
    request.mutable_vacancy()->mutable_workplace()->set_postcode("3511 AB");
    request.set_message("Kenmerk " + id);
    request.mutable_contact_person()->set_name("Anna Bakker");
    request.mutable_contact_person()->set_email("anna@cluster.example");
    return request;
  }

  // A WSP account manager claims a new request through HAProxy, then resolves the candidate's
  // identity from each instance directly: the vault is the store's, not one instance's.
  void ExpectEveryInstanceResolves() {
    auto requests = v1::ContactRequestService::NewStub(Channel());
    v1::CreateContactRequestResponse created;
    {
      grpc::ClientContext context;
      testing::Authorize(context, tokens_[0]);
      const grpc::Status status =
          requests->CreateContactRequest(&context, NewRequest("resolve-1", profiles_[0]), &created);
      ASSERT_TRUE(status.ok()) << status.error_message();
    }
    service::NewAccount manager = testing::TestEmployer("am@wsp.example", "WSP");
    manager.role = v1::ACCOUNT_ROLE_WSP_ACCOUNT_MANAGER;
    manager.region_code = created.contact_request().labour_market_region_code();
    auto token = testing::AddAccountWithToken(target_, manager);
    ASSERT_TRUE(token.ok()) << token.status();
    {
      grpc::ClientContext context;
      testing::Authorize(context, *token);
      v1::ClaimContactRequestRequest claim;
      claim.set_name(created.contact_request().name());
      v1::ClaimContactRequestResponse claimed;
      const grpc::Status status = requests->ClaimContactRequest(&context, claim, &claimed);
      ASSERT_TRUE(status.ok()) << status.error_message();
    }
    for (const Instance& instance : instances_) {
      auto identities = v1::IdentityService::NewStub(grpc::CreateChannel(
          absl::StrCat("127.0.0.1:", instance.grpc), grpc::InsecureChannelCredentials()));
      grpc::ClientContext context;
      testing::Authorize(context, *token);
      v1::ResolveIdentityRequest resolve;
      resolve.set_contact_request(created.contact_request().name());
      resolve.set_purpose("Kandidaat benaderen voor een kennismakingsgesprek");
      v1::ResolveIdentityResponse identity;
      const grpc::Status status = identities->ResolveIdentity(&context, resolve, &identity);
      ASSERT_TRUE(status.ok()) << "instance " << instance.grpc << ": " << status.error_message();
      EXPECT_EQ(identity.client_number(), index_.sources[0].client_number());
    }
  }

  // Clients submit and resend through HAProxy until `stop`; then each resends what is unresolved
  // until it is answered. Returns request_id -> the name the service acknowledged.
  std::map<std::string, std::string> Submit(const std::function<void()>& while_submitting) {
    std::atomic<bool> stop{false};
    std::mutex mutex;
    std::map<std::string, std::string> acknowledged;
    std::atomic<int> resends_ok{0};
    std::vector<std::thread> clients;
    for (int c = 0; c < kClients; ++c) {
      clients.emplace_back([&, c] {
        auto stub = v1::ContactRequestService::NewStub(Channel());
        int sent = 0;
        std::string unresolved;  // a request whose answer was lost: sent again until answered
        const auto give_up = std::chrono::steady_clock::now() + std::chrono::minutes(3);
        while ((!stop.load() || !unresolved.empty()) &&
               std::chrono::steady_clock::now() < give_up) {
          const std::string id =
              unresolved.empty() ? absl::StrCat("c", c, "-", sent++) : unresolved;
          const v1::CreateContactRequestRequest request =
              NewRequest(id, profiles_[(c + sent) % profiles_.size()]);
          grpc::ClientContext context;
          testing::Authorize(context, tokens_[c]);
          v1::CreateContactRequestResponse response;
          const grpc::Status status = stub->CreateContactRequest(&context, request, &response);
          if (!status.ok()) {
            unresolved = id;
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
            continue;
          }
          if (!unresolved.empty()) ++resends_ok;
          unresolved.clear();
          // Paced, so that the restarts on two cores are not starved of them.
          std::this_thread::sleep_for(std::chrono::milliseconds(50));
          std::lock_guard<std::mutex> lock(mutex);
          const auto [at, added] = acknowledged.emplace(id, response.contact_request().name());
          EXPECT_TRUE(added) << id << " acknowledged twice";
        }
        EXPECT_TRUE(unresolved.empty())
            << "client " << c << " never got an answer for " << unresolved;
      });
    }
    while_submitting();
    stop = true;
    for (std::thread& client : clients) client.join();
    std::cout << "acknowledged " << acknowledged.size() << " requests, of which "
              << resends_ok.load() << " on a resend\n";
    return acknowledged;
  }

  // Every acknowledged request is in the store at `target` exactly once, under its name, and
  // nothing else is.
  void ExpectStoredExactlyOnce(const std::string& target,
                               const std::map<std::string, std::string>& acknowledged) {
    auto db =
        postgres::PgConnection::Open("check", target, postgres::PgConnection::Mode::kReadOnly);
    ASSERT_TRUE(db.ok()) << db.status();
    auto rows = (*db)->QueryInteger("SELECT count(*) FROM contact_request");
    ASSERT_TRUE(rows.ok()) << rows.status();
    EXPECT_EQ(*rows, static_cast<int64_t>(acknowledged.size()));
    auto keys = (*db)->Prepare(
        "SELECT k.key, k.resource, count(c.id) FROM idempotency_key k "
        "LEFT JOIN contact_request c ON 'contactRequests/' || c.id = k.resource "
        "GROUP BY k.key, k.resource");
    ASSERT_TRUE(keys.ok()) << keys.status();
    std::map<std::string, std::string> stored;
    while (true) {
      auto row = keys->Step();
      ASSERT_TRUE(row.ok()) << row.status();
      if (!*row) break;
      EXPECT_EQ(keys->Integer(2), 1) << keys->Text(0);
      stored[keys->Text(0)] = keys->Text(1);
    }
    EXPECT_EQ(stored, acknowledged);
  }

  // An import of a few rows through HAProxy; its status.
  grpc::Status ImportThroughHaproxy(const std::string& token, const std::string& import_id) {
    auto rows = testing::SourceRows(reference_, "GM0344", 3, static_cast<int>(import_id.size()));
    EXPECT_TRUE(rows.ok()) << rows.status();
    v1::ImportHeader header;
    header.set_import_id(import_id);
    header.set_source("GM0344");
    header.set_mode(v1::IMPORT_MODE_INCREMENTAL);
    header.set_file_name("export.csv");
    auto stub = v1::ProfileImportService::NewStub(Channel());
    v1::ImportProfilesResponse response;
    return testing::SendImport(*stub, token, header, *rows, 3, testing::StreamEnd::kComplete, 0,
                               response);
  }

  // The instances whose GET /healthz/writer answers 200.
  std::vector<size_t> Writers() {
    std::vector<size_t> writers;
    for (size_t i = 0; i < instances_.size(); ++i) {
      if (instances_[i].process == nullptr) continue;
      const std::string answer = testing::Exchange(
          instances_[i].metrics, "GET /healthz/writer HTTP/1.1\r\nConnection: close\r\n\r\n");
      if (answer.rfind("HTTP/1.1 200", 0) == 0) writers.push_back(i);
    }
    return writers;
  }

  std::filesystem::path directory_;
  std::string stats_socket_;
  std::shared_ptr<const engine::ReferenceData> reference_;
  std::string key_file_;
  testing::TestIndex index_;
  std::vector<std::string> profiles_;
  std::unique_ptr<testing::TestStore> test_store_;
  std::string own_postgres_;  // the state directory of a primary and standby of the test's own
  std::string target_;
  std::vector<std::string> tokens_;
  std::vector<Instance> instances_;
  std::unique_ptr<ServerProcess> haproxy_;
  int haproxy_port_ = 0;
};

TEST_F(ClusterTest, KilledInstancesLoseNoAcknowledgedRequestAndSearchesAreLimitedAsOne) {
  AddClients(test_store_->target());
  StartCluster(test_store_->target());

  // One account's searches, spread by HAProxy over the three instances, within one minute.
  auto search = v1::CandidateSearchService::NewStub(Channel());
  int allowed = 0;
  const int64_t minute = absl::ToUnixSeconds(absl::Now()) / 60;
  for (int i = 0; i < 3 * kSearchesPerMinute; ++i) {
    grpc::ClientContext context;
    testing::Authorize(context, tokens_[0]);
    v1::SearchCandidatesRequest request;
    request.set_page_size(1);
    v1::SearchCandidatesResponse response;
    const grpc::Status status = search->SearchCandidates(&context, request, &response);
    if (status.ok()) {
      ++allowed;
    } else {
      EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED)
          << status.error_message();
    }
  }
  if (absl::ToUnixSeconds(absl::Now()) / 60 == minute) {
    EXPECT_EQ(allowed, kSearchesPerMinute);
  } else {
    EXPECT_LE(allowed, 2 * kSearchesPerMinute);  // the minute turned meanwhile
  }

  // 20 kills, 0.2-0.5 s apart, each of a running instance while another runs too, so that HAProxy
  // must route around the dead; each is restarted in the background on the same ports (a restart
  // takes seconds under ASan, which sets the pace).
  int kills = 0;
  std::vector<std::atomic<bool>> up(instances_.size());
  for (auto& flag : up) flag = true;
  std::vector<std::thread> restarts(instances_.size());
  const std::map<std::string, std::string> acknowledged = Submit([&] {
    std::mt19937 random(20261203);
    while (kills < 20) {
      std::this_thread::sleep_for(std::chrono::milliseconds(200 + random() % 300));
      std::vector<size_t> running;
      for (size_t i = 0; i < up.size(); ++i) {
        if (up[i]) running.push_back(i);
      }
      if (running.size() < 2) continue;
      const size_t victim = running[random() % running.size()];
      if (restarts[victim].joinable()) restarts[victim].join();
      testing::Signal(*instances_[victim].process, SIGKILL);
      up[victim] = false;
      ++kills;
      restarts[victim] = std::thread([&, victim] {
        EXPECT_TRUE(StartInstance(instances_[victim]).ok()) << "restart of instance " << victim;
        up[victim] = true;
      });
    }
    for (std::thread& restart : restarts) {
      if (restart.joinable()) restart.join();
    }
  });
  EXPECT_EQ(kills, 20);
  EXPECT_GT(acknowledged.size(), 100u);
  ExpectStoredExactlyOnce(test_store_->target(), acknowledged);

  ExpectEveryInstanceResolves();
}

TEST_F(ClusterTest, ImportsThroughHaproxyReachTheIndexWriterAlsoAfterItDies) {
  StartCluster(test_store_->target());
  service::NewAccount importer = testing::TestEmployer("koppeling@utrecht.example", "GM0344");
  importer.role = v1::ACCOUNT_ROLE_IMPORTER;
  importer.source = "GM0344";
  auto token = testing::AddAccountWithToken(test_store_->target(), importer);
  ASSERT_TRUE(token.ok()) << token.status();

  // One writer among the three; balanced round robin, imports would reach a follower 2 in 3
  // times.
  const std::vector<size_t> writers = Writers();
  ASSERT_EQ(writers.size(), 1u);
  for (int i = 0; i < 3; ++i) {
    const grpc::Status status = ImportThroughHaproxy(*token, absl::StrCat("before-", i));
    EXPECT_TRUE(status.ok()) << "import " << i << ": " << status.error_message();
  }

  // The writer dies: within the lease's term another takes over, and HAProxy's check finds it.
  testing::Signal(*instances_[writers.front()].process, SIGKILL);
  instances_[writers.front()].process.reset();
  const auto killed = std::chrono::steady_clock::now();
  grpc::Status status;
  int attempts = 0;
  do {
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
    status = ImportThroughHaproxy(*token, absl::StrCat("after-", attempts++));
  } while (!status.ok() && std::chrono::steady_clock::now() - killed < std::chrono::seconds(20));
  ASSERT_TRUE(status.ok()) << status.error_message();
  std::cout << "imports through HAProxy reached the new writer "
            << std::chrono::duration<double>(std::chrono::steady_clock::now() - killed).count()
            << " s after the old one was killed\n";
  EXPECT_EQ(Writers().size(), 1u);
  for (int i = 0; i < 3; ++i) {
    status = ImportThroughHaproxy(*token, absl::StrCat("later-", i));
    EXPECT_TRUE(status.ok()) << "import " << i << ": " << status.error_message();
  }
}

TEST_F(ClusterTest, APromotedStandbyHasEveryAcknowledgedRequest) {
  // A durable primary and its synchronous standby of this test's own: it kills the primary.
  own_postgres_ = (directory_ / "postgres").string();
  const std::string postgres = "'" VERKENNER_SOURCE_DIR "/scripts/postgres' ";
  ASSERT_EQ(Shell(postgres + "start " + own_postgres_), 0);
  auto read = [&](const std::string& name) {
    std::ifstream in(std::filesystem::path(own_postgres_) / name);
    std::string text;
    std::getline(in, text);
    return text;
  };
  ASSERT_EQ(Shell(absl::StrCat("cd / && runuser -u postgres -- psql -qAt -h ", read("primary"),
                               " -p ", read("primary.port"),
                               " -U verkenner -d postgres -c 'CREATE DATABASE verkenner'")),
            0);
  ASSERT_EQ(Shell(postgres + "standby " + own_postgres_ + " standby1"), 0);
  const std::string target = absl::StrCat(
      "postgresql://127.0.0.1:", read("primary.port"), ",127.0.0.1:", read("standby1.port"),
      "/verkenner?user=verkenner&target_session_attrs=read-write&connect_timeout=2");
  AddClients(target);
  StartCluster(target, 2);

  const std::map<std::string, std::string> acknowledged = Submit([&] {
    std::this_thread::sleep_for(std::chrono::seconds(2));
    ASSERT_EQ(Shell(postgres + "kill " + own_postgres_), 0);
    ASSERT_EQ(Shell(postgres + "promote " + own_postgres_ + " standby1"), 0);
    std::this_thread::sleep_for(std::chrono::seconds(3));
  });
  std::cout << "failover: " << acknowledged.size() << " acknowledged in all\n";
  EXPECT_GT(acknowledged.size(), 50u);
  // The old primary is gone; the standby alone holds the store now.
  ExpectStoredExactlyOnce(target, acknowledged);
}

}  // namespace
}  // namespace verkenner
