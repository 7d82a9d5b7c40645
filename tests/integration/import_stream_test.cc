// Imports through the API that break off: every way a stream can end before the client says it
// is complete (the client cancels, half-closes without ImportEnd, sends a message over the size
// limit, dies, or the server gets SIGTERM), at the start, in the middle and just before the end,
// for FULL_SYNC and incremental imports. None of them may change the index, and the same import id
// sent again whole must run, not replay. Then the idle stream: it ends after the idle timeout and
// meanwhile blocks neither other sources' imports nor verkenner-index.
#include "tests/integration/import_stream.h"

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <spawn.h>
#include <sys/wait.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "engine/refdata/reference_data.h"
#include "indexer/pseudonymizer.h"
#include "service/server.h"
#include "tests/integration/error_details.h"
#include "tests/integration/server_process.h"
#include "tests/integration/test_accounts.h"
#include "tests/integration/test_index.h"

namespace verkenner {
namespace {

using testing::StreamEnd;

constexpr int kSourceRows = 30;  // the source's clients
constexpr int kBatchRows = 5;    // so 6 batches for a whole import
constexpr int kBatches = kSourceRows / kBatchRows;
constexpr char kSource[] = "GM0344";
constexpr char kOtherSource[] = "GM0363";

std::string EndName(StreamEnd end) {
  switch (end) {
    case StreamEnd::kCancel:
      return "Cancel";
    case StreamEnd::kHalfClose:
      return "HalfCloseWithoutEnd";
    case StreamEnd::kTooLarge:
      return "MessageTooLarge";
    case StreamEnd::kDie:
      return "ClientDies";
    default:
      return "Other";
  }
}

// Where a stream breaks off: after how many of its batches.
struct BreakPoint {
  const char* name;
  int batches;
};
constexpr BreakPoint kBreakPoints[] = {
    {"AtTheStart", 0}, {"InTheMiddle", kBatches / 2}, {"JustBeforeTheEnd", kBatches}};

v1::ImportHeader Header(const std::string& import_id, v1::ImportMode mode,
                        const std::string& source = kSource) {
  v1::ImportHeader header;
  header.set_import_id(import_id);
  header.set_source(source);
  header.set_mode(mode);
  header.set_file_name("export.csv");
  return header;
}

// A test directory with a small index, a store with importer accounts, and the pseudonym key.
class ImportStreamTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto reference = engine::ReferenceData::Load(engine::ReferenceData::DefaultDirectory());
    ASSERT_TRUE(reference.ok()) << reference.status();
    reference_ = *reference;
    directory_ = std::filesystem::temp_directory_path() /
                 absl::StrCat("verkenner-import-stream-", getpid(), "-",
                              ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(directory_);
    std::filesystem::create_directories(directory_);
    auto index = testing::BuildTestIndex(directory_, 20, reference_);
    ASSERT_TRUE(index.ok()) << index.status();
    index_ = *index;
    key_file_ = testing::WriteTestKeyFile(directory_ / "pseudonym.key");
    store_path_ = (directory_ / "store.db").string();
    token_ = ImporterToken("koppeling@utrecht.example", kSource);
    other_token_ = ImporterToken("koppeling@nieuwegein.example", kOtherSource);
  }
  void TearDown() override {
    server_.reset();
    std::filesystem::remove_all(directory_);
  }

  std::string ImporterToken(const std::string& email, const std::string& source) {
    service::NewAccount importer = testing::TestEmployer(email, source);
    importer.role = v1::ACCOUNT_ROLE_IMPORTER;
    importer.source = source;
    auto token = testing::AddAccountWithToken(store_path_, importer);
    EXPECT_TRUE(token.ok()) << token.status();
    return token.ok() ? *token : "";
  }

