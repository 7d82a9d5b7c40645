// The walking skeleton end to end: generated export file -> importer -> Xapian index -> gRPC
// server on 127.0.0.1 port 0 -> SearchCandidates over a real channel. Expected answers are
// computed by brute force from the generated source profiles, independently of the engine.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_format.h"
#include "engine/disclosure_control.h"
#include "engine/geo.h"
#include "engine/refdata/reference_data.h"
#include "indexer/importer.h"
#include "indexer/index_writer.h"
#include "indexer/pseudonymizer.h"
#include "indexer/source_format.h"
#include "indexer/synthetic/synthetic_profile_generator.h"
#include "service/server.h"
#include "tests/integration/test_accounts.h"
#include "verkenner/v1/search.grpc.pb.h"

namespace verkenner {
namespace {

constexpr int kProfiles = 3000;
// 2026-11-01, the generator's reference date.
constexpr int64_t kToday = 20758;

int64_t DayOf(int year, unsigned month, unsigned day) {
  return std::chrono::sys_days(std::chrono::year_month_day{std::chrono::year(year),
                                                           std::chrono::month(month),
                                                           std::chrono::day(day)})
      .time_since_epoch()
      .count();
}

class SearchSkeletonTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    ASSERT_EQ(kToday, DayOf(2026, 11, 1));
    const std::string refdata_dir = engine::ReferenceData::DefaultDirectory();
    auto reference = engine::ReferenceData::Load(refdata_dir);
    ASSERT_TRUE(reference.ok()) << reference.status();
    reference_ = new std::shared_ptr<const engine::ReferenceData>(*reference);

    directory_ = new std::filesystem::path(std::filesystem::temp_directory_path() /
                                           ("verkenner-skeleton-" + std::to_string(getpid())));
    std::filesystem::create_directories(*directory_);
    const std::string export_file = (*directory_ / "export.csv").string();

    indexer::SyntheticProfileGenerator::Options generator_options;
    generator_options.seed = 7;
    auto generator =
        indexer::SyntheticProfileGenerator::Create(*reference_, refdata_dir, generator_options);
    ASSERT_TRUE(generator.ok()) << generator.status();
    profiles_ = new std::vector<v1::SourceProfile>(kProfiles);
    std::string csv = indexer::FormatCsvHeader(indexer::kCsvSeparator) + "\n";
    for (v1::SourceProfile& profile : *profiles_) {
      (*generator)->Next(&profile);
      indexer::AppendCsvRow(profile, indexer::kCsvSeparator, &csv);
      csv.push_back('\n');
    }
    std::ofstream(export_file) << csv;

    auto pseudonymizer = indexer::Pseudonymizer::FromKey(std::string(32, 'k'));
    ASSERT_TRUE(pseudonymizer.ok());
    pseudonymizer_ = new std::shared_ptr<const indexer::Pseudonymizer>(std::move(*pseudonymizer));
    const std::string index = (*directory_ / "index").string();
    {
      auto writer = indexer::IndexWriter::Open(index, *reference_);
      ASSERT_TRUE(writer.ok()) << writer.status();
      indexer::Importer importer(*reference_, *pseudonymizer_, {}, writer->get(), nullptr);
      indexer::Importer::Options import_options;
      import_options.batch_size = 1000;
      import_options.today_day = kToday;
      auto report = importer.ImportFile(export_file, import_options);
      ASSERT_TRUE(report.ok()) << report.status();
      ASSERT_EQ(report->received_rows, kProfiles);
      ASSERT_EQ(report->rejected_rows, 0)
          << report->rejections.front().field << ": " << report->rejections.front().reason;
      // Some generated registrations ended long enough ago to be past retention.
      ASSERT_GT(report->expired, 0);
      ASSERT_EQ(report->created + report->expired, kProfiles);
      // As every import job does: the details of what cards may show.
      ASSERT_TRUE((*writer)->UpdateDisclosureControl(engine::kDefaultMinimumGroupSize).ok());
    }

