// The web app's JSON API gateway against a running server, through its in-process channel: the
// session cookie and CSRF token, protobuf's JSON mapping both ways, and the HTTP status codes.
#include "service/http/api_gateway.h"

#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <boost/asio.hpp>
#include <filesystem>
#include <future>
#include <set>
#include <thread>

#include "absl/strings/str_cat.h"
#include "engine/disclosure_control.h"
#include "indexer/synthetic/synthetic_profile_generator.h"
#include "service/auth/client_address.h"
#include "service/auth/credentials.h"
#include "service/http/http_listener.h"
#include "service/http/web_handler.h"
#include "service/server.h"
#include "tests/integration/error_details.h"
#include "tests/integration/test_accounts.h"
#include "tests/integration/test_index.h"
#include "tests/service/raw_http_client.h"
#include "tests/test_store.h"
#include "verkenner/v1/search.pb.h"

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
    auto test_store = testing::TestStore::Create(*directory_);
    ASSERT_TRUE(test_store.ok()) << test_store.status();
    test_store_ = test_store->release();
    auto index = testing::BuildTestIndex(*directory_, 100, *reference,
                                         test_store_->VaultTarget(*directory_));
    ASSERT_TRUE(index.ok()) << index.status();
    const std::string store = test_store_->target();
    service::NewAccount employer =
        testing::TestEmployer("werkgever@gateway.example", "Gateway Bakkerij");
    auto hash = service::HashPassword(kPassword);
    ASSERT_TRUE(hash.ok());
    employer.password_hash = *hash;
    auto employer_token = testing::AddAccountWithToken(store, employer);
    ASSERT_TRUE(employer_token.ok()) << employer_token.status();
    employer_token_ = new std::string(*employer_token);
    // The importer's source delivered none of the index's profiles, so that its statistics count
    // only what the tests upload.
    std::set<std::string> used;
    for (const v1::SourceProfile& profile : index->sources) used.insert(profile.source());
    importer_source_ = new std::string();
    for (const char* code : {"GM0344", "GM0307", "GM0599", "GM0518", "GM0363"}) {
      if (!used.contains(code)) {
        *importer_source_ = code;
        break;
      }
    }
    ASSERT_FALSE(importer_source_->empty());
    service::NewAccount importer =
        testing::TestEmployer("koppeling@gateway.example", *importer_source_);
    importer.role = v1::ACCOUNT_ROLE_IMPORTER;
    importer.source = *importer_source_;
    importer.password_hash = *hash;
    auto importer_token = testing::AddAccountWithToken(store, importer);
    ASSERT_TRUE(importer_token.ok()) << importer_token.status();
    importer_token_ = new std::string(*importer_token);
    reference_ = new std::shared_ptr<const engine::ReferenceData>(*reference);

    service::Server::Options options;
    options.listen_address = "127.0.0.1:0";
    options.index_path = index->index_path;
    options.vault_path = index->vault_path;
    options.store_path = store;
    options.pseudonymizer = index->pseudonymizer;
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
    delete test_store_;
    std::filesystem::remove_all(*directory_);
    delete directory_;
    delete importer_source_;
    delete reference_;
    delete employer_token_;
    delete importer_token_;
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
  static std::pair<std::string, std::string> LogIn(
      const std::string& email = "werkgever@gateway.example") {
    service::ApiResponse login = Send(
        {"POST", "/api/v1/session",
         R"({"email":")" + email + R"(","password":")" + std::string(kPassword) + R"("})", "", ""});
    EXPECT_EQ(login.status, 200) << login.body;
    const std::string cookie = Header(login, "Set-Cookie");
    return {cookie.substr(0, cookie.find(';')), Header(login, "X-CSRF-Token")};
  }

  static std::filesystem::path* directory_;
  static testing::TestStore* test_store_;
  static service::Server* server_;
  static service::ApiGateway* gateway_;
  static std::string* importer_source_;
  static std::shared_ptr<const engine::ReferenceData>* reference_;
  static std::string* employer_token_;  // API tokens (verkenner-admin create-token)
  static std::string* importer_token_;
};

std::filesystem::path* ApiGatewayTest::directory_ = nullptr;
testing::TestStore* ApiGatewayTest::test_store_ = nullptr;
service::Server* ApiGatewayTest::server_ = nullptr;
service::ApiGateway* ApiGatewayTest::gateway_ = nullptr;
std::string* ApiGatewayTest::importer_source_ = nullptr;
std::shared_ptr<const engine::ReferenceData>* ApiGatewayTest::reference_ = nullptr;
std::string* ApiGatewayTest::employer_token_ = nullptr;
std::string* ApiGatewayTest::importer_token_ = nullptr;

// A request as a program sends it: an `authorization` header, no cookie, no CSRF token.
service::ApiRequest ProgramRequest(const std::string& target, const std::string& body,
                                   const std::string& authorization) {
  service::ApiRequest request{"POST", target, body, "", ""};
  request.authorization = authorization;
  return request;
}

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

  // The service's own validation comes through as 400 with the error's google.rpc.Status as the
  // body: the field in BadRequest, the reason in ErrorInfo.
  service::ApiResponse invalid = Send({"POST", "/api/v1/CandidateSearchService/SearchCandidates",
                                       R"({"pageSize":-5})", cookie, csrf});
  EXPECT_EQ(invalid.status, 400);
  const google::rpc::Status invalid_body = testing::ErrorBodyOf(invalid.body);
  EXPECT_EQ(invalid_body.code(), grpc::StatusCode::INVALID_ARGUMENT) << invalid.body;
  EXPECT_EQ(testing::ReasonOf(invalid_body), "INVALID_ARGUMENT") << invalid.body;
  ASSERT_EQ(testing::FieldViolationsOf(invalid_body).size(), 1u) << invalid.body;
  EXPECT_TRUE(testing::FieldViolationsOf(invalid_body)[0].starts_with("page_size: "))
      << invalid.body;
  service::ApiResponse not_json =
      Send({"POST", "/api/v1/CandidateSearchService/SearchCandidates", "{pageSize:", cookie, csrf});
  EXPECT_EQ(not_json.status, 400);
  EXPECT_EQ(testing::ReasonOf(testing::ErrorBodyOf(not_json.body)), "MALFORMED_REQUEST")
      << not_json.body;
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

