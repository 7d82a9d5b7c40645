// The index writer's lease between verkenner-server processes on one PostgreSQL store, each with
// an index directory of its own, told apart by their addresses (127.0.0.2 and 127.0.0.3): one
// instance takes the imports and the other refuses them naming it; HAProxy's check
// (/healthz/writer) says which is which; verkenner-index --store writes beside the writer on its
// directory and is refused on the other's; when the writer is SIGKILLed the other takes over
// within the lease's term and a new epoch, and after a SIGTERM at once. Runs only on PostgreSQL
// (index_writer_failover_test_on_postgres): an SQLite store is one process's.
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "engine/refdata/reference_data.h"
#include "indexer/index_writer.h"
#include "tests/indexer/replica_test_support.h"
#include "tests/integration/error_details.h"
#include "tests/integration/import_stream.h"
#include "tests/integration/server_process.h"
#include "tests/integration/test_accounts.h"
#include "tests/integration/test_index.h"
#include "tests/service/raw_http_client.h"
#include "tests/test_store.h"
#include "verkenner/v1/search.grpc.pb.h"

namespace verkenner {
namespace {

using Clock = std::chrono::steady_clock;
using testing::ServerProcess;

constexpr char kSource[] = "GM0344";
constexpr char kTerm[] = "4s";

// One instance: its own index directory and loopback address.
struct Instance {
  std::string address;  // 127.0.0.2 or 127.0.0.3
  std::string index;
  std::unique_ptr<ServerProcess> process;
  int metrics = 0;

  std::string grpc() const { return absl::StrCat(address, ":", process->port); }
};

class IndexWriterFailoverTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(testing::TestingOnPostgres()) << "run with VERKENNER_TEST_STORE=postgresql";
    directory_ = std::filesystem::temp_directory_path() /
                 absl::StrCat("verkenner-writer-failover-", getpid());
    std::filesystem::remove_all(directory_);
    std::filesystem::create_directories(directory_);
    auto reference = engine::ReferenceData::Load(engine::ReferenceData::DefaultDirectory());
    ASSERT_TRUE(reference.ok()) << reference.status();
    reference_ = *reference;
    auto test_store = testing::TestStore::Create(directory_);
    ASSERT_TRUE(test_store.ok()) << test_store.status();
    test_store_ = std::move(*test_store);
    auto index = testing::BuildTestIndex(directory_, 20, reference_, test_store_->target());
    ASSERT_TRUE(index.ok()) << index.status();
    index_ = *std::move(index);
    key_file_ = testing::WriteTestKeyFile(directory_ / "pseudonym.key");
    service::NewAccount importer = testing::TestEmployer("koppeling@utrecht.example", kSource);
    importer.role = v1::ACCOUNT_ROLE_IMPORTER;
    importer.source = kSource;
    auto token = testing::AddAccountWithToken(test_store_->target(), importer);
    ASSERT_TRUE(token.ok()) << token.status();
    token_ = *token;
    // Each instance its own copy of the index, as on machines of their own.
    for (auto [instance, address] : {std::pair{&a_, "127.0.0.2"}, std::pair{&b_, "127.0.0.3"}}) {
      instance->address = address;
      instance->index = (directory_ / absl::StrCat("index-", address)).string();
      std::filesystem::copy(index_.index_path, instance->index,
                            std::filesystem::copy_options::recursive);
    }
  }

  void TearDown() override {
    a_.process.reset();
    b_.process.reset();
    test_store_.reset();
    std::filesystem::remove_all(directory_);
  }

