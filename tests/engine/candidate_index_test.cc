// CandidateIndex: matching and ranking on small hand-made indexes, where the right answer is
// obvious (unknown is not "no", synonyms, related occupations, filters, ordering), searched
// through the Searcher as in production; each hard limit with a case just inside and just
// outside it; and the image itself, loaded and matched directly.
#include "engine/candidate_index.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <numbers>

#include "engine/geo.h"
#include "tests/engine/test_index.h"

namespace verkenner::engine {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::Not;

class MatchTest : public fixtures::SearchFixture {};

TEST_F(MatchTest, UnknownIsNotNoInTolerantModeAndExcludedInStrictMode) {
  CandidateRecord known = Profile("known");
  CandidateRecord unknown_education = Profile("unknown-education");
  unknown_education.education_code.clear();
  unknown_education.education_ordinal.reset();
  CandidateRecord unknown_hours = Profile("unknown-hours");
  unknown_hours.hours_min.reset();
  unknown_hours.hours_max.reset();
  CandidateRecord too_low = Profile("too-low");
  too_low.education_code = "vmbo_bb";
  too_low.education_ordinal = reference_->FindEducationLevel("vmbo_bb")->ordinal;
  Commit({known, unknown_education, unknown_hours, too_low});

  SearchQuery query = Vacancy("orderpicker");
  query.hours_min = 16;
  query.hours_max = 24;
  query.min_education_code = "mbo2";
  query.education = Requirement::kPreferred;
  SearchResult tolerant = Search(query);
  ASSERT_EQ(tolerant.total, 4);
  EXPECT_EQ(tolerant.matches[0].profile_id, "known");
  std::map<std::string, const CandidateMatch*> by_id;
  for (const auto& match : tolerant.matches) by_id[match.profile_id] = &match;
  // Each unknown ranks below the known match, and says what is unknown.
  for (const char* id : {"unknown-education", "unknown-hours"}) {
    ASSERT_TRUE(by_id.contains(id)) << id;
    EXPECT_LT(by_id[id]->score, by_id["known"]->score) << id;
    EXPECT_NE(Reason(*by_id[id], ReasonCode::kUnknownField), nullptr) << id;
  }
  // A known level below the preferred one ranks below an unknown level.
  EXPECT_LT(by_id["too-low"]->score, by_id["unknown-education"]->score);

  query.unknown_fields = UnknownFieldPolicy::kStrict;
  EXPECT_THAT(Ids(Search(query)), ElementsAre("known", "too-low"));
  query.education = Requirement::kRequired;
  EXPECT_THAT(Ids(Search(query)), ElementsAre("known"));
}

// A required education level in tolerant mode: a known level below it excludes the profile, an
// unknown level does not (unknown is not "no"), and a level at or above it is a match.
TEST_F(MatchTest, RequiredEducationInTolerantModeKeepsUnknownAndExcludesTooLow) {
  CandidateRecord known = Profile("known");  // mbo2, the required level itself
  CandidateRecord unknown_education = Profile("unknown-education");
  unknown_education.education_code.clear();
  unknown_education.education_ordinal.reset();
  CandidateRecord too_low = Profile("too-low");
  too_low.education_code = "vmbo_bb";
  too_low.education_ordinal = reference_->FindEducationLevel("vmbo_bb")->ordinal;
  Commit({known, unknown_education, too_low});

  SearchQuery query = Vacancy("orderpicker");
  query.min_education_code = "mbo2";
  query.education = Requirement::kRequired;
  query.unknown_fields = UnknownFieldPolicy::kTolerant;
  SearchResult result = Search(query);
  EXPECT_THAT(Ids(result), ElementsAre("known", "unknown-education"));
  ASSERT_EQ(result.matches.size(), 2u);
  EXPECT_NE(Reason(result.matches[1], ReasonCode::kUnknownField), nullptr);
}

TEST_F(MatchTest, AlternativeLabelsAreSynonymsAndTheUnitGroupIsAWeakerMatch) {
  CandidateRecord exact = Profile("exact");  // orderpicker, 9333.8.1
  CandidateRecord related = Profile("related");
  related.experience = {{"9333.3", "9333", "pakhuismedewerker", "", 36, 2025}};
  CandidateRecord other = Profile("other");
  other.experience = {{"5223.1", "5223", "winkelmedewerker", "", 36, 2025}};
  Commit({exact, related, other});

  // "orderverzamelaar" is an alternative label of orderpicker; no profile has the word itself.
  SearchResult result = Search(Vacancy("orderverzamelaar"));
  ASSERT_THAT(Ids(result), ElementsAre("exact", "related"));
  const MatchReason* experience = Reason(result.matches[0], ReasonCode::kOccupationExperience);
  ASSERT_NE(experience, nullptr);
  EXPECT_EQ(experience->text, "3 jaar ervaring als orderpicker");
  EXPECT_NE(Reason(result.matches[1], ReasonCode::kRelatedOccupation), nullptr);
  EXPECT_GT(result.matches[0].score, result.matches[1].score);
}

TEST_F(MatchTest, DaysAndStartDateRankTheCandidatesWhoFitTheRosterFirst) {
  CandidateRecord weekdays = Profile("weekdays");
  weekdays.days = 0b0000011;  // Monday, Tuesday
  CandidateRecord weekend = Profile("weekend");
  weekend.days = 0b1100000;  // Saturday, Sunday
  CandidateRecord later = Profile("later");
  later.days = 0b0000011;
  later.available_from_day = kToday + 60;
  Commit({weekdays, weekend, later});
  SearchQuery query = Vacancy("orderpicker");
  query.days = 0b0000011;
  query.start_day = kToday + 7;
  SearchResult result = Search(query);
  ASSERT_THAT(Ids(result), ElementsAre("weekdays", "later", "weekend"));
  const MatchReason* availability = Reason(result.matches[1], ReasonCode::kAvailability);
  ASSERT_NE(availability, nullptr);
  EXPECT_EQ(availability->text,
            "beschikbaar 16-24 uur per week (0,94 baan) op ma, di vanaf 31 december 2026");
}

TEST_F(MatchTest, SectorsMatchExperienceInTheSectorOrTheAffinity) {
  CandidateRecord logistics = Profile("logistics");  // sector logistiek, affinity techniek
  logistics.affinities.clear();
  CandidateRecord care = Profile("care");
  care.experience[0].sector = "zorg";
  care.affinities.clear();
  Commit({logistics, care});
  SearchQuery query = Vacancy("orderpicker");
  query.sectors = {"Logistiek"};
  SearchResult result = Search(query);
  ASSERT_THAT(Ids(result), ElementsAre("logistics", "care"));
  const MatchReason* reason = Reason(result.matches[0], ReasonCode::kAffinity);
  ASSERT_NE(reason, nullptr);
  EXPECT_EQ(reason->text, "ervaring in de sector Logistiek");
  EXPECT_EQ(Reason(result.matches[1], ReasonCode::kAffinity), nullptr);
}

TEST_F(MatchTest, HardConstraintsTravelHoursLicenceAndRetention) {
  CandidateRecord far = Profile("far");
  far.max_travel_km = 5;
  far.home = {52.0, 5.1};  // 10 km away, beyond their own 5 km
  CandidateRecord no_overlap = Profile("no-overlap");
  no_overlap.hours_min = 32;
  no_overlap.hours_max = 40;
  CandidateRecord no_licence = Profile("no-licence");
  no_licence.driving_licence = false;
  CandidateRecord expired = Profile("expired");
  expired.retain_until_day = kToday - 1;
  Commit({Profile("fits"), far, no_overlap, no_licence, expired});
  SearchQuery query = Vacancy("orderpicker");
  query.hours_min = 16;
  query.hours_max = 24;
  query.driving_licence = Requirement::kRequired;
  EXPECT_THAT(Ids(Search(query)), ElementsAre("fits"));
}

TEST_F(MatchTest, ScoresAndReasonsDoNotMoveWithinADistanceBand) {
  Commit({Profile("p")});
  // Two workplaces about 1 and 4 km north of the candidate: both in the 0-5 km band.
  SearchQuery near = Vacancy("orderpicker");
  near.workplace = GeoPoint{kUtrecht.lat + 0.009, kUtrecht.lon};
  SearchQuery farther = near;
  farther.workplace = GeoPoint{kUtrecht.lat + 0.036, kUtrecht.lon};
  SearchResult a = Search(near);
  SearchResult b = Search(farther);
  ASSERT_EQ(a.matches.size(), 1u);
  ASSERT_EQ(b.matches.size(), 1u);
  EXPECT_EQ(a.matches[0].score, b.matches[0].score);
  ASSERT_EQ(a.matches[0].reasons.size(), b.matches[0].reasons.size());
  for (size_t i = 0; i < a.matches[0].reasons.size(); ++i) {
    EXPECT_EQ(a.matches[0].reasons[i].text, b.matches[0].reasons[i].text);
    EXPECT_EQ(a.matches[0].reasons[i].share, b.matches[0].reasons[i].share);
  }
}

TEST_F(MatchTest, IdenticalQueriesGiveIdenticalOrderings) {
  Commit(Profiles("p", 30));  // all equal: only the tie-break orders them
  SearchQuery query = Vacancy("orderpicker");
  query.page_size = 30;
  const std::vector<std::string> first = Ids(Search(query));
  ASSERT_EQ(first.size(), 30u);
  EXPECT_EQ(Ids(Search(query)), first);
}

TEST_F(MatchTest, FacetFiltersNarrowAndFacetCountsAddUp) {
  CandidateRecord zeist = Profile("zeist");
  zeist.municipality_code = "GM0355";
  zeist.region_code = reference_->FindMunicipality("GM0355")->region_code;
  CandidateRecord hbo = Profile("hbo");
  hbo.education_code = "hbo_bachelor";
  hbo.education_ordinal = reference_->FindEducationLevel("hbo_bachelor")->ordinal;
  Commit({Profile("a"), Profile("b"), zeist, hbo});
  SearchQuery query = Vacancy("");
  query.facets = {FacetKind::kEducationLevel, FacetKind::kHoursBand};
  SearchResult all = Search(query);
  ASSERT_EQ(all.total, 4);
  for (const auto& [facet, values] : all.facets) {
    int64_t sum = 0;
    for (const auto& value : values) sum += value.count;
    EXPECT_EQ(sum, all.total);
  }
  query.facet_filters = {{FacetKind::kEducationLevel, {"hbo_bachelor"}}};
  EXPECT_THAT(Ids(Search(query)), ElementsAre("hbo"));
  query.facet_filters = {{FacetKind::kEducationLevel, {"mbo2", "hbo_bachelor"}},
                         {FacetKind::kHoursBand, {"20-26"}}};
  EXPECT_EQ(Search(query).total, 4);
  query.facet_filters = {{FacetKind::kHoursBand, {"32-40"}}};
  EXPECT_EQ(Search(query).total, 0);
}

// Issue 15, point 8: every band includes its lower end and excludes its upper end, as the proto
// says; experience included its upper end (12 months was "1-12", 120 was not "120+").
TEST_F(MatchTest, EveryBandIncludesItsLowerEndAndExcludesItsUpperEnd) {
  std::vector<CandidateRecord> records;
  for (int months : {1, 11, 12, 35, 36, 119, 120}) {
    CandidateRecord record = Profile("months-" + std::to_string(months));
    record.experience = {{"9112.2", "9112", "schoonmaker gebouwen", "", months, 2026}};
    records.push_back(std::move(record));
  }
  for (int hours : {11, 12, 19, 20}) {
    CandidateRecord record = Profile("hours-" + std::to_string(hours));
    record.hours_min = 4;
    record.hours_max = hours;
    records.push_back(std::move(record));
  }
  Commit(records);
  auto in_band = [&](FacetKind facet, const std::string& band, const std::string& prefix) {
    SearchQuery query = Vacancy("");
    query.hours_min = 4;
    query.hours_max = 40;
    query.facet_filters = {{facet, {band}}};
    std::vector<std::string> ids;
    for (const std::string& id : Ids(Search(query))) {
      if (id.starts_with(prefix)) ids.push_back(id);
    }
    std::sort(ids.begin(), ids.end());
    return ids;
  };
  EXPECT_THAT(in_band(FacetKind::kExperienceBand, "1-12", "months-"),
              ElementsAre("months-1", "months-11"));
  EXPECT_THAT(in_band(FacetKind::kExperienceBand, "12-36", "months-"),
              ElementsAre("months-12", "months-35"));
  EXPECT_THAT(in_band(FacetKind::kExperienceBand, "36-120", "months-"),
              ElementsAre("months-119", "months-36"));
  EXPECT_THAT(in_band(FacetKind::kExperienceBand, "120+", "months-"), ElementsAre("months-120"));
  EXPECT_THAT(in_band(FacetKind::kHoursBand, "0-12", "hours-"), ElementsAre("hours-11"));
  EXPECT_THAT(in_band(FacetKind::kHoursBand, "12-20", "hours-"),
              ElementsAre("hours-12", "hours-19"));
}

// ---- Limits, each with a case just inside and just outside (a few hundred metres, one hour,
// one day), so that a margin bug smaller than the gap of the older tests is caught.

// The point `km` kilometres due east of `from`, checked against geo.h's distance.
GeoPoint East(const GeoPoint& from, double km) {
  const GeoPoint point{from.lat, from.lon + km / (kKmPerDegreeLatitude *
                                                  std::cos(from.lat * std::numbers::pi / 180))};
  EXPECT_NEAR(DistanceKm(from, point), std::abs(km), 0.02);
  return point;
}

TEST_F(MatchTest, TravelLimitHoldsToAFewHundredMetresInEveryDirection) {
  // Every profile travels 20 km, so the search box reaches exactly 20 km: a box even a few
  // hundred metres too small loses the profiles just inside. The box is cut into 0.1 degree
  // latitude strips, so the northern and southern workplaces are placed for the profile just
  // inside to lie just across a strip edge (52.3 and 52.0 degrees).
  struct Direction {
    std::string name;
    GeoPoint workplace;
    GeoPoint inside;
    GeoPoint outside;
  };
  const GeoPoint north_workplace = North({52.3, kUtrecht.lon}, -19.6);
  const GeoPoint south_workplace = North({52.0, kUtrecht.lon}, 19.6);
  const std::vector<Direction> directions = {
      {"north", north_workplace, North(north_workplace, 19.7), North(north_workplace, 20.3)},
      {"south", south_workplace, North(south_workplace, -19.7), North(south_workplace, -20.3)},
      {"east", kUtrecht, East(kUtrecht, 19.7), East(kUtrecht, 20.3)},
      {"west", kUtrecht, East(kUtrecht, -19.7), East(kUtrecht, -20.3)},
  };
  std::vector<CandidateRecord> records;
  for (const Direction& direction : directions) {
    for (const auto& [suffix, home] :
         {std::pair{"-inside", direction.inside}, std::pair{"-outside", direction.outside}}) {
      CandidateRecord record = Profile(direction.name + suffix);
      record.home = home;
      ASSERT_EQ(*record.max_travel_km, 20);
      records.push_back(record);
    }
  }
  Commit(records);
  for (const Direction& direction : directions) {
    // With text, the search walks posting lists; without, it scans the box's rows itself.
    for (const std::string text : {"orderpicker", ""}) {
      SearchQuery query = Vacancy(text);
      query.workplace = direction.workplace;
      query.page_size = 10;
      const std::vector<std::string> ids = Ids(Search(query));
      EXPECT_THAT(ids, Contains(direction.name + "-inside")) << "text '" << text << "'";
      EXPECT_THAT(ids, Not(Contains(direction.name + "-outside"))) << "text '" << text << "'";
    }
  }
}

TEST_F(MatchTest, AnUnknownTravelLimitCountsAsFifteenKilometresInTolerantModeOnly) {
  CandidateRecord inside = Profile("inside");
  inside.max_travel_km.reset();
  inside.home = North(kUtrecht, 14.7);
  CandidateRecord outside = Profile("outside");
  outside.max_travel_km.reset();
  outside.home = North(kUtrecht, 15.3);
  Commit({inside, outside});
  SearchQuery query = Vacancy("orderpicker");
  EXPECT_THAT(Ids(Search(query)), ElementsAre("inside"));
  query.unknown_fields = UnknownFieldPolicy::kStrict;
  EXPECT_THAT(Ids(Search(query)), IsEmpty());
}

// How far an unknown travel limit reaches is a setting, and a match found by it says so.
TEST_F(MatchTest, TheReachAssumedForAnUnknownTravelLimitIsASettingThatMatchesState) {
  CandidateRecord known = Profile("known");  // travels 20 km, lives at the workplace
  CandidateRecord near = Profile("near");
  near.max_travel_km.reset();
  near.home = North(kUtrecht, 12);
  CandidateRecord far = Profile("far");
  far.max_travel_km.reset();
  far.home = North(kUtrecht, 25);  // beyond every known limit, so the search box must widen
  Commit({known, near, far});
  SearchQuery query = Vacancy("orderpicker");
  query.sort = SortOrder::kDistance;

  SearchResult result = Search(query);
  ASSERT_THAT(Ids(result), ElementsAre("known", "near"));
  EXPECT_EQ(result.matches[0].assumed_travel_km, 0);
  EXPECT_EQ(Reason(result.matches[0], ReasonCode::kDistance)->text, "woont op 0-5 km");
  EXPECT_EQ(result.matches[1].assumed_travel_km, kDefaultUnknownTravelKm);
  EXPECT_EQ(Reason(result.matches[1], ReasonCode::kDistance)->text,
            "woont op 10-20 km; reisafstand onbekend: gezocht binnen 15 km");

  searcher_->set_unknown_travel_km(30);
  result = Search(query);
  ASSERT_THAT(Ids(result), ElementsAre("known", "near", "far"));
  EXPECT_EQ(Reason(result.matches[2], ReasonCode::kDistance)->text,
            "woont op 20-30 km; reisafstand onbekend: gezocht binnen 30 km");
  absl::StatusOr<CandidateMatch> shown = searcher_->GetProfile("far", kToday);
  ASSERT_TRUE(shown.ok()) << shown.status();
  EXPECT_EQ(shown->assumed_travel_km, 30);
  EXPECT_EQ(searcher_->GetProfile("known", kToday)->assumed_travel_km, 0);
}

// A hidden profile (AVG art. 21) is registered but never served: not in results, totals, facet
// counts or GetProfile; only the organisations acting for the candidate still find it.
TEST_F(MatchTest, HiddenProfilesAreNeverServedToEmployers) {
  CandidateRecord by_source = Profile("by-source");
  by_source.hidden_at_source = true;
  Commit({Profile("shown"), Profile("by-organisation"), by_source});
  auto annotations = std::make_shared<ProfileAnnotations>();
  Search(Vacancy("orderpicker"));  // opens searcher_
  searcher_->set_profile_annotations([&] { return annotations; });
  SearchQuery query = Vacancy("orderpicker");
  query.facets = {FacetKind::kRegion};
  EXPECT_THAT(Ids(Search(query)), ElementsAre("shown", "by-organisation"));

  annotations = std::make_shared<ProfileAnnotations>();
  annotations->hidden = {"by-organisation"};
  SearchResult result = Search(query);
  EXPECT_THAT(Ids(result), ElementsAre("shown"));
  EXPECT_EQ(result.total, 1);
  ASSERT_EQ(result.facets[FacetKind::kRegion].size(), 1u);
  EXPECT_EQ(result.facets[FacetKind::kRegion][0].count, 1);
  for (const char* id : {"by-organisation", "by-source"}) {
    EXPECT_TRUE(absl::IsNotFound(searcher_->GetProfile(id, kToday).status())) << id;
    EXPECT_TRUE(searcher_->GetProfile(id, kToday, Searcher::Visibility::kHiddenToo).ok()) << id;
  }
  EXPECT_TRUE(searcher_->GetProfile("by-source", kToday, Searcher::Visibility::kHiddenToo)
                  ->record.hidden_at_source);

  annotations = std::make_shared<ProfileAnnotations>();  // shown again
  EXPECT_THAT(Ids(Search(query)), ElementsAre("shown", "by-organisation"));
}

// Issue 15, point 3: ranking prefers a recent confirmation of the availability, by the import or
// by a WSP, and a match whose availability was not confirmed within the period says so.
TEST_F(MatchTest, ARecentlyConfirmedAvailabilityRanksFirstAndAnOldOneIsMarked) {
  CandidateRecord never = Profile("never");
  never.updated_day = kToday - 400;
  CandidateRecord by_import = never;
  by_import.profile_id = "by-import";
  by_import.availability_confirmed_day = kToday - 10;
  CandidateRecord long_ago = never;
  long_ago.profile_id = "long-ago";
  long_ago.availability_confirmed_day = kToday - 380;
  Commit({never, by_import, long_ago});
  auto freshness = [](const CandidateMatch& match) {
    const MatchReason* reason = Reason(match, ReasonCode::kFreshness);
    return reason != nullptr ? reason->text : "";
  };

  SearchResult result = Search(Vacancy("orderpicker"));
  ASSERT_THAT(Ids(result), ElementsAre("by-import", "long-ago", "never"));
  EXPECT_FALSE(result.matches[0].availability_unconfirmed);
  EXPECT_TRUE(result.matches[1].availability_unconfirmed) << "380 days is over 12 months";
  EXPECT_TRUE(result.matches[2].availability_unconfirmed) << "never confirmed";
  EXPECT_EQ(freshness(result.matches[0]), "beschikbaarheid deze maand bevestigd");
  EXPECT_EQ(freshness(result.matches[1]), "beschikbaarheid 12 maanden geleden bevestigd");
  EXPECT_EQ(freshness(result.matches[2]), "13 maanden geleden bijgewerkt");

  // A WSP confirms today: it counts as the import's confirmation does.
  auto annotations = std::make_shared<ProfileAnnotations>();
  annotations->availability_confirmed_day["long-ago"] = kToday;
  searcher_->set_profile_annotations([&] { return annotations; });
  result = Search(Vacancy("orderpicker"));
  ASSERT_THAT(Ids(result), ElementsAre("long-ago", "by-import", "never"));
  EXPECT_FALSE(result.matches[0].availability_unconfirmed);
  EXPECT_EQ(result.matches[0].record.availability_confirmed_day, kToday);
  EXPECT_EQ(searcher_->GetProfile("long-ago", kToday)->record.availability_confirmed_day, kToday);

  // The period is a setting.
  searcher_->set_availability_confirmation_months(13);
  annotations = std::make_shared<ProfileAnnotations>();
  EXPECT_FALSE(searcher_->GetProfile("long-ago", kToday)->availability_unconfirmed);
}

// Issue 15, point 4: the worklist at the source lists its active profiles that miss a core field
// or a recent confirmation of the availability; a WSP's confirmation counts.
TEST_F(MatchTest, TheWorklistHoldsTheSourcesProfilesToCompleteOrConfirm) {
  CandidateRecord done = Profile("done");
  done.availability_confirmed_day = kToday - 30;
  CandidateRecord no_education = done;
  no_education.profile_id = "no-education";
  no_education.education_code.clear();
  no_education.education_ordinal.reset();
  CandidateRecord unconfirmed = done;
  unconfirmed.profile_id = "unconfirmed";
  unconfirmed.availability_confirmed_day.reset();
  CandidateRecord by_wsp = unconfirmed;
  by_wsp.profile_id = "by-wsp";
  CandidateRecord elsewhere = no_education;
  elsewhere.profile_id = "elsewhere";
  elsewhere.source = "UWV";
  CandidateRecord expired = no_education;
  expired.profile_id = "expired";
  expired.retain_until_day = kToday - 1;
  Commit({done, no_education, unconfirmed, by_wsp, elsewhere, expired});
  Search(Vacancy("orderpicker"));  // opens searcher_
  auto annotations = std::make_shared<ProfileAnnotations>();
  annotations->availability_confirmed_day["by-wsp"] = kToday;
  searcher_->set_profile_annotations([&] { return annotations; });

  absl::StatusOr<SourceWorklist> worklist = searcher_->WorklistOfSource(done.source, kToday);
  ASSERT_TRUE(worklist.ok()) << worklist.status();
  EXPECT_EQ(worklist->active_profiles, 4);
  std::vector<std::string> ids;
  for (const CandidateMatch& match : worklist->profiles) ids.push_back(match.profile_id);
  std::sort(ids.begin(), ids.end());
  EXPECT_THAT(ids, ElementsAre("no-education", "unconfirmed"));
  for (const CandidateMatch& match : worklist->profiles) {
    EXPECT_EQ(match.availability_unconfirmed, match.profile_id == "unconfirmed");
    EXPECT_EQ(match.record.education_known(), match.profile_id != "no-education");
  }
}

TEST_F(MatchTest, HoursOverlapFromTheFirstSharedHour) {
  Commit({Profile("p")});  // 16-24 hours
  auto admitted = [&](int offered_min, int offered_max) {
    SearchQuery query = Vacancy("orderpicker");
    query.hours_min = offered_min;
    query.hours_max = offered_max;
    return Search(query).total == 1;
  };
  EXPECT_TRUE(admitted(24, 32)) << "shares hour 24";
  EXPECT_FALSE(admitted(25, 32));
  EXPECT_TRUE(admitted(8, 16)) << "shares hour 16";
  EXPECT_FALSE(admitted(8, 15));
}

TEST_F(MatchTest, AProfileIsServedUntilItsLastRetainedDay) {
  CandidateRecord last_day = Profile("last-day");
  last_day.retain_until_day = kToday;
  CandidateRecord expired = Profile("expired");
  expired.retain_until_day = kToday - 1;
  Commit({last_day, expired});
  EXPECT_THAT(Ids(Search(Vacancy("orderpicker"))), ElementsAre("last-day"));
}

TEST_F(MatchTest, ARequiredEducationLevelAdmitsThatLevelAndNotTheOneBelow) {
  CandidateRecord at = Profile("at");  // mbo2
  CandidateRecord below = Profile("below");
  below.education_code = "vmbo_gl_tl";  // the ordinal just below mbo2's
  below.education_ordinal = reference_->FindEducationLevel("vmbo_gl_tl")->ordinal;
  ASSERT_EQ(*below.education_ordinal + 1, *at.education_ordinal);
  Commit({at, below});
  SearchQuery query = Vacancy("orderpicker");
  query.min_education_code = "mbo2";
  query.education = Requirement::kRequired;
  EXPECT_THAT(Ids(Search(query)), ElementsAre("at"));
}

// ---- The image, loaded and matched directly.

class CandidateIndexTest : public fixtures::SearchFixture {
 protected:
  std::shared_ptr<const CandidateIndex> LoadImage() {
    Xapian::Database database(index_->path());
    return CandidateIndex::Load(database, "test-state");
  }
};

TEST_F(CandidateIndexTest, LoadsEveryProfileAndItsTextTerms) {
  Commit({Profile("a"), Profile("b"), Profile("c")});
  std::shared_ptr<const CandidateIndex> image = LoadImage();
  EXPECT_EQ(image->state(), "test-state");
  EXPECT_EQ(image->load_stats().documents, 3);
  EXPECT_GT(image->load_stats().postings, 0);
  EXPECT_GT(image->load_stats().memory_bytes, 0);
  EXPECT_TRUE(image->HasTextTerm("orderpicker"));
  EXPECT_EQ(image->TextTermFrequency("orderpicker"), 3);
  EXPECT_FALSE(image->HasTextTerm("kapper"));
  EXPECT_EQ(image->TextTermFrequency("kapper"), 0);
}

TEST_F(CandidateIndexTest, AnEmptyPageStillCountsTheWholeMatchingSet) {
  Commit({Profile("a"), Profile("b"), Profile("c")});
  std::shared_ptr<const CandidateIndex> image = LoadImage();
  SearchQuery query = Vacancy("");
  query.page_size = 0;
  query.facets = {FacetKind::kEducationLevel};
  ResolvedQuery resolved;
  resolved.query = &query;
  MatchOutcome outcome = image->Match(resolved);
  EXPECT_EQ(outcome.total, 3);
  EXPECT_THAT(outcome.page, IsEmpty());
  EXPECT_EQ(outcome.facet_counts[FacetKind::kEducationLevel]["mbo2"], 3);
}

TEST_F(CandidateIndexTest, APageStartsAtItsOffsetAndEndsWithTheMatchingSet) {
  Commit(Profiles("p", 12));
  std::shared_ptr<const CandidateIndex> image = LoadImage();
  SearchQuery query = Vacancy("");
  query.page_size = 5;
  ResolvedQuery resolved;
  resolved.query = &query;
  resolved.offset = 10;  // two left
  EXPECT_EQ(image->Match(resolved).page.size(), 2u);
  resolved.offset = 5;
  EXPECT_EQ(image->Match(resolved).page.size(), 5u);
  resolved.offset = 12;
  EXPECT_THAT(image->Match(resolved).page, IsEmpty());
  EXPECT_EQ(image->Match(resolved).total, 12);
}

TEST(IsFacetValueTest, NamesExactlyTheValuesAFacetCountCanShow) {
  auto reference = ReferenceData::Load(ReferenceData::DefaultDirectory());
  ASSERT_TRUE(reference.ok()) << reference.status();
  EXPECT_TRUE(IsFacetValue(FacetKind::kEducationLevel, "mbo2", **reference));
  EXPECT_TRUE(IsFacetValue(FacetKind::kEducationLevel, "onbekend", **reference));
  EXPECT_FALSE(IsFacetValue(FacetKind::kEducationLevel, "Mbo niveau 2", **reference));
  EXPECT_TRUE(IsFacetValue(FacetKind::kHoursBand, "32-40", **reference));
  EXPECT_FALSE(IsFacetValue(FacetKind::kHoursBand, "40+", **reference));
  EXPECT_TRUE(IsFacetValue(FacetKind::kDistanceBand, "30+ km", **reference));
  EXPECT_TRUE(IsFacetValue(FacetKind::kExperienceBand, "120+", **reference));
  EXPECT_TRUE(IsFacetValue(FacetKind::kAffinity, "techniek", **reference));
  EXPECT_FALSE(IsFacetValue(FacetKind::kAffinity, "onbekend", **reference));
}

}  // namespace
}  // namespace verkenner::engine
