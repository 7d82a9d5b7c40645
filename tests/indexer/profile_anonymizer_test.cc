#include "indexer/profile_anonymizer.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "verkenner/v1/profile.pb.h"

namespace verkenner::indexer {
namespace {

constexpr int64_t kToday = 20758;  // 2026-11-01

TEST(FilterShortTextTest, KeepsLowerCaseWordsAndCertificateAcronyms) {
  EXPECT_EQ(FilterShortText(" heftruck rijden "), "heftruck rijden");
  EXPECT_EQ(FilterShortText("VCA basis"), "VCA basis");
  EXPECT_EQ(FilterShortText("NT2 A2"), "NT2 A2");
  EXPECT_EQ(FilterShortText("branchecertificaat schoonmaak"), "branchecertificaat schoonmaak");
  EXPECT_EQ(FilterShortText("café-medewerker"), "café-medewerker");
}

TEST(FilterShortTextTest, RefusesAnythingThatCouldBeANameNumberOrAddress) {
  EXPECT_EQ(FilterShortText("cursus bij Jan"), "");       // capitalised word
  EXPECT_EQ(FilterShortText("bel 06-12345678"), "");      // phone number
  EXPECT_EQ(FilterShortText("123456782"), "");            // BSN
  EXPECT_EQ(FilterShortText("woont 3511 AB"), "");        // postcode
  EXPECT_EQ(FilterShortText("mail jan@example.nl"), "");  // e-mail address
  EXPECT_EQ(FilterShortText("Élise"), "");                // accented capital
  EXPECT_EQ(FilterShortText(std::string(61, 'a')), "");   // too long to be a list item
  EXPECT_EQ(FilterShortText("   "), "");
}

class ProfileAnonymizerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto reference = engine::ReferenceData::Load(engine::ReferenceData::DefaultDirectory());
    ASSERT_TRUE(reference.ok()) << reference.status();
    auto pseudonymizer = Pseudonymizer::FromKey(std::string(32, 'k'));
    ASSERT_TRUE(pseudonymizer.ok());
    pseudonymizer_ = std::move(*pseudonymizer);
    reference_ = *reference;
    anonymizer_ = std::make_unique<ProfileAnonymizer>(*reference, pseudonymizer_, RetentionRule{});
    validator_ = std::make_unique<ProfileValidator>(*reference);

    profile_.set_source("GM0344");
    profile_.set_client_number("K-778899");
    profile_.set_bsn("123456782");
    profile_.set_first_name("Noëlle");
    profile_.set_name_prefix("van der");
    profile_.set_last_name("Vries-Bakkerman");
    profile_.set_birth_date("1990-05-17");
    profile_.set_street("Oudegracht");
    profile_.set_house_number("221bis");
    profile_.set_postcode("3511 AB");
    profile_.set_city("Utrecht");
    profile_.set_phone("06-98765432");
    profile_.set_email("noelle.vdvries@example.nl");
    profile_.set_education_level("mbo 2");
    profile_.add_diplomas("VCA basis");
    profile_.add_diplomas("Diploma van Noëlle");
    auto* experience = profile_.add_work_experience();
    experience->set_occupation("orderpicker");
    experience->set_months(30);
    experience->set_last_year(2025);
    experience->set_sector("logistiek");
    profile_.set_hours_min(16);
    profile_.set_hours_max(24);
    profile_.set_max_travel_km(12);
    profile_.add_affinities("logistiek");
    profile_.set_wishes("Bel mij op 06-98765432, groet Noëlle");
    profile_.set_register_end("2024-06-30");
    profile_.add_days("ma");
    profile_.add_days("vr");
    profile_.set_available_from("2027-01-15");
  }

  // profile_ through the validator, then `anonymizer` (by default the fixture's).
  engine::CandidateRecord Anonymize(const ProfileAnonymizer* anonymizer = nullptr) {
    std::vector<FieldError> errors;
    std::optional<ValidatedProfile> valid = validator_->Resolve(profile_, errors);
    EXPECT_TRUE(valid.has_value())
        << errors.size() << " errors, first: " << (errors.empty() ? "" : errors[0].field);
    if (!valid.has_value()) return {};
    return (anonymizer != nullptr ? anonymizer : anonymizer_.get())->Anonymize(*valid, kToday);
  }

