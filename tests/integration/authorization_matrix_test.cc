// The authorization matrix of issue 5: every RPC, called by every role, on the caller's own
// object and on someone else's, through a real gRPC channel; each cell asserts the exact code.
// "Not found and not yours look the same to the caller": another organisation's or region's
// object is NOT_FOUND, a role that may not call the RPC at all is PERMISSION_DENIED (checked
// before the object is looked at), no valid token is UNAUTHENTICATED.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "service/auth/credentials.h"
#include "service/server.h"
#include "tests/integration/test_accounts.h"
#include "tests/integration/test_index.h"
#include "tests/test_store.h"
#include "verkenner/v1/candidate_rights.grpc.pb.h"
#include "verkenner/v1/contact_requests.grpc.pb.h"
#include "verkenner/v1/identity.grpc.pb.h"
#include "verkenner/v1/profile_import.grpc.pb.h"
#include "verkenner/v1/saved_profiles.grpc.pb.h"
#include "verkenner/v1/search.grpc.pb.h"
#include "verkenner/v1/sessions.grpc.pb.h"
#include "verkenner/v1/shortlists.grpc.pb.h"

namespace verkenner {
namespace {

using grpc::StatusCode;

// The callers of the matrix. "Own" objects belong to kEmployer's organisation and kWsp's region.
enum Caller {
  kAnonymous,      // no token
  kEmployer,       // the employer organisation that owns the objects
  kOtherEmployer,  // another employer organisation
  kWsp,            // WSP account manager of the objects' region
  kOtherWsp,       // WSP account manager of another region
  kImporter,
  kAdmin,
};
const char* CallerName(Caller caller) {
  static const char* kNames[] = {"anonymous", "employer", "other employer", "wsp",
                                 "other wsp", "importer", "admin"};
  return kNames[caller];
}
constexpr Caller kEveryCaller[] = {kAnonymous, kEmployer, kOtherEmployer, kWsp,
                                   kOtherWsp,  kImporter, kAdmin};

class AuthorizationMatrixTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto reference = engine::ReferenceData::Load(engine::ReferenceData::DefaultDirectory());
    ASSERT_TRUE(reference.ok()) << reference.status();
    directory_ = new std::filesystem::path(std::filesystem::temp_directory_path() /
                                           ("verkenner-matrix-" + std::to_string(getpid())));
    std::filesystem::remove_all(*directory_);
    std::filesystem::create_directories(*directory_);
    auto test_store = testing::TestStore::Create(*directory_);
    ASSERT_TRUE(test_store.ok()) << test_store.status();
    test_store_ = test_store->release();
    auto index = testing::BuildTestIndex(*directory_, 200, *reference,
                                         test_store_->VaultTarget(*directory_));
    ASSERT_TRUE(index.ok()) << index.status();
    index_ = new testing::TestIndex(*index);
    reference_ = new std::shared_ptr<const engine::ReferenceData>(*reference);
    const std::string store = test_store_->target();
    tokens_ = new std::map<Caller, std::string>();
    auto add = [&](Caller caller, service::NewAccount account) {
      auto token = testing::AddAccountWithToken(store, account);
      ASSERT_TRUE(token.ok()) << token.status();
      (*tokens_)[caller] = *token;
    };
    add(kEmployer, testing::TestEmployer("eigen@werkgever.example", "Eigen Werkgever BV"));
    add(kOtherEmployer, testing::TestEmployer("ander@werkgever.example", "Andere Werkgever BV"));
    service::NewAccount importer = testing::TestEmployer("koppeling@gemeente.example", "GM0344");
    importer.role = v1::ACCOUNT_ROLE_IMPORTER;
    importer.source = "GM0344";
    add(kImporter, importer);
    service::NewAccount admin = testing::TestEmployer("beheer@verkenner.example", "Beheer");
    admin.role = v1::ACCOUNT_ROLE_ADMIN;
    add(kAdmin, admin);
    (*tokens_)[kAnonymous] = "";

    service::Server::Options options;
    options.listen_address = "127.0.0.1:0";
    options.index_path = index->index_path;
    options.vault_path = index->vault_path;
    options.pseudonymizer = index->pseudonymizer;
    options.store_path = store;
    options.reference_data = *reference;
    options.search_threads = 2;
    options.today = [] { return testing::kTestToday; };
    auto server = service::Server::Start(std::move(options));
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = server->release();

