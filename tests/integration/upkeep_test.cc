// The server's scheduled upkeep (verkenner-server --upkeep_interval): profiles whose retention
// ended leave the index and the identity vault although no import comes, on the index writer,
// as an import's own sweep or verkenner-index --sweep_only would purge them.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <unistd.h>
#include <xapian.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <thread>

#include "absl/strings/str_cat.h"
#include "engine/refdata/reference_data.h"
#include "indexer/identity_vault.h"
#include "service/server.h"
#include "tests/integration/import_stream.h"
#include "tests/integration/test_accounts.h"
#include "tests/integration/test_installation.h"
#include "tests/test_store.h"

namespace verkenner {
namespace {

namespace fs = std::filesystem;

constexpr int kProfiles = 20;
constexpr int kLeavers = 3;
constexpr char kSource[] = "GM0344";

class UpkeepTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto installation = testing::CreateTestInstallation("upkeep", kProfiles);
    ASSERT_TRUE(installation.ok()) << installation.status();
    installation_ = std::move(*installation);
    store_ = installation_->store.get();
    index_ = installation_->index;
    service::NewAccount importer = testing::TestEmployer("koppeling@upkeep.example", "Utrecht");
    importer.role = v1::ACCOUNT_ROLE_IMPORTER;
    importer.source = kSource;
    auto token = testing::AddAccountWithToken(store_->target(), importer);
    ASSERT_TRUE(token.ok()) << token.status();
    importer_ = *token;

    service::Server::Options options = installation_->ServerOptions();
    options.today = [this] { return today_.load(); };
    options.upkeep_interval = absl::Milliseconds(200);
    auto server = service::Server::Start(std::move(options));
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
  }
  void TearDown() override {
    server_.reset();
    installation_.reset();
  }

  int64_t IndexDocuments() {
    return static_cast<int64_t>(Xapian::Database(index_.index_path).get_doccount());
  }

  std::unique_ptr<testing::TestInstallation> installation_;
  testing::TestStore* store_ = nullptr;
  testing::TestIndex index_;
  std::string importer_;
  std::atomic<int64_t> today_{testing::kTestToday};
  std::unique_ptr<service::Server> server_;
};

TEST_F(UpkeepTest, ProfilesWhoseRetentionEndedArePurgedWithoutAnImport) {
  // Three clients who left the register a month ago: kept until 31 December 2028.
  std::vector<v1::SourceProfile> leavers(index_.sources.begin(), index_.sources.begin() + kLeavers);
  std::vector<std::string> ids;
  for (int i = 0; i < kLeavers; ++i) {
    leavers[i].set_source(kSource);
    leavers[i].set_client_number(absl::StrCat("vertrokken-", i));
    leavers[i].set_register_start("2020-01-01");
    leavers[i].set_register_end("2026-10-01");
    ids.push_back(index_.pseudonymizer->ProfileId(kSource, leavers[i].client_number()));
  }
  v1::ImportHeader header;
  header.set_import_id("vertrokken");
  header.set_source(kSource);
  header.set_mode(v1::IMPORT_MODE_INCREMENTAL);
  header.set_file_name("export.csv");
  auto stub = v1::ProfileImportService::NewStub(server_->InProcessChannel());
  v1::ImportProfilesResponse response;
  const grpc::Status imported = testing::SendImport(*stub, importer_, header, leavers, 100,
                                                    testing::StreamEnd::kComplete, 0, response);
  ASSERT_TRUE(imported.ok()) << imported.error_message();
  ASSERT_EQ(response.report().created(), kLeavers);
  ASSERT_EQ(IndexDocuments(), kProfiles + kLeavers);

  // The year 2029 comes, and no import with it.
  today_ = testing::kTestToday + 1000;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  // The round's metrics are set after its commits: wait for both.
  const auto done = [&] {
    return IndexDocuments() == kProfiles &&
           server_->MetricsText().find("verkenner_index_upkeep_expired_purged 3") !=
               std::string::npos;
  };
  while (!done() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_EQ(IndexDocuments(), kProfiles) << "the leavers are still in the index";
  auto vault = indexer::IdentityVault::OpenReadOnly(index_.vault_path);
  ASSERT_TRUE(vault.ok()) << vault.status();
  for (const std::string& id : ids) {
    auto entry = (*vault)->Lookup(id);
    ASSERT_TRUE(entry.ok()) << entry.status();
    EXPECT_FALSE(entry->has_value()) << "the vault still links a leaver to the person";
  }
  const std::string metrics = server_->MetricsText();
  EXPECT_NE(metrics.find("verkenner_index_upkeep_expired_purged 3"), std::string::npos) << metrics;
  EXPECT_NE(metrics.find("verkenner_index_upkeep_time_seconds"), std::string::npos);
}

}  // namespace
}  // namespace verkenner
