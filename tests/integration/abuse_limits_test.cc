// Login throttling and quotas against hostile clients, through the real listeners: clients are
// real sockets bound to 127.0.0.2 and 127.0.0.3 (two machines as the server sees them), the web
// login goes through the HTTP listener, the gateway and the in-process gRPC channel, and quotas
// are counted in the real store across a real restart of the server.
#include <gtest/gtest.h>

#include <boost/asio.hpp>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "service/auth/credentials.h"
#include "service/auth/login_throttle.h"
#include "service/http/api_gateway.h"
#include "service/http/http_listener.h"
#include "service/http/web_handler.h"
#include "service/server.h"
#include "tests/integration/error_details.h"
#include "tests/integration/test_accounts.h"
#include "tests/integration/test_index.h"

namespace verkenner {
namespace {

constexpr char kPassword[] = "een lang en geheim wachtwoord";
constexpr char kOwner[] = "eigenaar@drempel.example";
constexpr char kAttacker[] = "127.0.0.2";
constexpr char kOwnersMachine[] = "127.0.0.3";
constexpr char kProxy[] = "127.0.0.4";

struct HttpAnswer {
  int status = 0;
  std::string retry_after;  // the Retry-After header, or empty
  std::string raw;
};

// One HTTP/1.1 exchange from a client socket bound to `from` (a loopback address) to the
// listener on 127.0.0.1:`port`.
HttpAnswer Exchange(const std::string& from, int port, const std::string& request) {
  boost::asio::io_context context;
  boost::asio::ip::tcp::socket socket(context);
  socket.open(boost::asio::ip::tcp::v4());
  socket.bind({boost::asio::ip::make_address(from), 0});
  socket.connect({boost::asio::ip::make_address("127.0.0.1"), static_cast<uint16_t>(port)});
  boost::asio::write(socket, boost::asio::buffer(request));
  HttpAnswer answer;
  boost::system::error_code error;
  char buffer[4096];
  while (!error) {
    const size_t read = socket.read_some(boost::asio::buffer(buffer), error);
    answer.raw.append(buffer, read);
  }
  if (answer.raw.rfind("HTTP/1.1 ", 0) == 0) answer.status = std::stoi(answer.raw.substr(9, 3));
  if (const size_t at = answer.raw.find("\r\nRetry-After: "); at != std::string::npos) {
    const size_t start = at + 15;
    answer.retry_after = answer.raw.substr(start, answer.raw.find("\r\n", start) - start);
  }
  return answer;
}

class AbuseLimitsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto reference = engine::ReferenceData::Load(engine::ReferenceData::DefaultDirectory());
    ASSERT_TRUE(reference.ok()) << reference.status();
    directory_ = new std::filesystem::path(std::filesystem::temp_directory_path() /
                                           ("verkenner-abuse-" + std::to_string(getpid())));
    std::filesystem::remove_all(*directory_);
    std::filesystem::create_directories(*directory_);
    auto index = testing::BuildTestIndex(*directory_, 40, *reference);
    ASSERT_TRUE(index.ok()) << index.status();
    index_ = new testing::TestIndex(std::move(*index));
    reference_ = new std::shared_ptr<const engine::ReferenceData>(*reference);
    auto hash = service::HashPassword(kPassword);
    ASSERT_TRUE(hash.ok());
    password_hash_ = new std::string(*hash);
  }

  static void TearDownTestSuite() {
    std::filesystem::remove_all(*directory_);
    delete directory_;
    delete index_;
    delete reference_;
    delete password_hash_;
  }

  void SetUp() override {
    const auto* test = ::testing::UnitTest::GetInstance()->current_test_info();
    store_path_ = (*directory_ / (std::string(test->name()) + ".db")).string();
    std::filesystem::remove(store_path_);
    service::NewAccount owner = testing::TestEmployer(kOwner, "Drempel BV");
    owner.password_hash = *password_hash_;
    ASSERT_TRUE(testing::AddAccountWithToken(store_path_, owner).ok());
  }