    // The profile the objects are about, and WSP accounts of its region and another.
    v1::SearchCandidatesRequest search;
    search.set_page_size(2);
    v1::SearchCandidatesResponse found;
    grpc::ClientContext context;
    testing::Authorize(context, (*tokens_)[kEmployer]);
    ASSERT_TRUE(v1::CandidateSearchService::NewStub(Channel())
                    ->SearchCandidates(&context, search, &found)
                    .ok());
    ASSERT_EQ(found.matches_size(), 2);
    profile_id_ = new std::string(found.matches(0).profile().profile_id());
    other_profile_id_ = new std::string(found.matches(1).profile().profile_id());
    const std::string region = found.matches(0).profile().area().labour_market_region_code();
    service::NewAccount wsp = testing::TestEmployer("am@wsp.example", "WSP");
    wsp.role = v1::ACCOUNT_ROLE_WSP_ACCOUNT_MANAGER;
    wsp.region_code = region;
    add(kWsp, wsp);
    wsp.email = "am@andere-wsp.example";
    wsp.region_code = region == "AM01" ? "AM02" : "AM01";
    add(kOtherWsp, wsp);
    region_ = new std::string(region);
    other_region_ = new std::string(wsp.region_code);
    made_requests_ = new std::vector<MadeRequest>();
  }

  static void TearDownTestSuite() {
    delete server_;
    delete test_store_;
    std::filesystem::remove_all(*directory_);
    delete directory_;
    delete tokens_;
    delete profile_id_;
    delete other_profile_id_;
    delete region_;
    delete other_region_;
    delete made_requests_;
    delete index_;
    delete reference_;
  }

  static std::shared_ptr<grpc::Channel> Channel() {
    return grpc::CreateChannel("127.0.0.1:" + std::to_string(server_->port()),
                               grpc::InsecureChannelCredentials());
  }

  // Calls `method` as `caller`.
  template <typename Stub, typename Request, typename Response>
  static StatusCode Call(grpc::Status (Stub::*method)(grpc::ClientContext*, const Request&,
                                                      Response*),
                         Stub& stub, Caller caller, const Request& request,
                         Response* response = nullptr) {
    Response ignored;
    grpc::ClientContext context;
    testing::Authorize(context, (*tokens_)[caller]);
    return (stub.*method)(&context, request, response != nullptr ? response : &ignored)
        .error_code();
  }

  // Checks every caller against `expected` (callers not listed: PERMISSION_DENIED, except
  // kAnonymous: UNAUTHENTICATED), in the order listed after the others, so that the owner's
  // successful change comes last.
  static void ExpectMatrix(const std::function<StatusCode(Caller)>& call,
                           const std::vector<std::pair<Caller, StatusCode>>& expected) {
    std::map<Caller, StatusCode> outcome_of;
    for (const auto& [caller, code] : expected) outcome_of[caller] = code;
    std::vector<Caller> order;
    for (Caller caller : kEveryCaller) {
      if (!outcome_of.contains(caller)) order.push_back(caller);
    }
    for (const auto& [caller, code] : expected) order.push_back(caller);
    for (Caller caller : order) {
      StatusCode want = StatusCode::PERMISSION_DENIED;
      if (caller == kAnonymous) want = StatusCode::UNAUTHENTICATED;
      if (outcome_of.contains(caller)) want = outcome_of[caller];
      EXPECT_EQ(call(caller), want) << "caller: " << CallerName(caller);
    }
  }

  // The resource name of `caller`'s account ("accounts/<id>").
  static std::string AccountName(Caller caller) {
    v1::GetCurrentAccountResponse current;
    auto stub = v1::SessionService::NewStub(Channel());
    EXPECT_EQ(Call(&v1::SessionService::Stub::GetCurrentAccount, *stub, caller,
                   v1::GetCurrentAccountRequest(), &current),
              StatusCode::OK);
    return current.account().name();
  }

  // Every contact request the suite made, with its region, so that a list can be checked for
  // exactly the requests its caller may see.
  struct MadeRequest {
    std::string name;
    Caller employer;
    std::string region_code;
  };
  static void Remember(const v1::ContactRequest& made, Caller employer) {
    if (!made.name().empty()) {
      made_requests_->push_back({made.name(), employer, made.labour_market_region_code()});
    }
  }
  // The names of the requests `employer` made (any region when `region_code` is empty), or of
  // `region_code` (any employer when `employer` is kAnonymous).
  static std::set<std::string> MadeBy(Caller employer, const std::string& region_code) {
    std::set<std::string> names;
    for (const MadeRequest& made : *made_requests_) {
      if ((employer == kAnonymous || made.employer == employer) &&
          (region_code.empty() || made.region_code == region_code)) {
        names.insert(made.name);
      }
    }
    return names;
  }

