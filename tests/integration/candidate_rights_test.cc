// Issue 15, point 2: a candidate's objection (AVG art. 21) hides the profile from employers at
// once, through the real gRPC channel of a running server on a real index and store.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <optional>
#include <set>
#include <thread>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "engine/refdata/reference_data.h"
#include "service/server.h"
#include "service/store/records.h"
#include "tests/integration/test_accounts.h"
#include "tests/integration/test_index.h"
#include "tests/test_store.h"
#include "verkenner/v1/candidate_rights.grpc.pb.h"
#include "verkenner/v1/contact_requests.grpc.pb.h"
#include "verkenner/v1/profile_import.grpc.pb.h"
#include "verkenner/v1/saved_profiles.grpc.pb.h"
#include "verkenner/v1/search.grpc.pb.h"

namespace verkenner {
namespace {

using grpc::StatusCode;

constexpr char kReason[] = "Bezwaar van de kandidaat (art. 21 AVG), per brief";

class CandidateRightsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto reference = engine::ReferenceData::Load(engine::ReferenceData::DefaultDirectory());
    ASSERT_TRUE(reference.ok()) << reference.status();
    reference_ = new std::shared_ptr<const engine::ReferenceData>(*reference);
    directory_ = new std::filesystem::path(std::filesystem::temp_directory_path() /
                                           ("verkenner-rights-" + std::to_string(getpid())));
    std::filesystem::remove_all(*directory_);
    std::filesystem::create_directories(*directory_);
    auto test_store = testing::TestStore::Create(*directory_);
    ASSERT_TRUE(test_store.ok()) << test_store.status();
    test_store_ = test_store->release();
    auto index = testing::BuildTestIndex(*directory_, 120, *reference,
                                         test_store_->VaultTarget(*directory_));
    ASSERT_TRUE(index.ok()) << index.status();
    index_ = new testing::TestIndex(*std::move(index));
    const v1::SourceProfile& candidate = index_->sources.front();
    const engine::Municipality* home =
        (*reference)->FindMunicipality(MunicipalityOf(candidate.postcode()));
    ASSERT_NE(home, nullptr);

    store_path_ = new std::string(test_store_->target());
    auto add = [](service::NewAccount account) {
      auto token = testing::AddAccountWithToken(*store_path_, account);
      EXPECT_TRUE(token.ok()) << token.status();
      return token.value_or("");
    };
    employer_ = new std::string(add(testing::TestEmployer("w@werkgever.example", "Werkgever BV")));
    service::NewAccount importer = testing::TestEmployer("koppeling@bron.example", "Bron");
    importer.role = v1::ACCOUNT_ROLE_IMPORTER;
    importer.source = candidate.source();
    importer_ = new std::string(add(importer));
    importer.email = "koppeling@andere-bron.example";
    importer.source = candidate.source() == "UWV" ? "GM0344" : "UWV";
    other_importer_ = new std::string(add(importer));
    service::NewAccount wsp = testing::TestEmployer("am@wsp.example", "WSP");
    wsp.display_name = "Accountmanager WSP";
    wsp.role = v1::ACCOUNT_ROLE_WSP_ACCOUNT_MANAGER;
    wsp.region_code = home->region_code;
    wsp_ = new std::string(add(wsp));
    wsp.email = "am@andere-wsp.example";
    wsp.region_code = home->region_code == "AM01" ? "AM02" : "AM01";
    other_wsp_ = new std::string(add(wsp));

    service::Server::Options options;
    options.listen_address = "127.0.0.1:0";
    options.index_path = index_->index_path;
    options.vault_path = index_->vault_path;
    options.pseudonymizer = index_->pseudonymizer;
    options.store_path = *store_path_;
    options.reference_data = *reference;
    options.search_threads = 2;
    options.today = [] { return testing::kTestToday; };
    auto server = service::Server::Start(options);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = server->release();
    // A second instance on the same store and index, as behind a load balancer.
    auto other = service::Server::Start(std::move(options));
    ASSERT_TRUE(other.ok()) << other.status();
    other_instance_ = other->release();
  }

  static void TearDownTestSuite() {
    delete other_instance_;
    delete server_;
    delete test_store_;
    std::filesystem::remove_all(*directory_);
    for (std::string* text : {employer_, importer_, other_importer_, wsp_, other_wsp_, store_path_})
      delete text;
    delete index_;
    delete directory_;
    delete reference_;
  }