  void TearDown() override {
    listener_.reset();
    web_.reset();
    gateway_.reset();
    server_.reset();
    std::filesystem::remove(store_path_);
  }

  void StartServer(service::QuotaLimiter::Limits quotas = {},
                   std::vector<std::string> trusted_proxies = {}) {
    service::Server::Options options;
    options.listen_address = "127.0.0.1:0";
    options.index_path = index_->index_path;
    options.vault_path = index_->vault_path;
    options.store_path = store_path_;
    options.pseudonymizer = index_->pseudonymizer;
    options.reference_data = *reference_;
    options.search_threads = 1;
    options.today = [] { return testing::kTestToday; };
    options.quotas = quotas;
    options.trusted_proxies = std::move(trusted_proxies);
    auto server = service::Server::Start(std::move(options));
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
  }

  // The web side as verkenner-server wires it, with `trusted_proxies` for --trusted_proxies.
  void StartWeb(std::vector<std::string> trusted_proxies = {}) {
    StartServer();
    gateway_ = std::make_unique<service::ApiGateway>(
        server_->InProcessChannel(), std::string(32, 's'), std::move(trusted_proxies));
    web_ = std::make_unique<service::WebHandler>(gateway_.get(), "");
    auto listener = service::HttpListener::Start(
        "127.0.0.1:0", {}, [web = web_.get()](service::HttpRequest request, auto respond) {
          web->Handle(std::move(request), std::move(respond));
        });
    ASSERT_TRUE(listener.ok()) << listener.status();
    listener_ = std::move(*listener);
  }

  HttpAnswer LogIn(const std::string& from, const std::string& email, const std::string& password,
                   const std::string& forwarded_for = "") {
    const std::string body = R"({"email":")" + email + R"(","password":")" + password + R"("})";
    std::string request = "POST /api/v1/session HTTP/1.1\r\nHost: x\r\n";
    if (!forwarded_for.empty()) request += "X-Forwarded-For: " + forwarded_for + "\r\n";
    request += "Content-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
               "\r\n\r\n" + body;
    return Exchange(from, listener_->port(), request);
  }

  std::string AddEmployer(const std::string& email, const std::string& organisation) {
    auto token =
        testing::AddAccountWithToken(store_path_, testing::TestEmployer(email, organisation));
    EXPECT_TRUE(token.ok()) << token.status();
    return token.ok() ? *token : "";
  }

  grpc::StatusCode View(const std::string& token, const std::string& profile_id) {
    auto stub = v1::CandidateSearchService::NewStub(grpc::CreateChannel(
        "127.0.0.1:" + std::to_string(server_->port()), grpc::InsecureChannelCredentials()));
    grpc::ClientContext context;
    testing::Authorize(context, token);
    v1::GetProfileRequest request;
    request.set_profile_id(profile_id);
    v1::GetProfileResponse response;
    return stub->GetProfile(&context, request, &response).error_code();
  }

  std::string ProfileId(int row) const {
    return index_->pseudonymizer->ProfileId(index_->sources[row].source(),
                                            index_->sources[row].client_number());
  }

  static std::filesystem::path* directory_;
  static testing::TestIndex* index_;
  static std::shared_ptr<const engine::ReferenceData>* reference_;
  static std::string* password_hash_;
  std::string store_path_;
  std::unique_ptr<service::Server> server_;
  std::unique_ptr<service::ApiGateway> gateway_;
  std::unique_ptr<service::WebHandler> web_;
  std::unique_ptr<service::HttpListener> listener_;
};

std::filesystem::path* AbuseLimitsTest::directory_ = nullptr;
testing::TestIndex* AbuseLimitsTest::index_ = nullptr;
std::shared_ptr<const engine::ReferenceData>* AbuseLimitsTest::reference_ = nullptr;
std::string* AbuseLimitsTest::password_hash_ = nullptr;