  // A new contact request of kEmployer about the profile, claimed by kWsp when `claimed`.
  static std::string NewContactRequest(const std::string& key, bool claimed) {
    auto stub = v1::ContactRequestService::NewStub(Channel());
    v1::CreateContactRequestRequest request;
    request.set_request_id(key);
    request.set_profile_id(*profile_id_);
    request.mutable_vacancy()->set_title("Magazijnmedewerker");
    request.mutable_vacancy()->mutable_hours()->set_min_hours(20);
    request.mutable_vacancy()->mutable_hours()->set_max_hours(32);
    request.mutable_vacancy()->mutable_workplace()->set_postcode("3511");
    request.mutable_contact_person()->set_name("Piet de Boer");
    request.mutable_contact_person()->set_phone("030 123 4567");
    v1::CreateContactRequestResponse created;
    EXPECT_EQ(Call(&v1::ContactRequestService::Stub::CreateContactRequest, *stub, kEmployer,
                   request, &created),
              StatusCode::OK);
    Remember(created.contact_request(), kEmployer);
    if (claimed) {
      v1::ClaimContactRequestRequest claim;
      claim.set_name(created.contact_request().name());
      EXPECT_EQ(Call(&v1::ContactRequestService::Stub::ClaimContactRequest, *stub, kWsp, claim),
                StatusCode::OK);
    }
    return created.contact_request().name();
  }

  static std::filesystem::path* directory_;
  static testing::TestStore* test_store_;
  static service::Server* server_;
  static std::map<Caller, std::string>* tokens_;
  static std::string* profile_id_;
  static std::string* other_profile_id_;
  static std::string* region_;        // kWsp's region, that of the profile
  static std::string* other_region_;  // kOtherWsp's
  static std::vector<MadeRequest>* made_requests_;
  static testing::TestIndex* index_;  // with the generated source profiles
  static std::shared_ptr<const engine::ReferenceData>* reference_;
};

std::filesystem::path* AuthorizationMatrixTest::directory_ = nullptr;
testing::TestStore* AuthorizationMatrixTest::test_store_ = nullptr;
service::Server* AuthorizationMatrixTest::server_ = nullptr;
std::map<Caller, std::string>* AuthorizationMatrixTest::tokens_ = nullptr;
std::string* AuthorizationMatrixTest::profile_id_ = nullptr;
std::string* AuthorizationMatrixTest::other_profile_id_ = nullptr;
std::string* AuthorizationMatrixTest::region_ = nullptr;
std::string* AuthorizationMatrixTest::other_region_ = nullptr;
std::vector<AuthorizationMatrixTest::MadeRequest>* AuthorizationMatrixTest::made_requests_ =
    nullptr;
testing::TestIndex* AuthorizationMatrixTest::index_ = nullptr;
std::shared_ptr<const engine::ReferenceData>* AuthorizationMatrixTest::reference_ = nullptr;

TEST_F(AuthorizationMatrixTest, CandidateSearchService) {
  auto stub = v1::CandidateSearchService::NewStub(Channel());
  using Stub = v1::CandidateSearchService::Stub;
  const auto searchers =
      std::vector<std::pair<Caller, StatusCode>>{{kEmployer, StatusCode::OK},
                                                 {kOtherEmployer, StatusCode::OK},
                                                 {kWsp, StatusCode::OK},
                                                 {kOtherWsp, StatusCode::OK}};
  ExpectMatrix(
      [&](Caller caller) {
        return Call(&Stub::SearchCandidates, *stub, caller, v1::SearchCandidatesRequest());
      },
      searchers);
  v1::GetProfileRequest get;
  get.set_profile_id(*profile_id_);
  ExpectMatrix([&](Caller caller) { return Call(&Stub::GetProfile, *stub, caller, get); },
               searchers);
}