  void Start(Instance& instance, bool replicate = false) {
    const std::string log =
        (directory_ / absl::StrCat("server-", instance.address, ".log")).string();
    std::vector<std::string> arguments = {VERKENNER_SERVER_BINARY,
                                          "--index=" + instance.index,
                                          "--vault=" + test_store_->target(),
                                          "--store=" + test_store_->target(),
                                          "--key_file=" + key_file_,
                                          absl::StrCat("--listen=", instance.address, ":0"),
                                          "--metrics_listen=127.0.0.1:0",
                                          "--search_threads=1",
                                          absl::StrCat("--writer_lease_term=", kTerm),
                                          "--shutdown_grace=1s"};
    if (replicate) {
      arguments.push_back("--replicate_index");
      arguments.push_back("--follow_interval=200ms");
      arguments.push_back("--max_index_lag=1s");
    }
    auto process = testing::StartServer(arguments, log);
    ASSERT_TRUE(process.ok()) << process.status();
    instance.process = std::make_unique<ServerProcess>(std::move(*process));
    instance.metrics = testing::PortAfter(instance.process->said, "metrics on port ");
    ASSERT_NE(instance.metrics, 0) << instance.process->said;
  }

  // GET `path` on the instance's metrics port: the status line and body.
  static std::string Get(const Instance& instance, const std::string& path) {
    return testing::Exchange(instance.metrics, absl::StrCat("GET ", path,
                                                            " HTTP/1.1\r\nHost: metrics\r\n"
                                                            "Connection: close\r\n\r\n"));
  }
  // The value of the gauge `name` on the instance's /metrics, or -1 when it has none.
  static double Gauge(const Instance& instance, const std::string& name) {
    const std::string text = Get(instance, "/metrics");
    const size_t at = text.find("\n" + name + " ");
    return at == std::string::npos ? -1 : std::stod(text.substr(at + name.size() + 2));
  }
  // Waits up to `limit` until `instance`'s gauge `name` is `value`; how long that took.
  static Clock::duration AwaitGauge(const Instance& instance, const std::string& name, double value,
                                    Clock::duration limit) {
    const auto start = Clock::now();
    while (Gauge(instance, name) != value && Clock::now() - start < limit) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return Clock::now() - start;
  }
  static double Seconds(Clock::duration duration) {
    return std::chrono::duration<double>(duration).count();
  }

  // What the instance's grpc.health.v1 Check says of the server as a whole: 1 SERVING,
  // 2 NOT_SERVING, or -1 when the call fails.
  static int HealthStatus(const Instance& instance) {
    grpc::GenericStub stub(
        grpc::CreateChannel(instance.grpc(), grpc::InsecureChannelCredentials()));
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    grpc::Slice empty("");  // HealthCheckRequest{service: ""}: no bytes
    grpc::ByteBuffer request(&empty, 1);
    grpc::ByteBuffer response;
    grpc::Status status;
    absl::Notification done;
    stub.UnaryCall(&context, "/grpc.health.v1.Health/Check", grpc::StubOptions(), &request,
                   &response, [&](grpc::Status result) {
                     status = std::move(result);
                     done.Notify();
                   });
    done.WaitForNotification();
    std::vector<grpc::Slice> slices;
    if (!status.ok() || !response.Dump(&slices).ok() || slices.empty()) return -1;
    // HealthCheckResponse{status}: field 1, a varint.
    const std::string bytes(reinterpret_cast<const char*>(slices[0].begin()), slices[0].size());
    return bytes.size() == 2 && bytes[0] == 0x08 ? bytes[1] : -1;
  }

  // A search on the instance as an employer; its status.
  grpc::Status Search(const Instance& instance, const std::string& employer_token) {
    auto stub = v1::CandidateSearchService::NewStub(
        grpc::CreateChannel(instance.grpc(), grpc::InsecureChannelCredentials()));
    grpc::ClientContext context;
    testing::Authorize(context, employer_token);
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    v1::SearchCandidatesRequest request;
    request.set_page_size(1);
    v1::SearchCandidatesResponse response;
    return stub->SearchCandidates(&context, request, &response);
  }

  static bool IsWriter(const Instance& instance) {
    return Get(instance, "/healthz/writer").rfind("HTTP/1.1 200", 0) == 0;
  }

  // Waits up to `limit` for `instance` to be the writer; how long that took.
  static Clock::duration AwaitWriter(const Instance& instance, Clock::duration limit) {
    const auto start = Clock::now();
    while (!IsWriter(instance) && Clock::now() - start < limit) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return Clock::now() - start;
  }

