// The service's accounts, sessions, quotas, contact requests, saved profiles and shortlists
// through a real gRPC channel on 127.0.0.1 port 0, against a real index and a real store file.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <optional>
#include <set>
#include <thread>

#include "engine/disclosure_control.h"
#include "engine/refdata/reference_data.h"
#include "indexer/identity_vault.h"
#include "indexer/importer.h"
#include "indexer/index_writer.h"
#include "indexer/pseudonymizer.h"
#include "indexer/source_format.h"
#include "indexer/synthetic/synthetic_profile_generator.h"
#include "service/auth/credentials.h"
#include "service/rpc/contact_request_service.h"
#include "service/server.h"
#include "tests/integration/error_details.h"
#include "tests/integration/test_accounts.h"
#include "tests/test_store.h"
#include "verkenner/v1/contact_requests.grpc.pb.h"
#include "verkenner/v1/identity.grpc.pb.h"
#include "verkenner/v1/profile_import.grpc.pb.h"
#include "verkenner/v1/saved_profiles.grpc.pb.h"
#include "verkenner/v1/search.grpc.pb.h"
#include "verkenner/v1/sessions.grpc.pb.h"
#include "verkenner/v1/shortlists.grpc.pb.h"

namespace verkenner {
namespace {

constexpr int kProfiles = 400;
constexpr int64_t kToday = 20758;  // 2026-11-01, the generator's reference date
constexpr char kPassword[] = "correct horse battery staple";
constexpr int kSearchesPerMinute = 25;
constexpr int kProfileViewsPerDay = 30;

class ServiceTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto reference = engine::ReferenceData::Load(engine::ReferenceData::DefaultDirectory());
    ASSERT_TRUE(reference.ok()) << reference.status();
    directory_ = new std::filesystem::path(std::filesystem::temp_directory_path() /
                                           ("verkenner-service-" + std::to_string(getpid())));
    std::filesystem::remove_all(*directory_);
    std::filesystem::create_directories(*directory_);
    auto test_store = testing::TestStore::Create(*directory_);
    ASSERT_TRUE(test_store.ok()) << test_store.status();
    test_store_ = test_store->release();
    const std::string export_file = (*directory_ / "export.csv").string();
    auto generator = indexer::SyntheticProfileGenerator::Create(
        *reference, engine::ReferenceData::DefaultDirectory(), {});
    ASSERT_TRUE(generator.ok()) << generator.status();
    std::string csv = indexer::FormatCsvHeader(indexer::kCsvSeparator) + "\n";
    sources_ = new std::vector<v1::SourceProfile>(kProfiles);
    for (v1::SourceProfile& profile : *sources_) {
      (*generator)->Next(&profile);
      profile.clear_register_end();  // every profile active
      indexer::AppendCsvRow(profile, indexer::kCsvSeparator, &csv);
      csv.push_back('\n');
    }
    std::ofstream(export_file) << csv;
    const std::string index = (*directory_ / "index").string();
    vault_path_ = new std::string(test_store_->VaultTarget(*directory_));
    auto pseudonymizer = indexer::Pseudonymizer::FromKey(std::string(32, 'k'));
    ASSERT_TRUE(pseudonymizer.ok());
    pseudonymizer_ = new std::shared_ptr<const indexer::Pseudonymizer>(std::move(*pseudonymizer));
    {
      auto writer = indexer::IndexWriter::Open(index, *reference);
      ASSERT_TRUE(writer.ok()) << writer.status();
      auto vault = indexer::IdentityVault::Open(*vault_path_);
      ASSERT_TRUE(vault.ok()) << vault.status();
      indexer::Importer importer(*reference, *pseudonymizer_, {}, writer->get(), vault->get());
      indexer::Importer::Options import_options;
      import_options.today_day = kToday;
      auto report = importer.ImportFile(export_file, import_options);
      ASSERT_TRUE(report.ok()) << report.status();
      ASSERT_EQ(report->created, kProfiles);
    }

    store_path_ = new std::string(test_store_->target());
    auto employer_a = testing::TestEmployer("inkoop@korenbloem.example", "Bakkerij De Korenbloem");
    auto hashed = service::HashPassword(kPassword);
    ASSERT_TRUE(hashed.ok());
    employer_a.password_hash = *hashed;
    employer_a_ = new std::string(Token(employer_a));
    employer_b_ = new std::string(
        Token(testing::TestEmployer("planning@vandijk.example", "Transportbedrijf Van Dijk")));
    service::NewAccount importer = testing::TestEmployer("koppeling@utrecht.example", "Utrecht");
    importer.role = v1::ACCOUNT_ROLE_IMPORTER;
    importer.source = "GM0344";
    importer_ = new std::string(Token(importer));

    service::Server::Options options;
    options.listen_address = "127.0.0.1:0";
    options.index_path = index;
    options.store_path = *store_path_;
    options.vault_path = *vault_path_;
    options.pseudonymizer = *pseudonymizer_;
    options.reference_data = *reference;
    options.search_threads = 2;
    options.today = [] { return kToday; };
    options.quotas.searches_per_minute = kSearchesPerMinute;
    options.quotas.profile_views_per_day = kProfileViewsPerDay;
    auto server = service::Server::Start(std::move(options));
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = server->release();

    // A profile to ask about, and WSP account managers of its region and of another one.
    v1::SearchCandidatesRequest search;
    search.set_page_size(1);
    v1::SearchCandidatesResponse found;
    grpc::ClientContext context;
    testing::Authorize(context, *employer_b_);
    ASSERT_TRUE(Search()->SearchCandidates(&context, search, &found).ok());
    ASSERT_EQ(found.matches_size(), 1);
    profile_ = new v1::AnonymousProfile(found.matches(0).profile());
    const std::string region = profile_->area().labour_market_region_code();
    ASSERT_FALSE(region.empty());
    service::NewAccount wsp = testing::TestEmployer("am@wsp.example", "WSP " + region);
    wsp.role = v1::ACCOUNT_ROLE_WSP_ACCOUNT_MANAGER;
    wsp.region_code = region;
    wsp_ = new std::string(Token(wsp));
    wsp.email = "collega@wsp.example";
    colleague_ = new std::string(Token(wsp));
    wsp.email = "am@ander-wsp.example";
    wsp.region_code = region == "AM01" ? "AM02" : "AM01";
    other_wsp_ = new std::string(Token(wsp));
  }

  static void TearDownTestSuite() {
    delete server_;
    delete test_store_;
    std::filesystem::remove_all(*directory_);
    for (std::string* token :
         {employer_a_, employer_b_, importer_, wsp_, colleague_, other_wsp_, store_path_}) {
      delete token;
    }
    delete profile_;
    delete directory_;
    delete vault_path_;
    delete sources_;
    delete pseudonymizer_;
  }

  static std::string Token(const service::NewAccount& account) {
    auto token = testing::AddAccountWithToken(*store_path_, account);
    EXPECT_TRUE(token.ok()) << token.status();
    return token.ok() ? *token : "";
  }

  static std::shared_ptr<grpc::Channel> Channel() {
    return grpc::CreateChannel("127.0.0.1:" + std::to_string(server_->port()),
                               grpc::InsecureChannelCredentials());
  }
  static std::unique_ptr<v1::CandidateSearchService::Stub> Search() {
    return v1::CandidateSearchService::NewStub(Channel());
  }
  static std::unique_ptr<v1::ContactRequestService::Stub> Requests() {
    return v1::ContactRequestService::NewStub(Channel());
  }
  static std::unique_ptr<v1::SavedProfileService::Stub> Saved() {
    return v1::SavedProfileService::NewStub(Channel());
  }
  static std::unique_ptr<v1::SessionService::Stub> Sessions() {
    return v1::SessionService::NewStub(Channel());
  }
  static std::unique_ptr<v1::ShortlistService::Stub> Shortlists() {
    return v1::ShortlistService::NewStub(Channel());
  }

  static v1::CreateContactRequestRequest NewRequest(const std::string& request_id) {
    v1::CreateContactRequestRequest request;
    request.set_request_id(request_id);
    request.set_profile_id(profile_->profile_id());
    v1::ContactRequestVacancy* vacancy = request.mutable_vacancy();
    vacancy->set_title("Medewerker inpak");
    vacancy->mutable_hours()->set_min_hours(16);
    vacancy->mutable_hours()->set_max_hours(24);
    vacancy->mutable_workplace()->set_postcode("3511 AB");
    request.set_message("Wij zoeken iemand voor de ochtendploeg.");
    request.mutable_contact_person()->set_name("Anna Bakker");
    request.mutable_contact_person()->set_email("anna@korenbloem.example");
    return request;
  }

  // Calls `method` of `stub` as the holder of `token`.
  template <typename Stub, typename Request, typename Response>
  static grpc::Status Call(grpc::Status (Stub::*method)(grpc::ClientContext*, const Request&,
                                                        Response*),
                           Stub& stub, const std::string& token, const Request& request,
                           Response& response) {
    grpc::ClientContext context;
    testing::Authorize(context, token);
    return (stub.*method)(&context, request, &response);
  }

  static std::filesystem::path* directory_;
  static testing::TestStore* test_store_;
  static std::string* store_path_;
  static std::string* vault_path_;
  static std::vector<v1::SourceProfile>* sources_;
  static std::shared_ptr<const indexer::Pseudonymizer>* pseudonymizer_;
  static service::Server* server_;
  static v1::AnonymousProfile* profile_;
  static std::string* employer_a_;
  static std::string* employer_b_;
  static std::string* importer_;
  static std::string* wsp_;
  static std::string* colleague_;
  static std::string* other_wsp_;
};

std::filesystem::path* ServiceTest::directory_ = nullptr;
testing::TestStore* ServiceTest::test_store_ = nullptr;
std::string* ServiceTest::store_path_ = nullptr;
std::string* ServiceTest::vault_path_ = nullptr;
std::vector<v1::SourceProfile>* ServiceTest::sources_ = nullptr;
std::shared_ptr<const indexer::Pseudonymizer>* ServiceTest::pseudonymizer_ = nullptr;
service::Server* ServiceTest::server_ = nullptr;
v1::AnonymousProfile* ServiceTest::profile_ = nullptr;
std::string* ServiceTest::employer_a_ = nullptr;
std::string* ServiceTest::employer_b_ = nullptr;
std::string* ServiceTest::importer_ = nullptr;
std::string* ServiceTest::wsp_ = nullptr;
std::string* ServiceTest::colleague_ = nullptr;
std::string* ServiceTest::other_wsp_ = nullptr;