TEST_F(AuthorizationMatrixTest, SessionService) {
  auto stub = v1::SessionService::NewStub(Channel());
  using Stub = v1::SessionService::Stub;
  const auto everyone = std::vector<std::pair<Caller, StatusCode>>{
      {kEmployer, StatusCode::OK}, {kOtherEmployer, StatusCode::OK}, {kWsp, StatusCode::OK},
      {kOtherWsp, StatusCode::OK}, {kImporter, StatusCode::OK},      {kAdmin, StatusCode::OK}};
  ExpectMatrix(
      [&](Caller caller) {
        return Call(&Stub::GetCurrentAccount, *stub, caller, v1::GetCurrentAccountRequest());
      },
      everyone);
  // The matrix's callers hold API tokens, which only the admin CLI revokes.
  std::vector<std::pair<Caller, StatusCode>> api_tokens = everyone;
  for (auto& [caller, code] : api_tokens) code = StatusCode::FAILED_PRECONDITION;
  ExpectMatrix(
      [&](Caller caller) {
        return Call(&Stub::DeleteSession, *stub, caller, v1::DeleteSessionRequest());
      },
      api_tokens);
  // Logging in needs no token; a wrong password is the same answer for everyone. (One account
  // per caller: from one address, a fourth wrong password for an account is throttled.)
  v1::CreateSessionRequest login;
  login.set_password("geen wachtwoord");
  for (Caller caller : kEveryCaller) {
    login.set_email("onbekend" + std::to_string(caller) + "@werkgever.example");
    EXPECT_EQ(Call(&Stub::CreateSession, *stub, caller, login), StatusCode::UNAUTHENTICATED)
        << CallerName(caller);
  }
}

TEST_F(AuthorizationMatrixTest, ContactRequestServiceEmployerSide) {
  auto stub = v1::ContactRequestService::NewStub(Channel());
  using Stub = v1::ContactRequestService::Stub;
  int key = 0;
  ExpectMatrix(
      [&](Caller caller) {
        v1::CreateContactRequestRequest request;
        request.set_request_id("matrix-create-" + std::to_string(key++));
        request.set_profile_id(*other_profile_id_);
        request.mutable_vacancy()->set_title("Schoonmaker");
        request.mutable_vacancy()->mutable_hours()->set_min_hours(8);
        request.mutable_vacancy()->mutable_hours()->set_max_hours(16);
        request.mutable_vacancy()->mutable_workplace()->set_postcode("1012");
        request.mutable_contact_person()->set_name("Els Visser");
        request.mutable_contact_person()->set_email("els@example.nl");
        v1::CreateContactRequestResponse created;
        const StatusCode code = Call(&Stub::CreateContactRequest, *stub, caller, request, &created);
        Remember(created.contact_request(), caller);
        return code;
      },
      {{kEmployer, StatusCode::OK}, {kOtherEmployer, StatusCode::OK}});

  const std::string own = NewContactRequest("matrix-own", /*claimed=*/false);
  v1::GetContactRequestRequest get;
  get.set_name(own);
  ExpectMatrix([&](Caller caller) { return Call(&Stub::GetContactRequest, *stub, caller, get); },
               {{kEmployer, StatusCode::OK},
                {kOtherEmployer, StatusCode::NOT_FOUND},
                {kWsp, StatusCode::OK},
                {kOtherWsp, StatusCode::NOT_FOUND}});
  // Listing is always of the caller's own organisation: another's request is never in it.
  // Exactly the caller's own requests come back, all of them, counted right.
  for (const bool by_profile : {true, false}) {
    v1::ListContactRequestsRequest list;
    if (by_profile) list.set_profile_id(*profile_id_);
    std::map<Caller, std::set<std::string>> listed_names;
    std::map<Caller, int32_t> totals;
    ExpectMatrix(
        [&](Caller caller) {
          v1::ListContactRequestsResponse listed;
          StatusCode code = Call(&Stub::ListContactRequests, *stub, caller, list, &listed);
          totals[caller] = listed.total_size();
          for (const v1::ContactRequest& request : listed.contact_requests()) {
            listed_names[caller].insert(request.name());
            EXPECT_EQ(request.created_by().name(), AccountName(caller)) << request.name();
          }
          return code;
        },
        {{kEmployer, StatusCode::OK}, {kOtherEmployer, StatusCode::OK}});
    const std::set<std::string> own_names =
        by_profile ? std::set<std::string>{own} : MadeBy(kEmployer, "");
    EXPECT_EQ(listed_names[kEmployer], own_names) << "by profile: " << by_profile;
    EXPECT_EQ(totals[kEmployer], static_cast<int32_t>(own_names.size()));
    const std::set<std::string> others =
        by_profile ? std::set<std::string>{} : MadeBy(kOtherEmployer, "");
    EXPECT_EQ(listed_names[kOtherEmployer], others) << "by profile: " << by_profile;
    EXPECT_EQ(totals[kOtherEmployer], static_cast<int32_t>(others.size()));
  }
  EXPECT_EQ(MadeBy(kEmployer, "").size(), 2u);
  EXPECT_EQ(MadeBy(kOtherEmployer, "").size(), 1u);

  v1::WithdrawContactRequestRequest withdraw;
  withdraw.set_name(own);
  ExpectMatrix(
      [&](Caller caller) { return Call(&Stub::WithdrawContactRequest, *stub, caller, withdraw); },
      {{kOtherEmployer, StatusCode::NOT_FOUND}, {kEmployer, StatusCode::OK}});
}