  void StartServer(absl::Duration idle_timeout = absl::Seconds(60)) {
    service::Server::Options options;
    options.listen_address = "127.0.0.1:0";
    options.index_path = index_.index_path;
    options.store_path = store_path_;
    options.vault_path = index_.vault_path;
    options.pseudonymizer = index_.pseudonymizer;
    options.reference_data = reference_;
    options.search_threads = 1;
    options.today = [] { return testing::kTestToday; };
    options.imports.idle_timeout = idle_timeout;
    auto server = service::Server::Start(std::move(options));
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
    stub_ = v1::ProfileImportService::NewStub(grpc::CreateChannel(
        absl::StrCat("127.0.0.1:", server_->port()), grpc::InsecureChannelCredentials()));
  }

  std::vector<v1::SourceProfile> Rows(int version, int count = kSourceRows,
                                      const std::string& source = kSource) {
    auto rows = testing::SourceRows(reference_, source, count, version);
    EXPECT_TRUE(rows.ok()) << rows.status();
    return rows.ok() ? *rows : std::vector<v1::SourceProfile>();
  }

  // Imports `rows` whole and expects it to succeed (not as a replay).
  void ImportWhole(const v1::ImportHeader& header, const std::vector<v1::SourceProfile>& rows,
                   const std::string& token = "") {
    v1::ImportProfilesResponse response;
    grpc::Status status = testing::SendImport(*stub_, token.empty() ? token_ : token, header, rows,
                                              kBatchRows, StreamEnd::kComplete, 0, response);
    ASSERT_TRUE(status.ok()) << header.import_id() << ": " << status.error_message();
    EXPECT_FALSE(response.replayed()) << header.import_id();
    EXPECT_EQ(response.report().state(), v1::IMPORT_STATE_SUCCEEDED) << header.import_id();
    EXPECT_EQ(response.report().received_rows(), static_cast<int64_t>(rows.size()));
  }

  // Sends an import of one batch, built by hand, with an end that claims `end_rows` rows.
  grpc::Status SendBatch(const v1::ImportHeader& header, const v1::ProfileBatch& batch,
                         int64_t end_rows, v1::ImportProfilesResponse& response) {
    grpc::ClientContext context;
    testing::Authorize(context, token_);
    auto writer = stub_->ImportProfiles(&context, &response);
    v1::ImportProfilesRequest message;
    *message.mutable_header() = header;
    EXPECT_TRUE(writer->Write(message));
    message.Clear();
    *message.mutable_batch() = batch;
    EXPECT_TRUE(writer->Write(message));
    message.Clear();
    message.mutable_end()->set_rows(end_rows);
    writer->Write(message);
    writer->WritesDone();
    return writer->Finish();
  }