TEST_F(AbuseLimitsTest, MadeUpAddressesFromOneClientDoNotLockOutAnother) {
  StartWeb();
  const int64_t hashes_before = service::PasswordVerifications();
  int throttled = 0;
  for (int i = 0; i < 100; ++i) {
    const HttpAnswer answer =
        LogIn(kAttacker, "verzonnen" + std::to_string(i) + "@example.nl", "geraden wachtwoord");
    ASSERT_TRUE(answer.status == 401 || answer.status == 429) << answer.raw;
    if (answer.status == 429) ++throttled;
  }
  // The guesser is slowed down, and most of its guesses never cost an argon2id hash.
  EXPECT_GT(throttled, 50);
  EXPECT_LT(service::PasswordVerifications() - hashes_before, 50);
  const HttpAnswer owner = LogIn(kOwnersMachine, kOwner, kPassword);
  EXPECT_EQ(owner.status, 200) << owner.raw;
}

TEST_F(AbuseLimitsTest, WrongPasswordsFromOneClientDoNotLockTheOwnerOutElsewhere) {
  StartWeb();
  int throttled = 0;
  for (int i = 0; i < 12; ++i) {
    const HttpAnswer answer = LogIn(kAttacker, kOwner, "geraden wachtwoord " + std::to_string(i));
    ASSERT_TRUE(answer.status == 401 || answer.status == 429) << answer.raw;
    if (answer.status == 429) ++throttled;
  }
  EXPECT_GT(throttled, 0) << "guessing one account's password from one address is slowed down";
  const HttpAnswer owner = LogIn(kOwnersMachine, kOwner, kPassword);
  EXPECT_EQ(owner.status, 200) << owner.raw;
  // The guesser is still held back after the owner's login.
  EXPECT_EQ(LogIn(kAttacker, kOwner, "nog een gok").status, 429);
}

TEST_F(AbuseLimitsTest, AThrottledLoginAnswers429WithRetryAfterAndHashesNothing) {
  StartWeb();
  HttpAnswer answer;
  for (int i = 0; i < 30 && answer.status != 429; ++i) {
    answer = LogIn(kAttacker, kOwner, "geraden wachtwoord " + std::to_string(i));
  }
  ASSERT_EQ(answer.status, 429) << answer.raw;
  const int64_t hashes_before = service::PasswordVerifications();
  // Even the right password waits: a throttle that let it through would tell the guesser.
  answer = LogIn(kAttacker, kOwner, kPassword);
  EXPECT_EQ(answer.status, 429) << answer.raw;
  ASSERT_FALSE(answer.retry_after.empty()) << answer.raw;
  const int seconds = std::stoi(answer.retry_after);
  EXPECT_GE(seconds, 1);
  EXPECT_LE(seconds, 15 * 60);
  // The body says the same to a program: the reason, and the wait as RetryInfo.
  const google::rpc::Status body =
      testing::ErrorBodyOf(answer.raw.substr(answer.raw.find("\r\n\r\n") + 4));
  EXPECT_EQ(testing::ReasonOf(body), "LOGIN_THROTTLED") << answer.raw;
  EXPECT_EQ(testing::RetryDelaySecondsOf(body), seconds) << answer.raw;
  EXPECT_EQ(service::PasswordVerifications(), hashes_before) << "a throttled login hashed";
}

TEST_F(AbuseLimitsTest, ForwardedForCountsOnlyFromATrustedProxy) {
  StartWeb({kProxy});
  // A client that is not a proxy cannot make itself many clients with the header.
  int throttled = 0;
  for (int i = 0; i < 40; ++i) {
    const HttpAnswer answer = LogIn(kAttacker, "verzonnen" + std::to_string(i) + "@example.nl",
                                    "gok", "10.0.0." + std::to_string(i));
    if (answer.status == 429) ++throttled;
  }
  EXPECT_GT(throttled, 0) << "X-Forwarded-For from an untrusted peer was believed";
  // Behind the trusted proxy, each client counts on its own: the last hop the proxy added, not
  // what the client wrote before it.
  HttpAnswer answer;
  for (int i = 0; i < 40 && answer.status != 429; ++i) {
    answer =
        LogIn(kProxy, "verzonnen" + std::to_string(i) + "@example.nl", "gok", "10.9.9.9, 10.1.1.1");
  }
  EXPECT_EQ(answer.status, 429) << "a client behind the proxy is throttled";
  EXPECT_EQ(LogIn(kProxy, kOwner, kPassword, "10.1.1.1, 10.1.1.2").status, 200);
}

