// The web app's JSON API gateway against a running server, through its in-process channel: the
// session cookie and CSRF token, protobuf's JSON mapping both ways, and the HTTP status codes.
#include "service/http/api_gateway.h"

#include <gtest/gtest.h>

#include <boost/asio.hpp>
#include <filesystem>
#include <future>

#include "service/auth/credentials.h"
#include "service/http/http_listener.h"
#include "service/http/web_handler.h"
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

// A raw HTTP/1.1 exchange over a real socket.
std::string Exchange(int port, const std::string& request) {
  boost::asio::io_context context;
  boost::asio::ip::tcp::socket socket(context);
  socket.connect({boost::asio::ip::make_address("127.0.0.1"), static_cast<uint16_t>(port)});
  // The server may refuse and close before it has read everything: a failed write is part of
  // the exchange, the answer (if any) is still read.
  boost::system::error_code write_error;
  boost::asio::write(socket, boost::asio::buffer(request), write_error);
  std::string response;
  boost::system::error_code error;
  char buffer[4096];
  while (true) {
    const size_t read = socket.read_some(boost::asio::buffer(buffer), error);
    response.append(buffer, read);
    if (error) break;
  }
  return response;
}

TEST_F(ApiGatewayTest, TheWebListenerServesTheAppWithAStrictPolicyAndTheApi) {
  const std::filesystem::path root = *directory_ / "web";
  std::filesystem::create_directories(root / "assets");
  std::ofstream(root / "index.html") << "<!doctype html><title>Verkenner</title>";
  std::ofstream(root / "assets" / "app.js") << "console.log('hallo');";
  std::ofstream(*directory_ / "secret.txt") << "not for the web";
  service::WebHandler web(gateway_, root.string());
  service::HttpListener::Options options;
  options.max_body_bytes = 64 * 1024;
  auto listener = service::HttpListener::Start("127.0.0.1:0", options,
                                               [&](service::HttpRequest request, auto respond) {
                                                 web.Handle(std::move(request), std::move(respond));
                                               });
  ASSERT_TRUE(listener.ok()) << listener.status();
  const int port = (*listener)->port();

  const std::string index = Exchange(port, "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(index.rfind("HTTP/1.1 200", 0), 0u) << index;
  EXPECT_NE(index.find("Content-Security-Policy: default-src 'self'; script-src 'self'"),
            std::string::npos);
  EXPECT_NE(index.find("X-Content-Type-Options: nosniff"), std::string::npos);
  EXPECT_NE(index.find("<title>Verkenner</title>"), std::string::npos);
  // The app's own routes get the app; its files their type; nothing outside the root.
  EXPECT_NE(Exchange(port, "GET /zoeken HTTP/1.1\r\nHost: x\r\n\r\n").find("<title>"),
            std::string::npos);
  EXPECT_NE(Exchange(port, "GET /assets/app.js HTTP/1.1\r\nHost: x\r\n\r\n")
                .find("Content-Type: text/javascript"),
            std::string::npos);
  for (const char* bad : {"/../secret.txt", "/%2e%2e/secret.txt", "/assets/..%2fsecret.txt"}) {
    const std::string answer =
        Exchange(port, std::string("GET ") + bad + " HTTP/1.1\r\nHost: x\r\n\r\n");
    EXPECT_EQ(answer.find("not for the web"), std::string::npos) << bad;
    EXPECT_EQ(answer.rfind("HTTP/1.1 400", 0), 0u) << bad << answer;
  }
  EXPECT_EQ(Exchange(port, "GET /nope.css HTTP/1.1\r\nHost: x\r\n\r\n").rfind("HTTP/1.1 404", 0),
            0u);

  // The API through the socket: login sets the cookie, a too large body is refused.
  const std::string body =
      R"({"email":"werkgever@gateway.example","password":")" + std::string(kPassword) + R"("})";
  const std::string login =
      Exchange(port,
               "POST /api/v1/session HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
               "Content-Length: " +
                   std::to_string(body.size()) + "\r\n\r\n" + body);
  EXPECT_EQ(login.rfind("HTTP/1.1 200", 0), 0u) << login;
  EXPECT_NE(login.find("Set-Cookie: verkenner_session="), std::string::npos);
  EXPECT_NE(login.find("Cache-Control: no-store"), std::string::npos);
  // Refused on the announced length, before any of the body is read: the body is not sent, or
  // the refusal's close would reset the connection under an unread body.
  EXPECT_EQ(Exchange(port, "POST /api/v1/session HTTP/1.1\r\nHost: x\r\nContent-Length: " +
                               std::to_string(100 * 1024) + "\r\n\r\n")
                .rfind("HTTP/1.1 413", 0),
            0u);
}

TEST(CookieValueTest, FindsTheNamedCookieAmongOthers) {
  EXPECT_EQ(service::CookieValue("a=1; verkenner_session=abc; b=2", "verkenner_session"), "abc");
  EXPECT_EQ(service::CookieValue("verkenner_session_x=1", "verkenner_session"), "");
  EXPECT_EQ(service::CookieValue("", "verkenner_session"), "");
}

}  // namespace
}  // namespace verkenner