  // The profile as served: through a Xapian document and back, then ShownProfile().
  v1::AnonymousProfile Served(const engine::CandidateRecord& record) {
    Xapian::TermGenerator generator =
        engine::TextAnalysis(reference_->stopwords()).MakeTermGenerator();
    absl::StatusOr<v1::AnonymousProfile> shown =
        ShownProfile(engine::ReadRecord(engine::BuildDocument(record, generator)), *reference_);
    EXPECT_TRUE(shown.ok()) << shown.status();
    return shown.value_or(v1::AnonymousProfile());
  }

  std::shared_ptr<const engine::ReferenceData> reference_;
  std::shared_ptr<const Pseudonymizer> pseudonymizer_;
  std::unique_ptr<ProfileAnonymizer> anonymizer_;
  std::unique_ptr<ProfileValidator> validator_;
  v1::SourceProfile profile_;
};

TEST_F(ProfileAnonymizerTest, AffinityAliasesBecomeTheirCodesOnce) {
  profile_.clear_affinities();
  profile_.add_affinities("Buiten werken");
  profile_.add_affinities("buiten_werken");
  profile_.add_affinities("magazijn");
  const engine::CandidateRecord record = Anonymize();
  EXPECT_THAT(record.affinities, ::testing::ElementsAre("buiten_werken", "logistiek"));
}

TEST_F(ProfileAnonymizerTest, NoDirectIdentifierReachesTheRecordOrTheShownProfile) {
  engine::CandidateRecord record = Anonymize();
  v1::AnonymousProfile shown;
  ASSERT_TRUE(shown.ParseFromString(record.display_payload));
  const std::string everything = record.display_payload + shown.DebugString() +
                                 Served(record).DebugString() + record.source + record.profile_id;
  for (const std::string& personal :
       {profile_.client_number(), profile_.bsn(), profile_.first_name(), profile_.last_name(),
        profile_.birth_date(), profile_.street(), profile_.house_number(), profile_.phone(),
        profile_.email(), std::string("3511 AB"), std::string("Vries")}) {
    EXPECT_EQ(everything.find(personal), std::string::npos) << personal;
  }
  // "Bel mij op 06-98765432, groet Noëlle": the number and the name go, the rest may stay.
  EXPECT_EQ(shown.wishes().find_first_of("0123456789"), std::string::npos) << shown.wishes();
  ASSERT_EQ(shown.diplomas_size(), 1);
  EXPECT_EQ(shown.diplomas(0), "VCA basis");
}

TEST_F(ProfileAnonymizerTest, WishesAreScrubbedOfThePersonsOwnDataAndKept) {
  profile_.set_wishes("Ik wil graag buiten werken met dieren. Bel Noëlle op 06-98765432.");
  engine::CandidateRecord record = Anonymize();
  v1::AnonymousProfile shown;
  ASSERT_TRUE(shown.ParseFromString(record.display_payload));
  EXPECT_NE(shown.wishes().find("buiten werken met dieren"), std::string::npos) << shown.wishes();
  EXPECT_EQ(shown.wishes().find("Noëlle"), std::string::npos) << shown.wishes();
  EXPECT_EQ(shown.wishes().find("98765432"), std::string::npos) << shown.wishes();
  EXPECT_EQ(record.wishes, shown.wishes());
}

