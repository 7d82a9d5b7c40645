// verkenner-server as an operator runs it: a real binary, real sockets on 127.0.0.1, real
// signals. A stop (SIGTERM) lets calls in flight over HTTP finish with their real answer and does
// not wait for idle connections; a second server on a port in use refuses to start.
#include "tests/integration/server_process.h"

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "engine/refdata/reference_data.h"
#include "service/auth/credentials.h"
#include "tests/integration/test_accounts.h"
#include "tests/integration/test_index.h"
#include "tests/service/raw_http_client.h"
#include "verkenner/v1/sessions.grpc.pb.h"

namespace verkenner {
namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;

constexpr char kPassword[] = "een lang en geheim wachtwoord";
// Two logins of the burst per account: within the login throttle's free attempts per account and
// address, which counts an attempt until its password is found right.
constexpr int kAccounts = 8;

std::string Email(int account) { return absl::StrCat("werkgever", account, "@stop.example"); }

std::string LoginRequest(int account) {
  const std::string body =
      absl::StrCat(R"({"email":")", Email(account), R"(","password":")", kPassword, R"("})");
  return absl::StrCat("POST /api/v1/session HTTP/1.1\r\nHost: verkenner\r\n",
                      "Content-Type: application/json\r\nContent-Length: ", body.size(), "\r\n\r\n",
                      body);
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

class ServerProcessTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto reference = engine::ReferenceData::Load(engine::ReferenceData::DefaultDirectory());
    ASSERT_TRUE(reference.ok()) << reference.status();
    directory_ =
        new std::filesystem::path(std::filesystem::temp_directory_path() /
                                  ("verkenner-server-process-" + std::to_string(getpid())));
    std::filesystem::remove_all(*directory_);
    std::filesystem::create_directories(*directory_);
    auto index = testing::BuildTestIndex(*directory_, 40, *reference);
    ASSERT_TRUE(index.ok()) << index.status();
    index_ = new std::string(index->index_path);
  }
  static void TearDownTestSuite() {
    std::filesystem::remove_all(*directory_);
    delete directory_;
    delete index_;
  }

  void SetUp() override {
    const std::string name = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    store_ = (*directory_ / (name + ".db")).string();
    log_ = (*directory_ / (name + ".log")).string();
  }

  // Employers who log in with kPassword.
  void AddAccounts() {
    auto hash = service::HashPassword(kPassword);
    ASSERT_TRUE(hash.ok()) << hash.status();
    for (int i = 0; i < kAccounts; ++i) {
      service::NewAccount account = testing::TestEmployer(Email(i), "Bakkerij De Stop");
      account.password_hash = *hash;
      ASSERT_TRUE(testing::AddAccountWithToken(store_, account).ok());
    }
  }

  std::vector<std::string> Arguments(std::vector<std::string> more) const {
    std::vector<std::string> arguments = {VERKENNER_SERVER_BINARY, "--index=" + *index_,
                                          "--store=" + store_, "--search_threads=1"};
    arguments.insert(arguments.end(), more.begin(), more.end());
    return arguments;
  }

  static std::filesystem::path* directory_;
  static std::string* index_;
  std::string store_;
  std::string log_;
};

std::filesystem::path* ServerProcessTest::directory_ = nullptr;
std::string* ServerProcessTest::index_ = nullptr;