    const std::string store = (*directory_ / "store.db").string();
    auto token = testing::AddAccountWithToken(
        store, testing::TestEmployer("werkgever@example.nl", "Bakkerij De Korenbloem"));
    ASSERT_TRUE(token.ok()) << token.status();
    token_ = new std::string(*token);

    service::Server::Options server_options;
    server_options.listen_address = "127.0.0.1:0";
    server_options.index_path = index;
    server_options.store_path = store;
    // These tests page through whole result sets; quotas have tests of their own.
    server_options.quotas.searches_per_minute = 100'000;
    server_options.quotas.profile_views_per_day = 100'000;
    server_options.quotas.organisation_profile_views_per_day = 100'000;
    server_options.reference_data = *reference_;
    server_options.search_threads = 2;
    server_options.today = [] { return kToday; };
    auto server = service::Server::Start(std::move(server_options));
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = server->release();
    ASSERT_GT(server_->port(), 0);
  }

  static void TearDownTestSuite() {
    delete server_;
    if (directory_ != nullptr) std::filesystem::remove_all(*directory_);
    delete directory_;
    delete profiles_;
    delete pseudonymizer_;
    delete reference_;
    delete token_;
  }

  std::unique_ptr<v1::CandidateSearchService::Stub> Connect() {
    auto channel = grpc::CreateChannel("127.0.0.1:" + std::to_string(server_->port()),
                                       grpc::InsecureChannelCredentials());
    return v1::CandidateSearchService::NewStub(channel);
  }

  grpc::Status Search(const v1::SearchCandidatesRequest& request,
                      v1::SearchCandidatesResponse& response) {
    grpc::ClientContext context;
    testing::Authorize(context, *token_);
    return Connect()->SearchCandidates(&context, request, &response);
  }

  // The profile ids a tolerant search with this workplace and these hours must return, by the
  // rules of the engine applied directly to the source profiles.
  static std::set<std::string> ExpectedMatches(int workplace_pc4, int hours_min, int hours_max) {
    const engine::ReferenceData& reference = **reference_;
    const engine::PostcodeArea* workplace = reference.NearestPostcodeArea(workplace_pc4);
    std::set<std::string> expected;
    for (const v1::SourceProfile& profile : *profiles_) {
      const engine::PostcodeArea* home =
          reference.NearestPostcodeArea(engine::ParsePc4(profile.postcode()).value());
      const double distance =
          engine::DistanceKm({home->lat, home->lon}, {workplace->lat, workplace->lon});
      const double limit =
          profile.has_max_travel_km() ? profile.max_travel_km() : engine::kDefaultUnknownTravelKm;
      if (distance > limit) continue;
      if (profile.has_hours_min() && profile.has_hours_max() &&
          (profile.hours_max() < hours_min || profile.hours_min() > hours_max)) {
        continue;
      }
      if (!profile.register_end().empty()) {
        const int end_year = std::stoi(profile.register_end().substr(0, 4));
        if (DayOf(end_year + 2, 12, 31) < kToday) continue;
      }
      expected.insert((*pseudonymizer_)->ProfileId(profile.source(), profile.client_number()));
    }
    return expected;
  }

  static std::shared_ptr<const engine::ReferenceData>* reference_;
  static std::shared_ptr<const indexer::Pseudonymizer>* pseudonymizer_;
  static std::vector<v1::SourceProfile>* profiles_;
  static std::filesystem::path* directory_;
  static service::Server* server_;
  static std::string* token_;  // an employer's API token
};

std::shared_ptr<const engine::ReferenceData>* SearchSkeletonTest::reference_ = nullptr;
std::shared_ptr<const indexer::Pseudonymizer>* SearchSkeletonTest::pseudonymizer_ = nullptr;
std::vector<v1::SourceProfile>* SearchSkeletonTest::profiles_ = nullptr;
std::filesystem::path* SearchSkeletonTest::directory_ = nullptr;
service::Server* SearchSkeletonTest::server_ = nullptr;
std::string* SearchSkeletonTest::token_ = nullptr;