TEST_F(AuthorizationMatrixTest, ContactRequestServiceWspSide) {
  auto stub = v1::ContactRequestService::NewStub(Channel());
  using Stub = v1::ContactRequestService::Stub;
  const std::string own = NewContactRequest("matrix-queue", /*claimed=*/false);
  // Exactly the region's requests, of every employer, and no other region's.
  std::map<Caller, std::set<std::string>> listed_names;
  std::map<Caller, int32_t> totals;
  ExpectMatrix(
      [&](Caller caller) {
        v1::ListRegionContactRequestsRequest list;
        list.set_page_size(100);
        v1::ListRegionContactRequestsResponse listed;
        StatusCode code = Call(&Stub::ListRegionContactRequests, *stub, caller, list, &listed);
        totals[caller] = listed.total_size();
        for (const v1::ContactRequest& request : listed.contact_requests()) {
          listed_names[caller].insert(request.name());
        }
        return code;
      },
      {{kWsp, StatusCode::OK}, {kOtherWsp, StatusCode::OK}});
  EXPECT_TRUE(listed_names[kWsp].contains(own));
  EXPECT_EQ(listed_names[kWsp], MadeBy(kAnonymous, *region_));
  EXPECT_EQ(totals[kWsp], static_cast<int32_t>(MadeBy(kAnonymous, *region_).size()));
  EXPECT_EQ(listed_names[kOtherWsp], MadeBy(kAnonymous, *other_region_));
  EXPECT_EQ(totals[kOtherWsp], static_cast<int32_t>(MadeBy(kAnonymous, *other_region_).size()));

  v1::ClaimContactRequestRequest claim;
  claim.set_name(own);
  ExpectMatrix(
      [&](Caller caller) { return Call(&Stub::ClaimContactRequest, *stub, caller, claim); },
      {{kOtherWsp, StatusCode::NOT_FOUND}, {kWsp, StatusCode::OK}});
  int key = 0;
  ExpectMatrix(
      [&](Caller caller) {
        v1::AddContactRequestNoteRequest note;
        note.set_name(own);
        note.set_request_id("matrix-note-" + std::to_string(key++));
        note.set_text("Gebeld met de gemeente.");
        return Call(&Stub::AddContactRequestNote, *stub, caller, note);
      },
      {{kOtherWsp, StatusCode::NOT_FOUND}, {kWsp, StatusCode::OK}});
  ExpectMatrix(
      [&](Caller caller) {
        v1::UpdateContactRequestStatusRequest update;
        update.set_name(own);
        update.set_request_id("matrix-status-" + std::to_string(key++));
        update.set_status(v1::CONTACT_REQUEST_STATUS_CANDIDATE_APPROACHED);
        return Call(&Stub::UpdateContactRequestStatus, *stub, caller, update);
      },
      {{kOtherWsp, StatusCode::NOT_FOUND}, {kWsp, StatusCode::OK}});
}