TEST_F(ApiGatewayTest, AnUnrecognisedTextSaysSoInTheJsonWithTheNearestOccupations) {
  const auto [cookie, csrf] = LogIn();
  service::ApiResponse nonsense = Send(
      {"POST", "/api/v1/CandidateSearchService/SearchCandidates",
       R"({"vacancy":{"text":"Zzqx flapdrol","workplace":{"postcode":"3511 AB"}}})", cookie, csrf});
  ASSERT_EQ(nonsense.status, 200) << nonsense.body;
  EXPECT_NE(nonsense.body.find(R"("textIgnored":true)"), std::string::npos) << nonsense.body;
  EXPECT_NE(nonsense.body.find(R"("unknownWords":["zzqx","flapdrol"])"), std::string::npos)
      << nonsense.body;
  EXPECT_NE(nonsense.body.find(R"("matches":[)"), std::string::npos) << nonsense.body;

  service::ApiResponse near = Send({"POST", "/api/v1/CandidateSearchService/SearchCandidates",
                                    R"({"vacancy":{"text":"kappen"},"pageSize":1})", cookie, csrf});
  ASSERT_EQ(near.status, 200) << near.body;
  v1::SearchCandidatesResponse parsed;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(near.body, &parsed).ok()) << near.body;
  EXPECT_TRUE(parsed.text_ignored());
  ASSERT_GT(parsed.suggested_occupations_size(), 0) << near.body;
  EXPECT_NE(near.body.find(R"("suggestedOccupations":[{"escoCode":")"), std::string::npos)
      << near.body;

  // A typo is searched as the occupation word nearest to it that most profiles hold (in this
  // small index "schoonmaken" or "schoonmaker"), and says so.
  service::ApiResponse typo =
      Send({"POST", "/api/v1/CandidateSearchService/SearchCandidates",
            R"({"vacancy":{"text":"schoonmakre"},"pageSize":1})", cookie, csrf});
  ASSERT_EQ(typo.status, 200) << typo.body;
  EXPECT_NE(typo.body.find(R"("spellingSuggestion":"schoonmak)"), std::string::npos) << typo.body;
  EXPECT_NE(typo.body.find(R"("spellingApplied":true)"), std::string::npos) << typo.body;
  EXPECT_EQ(typo.body.find("textIgnored"), std::string::npos) << typo.body;

  // A recognised text has none of it.
  service::ApiResponse known =
      Send({"POST", "/api/v1/CandidateSearchService/SearchCandidates",
            R"({"vacancy":{"text":"schoonmaker"},"pageSize":1})", cookie, csrf});
  ASSERT_EQ(known.status, 200) << known.body;
  EXPECT_EQ(known.body.find("textIgnored"), std::string::npos) << known.body;
  EXPECT_EQ(known.body.find("suggestedOccupations"), std::string::npos) << known.body;
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

// A program (a municipality's case system) calls with its API token as `authorization: Bearer`,
// as over gRPC: no cookie and no CSRF token, which only protect what a browser sends on its own.
// A bearer that does not authenticate is refused even beside a valid session cookie.
TEST_F(ApiGatewayTest, AProgramCallsWithABearerTokenWithoutCookieOrCsrf) {
  const std::string me = "/api/v1/SessionService/GetCurrentAccount";
  service::ApiResponse ok = Send(ProgramRequest(me, "{}", "Bearer " + *employer_token_));
  EXPECT_EQ(ok.status, 200) << ok.body;
  EXPECT_NE(ok.body.find("werkgever@gateway.example"), std::string::npos) << ok.body;
  service::ApiResponse search =
      Send(ProgramRequest("/api/v1/CandidateSearchService/SearchCandidates",
                          R"({"vacancy":{"workplace":{"postcode":"3511 AB"}},"pageSize":2})",
                          "bearer " + *employer_token_));
  EXPECT_EQ(search.status, 200) << search.body;
  EXPECT_NE(search.body.find("\"matches\""), std::string::npos) << search.body;

  for (const std::string& wrong :
       {"Bearer " + std::string(employer_token_->size(), 'x'), std::string("Bearer "),
        std::string("Bearer"), "Basic " + *employer_token_, *employer_token_}) {
    service::ApiResponse refused = Send(ProgramRequest(me, "{}", wrong));
    EXPECT_EQ(refused.status, 401) << wrong << ": " << refused.body;
    EXPECT_NE(refused.body.find("UNAUTHENTICATED"), std::string::npos) << refused.body;
    EXPECT_EQ(refused.body.find(*employer_token_), std::string::npos) << "the token echoed";
  }
  const auto [cookie, csrf] = LogIn();
  service::ApiRequest mixed = ProgramRequest(me, "{}", "Bearer not-a-token");
  mixed.cookie = cookie;
  mixed.csrf_token = csrf;
  EXPECT_EQ(Send(mixed).status, 401);
  // Logging out ends a session; an API token is revoked with the admin CLI, not here.
  service::ApiResponse logout =
      Send(ProgramRequest("/api/v1/session/logout", "", "Bearer " + *employer_token_));
  EXPECT_EQ(logout.status, 400) << logout.body;  // FAILED_PRECONDITION, as grpc-gateway maps it
  EXPECT_EQ(testing::ReasonOf(testing::ErrorBodyOf(logout.body)), "API_TOKEN_NOT_REVOCABLE");
  EXPECT_EQ(Send(ProgramRequest(me, "{}", "Bearer " + *employer_token_)).status, 200);
}

// The web app tells a wrong CSRF token (only logging in again helps) from any other 403 by the
// error's reason, never by its message text.
TEST_F(ApiGatewayTest, AWrongCsrfTokenSaysSoInTheErrorsReasonAndNoOther403Does) {
  const auto [cookie, csrf] = LogIn();
  const auto reason_of = [](const service::ApiResponse& response) {
    return testing::ReasonOf(testing::ErrorBodyOf(response.body));
  };
  const std::string me = "/api/v1/SessionService/GetCurrentAccount";
  for (const std::string& wrong : {std::string(), std::string(csrf.size(), '0')}) {
    service::ApiResponse refused = Send({"POST", me, "{}", cookie, wrong});
    EXPECT_EQ(refused.status, 403);
    EXPECT_EQ(reason_of(refused), "CSRF_TOKEN_INVALID") << refused.body;
  }
  // A role the service refuses is a 403 without that reason: logging in again would not help.
  service::ApiResponse role =
      Send({"POST", "/api/v1/ContactRequestService/ListRegionContactRequests", "{}", cookie, csrf});
  EXPECT_EQ(role.status, 403);
  EXPECT_EQ(reason_of(role), "PERMISSION_DENIED") << role.body;
  // Nor does a missing session.
  EXPECT_EQ(reason_of(Send({"POST", me, "{}", "", csrf})), "UNAUTHENTICATED");
}

TEST_F(ApiGatewayTest, ATabsCsrfTokenOutlivesARestartOfTheServer) {
  // The key comes from the store, so a server started later on the same store accepts the
  // session and CSRF token an earlier one gave: open browser tabs keep working over a restart.
  absl::StatusOr<std::string> key = server_->CsrfKey();
  ASSERT_TRUE(key.ok()) << key.status();
  EXPECT_EQ(key->size(), 32u);
  service::ApiGateway before(server_->InProcessChannel(), *key);
  std::promise<service::ApiResponse> answer;
  before.Handle(
      {"POST", "/api/v1/session",
       R"({"email":"werkgever@gateway.example","password":")" + std::string(kPassword) + R"("})",
       "", ""},
      [&](service::ApiResponse response) { answer.set_value(std::move(response)); });
  const service::ApiResponse login = answer.get_future().get();
  ASSERT_EQ(login.status, 200) << login.body;
  const std::string cookie =
      Header(login, "Set-Cookie").substr(0, Header(login, "Set-Cookie").find(';'));
  const std::string csrf = Header(login, "X-CSRF-Token");

  service::Server::Options options;
  options.listen_address = "127.0.0.1:0";
  options.index_path = (*directory_ / "index").string();
  options.store_path = test_store_->target();
  options.reference_data = *reference_;
  options.search_threads = 1;
  options.today = [] { return testing::kTestToday; };
  auto restarted = service::Server::Start(std::move(options));
  ASSERT_TRUE(restarted.ok()) << restarted.status();
  absl::StatusOr<std::string> key_after = (*restarted)->CsrfKey();
  ASSERT_TRUE(key_after.ok()) << key_after.status();
  EXPECT_EQ(*key_after, *key);
  service::ApiGateway after((*restarted)->InProcessChannel(), *key_after);
  std::promise<service::ApiResponse> me;
  after.Handle({"POST", "/api/v1/SessionService/GetCurrentAccount", "{}", cookie, csrf},
               [&](service::ApiResponse response) { me.set_value(std::move(response)); });
  const service::ApiResponse account = me.get_future().get();
  EXPECT_EQ(account.status, 200) << account.body;
  EXPECT_NE(account.body.find("werkgever@gateway.example"), std::string::npos);
  (*restarted)->Shutdown(std::chrono::milliseconds(0));
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

// The value of header `name` in a raw HTTP response, or "".
std::string RawHeader(const std::string& response, const std::string& name) {
  const size_t at = response.find("\r\n" + name + ": ");
  if (at == std::string::npos) return "";
  const size_t start = at + name.size() + 4;
  return response.substr(start, response.find("\r\n", start) - start);
}

std::string RawBody(const std::string& response) {
  const size_t at = response.find("\r\n\r\n");
  return at == std::string::npos ? "" : response.substr(at + 4);
}

std::string Post(int port, const std::string& target, const std::string& cookie,
                 const std::string& csrf, const std::string& body) {
  std::string request = "POST " + target + " HTTP/1.1\r\nHost: x\r\n";
  if (!cookie.empty()) request += "Cookie: " + cookie + "\r\n";
  if (!csrf.empty()) request += "X-CSRF-Token: " + csrf + "\r\n";
  return Exchange(port,
                  request + "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body);
}

// The web listener as verkenner-server wires it, with a small general body limit.
class ImportUploadTest : public ApiGatewayTest {
 protected:
  void SetUp() override {
    web_ = std::make_unique<service::WebHandler>(gateway_, (*directory_ / "web").string());
    service::HttpListener::Options options;
    options.max_body_bytes = 64 * 1024;
    options.body_limits = [web = web_.get()](const service::HttpRequest& head) {
      return web->BodyLimitsFor(head);
    };
    auto listener = service::HttpListener::Start(
        "127.0.0.1:0", options, [web = web_.get()](service::HttpRequest request, auto respond) {
          web->Handle(std::move(request), std::move(respond));
        });
    ASSERT_TRUE(listener.ok()) << listener.status();
    listener_ = std::move(*listener);
  }

  // Logs in over HTTP; returns the cookie to send and the CSRF token.
  std::pair<std::string, std::string> LogInOverHttp(const std::string& email) {
    const std::string login =
        Post(listener_->port(), "/api/v1/session", "", "",
             R"({"email":")" + email + R"(","password":")" + std::string(kPassword) + R"("})");
    EXPECT_EQ(login.rfind("HTTP/1.1 200", 0), 0u) << login;
    const std::string cookie = RawHeader(login, "Set-Cookie");
    return {cookie.substr(0, cookie.find(';')), RawHeader(login, "X-CSRF-Token")};
  }

  // A CSV export of the importer's source: `good` generated profiles, with at data row 3 one
  // whose postcode is malformed and at data row 7 a row with too few columns. Returns the file
  // and the accepted profiles.
  std::pair<std::string, std::vector<v1::SourceProfile>> ExportFile(int good) {
    indexer::SyntheticProfileGenerator::Options options;
    options.seed = 42;
    options.sources = {*importer_source_};
    auto generator = indexer::SyntheticProfileGenerator::Create(
        *reference_, engine::ReferenceData::DefaultDirectory(), options);
    EXPECT_TRUE(generator.ok()) << generator.status();
    std::string csv = indexer::FormatCsvHeader(indexer::kCsvSeparator) + "\n";
    std::vector<v1::SourceProfile> accepted;
    int row = 0;
    while (static_cast<int>(accepted.size()) < good) {
      ++row;
      if (row == 7) {
        csv += *importer_source_ + ";K-too-short\n";
        continue;
      }
      v1::SourceProfile profile;
      (*generator)->Next(&profile);
      profile.clear_register_end();
      profile.set_action(v1::SOURCE_ACTION_UPSERT);
      if (row == 3) profile.set_postcode("12345");
      // Two profiles in another municipality: a group below k.
      if (row == 5 || row == 9) profile.set_postcode("1011 AB");
      indexer::AppendCsvRow(profile, indexer::kCsvSeparator, &csv);
      csv.push_back('\n');
      if (row != 3) accepted.push_back(profile);
    }
    return {csv, accepted};
  }

  static v1::ImportReport WaitForImport(const std::string& cookie, const std::string& csrf,
                                        const std::string& import_id) {
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(120);
    while (std::chrono::steady_clock::now() < give_up) {
      service::ApiResponse got = Send({"POST", "/api/v1/ProfileImportService/GetImport",
                                       R"({"importId":")" + import_id + R"("})", cookie, csrf});
      EXPECT_EQ(got.status, 200) << got.body;
      v1::GetImportResponse response;
      EXPECT_TRUE(google::protobuf::util::JsonStringToMessage(got.body, &response).ok());
      if (got.status != 200 || response.report().state() != v1::IMPORT_STATE_RUNNING) {
        return response.report();
      }
      // Polling, as the web app does: the import runs on after the upload's answer.
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    ADD_FAILURE() << "the import did not finish";
    return {};
  }

  std::unique_ptr<service::WebHandler> web_;
  std::unique_ptr<service::HttpListener> listener_;
};

TEST_F(ImportUploadTest, AnImporterUploadsAFileAndFollowsItToItsReport) {
  const auto [cookie, csrf] = LogInOverHttp("koppeling@gateway.example");
  auto [csv, accepted] = ExportFile(14);
  // Blank lines, which the reader skips, carry the body past the listener's general limit.
  csv.append(200 * 1024, '\n');
  const int port = listener_->port();
  const std::string upload = Post(
      port,
      "/api/v1/"
      "imports?import_id=upload-1&mode=INCREMENTAL&file_name=export%20maart.csv&expected_rows=16",
      cookie, csrf, csv);
  ASSERT_EQ(upload.rfind("HTTP/1.1 202", 0), 0u) << upload;
  EXPECT_EQ(RawBody(upload), R"({"importId":"upload-1"})");

  const v1::ImportReport report = WaitForImport(cookie, csrf, "upload-1");
  ASSERT_EQ(report.state(), v1::IMPORT_STATE_SUCCEEDED) << report.DebugString();
  EXPECT_EQ(report.file_name(), "export maart.csv");
  EXPECT_EQ(report.source(), *importer_source_);
  // As the browser counted them, for the progress bar.
  EXPECT_EQ(report.expected_rows(), 16);
  EXPECT_EQ(report.received_rows(), 16);
  EXPECT_EQ(report.accepted_rows(), 14);
  EXPECT_EQ(report.created(), 14);
  EXPECT_EQ(report.rejected_rows(), 2);
  ASSERT_EQ(report.rejections_size(), 2) << report.DebugString();
  EXPECT_EQ(report.rejections(0).row_number(), 3);
  EXPECT_EQ(report.rejections(0).field(), "postcode");
  EXPECT_EQ(report.rejections(1).row_number(), 7);
  EXPECT_EQ(report.rejections(1).reason(), v1::REJECTION_REASON_BAD_FORMAT);
  EXPECT_EQ(report.active_profiles(), 14);
  // The rejected rows as a spreadsheet file: one line per problem, the file's row numbers.
  service::ApiResponse exported = Send({"POST", "/api/v1/ProfileImportService/ExportRejectedRows",
                                        R"({"importId":"upload-1"})", cookie, csrf});
  ASSERT_EQ(exported.status, 200) << exported.body;
  v1::ExportRejectedRowsResponse rejected_rows;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(exported.body, &rejected_rows).ok());
  EXPECT_EQ(rejected_rows.filename(), "afgekeurd-upload-1.csv");
  const std::string& file = rejected_rows.content();
  ASSERT_EQ(file.rfind("\xEF\xBB\xBFrij;veld;reden;toelichting\r\n3;postcode;", 0), 0u) << file;
  EXPECT_NE(file.find("\r\n7;;bad_format;"), std::string::npos) << file;
  EXPECT_EQ(std::count(file.begin(), file.end(), '\n'), 3);

  // Nothing personal of the file comes back.
  const std::string report_json = RawBody(upload) + report.DebugString() + file;
  for (const v1::SourceProfile& profile : accepted) {
    EXPECT_EQ(report_json.find(profile.client_number()), std::string::npos);
    EXPECT_EQ(report_json.find(profile.last_name()), std::string::npos);
  }

  // The same import again is a replay.
  const std::string again = Post(
      port,
      "/api/v1/"
      "imports?import_id=upload-1&mode=INCREMENTAL&file_name=export%20maart.csv&expected_rows=16",
      cookie, csrf, csv);
  ASSERT_EQ(again.rfind("HTTP/1.1 202", 0), 0u) << again;
  google::protobuf::Struct replayed;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(RawBody(again), &replayed).ok());
  EXPECT_EQ(replayed.fields().at("importId").string_value(), "upload-1");
  EXPECT_TRUE(replayed.fields().at("replayed").bool_value());

  // The dashboard's statistics, through the generic gateway, count what was accepted.
  service::ApiResponse statistics =
      Send({"POST", "/api/v1/ProfileImportService/GetCompletenessStatistics", "{}", cookie, csrf});
  ASSERT_EQ(statistics.status, 200) << statistics.body;
  EXPECT_NE(statistics.body.find("\"municipalities\":["), std::string::npos) << statistics.body;
  EXPECT_NE(statistics.body.find("\"missingProfiles\""), std::string::npos) << statistics.body;
  v1::GetCompletenessStatisticsResponse counted;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(statistics.body, &counted).ok());
  EXPECT_EQ(counted.source(), *importer_source_);
  EXPECT_EQ(counted.active_profiles(), 14);
  EXPECT_EQ(counted.k_threshold(), engine::kDefaultMinimumGroupSize);
  // Missing per core field: what the import report says is known, the other way round.
  ASSERT_EQ(counted.missing_size(), 5);
  ASSERT_EQ(report.completeness_size(), 5);
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(counted.missing(i).field(), report.completeness(i).field());
    EXPECT_EQ(counted.missing(i).missing_profiles(), 14 - report.completeness(i).known_rows()) << i;
  }
  // Per municipality, from the postcodes that were sent; groups below k go into one bucket.
  std::map<std::string, int64_t> expected;
  for (const v1::SourceProfile& profile : accepted) {
    const engine::PostcodeArea* area =
        (*reference_)->FindPostcodeArea(*engine::ParsePc4(profile.postcode()));
    ASSERT_NE(area, nullptr);
    ++expected[area->municipality_code];
  }
  std::map<std::string, int64_t> shown;
  int64_t small = 0;
  for (const auto& [code, count] : expected) {
    if (count >= 5) {
      shown[code] = count;
    } else {
      small += count;
    }
  }
  if (small > 0) shown["OVERIG"] = small;
  EXPECT_GE(small, 2);
  std::map<std::string, int64_t> got;
  int64_t missing_education = 0;
  for (const v1::MunicipalityCompleteness& group : counted.municipalities()) {
    got[group.municipality_code()] = group.active_profiles();
    EXPECT_FALSE(group.municipality_name().empty()) << group.municipality_code();
    ASSERT_EQ(group.missing_size(), 5);
    EXPECT_EQ(group.missing(0).field(), v1::CORE_FIELD_EDUCATION);
    missing_education += group.missing(0).missing_profiles();
  }
  EXPECT_EQ(got, shown);
  EXPECT_EQ(missing_education, counted.missing(0).missing_profiles());
}

TEST_F(ImportUploadTest, OnlyAnImporterWithItsCsrfTokenAndAKnownFormatMayUpload) {
  const int port = listener_->port();
  const std::string target = "/api/v1/imports?import_id=upload-2&file_name=export.csv";
  const auto [csv, accepted] = ExportFile(3);
  // An employer is refused by the import service itself.
  const auto [employer_cookie, employer_csrf] = LogInOverHttp("werkgever@gateway.example");
  const std::string employer = Post(port, target, employer_cookie, employer_csrf, csv);
  EXPECT_EQ(employer.rfind("HTTP/1.1 403", 0), 0u) << employer;
  EXPECT_EQ(testing::ErrorBodyOf(RawBody(employer)).code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(Send({"POST", "/api/v1/ProfileImportService/GetCompletenessStatistics", "{}",
                  employer_cookie, employer_csrf})
                .status,
            403);

  const auto [cookie, csrf] = LogInOverHttp("koppeling@gateway.example");
  const std::string no_csrf = Post(port, target, cookie, "", csv);
  EXPECT_EQ(no_csrf.rfind("HTTP/1.1 403", 0), 0u) << no_csrf;
  EXPECT_NE(RawBody(no_csrf).find("X-CSRF-Token"), std::string::npos);
  // Without a session the upload is refused before any of its body is read (none is sent).
  EXPECT_EQ(Exchange(port, "POST " + target + " HTTP/1.1\r\nHost: x\r\nContent-Length: " +
                               std::to_string(1 << 20) + "\r\n\r\n")
                .rfind("HTTP/1.1 401", 0),
            0u);
  const std::string xlsx =
      Post(port, "/api/v1/imports?import_id=upload-2&file_name=export.xlsx", cookie, csrf, csv);
  EXPECT_EQ(xlsx.rfind("HTTP/1.1 400", 0), 0u) << xlsx;
  EXPECT_NE(RawBody(xlsx).find("file_name"), std::string::npos);
  const std::string mode =
      Post(port, "/api/v1/imports?import_id=upload-2&mode=ALL&file_name=e.csv", cookie, csrf, csv);
  EXPECT_EQ(mode.rfind("HTTP/1.1 400", 0), 0u) << mode;
  const std::string bad_id =
      Post(port, "/api/v1/imports?import_id=no%20spaces&file_name=e.csv", cookie, csrf, csv);
  EXPECT_EQ(bad_id.rfind("HTTP/1.1 400", 0), 0u) << bad_id;
  EXPECT_NE(RawBody(bad_id).find("header.import_id"), std::string::npos);
  // A CSV file without its header row: refused without quoting the row.
  const std::string headless = Post(port, "/api/v1/imports?import_id=upload-3&file_name=e.csv",
                                    cookie, csrf, csv.substr(csv.find('\n') + 1));
  EXPECT_EQ(headless.rfind("HTTP/1.1 400", 0), 0u) << headless;
  EXPECT_EQ(headless.find(accepted[0].client_number()), std::string::npos);
}

// A case system uploads its export with its API token, and follows it with the same token.
TEST_F(ImportUploadTest, AProgramUploadsWithABearerTokenAndFollowsTheImport) {
  const auto [csv, accepted] = ExportFile(4);
  const std::string target = "/api/v1/imports?import_id=bearer-1&file_name=export.csv";
  const auto post = [&](const std::string& authorization) {
    return Exchange(listener_->port(),
                    "POST " + target + " HTTP/1.1\r\nHost: x\r\nAuthorization: " + authorization +
                        "\r\nContent-Length: " + std::to_string(csv.size()) + "\r\n\r\n" + csv);
  };
  const std::string refused = post("Bearer " + std::string(importer_token_->size(), 'x'));
  EXPECT_EQ(refused.rfind("HTTP/1.1 401", 0), 0u) << refused;
  const std::string employer = post("Bearer " + *employer_token_);
  EXPECT_EQ(employer.rfind("HTTP/1.1 403", 0), 0u) << employer;
  const std::string upload = post("Bearer " + *importer_token_);
  ASSERT_EQ(upload.rfind("HTTP/1.1 202", 0), 0u) << upload;
  EXPECT_EQ(RawBody(upload), R"({"importId":"bearer-1"})");
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  v1::GetImportResponse response;
  do {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    service::ApiResponse got =
        Send(ProgramRequest("/api/v1/ProfileImportService/GetImport", R"({"importId":"bearer-1"})",
                            "Bearer " + *importer_token_));
    ASSERT_EQ(got.status, 200) << got.body;
    ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(got.body, &response).ok());
  } while (response.report().state() == v1::IMPORT_STATE_RUNNING &&
           std::chrono::steady_clock::now() < give_up);
  EXPECT_EQ(response.report().state(), v1::IMPORT_STATE_SUCCEEDED);
  EXPECT_EQ(response.report().accepted_rows(), static_cast<int64_t>(accepted.size()));
}

TEST_F(ImportUploadTest, JsonLinesKeepTheirLineNumbersAcrossBlankAndBrokenLines) {
  const auto [cookie, csrf] = LogInOverHttp("koppeling@gateway.example");
  // Deletes of clients never imported: accepted, and no profile changes.
  const std::string line = R"({"source":")" + *importer_source_ +
                           R"(","client_number":"K-%","action":"SOURCE_ACTION_DELETE"})";
  std::string jsonl;
  for (const char* row : {"1", "2", "", "broken", "5"}) {
    if (std::string(row) == "broken") {
      jsonl += "{\"source\": \n";
    } else if (*row == '\0') {
      jsonl += "\n";
    } else {
      std::string text = line;
      text.replace(text.find('%'), 1, row);
      jsonl += text + "\n";
    }
  }
  const std::string upload =
      Post(listener_->port(),
           "/api/v1/imports?import_id=upload-jsonl&file_name=export.JSONL&expected_rows=4", cookie,
           csrf, jsonl);
  ASSERT_EQ(upload.rfind("HTTP/1.1 202", 0), 0u) << upload;
  const v1::ImportReport report = WaitForImport(cookie, csrf, "upload-jsonl");
  ASSERT_EQ(report.state(), v1::IMPORT_STATE_SUCCEEDED) << report.DebugString();
  EXPECT_EQ(report.expected_rows(), 4);  // as the browser counted them
  EXPECT_EQ(report.received_rows(), 4);
  EXPECT_EQ(report.accepted_rows(), 3);
  EXPECT_EQ(report.unchanged(), 3);
  ASSERT_EQ(report.rejections_size(), 1);
  EXPECT_EQ(report.rejections(0).row_number(), 4);
  EXPECT_EQ(report.rejections(0).reason(), v1::REJECTION_REASON_BAD_FORMAT);
}