TEST_F(SearchSkeletonTest, FilterSearchReturnsExactlyTheReachableAvailableCandidates) {
  const std::set<std::string> expected = ExpectedMatches(3511, 16, 24);
  ASSERT_GT(expected.size(), 20u) << "test data too thin to mean anything";

  std::set<std::string> found;
  std::string page_token;
  int64_t education_facet_sum = 0;
  do {
    v1::SearchCandidatesRequest request;
    request.mutable_vacancy()->mutable_workplace()->set_postcode("3511 AB");
    request.mutable_vacancy()->mutable_hours()->set_min_hours(16);
    request.mutable_vacancy()->mutable_hours()->set_max_hours(24);
    request.set_page_size(100);
    request.set_page_token(page_token);
    request.add_facets(v1::FACET_EDUCATION_LEVEL);
    v1::SearchCandidatesResponse response;
    grpc::Status status = Search(request, response);
    ASSERT_TRUE(status.ok()) << status.error_message();
    EXPECT_EQ(response.total_size(), static_cast<int64_t>(expected.size()));
    if (page_token.empty()) {
      ASSERT_EQ(response.facets_size(), 1);
      for (const v1::FacetValue& value : response.facets(0).values()) {
        education_facet_sum += value.count();
      }
    }
    for (const v1::CandidateMatch& match : response.matches()) {
      EXPECT_TRUE(found.insert(match.profile().profile_id()).second) << "repeated across pages";
      EXPECT_NE(match.distance_band(), v1::DISTANCE_BAND_UNSPECIFIED);
    }
    page_token = response.next_page_token();
  } while (!page_token.empty());

  EXPECT_EQ(found, expected);
  EXPECT_EQ(education_facet_sum, static_cast<int64_t>(expected.size()));
}