  // The stored state of an import once it no longer runs (at most 20 s); nullopt when the
  // service has not heard of it for 2 s (a stream cancelled before the header was read).
  std::optional<v1::ImportState> SettledState(const std::string& import_id) {
    v1::GetImportRequest request;
    request.set_import_id(import_id);
    int unknown = 0;
    for (int attempt = 0; attempt < 200; ++attempt) {
      grpc::ClientContext context;
      testing::Authorize(context, token_);
      v1::GetImportResponse response;
      grpc::Status status = stub_->GetImport(&context, request, &response);
      if (status.ok() && response.report().state() != v1::IMPORT_STATE_RUNNING) {
        return response.report().state();
      }
      if (status.error_code() == grpc::StatusCode::NOT_FOUND && ++unknown == 20) {
        return std::nullopt;
      }
      if (!status.ok() && status.error_code() != grpc::StatusCode::NOT_FOUND) {
        ADD_FAILURE() << import_id << ": " << status.error_message();
        return v1::IMPORT_STATE_UNSPECIFIED;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    ADD_FAILURE() << import_id << " still runs after 20 s";
    return v1::IMPORT_STATE_RUNNING;
  }

  // Waits (at most 10 s) until the import `import_id` is stored: its header has been accepted.
  void AwaitStarted(const std::string& import_id) {
    v1::GetImportRequest request;
    request.set_import_id(import_id);
    for (int attempt = 0; attempt < 500; ++attempt) {
      grpc::ClientContext context;
      testing::Authorize(context, token_);
      v1::GetImportResponse response;
      if (stub_->GetImport(&context, request, &response).ok()) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    ADD_FAILURE() << import_id << " did not start within 10 s";
  }

  // Breaks an import off as `end` says after `batches` batches; the index must not change, and
  // the same import id sent whole afterwards must run. Returns nothing: expectations only.
  void BreakAndRepair(StreamEnd end, const BreakPoint& point, v1::ImportMode mode, int version) {
    const std::string case_name =
        absl::StrCat(EndName(end), "-", point.name, "-", v1::ImportMode_Name(mode));
    SCOPED_TRACE(case_name);
    const std::string import_id = absl::StrCat("broken-", version);
    // A FULL_SYNC of a third fewer clients: were it counted complete, it would withdraw them.
    const int count = mode == v1::IMPORT_MODE_FULL_SYNC ? kSourceRows * 2 / 3 : kSourceRows;
    const std::vector<v1::SourceProfile> rows = Rows(version, count);
    const std::map<std::string, std::string> before = testing::IndexContents(index_.index_path);
    const v1::ImportHeader header = Header(import_id, mode);

    v1::ImportProfilesResponse response;
    if (end == StreamEnd::kDie) {
      RunDyingClient(import_id, mode, count, version, point.batches);
    } else {
      grpc::Status status = testing::SendImport(*stub_, token_, header, rows, kBatchRows, end,
                                                point.batches, response);
      EXPECT_FALSE(status.ok()) << "a broken stream answered OK";
    }
    const std::optional<v1::ImportState> state = SettledState(import_id);
    if (state.has_value()) {
      EXPECT_TRUE(state == v1::IMPORT_STATE_INTERRUPTED || state == v1::IMPORT_STATE_FAILED)
          << v1::ImportState_Name(*state);
    } else {
      // Only a client that went away at once may leave no trace: the header was never read.
      EXPECT_TRUE(point.batches == 0 || end == StreamEnd::kCancel || end == StreamEnd::kDie)
          << "the service never started the import";
    }
    EXPECT_EQ(testing::IndexChanges(before, testing::IndexContents(index_.index_path)), "")
        << "the broken import changed the index";

    // The same import id whole: it runs (no replay of what was never applied).
    ImportWhole(header, rows);
    if (mode == v1::IMPORT_MODE_FULL_SYNC) {
      // Back to every client, for the next case.
      ImportWhole(Header(absl::StrCat("restore-", version), v1::IMPORT_MODE_INCREMENTAL),
                  Rows(version));
    }
    EXPECT_NE(testing::IndexChanges(before, testing::IndexContents(index_.index_path)), "");
  }

  // A client process that streams the import and dies after `batches` batches.
  void RunDyingClient(const std::string& import_id, v1::ImportMode mode, int count, int version,
                      int batches) {
    const std::vector<std::string> arguments = {IMPORT_STREAM_CLIENT_BINARY,
                                                absl::StrCat("127.0.0.1:", server_->port()),
                                                token_,
                                                kSource,
                                                import_id,
                                                absl::StrCat(static_cast<int>(mode)),
                                                absl::StrCat(count),
                                                absl::StrCat(version),
                                                absl::StrCat(kBatchRows),
                                                absl::StrCat(batches)};
    std::vector<char*> argv;
    for (const std::string& argument : arguments) {
      argv.push_back(const_cast<char*>(argument.c_str()));
    }
    argv.push_back(nullptr);
    pid_t pid = -1;
    ASSERT_EQ(posix_spawn(&pid, argv[0], nullptr, nullptr, argv.data(), environ), 0);
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
        << "the client did not die as planned (status " << status << ")";
  }

  std::shared_ptr<const engine::ReferenceData> reference_;
  std::filesystem::path directory_;
  testing::TestIndex index_;
  std::string key_file_;
  std::string store_path_;
  std::string token_;
  std::string other_token_;
  std::unique_ptr<service::Server> server_;
  std::unique_ptr<v1::ProfileImportService::Stub> stub_;
};

TEST_F(ImportStreamTest, AStreamThatBreaksOffChangesNothingAndRunsWhenSentAgain) {
  StartServer();
  ImportWhole(Header("first", v1::IMPORT_MODE_FULL_SYNC), Rows(0));
  int version = 1;
  for (StreamEnd end :
       {StreamEnd::kCancel, StreamEnd::kHalfClose, StreamEnd::kTooLarge, StreamEnd::kDie}) {
    for (const BreakPoint& point : kBreakPoints) {
      for (v1::ImportMode mode : {v1::IMPORT_MODE_FULL_SYNC, v1::IMPORT_MODE_INCREMENTAL}) {
        BreakAndRepair(end, point, mode, version++);
      }
    }
  }
}

// The proto promises 255 characters for a file name: a Dutch name with accented letters (two
// bytes each) is as long as it looks.
TEST_F(ImportStreamTest, AFileNameIsLimitedTo255CharactersNotBytes) {
  StartServer();
  std::string accented;
  for (int i = 0; i < 255; ++i) accented += "\xC3\xA9";  // é
  v1::ImportHeader header = Header("accented-name", v1::IMPORT_MODE_INCREMENTAL);
  header.set_file_name(accented);
  ImportWhole(header, Rows(0, 10));

  header.set_import_id("too-long-name");
  header.set_file_name(accented + "x");
  v1::ImportProfilesResponse response;
  grpc::Status status = testing::SendImport(*stub_, token_, header, Rows(0, 10), kBatchRows,
                                            StreamEnd::kComplete, 0, response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(status.error_message().rfind("header.file_name:", 0), 0u) << status.error_message();
}

TEST_F(ImportStreamTest, AnEndThatMiscountsTheRowsAppliesNothing) {
  StartServer();
  ImportWhole(Header("first", v1::IMPORT_MODE_FULL_SYNC), Rows(0));
  const std::map<std::string, std::string> before = testing::IndexContents(index_.index_path);
  v1::ProfileBatch batch;
  for (const v1::SourceProfile& row : Rows(1, 10)) *batch.add_profiles() = row;
  v1::ImportProfilesResponse response;
  grpc::Status status =
      SendBatch(Header("miscounted", v1::IMPORT_MODE_FULL_SYNC), batch, /*end_rows=*/11, response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(status.error_message().rfind("end.rows:", 0), 0u) << status.error_message();
  EXPECT_EQ(SettledState("miscounted"), v1::IMPORT_STATE_FAILED);
  EXPECT_EQ(testing::IndexChanges(before, testing::IndexContents(index_.index_path)), "");
}

// A row the client could not read, but whose client number it could, keeps that client's
// profile in a full sync, as a rejected profile does (ImportMode FULL_SYNC's promise).
TEST_F(ImportStreamTest, AFullSyncKeepsTheProfileOfAnUnreadableRowWithItsClientNumber) {
  StartServer();
  const std::vector<v1::SourceProfile> rows = Rows(0);
  ImportWhole(Header("first", v1::IMPORT_MODE_FULL_SYNC), rows);
  const std::map<std::string, std::string> before = testing::IndexContents(index_.index_path);
  v1::ProfileBatch batch;
  v1::UnreadableRow& unreadable = *batch.add_unreadable_rows();
  unreadable.set_row_number(1);
  unreadable.set_field("hours_min");
  unreadable.set_client_number(" " + rows[0].client_number());  // read as an import reads it
  for (size_t i = 1; i < rows.size(); ++i) {
    *batch.add_profiles() = rows[i];
    batch.add_row_numbers(static_cast<int64_t>(i) + 1);
  }
  v1::ImportProfilesResponse response;
  grpc::Status status = SendBatch(Header("one-unreadable", v1::IMPORT_MODE_FULL_SYNC), batch,
                                  static_cast<int64_t>(rows.size()), response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.report().rejected_rows(), 1);
  EXPECT_EQ(response.report().withdrawn_absent(), 0);
  EXPECT_EQ(response.report().unchanged(), kSourceRows - 1);
  EXPECT_EQ(testing::IndexChanges(before, testing::IndexContents(index_.index_path)), "");
}

// An unreadable row's client number is held to the key's limit, as a profile's is.
TEST_F(ImportStreamTest, AnUnreadableRowsClientNumberOverTheLimitRefusesTheBatch) {
  StartServer();
  v1::ProfileBatch batch;
  v1::UnreadableRow& unreadable = *batch.add_unreadable_rows();
  unreadable.set_row_number(1);
  unreadable.set_client_number(std::string(65, 'k'));
  v1::ImportProfilesResponse response;
  const grpc::Status status =
      SendBatch(Header("long-key", v1::IMPORT_MODE_INCREMENTAL), batch, 1, response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(status.error_message().rfind("batch.unreadable_rows.client_number:", 0), 0u)
      << status.error_message();
}

// A full sync in which no row is accepted would withdraw every profile of the source: a broken
// export is likelier. It is refused with its own reason, and nothing is applied.
TEST_F(ImportStreamTest, AFullSyncWithoutAnAcceptedRowIsRefusedWithItsReason) {
  StartServer();
  ImportWhole(Header("first", v1::IMPORT_MODE_FULL_SYNC), Rows(0));
  const std::map<std::string, std::string> before = testing::IndexContents(index_.index_path);
  std::vector<v1::SourceProfile> broken = Rows(1, 10);
  for (v1::SourceProfile& row : broken) row.clear_postcode();  // required: every row rejected
  v1::ImportProfilesResponse response;
  const grpc::Status status =
      testing::SendImport(*stub_, token_, Header("broken", v1::IMPORT_MODE_FULL_SYNC), broken,
                          kBatchRows, StreamEnd::kComplete, 0, response);
  EXPECT_EQ(testing::CodeAndReason(status), "FAILED_PRECONDITION FULL_SYNC_NOTHING_ACCEPTED")
      << status.error_message();
  EXPECT_EQ(testing::IndexChanges(before, testing::IndexContents(index_.index_path)), "");
}

// A client that sends a header and a batch and then nothing: it must not hold anything that
// other sources' imports or verkenner-index need, and it ends after the idle timeout.
TEST_F(ImportStreamTest, AnIdleStreamEndsAfterItsTimeoutAndBlocksNoOtherImport) {
  StartServer(absl::Seconds(3));
  ImportWhole(Header("first", v1::IMPORT_MODE_FULL_SYNC), Rows(0));
  const std::map<std::string, std::string> before = testing::IndexContents(index_.index_path);

  const auto started = std::chrono::steady_clock::now();
  grpc::Status idle_status;
  std::thread idle([&] {
    v1::ImportProfilesResponse response;
    idle_status = testing::SendImport(*stub_, token_, Header("idle", v1::IMPORT_MODE_FULL_SYNC),
                                      Rows(1, 10), kBatchRows, StreamEnd::kWait, 1, response);
  });
  AwaitStarted("idle");

  // Meanwhile: a second import of the same source waits its turn (ABORTED, at once)...
  v1::ImportProfilesResponse response;
  grpc::Status same_source =
      testing::SendImport(*stub_, token_, Header("same-source", v1::IMPORT_MODE_INCREMENTAL),
                          Rows(2), kBatchRows, StreamEnd::kComplete, 0, response);
  EXPECT_EQ(testing::CodeAndReason(same_source), "ABORTED IMPORT_RUNNING")
      << same_source.error_message();
  // ... another source's import runs ...
  ImportWhole(Header("other-source", v1::IMPORT_MODE_FULL_SYNC, kOtherSource),
              Rows(3, 10, kOtherSource), other_token_);
  // ... and so does verkenner-index.
  std::vector<std::string> arguments = {VERKENNER_INDEX_BINARY, "--index=" + index_.index_path,
                                        "--sweep_only", "--key_file=" + key_file_};
  std::vector<char*> argv;
  for (std::string& argument : arguments) argv.push_back(argument.data());
  argv.push_back(nullptr);
  pid_t pid = -1;
  ASSERT_EQ(posix_spawn(&pid, argv[0], nullptr, nullptr, argv.data(), environ), 0);
  int exit_status = 0;
  ASSERT_EQ(waitpid(pid, &exit_status, 0), pid);
  EXPECT_TRUE(WIFEXITED(exit_status) && WEXITSTATUS(exit_status) == 0)
      << "verkenner-index --sweep_only while an import stream idles: " << exit_status;
  const std::map<std::string, std::string> with_other = testing::IndexContents(index_.index_path);
  EXPECT_EQ(with_other.size(), before.size() + 10);

  idle.join();
  const auto waited = std::chrono::steady_clock::now() - started;
  EXPECT_EQ(idle_status.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED)
      << idle_status.error_message();
  EXPECT_LT(waited, std::chrono::seconds(15)) << "the idle stream was not ended by the server";
  EXPECT_EQ(SettledState("idle"), v1::IMPORT_STATE_INTERRUPTED);
  EXPECT_EQ(testing::IndexChanges(with_other, testing::IndexContents(index_.index_path)), "");
}

// SIGTERM to a real verkenner-server while an import streams in: the server stops, the import is
// interrupted, and the index is as it was.
TEST_F(ImportStreamTest, AServerStoppedBySigtermAppliesNoBrokenImport) {
  StartServer();
  ImportWhole(Header("first", v1::IMPORT_MODE_FULL_SYNC), Rows(0));
  server_.reset();
  int version = 1;
  for (const BreakPoint& point : kBreakPoints) {
    for (v1::ImportMode mode : {v1::IMPORT_MODE_FULL_SYNC, v1::IMPORT_MODE_INCREMENTAL}) {
      SCOPED_TRACE(absl::StrCat(point.name, "-", v1::ImportMode_Name(mode)));
      const std::map<std::string, std::string> before = testing::IndexContents(index_.index_path);
      auto process = testing::StartServer(
          {VERKENNER_SERVER_BINARY, "--index=" + index_.index_path, "--store=" + store_path_,
           "--vault=" + index_.vault_path, "--key_file=" + key_file_, "--listen=127.0.0.1:0",
           "--search_threads=1", "--shutdown_grace=1s"},
          (directory_ / "server.log").string());
      ASSERT_TRUE(process.ok()) << process.status();
      stub_ = v1::ProfileImportService::NewStub(grpc::CreateChannel(
          absl::StrCat("127.0.0.1:", process->port), grpc::InsecureChannelCredentials()));
      const std::string import_id = absl::StrCat("stopped-", version);
      const int count = mode == v1::IMPORT_MODE_FULL_SYNC ? kSourceRows * 2 / 3 : kSourceRows;
      grpc::Status status;
      std::thread client([&] {
        v1::ImportProfilesResponse response;
        status = testing::SendImport(*stub_, token_, Header(import_id, mode), Rows(version, count),
                                     kBatchRows, StreamEnd::kWait, point.batches, response);
      });
      AwaitStarted(import_id);
      const int exit_status = testing::Signal(*process, SIGTERM);
      client.join();
      EXPECT_TRUE(WIFEXITED(exit_status) && WEXITSTATUS(exit_status) == 0) << exit_status;
      EXPECT_FALSE(status.ok());
      EXPECT_EQ(testing::IndexChanges(before, testing::IndexContents(index_.index_path)), "");

      // A server started again says so, and runs the import when it is sent again.
      StartServer();
      EXPECT_EQ(SettledState(import_id), v1::IMPORT_STATE_INTERRUPTED);
      ImportWhole(Header(import_id, mode), Rows(version, count));
      if (mode == v1::IMPORT_MODE_FULL_SYNC) {
        ImportWhole(Header(absl::StrCat("restore-", version), v1::IMPORT_MODE_INCREMENTAL),
                    Rows(version));
      }
      server_.reset();
      ++version;
    }
  }
}

}  // namespace
}  // namespace verkenner
