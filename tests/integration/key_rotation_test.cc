// verkenner-admin rotate-key, end to end: an installation with a saved profile, a contact request,
// a shortlist and audit rows under the old key; the key rotated while the server is down; the
// server started with the new key finds every one of them under the profile's new id, resolves the
// person, and knows the old id no more. A second run changes nothing.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>

#include "absl/strings/str_cat.h"
#include "engine/refdata/reference_data.h"
#include "indexer/pseudonymizer.h"
#include "service/server.h"
#include "service/store/records.h"
#include "service/store/store.h"
#include "tests/integration/test_accounts.h"
#include "tests/integration/test_installation.h"
#include "tests/program_run.h"
#include "tests/test_store.h"
#include "verkenner/v1/contact_requests.grpc.pb.h"
#include "verkenner/v1/identity.grpc.pb.h"
#include "verkenner/v1/saved_profiles.grpc.pb.h"
#include "verkenner/v1/search.grpc.pb.h"
#include "verkenner/v1/shortlists.grpc.pb.h"

namespace verkenner {
namespace {

namespace fs = std::filesystem;

constexpr int kProfiles = 30;

class KeyRotationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto installation = testing::CreateTestInstallation("rotation", kProfiles);
    ASSERT_TRUE(installation.ok()) << installation.status();
    installation_ = std::move(*installation);
    directory_ = installation_->directory;
    store_ = installation_->store.get();
    index_ = installation_->index;
    old_key_file_ = testing::WriteTestKeyFile(directory_ / "old.key");
    new_key_file_ = (directory_ / "new.key").string();
    std::ofstream(new_key_file_) << std::string(32, 'n');
    fs::permissions(new_key_file_, fs::perms::owner_read | fs::perms::owner_write);
    auto new_key = indexer::Pseudonymizer::FromKeyFile(new_key_file_);
    ASSERT_TRUE(new_key.ok()) << new_key.status();
    new_key_ = std::move(*new_key);
    auto employer = testing::AddAccountWithToken(
        store_->target(), testing::TestEmployer("werkgever@sleutel.example", "Sleutel BV"));
    ASSERT_TRUE(employer.ok()) << employer.status();
    employer_ = *employer;
  }
  void TearDown() override {
    server_.reset();
    installation_.reset();
  }

  void Serve(std::shared_ptr<const indexer::Pseudonymizer> key) {
    server_.reset();
    service::Server::Options options = installation_->ServerOptions();
    options.pseudonymizer = std::move(key);
    auto server = service::Server::Start(std::move(options));
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
  }

  ProgramRun RotateKey() {
    return RunProgram(VERKENNER_ADMIN_BINARY,
                      {"--store=" + store_->target(), "--index=" + index_.index_path,
                       "--vault=" + index_.vault_path, "--key_file=" + old_key_file_,
                       "--new_key_file=" + new_key_file_, "rotate-key"},
                      directory_);
  }

  template <typename Stub, typename Request, typename Response>
  grpc::Status Call(grpc::Status (Stub::*method)(grpc::ClientContext*, const Request&, Response*),
                    Stub& stub, const std::string& token, const Request& request,
                    Response& response) {
    grpc::ClientContext context;
    testing::Authorize(context, token);
    return (stub.*method)(&context, request, &response);
  }

  std::vector<v1::CandidateMatch> Matches() {
    auto search = v1::CandidateSearchService::NewStub(server_->InProcessChannel());
    v1::SearchCandidatesRequest request;
    request.set_page_size(100);
    v1::SearchCandidatesResponse response;
    EXPECT_TRUE(Call(&v1::CandidateSearchService::Stub::SearchCandidates, *search, employer_,
                     request, response)
                    .ok());
    return {response.matches().begin(), response.matches().end()};
  }

  int64_t AuditRowsOf(const std::string& profile_id) {
    auto store = service::Store::Open(store_->target());
    EXPECT_TRUE(store.ok()) << store.status();
    int64_t rows = 0;
    service::AuditFilter filter;
    filter.profile_id = profile_id;
    EXPECT_TRUE((*store)
                    ->Read([&](sql::Connection& db) {
                      return service::ReadAudit(
                          db, filter,
                          [&](const service::AuditEntry&, const std::string&) { ++rows; });
                    })
                    .ok());
    return rows;
  }