TEST(ClientAddressTest, BelievesForwardedForOnlyFromTrustedProxiesAndOnlyItsLastHops) {
  const std::vector<std::string> proxies = {"10.0.0.1", "10.0.0.2"};
  // Not a proxy: the header is the client's own writing.
  EXPECT_EQ(service::ClientAddress("192.0.2.9", "198.51.100.1", proxies), "192.0.2.9");
  EXPECT_EQ(service::ClientAddress("192.0.2.9", "", {}), "192.0.2.9");
  // Through one or two trusted proxies: the last hop that is not one of them.
  EXPECT_EQ(service::ClientAddress("10.0.0.1", "203.0.113.5, 198.51.100.1", proxies),
            "198.51.100.1");
  EXPECT_EQ(service::ClientAddress("10.0.0.1", "1.2.3.4, 198.51.100.1, 10.0.0.2", proxies),
            "198.51.100.1");
  // A proxy that passed on no header, or garbage where its hop should be: the proxy itself.
  EXPECT_EQ(service::ClientAddress("10.0.0.1", "", proxies), "10.0.0.1");
  EXPECT_EQ(service::ClientAddress("10.0.0.1", "nonsense", proxies), "10.0.0.1");
  EXPECT_EQ(service::ClientAddress("10.0.0.1", "2001:db8::1", proxies), "2001:db8::1");
}