TEST_F(SearchSkeletonTest, OccupationSearchRanksExperienceFirstAndExplainsIt) {
  // The most common ESCO occupation in the generated data is certain to be searchable.
  std::map<const engine::OccupationInfo*, int> occupation_counts;
  for (const v1::SourceProfile& profile : *profiles_) {
    for (const v1::SourceWorkExperience& experience : profile.work_experience()) {
      if (const auto* info = (*reference_)->FindOccupation(experience.occupation())) {
        ++occupation_counts[info];
      }
    }
  }
  ASSERT_FALSE(occupation_counts.empty());
  const engine::OccupationInfo* occupation =
      std::max_element(occupation_counts.begin(), occupation_counts.end(),
                       [](const auto& a, const auto& b) { return a.second < b.second; })
          ->first;

  v1::SearchCandidatesRequest request;
  request.mutable_vacancy()->add_occupations(occupation->esco_code);
  request.set_page_size(10);
  v1::SearchCandidatesResponse response;
  grpc::Status status = Search(request, response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_GT(response.matches_size(), 0);
  for (const v1::CandidateMatch& match : response.matches()) {
    // ESCO shares some codes between two occupations; a code match is a match on either.
    bool has_occupation = false;
    for (const v1::WorkExperience& experience : match.profile().work_experience()) {
      has_occupation |= experience.occupation().esco_code() == occupation->esco_code;
    }
    if (!has_occupation) break;  // related (same ISCO group) matches follow the exact ones
    ASSERT_GT(match.reasons_size(), 0);
    EXPECT_EQ(match.reasons(0).code(), v1::REASON_CODE_OCCUPATION_EXPERIENCE);
    EXPECT_NE(match.reasons(0).text().find(" ervaring als "), std::string::npos)
        << match.reasons(0).text();
  }
  bool best_has_occupation = false;
  for (const v1::WorkExperience& experience : response.matches(0).profile().work_experience()) {
    best_has_occupation |= experience.occupation().esco_code() == occupation->esco_code;
  }
  EXPECT_TRUE(best_has_occupation);
}

TEST_F(SearchSkeletonTest, ResultsCarryNoPersonalData) {
  v1::SearchCandidatesRequest request;
  request.set_page_size(100);
  v1::SearchCandidatesResponse response;
  ASSERT_TRUE(Search(request, response).ok());
  ASSERT_EQ(response.matches_size(), 100);
  const std::string bytes = response.SerializeAsString();
  int checked = 0;
  for (const v1::SourceProfile& profile : *profiles_) {
    for (const std::string* value : {&profile.bsn(), &profile.phone(), &profile.email(),
                                     &profile.client_number(), &profile.birth_date()}) {
      if (value->size() < 6) continue;
      EXPECT_EQ(bytes.find(*value), std::string::npos) << "personal value leaked";
      ++checked;
    }
  }
  EXPECT_GT(checked, kProfiles);
}

TEST_F(SearchSkeletonTest, BadPostcodeIsInvalidArgumentNamingTheField) {
  v1::SearchCandidatesRequest request;
  request.mutable_vacancy()->mutable_workplace()->set_postcode("99999");
  v1::SearchCandidatesResponse response;
  grpc::Status status = Search(request, response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(status.error_message().find("vacancy.workplace.postcode"), std::string::npos);
}

TEST_F(SearchSkeletonTest, FacetFiltersNarrowToTheCountedValue) {
  v1::SearchCandidatesRequest request;
  request.mutable_vacancy()->mutable_workplace()->set_postcode("3511");
  request.add_facets(v1::FACET_EDUCATION_LEVEL);
  v1::SearchCandidatesResponse all;
  ASSERT_TRUE(Search(request, all).ok());
  ASSERT_EQ(all.facets_size(), 1);
  ASSERT_GT(all.facets(0).values_size(), 1);
  const v1::FacetValue& chosen = all.facets(0).values(0);

  v1::FacetFilter* filter = request.add_facet_filters();
  filter->set_facet(v1::FACET_EDUCATION_LEVEL);
  filter->add_values(chosen.value());
  v1::SearchCandidatesResponse narrowed;
  ASSERT_TRUE(Search(request, narrowed).ok());
  EXPECT_EQ(narrowed.total_size(), chosen.count());
  ASSERT_EQ(narrowed.facets_size(), 1);
  ASSERT_EQ(narrowed.facets(0).values_size(), 1);
  EXPECT_EQ(narrowed.facets(0).values(0).value(), chosen.value());

  filter->set_facet(v1::FACET_UNSPECIFIED);
  grpc::Status status = Search(request, narrowed);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(status.error_message().find("facet_filters"), std::string::npos);
}

TEST_F(SearchSkeletonTest, ATypoIsSearchedAsTheOccupationMeantAndSaysSo) {
  v1::SearchCandidatesRequest request;
  request.mutable_vacancy()->set_text("schoonmakre");
  request.mutable_vacancy()->mutable_workplace()->set_postcode("3511");
  v1::SearchCandidatesResponse response;
  ASSERT_TRUE(Search(request, response).ok());
  EXPECT_TRUE(response.spelling_applied());
  EXPECT_EQ(response.spelling_suggestion(), "schoonmaker");
  EXPECT_FALSE(response.text_ignored());
  v1::SearchCandidatesRequest corrected = request;
  corrected.mutable_vacancy()->set_text("schoonmaker");
  v1::SearchCandidatesResponse meant;
  ASSERT_TRUE(Search(corrected, meant).ok());
  EXPECT_FALSE(meant.spelling_applied());
  EXPECT_GT(meant.total_size(), 0);
  EXPECT_EQ(response.total_size(), meant.total_size());
  ASSERT_GT(response.matches_size(), 0);
  EXPECT_EQ(response.matches(0).profile().profile_id(), meant.matches(0).profile().profile_id());
}

TEST_F(SearchSkeletonTest, AnUnknownWordIsLeftOutWithTheNearestOccupations) {
  v1::SearchCandidatesRequest request;
  // A Dutch word (so no typo to correct) that no profile holds, a letter from "kapper".
  request.mutable_vacancy()->set_text("kappen");
  request.mutable_vacancy()->mutable_workplace()->set_postcode("3511");
  v1::SearchCandidatesResponse response;
  ASSERT_TRUE(Search(request, response).ok());
  EXPECT_FALSE(response.spelling_applied());
  // Nothing in the text is known: the candidates who meet the other criteria, not none.
  EXPECT_TRUE(response.text_ignored());
  ASSERT_EQ(response.unknown_words_size(), 1);
  EXPECT_EQ(response.unknown_words(0), "kappen");
  ASSERT_GT(response.suggested_occupations_size(), 0);
  EXPECT_LE(response.suggested_occupations_size(), 5);
  bool kapper = false;
  for (const v1::Occupation& occupation : response.suggested_occupations()) {
    EXPECT_FALSE(occupation.esco_code().empty());
    EXPECT_EQ(occupation.isco_code().size(), 4u) << occupation.esco_code();
    EXPECT_FALSE(occupation.label().empty()) << occupation.esco_code();
    kapper = kapper || occupation.label() == "kapper";
  }
  EXPECT_TRUE(kapper) << response.suggested_occupations(0).label();
  v1::SearchCandidatesRequest without_text = request;
  without_text.mutable_vacancy()->clear_text();
  v1::SearchCandidatesResponse plain;
  ASSERT_TRUE(Search(without_text, plain).ok());
  EXPECT_GT(plain.total_size(), 0);
  EXPECT_EQ(response.total_size(), plain.total_size());
  EXPECT_FALSE(plain.text_ignored());
  EXPECT_EQ(plain.suggested_occupations_size(), 0);
}

TEST_F(SearchSkeletonTest, GetProfileReturnsTheSearchedProfile) {
  v1::SearchCandidatesRequest request;
  request.set_page_size(1);
  v1::SearchCandidatesResponse response;
  ASSERT_TRUE(Search(request, response).ok());
  ASSERT_EQ(response.matches_size(), 1);

  v1::GetProfileRequest get;
  get.set_profile_id(response.matches(0).profile().profile_id());
  v1::GetProfileResponse profile;
  grpc::ClientContext context;
  testing::Authorize(context, *token_);
  ASSERT_TRUE(Connect()->GetProfile(&context, get, &profile).ok());
  // The search result is the card of the profile: the same, without the details.
  v1::AnonymousProfile card = profile.profile();
  card.clear_diplomas();
  card.clear_skills();
  card.clear_support_needs();
  card.clear_languages();
  card.clear_wishes();
  EXPECT_EQ(card.SerializeAsString(), response.matches(0).profile().SerializeAsString());

  get.set_profile_id("000000000000000000000000");
  grpc::ClientContext missing_context;
  testing::Authorize(missing_context, *token_);
  EXPECT_EQ(Connect()->GetProfile(&missing_context, get, &profile).error_code(),
            grpc::StatusCode::NOT_FOUND);
}

// Issue 15, points 5 and 6: a card says which distance was assumed for an unknown travel limit,
// and until when the candidate is registered, where the source gave an end date.
TEST_F(SearchSkeletonTest, CardsStateTheAssumedTravelDistanceAndTheRegistrationEnd) {
  std::map<std::string, const v1::SourceProfile*> source_of;
  for (const v1::SourceProfile& profile : *profiles_) {
    source_of[(*pseudonymizer_)->ProfileId(profile.source(), profile.client_number())] = &profile;
  }
  v1::SearchCandidatesRequest request;
  request.mutable_vacancy()->mutable_workplace()->set_postcode("3511");
  request.set_page_size(100);
  std::vector<v1::CandidateMatch> matches;
  do {  // every page: a profile with an unknown limit ranks below the others
    v1::SearchCandidatesResponse response;
    ASSERT_TRUE(Search(request, response).ok());
    matches.insert(matches.end(), response.matches().begin(), response.matches().end());
    request.set_page_token(response.next_page_token());
  } while (!request.page_token().empty());
  int unknown = 0, ended = 0;
  for (const v1::CandidateMatch& match : matches) {
    const v1::SourceProfile& source = *source_of.at(match.profile().profile_id());
    std::string distance_reason;
    for (const v1::MatchReason& reason : match.reasons()) {
      if (reason.code() == v1::REASON_CODE_DISTANCE) distance_reason = reason.text();
    }
    if (source.has_max_travel_km()) {
      EXPECT_EQ(match.profile().assumed_travel_km(), 0);
      EXPECT_FALSE(absl::StrContains(distance_reason, "onbekend")) << distance_reason;
    } else {
      ++unknown;
      EXPECT_EQ(match.profile().assumed_travel_km(), 15);
      EXPECT_TRUE(
          absl::StrContains(distance_reason, "; reisafstand onbekend: gezocht binnen 15 km"))
          << distance_reason;
    }
    ASSERT_EQ(match.profile().has_registered_until(), !source.register_end().empty());
    if (!source.register_end().empty()) {
      ++ended;
      EXPECT_EQ(absl::StrFormat("%04d-%02d", match.profile().registered_until().year(),
                                match.profile().registered_until().month()),
                source.register_end().substr(0, 7));
      EXPECT_EQ(match.profile().registered_until().day(), 0);
    }
  }
  EXPECT_GT(unknown, 0) << "the generator leaves some travel limits unknown";
  EXPECT_GT(ended, 0) << "and gives some registrations an end";
}

// Issue 15, point 7: what a card shows of area and education is shown so for at least k of the
// served profiles: municipality or arbeidsmarktregio, and the level, its CBS band, or nothing.
TEST_F(SearchSkeletonTest, EveryCardShowsAreaAndEducationSharedByAtLeastKProfiles) {
  std::map<std::string, int> shown;  // area|education as a card shows them -> cards
  std::map<std::string, int> kinds;
  for (const v1::SourceProfile& source : *profiles_) {
    v1::GetProfileRequest get;
    get.set_profile_id((*pseudonymizer_)->ProfileId(source.source(), source.client_number()));
    v1::GetProfileResponse response;
    grpc::ClientContext context;
    testing::Authorize(context, *token_);
    const grpc::Status status = Connect()->GetProfile(&context, get, &response);
    if (status.error_code() == grpc::StatusCode::NOT_FOUND) continue;  // past retention
    ASSERT_TRUE(status.ok()) << status.error_message();
    const v1::AnonymousProfile& card = response.profile();
    const v1::EducationLevel& education = card.education();
    std::string shown_education;
    if (education.withheld()) {
      EXPECT_TRUE(education.code().empty() && education.label().empty() &&
                  education.band().empty());
      EXPECT_FALSE(card.completeness().education_known()) << "withheld, whether known or not";
      shown_education = "withheld";
    } else if (education.code().empty() && !education.band().empty()) {
      EXPECT_EQ(education.ordinal(), 0);
      EXPECT_TRUE(absl::EndsWith(education.label(), " onderwijsniveau")) << education.label();
      shown_education = "band:" + education.band();
    } else {
      shown_education = education.code().empty() ? "?" : education.code();
    }
    ++kinds[card.area().level() == v1::AREA_LEVEL_MUNICIPALITY ? "municipality" : "region"];
    ++kinds[shown_education.substr(0, shown_education.find(':'))];
    ++shown[card.area().code() + "|" + shown_education];
  }
  ASSERT_FALSE(shown.empty());
  for (const auto& [combination, cards] : shown) {
    EXPECT_GE(cards, engine::kDefaultMinimumGroupSize) << combination;
  }
  // Every way of showing occurs in 3,000 generated profiles.
  EXPECT_GT(kinds["municipality"], 0);
  EXPECT_GT(kinds["region"], 0);
  EXPECT_GT(kinds["band"], 0);
  EXPECT_GT(kinds["withheld"], 0);
}

}  // namespace
}  // namespace verkenner