  // An import of a few rows of kSource through `instance`; its status.
  grpc::Status Import(const Instance& instance, const std::string& import_id, int version) {
    auto rows = testing::SourceRows(reference_, kSource, 5, version);
    EXPECT_TRUE(rows.ok()) << rows.status();
    v1::ImportHeader header;
    header.set_import_id(import_id);
    header.set_source(kSource);
    header.set_mode(v1::IMPORT_MODE_INCREMENTAL);
    header.set_file_name("export.csv");
    auto stub = v1::ProfileImportService::NewStub(
        grpc::CreateChannel(instance.grpc(), grpc::InsecureChannelCredentials()));
    v1::ImportProfilesResponse response;
    return testing::SendImport(*stub, token_, header, *rows, 5, testing::StreamEnd::kComplete, 0,
                               response);
  }

  // verkenner-index --store on `index` (a sweep: no file needed); its exit status and stderr.
  std::pair<int, std::string> IndexTool(const std::string& index) {
    const std::string err = (directory_ / "tool.err").string();
    const std::string command =
        absl::StrCat(VERKENNER_INDEX_BINARY, " --index='", index, "' --store='",
                     test_store_->target(), "' --vault='", test_store_->target(), "' --key_file='",
                     key_file_, "' --sweep_only --compact=false >/dev/null 2>'", err, "'");
    const int status = std::system(command.c_str());
    std::ifstream in(err);
    return {WEXITSTATUS(status), std::string(std::istreambuf_iterator<char>(in), {})};
  }

  std::filesystem::path directory_;
  std::shared_ptr<const engine::ReferenceData> reference_;
  std::unique_ptr<testing::TestStore> test_store_;
  testing::TestIndex index_;
  std::string key_file_;
  std::string token_;
  Instance a_;
  Instance b_;
};