// Logins run argon2id on two password threads, so a burst of them is still being answered when
// the stop comes. Each must get its real answer (200 and a session), not 503.
TEST_F(ServerProcessTest, AStopLetsWebCallsInFlightFinishWithTheirAnswer) {
  AddAccounts();
  auto server =
      testing::StartServer(Arguments({"--listen=127.0.0.1:0", "--http_listen=127.0.0.1:0"}), log_);
  ASSERT_TRUE(server.ok()) << server.status();
  ASSERT_GT(server->http_port, 0) << server->said;

  constexpr int kLogins = 16;
  std::vector<int> connections;
  for (int i = 0; i < kLogins; ++i) {
    const int connection = testing::ConnectToLoopback(server->http_port);
    ASSERT_GE(connection, 0);
    connections.push_back(connection);
    ASSERT_TRUE(testing::SendAll(connection, LoginRequest(i % kAccounts)));
  }
  // The first answer comes after one argon2id run, by which time the server has read every
  // request: all were sent before it.
  std::vector<pollfd> waiting;
  for (int connection : connections) waiting.push_back({connection, POLLIN, 0});
  ASSERT_GT(poll(waiting.data(), waiting.size(), 30'000), 0) << "no login answered";
  kill(server->pid, SIGTERM);

  int answered = 0;
  for (int i = 0; i < kLogins; ++i) {
    const std::string answer = testing::ReadUntilClosed(connections[i], std::chrono::seconds(30));
    close(connections[i]);
    EXPECT_EQ(answer.rfind("HTTP/1.1 200", 0), 0u) << "login " << i << ": " << answer;
    EXPECT_NE(answer.find("Set-Cookie: verkenner_session="), std::string::npos) << i;
    answered += answer.rfind("HTTP/1.1 200", 0) == 0 ? 1 : 0;
  }
  const int status = testing::WaitForExit(*server);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status << "; see " << log_;
  std::cout << answered << " of " << kLogins << " logins in flight answered 200" << std::endl;
}

// Connections that carry no call (an idle web connection, one that sent half a request head,
// an idle gRPC channel) end at once on a stop: the grace period is for calls.
TEST_F(ServerProcessTest, IdleConnectionsDoNotHoldTheStop) {
  auto server =
      testing::StartServer(Arguments({"--listen=127.0.0.1:0", "--http_listen=127.0.0.1:0"}), log_);
  ASSERT_TRUE(server.ok()) << server.status();
  ASSERT_GT(server->http_port, 0) << server->said;

  const int idle = testing::ConnectToLoopback(server->http_port);
  ASSERT_GE(idle, 0);
  const int half = testing::ConnectToLoopback(server->http_port);
  ASSERT_GE(half, 0);
  ASSERT_TRUE(testing::SendAll(half, "GET / HTTP/1.1\r\nHo"));
  // A gRPC channel with one finished call, kept open.
  auto stub = v1::SessionService::NewStub(grpc::CreateChannel(
      absl::StrCat("127.0.0.1:", server->port), grpc::InsecureChannelCredentials()));
  {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
    v1::GetCurrentAccountResponse response;
    const grpc::Status status =
        stub->GetCurrentAccount(&context, v1::GetCurrentAccountRequest(), &response);
    ASSERT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED) << status.error_message();
  }

  const auto stop = steady_clock::now();
  const int status = testing::Signal(*server, SIGTERM);
  const auto took = std::chrono::duration_cast<milliseconds>(steady_clock::now() - stop);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status << "; see " << log_;
  // The grace period is 10 s by default (5 s before it was a flag); without a call in flight
  // the stop takes what closing the index and the store takes.
  EXPECT_LT(took, milliseconds(2500)) << "idle connections held the stop";
  std::cout << "stopped in " << took.count() << " ms with idle connections open" << std::endl;
  EXPECT_EQ(testing::ReadUntilClosed(idle, std::chrono::seconds(5)), "");
  EXPECT_EQ(testing::ReadUntilClosed(half, std::chrono::seconds(5)), "");
  close(idle);
  close(half);
}

// SO_REUSEPORT would let a second server share a port with the first and take half its
// connections. Each of the three listeners refuses a port in use, naming the address.
TEST_F(ServerProcessTest, ASecondServerOnAPortInUseRefusesToStart) {
  auto first = testing::StartServer(Arguments({"--listen=127.0.0.1:0", "--http_listen=127.0.0.1:0",
                                               "--metrics_listen=127.0.0.1:0"}),
                                    log_);
  ASSERT_TRUE(first.ok()) << first.status();
  const int metrics_port = testing::PortAfter(first->said, "metrics on port ");
  ASSERT_GT(metrics_port, 0) << first->said;
  ASSERT_GT(first->http_port, 0) << first->said;

  const std::string grpc_address = absl::StrCat("127.0.0.1:", first->port);
  const std::string http_address = absl::StrCat("127.0.0.1:", first->http_port);
  const std::string metrics_address = absl::StrCat("127.0.0.1:", metrics_port);
  const std::vector<std::vector<std::string>> seconds = {
      {"--listen=" + grpc_address},
      {"--listen=127.0.0.1:0", "--http_listen=" + http_address},
      {"--listen=127.0.0.1:0", "--metrics_listen=" + metrics_address},
  };
  const std::string addresses[] = {grpc_address, http_address, metrics_address};
  for (size_t i = 0; i < seconds.size(); ++i) {
    const std::string log = absl::StrCat(log_, ".second", i);
    auto second = testing::SpawnServer(Arguments(seconds[i]), log);
    ASSERT_TRUE(second.ok()) << second.status();
    if (testing::AwaitServing(*second, log).ok()) {
      ADD_FAILURE() << "a second server started on " << addresses[i];
      continue;  // its ServerProcess kills it
    }
    const int status = testing::WaitForExit(*second);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 1) << addresses[i] << ": " << status;
    const std::string said = ReadFile(log);
    EXPECT_NE(said.find("verkenner-server: "), std::string::npos) << said;
    EXPECT_NE(said.find(addresses[i]), std::string::npos) << said;
    EXPECT_NE(said.find("in use"), std::string::npos) << said;
    const size_t message = said.find("verkenner-server: ");
    if (message != std::string::npos) {
      std::cout << said.substr(message, said.find('\n', message) - message) << std::endl;
    }
  }
  // The first server still serves.
  const int status = testing::Signal(*first, SIGTERM);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
}

// An address that does not parse is a usage error (exit 2) naming its flag, like every other
// malformed flag value (base/command_line), not a failure to start (exit 1).
TEST_F(ServerProcessTest, AListenAddressThatDoesNotParseIsAUsageError) {
  for (const std::string flag : {"--http_listen", "--metrics_listen"}) {
    const std::string log = absl::StrCat(log_, flag);
    auto server = testing::SpawnServer(Arguments({"--listen=127.0.0.1:0", flag + "=nowhere"}), log);
    ASSERT_TRUE(server.ok()) << server.status();
    if (testing::AwaitServing(*server, log).ok()) {
      ADD_FAILURE() << "the server started with " << flag << "=nowhere";
      continue;  // its ServerProcess kills it
    }
    const int status = testing::WaitForExit(*server);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 2) << flag << ": " << status;
    const std::string said = ReadFile(log);
    EXPECT_NE(said.find("verkenner-server: " + flag + ": "), std::string::npos) << said;
    EXPECT_NE(said.find("verkenner-server --help"), std::string::npos) << said;
  }
}

}  // namespace
}  // namespace verkenner
