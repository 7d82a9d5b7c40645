// examples/verkenner_client.py, the client docs/API.md offers municipalities to copy, against a
// real verkenner-server over HTTP on 127.0.0.1: it uploads an export with an importer's API
// token and waits for the report, searches with an employer's, and reports a refusal with the
// server's code and exit 1.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "indexer/source_format.h"
#include "indexer/synthetic/synthetic_profile_generator.h"
#include "tests/integration/server_process.h"
#include "tests/integration/test_accounts.h"
#include "tests/integration/test_index.h"
#include "tests/program_run.h"

namespace verkenner {
namespace {

constexpr char kClient[] = VERKENNER_SOURCE_DIR "/examples/verkenner_client.py";
constexpr char kSource[] = "GM0344";

class ExampleClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    directory_ = std::filesystem::temp_directory_path() /
                 absl::StrCat("verkenner-example-client-", getpid());
    std::filesystem::remove_all(directory_);
    std::filesystem::create_directories(directory_);
    auto reference = engine::ReferenceData::Load(engine::ReferenceData::DefaultDirectory());
    ASSERT_TRUE(reference.ok()) << reference.status();
    reference_ = *reference;
    auto index = testing::BuildTestIndex(directory_, 40, reference_);
    ASSERT_TRUE(index.ok()) << index.status();
    const std::string store = (directory_ / "store.db").string();
    service::NewAccount importer = testing::TestEmployer("koppeling@utrecht.example", kSource);
    importer.role = v1::ACCOUNT_ROLE_IMPORTER;
    importer.source = kSource;
    auto importer_token = testing::AddAccountWithToken(store, importer);
    ASSERT_TRUE(importer_token.ok()) << importer_token.status();
    importer_token_file_ = WriteSecret("importer.token", *importer_token);
    auto employer_token = testing::AddAccountWithToken(
        store, testing::TestEmployer("werkgever@bakkerij.example", "Bakkerij"));
    ASSERT_TRUE(employer_token.ok()) << employer_token.status();
    employer_token_file_ = WriteSecret("employer.token", *employer_token);
    auto server = testing::StartServer(
        {VERKENNER_SERVER_BINARY, "--index=" + index->index_path, "--vault=" + index->vault_path,
         "--store=" + store,
         "--key_file=" + testing::WriteTestKeyFile(directory_ / "pseudonym.key"),
         "--search_threads=1", "--listen=127.0.0.1:0", "--http_listen=127.0.0.1:0"},
        (directory_ / "server.log").string());
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::make_unique<testing::ServerProcess>(std::move(*server));
    ASSERT_GT(server_->http_port, 0) << server_->said;
  }

  void TearDown() override {
    server_.reset();
    std::filesystem::remove_all(directory_);
  }

  std::string WriteSecret(const std::string& name, const std::string& secret) {
    const std::filesystem::path path = directory_ / name;
    std::ofstream(path) << secret << "\n";
    std::filesystem::permissions(path, std::filesystem::perms::owner_read);
    return path.string();
  }

  // `rows` generated profiles of kSource as a CSV export.
  std::string WriteExport(int rows) {
    indexer::SyntheticProfileGenerator::Options options;
    options.seed = 7;
    options.sources = {kSource};
    auto generator = indexer::SyntheticProfileGenerator::Create(
        reference_, engine::ReferenceData::DefaultDirectory(), options);
    EXPECT_TRUE(generator.ok()) << generator.status();
    std::string csv = indexer::FormatCsvHeader(indexer::kCsvSeparator) + "\n";
    for (int i = 0; i < rows; ++i) {
      v1::SourceProfile profile;
      (*generator)->Next(&profile);
      profile.clear_register_end();
      indexer::AppendCsvRow(profile, indexer::kCsvSeparator, &csv);
      csv.push_back('\n');
    }
    const std::filesystem::path path = directory_ / "export maart.csv";
    std::ofstream(path) << csv;
    return path.string();
  }