TEST_F(ServiceTest, CallsWithoutAValidTokenAreUnauthenticatedAndRolesAreChecked) {
  v1::SearchCandidatesRequest request;
  v1::SearchCandidatesResponse response;
  auto stub = Search();
  for (const std::string& token : {std::string(), std::string("not-a-token"),
                                   service::NewToken() /* well-formed, never issued */}) {
    EXPECT_EQ(
        Call(&v1::CandidateSearchService::Stub::SearchCandidates, *stub, token, request, response)
            .error_code(),
        grpc::StatusCode::UNAUTHENTICATED);
  }
  EXPECT_EQ(Call(&v1::CandidateSearchService::Stub::SearchCandidates, *stub, *importer_, request,
                 response)
                .error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  v1::ListRegionContactRequestsRequest queue;
  v1::ListRegionContactRequestsResponse queue_response;
  auto requests = Requests();
  EXPECT_EQ(Call(&v1::ContactRequestService::Stub::ListRegionContactRequests, *requests,
                 *employer_a_, queue, queue_response)
                .error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
}

TEST_F(ServiceTest, LoginGivesASessionThatEndsAtLogoutAndWrongPasswordsLookAlike) {
  auto sessions = Sessions();
  v1::CreateSessionRequest login;
  login.set_email("INKOOP@korenbloem.example");  // addresses compare case-insensitively
  login.set_password(kPassword);
  v1::CreateSessionResponse session;
  grpc::ClientContext login_context;
  ASSERT_TRUE(sessions->CreateSession(&login_context, login, &session).ok());
  EXPECT_TRUE(service::LooksLikeToken(session.session_token()));
  EXPECT_EQ(session.account().role(), v1::ACCOUNT_ROLE_EMPLOYER);
  EXPECT_EQ(session.account().organisation_name(), "Bakkerij De Korenbloem");
  EXPECT_EQ(session.account().searches().limit(), kSearchesPerMinute);

  v1::GetCurrentAccountResponse me;
  ASSERT_TRUE(Call(&v1::SessionService::Stub::GetCurrentAccount, *sessions, session.session_token(),
                   v1::GetCurrentAccountRequest(), me)
                  .ok());
  EXPECT_EQ(me.account().email(), "inkoop@korenbloem.example");

  v1::DeleteSessionResponse deleted;
  ASSERT_TRUE(Call(&v1::SessionService::Stub::DeleteSession, *sessions, session.session_token(),
                   v1::DeleteSessionRequest(), deleted)
                  .ok());
  EXPECT_EQ(Call(&v1::SessionService::Stub::GetCurrentAccount, *sessions, session.session_token(),
                 v1::GetCurrentAccountRequest(), me)
                .error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(
      testing::CodeAndReason(Call(&v1::SessionService::Stub::DeleteSession, *sessions, *employer_b_,
                                  v1::DeleteSessionRequest(), deleted)),
      "FAILED_PRECONDITION API_TOKEN_NOT_REVOCABLE");  // API tokens are the admin CLI's business

  std::string messages[2];
  for (int i = 0; i < 2; ++i) {
    login.set_email(i == 0 ? "inkoop@korenbloem.example" : "niemand@example.nl");
    login.set_password("wrong password");
    grpc::ClientContext context;
    grpc::Status status = sessions->CreateSession(&context, login, &session);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED);
    messages[i] = status.error_message();
  }
  EXPECT_EQ(messages[0], messages[1]);
}

// AIP-158: a page token belongs to its request (only page_size may change); a page size above
// 100 is read as 100; the response says how many results paging reaches.
TEST_F(ServiceTest, SearchPageTokensBelongToTheirRequest) {
  const std::string token = Token(testing::TestEmployer("pages@example.nl", "Pages BV"));
  auto stub = Search();
  const auto search = [&](const v1::SearchCandidatesRequest& request,
                          v1::SearchCandidatesResponse& response) {
    grpc::ClientContext context;
    testing::Authorize(context, token);
    return stub->SearchCandidates(&context, request, &response);
  };
  v1::SearchCandidatesRequest request;
  request.mutable_vacancy()->mutable_workplace()->set_postcode("3511 AB");
  request.set_page_size(3);
  v1::SearchCandidatesResponse first;
  ASSERT_TRUE(search(request, first).ok());
  ASSERT_GT(first.total_size(), 6);
  EXPECT_EQ(first.reachable_size(), first.total_size()) << "fewer than 1,000 match";
  ASSERT_FALSE(first.next_page_token().empty());

  request.set_page_token(first.next_page_token());
  request.set_page_size(4);  // may change
  v1::SearchCandidatesResponse second;
  grpc::Status status = search(request, second);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(second.matches_size(), 4);
  EXPECT_NE(second.matches(0).profile().profile_id(), first.matches(0).profile().profile_id());

  v1::SearchCandidatesRequest other = request;
  other.set_sort_order(v1::SORT_ORDER_DISTANCE);
  status = search(other, second);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(status.error_message().rfind("page_token:", 0), 0u) << status.error_message();
  other = request;
  other.mutable_vacancy()->mutable_workplace()->set_postcode("1011 AB");
  EXPECT_EQ(search(other, second).error_code(), grpc::StatusCode::INVALID_ARGUMENT);

  v1::SearchCandidatesRequest large;
  large.set_page_size(500);
  v1::SearchCandidatesResponse all;
  status = search(large, all);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(all.matches_size(), std::min<int64_t>(100, all.total_size()));
}

TEST_F(ServiceTest, SearchesBeyondTheQuotaAreRefusedWithARetryHint) {
  const std::string token = Token(testing::TestEmployer("quota@example.nl", "Quota BV"));
  auto stub = Search();
  v1::SearchCandidatesRequest request;
  request.set_page_size(1);
  v1::SearchCandidatesResponse response;
  int refused = 0;
  std::string retry_after;
  for (int i = 0; i < kSearchesPerMinute + 1; ++i) {
    grpc::ClientContext context;
    testing::Authorize(context, token);
    grpc::Status status = stub->SearchCandidates(&context, request, &response);
    if (status.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED) {
      ++refused;
      EXPECT_EQ(testing::CodeAndReason(status), "RESOURCE_EXHAUSTED SEARCH_QUOTA_EXCEEDED");
      auto hint = context.GetServerTrailingMetadata().find("retry-after");
      if (hint != context.GetServerTrailingMetadata().end()) {
        retry_after = std::string(hint->second.data(), hint->second.size());
      }
      // The same wait as RetryInfo, for clients that read the details.
      EXPECT_EQ(std::to_string(testing::RetryDelaySecondsOf(testing::DetailsOf(status))),
                retry_after);
    } else {
      EXPECT_TRUE(status.ok()) << status.error_message();
    }
  }
  // The last call may fall into the next minute; then the window just reset.
  EXPECT_LE(refused, 1);
  if (refused == 1) {
    const int seconds = std::stoi(retry_after);
    EXPECT_GE(seconds, 1);
    EXPECT_LE(seconds, 60);
  }
}

TEST_F(ServiceTest, ProfileViewsAreAuditedAndStopAtTheDailyQuota) {
  const std::string token = Token(testing::TestEmployer("views@example.nl", "Views BV"));
  auto stub = Search();
  v1::GetProfileRequest get;
  get.set_profile_id(profile_->profile_id());
  for (int i = 0; i < kProfileViewsPerDay; ++i) {
    v1::GetProfileResponse profile;
    ASSERT_TRUE(
        Call(&v1::CandidateSearchService::Stub::GetProfile, *stub, token, get, profile).ok())
        << i;
  }
  grpc::ClientContext context;
  testing::Authorize(context, token);
  v1::GetProfileResponse refused;
  const grpc::Status status = stub->GetProfile(&context, get, &refused);
  EXPECT_EQ(testing::CodeAndReason(status), "RESOURCE_EXHAUSTED PROFILE_VIEW_QUOTA_EXCEEDED");
  auto hint = context.GetServerTrailingMetadata().find("retry-after");
  ASSERT_NE(hint, context.GetServerTrailingMetadata().end());
  const int seconds = std::stoi(std::string(hint->second.data(), hint->second.size()));
  EXPECT_EQ(testing::RetryDelaySecondsOf(testing::DetailsOf(status)), seconds);
  EXPECT_GE(seconds, 1);
  EXPECT_LE(seconds, 25 * 3600);  // midnight in Amsterdam, a day at most (and DST)
  EXPECT_FALSE(refused.has_profile());

  // Every view that was served left an audit row with the account and the pseudonym.
  auto store = service::Store::Open(*store_path_);
  ASSERT_TRUE(store.ok());
  int64_t rows = 0;
  ASSERT_TRUE((*store)
                  ->Read([&](sql::Connection& db) {
                    auto statement = db.Prepare(
                        "SELECT count(*) FROM audit a JOIN account c ON c.id = a.account_id "
                        "WHERE a.action = 'view_profile' AND c.email = 'views@example.nl' "
                        "AND a.profile_id = ?1 AND a.outcome = 'ok'");
                    if (!statement.ok()) return statement.status();
                    statement->Bind(1, profile_->profile_id());
                    auto row = statement->Step();
                    if (!row.ok()) return row.status();
                    rows = statement->Integer(0);
                    return absl::OkStatus();
                  })
                  .ok());
  EXPECT_EQ(rows, kProfileViewsPerDay);
}

TEST_F(ServiceTest, OversizedMessagesAreRefusedBeforeAnyHandlerRuns) {
  auto requests = Requests();
  v1::CreateContactRequestRequest huge = NewRequest("huge");
  huge.set_message(std::string(5 << 20, 'x'));  // above the server's 4 MiB limit
  v1::CreateContactRequestResponse response;
  EXPECT_EQ(Call(&v1::ContactRequestService::Stub::CreateContactRequest, *requests, *employer_b_,
                 huge, response)
                .error_code(),
            grpc::StatusCode::RESOURCE_EXHAUSTED);
}

TEST_F(ServiceTest, AContactRequestTravelsFromEmployerToTheRegionsWspAndBack) {
  auto requests = Requests();
  using Stub = v1::ContactRequestService::Stub;
  v1::CreateContactRequestResponse created;
  ASSERT_TRUE(
      Call(&Stub::CreateContactRequest, *requests, *employer_a_, NewRequest("req-1"), created)
          .ok());
  const v1::ContactRequest& request = created.contact_request();
  EXPECT_EQ(request.status(), v1::CONTACT_REQUEST_STATUS_NEW);
  EXPECT_EQ(request.labour_market_region_code(), profile_->area().labour_market_region_code());
  EXPECT_FALSE(request.overdue());
  EXPECT_TRUE(request.has_due_time());

  // A retry creates nothing; the same key with other content is refused.
  v1::CreateContactRequestResponse retried;
  ASSERT_TRUE(
      Call(&Stub::CreateContactRequest, *requests, *employer_a_, NewRequest("req-1"), retried)
          .ok());
  EXPECT_EQ(retried.contact_request().name(), request.name());
  v1::CreateContactRequestRequest changed = NewRequest("req-1");
  changed.set_message("iets anders");
  EXPECT_EQ(testing::CodeAndReason(
                Call(&Stub::CreateContactRequest, *requests, *employer_a_, changed, retried)),
            "ALREADY_EXISTS IDEMPOTENCY_KEY_REUSED");
  v1::ListContactRequestsResponse mine;
  ASSERT_TRUE(Call(&Stub::ListContactRequests, *requests, *employer_a_,
                   v1::ListContactRequestsRequest(), mine)
                  .ok());
  EXPECT_EQ(mine.total_size(), 1);

  // Not yours looks like not there.
  v1::GetContactRequestRequest get;
  get.set_name(request.name());
  v1::GetContactRequestResponse got;
  EXPECT_EQ(Call(&Stub::GetContactRequest, *requests, *employer_b_, get, got).error_code(),
            grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(Call(&Stub::GetContactRequest, *requests, *other_wsp_, get, got).error_code(),
            grpc::StatusCode::NOT_FOUND);
  v1::ListRegionContactRequestsResponse queue;
  ASSERT_TRUE(Call(&Stub::ListRegionContactRequests, *requests, *other_wsp_,
                   v1::ListRegionContactRequestsRequest(), queue)
                  .ok());
  EXPECT_EQ(queue.total_size(), 0);
  v1::ListRegionContactRequestsRequest unassigned;
  unassigned.set_assignment(v1::ASSIGNMENT_FILTER_UNASSIGNED);
  ASSERT_TRUE(Call(&Stub::ListRegionContactRequests, *requests, *wsp_, unassigned, queue).ok());
  ASSERT_EQ(queue.total_size(), 1);
  EXPECT_EQ(queue.contact_requests(0).name(), request.name());

  // The WSP must claim before it moves the status; a colleague may not without taking over.
  v1::UpdateContactRequestStatusRequest approach;
  approach.set_name(request.name());
  approach.set_request_id("step-1");
  approach.set_status(v1::CONTACT_REQUEST_STATUS_CANDIDATE_APPROACHED);
  approach.set_note("Kandidaat gebeld via de gemeente.");
  approach.set_note_audience(v1::NOTE_AUDIENCE_WSP_AND_EMPLOYER);
  v1::UpdateContactRequestStatusResponse moved;
  EXPECT_EQ(testing::CodeAndReason(
                Call(&Stub::UpdateContactRequestStatus, *requests, *wsp_, approach, moved)),
            "FAILED_PRECONDITION REQUEST_NOT_CLAIMED");
  v1::ClaimContactRequestRequest claim;
  claim.set_name(request.name());
  v1::ClaimContactRequestResponse claimed;
  ASSERT_TRUE(Call(&Stub::ClaimContactRequest, *requests, *wsp_, claim, claimed).ok());
  EXPECT_EQ(claimed.contact_request().status(), v1::CONTACT_REQUEST_STATUS_IN_PROGRESS);
  EXPECT_EQ(testing::CodeAndReason(
                Call(&Stub::ClaimContactRequest, *requests, *colleague_, claim, claimed)),
            "FAILED_PRECONDITION REQUEST_HELD_BY_COLLEAGUE");
  ASSERT_TRUE(Call(&Stub::UpdateContactRequestStatus, *requests, *wsp_, approach, moved).ok());
  EXPECT_EQ(moved.contact_request().status(), v1::CONTACT_REQUEST_STATUS_CANDIDATE_APPROACHED);
  ASSERT_TRUE(Call(&Stub::UpdateContactRequestStatus, *requests, *wsp_, approach, moved).ok());
  EXPECT_EQ(moved.contact_request().notes_size(), 1) << "a retry adds no second note";
  EXPECT_EQ(moved.contact_request().status_history_size(), 3);  // new, in progress, approached

  v1::AddContactRequestNoteRequest internal;
  internal.set_name(request.name());
  internal.set_request_id("note-1");
  internal.set_text("Intern: kandidaat wil eerst een proefdag.");
  v1::AddContactRequestNoteResponse noted;
  ASSERT_TRUE(Call(&Stub::AddContactRequestNote, *requests, *wsp_, internal, noted).ok());
  EXPECT_EQ(noted.contact_request().notes_size(), 2);

  // Backwards is not allowed; NOT_PLACED needs a reason.
  v1::UpdateContactRequestStatusRequest back = approach;
  back.set_request_id("step-2");
  back.set_status(v1::CONTACT_REQUEST_STATUS_IN_PROGRESS);
  EXPECT_EQ(testing::CodeAndReason(
                Call(&Stub::UpdateContactRequestStatus, *requests, *wsp_, back, moved)),
            "FAILED_PRECONDITION STATUS_CHANGE_NOT_ALLOWED");
  v1::UpdateContactRequestStatusRequest not_placed = approach;
  not_placed.set_request_id("step-3");
  not_placed.set_status(v1::CONTACT_REQUEST_STATUS_NOT_PLACED);
  not_placed.clear_note();
  grpc::Status no_reason =
      Call(&Stub::UpdateContactRequestStatus, *requests, *wsp_, not_placed, moved);
  EXPECT_EQ(no_reason.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(no_reason.error_message().find("note"), std::string::npos);

  // The employer sees the shared note, not the internal one, and withdraws.
  ASSERT_TRUE(Call(&Stub::GetContactRequest, *requests, *employer_a_, get, got).ok());
  ASSERT_EQ(got.contact_request().notes_size(), 1);
  EXPECT_EQ(got.contact_request().notes(0).text(), "Kandidaat gebeld via de gemeente.");
  v1::WithdrawContactRequestRequest withdraw;
  withdraw.set_name(request.name());
  withdraw.set_reason("Vacature is intern vervuld.");
  v1::WithdrawContactRequestResponse withdrawn;
  ASSERT_TRUE(
      Call(&Stub::WithdrawContactRequest, *requests, *employer_a_, withdraw, withdrawn).ok());
  EXPECT_EQ(withdrawn.contact_request().status(), v1::CONTACT_REQUEST_STATUS_WITHDRAWN);
  EXPECT_FALSE(withdrawn.contact_request().has_due_time());
  ASSERT_TRUE(
      Call(&Stub::WithdrawContactRequest, *requests, *employer_a_, withdraw, withdrawn).ok());
  approach.set_request_id("step-4");
  approach.set_status(v1::CONTACT_REQUEST_STATUS_PLACED);
  EXPECT_EQ(testing::CodeAndReason(
                Call(&Stub::UpdateContactRequestStatus, *requests, *wsp_, approach, moved)),
            "FAILED_PRECONDITION STATUS_CHANGE_NOT_ALLOWED");
}

TEST_F(ServiceTest, SavedProfilesBelongToTheOrganisationWithTheirNotes) {
  auto saved = Saved();
  using Stub = v1::SavedProfileService::Stub;
  const std::string token =
      Token(testing::TestEmployer("hr@schoonmaak.example", "Schoonmaakbedrijf Glans"));
  const std::string colleague =
      Token(testing::TestEmployer("directie@schoonmaak.example", "Schoonmaakbedrijf Glans"));
  v1::SaveProfileRequest save;
  save.set_profile_id(profile_->profile_id());
  save.set_note("Bellen na de zomer");
  v1::SaveProfileResponse stored;
  grpc::Status first = Call(&Stub::SaveProfile, *saved, token, save, stored);
  ASSERT_TRUE(first.ok()) << first.error_message();
  EXPECT_EQ(stored.saved_profile().profile().profile_id(), profile_->profile_id());
  EXPECT_EQ(stored.saved_profile().saved_by().display_name(), "Test hr@schoonmaak.example");
  EXPECT_EQ(testing::CodeAndReason(Call(&Stub::SaveProfile, *saved, colleague, save, stored)),
            "ALREADY_EXISTS ALREADY_ADDED");  // the list is the organisation's
  v1::SaveProfileRequest unknown = save;
  unknown.set_profile_id("000000000000000000000000");
  EXPECT_EQ(Call(&Stub::SaveProfile, *saved, token, unknown, stored).error_code(),
            grpc::StatusCode::NOT_FOUND);

  v1::ListSavedProfilesResponse listed;
  ASSERT_TRUE(
      Call(&Stub::ListSavedProfiles, *saved, colleague, v1::ListSavedProfilesRequest(), listed)
          .ok());
  ASSERT_EQ(listed.total_size(), 1);
  EXPECT_EQ(listed.saved_profiles(0).note(), "Bellen na de zomer");
  EXPECT_TRUE(listed.saved_profiles(0).has_profile());
  ASSERT_TRUE(
      Call(&Stub::ListSavedProfiles, *saved, *employer_b_, v1::ListSavedProfilesRequest(), listed)
          .ok());
  EXPECT_EQ(listed.total_size(), 0);  // another organisation sees nothing

  v1::GetSavedProfileRequest get;
  get.set_profile_id(profile_->profile_id());
  v1::GetSavedProfileResponse got;
  EXPECT_EQ(Call(&Stub::GetSavedProfile, *saved, *employer_b_, get, got).error_code(),
            grpc::StatusCode::NOT_FOUND);
  v1::UpdateSavedProfileNoteRequest update;
  update.set_profile_id(profile_->profile_id());
  update.set_note("Gesprek gepland");
  v1::UpdateSavedProfileNoteResponse updated;
  ASSERT_TRUE(Call(&Stub::UpdateSavedProfileNote, *saved, colleague, update, updated).ok());
  EXPECT_EQ(updated.saved_profile().note(), "Gesprek gepland");
  EXPECT_EQ(Call(&Stub::UpdateSavedProfileNote, *saved, *employer_b_, update, updated).error_code(),
            grpc::StatusCode::NOT_FOUND);
  update.set_note(std::string(2001, 'x'));
  grpc::Status too_long = Call(&Stub::UpdateSavedProfileNote, *saved, token, update, updated);
  EXPECT_EQ(too_long.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(too_long.error_message().rfind("note:", 0), 0u);

  v1::DeleteSavedProfileRequest remove;
  remove.set_profile_id(profile_->profile_id());
  v1::DeleteSavedProfileResponse removed;
  EXPECT_EQ(Call(&Stub::DeleteSavedProfile, *saved, *employer_b_, remove, removed).error_code(),
            grpc::StatusCode::NOT_FOUND);
  ASSERT_TRUE(Call(&Stub::DeleteSavedProfile, *saved, token, remove, removed).ok());
  EXPECT_EQ(Call(&Stub::DeleteSavedProfile, *saved, token, remove, removed).error_code(),
            grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(Call(&Stub::GetSavedProfile, *saved, token, get, got).error_code(),
            grpc::StatusCode::NOT_FOUND);
}

TEST_F(ServiceTest, OnlyTheHolderInTheRegionResolvesAnIdentityAndEveryAttemptIsAudited) {
  auto requests = Requests();
  v1::CreateContactRequestResponse created;
  ASSERT_TRUE(Call(&v1::ContactRequestService::Stub::CreateContactRequest, *requests, *employer_b_,
                   NewRequest("identity-1"), created)
                  .ok());
  const std::string name = created.contact_request().name();
  auto identities = v1::IdentityService::NewStub(Channel());
  using Stub = v1::IdentityService::Stub;
  v1::ResolveIdentityRequest resolve;
  resolve.set_contact_request(name);
  resolve.set_purpose("Kandidaat benaderen voor een kennismakingsgesprek");
  v1::ResolveIdentityResponse identity;
  EXPECT_EQ(Call(&Stub::ResolveIdentity, *identities, *employer_b_, resolve, identity).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(Call(&Stub::ResolveIdentity, *identities, *other_wsp_, resolve, identity).error_code(),
            grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(
      testing::CodeAndReason(Call(&Stub::ResolveIdentity, *identities, *wsp_, resolve, identity)),
      "FAILED_PRECONDITION REQUEST_NOT_CLAIMED");  // not claimed yet
  v1::ClaimContactRequestRequest claim;
  claim.set_name(name);
  v1::ClaimContactRequestResponse claimed;
  ASSERT_TRUE(
      Call(&v1::ContactRequestService::Stub::ClaimContactRequest, *requests, *wsp_, claim, claimed)
          .ok());
  v1::ResolveIdentityRequest vague = resolve;
  vague.set_purpose("bellen");
  grpc::Status no_purpose = Call(&Stub::ResolveIdentity, *identities, *wsp_, vague, identity);
  EXPECT_EQ(no_purpose.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(no_purpose.error_message().rfind("purpose:", 0), 0u);

  grpc::Status resolved = Call(&Stub::ResolveIdentity, *identities, *wsp_, resolve, identity);
  ASSERT_TRUE(resolved.ok()) << resolved.error_message();
  const v1::SourceProfile* source = nullptr;
  for (const v1::SourceProfile& candidate : *sources_) {
    if ((*pseudonymizer_)->ProfileId(candidate.source(), candidate.client_number()) ==
        profile_->profile_id()) {
      source = &candidate;
    }
  }
  ASSERT_NE(source, nullptr);
  EXPECT_EQ(identity.source(), source->source());
  EXPECT_EQ(identity.client_number(), source->client_number());
  EXPECT_FALSE(identity.source_name().empty());
  EXPECT_TRUE(identity.audit_id().starts_with("audit/"));

  // Four attempts got past authentication and the role check: four audit rows.
  auto store = service::Store::Open(*store_path_);
  ASSERT_TRUE(store.ok());
  int64_t rows = 0;
  ASSERT_TRUE((*store)
                  ->Read([&](sql::Connection& db) {
                    auto count = db.QueryInteger(
                        "SELECT count(*) FROM audit WHERE action = 'resolve_identity'");
                    if (!count.ok()) return count.status();
                    rows = *count;
                    return absl::OkStatus();
                  })
                  .ok());
  EXPECT_EQ(rows, 4);
}

// Streams `batches` after `header`, and the end, as the holder of `token`.
grpc::Status StreamImport(v1::ProfileImportService::Stub& stub, const std::string& token,
                          const std::optional<v1::ImportHeader>& header,
                          const std::vector<std::vector<v1::SourceProfile>>& batches,
                          v1::ImportProfilesResponse& response) {
  grpc::ClientContext context;
  testing::Authorize(context, token);
  std::unique_ptr<grpc::ClientWriter<v1::ImportProfilesRequest>> writer =
      stub.ImportProfiles(&context, &response);
  v1::ImportProfilesRequest message;
  if (header.has_value()) {
    *message.mutable_header() = *header;
    writer->Write(message);
  }
  int64_t rows = 0;
  bool answered_early = false;
  for (const std::vector<v1::SourceProfile>& batch : batches) {
    message.Clear();
    for (const v1::SourceProfile& profile : batch)
      *message.mutable_batch()->add_profiles() = profile;
    rows += static_cast<int64_t>(batch.size());
    answered_early = !writer->Write(message);
    if (answered_early) break;
  }
  if (!answered_early) {
    message.Clear();
    message.mutable_end()->set_rows(rows);
    writer->Write(message);
  }
  writer->WritesDone();
  return writer->Finish();
}

// Synthetic source profiles from `seed`.
absl::StatusOr<std::unique_ptr<indexer::SyntheticProfileGenerator>> Generator(uint64_t seed) {
  auto reference = engine::ReferenceData::Load(engine::ReferenceData::DefaultDirectory());
  if (!reference.ok()) return reference.status();
  indexer::SyntheticProfileGenerator::Options options;
  options.seed = seed;
  return indexer::SyntheticProfileGenerator::Create(
      *reference, engine::ReferenceData::DefaultDirectory(), options);
}

TEST_F(ServiceTest, AnImportPolledAsItEndsIsNeverReportedInterrupted) {
  // GetImport read the report (RUNNING), then looked for the import's lease: an import that
  // ended in between was reported INTERRUPTED (seen in a full suite on PostgreSQL). A client
  // polls without pause while imports end, a bounded number of them.
  auto generator = Generator(7);
  ASSERT_TRUE(generator.ok()) << generator.status();
  auto stub = v1::ProfileImportService::NewStub(Channel());
  std::atomic<int> current = -1;
  std::atomic<bool> done = false;
  std::atomic<int> polls = 0;
  std::atomic<int> interrupted = 0;
  std::thread poller([&] {
    auto poll_stub = v1::ProfileImportService::NewStub(Channel());
    while (!done) {
      const int import = current;
      if (import < 0) continue;
      v1::GetImportRequest get;
      get.set_import_id(absl::StrCat("race-", import));
      v1::GetImportResponse got;
      if (Call(&v1::ProfileImportService::Stub::GetImport, *poll_stub, *importer_, get, got).ok() &&
          got.report().state() == v1::IMPORT_STATE_INTERRUPTED) {
        ++interrupted;
      }
      ++polls;
    }
  });
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  for (int import = 0; import < 40 && std::chrono::steady_clock::now() < give_up; ++import) {
    std::vector<std::vector<v1::SourceProfile>> batches(1);
    for (int i = 0; i < 3; ++i) {
      v1::SourceProfile& profile = batches[0].emplace_back();
      (*generator)->Next(&profile);
      profile.set_source("GM0344");
      profile.set_client_number(absl::StrCat("RACE-", import, "-", i));
      profile.clear_register_end();
    }
    v1::ImportHeader header;
    header.set_import_id(absl::StrCat("race-", import));
    header.set_source("GM0344");
    header.set_mode(v1::IMPORT_MODE_INCREMENTAL);
    header.set_file_name("race.csv");
    header.set_expected_rows(3);
    current = import;
    v1::ImportProfilesResponse response;
    const grpc::Status imported = StreamImport(*stub, *importer_, header, batches, response);
    if (!imported.ok()) {
      ADD_FAILURE() << "import " << import << ": " << imported.error_message();
      break;
    }
  }
  done = true;
  poller.join();
  EXPECT_EQ(interrupted, 0) << "of " << polls << " polls";
}

TEST_F(ServiceTest, ImportersStreamTheirOwnProfilesAndEveryRowIsAccountedFor) {
  auto generator = Generator(99);
  ASSERT_TRUE(generator.ok()) << generator.status();
  std::vector<std::vector<v1::SourceProfile>> batches(2);
  for (int i = 0; i < 12; ++i) {
    v1::SourceProfile profile;
    (*generator)->Next(&profile);
    profile.set_source("GM0344");
    profile.set_client_number("API-" + std::to_string(i));
    profile.clear_register_end();
    if (i == 4) profile.set_bsn("123456789");  // fails the elfproef
    if (i == 8) profile.set_source("GM0363");  // not the importer's source
    batches[i / 6].push_back(profile);
  }
  v1::ImportHeader header;
  header.set_import_id("api-import-1");
  header.set_source("GM0344");
  header.set_mode(v1::IMPORT_MODE_INCREMENTAL);
  header.set_file_name("export-utrecht.csv");
  header.set_expected_rows(12);
  auto stub = v1::ProfileImportService::NewStub(Channel());

  v1::ImportProfilesResponse response;
  grpc::Status status = StreamImport(*stub, *importer_, header, batches, response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  const v1::ImportReport& report = response.report();
  EXPECT_FALSE(response.replayed());
  EXPECT_EQ(report.state(), v1::IMPORT_STATE_SUCCEEDED);
  EXPECT_EQ(report.received_rows(), 12);
  EXPECT_EQ(report.accepted_rows(), 10);
  EXPECT_EQ(report.created(), 10);
  EXPECT_EQ(report.rejected_rows(), 2);
  ASSERT_EQ(report.rejections_size(), 2);
  EXPECT_EQ(report.rejections(0).row_number(), 5);
  EXPECT_EQ(report.rejections(0).reason(), v1::REJECTION_REASON_INVALID_BSN);
  EXPECT_EQ(report.rejections(1).row_number(), 9);
  EXPECT_EQ(report.rejections(1).reason(), v1::REJECTION_REASON_SOURCE_MISMATCH);
  EXPECT_EQ(report.completeness_size(), 5);
  EXPECT_GE(report.active_profiles(), 10);
  EXPECT_EQ(report.k_threshold(), engine::kDefaultMinimumGroupSize);
  EXPECT_GT(report.smallest_group_size(), 0);
  EXPECT_EQ(report.imported_by().role(), v1::ACCOUNT_ROLE_IMPORTER);
  EXPECT_EQ(report.file_name(), "export-utrecht.csv");

  // The same import again is a replay; the same id with another mode is refused.
  v1::ImportProfilesResponse again;
  ASSERT_TRUE(StreamImport(*stub, *importer_, header, batches, again).ok());
  EXPECT_TRUE(again.replayed());
  EXPECT_EQ(again.report().created(), 10);
  v1::ImportHeader full_sync = header;
  full_sync.set_mode(v1::IMPORT_MODE_FULL_SYNC);
  EXPECT_EQ(testing::CodeAndReason(StreamImport(*stub, *importer_, full_sync, batches, again)),
            "ALREADY_EXISTS IDEMPOTENCY_KEY_REUSED");
  v1::ImportHeader other_source = header;
  other_source.set_import_id("api-import-2");
  other_source.set_source("GM0363");
  EXPECT_EQ(StreamImport(*stub, *importer_, other_source, batches, again).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(StreamImport(*stub, *employer_a_, header, batches, again).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  grpc::Status headless = StreamImport(*stub, *importer_, std::nullopt, batches, again);
  EXPECT_EQ(headless.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(headless.error_message().rfind("header:", 0), 0u);

  v1::GetImportRequest get;
  get.set_import_id("api-import-1");
  v1::GetImportResponse got;
  ASSERT_TRUE(Call(&v1::ProfileImportService::Stub::GetImport, *stub, *importer_, get, got).ok());
  EXPECT_EQ(got.report().state(), v1::IMPORT_STATE_SUCCEEDED);
  get.set_import_id("never-sent");
  EXPECT_EQ(
      Call(&v1::ProfileImportService::Stub::GetImport, *stub, *importer_, get, got).error_code(),
      grpc::StatusCode::NOT_FOUND);

  // The imported profiles become searchable without a restart.
  v1::GetProfileRequest view;
  view.set_profile_id((*pseudonymizer_)->ProfileId("GM0344", "API-0"));
  auto search = Search();
  grpc::StatusCode code = grpc::StatusCode::NOT_FOUND;
  std::string viewer;
  for (int attempt = 0; attempt < 200 && code == grpc::StatusCode::NOT_FOUND; ++attempt) {
    if (attempt > 0) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    // Each look is a profile view: a fresh account (of a fresh organisation) before the daily
    // quota runs out.
    if (attempt % 20 == 0) {
      viewer = Token(testing::TestEmployer("kijker" + std::to_string(attempt) + "@example.nl",
                                           "Kijk BV " + std::to_string(attempt)));
    }
    v1::GetProfileResponse profile;
    code = Call(&v1::CandidateSearchService::Stub::GetProfile, *search, viewer, view, profile)
               .error_code();
  }
  EXPECT_EQ(code, grpc::StatusCode::OK);
}

TEST_F(ServiceTest, ListsPageThroughEveryRequestOnceWithTokensBoundToTheirFilters) {
  auto requests = Requests();
  using Stub = v1::ContactRequestService::Stub;
  const std::string token = Token(testing::TestEmployer("paging@example.nl", "Paging BV"));
  for (int i = 0; i < 5; ++i) {
    v1::CreateContactRequestResponse created;
    ASSERT_TRUE(Call(&Stub::CreateContactRequest, *requests, token,
                     NewRequest("paging-" + std::to_string(i)), created)
                    .ok());
  }
  std::set<std::string> seen;
  v1::ListContactRequestsRequest list;
  list.set_page_size(2);
  int pages = 0;
  do {
    v1::ListContactRequestsResponse page;
    ASSERT_TRUE(Call(&Stub::ListContactRequests, *requests, token, list, page).ok());
    EXPECT_EQ(page.total_size(), 5);
    for (const v1::ContactRequest& request : page.contact_requests()) {
      EXPECT_TRUE(seen.insert(request.name()).second) << "listed twice";
    }
    list.set_page_token(page.next_page_token());
    ++pages;
  } while (!list.page_token().empty() && pages < 10);
  EXPECT_EQ(pages, 3);
  EXPECT_EQ(seen.size(), 5u);
  // A token does not carry over to other filters.
  list.set_page_size(2);
  v1::ListContactRequestsResponse first;
  ASSERT_TRUE(Call(&Stub::ListContactRequests, *requests, token, list, first).ok());
  list.set_page_token(first.next_page_token());
  list.add_statuses(v1::CONTACT_REQUEST_STATUS_NEW);
  v1::ListContactRequestsResponse refused;
  grpc::Status status = Call(&Stub::ListContactRequests, *requests, token, list, refused);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(status.error_message().rfind("page_token:", 0), 0u);
}

TEST_F(ServiceTest, InvalidContactRequestsNameTheField) {
  auto requests = Requests();
  struct Case {
    std::function<void(v1::CreateContactRequestRequest&)> spoil;
    std::string field;
  };
  const Case cases[] = {
      {[](auto& r) { r.set_request_id("met spatie"); }, "request_id"},
      {[](auto& r) { r.mutable_vacancy()->clear_title(); }, "vacancy.title"},
      {[](auto& r) { r.mutable_vacancy()->mutable_workplace()->set_postcode("12"); },
       "vacancy.workplace.postcode"},
      {[](auto& r) { r.mutable_vacancy()->mutable_hours()->set_min_hours(30); }, "vacancy.hours"},
      {[](auto& r) { r.mutable_contact_person()->set_email("geen adres"); },
       "contact_person.email"},
      {[](auto& r) {
         r.mutable_vacancy()->mutable_start_date()->set_year(2027);
         r.mutable_vacancy()->mutable_start_date()->set_month(2);
         r.mutable_vacancy()->mutable_start_date()->set_day(30);
       },
       "vacancy.start_date"},
  };
  int n = 0;
  for (const Case& c : cases) {
    v1::CreateContactRequestRequest request = NewRequest("bad-" + std::to_string(n++));
    c.spoil(request);
    v1::CreateContactRequestResponse response;
    grpc::Status status = Call(&v1::ContactRequestService::Stub::CreateContactRequest, *requests,
                               *employer_b_, request, response);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << c.field;
    EXPECT_EQ(status.error_message().rfind(c.field + ":", 0), 0u)
        << c.field << " got " << status.error_message();
  }
  v1::CreateContactRequestRequest unknown = NewRequest("unknown-profile");
  unknown.set_profile_id("000000000000000000000000");
  v1::CreateContactRequestResponse response;
  EXPECT_EQ(Call(&v1::ContactRequestService::Stub::CreateContactRequest, *requests, *employer_b_,
                 unknown, response)
                .error_code(),
            grpc::StatusCode::NOT_FOUND);
}

TEST_F(ServiceTest, ShortlistsBelongToTheRegionAndExportAsSafeCsv) {
  auto shortlists = Shortlists();
  using Stub = v1::ShortlistService::Stub;
  v1::CreateShortlistRequest create;
  create.set_request_id("shortlist-1");
  create.set_title("Medewerker inpak, Bakkerij Jansen");
  create.set_vacancy_text("Inpakken van brood in de ochtendploeg.");
  v1::CreateShortlistResponse created;
  grpc::Status first = Call(&Stub::CreateShortlist, *shortlists, *wsp_, create, created);
  ASSERT_TRUE(first.ok()) << first.error_message();
  const v1::Shortlist& shortlist = created.shortlist();
  const std::string name = shortlist.name();
  EXPECT_TRUE(name.starts_with("shortlists/")) << name;
  EXPECT_EQ(shortlist.labour_market_region_code(), profile_->area().labour_market_region_code());
  EXPECT_EQ(shortlist.created_by().display_name(), "Test am@wsp.example");
  EXPECT_EQ(shortlist.entry_count(), 0);

  // A retry creates nothing; the same key with other content is refused.
  v1::CreateShortlistResponse retried;
  ASSERT_TRUE(Call(&Stub::CreateShortlist, *shortlists, *wsp_, create, retried).ok());
  EXPECT_EQ(retried.shortlist().name(), name);
  v1::CreateShortlistRequest changed = create;
  changed.set_title("Iets anders");
  EXPECT_EQ(
      testing::CodeAndReason(Call(&Stub::CreateShortlist, *shortlists, *wsp_, changed, retried)),
      "ALREADY_EXISTS IDEMPOTENCY_KEY_REUSED");
  EXPECT_EQ(Call(&Stub::CreateShortlist, *shortlists, *employer_a_, create, retried).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);

  // Entries: active profiles only, each once.
  std::vector<std::string> others;
  for (const v1::SourceProfile& source : *sources_) {
    const std::string id = (*pseudonymizer_)->ProfileId(source.source(), source.client_number());
    if (id != profile_->profile_id() && others.size() < 2) others.push_back(id);
  }
  ASSERT_EQ(others.size(), 2u);
  v1::AddShortlistEntryRequest add;
  add.set_name(name);
  add.set_profile_id(profile_->profile_id());
  add.set_note("=SUM(A1)");
  v1::AddShortlistEntryResponse added;
  grpc::Status adding = Call(&Stub::AddShortlistEntry, *shortlists, *wsp_, add, added);
  ASSERT_TRUE(adding.ok()) << adding.error_message();
  ASSERT_EQ(added.shortlist().entries_size(), 1);
  EXPECT_EQ(added.shortlist().entry_count(), 1);
  EXPECT_EQ(added.shortlist().entries(0).profile().profile_id(), profile_->profile_id());
  EXPECT_EQ(added.shortlist().entries(0).added_by().display_name(), "Test am@wsp.example");
  EXPECT_EQ(testing::CodeAndReason(Call(&Stub::AddShortlistEntry, *shortlists, *wsp_, add, added)),
            "ALREADY_EXISTS ALREADY_ADDED");
  v1::AddShortlistEntryRequest unknown = add;
  unknown.set_profile_id("000000000000000000000000");
  EXPECT_EQ(Call(&Stub::AddShortlistEntry, *shortlists, *wsp_, unknown, added).error_code(),
            grpc::StatusCode::NOT_FOUND);
  for (const std::string& other : others) {
    add.set_profile_id(other);
    add.set_note("Ervaren; wil \"graag\" starten");
    ASSERT_TRUE(Call(&Stub::AddShortlistEntry, *shortlists, *colleague_, add, added).ok());
  }
  ASSERT_EQ(added.shortlist().entries_size(), 3);
  EXPECT_EQ(added.shortlist().entries(2).profile_id(), others[1]) << "the new entry is last";
  EXPECT_EQ(added.shortlist().entries(0).added_by().name(), shortlist.created_by().name());
  EXPECT_NE(added.shortlist().entries(2).added_by().name(), shortlist.created_by().name())
      << "added by the colleague";

  // Another region sees nothing, employers may not look at all.
  v1::GetShortlistRequest get;
  get.set_name(name);
  v1::GetShortlistResponse got;
  EXPECT_EQ(Call(&Stub::GetShortlist, *shortlists, *other_wsp_, get, got).error_code(),
            grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(Call(&Stub::GetShortlist, *shortlists, *employer_b_, get, got).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(Call(&Stub::AddShortlistEntry, *shortlists, *other_wsp_, add, added).error_code(),
            grpc::StatusCode::NOT_FOUND);
  v1::ListShortlistsResponse listed;
  ASSERT_TRUE(
      Call(&Stub::ListShortlists, *shortlists, *other_wsp_, v1::ListShortlistsRequest(), listed)
          .ok());
  for (const v1::Shortlist& theirs : listed.shortlists()) EXPECT_NE(theirs.name(), name);

  // The colleague reads and reorders; reading costs no profile views.
  auto sessions = Sessions();
  v1::GetCurrentAccountResponse before;
  ASSERT_TRUE(Call(&v1::SessionService::Stub::GetCurrentAccount, *sessions, *colleague_,
                   v1::GetCurrentAccountRequest(), before)
                  .ok());
  ASSERT_TRUE(Call(&Stub::GetShortlist, *shortlists, *colleague_, get, got).ok());
  ASSERT_EQ(got.shortlist().entries_size(), 3);
  for (const v1::ShortlistEntry& entry : got.shortlist().entries()) {
    EXPECT_TRUE(entry.has_profile()) << entry.profile_id();
  }
  v1::ReorderShortlistEntriesRequest reorder;
  reorder.set_name(name);
  for (int i = 2; i >= 0; --i) reorder.add_profile_ids(got.shortlist().entries(i).profile_id());
  v1::ReorderShortlistEntriesResponse reordered;
  ASSERT_TRUE(
      Call(&Stub::ReorderShortlistEntries, *shortlists, *colleague_, reorder, reordered).ok());
  ASSERT_EQ(reordered.shortlist().entries_size(), 3);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(reordered.shortlist().entries(i).profile_id(), reorder.profile_ids(i));
  }
  v1::ReorderShortlistEntriesRequest stale = reorder;
  stale.mutable_profile_ids()->RemoveLast();
  EXPECT_EQ(testing::CodeAndReason(
                Call(&Stub::ReorderShortlistEntries, *shortlists, *colleague_, stale, reordered)),
            "FAILED_PRECONDITION SHORTLIST_CHANGED");
  stale.add_profile_ids("000000000000000000000000");
  EXPECT_EQ(testing::CodeAndReason(
                Call(&Stub::ReorderShortlistEntries, *shortlists, *colleague_, stale, reordered)),
            "FAILED_PRECONDITION SHORTLIST_CHANGED");
  v1::ReorderShortlistEntriesRequest twice = reorder;
  twice.set_profile_ids(2, reorder.profile_ids(0));
  grpc::Status duplicate =
      Call(&Stub::ReorderShortlistEntries, *shortlists, *colleague_, twice, reordered);
  EXPECT_EQ(duplicate.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(duplicate.error_message().rfind("profile_ids:", 0), 0u) << duplicate.error_message();

  // Remove one; removing it again finds nothing.
  v1::RemoveShortlistEntryRequest remove;
  remove.set_name(name);
  remove.set_profile_id(others[0]);
  v1::RemoveShortlistEntryResponse removed;
  ASSERT_TRUE(Call(&Stub::RemoveShortlistEntry, *shortlists, *wsp_, remove, removed).ok());
  EXPECT_EQ(removed.shortlist().entry_count(), 2);
  EXPECT_EQ(Call(&Stub::RemoveShortlistEntry, *shortlists, *wsp_, remove, removed).error_code(),
            grpc::StatusCode::NOT_FOUND);

  // A second shortlist, for a contact request of the region.
  v1::CreateContactRequestResponse request;
  ASSERT_TRUE(Call(&v1::ContactRequestService::Stub::CreateContactRequest, *Requests(),
                   *employer_a_, NewRequest("shortlist-request"), request)
                  .ok());
  v1::CreateShortlistRequest for_request = create;
  for_request.set_request_id("shortlist-2");
  for_request.set_title("Chauffeur");
  for_request.set_contact_request(request.contact_request().name());
  EXPECT_EQ(
      Call(&Stub::CreateShortlist, *shortlists, *other_wsp_, for_request, retried).error_code(),
      grpc::StatusCode::NOT_FOUND);  // the request is of another region
  ASSERT_TRUE(Call(&Stub::CreateShortlist, *shortlists, *wsp_, for_request, retried).ok());
  const std::string second = retried.shortlist().name();

  // Most recently changed first: a note on the first shortlist puts it back on top.
  ASSERT_TRUE(
      Call(&Stub::ListShortlists, *shortlists, *colleague_, v1::ListShortlistsRequest(), listed)
          .ok());
  EXPECT_EQ(listed.total_size(), 2);
  ASSERT_EQ(listed.shortlists_size(), 2);
  EXPECT_EQ(listed.shortlists(0).name(), second);
  v1::UpdateShortlistEntryNoteRequest note;
  note.set_name(name);
  note.set_profile_id(profile_->profile_id());
  note.set_note("=SUM(A1)\nbellen; na 10 uur");
  v1::UpdateShortlistEntryNoteResponse noted;
  ASSERT_TRUE(Call(&Stub::UpdateShortlistEntryNote, *shortlists, *colleague_, note, noted).ok());
  v1::ListShortlistsRequest page;
  page.set_page_size(1);
  ASSERT_TRUE(Call(&Stub::ListShortlists, *shortlists, *wsp_, page, listed).ok());
  EXPECT_EQ(listed.total_size(), 2);
  ASSERT_EQ(listed.shortlists_size(), 1);
  EXPECT_EQ(listed.shortlists(0).name(), name);
  EXPECT_EQ(listed.shortlists(0).entries_size(), 0);
  EXPECT_EQ(listed.shortlists(0).entry_count(), 2);
  ASSERT_FALSE(listed.next_page_token().empty());
  v1::ListShortlistsRequest filtered;
  filtered.set_contact_request(request.contact_request().name());
  filtered.set_page_token(listed.next_page_token());
  grpc::Status foreign_token = Call(&Stub::ListShortlists, *shortlists, *wsp_, filtered, listed);
  EXPECT_EQ(foreign_token.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(foreign_token.error_message().rfind("page_token:", 0), 0u);
  filtered.clear_page_token();
  ASSERT_TRUE(Call(&Stub::ListShortlists, *shortlists, *wsp_, filtered, listed).ok());
  ASSERT_EQ(listed.total_size(), 1);
  EXPECT_EQ(listed.shortlists(0).name(), second);

  // The export: a spreadsheet file with the entries in order, formulas defused, audited.
  v1::ExportShortlistRequest export_request;
  export_request.set_name(name);
  v1::ExportShortlistResponse exported;
  EXPECT_EQ(Call(&Stub::ExportShortlist, *shortlists, *employer_a_, export_request, exported)
                .error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(
      Call(&Stub::ExportShortlist, *shortlists, *other_wsp_, export_request, exported).error_code(),
      grpc::StatusCode::NOT_FOUND);
  grpc::Status exporting =
      Call(&Stub::ExportShortlist, *shortlists, *colleague_, export_request, exported);
  ASSERT_TRUE(exporting.ok()) << exporting.error_message();
  EXPECT_EQ(exported.content_type(), "text/csv; charset=utf-8");
  const std::string& csv = exported.content();
  ASSERT_TRUE(csv.starts_with("\xEF\xBB\xBF")) << "byte order mark";
  EXPECT_TRUE(
      csv.starts_with("\xEF\xBB\xBFpositie;profiel_id;woongebied;arbeidsmarktregio;"
                      "opleidingsniveau;ervaring;uren_min;uren_max;banen;max_reisafstand_km;"
                      "affiniteiten;ondersteuning;notitie\r\n"))
      << csv.substr(0, 200);
  EXPECT_NE(csv.find("\"'=SUM(A1)\nbellen; na 10 uur\"\r\n"), std::string::npos) << csv;
  EXPECT_EQ(csv.find(";=SUM"), std::string::npos);
  EXPECT_NE(csv.find("\r\n1;" + reorder.profile_ids(0) + ";"), std::string::npos) << csv;
  EXPECT_NE(csv.find("\r\n2;" + profile_->profile_id() + ";" + profile_->area().name() + ";"),
            std::string::npos)
      << csv;
  EXPECT_TRUE(exported.filename().starts_with("shortlist-medewerker-inpak-bakkerij-jansen-"))
      << exported.filename();
  EXPECT_TRUE(exported.filename().ends_with(".csv"));
  EXPECT_EQ(exported.filename().find_first_not_of(
                "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-."),
            std::string::npos)
      << exported.filename();
  v1::GetCurrentAccountResponse after;
  ASSERT_TRUE(Call(&v1::SessionService::Stub::GetCurrentAccount, *sessions, *colleague_,
                   v1::GetCurrentAccountRequest(), after)
                  .ok());
  EXPECT_EQ(after.account().profile_views().remaining(),
            before.account().profile_views().remaining());

  // One audit row per exported profile, committed before the file went out.
  auto store = service::Store::Open(*store_path_);
  ASSERT_TRUE(store.ok());
  int64_t rows = 0;
  ASSERT_TRUE((*store)
                  ->Read([&](sql::Connection& db) {
                    auto statement = db.Prepare(
                        "SELECT count(*) FROM audit WHERE action = 'export_shortlist' AND "
                        "resource = ?1 AND profile_id != ''");
                    if (!statement.ok()) return statement.status();
                    statement->Bind(1, name);
                    if (auto row = statement->Step(); !row.ok()) return row.status();
                    rows = statement->Integer(0);
                    return absl::OkStatus();
                  })
                  .ok());
  EXPECT_EQ(rows, 2);

  // Deleted is gone, also for a retry.
  v1::DeleteShortlistRequest remove_list;
  remove_list.set_name(name);
  v1::DeleteShortlistResponse deleted;
  EXPECT_EQ(
      Call(&Stub::DeleteShortlist, *shortlists, *other_wsp_, remove_list, deleted).error_code(),
      grpc::StatusCode::NOT_FOUND);
  ASSERT_TRUE(Call(&Stub::DeleteShortlist, *shortlists, *wsp_, remove_list, deleted).ok());
  EXPECT_EQ(Call(&Stub::DeleteShortlist, *shortlists, *wsp_, remove_list, deleted).error_code(),
            grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(Call(&Stub::GetShortlist, *shortlists, *colleague_, get, got).error_code(),
            grpc::StatusCode::NOT_FOUND);
}

TEST_F(ServiceTest, ShortlistFieldsAreCheckedAndHoldAtMost200Entries) {
  auto shortlists = Shortlists();
  using Stub = v1::ShortlistService::Stub;
  // Another region than the other shortlist test, so that its lists stay its own.
  const std::string& token = *other_wsp_;
  struct Case {
    std::function<void(v1::CreateShortlistRequest&)> spoil;
    std::string field;
  };
  const Case cases[] = {
      {[](auto& r) { r.set_request_id(""); }, "request_id"},
      {[](auto& r) { r.set_request_id(std::string(65, 'a')); }, "request_id"},
      {[](auto& r) { r.clear_title(); }, "title"},
      {[](auto& r) { r.set_title(std::string(201, 'x')); }, "title"},
      {[](auto& r) { r.set_vacancy_text(std::string(4001, 'x')); }, "vacancy_text"},
      {[](auto& r) { r.set_contact_request("shortlists/0123"); }, "contact_request"},
  };
  int n = 0;
  v1::CreateShortlistResponse created;
  for (const Case& c : cases) {
    v1::CreateShortlistRequest request;
    request.set_request_id("bad-shortlist-" + std::to_string(n++));
    request.set_title("Magazijnmedewerker");
    c.spoil(request);
    grpc::Status status = Call(&Stub::CreateShortlist, *shortlists, token, request, created);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << c.field;
    EXPECT_EQ(status.error_message().rfind(c.field + ":", 0), 0u)
        << c.field << " got " << status.error_message();
  }
  v1::CreateShortlistRequest unknown_request;
  unknown_request.set_request_id("unknown-request");
  unknown_request.set_title("Magazijnmedewerker");
  unknown_request.set_contact_request("contactRequests/" + std::string(32, '0'));
  EXPECT_EQ(Call(&Stub::CreateShortlist, *shortlists, token, unknown_request, created).error_code(),
            grpc::StatusCode::NOT_FOUND);

  // Limits count characters, not bytes: 200 two-byte letters make a valid title.
  v1::CreateShortlistRequest create;
  create.set_request_id("full-shortlist");
  std::string title;
  for (int i = 0; i < 200; ++i) title += "é";
  create.set_title(title);
  create.set_vacancy_text(std::string(4000, 'v'));
  grpc::Status first = Call(&Stub::CreateShortlist, *shortlists, token, create, created);
  ASSERT_TRUE(first.ok()) << first.error_message();
  const std::string name = created.shortlist().name();

  v1::GetShortlistRequest malformed;
  malformed.set_name("shortlists/../" + name);
  v1::GetShortlistResponse got;
  grpc::Status bad_name = Call(&Stub::GetShortlist, *shortlists, token, malformed, got);
  EXPECT_EQ(bad_name.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(bad_name.error_message().rfind("name:", 0), 0u) << bad_name.error_message();
  v1::ListShortlistsRequest big_page;
  big_page.set_page_size(101);  // read as 100 (AIP-158)
  v1::ListShortlistsResponse listed;
  grpc::Status reduced = Call(&Stub::ListShortlists, *shortlists, token, big_page, listed);
  EXPECT_TRUE(reduced.ok()) << reduced.error_message();
  big_page.set_page_size(-1);
  grpc::Status bad_page = Call(&Stub::ListShortlists, *shortlists, token, big_page, listed);
  EXPECT_EQ(bad_page.error_message().rfind("page_size:", 0), 0u) << bad_page.error_message();

  v1::AddShortlistEntryRequest add;
  add.set_name(name);
  v1::AddShortlistEntryResponse added;
  grpc::Status no_profile = Call(&Stub::AddShortlistEntry, *shortlists, token, add, added);
  EXPECT_EQ(no_profile.error_message().rfind("profile_id:", 0), 0u) << no_profile.error_message();
  add.set_profile_id(profile_->profile_id());
  add.set_note(std::string(2001, 'n'));
  grpc::Status long_note = Call(&Stub::AddShortlistEntry, *shortlists, token, add, added);
  EXPECT_EQ(long_note.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(long_note.error_message().rfind("note:", 0), 0u) << long_note.error_message();

  // 200 entries fit; the 201st is refused, without a hint to retry.
  std::vector<std::string> ids;
  for (const v1::SourceProfile& source : *sources_) {
    ids.push_back((*pseudonymizer_)->ProfileId(source.source(), source.client_number()));
  }
  ASSERT_GT(ids.size(), 200u);
  add.set_note("");
  for (int i = 0; i < 200; ++i) {
    add.set_profile_id(ids[i]);
    grpc::Status status = Call(&Stub::AddShortlistEntry, *shortlists, token, add, added);
    ASSERT_TRUE(status.ok()) << i << ": " << status.error_message();
  }
  EXPECT_EQ(added.shortlist().entry_count(), 200);
  add.set_profile_id(ids[200]);
  grpc::ClientContext context;
  testing::Authorize(context, token);
  const grpc::Status full = shortlists->AddShortlistEntry(&context, add, &added);
  EXPECT_EQ(testing::CodeAndReason(full), "RESOURCE_EXHAUSTED SHORTLIST_FULL");
  // Waiting does not help: no retry hint, in metadata or details.
  EXPECT_EQ(context.GetServerTrailingMetadata().count("retry-after"), 0u);
  EXPECT_EQ(testing::RetryDelaySecondsOf(testing::DetailsOf(full)), -1);
}

// The proto promises notes of up to 2,000 characters, not bytes: a Dutch note of accented letters
// (two bytes each in UTF-8) is kept whole, and one character more is refused, in every service
// that keeps notes.
// 2,000 accented letters, two bytes each in UTF-8: the longest note the proto allows.
std::string LongestNote() {
  std::string note;
  for (int i = 0; i < 2000; ++i) note += "\xC3\xA9";  // "é"
  return note;
}

void ExpectNoteRefused(const grpc::Status& status, const std::string& field) {
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << field;
  EXPECT_EQ(status.error_message().rfind(field + ":", 0), 0u) << status.error_message();
}

TEST_F(ServiceTest, SavedProfileNotesAreLimitedTo2000CharactersNotBytes) {
  const std::string longest = LongestNote();
  const std::string too_long = longest + "\xC3\xA9";
  auto expect_note_refused = ExpectNoteRefused;
  auto saved = Saved();
  using SavedStub = v1::SavedProfileService::Stub;
  const std::string employer =
      Token(testing::TestEmployer("notities@accent.example", "Accentbureau Crème"));
  v1::SaveProfileRequest save;
  save.set_profile_id(profile_->profile_id());
  save.set_note(too_long);
  v1::SaveProfileResponse stored;
  expect_note_refused(Call(&SavedStub::SaveProfile, *saved, employer, save, stored), "note");
  save.set_note(longest);
  grpc::Status kept = Call(&SavedStub::SaveProfile, *saved, employer, save, stored);
  ASSERT_TRUE(kept.ok()) << kept.error_message();
  EXPECT_EQ(stored.saved_profile().note(), longest);
  v1::UpdateSavedProfileNoteRequest update;
  update.set_profile_id(profile_->profile_id());
  update.set_note(longest);
  v1::UpdateSavedProfileNoteResponse updated;
  kept = Call(&SavedStub::UpdateSavedProfileNote, *saved, employer, update, updated);
  EXPECT_TRUE(kept.ok()) << kept.error_message();
  update.set_note(too_long);
  expect_note_refused(Call(&SavedStub::UpdateSavedProfileNote, *saved, employer, update, updated),
                      "note");
}

// Contact requests: the WSP's notes and status notes, the employer's withdrawal reason.
TEST_F(ServiceTest, ContactRequestNotesAreLimitedTo2000CharactersNotBytes) {
  const std::string longest = LongestNote();
  const std::string too_long = longest + "\xC3\xA9";
  auto expect_note_refused = ExpectNoteRefused;
  const std::string employer =
      Token(testing::TestEmployer("verzoek@accent.example", "Accentbureau Brûlée"));
  grpc::Status kept;
  auto requests = Requests();
  using RequestStub = v1::ContactRequestService::Stub;
  v1::CreateContactRequestResponse created;
  ASSERT_TRUE(Call(&RequestStub::CreateContactRequest, *requests, employer,
                   NewRequest("accent-notes"), created)
                  .ok());
  const std::string name = created.contact_request().name();
  service::NewAccount wsp_account = testing::TestEmployer("accent@wsp.example", "WSP accent");
  wsp_account.role = v1::ACCOUNT_ROLE_WSP_ACCOUNT_MANAGER;
  wsp_account.region_code = profile_->area().labour_market_region_code();
  const std::string wsp = Token(wsp_account);
  v1::ClaimContactRequestRequest claim;
  claim.set_name(name);
  v1::ClaimContactRequestResponse claimed;
  ASSERT_TRUE(Call(&RequestStub::ClaimContactRequest, *requests, wsp, claim, claimed).ok());
  v1::AddContactRequestNoteRequest note;
  note.set_name(name);
  note.set_request_id("accent-note-1");
  note.set_text(longest);
  v1::AddContactRequestNoteResponse noted;
  kept = Call(&RequestStub::AddContactRequestNote, *requests, wsp, note, noted);
  EXPECT_TRUE(kept.ok()) << kept.error_message();
  note.set_request_id("accent-note-2");
  note.set_text(too_long);
  expect_note_refused(Call(&RequestStub::AddContactRequestNote, *requests, wsp, note, noted),
                      "text");
  v1::UpdateContactRequestStatusRequest move;
  move.set_name(name);
  move.set_request_id("accent-move-1");
  move.set_status(v1::CONTACT_REQUEST_STATUS_CANDIDATE_APPROACHED);
  move.set_note(too_long);
  v1::UpdateContactRequestStatusResponse moved;
  expect_note_refused(Call(&RequestStub::UpdateContactRequestStatus, *requests, wsp, move, moved),
                      "note");
  move.set_request_id("accent-move-2");
  move.set_note(longest);
  kept = Call(&RequestStub::UpdateContactRequestStatus, *requests, wsp, move, moved);
  EXPECT_TRUE(kept.ok()) << kept.error_message();
  v1::WithdrawContactRequestRequest withdraw;
  withdraw.set_name(name);
  withdraw.set_reason(too_long);
  v1::WithdrawContactRequestResponse withdrawn;
  expect_note_refused(
      Call(&RequestStub::WithdrawContactRequest, *requests, employer, withdraw, withdrawn),
      "reason");
  withdraw.set_reason(longest);
  kept = Call(&RequestStub::WithdrawContactRequest, *requests, employer, withdraw, withdrawn);
  EXPECT_TRUE(kept.ok()) << kept.error_message();
  EXPECT_EQ(withdrawn.contact_request().status(), v1::CONTACT_REQUEST_STATUS_WITHDRAWN);
}

// Shortlists counted characters already; the same limit holds there.
TEST_F(ServiceTest, ShortlistNotesAreLimitedTo2000CharactersNotBytes) {
  const std::string longest = LongestNote();
  const std::string too_long = longest + "\xC3\xA9";
  auto expect_note_refused = ExpectNoteRefused;
  grpc::Status kept;
  service::NewAccount wsp_account = testing::TestEmployer("lijst@wsp.example", "WSP lijst");
  wsp_account.role = v1::ACCOUNT_ROLE_WSP_ACCOUNT_MANAGER;
  wsp_account.region_code = profile_->area().labour_market_region_code();
  const std::string wsp = Token(wsp_account);
  auto shortlists = Shortlists();
  using ShortlistStub = v1::ShortlistService::Stub;
  v1::CreateShortlistRequest create;
  create.set_request_id("accent-shortlist");
  create.set_title("Crème brûlée bakker");
  v1::CreateShortlistResponse list;
  ASSERT_TRUE(Call(&ShortlistStub::CreateShortlist, *shortlists, wsp, create, list).ok());
  v1::AddShortlistEntryRequest add;
  add.set_name(list.shortlist().name());
  add.set_profile_id(profile_->profile_id());
  add.set_note(too_long);
  v1::AddShortlistEntryResponse added;
  expect_note_refused(Call(&ShortlistStub::AddShortlistEntry, *shortlists, wsp, add, added),
                      "note");
  add.set_note(longest);
  kept = Call(&ShortlistStub::AddShortlistEntry, *shortlists, wsp, add, added);
  EXPECT_TRUE(kept.ok()) << kept.error_message();
}

// An idempotency key is the caller's own: another account that happens to choose the same
// request_id makes its own request, and never gets to see the first account's.
TEST_F(ServiceTest, IdempotencyKeysBelongToTheirAccount) {
  auto requests = Requests();
  using RequestStub = v1::ContactRequestService::Stub;
  const std::string first =
      Token(testing::TestEmployer("sleutel@eerste.example", "Eerste Sleutel BV"));
  const std::string second =
      Token(testing::TestEmployer("sleutel@tweede.example", "Tweede Sleutel BV"));
  v1::CreateContactRequestResponse mine;
  ASSERT_TRUE(
      Call(&RequestStub::CreateContactRequest, *requests, first, NewRequest("gedeeld"), mine).ok());
  // The same key and the same content: a retry if it were the same account, but it is not.
  v1::CreateContactRequestResponse theirs;
  grpc::Status same =
      Call(&RequestStub::CreateContactRequest, *requests, second, NewRequest("gedeeld"), theirs);
  ASSERT_TRUE(same.ok()) << same.error_message();
  EXPECT_NE(theirs.contact_request().name(), mine.contact_request().name());
  EXPECT_EQ(theirs.contact_request().employer_organisation_name(), "Tweede Sleutel BV");
  // The same key with other content is no reuse either.
  v1::CreateContactRequestRequest other = NewRequest("gedeeld-2");
  ASSERT_TRUE(Call(&RequestStub::CreateContactRequest, *requests, first, other, mine).ok());
  other.set_message("Een ander bericht.");
  EXPECT_TRUE(Call(&RequestStub::CreateContactRequest, *requests, second, other, theirs).ok());

  // Shortlists: two account managers of one region, one key.
  auto shortlists = Shortlists();
  using ShortlistStub = v1::ShortlistService::Stub;
  v1::CreateShortlistRequest create;
  create.set_request_id("gedeelde-lijst");
  create.set_title("Chauffeur");
  v1::CreateShortlistResponse wsp_list;
  v1::CreateShortlistResponse colleague_list;
  ASSERT_TRUE(Call(&ShortlistStub::CreateShortlist, *shortlists, *wsp_, create, wsp_list).ok());
  ASSERT_TRUE(
      Call(&ShortlistStub::CreateShortlist, *shortlists, *colleague_, create, colleague_list).ok());
  EXPECT_NE(wsp_list.shortlist().name(), colleague_list.shortlist().name());
  EXPECT_NE(colleague_list.shortlist().created_by().name(),
            wsp_list.shortlist().created_by().name());
}

// A search's vacancy and a contact request's are checked by the same rules: HoursRange's
// 0 <= min_hours <= max_hours <= 40 (a vacancy of 0 hours is allowed, as the proto says), a start
// date that is a real day in the years 2000 to 9999, and every workplace part given.
TEST_F(ServiceTest, VacanciesAreCheckedAlikeInSearchesAndContactRequests) {
  struct Case {
    std::string name;
    std::function<void(v1::HoursRange&, v1::Date&, v1::Location&)> set;
    std::string refused_field;  // empty: accepted by both
  };
  auto date = [](v1::Date& out, int year, int month, int day) {
    out.set_year(year);
    out.set_month(month);
    out.set_day(day);
  };
  const Case cases[] = {
      {"no hours",
       [](auto& h, auto&, auto&) {
         h.set_min_hours(0);
         h.set_max_hours(0);
       },
       ""},
      {"40 hours", [](auto& h, auto&, auto&) { h.set_max_hours(40); }, ""},
      {"41 hours", [](auto& h, auto&, auto&) { h.set_max_hours(41); }, "vacancy.hours"},
      {"min over max",
       [](auto& h, auto&, auto&) {
         h.set_min_hours(21);
         h.set_max_hours(20);
       },
       "vacancy.hours"},
      {"start 2101", [&](auto&, auto& d, auto&) { date(d, 2101, 1, 1); }, ""},
      {"start 9999", [&](auto&, auto& d, auto&) { date(d, 9999, 12, 31); }, ""},
      {"start 10000", [&](auto&, auto& d, auto&) { date(d, 10000, 1, 1); }, "vacancy.start_date"},
      {"start 1999", [&](auto&, auto& d, auto&) { date(d, 1999, 12, 31); }, "vacancy.start_date"},
      {"30 February", [&](auto&, auto& d, auto&) { date(d, 2027, 2, 30); }, "vacancy.start_date"},
      {"unknown municipality beside a postcode",
       [](auto&, auto&, auto& w) { w.set_municipality_code("GM9999"); },
       "vacancy.workplace.municipality_code"},
  };
  const std::string employer =
      Token(testing::TestEmployer("vacature@gelijk.example", "Gelijke Regels BV"));
  auto search = Search();
  auto requests = Requests();
  int n = 0;
  for (const Case& c : cases) {
    v1::SearchCandidatesRequest query;
    v1::Vacancy* vacancy = query.mutable_vacancy();
    vacancy->mutable_hours()->set_max_hours(24);
    vacancy->mutable_workplace()->set_postcode("3511 AB");
    v1::CreateContactRequestRequest request = NewRequest("gelijk-" + std::to_string(n++));
    v1::ContactRequestVacancy* asked = request.mutable_vacancy();
    c.set(*vacancy->mutable_hours(), *vacancy->mutable_start_date(), *vacancy->mutable_workplace());
    c.set(*asked->mutable_hours(), *asked->mutable_start_date(), *asked->mutable_workplace());
    if (!vacancy->start_date().year()) vacancy->clear_start_date();
    if (!asked->start_date().year()) asked->clear_start_date();
    query.set_page_size(1);
    v1::SearchCandidatesResponse found;
    v1::CreateContactRequestResponse created;
    const grpc::Status searched =
        Call(&v1::CandidateSearchService::Stub::SearchCandidates, *search, employer, query, found);
    const grpc::Status asked_for = Call(&v1::ContactRequestService::Stub::CreateContactRequest,
                                        *requests, employer, request, created);
    for (const grpc::Status& status : {searched, asked_for}) {
      if (c.refused_field.empty()) {
        EXPECT_TRUE(status.ok()) << c.name << ": " << status.error_message();
      } else {
        EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << c.name;
        EXPECT_EQ(status.error_message().rfind(c.refused_field + ":", 0), 0u)
            << c.name << ": " << status.error_message();
      }
    }
  }
}

// Every handler authenticates before it looks at the request: a caller without a valid token
// learns nothing about what the API would think of its input.
TEST_F(ServiceTest, UnauthenticatedCallsWithInvalidArgumentsAreUnauthenticated) {
  const std::string no_token;
  v1::GetProfileRequest get;
  get.set_profile_id("geen profiel-id");
  v1::GetProfileResponse profile;
  auto search = Search();
  EXPECT_EQ(Call(&v1::CandidateSearchService::Stub::GetProfile, *search, no_token, get, profile)
                .error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  v1::SearchCandidatesRequest query;
  query.set_page_size(-1);
  v1::SearchCandidatesResponse found;
  EXPECT_EQ(
      Call(&v1::CandidateSearchService::Stub::SearchCandidates, *search, no_token, query, found)
          .error_code(),
      grpc::StatusCode::UNAUTHENTICATED);
  v1::CreateContactRequestRequest request = NewRequest("met spatie");
  v1::CreateContactRequestResponse created;
  auto requests = Requests();
  EXPECT_EQ(Call(&v1::ContactRequestService::Stub::CreateContactRequest, *requests, no_token,
                 request, created)
                .error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  v1::SaveProfileRequest save;
  save.set_note(std::string(3000, 'x'));
  v1::SaveProfileResponse saved;
  auto saved_profiles = Saved();
  EXPECT_EQ(
      Call(&v1::SavedProfileService::Stub::SaveProfile, *saved_profiles, no_token, save, saved)
          .error_code(),
      grpc::StatusCode::UNAUTHENTICATED);
  v1::ListShortlistsRequest lists;
  lists.set_page_size(1000);
  v1::ListShortlistsResponse listed;
  auto shortlists = Shortlists();
  EXPECT_EQ(Call(&v1::ShortlistService::Stub::ListShortlists, *shortlists, no_token, lists, listed)
                .error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  // And a caller of the wrong role is told so before its input is judged.
  EXPECT_EQ(Call(&v1::CandidateSearchService::Stub::GetProfile, *search, *importer_, get, profile)
                .error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
}

// Five working days, Monday to Friday in Amsterdam, at the same time of day.
TEST(ContactRequestDueTest, FiveWorkingDaysSkipTheWeekend) {
  absl::TimeZone amsterdam;
  ASSERT_TRUE(absl::LoadTimeZone("Europe/Amsterdam", &amsterdam));
  auto at = [&](int year, int month, int day, int hour) {
    return absl::ToUnixMicros(absl::FromCivil(absl::CivilHour(year, month, day, hour), amsterdam));
  };
  // Friday 27 November 2026, 10:00 -> Friday 4 December, 10:00.
  EXPECT_EQ(service::ContactRequestDueMicros(at(2026, 11, 27, 10)), at(2026, 12, 4, 10));
  // Saturday counts from Monday: -> Friday 4 December.
  EXPECT_EQ(service::ContactRequestDueMicros(at(2026, 11, 28, 10)), at(2026, 12, 4, 10));
  // Tuesday 24 March 2026 -> Tuesday 31 March, across the change to summer time.
  EXPECT_EQ(service::ContactRequestDueMicros(at(2026, 3, 24, 9)), at(2026, 3, 31, 9));
}

}  // namespace
}  // namespace verkenner