TEST_F(AuthorizationMatrixTest, SavedProfileService) {
  auto stub = v1::SavedProfileService::NewStub(Channel());
  using Stub = v1::SavedProfileService::Stub;
  // Both organisations save the same profile, each with a note of its own.
  auto note_of = [](Caller caller) { return std::string("Terugbellen, ") + CallerName(caller); };
  v1::SaveProfileRequest save;
  save.set_profile_id(*profile_id_);
  ExpectMatrix(
      [&](Caller caller) {
        save.set_note(note_of(caller));
        return Call(&Stub::SaveProfile, *stub, caller, save);
      },
      {{kEmployer, StatusCode::OK}, {kOtherEmployer, StatusCode::OK}});
  // Each list holds exactly the organisation's own entry: its profile, its note, its saver.
  std::map<Caller, v1::ListSavedProfilesResponse> lists;
  ExpectMatrix(
      [&](Caller caller) {
        return Call(&Stub::ListSavedProfiles, *stub, caller, v1::ListSavedProfilesRequest(),
                    &lists[caller]);
      },
      {{kEmployer, StatusCode::OK}, {kOtherEmployer, StatusCode::OK}});
  for (Caller caller : {kEmployer, kOtherEmployer}) {
    const v1::ListSavedProfilesResponse& listed = lists[caller];
    EXPECT_EQ(listed.total_size(), 1) << CallerName(caller);
    ASSERT_EQ(listed.saved_profiles_size(), 1) << CallerName(caller);
    EXPECT_EQ(listed.saved_profiles(0).profile_id(), *profile_id_);
    EXPECT_EQ(listed.saved_profiles(0).note(), note_of(caller));
    EXPECT_EQ(listed.saved_profiles(0).saved_by().name(), AccountName(caller));
  }
  save.set_note("Terugbellen");

  // The other organisation's list holds this profile too; its note and entry are its own. Seen
  // from the owner's side, an entry of the other organisation's is NOT_FOUND: use a profile only
  // kEmployer saved.
  v1::SaveProfileRequest only_own = save;
  only_own.set_profile_id(*other_profile_id_);
  ASSERT_EQ(Call(&Stub::SaveProfile, *stub, kEmployer, only_own), StatusCode::OK);
  v1::GetSavedProfileRequest get;
  get.set_profile_id(*other_profile_id_);
  ExpectMatrix([&](Caller caller) { return Call(&Stub::GetSavedProfile, *stub, caller, get); },
               {{kEmployer, StatusCode::OK}, {kOtherEmployer, StatusCode::NOT_FOUND}});
  v1::UpdateSavedProfileNoteRequest update;
  update.set_profile_id(*other_profile_id_);
  update.set_note("Gesprek gepland");
  ExpectMatrix(
      [&](Caller caller) { return Call(&Stub::UpdateSavedProfileNote, *stub, caller, update); },
      {{kEmployer, StatusCode::OK}, {kOtherEmployer, StatusCode::NOT_FOUND}});
  v1::DeleteSavedProfileRequest remove;
  remove.set_profile_id(*other_profile_id_);
  ExpectMatrix(
      [&](Caller caller) { return Call(&Stub::DeleteSavedProfile, *stub, caller, remove); },
      {{kOtherEmployer, StatusCode::NOT_FOUND}, {kEmployer, StatusCode::OK}});
}

TEST_F(AuthorizationMatrixTest, IdentityService) {
  auto stub = v1::IdentityService::NewStub(Channel());
  const std::string own = NewContactRequest("matrix-identity", /*claimed=*/true);
  v1::ResolveIdentityRequest resolve;
  resolve.set_contact_request(own);
  resolve.set_purpose("Kandidaat uitnodigen voor een gesprek bij de werkgever");
  ExpectMatrix(
      [&](Caller caller) {
        return Call(&v1::IdentityService::Stub::ResolveIdentity, *stub, caller, resolve);
      },
      {{kOtherWsp, StatusCode::NOT_FOUND}, {kWsp, StatusCode::OK}});
}