TEST_F(ProfileAnonymizerTest, KeepsWhatMatchingNeedsAtCoarseGranularity) {
  engine::CandidateRecord record = Anonymize();
  EXPECT_EQ(record.profile_id, pseudonymizer_->ProfileId("GM0344", "K-778899"));
  EXPECT_EQ(record.municipality_code, "GM0344");
  EXPECT_EQ(record.region_code.substr(0, 2), "AM");
  EXPECT_EQ(record.education_code, "mbo2");
  ASSERT_EQ(record.experience.size(), 1u);
  EXPECT_FALSE(record.experience[0].esco_code.empty());
  EXPECT_EQ(record.hours_max, 24);
  v1::AnonymousProfile stored;
  ASSERT_TRUE(stored.ParseFromString(record.display_payload));
  EXPECT_FALSE(stored.has_area()) << "the searcher decides the shown area";
  // The payload holds only what the engine does not keep: nothing is stored twice.
  EXPECT_TRUE(stored.profile_id().empty());
  EXPECT_EQ(stored.work_experience_size(), 0);
  EXPECT_FALSE(stored.has_education());

  // Served, the profile is whole again.
  v1::AnonymousProfile shown = Served(record);
  EXPECT_FALSE(shown.has_area());
  EXPECT_EQ(shown.profile_id(), record.profile_id);
  EXPECT_EQ(shown.education().code(), "mbo2");
  EXPECT_FALSE(shown.education().label().empty());
  ASSERT_EQ(shown.work_experience_size(), 1);
  EXPECT_EQ(shown.work_experience(0).occupation().label(), record.experience[0].label);
  EXPECT_EQ(shown.work_experience(0).sector(), "logistiek");
  EXPECT_EQ(shown.work_experience(0).months(), 30);
  EXPECT_EQ(shown.availability().min_hours(), 16);
  EXPECT_NEAR(shown.banen(), 24 / 25.5, 1e-9);
  EXPECT_EQ(shown.max_travel_km(), 12);
  ASSERT_EQ(shown.affinities_size(), 1);
  EXPECT_EQ(shown.affinities(0), "logistiek");
  EXPECT_TRUE(shown.completeness().education_known());
  EXPECT_DOUBLE_EQ(shown.completeness().fraction(), 1.0);
  EXPECT_EQ(shown.diplomas_size(), 1);
  EXPECT_THAT(shown.days(), ::testing::ElementsAre(v1::WEEKDAY_MONDAY, v1::WEEKDAY_FRIDAY));
  EXPECT_EQ(shown.available_from().year(), 2027);
  EXPECT_EQ(shown.available_from().day(), 15);
}

// A start date that is not ahead says no more than "available now": only a later one is kept.
TEST_F(ProfileAnonymizerTest, OnlyAStartDateAfterTodayIsKept) {
  profile_.set_available_from("2026-11-01");  // kToday
  EXPECT_FALSE(Anonymize().available_from_day.has_value());
  profile_.set_available_from("2026-11-02");
  EXPECT_EQ(Anonymize().available_from_day, kToday + 1);
}

// An employer may learn that a hire may no longer count for the banenafspraak, to the month:
// the day would help single the person out.
TEST_F(ProfileAnonymizerTest, TheRegisterEndIsShownToTheMonth) {
  const v1::AnonymousProfile ended = Served(Anonymize());
  ASSERT_TRUE(ended.has_registered_until());
  EXPECT_EQ(ended.registered_until().year(), 2024);
  EXPECT_EQ(ended.registered_until().month(), 6);
  EXPECT_EQ(ended.registered_until().day(), 0);
  profile_.clear_register_end();
  EXPECT_FALSE(Served(Anonymize()).has_registered_until());
}

TEST_F(ProfileAnonymizerTest, RetentionEndsOnDecember31OfTheSecondYearAfterRegisterEnd) {
  engine::CandidateRecord record = Anonymize();
  // 2026-12-31 is day 20818 since 1970-01-01.
  EXPECT_EQ(record.retain_until_day, 20818);
  RetentionRule longer;
  longer.calendar_years_after_end = 3;
  ProfileAnonymizer lenient(
      engine::ReferenceData::Load(engine::ReferenceData::DefaultDirectory()).value(),
      pseudonymizer_, longer);
  EXPECT_EQ(Anonymize(&lenient).retain_until_day, 20818 + 365);
}

}  // namespace
}  // namespace verkenner::indexer
