// The web app's JSON API gateway against a running server, through its in-process channel: the
// session cookie and CSRF token, protobuf's JSON mapping both ways, and the HTTP status codes.
#include "service/http/api_gateway.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <future>

#include "service/auth/credentials.h"
#include "service/server.h"
#include "tests/integration/test_accounts.h"
#include "tests/integration/test_index.h"

namespace verkenner {
namespace {

constexpr char kPassword[] = "een lang en geheim wachtwoord";

class ApiGatewayTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto reference = engine::ReferenceData::Load(engine::ReferenceData::DefaultDirectory());
    ASSERT_TRUE(reference.ok()) << reference.status();
    directory_ = new std::filesystem::path(std::filesystem::temp_directory_path() /
                                           ("verkenner-gateway-" + std::to_string(getpid())));
    std::filesystem::remove_all(*directory_);
    std::filesystem::create_directories(*directory_);
    auto index = testing::BuildTestIndex(*directory_, 100, *reference);
    ASSERT_TRUE(index.ok()) << index.status();
    const std::string store = (*directory_ / "store.db").string();
    service::NewAccount employer =
        testing::TestEmployer("werkgever@gateway.example", "Gateway Bakkerij");
    auto hash = service::HashPassword(kPassword);
    ASSERT_TRUE(hash.ok());
    employer.password_hash = *hash;
    ASSERT_TRUE(testing::AddAccountWithToken(store, employer).ok());

    service::Server::Options options;
    options.listen_address = "127.0.0.1:0";
    options.index_path = index->index_path;
    options.vault_path = index->vault_path;
    options.store_path = store;
    options.reference_data = *reference;
    options.search_threads = 2;
    options.today = [] { return testing::kTestToday; };
    auto server = service::Server::Start(std::move(options));
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = server->release();
    gateway_ = new service::ApiGateway(server_->InProcessChannel(), std::string(32, 's'));
  }

  static void TearDownTestSuite() {
    delete gateway_;
    delete server_;
    std::filesystem::remove_all(*directory_);
    delete directory_;
  }

  static service::ApiResponse Send(service::ApiRequest request) {
    std::promise<service::ApiResponse> answer;
    gateway_->Handle(std::move(request),
                     [&](service::ApiResponse response) { answer.set_value(std::move(response)); });
    return answer.get_future().get();
  }

  static std::string Header(const service::ApiResponse& response, const std::string& name) {
    for (const auto& [key, value] : response.headers) {
      if (key == name) return value;
    }
    return "";
  }

  // Logs in; returns the cookie header to send and the CSRF token.
  static std::pair<std::string, std::string> LogIn() {
    service::ApiResponse login = Send(
        {"POST", "/api/v1/session",
         R"({"email":"werkgever@gateway.example","password":")" + std::string(kPassword) + R"("})",
         "", ""});
    EXPECT_EQ(login.status, 200) << login.body;
    const std::string cookie = Header(login, "Set-Cookie");
    return {cookie.substr(0, cookie.find(';')), Header(login, "X-CSRF-Token")};
  }

  static std::filesystem::path* directory_;
  static service::Server* server_;
  static service::ApiGateway* gateway_;
};

std::filesystem::path* ApiGatewayTest::directory_ = nullptr;
service::Server* ApiGatewayTest::server_ = nullptr;
service::ApiGateway* ApiGatewayTest::gateway_ = nullptr;

TEST_F(ApiGatewayTest, LoginSetsAStrictHttpOnlyCookieAndNeverShowsTheTokenToScripts) {
  service::ApiResponse login = Send(
      {"POST", "/api/v1/session",
       R"({"email":"werkgever@gateway.example","password":")" + std::string(kPassword) + R"("})",
       "", ""});
  ASSERT_EQ(login.status, 200) << login.body;
  const std::string cookie = Header(login, "Set-Cookie");
  EXPECT_EQ(cookie.rfind("verkenner_session=", 0), 0u) << cookie;
  for (const char* attribute : {"; HttpOnly", "; Secure", "; SameSite=Strict", "; Path=/"}) {
    EXPECT_NE(cookie.find(attribute), std::string::npos) << attribute;
  }
  const std::string token = cookie.substr(18, cookie.find(';') - 18);
  EXPECT_TRUE(service::LooksLikeToken(token));
  EXPECT_EQ(login.body.find(token), std::string::npos) << "the token is the cookie's only";
  EXPECT_EQ(login.body.find("sessionToken"), std::string::npos);
  EXPECT_NE(login.body.find("\"email\":\"werkgever@gateway.example\""), std::string::npos)
      << login.body;
  EXPECT_EQ(Header(login, "X-CSRF-Token"), gateway_->CsrfToken(token));

  service::ApiResponse wrong =
      Send({"POST", "/api/v1/session", R"({"email":"werkgever@gateway.example","password":"x"})",
            "", ""});
  EXPECT_EQ(wrong.status, 401);
  EXPECT_EQ(Header(wrong, "Set-Cookie"), "");
}

