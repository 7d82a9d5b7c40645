// verkenner-admin backup and restore, end to end: a backup taken while a server answers contact
// requests and searches, restored at new paths, serves every request that was acknowledged before
// the backup began, searches the same profiles, and resolves identities (store, vault, index and
// key restored as one set).
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <iostream>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "engine/refdata/reference_data.h"
#include "tests/integration/server_process.h"
#include "tests/integration/test_accounts.h"
#include "tests/integration/test_index.h"
#include "tests/program_run.h"
#include "tests/test_store.h"
#include "verkenner/v1/contact_requests.grpc.pb.h"
#include "verkenner/v1/identity.grpc.pb.h"
#include "verkenner/v1/search.grpc.pb.h"

namespace verkenner {
namespace {

namespace fs = std::filesystem;
using testing::ServerProcess;

constexpr int kProfiles = 60;

// The state of one installation, as the programs' flags name it.
struct Installation {
  std::string store, index, vault, key_file;
  std::vector<std::string> Flags() const {
    return {"--store=" + store, "--index=" + index, "--vault=" + vault, "--key_file=" + key_file};
  }
};

class BackupRestoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    directory_ = fs::temp_directory_path() / absl::StrCat("verkenner-backup-", getpid());
    fs::remove_all(directory_);
    fs::create_directories(directory_ / "live");
    auto reference = engine::ReferenceData::Load(engine::ReferenceData::DefaultDirectory());
    ASSERT_TRUE(reference.ok()) << reference.status();
    auto live_store = testing::TestStore::Create(directory_ / "live");
    ASSERT_TRUE(live_store.ok()) << live_store.status();
    live_store_ = std::move(*live_store);
    auto index = testing::BuildTestIndex(directory_ / "live", kProfiles, *reference,
                                         live_store_->VaultTarget(directory_ / "live"));
    ASSERT_TRUE(index.ok()) << index.status();
    index_ = std::move(*index);
    live_ = {live_store_->target(), index_.index_path, index_.vault_path,
             testing::WriteTestKeyFile(directory_ / "live" / "key")};
    auto employer = testing::AddAccountWithToken(
        live_.store, testing::TestEmployer("werkgever@backup.example", "Backup BV"));
    ASSERT_TRUE(employer.ok()) << employer.status();
    employer_ = *employer;
  }
  void TearDown() override {
    live_store_.reset();
    restored_store_.reset();
    fs::remove_all(directory_);
  }

  absl::StatusOr<ServerProcess> Serve(const Installation& installation, const std::string& log) {
    // Quotas as high as they go: the load searches more than an employer may.
    std::vector<std::string> arguments = {VERKENNER_SERVER_BINARY, "--listen=127.0.0.1:0",
                                          "--search_threads=1", "--searches_per_minute=100000",
                                          "--organisation_searches_per_minute=100000"};
    for (const std::string& flag : installation.Flags()) arguments.push_back(flag);
    return testing::StartServer(arguments, (directory_ / log).string());
  }

  ProgramRun Admin(const std::string& command, const Installation& installation,
                   const std::string& extra) {
    std::vector<std::string> arguments = installation.Flags();
    arguments.push_back(command);
    arguments.push_back(extra);
    return RunProgram(VERKENNER_ADMIN_BINARY, arguments, directory_);
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
    request.mutable_contact_person()->set_email("anna@backup.example");
    return request;
  }

