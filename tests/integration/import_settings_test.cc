// verkenner-server's imports through the API keep the operator's import settings, the same flags
// verkenner-index takes (indexer/import_flags.h): --retention_years decides whether a
// registration that ended keeps its profile, and --k how finely the index shows areas after the
// import. Before, the server used its defaults and so undid the operator's --k with every
// import. Real server processes over gRPC on 127.0.0.1, restarted with SIGTERM.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "tests/integration/import_stream.h"
#include "tests/integration/server_process.h"
#include "tests/integration/test_accounts.h"
#include "tests/integration/test_index.h"

namespace verkenner {
namespace {

namespace fs = std::filesystem;

constexpr char kSource[] = "GM0344";

class ImportSettingsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    directory_ = fs::temp_directory_path() / absl::StrCat("verkenner-import-settings-", getpid());
    fs::remove_all(directory_);
    fs::create_directories(directory_);
    auto reference = engine::ReferenceData::Load(engine::ReferenceData::DefaultDirectory());
    ASSERT_TRUE(reference.ok()) << reference.status();
    reference_ = *reference;
    auto index = testing::BuildTestIndex(directory_, 20, reference_);
    ASSERT_TRUE(index.ok()) << index.status();
    index_ = *index;
    store_ = (directory_ / "store.db").string();
    service::NewAccount importer = testing::TestEmployer("koppeling@utrecht.example", kSource);
    importer.role = v1::ACCOUNT_ROLE_IMPORTER;
    importer.source = kSource;
    auto importer_token = testing::AddAccountWithToken(store_, importer);
    ASSERT_TRUE(importer_token.ok()) << importer_token.status();
    importer_token_ = *importer_token;
  }

  void TearDown() override {
    server_.reset();
    fs::remove_all(directory_);
  }

  // SIGTERM, as an operator restarts it: it gives up the index writer's lease at once.
  void Stop() {
    ASSERT_EQ(testing::Signal(*server_, SIGTERM), 0);
    server_.reset();
  }

  void Start(std::vector<std::string> settings) {
    std::vector<std::string> arguments = {
        VERKENNER_SERVER_BINARY,
        "--index=" + index_.index_path,
        "--vault=" + index_.vault_path,
        "--store=" + store_,
        "--key_file=" + testing::WriteTestKeyFile(directory_ / "pseudonym.key"),
        "--search_threads=1",
        "--listen=127.0.0.1:0"};
    arguments.insert(arguments.end(), settings.begin(), settings.end());
    auto server = testing::StartServer(arguments, (directory_ / "server.log").string());
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::make_unique<testing::ServerProcess>(std::move(*server));
  }

  std::shared_ptr<grpc::Channel> Channel() const {
    return grpc::CreateChannel(absl::StrCat("127.0.0.1:", server_->port),
                               grpc::InsecureChannelCredentials());
  }

  // An incremental import of `rows` through the server; its report.
  v1::ImportReport Import(const std::string& import_id,
                          const std::vector<v1::SourceProfile>& rows) {
    v1::ImportHeader header;
    header.set_import_id(import_id);
    header.set_source(kSource);
    header.set_mode(v1::IMPORT_MODE_INCREMENTAL);
    header.set_file_name("export.csv");
    auto stub = v1::ProfileImportService::NewStub(Channel());
    v1::ImportProfilesResponse response;
    grpc::Status status = testing::SendImport(*stub, importer_token_, header, rows, 10,
                                              testing::StreamEnd::kComplete, 0, response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response.report();
  }

  // Profiles of kSource, all living in Utrecht: the first `ended` with a registration that ended
  // on 1 June 2023.
  std::vector<v1::SourceProfile> Rows(int count, int ended, int version) {
    auto rows = testing::SourceRows(reference_, kSource, count, version);
    EXPECT_TRUE(rows.ok()) << rows.status();
    if (!rows.ok()) return {};
    for (int i = 0; i < count; ++i) {
      (*rows)[i].set_postcode("3511 AB");
      if (i < ended) (*rows)[i].set_register_end("2023-06-01");
    }
    return *rows;
  }

  fs::path directory_;
  std::shared_ptr<const engine::ReferenceData> reference_;
  testing::TestIndex index_;
  std::string store_, importer_token_;
  std::unique_ptr<testing::ServerProcess> server_;
};

TEST_F(ImportSettingsTest, RetentionYearsDecideWhetherAnEndedRegistrationIsKept) {
  Start({});  // 2 years: an end in June 2023 was past retention on 1 January 2026
  v1::ImportReport report = Import("default-retention", Rows(3, 1, 1));
  EXPECT_EQ(report.expired(), 1) << report.DebugString();
  EXPECT_EQ(report.created(), 2) << report.DebugString();
  Stop();
  Start({"--retention_years=5"});
  report = Import("five-years", Rows(3, 1, 2));
  EXPECT_EQ(report.expired(), 0) << report.DebugString();
  EXPECT_EQ(report.created() + report.updated(), 3) << report.DebugString();
}

// The report says which k the import applied and how many of the source's profiles it had to
// show by their region instead of their municipality: with k 2 fewer than with k 12, when all
// of them (8 in one municipality, spread over education levels) are.
TEST_F(ImportSettingsTest, AnImportThroughTheServerAppliesTheOperatorsK) {
  Start({"--k=2"});
  v1::ImportReport report = Import("small-groups", Rows(8, 0, 1));
  EXPECT_EQ(report.k_threshold(), 2) << report.DebugString();
  const int64_t at_2 = report.generalised_profiles();
  Stop();
  Start({});  // the default k, 12
  report = Import("default-groups", Rows(8, 0, 2));
  EXPECT_EQ(report.k_threshold(), 12) << report.DebugString();
  EXPECT_EQ(report.generalised_profiles(), report.active_profiles()) << report.DebugString();
  EXPECT_LT(at_2, report.generalised_profiles()) << "k 2 shows more municipalities than k 12";
}

// The same setting from the environment, as a container sets it (VERKENNER_K is --k; the
// command line wins).
TEST_F(ImportSettingsTest, TheEnvironmentSetsTheSameSetting) {
  setenv("VERKENNER_K", "3", 1);
  Start({});
  unsetenv("VERKENNER_K");
  EXPECT_EQ(Import("from-environment", Rows(4, 0, 1)).k_threshold(), 3);
  Stop();
  setenv("VERKENNER_K", "3", 1);
  Start({"--k=4"});
  unsetenv("VERKENNER_K");
  EXPECT_EQ(Import("command-line-wins", Rows(4, 0, 2)).k_threshold(), 4);
}

}  // namespace
}  // namespace verkenner