TEST_F(ApiGatewayTest, MethodsMapOneToOneWithProtobufJsonAndHttpCodes) {
  const auto [cookie, csrf] = LogIn();
  service::ApiResponse search = Send({"POST", "/api/v1/CandidateSearchService/SearchCandidates",
                                      R"({"vacancy":{"workplace":{"postcode":"3511 AB"}},)"
                                      R"("pageSize":5,"facets":["FACET_EDUCATION_LEVEL"]})",
                                      cookie, csrf});
  ASSERT_EQ(search.status, 200) << search.body;
  EXPECT_NE(search.body.find("\"matches\":["), std::string::npos);
  EXPECT_NE(search.body.find("\"totalSize\""), std::string::npos);

  // The service's own validation, named field and all, comes through as 400.
  service::ApiResponse invalid = Send({"POST", "/api/v1/CandidateSearchService/SearchCandidates",
                                       R"({"pageSize":500})", cookie, csrf});
  EXPECT_EQ(invalid.status, 400);
  EXPECT_NE(invalid.body.find("\"code\":\"INVALID_ARGUMENT\""), std::string::npos);
  EXPECT_NE(invalid.body.find("page_size"), std::string::npos) << invalid.body;
  service::ApiResponse not_json =
      Send({"POST", "/api/v1/CandidateSearchService/SearchCandidates", "{pageSize:", cookie, csrf});
  EXPECT_EQ(not_json.status, 400);
  EXPECT_NE(not_json.body.find("body:"), std::string::npos);
  // A role the service refuses, an unknown method, a streaming one, a GET.
  EXPECT_EQ(
      Send({"POST", "/api/v1/ContactRequestService/ListRegionContactRequests", "{}", cookie, csrf})
          .status,
      403);
  EXPECT_EQ(Send({"POST", "/api/v1/CandidateSearchService/DropTables", "{}", cookie, csrf}).status,
            404);
  EXPECT_EQ(
      Send({"POST", "/api/v1/ProfileImportService/ImportProfiles", "{}", cookie, csrf}).status,
      404);
  EXPECT_EQ(Send({"GET", "/api/v1/SessionService/GetCurrentAccount", "", cookie, csrf}).status,
            405);
}

TEST_F(ApiGatewayTest, EveryCallNeedsTheSessionAndItsCsrfTokenAndLogoutEndsBoth) {
  const auto [cookie, csrf] = LogIn();
  const std::string me = "/api/v1/SessionService/GetCurrentAccount";
  EXPECT_EQ(Send({"POST", me, "{}", cookie, csrf}).status, 200);
  EXPECT_EQ(Send({"POST", me, "{}", "", csrf}).status, 401);
  EXPECT_EQ(Send({"POST", me, "{}", cookie, ""}).status, 403);
  EXPECT_EQ(Send({"POST", me, "{}", cookie, std::string(csrf.size(), '0')}).status, 403);
  // Another session's token does not pass for this one.
  const auto [other_cookie, other_csrf] = LogIn();
  EXPECT_EQ(Send({"POST", me, "{}", cookie, other_csrf}).status, 403);

  service::ApiResponse logout = Send({"POST", "/api/v1/session/logout", "", cookie, csrf});
  EXPECT_EQ(logout.status, 200) << logout.body;
  EXPECT_NE(Header(logout, "Set-Cookie").find("Max-Age=0"), std::string::npos);
  EXPECT_EQ(Send({"POST", me, "{}", cookie, csrf}).status, 401);
  EXPECT_EQ(Send({"POST", me, "{}", other_cookie, other_csrf}).status, 200);
}

TEST(CookieValueTest, FindsTheNamedCookieAmongOthers) {
  EXPECT_EQ(service::CookieValue("a=1; verkenner_session=abc; b=2", "verkenner_session"), "abc");
  EXPECT_EQ(service::CookieValue("verkenner_session_x=1", "verkenner_session"), "");
  EXPECT_EQ(service::CookieValue("", "verkenner_session"), "");
}

}  // namespace
}  // namespace verkenner