TEST_F(IndexWriterFailoverTest, OneInstanceTakesTheImportsAndAnotherTakesOverWhenItDies) {
  Start(a_);
  ASSERT_LT(AwaitWriter(a_, std::chrono::seconds(5)), std::chrono::seconds(5));
  Start(b_);
  std::this_thread::sleep_for(std::chrono::milliseconds(500));

  // b follows: its writer check fails naming a, and so does an import sent to it.
  const std::string b_check = Get(b_, "/healthz/writer");
  EXPECT_EQ(b_check.rfind("HTTP/1.1 503", 0), 0u) << b_check;
  EXPECT_NE(b_check.find("imports go to the index writer at " + a_.grpc()), std::string::npos)
      << b_check;
  EXPECT_EQ(Get(b_, "/healthz").rfind("HTTP/1.1 200", 0), 0u) << "a follower serves searches";
  grpc::Status refused = Import(b_, "to-b", 1);
  EXPECT_EQ(testing::CodeAndReason(refused), "FAILED_PRECONDITION NOT_INDEX_WRITER");
  EXPECT_NE(refused.error_message().find(a_.grpc()), std::string::npos) << refused.error_message();
  // A program finds the writer without reading the message.
  EXPECT_EQ(testing::ErrorInfoOf(testing::DetailsOf(refused)).metadata().at("writer"), a_.grpc());
  grpc::Status imported = Import(a_, "to-a", 1);
  EXPECT_TRUE(imported.ok()) << imported.error_message();
  EXPECT_NE(Get(a_, "/metrics").find("verkenner_index_writer 1"), std::string::npos);
  EXPECT_NE(Get(b_, "/metrics").find("verkenner_index_writer 0"), std::string::npos);
  const std::string b_metrics = Get(b_, "/metrics");
  EXPECT_NE(b_metrics.find("verkenner_index_generation 1"), std::string::npos) << b_metrics;
  EXPECT_NE(b_metrics.find("verkenner_index_profiles 20"), std::string::npos) << b_metrics;

  // The command line: beside the writer on its own directory, refused on the follower's.
  const auto [on_a, on_a_said] = IndexTool(a_.index);
  EXPECT_EQ(on_a, 0) << on_a_said;
  const auto [on_b, on_b_said] = IndexTool(b_.index);
  EXPECT_EQ(on_b, 1) << on_b_said;
  EXPECT_NE(on_b_said.find("the index writer is another process: the instance at " + a_.grpc()),
            std::string::npos)
      << on_b_said;

  // a dies without a word: b takes over once a's lease has run out, in a new epoch.
  const auto killed = Clock::now();
  kill(a_.process->pid, SIGKILL);
  testing::WaitForExit(*a_.process);
  const Clock::duration takeover = AwaitWriter(b_, std::chrono::seconds(15));
  ASSERT_TRUE(IsWriter(b_)) << Get(b_, "/healthz/writer");
  std::cout << "after a SIGKILL, the other instance was the writer in "
            << std::chrono::duration<double>(Clock::now() - killed).count() << " s (term " << kTerm
            << ")\n";
  EXPECT_LT(takeover, std::chrono::seconds(8));
  EXPECT_NE(Get(b_, "/metrics").find("verkenner_index_writer_epoch 2"), std::string::npos);
  imported = Import(b_, "to-b", 2);
  EXPECT_TRUE(imported.ok()) << imported.error_message();

  // a comes back as a follower of b.
  Start(a_);
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  EXPECT_FALSE(IsWriter(a_));
  refused = Import(a_, "to-a-again", 3);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_NE(refused.error_message().find(b_.grpc()), std::string::npos) << refused.error_message();

  // b stops in good order: it releases the lease, and a takes over well within the term.
  const auto stopped = Clock::now();
  kill(b_.process->pid, SIGTERM);
  EXPECT_EQ(WEXITSTATUS(testing::WaitForExit(*b_.process)), 0);
  AwaitWriter(a_, std::chrono::seconds(15));
  const Clock::duration handover = Clock::now() - stopped;
  ASSERT_TRUE(IsWriter(a_));
  std::cout << "after a SIGTERM, the other instance was the writer in "
            << std::chrono::duration<double>(handover).count() << " s\n";
  EXPECT_LT(handover, std::chrono::seconds(4)) << "the stopped writer did not release its lease";
  EXPECT_NE(Get(a_, "/metrics").find("verkenner_index_writer_epoch 3"), std::string::npos);
}