  // The ids of the first 100 profiles of an empty search, and the region of the first.
  std::vector<std::string> ProfileIds(int port, int64_t* total, std::string* region = nullptr) {
    auto search = v1::CandidateSearchService::NewStub(
        grpc::CreateChannel(absl::StrCat("127.0.0.1:", port), grpc::InsecureChannelCredentials()));
    v1::SearchCandidatesRequest request;
    request.set_page_size(100);
    v1::SearchCandidatesResponse response;
    grpc::ClientContext context;
    testing::Authorize(context, employer_);
    const grpc::Status status = search->SearchCandidates(&context, request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    *total = response.total_size();
    std::vector<std::string> ids;
    for (const auto& match : response.matches()) ids.push_back(match.profile().profile_id());
    if (region != nullptr && !ids.empty()) {
      *region = response.matches(0).profile().area().labour_market_region_code();
    }
    return ids;
  }

  fs::path directory_;
  std::unique_ptr<testing::TestStore> live_store_, restored_store_;  // SQLite or PostgreSQL
  testing::TestIndex index_;
  Installation live_;
  std::string employer_;
};

TEST_F(BackupRestoreTest, ABackupTakenUnderLoadRestoresEveryAcknowledgedRequest) {
  absl::StatusOr<ServerProcess> server = Serve(live_, "live.log");
  ASSERT_TRUE(server.ok()) << server.status();
  int64_t profiles = 0;
  std::string region;
  const std::vector<std::string> ids = ProfileIds(server->port, &profiles, &region);
  ASSERT_FALSE(ids.empty());
  service::NewAccount manager = testing::TestEmployer("am@backup.example", "WSP " + region);
  manager.role = v1::ACCOUNT_ROLE_WSP_ACCOUNT_MANAGER;
  manager.region_code = region;
  absl::StatusOr<std::string> wsp = testing::AddAccountWithToken(live_.store, manager);
  ASSERT_TRUE(wsp.ok()) << wsp.status();

  // Load: contact requests and searches, as fast as the server answers, until told to stop.
  std::mutex mutex;
  std::vector<std::string> acknowledged;  // names of the requests the server confirmed
  std::atomic<bool> stop{false};
  int refusals = 0;  // guarded by mutex
  std::thread load([&] {
    auto channel = grpc::CreateChannel(absl::StrCat("127.0.0.1:", server->port),
                                       grpc::InsecureChannelCredentials());
    auto requests = v1::ContactRequestService::NewStub(channel);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    for (int i = 0; !stop.load() && std::chrono::steady_clock::now() < deadline; ++i) {
      v1::CreateContactRequestResponse created;
      grpc::ClientContext context;
      testing::Authorize(context, employer_);
      const grpc::Status status = requests->CreateContactRequest(
          &context, NewRequest(absl::StrCat("r", i), ids[i % ids.size()]), &created);
      std::lock_guard<std::mutex> lock(mutex);
      if (status.ok()) {
        acknowledged.push_back(created.contact_request().name());
      } else if (refusals++ == 0) {
        ADD_FAILURE() << "a contact request was refused: " << status.error_message();
      }
      int64_t ignored = 0;
      if (i % 8 == 0) ProfileIds(server->port, &ignored);
    }
  });
  // Some requests first, so that the backup lands in the middle of the load.
  for (int wait = 0; wait < 200; ++wait) {
    {
      std::lock_guard<std::mutex> lock(mutex);
      if (acknowledged.size() >= 20) break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  std::vector<std::string> before_backup;
  {
    std::lock_guard<std::mutex> lock(mutex);
    before_backup = acknowledged;
  }
  const std::string set = (directory_ / "set").string();
  const ProgramRun backup = Admin("backup", live_, "--to=" + set);
  ASSERT_EQ(backup.exit_code, 0) << backup.err;
  std::this_thread::sleep_for(std::chrono::milliseconds(200));  // load goes on after it
  stop = true;
  load.join();
  size_t after_backup = 0;
  {
    std::lock_guard<std::mutex> lock(mutex);
    after_backup = acknowledged.size() - before_backup.size();
  }
  EXPECT_GE(before_backup.size(), 20u);
  EXPECT_GT(after_backup, 0u) << "the server went on answering during and after the backup";
  EXPECT_EQ(testing::Signal(*server, SIGTERM), 0);

  // Every file of the set is the owner's only.
  for (const auto& entry : fs::recursive_directory_iterator(set)) {
    struct stat info {};
    ASSERT_EQ(stat(entry.path().c_str(), &info), 0);
    EXPECT_EQ(info.st_mode & 077, 0u) << entry.path();
  }

  fs::create_directories(directory_ / "restored");
  auto restored_store = testing::TestStore::Create(directory_ / "restored");  // an empty one
  ASSERT_TRUE(restored_store.ok()) << restored_store.status();
  restored_store_ = std::move(*restored_store);
  const Installation restored = {restored_store_->target(),
                                 (directory_ / "restored" / "index").string(),
                                 restored_store_->VaultTarget(directory_ / "restored"),
                                 (directory_ / "restored" / "key").string()};
  const ProgramRun restore = Admin("restore", restored, "--from=" + set);
  ASSERT_EQ(restore.exit_code, 0) << restore.err;
  // A restore never overwrites.
  EXPECT_EQ(Admin("restore", restored, "--from=" + set).exit_code, 1);

  absl::StatusOr<ServerProcess> again = Serve(restored, "restored.log");
  ASSERT_TRUE(again.ok()) << again.status();
  int64_t restored_profiles = 0;
  EXPECT_EQ(ProfileIds(again->port, &restored_profiles), ids);
  EXPECT_EQ(restored_profiles, profiles);
  auto requests = v1::ContactRequestService::NewStub(grpc::CreateChannel(
      absl::StrCat("127.0.0.1:", again->port), grpc::InsecureChannelCredentials()));
  int missing = 0;
  for (const std::string& name : before_backup) {
    v1::GetContactRequestRequest get;
    get.set_name(name);
    v1::GetContactRequestResponse got;
    grpc::ClientContext context;
    testing::Authorize(context, employer_);
    if (!requests->GetContactRequest(&context, get, &got).ok()) ++missing;
  }
  EXPECT_EQ(missing, 0) << "of " << before_backup.size() << " acknowledged before the backup";
  std::cout << before_backup.size() << " requests acknowledged before the backup, " << after_backup
            << " during and after it; " << missing << " missing after restore\n";

  // The vault and the key came along: the WSP resolves who the first request is about.
  v1::ClaimContactRequestRequest claim;
  claim.set_name(before_backup[0]);
  v1::ClaimContactRequestResponse claimed;
  grpc::ClientContext claim_context;
  testing::Authorize(claim_context, *wsp);
  ASSERT_TRUE(requests->ClaimContactRequest(&claim_context, claim, &claimed).ok());
  auto identities = v1::IdentityService::NewStub(grpc::CreateChannel(
      absl::StrCat("127.0.0.1:", again->port), grpc::InsecureChannelCredentials()));
  v1::ResolveIdentityRequest resolve;
  resolve.set_contact_request(before_backup[0]);
  resolve.set_purpose("Kandidaat benaderen na het terugzetten van de backup");
  v1::ResolveIdentityResponse identity;
  grpc::ClientContext resolve_context;
  testing::Authorize(resolve_context, *wsp);
  const grpc::Status resolved = identities->ResolveIdentity(&resolve_context, resolve, &identity);
  ASSERT_TRUE(resolved.ok()) << resolved.error_message();
  bool known = false;
  for (const v1::SourceProfile& source : index_.sources) {
    known |= source.client_number() == identity.client_number() &&
             index_.pseudonymizer->ProfileId(source.source(), source.client_number()) == ids[0];
  }
  EXPECT_TRUE(known) << "the identity of the profile the request is about";
  EXPECT_EQ(testing::Signal(*again, SIGTERM), 0);
}

TEST_F(BackupRestoreTest, ABackupRefusesAnExistingDirectoryAndARestoreAnIncompleteSet) {
  fs::create_directories(directory_ / "taken");
  const ProgramRun taken = Admin("backup", live_, "--to=" + (directory_ / "taken").string());
  EXPECT_EQ(taken.exit_code, 1);
  EXPECT_NE(taken.err.find("exists"), std::string::npos) << taken.err;
  const Installation nowhere = {(directory_ / "n.sqlite").string(), (directory_ / "n").string(),
                                (directory_ / "n.vault").string(), (directory_ / "n.key").string()};
  const ProgramRun incomplete =
      Admin("restore", nowhere, "--from=" + (directory_ / "taken").string());
  EXPECT_EQ(incomplete.exit_code, 1);
  EXPECT_NE(incomplete.err.find("MANIFEST"), std::string::npos) << incomplete.err;
  EXPECT_FALSE(fs::exists(nowhere.store));
}

}  // namespace
}  // namespace verkenner