  // The municipality code of a generated postcode's PC4 area.
  static std::string MunicipalityOf(const std::string& postcode) {
    const engine::PostcodeArea* area =
        (*reference_)->NearestPostcodeArea(engine::ParsePc4(postcode).value());
    return area != nullptr ? area->municipality_code : "";
  }

  static std::shared_ptr<grpc::Channel> Channel(service::Server* server = server_) {
    return grpc::CreateChannel("127.0.0.1:" + std::to_string(server->port()),
                               grpc::InsecureChannelCredentials());
  }

  static const v1::SourceProfile& Candidate() { return index_->sources.front(); }
  static std::string CandidateId() {
    return index_->pseudonymizer->ProfileId(Candidate().source(), Candidate().client_number());
  }
  static v1::CandidateKey Key(const v1::SourceProfile& source = Candidate()) {
    v1::CandidateKey key;
    key.set_source(source.source());
    key.set_client_number(source.client_number());
    return key;
  }

  static grpc::Status SetVisible(const std::string& token, bool visible,
                                 const v1::CandidateKey& key = Key(),
                                 v1::SetCandidateVisibilityResponse* response = nullptr,
                                 const std::string& reason = kReason) {
    v1::SetCandidateVisibilityRequest request;
    *request.mutable_candidate() = key;
    request.set_visible(visible);
    request.set_reason(reason);
    v1::SetCandidateVisibilityResponse ignored;
    grpc::ClientContext context;
    testing::Authorize(context, token);
    return v1::CandidateRightsService::NewStub(Channel())->SetCandidateVisibility(
        &context, request, response != nullptr ? response : &ignored);
  }

  static grpc::Status GetVisibility(const std::string& token, const v1::CandidateKey& key,
                                    v1::GetCandidateVisibilityResponse* response) {
    v1::GetCandidateVisibilityRequest request;
    *request.mutable_candidate() = key;
    grpc::ClientContext context;
    testing::Authorize(context, token);
    return v1::CandidateRightsService::NewStub(Channel())->GetCandidateVisibility(&context, request,
                                                                                  response);
  }

  // Every profile id an employer's search without criteria finds, and its total and facet sum;
  // pages again from the first when an import commit outdated a page token meanwhile.
  struct Found {
    std::set<std::string> ids;
    int64_t total = 0;
    int64_t region_facet_sum = 0;
  };
  static Found SearchAll(service::Server* server = server_) {
    for (int attempt = 0; attempt < 10; ++attempt) {
      if (std::optional<Found> found = SearchAllOnce(server)) return *found;
    }
    ADD_FAILURE() << "the index kept changing while paging";
    return Found();
  }
  static std::optional<Found> SearchAllOnce(service::Server* server) {
    Found found;
    v1::SearchCandidatesRequest request;
    request.set_page_size(100);
    request.add_facets(v1::FACET_LABOUR_MARKET_REGION);
    do {
      v1::SearchCandidatesResponse response;
      grpc::ClientContext context;
      testing::Authorize(context, *employer_);
      grpc::Status status = v1::CandidateSearchService::NewStub(Channel(server))
                                ->SearchCandidates(&context, request, &response);
      if (!status.ok() && absl::StartsWith(status.error_message(), "page_token:")) {
        return std::nullopt;  // an import committed between two pages
      }
      EXPECT_TRUE(status.ok()) << status.error_message();
      if (!status.ok()) break;
      for (const auto& match : response.matches()) found.ids.insert(match.profile().profile_id());
      found.total = response.total_size();
      if (request.page_token().empty()) {
        for (const auto& facet : response.facets()) {
          for (const auto& value : facet.values()) found.region_facet_sum += value.count();
        }
      }
      request.set_page_token(response.next_page_token());
    } while (!request.page_token().empty());
    return found;
  }

  static StatusCode GetProfile(const std::string& profile_id, service::Server* server = server_) {
    v1::GetProfileRequest request;
    request.set_profile_id(profile_id);
    v1::GetProfileResponse response;
    grpc::ClientContext context;
    testing::Authorize(context, *employer_);
    return v1::CandidateSearchService::NewStub(Channel(server))
        ->GetProfile(&context, request, &response)
        .error_code();
  }

  // The employer saves `profile_id`.
  static StatusCode SaveProfile(const std::string& profile_id) {
    v1::SaveProfileRequest request;
    request.set_profile_id(profile_id);
    v1::SaveProfileResponse response;
    grpc::ClientContext context;
    testing::Authorize(context, *employer_);
    return v1::SavedProfileService::NewStub(Channel())
        ->SaveProfile(&context, request, &response)
        .error_code();
  }