TEST(CookieValueTest, FindsTheNamedCookieAmongOthers) {
  EXPECT_EQ(service::CookieValue("a=1; verkenner_session=abc; b=2", "verkenner_session"), "abc");
  EXPECT_EQ(service::CookieValue("verkenner_session_x=1", "verkenner_session"), "");
  EXPECT_EQ(service::CookieValue("", "verkenner_session"), "");
}

// The head of an upload of `body_bytes` bytes as `cookie` and `csrf` send it.
std::string UploadHead(const std::string& import_id, const std::string& cookie,
                       const std::string& csrf, size_t body_bytes) {
  return "POST /api/v1/imports?import_id=" + import_id +
         "&mode=INCREMENTAL&file_name=e.csv HTTP/1.1\r\nHost: x\r\nCookie: " + cookie +
         "\r\nX-CSRF-Token: " + csrf + "\r\nContent-Length: " + std::to_string(body_bytes) +
         "\r\n\r\n";
}

// Who uploads is known from the head: an employer, or a cookie whose session has ended, is
// answered at once, with none of the announced 60 MB read (none is sent).
TEST_F(ImportUploadTest, AnUploadIsRefusedOnItsHeadBeforeItsBodyIsRead) {
  const int port = listener_->port();
  constexpr size_t kAnnounced = 60 << 20;
  const auto [employer_cookie, employer_csrf] = LogInOverHttp("werkgever@gateway.example");
  const std::string employer =
      testing::Exchange(port, UploadHead("head-1", employer_cookie, employer_csrf, kAnnounced),
                        std::chrono::seconds(5));
  EXPECT_EQ(employer.rfind("HTTP/1.1 403", 0), 0u) << employer;

  const auto [cookie, csrf] = LogInOverHttp("koppeling@gateway.example");
  ASSERT_EQ(Send({"POST", "/api/v1/session/logout", "{}", cookie, csrf}).status, 200);
  const std::string logged_out = testing::Exchange(
      port, UploadHead("head-2", cookie, csrf, kAnnounced), std::chrono::seconds(5));
  EXPECT_EQ(logged_out.rfind("HTTP/1.1 401", 0), 0u) << logged_out;
}