// gRPC through HAProxy: the peer is the proxy, so without X-Forwarded-For every client would be
// one address, and twenty wrong passwords anywhere would hold every gRPC login back.
TEST_F(AbuseLimitsTest, GrpcClientsBehindATrustedProxyCountByTheAddressItForwards) {
  auto log_in = [&](const std::string& email, const std::string& password,
                    const std::string& forwarded_for) {
    auto sessions = v1::SessionService::NewStub(grpc::CreateChannel(
        "127.0.0.1:" + std::to_string(server_->port()), grpc::InsecureChannelCredentials()));
    grpc::ClientContext context;
    context.AddMetadata("x-forwarded-for", forwarded_for);
    v1::CreateSessionRequest request;
    request.set_email(email);
    request.set_password(password);
    v1::CreateSessionResponse response;
    return sessions->CreateSession(&context, request, &response).error_code();
  };
  StartServer({}, {"127.0.0.1"});
  for (int i = 0; i < 30; ++i) {
    ASSERT_EQ(log_in("verzonnen" + std::to_string(i) + "@example.nl", "gok",
                     "10.0.0." + std::to_string(i)),
              grpc::StatusCode::UNAUTHENTICATED)
        << "client " << i << " was held back for what others did";
  }
  grpc::StatusCode code = grpc::StatusCode::OK;
  for (int i = 0; i < 40 && code != grpc::StatusCode::RESOURCE_EXHAUSTED; ++i) {
    code = log_in("verzonnen" + std::to_string(i) + "@example.nl", "gok", "10.9.9.9, 10.1.1.1");
  }
  EXPECT_EQ(code, grpc::StatusCode::RESOURCE_EXHAUSTED) << "a guesser behind the proxy went free";
  EXPECT_EQ(log_in(kOwner, kPassword, "10.1.1.2"), grpc::StatusCode::OK);
  // Not a trusted proxy: the header is the client's own and counts for nothing.
  server_.reset();
  StartServer();
  code = grpc::StatusCode::OK;
  for (int i = 0; i < 40 && code != grpc::StatusCode::RESOURCE_EXHAUSTED; ++i) {
    code =
        log_in("ander" + std::to_string(i) + "@example.nl", "gok", "10.2.0." + std::to_string(i));
  }
  EXPECT_EQ(code, grpc::StatusCode::RESOURCE_EXHAUSTED) << "an untrusted X-Forwarded-For counted";
}

TEST_F(AbuseLimitsTest, AClientOverTheNetworkCannotNameAnotherAddress) {
  StartServer();
  auto sessions = v1::SessionService::NewStub(grpc::CreateChannel(
      "127.0.0.1:" + std::to_string(server_->port()), grpc::InsecureChannelCredentials()));
  grpc::StatusCode code = grpc::StatusCode::OK;
  for (int i = 0; i < 40 && code != grpc::StatusCode::RESOURCE_EXHAUSTED; ++i) {
    grpc::ClientContext context;
    context.AddMetadata(service::kClientAddressMetadata, "10.0.0." + std::to_string(i));
    v1::CreateSessionRequest request;
    request.set_email("verzonnen" + std::to_string(i) + "@example.nl");
    request.set_password("gok");
    v1::CreateSessionResponse response;
    code = sessions->CreateSession(&context, request, &response).error_code();
  }
  EXPECT_EQ(code, grpc::StatusCode::RESOURCE_EXHAUSTED) << "the metadata of a network peer counted";
}