  // Whether the employer's saved entry of the candidate shows the profile.
  static bool SavedEntryShowsProfile() {
    v1::GetSavedProfileRequest request;
    request.set_profile_id(CandidateId());
    v1::GetSavedProfileResponse response;
    grpc::ClientContext context;
    testing::Authorize(context, *employer_);
    grpc::Status status =
        v1::SavedProfileService::NewStub(Channel())->GetSavedProfile(&context, request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response.saved_profile().has_profile();
  }

  // The audit rows about `profile_id` as "action outcome" lines, oldest first.
  static std::vector<std::string> AuditOf(const std::string& profile_id) {
    std::vector<std::string> rows;
    auto store = service::Store::Open(*store_path_);
    EXPECT_TRUE(store.ok());
    if (!store.ok()) return rows;
    EXPECT_TRUE((*store)
                    ->Read([&](sql::Connection& db) {
                      auto select = db.Prepare(
                          "SELECT action, outcome, purpose FROM audit WHERE profile_id = ?1 "
                          "ORDER BY id");
                      if (!select.ok()) return select.status();
                      select->Bind(1, profile_id);
                      while (true) {
                        absl::StatusOr<bool> row = select->Step();
                        if (!row.ok()) return row.status();
                        if (!*row) return absl::OkStatus();
                        rows.push_back(select->Text(0) + " " + select->Text(1) +
                                       (select->Text(2).empty() ? "" : " with reason"));
                      }
                    })
                    .ok());
    return rows;
  }

  // The audit rows of `action`.
  static size_t AuditCountOf(const std::string& action) {
    size_t count = 0;
    auto store = service::Store::Open(*store_path_);
    EXPECT_TRUE(store.ok());
    if (!store.ok()) return 0;
    EXPECT_TRUE((*store)
                    ->Read([&](sql::Connection& db) {
                      auto select = db.Prepare("SELECT count(*) FROM audit WHERE action = ?1");
                      if (!select.ok()) return select.status();
                      select->Bind(1, action);
                      absl::StatusOr<bool> row = select->Step();
                      if (!row.ok()) return row.status();
                      count = static_cast<size_t>(select->Integer(0));
                      return absl::OkStatus();
                    })
                    .ok());
    return count;
  }

  // Waits until the running server's searches reflect an index commit: `ready` holds.
  static bool WaitFor(const std::function<bool()>& ready) {
    for (int attempt = 0; attempt < 200; ++attempt) {
      if (ready()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
  }

  // Imports `profile` again into the server's index, as a source's next export would.
  static void Reimport(const v1::SourceProfile& profile) {
    const std::string file = (*directory_ / "again.csv").string();
    std::string csv = indexer::FormatCsvHeader(indexer::kCsvSeparator) + "\n";
    indexer::AppendCsvRow(profile, indexer::kCsvSeparator, &csv);
    std::ofstream(file) << csv << "\n";
    auto writer = indexer::IndexWriter::Open(index_->index_path, *reference_);
    ASSERT_TRUE(writer.ok()) << writer.status();
    auto vault = indexer::IdentityVault::Open(index_->vault_path);
    ASSERT_TRUE(vault.ok()) << vault.status();
    indexer::Importer importer(*reference_, index_->pseudonymizer, {}, writer->get(), vault->get());
    indexer::Importer::Options options;
    options.today_day = testing::kTestToday;
    auto report = importer.ImportFile(file, options);
    ASSERT_TRUE(report.ok()) << report.status();
    ASSERT_EQ(report->rejected_rows, 0);
  }

  static std::shared_ptr<const engine::ReferenceData>* reference_;
  static std::filesystem::path* directory_;
  static testing::TestStore* test_store_;
  static testing::TestIndex* index_;
  static std::string* store_path_;
  static service::Server* server_;
  static service::Server* other_instance_;
  static std::string *employer_, *importer_, *other_importer_, *wsp_, *other_wsp_;
};

std::shared_ptr<const engine::ReferenceData>* CandidateRightsTest::reference_ = nullptr;
std::filesystem::path* CandidateRightsTest::directory_ = nullptr;
testing::TestStore* CandidateRightsTest::test_store_ = nullptr;
testing::TestIndex* CandidateRightsTest::index_ = nullptr;
std::string* CandidateRightsTest::store_path_ = nullptr;
service::Server* CandidateRightsTest::server_ = nullptr;
std::string* CandidateRightsTest::employer_ = nullptr;
std::string* CandidateRightsTest::importer_ = nullptr;
std::string* CandidateRightsTest::other_importer_ = nullptr;
std::string* CandidateRightsTest::wsp_ = nullptr;
std::string* CandidateRightsTest::other_wsp_ = nullptr;
service::Server* CandidateRightsTest::other_instance_ = nullptr;

// Two instances on one store (as behind HAProxy): a profile hidden through one is gone from the
// other's next answer, and comes back the same way (the store's change count of the annotations).
TEST_F(CandidateRightsTest, AProfileHiddenThroughOneInstanceIsGoneFromAnotherAtOnce) {
  // Not Candidate(), whose audit rows other tests count: another searchable client of its source.
  const Found before = SearchAll(other_instance_);
  auto other = std::find_if(index_->sources.begin() + 1, index_->sources.end(), [&](auto& source) {
    return source.source() == Candidate().source() &&
           before.ids.contains(
               index_->pseudonymizer->ProfileId(source.source(), source.client_number()));
  });
  ASSERT_NE(other, index_->sources.end());
  const v1::SourceProfile& candidate = *other;
  const std::string id =
      index_->pseudonymizer->ProfileId(candidate.source(), candidate.client_number());
  ASSERT_TRUE(SetVisible(*importer_, false, Key(candidate), nullptr).ok());
  const Found hidden = SearchAll(other_instance_);
  EXPECT_FALSE(hidden.ids.contains(id));
  EXPECT_EQ(hidden.region_facet_sum, hidden.total);
  EXPECT_EQ(GetProfile(id, other_instance_), StatusCode::NOT_FOUND);
  ASSERT_TRUE(SetVisible(*importer_, true, Key(candidate), nullptr).ok());
  EXPECT_TRUE(SearchAll(other_instance_).ids.contains(id));
  EXPECT_EQ(GetProfile(id, other_instance_), StatusCode::OK);
}

TEST_F(CandidateRightsTest, HidingTakesTheProfileOutOfEveryAnswerAndShowingBringsItBack) {
  const std::string id = CandidateId();
  const Found before = SearchAll();
  ASSERT_TRUE(before.ids.contains(id));
  ASSERT_EQ(before.region_facet_sum, before.total);
  ASSERT_EQ(SaveProfile(id), StatusCode::OK);
  ASSERT_TRUE(SavedEntryShowsProfile());

  // The importer hides its client: gone from search, counts, facets, profile and saved entry.
  v1::SetCandidateVisibilityResponse hidden;
  grpc::Status status = SetVisible(*importer_, false, Key(), &hidden);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(hidden.visibility().profile_id(), id);
  EXPECT_FALSE(hidden.visibility().visible());
  EXPECT_TRUE(hidden.visibility().hidden_by_organisation());
  EXPECT_FALSE(hidden.visibility().hidden_by_import());
  EXPECT_EQ(hidden.visibility().reason(), kReason);
  EXPECT_EQ(hidden.visibility().hidden_by().role(), v1::ACCOUNT_ROLE_IMPORTER);
  const Found after = SearchAll();
  EXPECT_FALSE(after.ids.contains(id));
  EXPECT_EQ(after.total, before.total - 1);
  EXPECT_EQ(after.region_facet_sum, before.region_facet_sum - 1);
  EXPECT_EQ(GetProfile(id), StatusCode::NOT_FOUND);
  EXPECT_FALSE(SavedEntryShowsProfile());

  // The WSP of the candidate's region sees why, and shows the profile again.
  v1::GetCandidateVisibilityResponse seen;
  ASSERT_TRUE(GetVisibility(*wsp_, Key(), &seen).ok());
  EXPECT_FALSE(seen.visibility().visible());
  EXPECT_EQ(seen.visibility().hidden_by().display_name(), "Test koppeling@bron.example");
  v1::SetCandidateVisibilityResponse shown;
  ASSERT_TRUE(SetVisible(*wsp_, true, Key(), &shown, "Kandidaat trekt bezwaar in").ok());
  EXPECT_TRUE(shown.visibility().visible());
  EXPECT_FALSE(shown.visibility().hidden_by_organisation());
  const Found again = SearchAll();
  EXPECT_EQ(again.ids, before.ids);
  EXPECT_EQ(GetProfile(id), StatusCode::OK);
  EXPECT_TRUE(SavedEntryShowsProfile());

  EXPECT_EQ(AuditOf(id),
            (std::vector<std::string>{"save_profile ok", "hide_profile ok with reason",
                                      "view_profile NOT_FOUND", "get_candidate_visibility ok",
                                      "show_profile ok with reason", "view_profile ok"}));
}

TEST_F(CandidateRightsTest, OnlyTheSourceAndTheRegionsWspActAndEveryRefusalIsAudited) {
  const std::string id = CandidateId();
  const size_t audited = AuditOf(id).size();
  v1::GetCandidateVisibilityResponse response;
  grpc::Status other_region = GetVisibility(*other_wsp_, Key(), &response);
  EXPECT_EQ(other_region.error_code(), StatusCode::NOT_FOUND);
  // The same answer as for a client number nobody has.
  v1::CandidateKey nobody = Key();
  nobody.set_client_number("nummer-dat-niet-bestaat");
  grpc::Status no_one = GetVisibility(*wsp_, nobody, &response);
  EXPECT_EQ(no_one.error_code(), StatusCode::NOT_FOUND);
  EXPECT_EQ(no_one.error_message(), other_region.error_message());
  EXPECT_EQ(SetVisible(*other_wsp_, false).error_code(), StatusCode::NOT_FOUND);
  grpc::Status other_source = SetVisible(*other_importer_, false);
  EXPECT_EQ(other_source.error_code(), StatusCode::PERMISSION_DENIED);
  EXPECT_TRUE(absl::StartsWith(other_source.error_message(), "candidate.source:"));
  EXPECT_EQ(SetVisible(*employer_, false).error_code(), StatusCode::PERMISSION_DENIED);
  grpc::Status short_reason = SetVisible(*importer_, false, Key(), nullptr, "bezwaar");
  EXPECT_EQ(short_reason.error_code(), StatusCode::INVALID_ARGUMENT);
  EXPECT_TRUE(absl::StartsWith(short_reason.error_message(), "reason:"));
  v1::CandidateKey bad = Key();
  bad.set_source("GM9999");
  grpc::Status bad_source = GetVisibility(*importer_, bad, &response);
  EXPECT_EQ(bad_source.error_code(), StatusCode::INVALID_ARGUMENT);
  EXPECT_TRUE(absl::StartsWith(bad_source.error_message(), "candidate.source:"));
  // No refusal names the client number.
  for (const grpc::Status& refusal :
       {other_region, no_one, other_source, short_reason, bad_source}) {
    EXPECT_FALSE(absl::StrContains(refusal.error_message(), Candidate().client_number()));
  }
  // Nothing changed, and each refusal about the candidate left a row (the employer's never got
  // past its role; the short reason and the other source were refused before a look-up).
  EXPECT_EQ(GetProfile(id), StatusCode::OK);
  std::vector<std::string> rows = AuditOf(id);
  rows.erase(rows.begin(), rows.begin() + static_cast<std::ptrdiff_t>(audited));
  EXPECT_EQ(rows,
            (std::vector<std::string>{"get_candidate_visibility NOT_FOUND",
                                      "hide_profile NOT_FOUND with reason", "view_profile ok"}));
}

// A key is read as an import reads it (docs/import-format.md): " gm0344 " is GM0344, and white
// space around the client number does not count.
TEST_F(CandidateRightsTest, AKeyIsReadWithTheImportsRuleForCaseAndWhiteSpace) {
  v1::CandidateKey spelled = Key();
  spelled.set_source(" " + absl::AsciiStrToLower(Candidate().source()) + " ");
  spelled.set_client_number(Candidate().client_number() + " ");
  v1::GetCandidateVisibilityResponse response;
  const grpc::Status found = GetVisibility(*importer_, spelled, &response);
  EXPECT_TRUE(found.ok()) << found.error_message();
}

TEST_F(CandidateRightsTest, AnImportSayingNotVisibleHidesTheProfileUntilTheNextImport) {
  const std::string id = CandidateId();
  ASSERT_TRUE(SearchAll().ids.contains(id));
  v1::SourceProfile profile = Candidate();
  profile.set_visible(false);
  Reimport(profile);
  EXPECT_TRUE(WaitFor([&] { return !SearchAll().ids.contains(id); }));
  EXPECT_EQ(GetProfile(id), StatusCode::NOT_FOUND);
  v1::GetCandidateVisibilityResponse seen;
  ASSERT_TRUE(GetVisibility(*importer_, Key(), &seen).ok());
  EXPECT_FALSE(seen.visibility().visible());
  EXPECT_TRUE(seen.visibility().hidden_by_import());
  EXPECT_FALSE(seen.visibility().hidden_by_organisation());

  profile.clear_visible();
  Reimport(profile);
  EXPECT_TRUE(WaitFor([&] { return SearchAll().ids.contains(id); }));
  EXPECT_EQ(GetProfile(id), StatusCode::OK);
}

// Issue 15, point 3: a WSP's "beschikbaarheid bevestigd" shows on the card at once.
TEST_F(CandidateRightsTest, AWspConfirmsTheAvailabilityAndTheCardSaysSoAtOnce) {
  const std::string id = CandidateId();
  auto confirm = [&](const std::string& token, v1::ConfirmAvailabilityResponse* response) {
    v1::ConfirmAvailabilityRequest request;
    request.set_profile_id(id);
    v1::ConfirmAvailabilityResponse ignored;
    grpc::ClientContext context;
    testing::Authorize(context, token);
    return v1::CandidateRightsService::NewStub(Channel())
        ->ConfirmAvailability(&context, request, response != nullptr ? response : &ignored)
        .error_code();
  };
  EXPECT_EQ(confirm(*other_wsp_, nullptr), StatusCode::NOT_FOUND);
  EXPECT_EQ(confirm(*importer_, nullptr), StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(confirm(*employer_, nullptr), StatusCode::PERMISSION_DENIED);
  v1::ConfirmAvailabilityResponse confirmed;
  ASSERT_EQ(confirm(*wsp_, &confirmed), StatusCode::OK);
  EXPECT_EQ(absl::StrFormat("%04d-%02d-%02d", confirmed.availability_confirmed_on().year(),
                            confirmed.availability_confirmed_on().month(),
                            confirmed.availability_confirmed_on().day()),
            "2026-11-01");  // kTestToday

  v1::GetProfileRequest request;
  request.set_profile_id(id);
  v1::GetProfileResponse response;
  grpc::ClientContext context;
  testing::Authorize(context, *employer_);
  ASSERT_TRUE(v1::CandidateSearchService::NewStub(Channel())
                  ->GetProfile(&context, request, &response)
                  .ok());
  EXPECT_EQ(response.profile().availability_confirmed_on().SerializeAsString(),
            confirmed.availability_confirmed_on().SerializeAsString());
  EXPECT_FALSE(response.profile().availability_unconfirmed());
  const std::vector<std::string> rows = AuditOf(id);
  EXPECT_EQ(std::count(rows.begin(), rows.end(), "confirm_availability NOT_FOUND"), 1);
  EXPECT_EQ(std::count(rows.begin(), rows.end(), "confirm_availability ok"), 1);
}

// Issue 15, point 4: the importer's worklist names its own clients, by client number, as a list
// and as a CSV file; nobody else gets it, and every call is audited.
TEST_F(CandidateRightsTest, TheWorklistNamesOnlyTheSourcesOwnClientsToCompleteOrConfirm) {
  auto stub = v1::ProfileImportService::NewStub(Channel());
  std::set<std::string> own;
  std::string sparse;  // an own client without hours: on the list for them
  for (const v1::SourceProfile& source : index_->sources) {
    if (source.source() != Candidate().source()) continue;
    own.insert(source.client_number());
    if (!source.has_hours_min() && sparse.empty()) sparse = source.client_number();
  }
  auto list = [&](const std::string& token, int page_size, const std::string& page_token,
                  v1::ListWorklistResponse* response) {
    v1::ListWorklistRequest request;
    request.set_page_size(page_size);
    request.set_page_token(page_token);
    grpc::ClientContext context;
    testing::Authorize(context, token);
    return stub->ListWorklist(&context, request, response).error_code();
  };
  v1::ListWorklistResponse whole;
  ASSERT_EQ(list(*importer_, 100, "", &whole), StatusCode::OK);
  ASSERT_GT(whole.total_size(), 0);
  ASSERT_EQ(whole.entries_size(), whole.total_size());
  EXPECT_EQ(whole.active_profiles(), static_cast<int64_t>(own.size()));
  std::vector<std::string> listed;
  for (const v1::WorklistEntry& entry : whole.entries()) {
    EXPECT_TRUE(own.contains(entry.client_number())) << "not a client of the source";
    EXPECT_TRUE(entry.missing_size() > 0 || entry.availability_unconfirmed());
    listed.push_back(entry.client_number());
    if (entry.client_number() == sparse) {
      EXPECT_NE(
          std::find(entry.missing().begin(), entry.missing().end(), v1::CORE_FIELD_AVAILABILITY),
          entry.missing().end());
    }
  }
  EXPECT_TRUE(std::is_sorted(listed.begin(), listed.end()));
  if (!sparse.empty()) {
    EXPECT_NE(std::find(listed.begin(), listed.end(), sparse), listed.end());
  }

  // Page by page, the same list.
  std::vector<std::string> paged;
  std::string token;
  do {
    v1::ListWorklistResponse page;
    ASSERT_EQ(list(*importer_, 3, token, &page), StatusCode::OK);
    for (const v1::WorklistEntry& entry : page.entries()) paged.push_back(entry.client_number());
    token = page.next_page_token();
  } while (!token.empty());
  EXPECT_EQ(paged, listed);

  // The CSV file holds the same clients.
  v1::ExportWorklistResponse exported;
  {
    grpc::ClientContext context;
    testing::Authorize(context, *importer_);
    ASSERT_TRUE(stub->ExportWorklist(&context, v1::ExportWorklistRequest(), &exported).ok());
  }
  std::vector<std::string> lines = absl::StrSplit(exported.content(), "\r\n", absl::SkipEmpty());
  ASSERT_EQ(lines.size(), listed.size() + 1);
  EXPECT_EQ(lines[0],
            "\xEF\xBB\xBFklantnummer;ontbreekt;beschikbaarheid_bevestigd_op;"
            "niet_recent_bevestigd");
  for (size_t i = 0; i < listed.size(); ++i) {
    EXPECT_TRUE(absl::StartsWith(lines[i + 1], listed[i] + ";")) << lines[i + 1];
  }
  EXPECT_TRUE(absl::StartsWith(exported.filename(), "werklijst-"));

  for (const std::string* caller : {wsp_, employer_}) {
    v1::ListWorklistResponse refused;
    EXPECT_EQ(list(*caller, 10, "", &refused), StatusCode::PERMISSION_DENIED);
  }
  // Every call of the importer left a row: one whole list, the pages, the export.
  const size_t pages = (listed.size() + 2) / 3;
  EXPECT_EQ(AuditCountOf("list_worklist"), 1 + pages);
  EXPECT_EQ(AuditCountOf("export_worklist"), 1u);
}

// Issue 15, point 1: the candidate's right of access. The importer (or the region's WSP) asks,
// with a purpose, and gets every organisation that received the profile, and why; the request
// itself is audited and shows in the next report.
TEST_F(CandidateRightsTest, TheAccessReportNamesEveryOrganisationThatReceivedTheProfile) {
  const std::string id = CandidateId();
  constexpr char kPurpose[] = "Inzageverzoek van de kandidaat, per e-mail";
  auto report = [&](const std::string& token, const std::string& purpose,
                    v1::GetAccessReportResponse* response) {
    v1::GetAccessReportRequest request;
    *request.mutable_candidate() = Key();
    request.set_purpose(purpose);
    grpc::ClientContext context;
    testing::Authorize(context, token);
    return v1::CandidateRightsService::NewStub(Channel())->GetAccessReport(&context, request,
                                                                           response);
  };
  auto lines = [](const v1::GetAccessReportResponse& response, int from) {
    std::vector<std::string> out;
    for (int i = from; i < response.entries_size(); ++i) {
      const v1::AccessReportEntry& entry = response.entries(i);
      out.push_back(
          absl::StrCat(entry.organisation(), " | ", entry.description(), " | ", entry.purpose()));
    }
    return out;
  };
  // What the other tests did to the candidate comes first; this test's actions follow.
  v1::GetAccessReportResponse before;
  grpc::Status status = report(*importer_, kPurpose, &before);
  ASSERT_TRUE(status.ok()) << status.error_message();
  const int earlier = before.entries_size();

  ASSERT_EQ(GetProfile(id), StatusCode::OK);
  {
    v1::DeleteSavedProfileRequest unsave;  // saved by an earlier test, perhaps
    unsave.set_profile_id(id);
    v1::DeleteSavedProfileResponse unsaved;
    grpc::ClientContext unsave_context;
    testing::Authorize(unsave_context, *employer_);
    (void)v1::SavedProfileService::NewStub(Channel())->DeleteSavedProfile(&unsave_context, unsave,
                                                                          &unsaved);
    ASSERT_EQ(SaveProfile(id), StatusCode::OK);
  }
  {
    v1::CreateContactRequestRequest request;
    request.set_request_id("inzage-test");
    request.set_profile_id(id);
    request.mutable_vacancy()->set_title("Magazijnmedewerker");
    request.mutable_vacancy()->mutable_hours()->set_min_hours(20);
    request.mutable_vacancy()->mutable_hours()->set_max_hours(32);
    request.mutable_vacancy()->mutable_workplace()->set_postcode("3511");
    request.mutable_contact_person()->set_name("Piet de Boer");
    request.mutable_contact_person()->set_phone("030 123 4567");
    v1::CreateContactRequestResponse created;
    grpc::ClientContext context;
    testing::Authorize(context, *employer_);
    status = v1::ContactRequestService::NewStub(Channel())->CreateContactRequest(&context, request,
                                                                                 &created);
    ASSERT_TRUE(status.ok()) << status.error_message();
  }
  {
    v1::ConfirmAvailabilityRequest confirm;
    confirm.set_profile_id(id);
    v1::ConfirmAvailabilityResponse confirmed;
    grpc::ClientContext context;
    testing::Authorize(context, *wsp_);
    ASSERT_TRUE(v1::CandidateRightsService::NewStub(Channel())
                    ->ConfirmAvailability(&context, confirm, &confirmed)
                    .ok());
  }

  const std::string home = MunicipalityOf(Candidate().postcode());
  const std::string wsp_name =
      "Werkgeversservicepunt " +
      (*reference_)->FindRegion((*reference_)->FindMunicipality(home)->region_code)->name;
  const std::string source_name =
      Candidate().source() == "UWV"
          ? "UWV"
          : "Gemeente " + (*reference_)->FindMunicipality(Candidate().source())->name;
  v1::GetAccessReportResponse after;
  ASSERT_TRUE(report(*importer_, kPurpose, &after).ok());
  EXPECT_EQ(after.profile_id(), id);
  EXPECT_EQ(lines(after, earlier),
            (std::vector<std::string>{
                source_name + " | vroeg dit inzageoverzicht op | " + kPurpose,
                "Werkgever BV | bekeek het profiel | ",
                "Werkgever BV | bewaarde het profiel | ",
                "Werkgever BV | vroeg contact aan | vacature: Magazijnmedewerker",
                wsp_name + " | bevestigde de beschikbaarheid | ",
            }));
  // The WSP of the region asks too; its report ends with the importer's second request.
  v1::GetAccessReportResponse by_wsp;
  ASSERT_TRUE(report(*wsp_, "Vraag van de kandidaat aan het WSP", &by_wsp).ok());
  ASSERT_EQ(by_wsp.entries_size(), after.entries_size() + 1);
  EXPECT_EQ(lines(by_wsp, after.entries_size()).back(),
            source_name + " | vroeg dit inzageoverzicht op | " + kPurpose);

  // As a CSV file: the same entries, by organisation, never naming a person.
  v1::ExportAccessReportRequest export_request;
  *export_request.mutable_candidate() = Key();
  export_request.set_purpose(kPurpose);
  v1::ExportAccessReportResponse exported;
  {
    grpc::ClientContext context;
    testing::Authorize(context, *importer_);
    ASSERT_TRUE(v1::CandidateRightsService::NewStub(Channel())
                    ->ExportAccessReport(&context, export_request, &exported)
                    .ok());
  }
  std::vector<std::string> rows = absl::StrSplit(exported.content(), "\r\n", absl::SkipEmpty());
  // The header, the WSP's report's entries, and the WSP's request itself.
  ASSERT_EQ(rows.size(), 1u + by_wsp.entries_size() + 1);
  EXPECT_EQ(rows[0],
            "\xEF\xBB\xBF"
            "datum;organisatie;rol;handeling;doel");
  EXPECT_TRUE(absl::StrContains(exported.content(), ";Werkgever BV;werkgever;bekeek het profiel;"));
  for (const char* person : {"w@werkgever.example", "Accountmanager WSP", "Test "}) {
    EXPECT_FALSE(absl::StrContains(exported.content(), person)) << person;
  }
  EXPECT_TRUE(absl::StartsWith(exported.filename(), "inzage-" + id.substr(0, 8) + "-"));

  // Nobody else: another region's WSP, an employer; and a purpose is required.
  v1::GetAccessReportResponse refused;
  EXPECT_EQ(report(*other_wsp_, kPurpose, &refused).error_code(), StatusCode::NOT_FOUND);
  EXPECT_EQ(report(*employer_, kPurpose, &refused).error_code(), StatusCode::PERMISSION_DENIED);
  grpc::Status no_purpose = report(*importer_, "", &refused);
  EXPECT_EQ(no_purpose.error_code(), StatusCode::INVALID_ARGUMENT);
  EXPECT_TRUE(absl::StartsWith(no_purpose.error_message(), "purpose:"));
}

}  // namespace
}  // namespace verkenner