// The body goes into the import while it arrives: the rows sent so far are received before the
// body ends, and a second upload of the same account meanwhile is refused on its head.
TEST_F(ImportUploadTest, AnUploadStreamsIntoTheImportAndAnAccountSendsOneAtATime) {
  const int port = listener_->port();
  const auto [cookie, csrf] = LogInOverHttp("koppeling@gateway.example");
  // More than a batch (1,000 rows) in each half.
  auto [csv, accepted] = ExportFile(2500);
  const size_t half = csv.size() / 2;
  const int upload = testing::ConnectToLoopback(port);
  ASSERT_GE(upload, 0);
  ASSERT_TRUE(testing::SendAll(
      upload, UploadHead("streamed", cookie, csrf, csv.size()) + csv.substr(0, half)));
  // The first half is in the import before the second is sent.
  int64_t received = 0;
  for (int attempt = 0; attempt < 500 && received == 0; ++attempt) {
    service::ApiResponse got = Send({"POST", "/api/v1/ProfileImportService/GetImport",
                                     R"({"importId":"streamed"})", cookie, csrf});
    v1::GetImportResponse response;
    if (got.status == 200 &&
        google::protobuf::util::JsonStringToMessage(got.body, &response).ok()) {
      received = response.report().received_rows();
    }
    if (received == 0) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_GT(received, 0) << "nothing of the body reached the import before its end";
  const std::string second = testing::Exchange(
      port, UploadHead("streamed-2", cookie, csrf, csv.size()), std::chrono::seconds(5));
  EXPECT_EQ(second.rfind("HTTP/1.1 409", 0), 0u) << second;

  ASSERT_TRUE(testing::SendAll(upload, csv.substr(half)));
  const std::string answer = testing::ReadUntilClosed(upload, std::chrono::seconds(60));
  close(upload);
  ASSERT_EQ(answer.rfind("HTTP/1.1 202", 0), 0u) << answer;
  const v1::ImportReport report = WaitForImport(cookie, csrf, "streamed");
  EXPECT_EQ(report.state(), v1::IMPORT_STATE_SUCCEEDED);
  EXPECT_EQ(report.received_rows(), 2502);
  EXPECT_EQ(report.accepted_rows(), 2500);
}

// An upload whose body breaks off (the browser closes the connection midway) imports nothing:
// no import is started and the source's profiles are as they were. Last, since its FULL_SYNC
// withdraws what the tests before it uploaded.
TEST_F(ImportUploadTest, AnUploadWhoseBodyBreaksOffImportsNothing) {
  const auto [cookie, csrf] = LogInOverHttp("koppeling@gateway.example");
  auto active_profiles = [&, cookie = cookie, csrf = csrf] {
    service::ApiResponse statistics = Send(
        {"POST", "/api/v1/ProfileImportService/GetCompletenessStatistics", "{}", cookie, csrf});
    v1::GetCompletenessStatisticsResponse counted;
    EXPECT_TRUE(google::protobuf::util::JsonStringToMessage(statistics.body, &counted).ok());
    return counted.active_profiles();
  };
  const int64_t before = active_profiles();
  auto [csv, accepted] = ExportFile(40);
  for (size_t sent : {size_t{0}, csv.size() / 2, csv.size() - 1}) {
    SCOPED_TRACE(sent);
    boost::asio::io_context context;
    boost::asio::ip::tcp::socket socket(context);
    socket.connect(
        {boost::asio::ip::make_address("127.0.0.1"), static_cast<uint16_t>(listener_->port())});
    const std::string head =
        "POST /api/v1/imports?import_id=broken-upload&mode=FULL_SYNC&file_name=e.csv HTTP/1.1\r\n"
        "Host: x\r\nCookie: " +
        cookie + "\r\nX-CSRF-Token: " + csrf + "\r\nContent-Length: " + std::to_string(csv.size()) +
        "\r\n\r\n";
    boost::asio::write(socket, boost::asio::buffer(head + csv.substr(0, sent)));
    socket.close();
  }
  EXPECT_EQ(active_profiles(), before);
  // Sent whole, the same import runs: none of the broken ones counted as done. (An upload of the
  // account is refused with 409 until the server has noticed that the last broken one ended.)
  std::string whole;
  for (int attempt = 0; attempt < 100; ++attempt) {
    whole = Post(listener_->port(),
                 "/api/v1/imports?import_id=broken-upload&mode=FULL_SYNC&file_name=e.csv", cookie,
                 csrf, csv);
    if (whole.rfind("HTTP/1.1 409", 0) != 0) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_EQ(whole.rfind("HTTP/1.1 202", 0), 0u) << whole;
  EXPECT_EQ(RawBody(whole), R"({"importId":"broken-upload"})");
  const v1::ImportReport report = WaitForImport(cookie, csrf, "broken-upload");
  EXPECT_EQ(report.state(), v1::IMPORT_STATE_SUCCEEDED);
  EXPECT_EQ(report.received_rows(), 42);
  EXPECT_EQ(active_profiles(), 40);
}

// A row the upload cannot parse, but whose client number it can read, keeps that client's
// profile in a full sync: the upload passes the client number on (UnreadableRow.client_number).
// After the test above, since its full syncs withdraw what the tests before it uploaded.
TEST_F(ImportUploadTest, AFullSyncUploadKeepsTheClientOfARowItCouldNotParse) {
  const auto [cookie, csrf] = LogInOverHttp("koppeling@gateway.example");
  const std::vector<v1::SourceProfile> profiles = ExportFile(6).second;
  auto upload = [&, cookie = cookie, csrf = csrf](const std::string& import_id,
                                                  const std::string& first_hours) {
    std::string csv = "source;client_number;postcode;hours_min\n";
    for (size_t i = 0; i < profiles.size(); ++i) {
      absl::StrAppend(&csv, profiles[i].source(), ";", profiles[i].client_number(), ";",
                      profiles[i].postcode(), ";", i == 0 ? first_hours : "12", "\n");
    }
    const std::string target =
        "/api/v1/imports?import_id=" + import_id + "&mode=FULL_SYNC&file_name=e.csv";
    std::string answer;
    for (int attempt = 0; attempt < 100; ++attempt) {  // 409 while an earlier upload winds down
      answer = Post(listener_->port(), target, cookie, csrf, csv);
      if (answer.rfind("HTTP/1.1 409", 0) != 0) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    EXPECT_EQ(answer.rfind("HTTP/1.1 202", 0), 0u) << answer;
    return WaitForImport(cookie, csrf, import_id);
  };
  const v1::ImportReport first = upload("sync-readable", "12");
  EXPECT_EQ(first.state(), v1::IMPORT_STATE_SUCCEEDED);
  EXPECT_EQ(first.rejected_rows(), 0);
  const v1::ImportReport second = upload("sync-one-unparsable", "12 uur");
  EXPECT_EQ(second.state(), v1::IMPORT_STATE_SUCCEEDED);
  EXPECT_EQ(second.rejected_rows(), 1);
  EXPECT_EQ(second.withdrawn_absent(), 0) << "the client of the unparsable row was withdrawn";
  EXPECT_EQ(second.unchanged(), 5);
}

}  // namespace
}  // namespace verkenner