TEST_F(AuthorizationMatrixTest, ShortlistService) {
  auto stub = v1::ShortlistService::NewStub(Channel());
  using Stub = v1::ShortlistService::Stub;
  int key = 0;
  std::string own;
  std::map<Caller, std::string> created_by;
  ExpectMatrix(
      [&](Caller caller) {
        v1::CreateShortlistRequest create;
        create.set_request_id("matrix-shortlist-" + std::to_string(key++));
        create.set_title("Medewerker inpak");
        v1::CreateShortlistResponse created;
        StatusCode code = Call(&Stub::CreateShortlist, *stub, caller, create, &created);
        if (caller == kWsp) own = created.shortlist().name();
        if (!created.shortlist().name().empty()) created_by[caller] = created.shortlist().name();
        return code;
      },
      {{kOtherWsp, StatusCode::OK}, {kWsp, StatusCode::OK}});
  ASSERT_FALSE(own.empty());

  const std::vector<std::pair<Caller, StatusCode>> own_region_only = {
      {kOtherWsp, StatusCode::NOT_FOUND}, {kWsp, StatusCode::OK}};
  v1::AddShortlistEntryRequest add;
  add.set_name(own);
  add.set_profile_id(*profile_id_);
  ExpectMatrix([&](Caller caller) { return Call(&Stub::AddShortlistEntry, *stub, caller, add); },
               own_region_only);
  v1::GetShortlistRequest get;
  get.set_name(own);
  ExpectMatrix([&](Caller caller) { return Call(&Stub::GetShortlist, *stub, caller, get); },
               own_region_only);
  // Exactly the region's own shortlists, counted right.
  std::map<Caller, std::set<std::string>> listed_names;
  std::map<Caller, int32_t> totals;
  ExpectMatrix(
      [&](Caller caller) {
        v1::ListShortlistsResponse listed;
        StatusCode code =
            Call(&Stub::ListShortlists, *stub, caller, v1::ListShortlistsRequest(), &listed);
        totals[caller] = listed.total_size();
        for (const v1::Shortlist& shortlist : listed.shortlists()) {
          listed_names[caller].insert(shortlist.name());
          EXPECT_EQ(shortlist.created_by().name(), AccountName(caller));
        }
        return code;
      },
      {{kWsp, StatusCode::OK}, {kOtherWsp, StatusCode::OK}});
  EXPECT_EQ(listed_names[kWsp], std::set<std::string>{own});
  EXPECT_EQ(totals[kWsp], 1);
  EXPECT_EQ(listed_names[kOtherWsp], std::set<std::string>{created_by[kOtherWsp]});
  EXPECT_EQ(totals[kOtherWsp], 1);
  v1::UpdateShortlistEntryNoteRequest note;
  note.set_name(own);
  note.set_profile_id(*profile_id_);
  note.set_note("Sterke kandidaat");
  ExpectMatrix(
      [&](Caller caller) { return Call(&Stub::UpdateShortlistEntryNote, *stub, caller, note); },
      own_region_only);
  v1::ReorderShortlistEntriesRequest reorder;
  reorder.set_name(own);
  reorder.add_profile_ids(*profile_id_);
  ExpectMatrix(
      [&](Caller caller) { return Call(&Stub::ReorderShortlistEntries, *stub, caller, reorder); },
      own_region_only);
  v1::ExportShortlistRequest export_request;
  export_request.set_name(own);
  ExpectMatrix(
      [&](Caller caller) { return Call(&Stub::ExportShortlist, *stub, caller, export_request); },
      own_region_only);
  v1::RemoveShortlistEntryRequest remove;
  remove.set_name(own);
  remove.set_profile_id(*profile_id_);
  ExpectMatrix(
      [&](Caller caller) { return Call(&Stub::RemoveShortlistEntry, *stub, caller, remove); },
      own_region_only);
  v1::DeleteShortlistRequest remove_list;
  remove_list.set_name(own);
  ExpectMatrix(
      [&](Caller caller) { return Call(&Stub::DeleteShortlist, *stub, caller, remove_list); },
      own_region_only);
}

TEST_F(AuthorizationMatrixTest, ProfileImportService) {
  auto stub = v1::ProfileImportService::NewStub(Channel());
  // An empty import (header and end) of the importer's own source: it succeeds and is kept.
  int key = 0;
  ExpectMatrix(
      [&](Caller caller) {
        grpc::ClientContext context;
        testing::Authorize(context, (*tokens_)[caller]);
        v1::ImportProfilesResponse response;
        auto writer = stub->ImportProfiles(&context, &response);
        v1::ImportProfilesRequest header;
        header.mutable_header()->set_import_id("matrix-import-" + std::to_string(key++));
        header.mutable_header()->set_source("GM0344");
        writer->Write(header);
        v1::ImportProfilesRequest end;
        end.mutable_end()->set_rows(0);
        writer->Write(end);
        writer->WritesDone();
        return writer->Finish().error_code();
      },
      {{kImporter, StatusCode::OK}});
  // Another source's import: the caller's own import of that id does not exist.
  v1::GetImportRequest get;
  get.set_import_id("matrix-import-" + std::to_string(key - 1));
  ExpectMatrix(
      [&](Caller caller) {
        return Call(&v1::ProfileImportService::Stub::GetImport, *stub, caller, get);
      },
      {{kImporter, StatusCode::OK}});
  v1::ExportRejectedRowsRequest rejected;
  rejected.set_import_id(get.import_id());
  ExpectMatrix(
      [&](Caller caller) {
        return Call(&v1::ProfileImportService::Stub::ExportRejectedRows, *stub, caller, rejected);
      },
      {{kImporter, StatusCode::OK}});
  get.set_import_id("matrix-import-of-another-source");
  EXPECT_EQ(Call(&v1::ProfileImportService::Stub::GetImport, *stub, kImporter, get),
            StatusCode::NOT_FOUND);
  rejected.set_import_id(get.import_id());
  EXPECT_EQ(Call(&v1::ProfileImportService::Stub::ExportRejectedRows, *stub, kImporter, rejected),
            StatusCode::NOT_FOUND);
  // Always the caller's own source: nothing to name, so nothing of another source to reach.
  v1::GetCompletenessStatisticsRequest statistics;
  ExpectMatrix(
      [&](Caller caller) {
        return Call(&v1::ProfileImportService::Stub::GetCompletenessStatistics, *stub, caller,
                    statistics);
      },
      {{kImporter, StatusCode::OK}});
  // The worklist: the caller's own source's clients only, for the importer only.
  ExpectMatrix(
      [&](Caller caller) {
        return Call(&v1::ProfileImportService::Stub::ListWorklist, *stub, caller,
                    v1::ListWorklistRequest());
      },
      {{kImporter, StatusCode::OK}});
  ExpectMatrix(
      [&](Caller caller) {
        return Call(&v1::ProfileImportService::Stub::ExportWorklist, *stub, caller,
                    v1::ExportWorklistRequest());
      },
      {{kImporter, StatusCode::OK}});
}