TEST_F(IndexWriterFailoverTest, FollowersServeEachImportOfTheWriterAlsoAfterATakeover) {
  // Each instance its own index; the writer publishes every import, the follower applies it.
  Start(a_, /*replicate=*/true);
  ASSERT_LT(AwaitWriter(a_, std::chrono::seconds(5)), std::chrono::seconds(5));
  Start(b_, /*replicate=*/true);
  const std::string profiles = "verkenner_index_profiles";
  const std::string sequence = "verkenner_index_publication_sequence";

  // a publishes its index as it takes the lease (sequence 1, a base); b installs it.
  Clock::duration took = AwaitGauge(b_, sequence, 1, std::chrono::seconds(20));
  EXPECT_EQ(Gauge(b_, sequence), 1) << Get(b_, "/metrics");
  std::cout << "the writer's first publication (a base) was served by the follower "
            << Seconds(took) << " s after the follower started\n";

  // The first import is a change set; b serves what a serves.
  ASSERT_TRUE(Import(a_, "first", 1).ok());
  took = AwaitGauge(b_, sequence, 2, std::chrono::seconds(20));
  EXPECT_EQ(Gauge(b_, sequence), 2) << Get(b_, "/metrics");
  AwaitGauge(a_, profiles, Gauge(b_, profiles), std::chrono::seconds(5));
  EXPECT_GT(Gauge(b_, profiles), 20);
  EXPECT_EQ(Gauge(b_, profiles), Gauge(a_, profiles));
  std::cout << "the first import (a change set) was served by the follower " << Seconds(took)
            << " s after it was acknowledged\n";

  // So is each later import, within seconds.
  for (int version = 2; version <= 3; ++version) {
    ASSERT_TRUE(Import(a_, absl::StrCat("next-", version), version).ok());
    took = AwaitGauge(b_, sequence, version + 1, std::chrono::seconds(20));
    EXPECT_EQ(Gauge(b_, sequence), version + 1) << Get(b_, "/metrics");
    EXPECT_EQ(AwaitGauge(b_, profiles, Gauge(a_, profiles), std::chrono::seconds(5)) <
                  std::chrono::seconds(5),
              true);
    std::cout << "change set " << version << " was served by the follower " << Seconds(took)
              << " s after the import was acknowledged\n";
  }
  EXPECT_EQ(Gauge(b_, "verkenner_index_publication_lag_seconds"), 0);

  // A change set that arrives damaged (a flipped byte, written while b was stopped) is never
  // applied: b keeps serving sequence 4, says it lags, and its /healthz turns 503, so HAProxy
  // routes around it. Once the file is whole again, b converges.
  const double before = Gauge(b_, profiles);
  kill(b_.process->pid, SIGSTOP);
  ASSERT_TRUE(Import(a_, "damaged", 4).ok());
  const std::filesystem::path damaged = std::filesystem::path(a_.index) / "published" / "c5.s0";
  std::string intact;
  {
    std::ifstream in(damaged, std::ios::binary);
    intact.assign(std::istreambuf_iterator<char>(in), {});
  }
  ASSERT_FALSE(intact.empty());
  std::string flipped = intact;
  flipped[flipped.size() / 2] ^= 0x01;
  std::ofstream(damaged, std::ios::binary | std::ios::trunc) << flipped;
  kill(b_.process->pid, SIGCONT);
  const auto unready = [&] { return Get(b_, "/healthz").rfind("HTTP/1.1 503", 0) == 0; };
  for (int i = 0; i < 100 && !unready(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  const std::string lagging = Get(b_, "/healthz");
  EXPECT_NE(lagging.find("lags the writer's"), std::string::npos) << lagging;
  EXPECT_EQ(Gauge(b_, sequence), 4);
  EXPECT_EQ(Gauge(b_, profiles), before);
  EXPECT_GT(Gauge(b_, "verkenner_index_publication_lag_seconds"), 1);
  std::ofstream(damaged, std::ios::binary | std::ios::trunc) << intact;
  took = AwaitGauge(b_, sequence, 5, std::chrono::seconds(10));
  EXPECT_EQ(Gauge(b_, sequence), 5);
  EXPECT_EQ(Get(b_, "/healthz").rfind("HTTP/1.1 200", 0), 0u);
  std::ifstream log_file(directory_ / "server-127.0.0.3.log");
  const std::string b_log(std::istreambuf_iterator<char>(log_file), {});
  EXPECT_NE(b_log.find("index_follow_failed"), std::string::npos);
  EXPECT_NE(b_log.find("arrived damaged"), std::string::npos);

  // a dies; b takes over and publishes a base of its own at once (sequence 1), its import a
  // change set; a comes back and follows b.
  kill(a_.process->pid, SIGKILL);
  testing::WaitForExit(*a_.process);
  AwaitWriter(b_, std::chrono::seconds(15));
  ASSERT_TRUE(IsWriter(b_));
  took = AwaitGauge(b_, sequence, 1, std::chrono::seconds(5));
  EXPECT_EQ(Gauge(b_, sequence), 1) << "the new writer published as it took over";
  std::cout << "the new writer published its base " << Seconds(took)
            << " s after it took the lease\n";
  ASSERT_TRUE(Import(b_, "after-takeover", 5).ok());
  Start(a_, /*replicate=*/true);
  AwaitGauge(b_, sequence, 2, std::chrono::seconds(5));
  EXPECT_EQ(Gauge(b_, sequence), 2) << "a base as b took over, a change set for its import";
  took = AwaitGauge(a_, sequence, 2, std::chrono::seconds(20));
  EXPECT_EQ(Gauge(a_, sequence), 2) << "b's own publication starts again: " << Get(a_, "/metrics");
  EXPECT_EQ(Gauge(a_, profiles), Gauge(b_, profiles));
  EXPECT_FALSE(IsWriter(a_));
  std::cout << "after the takeover the old writer, restarted, served the new writer's index "
            << Seconds(took) << " s after it started\n";
}

// The writer SIGKILLed in the middle of an import: its rows sent, the stream still open. The
// follower serves none of it and takes over. The old writer's index may hold a batch of that
// import committed and never published (an import commits every 50,000 rows of a shard; this
// test commits such a batch into it while it is down): started again, it never serves that
// state, only the new writer's, which it fetches.
TEST_F(IndexWriterFailoverTest, AWriterKilledMidImportLeavesNoInstanceServingPartOfIt) {
  Start(a_, /*replicate=*/true);
  ASSERT_LT(AwaitWriter(a_, std::chrono::seconds(5)), std::chrono::seconds(5));
  Start(b_, /*replicate=*/true);
  const std::string profiles = "verkenner_index_profiles";
  const std::string sequence = "verkenner_index_publication_sequence";
  for (int i = 0; i < 250 && Gauge(a_, profiles) <= 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  const double before = Gauge(a_, profiles);
  ASSERT_GT(before, 0);
  AwaitGauge(b_, sequence, 1, std::chrono::seconds(20));
  AwaitGauge(b_, profiles, before, std::chrono::seconds(20));
  ASSERT_EQ(Gauge(b_, sequence), 1) << Get(b_, "/metrics");
  ASSERT_EQ(Gauge(b_, profiles), before);

  // 4 of 8 batches sent, then the client waits; a dies while it waits for the rest.
  auto rows = testing::SourceRows(reference_, kSource, 40, 7);
  ASSERT_TRUE(rows.ok()) << rows.status();
  v1::ImportHeader header;
  header.set_import_id("cut-off");
  header.set_source(kSource);
  header.set_mode(v1::IMPORT_MODE_INCREMENTAL);
  header.set_file_name("export.csv");
  auto stub = v1::ProfileImportService::NewStub(
      grpc::CreateChannel(a_.grpc(), grpc::InsecureChannelCredentials()));
  grpc::Status sent;
  std::thread client([&] {
    v1::ImportProfilesResponse response;
    sent = testing::SendImport(*stub, token_, header, *rows, 5, testing::StreamEnd::kWait, 4,
                               response);
  });
  const auto received = [&] {
    grpc::ClientContext context;
    testing::Authorize(context, token_);
    v1::GetImportRequest request;
    request.set_import_id("cut-off");
    v1::GetImportResponse response;
    return stub->GetImport(&context, request, &response).ok() ? response.report().received_rows()
                                                              : -1;
  };
  for (int i = 0; i < 200 && received() < 20; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_EQ(received(), 20);
  kill(a_.process->pid, SIGKILL);
  testing::WaitForExit(*a_.process);
  client.join();
  EXPECT_FALSE(sent.ok()) << "an import its writer died in was acknowledged";
  {
    auto writer = indexer::IndexWriter::Open(a_.index, reference_);
    ASSERT_TRUE(writer.ok()) << writer.status();
    ASSERT_TRUE((*writer)->BeginBatch().ok());
    for (int i = 0; i < 7; ++i) {
      ASSERT_TRUE((*writer)
                      ->Upsert(indexer::ReplicaTestRecord(*reference_, absl::StrCat("batch-", i),
                                                          "committed, never published"))
                      .ok());
    }
    ASSERT_TRUE((*writer)->CommitBatch().ok());
  }

  // b took over and serves what it served; a, started again, serves b's state or nothing.
  AwaitWriter(b_, std::chrono::seconds(15));
  ASSERT_TRUE(IsWriter(b_));
  EXPECT_EQ(Gauge(b_, profiles), before);
  AwaitGauge(b_, sequence, 1, std::chrono::seconds(5));  // b's own base
  Start(a_, /*replicate=*/true);
  const auto started = Clock::now();
  std::vector<double> served;  // each profile count a showed until it had converged
  while (Clock::now() - started < std::chrono::seconds(20)) {
    // The profile count is there once a serves an image (-1 before): each one it shows.
    const double count = Gauge(a_, profiles);
    if (count > 0) served.push_back(count);
    if (count == before && Gauge(a_, sequence) == Gauge(b_, sequence) &&
        Get(a_, "/healthz").rfind("HTTP/1.1 200", 0) == 0) {
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  std::cout << "the old writer, started again, served the new writer's index after "
            << Seconds(Clock::now() - started) << " s\n";
  ASSERT_FALSE(served.empty()) << "a never served";
  for (double count : served) EXPECT_EQ(count, before) << "a served a state nobody published";
  EXPECT_EQ(Gauge(a_, sequence), Gauge(b_, sequence));
  EXPECT_FALSE(IsWriter(a_));
}

// An instance that starts without an index (a new machine) listens at once but serves nothing:
// gRPC health NOT_SERVING, /healthz 503 and searches UNAVAILABLE, so HAProxy routes around it;
// and it never takes the writer's lease, which would make an empty index the one all follow.
// Once a writer is there, that writer publishes its state as it takes the lease (no import
// needed), and the new instance fetches it and serves.
TEST_F(IndexWriterFailoverTest, AnInstanceWithoutAnIndexServesNothingUntilItHasTheWritersIndex) {
  service::NewAccount employer = testing::TestEmployer("werkgever@bakkerij.example", "Bakkerij");
  auto employer_token = testing::AddAccountWithToken(test_store_->target(), employer);
  ASSERT_TRUE(employer_token.ok()) << employer_token.status();
  std::filesystem::remove_all(b_.index);
  const auto b_started = Clock::now();
  Start(b_, /*replicate=*/true);
  EXPECT_EQ(HealthStatus(b_), 2) << "NOT_SERVING";
  const std::string loading = Get(b_, "/healthz");
  EXPECT_EQ(loading.rfind("HTTP/1.1 503", 0), 0u) << loading;
  const grpc::Status refused = Search(b_, *employer_token);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::UNAVAILABLE) << refused.error_message();
  EXPECT_NE(refused.error_message().find("no search index yet"), std::string::npos)
      << refused.error_message();
  // Longer than a renewal of the lease (term / 3): b claims nothing while it has no index.
  std::this_thread::sleep_for(std::chrono::seconds(2));
  EXPECT_FALSE(IsWriter(b_));
  EXPECT_EQ(Gauge(b_, "verkenner_index_writer_epoch"), 0);

  Start(a_, /*replicate=*/true);
  ASSERT_LT(AwaitWriter(a_, std::chrono::seconds(10)), std::chrono::seconds(10));
  const auto a_writes = Clock::now();
  AwaitGauge(b_, "verkenner_index_profiles", 20, std::chrono::seconds(20));
  const Clock::duration took = Clock::now() - a_writes;
  EXPECT_EQ(Gauge(b_, "verkenner_index_profiles"), 20) << Get(b_, "/metrics");
  EXPECT_EQ(Gauge(b_, "verkenner_index_publication_sequence"), 1);
  EXPECT_EQ(HealthStatus(b_), 1) << "SERVING";
  EXPECT_EQ(Get(b_, "/healthz").rfind("HTTP/1.1 200", 0), 0u);
  const grpc::Status served = Search(b_, *employer_token);
  EXPECT_TRUE(served.ok()) << served.error_message();
  std::cout << "an instance that started without an index served the writer's " << Seconds(took)
            << " s after the writer took the lease (" << Seconds(Clock::now() - b_started)
            << " s after it started)\n";

  // Only the writer serves its publication: a follower's directory is no source to follow.
  EXPECT_EQ(Get(a_, "/index/published/MANIFEST").rfind("HTTP/1.1 200", 0), 0u);
  const std::string from_follower = Get(b_, "/index/published/MANIFEST");
  EXPECT_NE(from_follower.rfind("HTTP/1.1 200", 0), 0u) << from_follower;
}

}  // namespace
}  // namespace verkenner