TEST_F(AbuseLimitsTest, ProfileViewsOfTheDayOutliveARestart) {
  service::QuotaLimiter::Limits quotas;
  quotas.profile_views_per_day = 3;
  StartServer(quotas);
  const std::string token = AddEmployer("kijker@herstart.example", "Herstart BV");
  EXPECT_EQ(View(token, ProfileId(0)), grpc::StatusCode::OK);
  EXPECT_EQ(View(token, ProfileId(1)), grpc::StatusCode::OK);
  server_.reset();  // a restart: the store is closed and opened again
  StartServer(quotas);
  EXPECT_EQ(View(token, ProfileId(2)), grpc::StatusCode::OK);
  EXPECT_EQ(View(token, ProfileId(3)), grpc::StatusCode::RESOURCE_EXHAUSTED);
}

TEST_F(AbuseLimitsTest, AnOrganisationsAccountsShareItsDailyLimit) {
  service::QuotaLimiter::Limits quotas;
  quotas.profile_views_per_day = 4;
  quotas.organisation_profile_views_per_day = 5;
  StartServer(quotas);
  const std::string first = AddEmployer("een@samen.example", "Samen BV");
  const std::string second = AddEmployer("twee@samen.example", "Samen BV");
  const std::string elsewhere = AddEmployer("een@elders.example", "Elders BV");
  for (int i = 0; i < 4; ++i) EXPECT_EQ(View(first, ProfileId(i)), grpc::StatusCode::OK) << i;
  EXPECT_EQ(View(first, ProfileId(4)), grpc::StatusCode::RESOURCE_EXHAUSTED);
  // A new account of the same organisation brings no fresh quota beyond the organisation's.
  EXPECT_EQ(View(second, ProfileId(5)), grpc::StatusCode::OK);
  EXPECT_EQ(View(second, ProfileId(6)), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_EQ(View(elsewhere, ProfileId(7)), grpc::StatusCode::OK);
}

TEST_F(AbuseLimitsTest, CallsThatFailValidationUseNoQuota) {
  service::QuotaLimiter::Limits quotas;
  quotas.profile_views_per_day = 2;
  quotas.searches_per_minute = 2;
  StartServer(quotas);
  const std::string token = AddEmployer("foutje@valide.example", "Valide BV");
  for (const char* malformed : {"../../etc/passwd", "ZZZZ", "'; DROP TABLE audit; --"}) {
    EXPECT_EQ(View(token, malformed), grpc::StatusCode::INVALID_ARGUMENT) << malformed;
  }
  EXPECT_EQ(View(token, ProfileId(0)), grpc::StatusCode::OK);
  EXPECT_EQ(View(token, ProfileId(1)), grpc::StatusCode::OK);
  EXPECT_EQ(View(token, ProfileId(2)), grpc::StatusCode::RESOURCE_EXHAUSTED);

  auto stub = v1::CandidateSearchService::NewStub(grpc::CreateChannel(
      "127.0.0.1:" + std::to_string(server_->port()), grpc::InsecureChannelCredentials()));
  auto search = [&](const std::string& postcode) {
    grpc::ClientContext context;
    testing::Authorize(context, token);
    v1::SearchCandidatesRequest request;
    request.set_page_size(1);
    if (!postcode.empty()) request.mutable_vacancy()->mutable_workplace()->set_postcode(postcode);
    v1::SearchCandidatesResponse response;
    return stub->SearchCandidates(&context, request, &response).error_code();
  };
  for (int i = 0; i < 3; ++i)
    EXPECT_EQ(search("geen postcode"), grpc::StatusCode::INVALID_ARGUMENT);
  // Two searches in the same minute; should the minute turn between them, the second one is
  // allowed anyway, so only a charge for the invalid ones could refuse it.
  EXPECT_EQ(search(""), grpc::StatusCode::OK);
  EXPECT_EQ(search(""), grpc::StatusCode::OK);
}

}  // namespace
}  // namespace verkenner