// An importer acts for its own source's clients, a WSP for candidates of its own region; a
// candidate outside them is NOT_FOUND for a WSP (as if there were none) and PERMISSION_DENIED for
// an importer (the source is in the request). Nobody else may ask.
TEST_F(AuthorizationMatrixTest, CandidateRightsService) {
  auto stub = v1::CandidateRightsService::NewStub(Channel());
  using Stub = v1::CandidateRightsService::Stub;
  const v1::SourceProfile* own_client = nullptr;     // of kImporter's source
  const v1::SourceProfile* of_the_region = nullptr;  // of profile_id_, in kWsp's region
  for (const v1::SourceProfile& source : index_->sources) {
    if (source.source() == "GM0344" && own_client == nullptr) own_client = &source;
    if (index_->pseudonymizer->ProfileId(source.source(), source.client_number()) == *profile_id_) {
      of_the_region = &source;
    }
  }
  ASSERT_NE(own_client, nullptr) << "the generator gives GM0344 clients";
  ASSERT_NE(of_the_region, nullptr);
  const std::string own_region = (*reference_)->FindMunicipality("GM0344")->region_code;
  auto code_for = [&](const std::string& region) {
    return region == own_region ? StatusCode::OK : StatusCode::NOT_FOUND;
  };
  struct Case {
    const v1::SourceProfile* candidate;
    std::vector<std::pair<Caller, StatusCode>> expected;
  };
  const Case cases[] = {
      {own_client,
       {{kWsp, code_for(*region_)},
        {kOtherWsp, code_for(*other_region_)},
        {kImporter, StatusCode::OK}}},
      {of_the_region,
       {{kOtherWsp, StatusCode::NOT_FOUND},
        {kImporter,
         of_the_region->source() == "GM0344" ? StatusCode::OK : StatusCode::PERMISSION_DENIED},
        {kWsp, StatusCode::OK}}},
  };
  for (const Case& c : cases) {
    v1::GetCandidateVisibilityRequest get;
    get.mutable_candidate()->set_source(c.candidate->source());
    get.mutable_candidate()->set_client_number(c.candidate->client_number());
    ExpectMatrix(
        [&](Caller caller) { return Call(&Stub::GetCandidateVisibility, *stub, caller, get); },
        c.expected);
    v1::GetAccessReportRequest report;
    *report.mutable_candidate() = get.candidate();
    report.set_purpose("Controle van de toegangsregels");
    ExpectMatrix([&](Caller caller) { return Call(&Stub::GetAccessReport, *stub, caller, report); },
                 c.expected);
    v1::ExportAccessReportRequest export_report;
    *export_report.mutable_candidate() = get.candidate();
    export_report.set_purpose(report.purpose());
    ExpectMatrix(
        [&](Caller caller) {
          return Call(&Stub::ExportAccessReport, *stub, caller, export_report);
        },
        c.expected);
    // Showing a shown profile changes nothing, so the other tests' profile stays findable.
    v1::SetCandidateVisibilityRequest set;
    *set.mutable_candidate() = get.candidate();
    set.set_visible(true);
    set.set_reason("Controle van de toegangsregels");
    ExpectMatrix(
        [&](Caller caller) { return Call(&Stub::SetCandidateVisibility, *stub, caller, set); },
        c.expected);
  }
  v1::ConfirmAvailabilityRequest confirm;
  confirm.set_profile_id(*profile_id_);
  ExpectMatrix(
      [&](Caller caller) { return Call(&Stub::ConfirmAvailability, *stub, caller, confirm); },
      {{kOtherWsp, StatusCode::NOT_FOUND}, {kWsp, StatusCode::OK}});
}

}  // namespace
}  // namespace verkenner