  ProgramRun Client(const std::string& token_file, std::vector<std::string> arguments) {
    std::vector<std::string> all = {kClient, "--url",
                                    absl::StrCat("http://127.0.0.1:", server_->http_port),
                                    "--token-file", token_file};
    all.insert(all.end(), arguments.begin(), arguments.end());
    return RunProgram("/usr/bin/python3", all, directory_);
  }

  std::filesystem::path directory_;
  std::shared_ptr<const engine::ReferenceData> reference_;
  std::string importer_token_file_, employer_token_file_;
  std::unique_ptr<testing::ServerProcess> server_;
};

TEST_F(ExampleClientTest, UploadsAnExportWaitsForItsReportAndSearches) {
  const std::string file = WriteExport(6);
  ProgramRun upload =
      Client(importer_token_file_, {"upload", file, "--import-id", "voorbeeld-2026-12-04"});
  ASSERT_EQ(upload.exit_code, 0) << upload.out << upload.err;
  EXPECT_NE(upload.out.find(R"("state": "IMPORT_STATE_SUCCEEDED")"), std::string::npos)
      << upload.out;
  EXPECT_NE(upload.out.find(R"("acceptedRows": "6")"), std::string::npos) << upload.out;

  ProgramRun status = Client(importer_token_file_, {"status", "voorbeeld-2026-12-04"});
  ASSERT_EQ(status.exit_code, 0) << status.err;
  EXPECT_NE(status.out.find("IMPORT_STATE_SUCCEEDED"), std::string::npos) << status.out;

  ProgramRun search = Client(employer_token_file_, {"search", "--postcode", "3511 AB"});
  ASSERT_EQ(search.exit_code, 0) << search.err;
  EXPECT_NE(search.out.find(R"("matches")"), std::string::npos) << search.out;
}

TEST_F(ExampleClientTest, ARefusalExitsOneWithTheServersCode) {
  // An employer may not import; a token nobody issued is not one.
  ProgramRun employer =
      Client(employer_token_file_, {"upload", WriteExport(1), "--import-id", "niet-van-mij"});
  EXPECT_EQ(employer.exit_code, 1) << employer.out;
  EXPECT_NE(employer.err.find("HTTP 403 PERMISSION_DENIED"), std::string::npos) << employer.err;
  const std::string forged = WriteSecret("forged.token", std::string(43, 'x'));
  ProgramRun unknown = Client(forged, {"call", "SessionService/GetCurrentAccount"});
  EXPECT_EQ(unknown.exit_code, 1) << unknown.out;
  EXPECT_NE(unknown.err.find("HTTP 401 UNAUTHENTICATED"), std::string::npos) << unknown.err;
  EXPECT_EQ(unknown.err.find(std::string(43, 'x')), std::string::npos) << "the token echoed";
}

// The client decodes the error body's details as any program would (docs/API.md, Errors): the
// ErrorInfo reason it acts on and BadRequest's field, with no message text matched.
TEST_F(ExampleClientTest, ARefusalNamesItsReasonAndTheFieldAtFault) {
  ProgramRun invalid =
      Client(employer_token_file_, {"search", "--postcode", "3511 AB", "--page-size", "-5"});
  EXPECT_EQ(invalid.exit_code, 1) << invalid.out;
  EXPECT_NE(invalid.err.find("HTTP 400 INVALID_ARGUMENT: "), std::string::npos) << invalid.err;
  EXPECT_NE(invalid.err.find("\n  page_size: "), std::string::npos) << invalid.err;
  ProgramRun logout = Client(employer_token_file_, {"call", "SessionService/DeleteSession"});
  EXPECT_EQ(logout.exit_code, 1) << logout.out;
  EXPECT_NE(logout.err.find("HTTP 400 API_TOKEN_NOT_REVOCABLE: "), std::string::npos) << logout.err;
}

}  // namespace
}  // namespace verkenner