  std::unique_ptr<testing::TestInstallation> installation_;
  fs::path directory_;
  testing::TestStore* store_ = nullptr;
  testing::TestIndex index_;
  std::string old_key_file_, new_key_file_;
  std::shared_ptr<const indexer::Pseudonymizer> new_key_;
  std::string employer_;
  std::unique_ptr<service::Server> server_;
};

TEST_F(KeyRotationTest, EveryReferenceMovesToTheNewIdAndThePersonIsStillFound) {
  Serve(index_.pseudonymizer);
  const std::vector<v1::CandidateMatch> before = Matches();
  ASSERT_EQ(before.size(), static_cast<size_t>(kProfiles));
  const v1::AnonymousProfile profile = before[0].profile();
  const std::string old_id = profile.profile_id();
  const v1::SourceProfile* person = nullptr;
  for (const v1::SourceProfile& source : index_.sources) {
    if (index_.pseudonymizer->ProfileId(source.source(), source.client_number()) == old_id) {
      person = &source;
    }
  }
  ASSERT_NE(person, nullptr);
  const std::string new_id = new_key_->ProfileId(person->source(), person->client_number());
  ASSERT_NE(new_id, old_id);

  // What the store holds about the profile: saved, asked about, shortlisted, viewed.
  const std::string region = profile.area().labour_market_region_code();
  service::NewAccount manager = testing::TestEmployer("am@sleutel.example", "WSP " + region);
  manager.role = v1::ACCOUNT_ROLE_WSP_ACCOUNT_MANAGER;
  manager.region_code = region;
  auto wsp = testing::AddAccountWithToken(store_->target(), manager);
  ASSERT_TRUE(wsp.ok()) << wsp.status();
  auto channel = server_->InProcessChannel();
  auto saved = v1::SavedProfileService::NewStub(channel);
  v1::SaveProfileRequest save;
  save.set_profile_id(old_id);
  v1::SaveProfileResponse kept;
  ASSERT_TRUE(
      Call(&v1::SavedProfileService::Stub::SaveProfile, *saved, employer_, save, kept).ok());
  auto requests = v1::ContactRequestService::NewStub(channel);
  v1::CreateContactRequestRequest ask;
  ask.set_request_id("sleutel-1");
  ask.set_profile_id(old_id);
  ask.mutable_vacancy()->set_title("Medewerker inpak");
  ask.mutable_vacancy()->mutable_hours()->set_min_hours(16);
  ask.mutable_vacancy()->mutable_hours()->set_max_hours(24);
  ask.mutable_vacancy()->mutable_workplace()->set_postcode("3511 AB");
  ask.mutable_contact_person()->set_name("Anna Bakker");
  ask.mutable_contact_person()->set_email("anna@sleutel.example");
  v1::CreateContactRequestResponse asked;
  ASSERT_TRUE(
      Call(&v1::ContactRequestService::Stub::CreateContactRequest, *requests, employer_, ask, asked)
          .ok());
  const std::string request_name = asked.contact_request().name();
  auto shortlists = v1::ShortlistService::NewStub(channel);
  v1::CreateShortlistRequest create;
  create.set_request_id("lijst-1");
  create.set_title("Inpakkers");
  v1::CreateShortlistResponse created;
  ASSERT_TRUE(
      Call(&v1::ShortlistService::Stub::CreateShortlist, *shortlists, *wsp, create, created).ok());
  v1::AddShortlistEntryRequest add;
  add.set_name(created.shortlist().name());
  add.set_profile_id(old_id);
  v1::AddShortlistEntryResponse added;
  ASSERT_TRUE(
      Call(&v1::ShortlistService::Stub::AddShortlistEntry, *shortlists, *wsp, add, added).ok());
  const int64_t audit_rows = AuditRowsOf(old_id);
  ASSERT_GE(audit_rows, 2);
  server_.reset();

  const ProgramRun rotated = RotateKey();
  ASSERT_EQ(rotated.exit_code, 0) << rotated.err;
  EXPECT_NE(rotated.out.find(absl::StrCat(kProfiles, " profiles: ", kProfiles, " index documents")),
            std::string::npos)
      << rotated.out;

  Serve(new_key_);
  channel = server_->InProcessChannel();
  const std::vector<v1::CandidateMatch> after = Matches();
  ASSERT_EQ(after.size(), static_cast<size_t>(kProfiles));
  std::set<std::string> new_ids;
  for (const v1::SourceProfile& source : index_.sources) {
    new_ids.insert(new_key_->ProfileId(source.source(), source.client_number()));
  }
  for (const v1::CandidateMatch& match : after) {
    EXPECT_TRUE(new_ids.contains(match.profile().profile_id())) << "an id of the old key";
  }
  // The saved profile, the request, the shortlist and the audit log name the new id.
  saved = v1::SavedProfileService::NewStub(channel);
  v1::ListSavedProfilesResponse list;
  ASSERT_TRUE(Call(&v1::SavedProfileService::Stub::ListSavedProfiles, *saved, employer_,
                   v1::ListSavedProfilesRequest(), list)
                  .ok());
  ASSERT_EQ(list.saved_profiles_size(), 1);
  EXPECT_EQ(list.saved_profiles(0).profile_id(), new_id);
  EXPECT_TRUE(list.saved_profiles(0).has_profile()) << "the saved profile is found in the index";
  requests = v1::ContactRequestService::NewStub(channel);
  v1::GetContactRequestRequest get;
  get.set_name(request_name);
  v1::GetContactRequestResponse got;
  ASSERT_TRUE(
      Call(&v1::ContactRequestService::Stub::GetContactRequest, *requests, employer_, get, got)
          .ok());
  EXPECT_EQ(got.contact_request().profile_id(), new_id);
  shortlists = v1::ShortlistService::NewStub(channel);
  v1::GetShortlistRequest read;
  read.set_name(created.shortlist().name());
  v1::GetShortlistResponse shortlist;
  ASSERT_TRUE(
      Call(&v1::ShortlistService::Stub::GetShortlist, *shortlists, *wsp, read, shortlist).ok());
  ASSERT_EQ(shortlist.shortlist().entries_size(), 1);
  EXPECT_EQ(shortlist.shortlist().entries(0).profile_id(), new_id);
  EXPECT_EQ(AuditRowsOf(old_id), 0);
  EXPECT_GE(AuditRowsOf(new_id), audit_rows);

  // The WSP still finds the person behind the request.
  v1::ClaimContactRequestRequest claim;
  claim.set_name(request_name);
  v1::ClaimContactRequestResponse claimed;
  ASSERT_TRUE(
      Call(&v1::ContactRequestService::Stub::ClaimContactRequest, *requests, *wsp, claim, claimed)
          .ok());
  auto identities = v1::IdentityService::NewStub(channel);
  v1::ResolveIdentityRequest resolve;
  resolve.set_contact_request(request_name);
  resolve.set_purpose("Kandidaat benaderen na de wissel van de sleutel");
  v1::ResolveIdentityResponse identity;
  const grpc::Status resolved =
      Call(&v1::IdentityService::Stub::ResolveIdentity, *identities, *wsp, resolve, identity);
  ASSERT_TRUE(resolved.ok()) << resolved.error_message();
  EXPECT_EQ(identity.client_number(), person->client_number());
  server_.reset();

  // A second run finds nothing left to do; the same key twice is refused.
  const ProgramRun again = RotateKey();
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_NE(again.out.find(" 0 index documents"), std::string::npos) << again.out;
  EXPECT_NE(again.out.find(" 0 vault entries"), std::string::npos) << again.out;
  new_key_file_ = old_key_file_;
  const ProgramRun same = RotateKey();
  EXPECT_EQ(same.exit_code, 1);
  EXPECT_NE(same.err.find("holds the key in use"), std::string::npos) << same.err;
}

}  // namespace
}  // namespace verkenner
