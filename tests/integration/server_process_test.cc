// verkenner-server as an operator runs it: a real binary, real sockets on 127.0.0.1, real
// signals. A stop (SIGTERM) lets calls in flight over HTTP finish with their real answer and does
// not wait for idle connections; a second server on a port in use refuses to start.
#include "tests/integration/server_process.h"

#include <arpa/inet.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
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
#include "verkenner/v1/sessions.grpc.pb.h"

namespace verkenner {
namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;

constexpr char kPassword[] = "een lang en geheim wachtwoord";
constexpr int kAccounts = 4;

std::string Email(int account) { return absl::StrCat("werkgever", account, "@stop.example"); }

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

}  // namespace
}  // namespace verkenner
