#include "indexer/profile_validator.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <functional>
#include <string_view>

namespace verkenner::indexer {
namespace {

class ProfileValidatorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto loaded = engine::ReferenceData::Load(engine::ReferenceData::DefaultDirectory());
    ASSERT_TRUE(loaded.ok()) << loaded.status();
    validator_ = std::make_unique<ProfileValidator>(*loaded);
    valid_.set_source("GM0344");
    valid_.set_client_number("K-1");
    valid_.set_bsn("123456782");
    valid_.set_postcode("3511 AB");
    valid_.set_hours_min(12);
    valid_.set_hours_max(24);
    valid_.set_education_level("mbo 2");
  }
  std::unique_ptr<ProfileValidator> validator_;
  v1::SourceProfile valid_;
};

TEST_F(ProfileValidatorTest, ValidProfilePasses) {
  EXPECT_TRUE(validator_->Validate(valid_).empty());
}

TEST_F(ProfileValidatorTest, EmptyOptionalFieldsAreUnknownNotWrong) {
  v1::SourceProfile minimal;
  minimal.set_source("UWV");
  minimal.set_client_number("U-9");
  minimal.set_postcode("9711");
  EXPECT_TRUE(validator_->Validate(minimal).empty());
}

TEST_F(ProfileValidatorTest, ErrorsNameTheFieldButNeverTheValue) {
  v1::SourceProfile profile = valid_;
  profile.set_bsn("123456789");  // fails the elfproef
  profile.set_hours_min(30);     // above hours_max
  profile.set_birth_date("1990-02-30");
  std::vector<FieldError> errors = validator_->Validate(profile);
  ASSERT_EQ(errors.size(), 3u);
  EXPECT_EQ(errors[0].field, "bsn");
  EXPECT_EQ(errors[1].field, "birth_date");
  EXPECT_EQ(errors[2].field, "hours_min");
  for (const FieldError& error : errors) {
    EXPECT_EQ(error.reason.find("123456789"), std::string::npos);
    EXPECT_EQ(error.reason.find("1990"), std::string::npos);
  }
}

// JSON Lines and the import API carry the action as an open enum: a number it does not define
// must not be read as an upsert.
TEST_F(ProfileValidatorTest, UnknownActionNumberIsRejectedNotReadAsUpsert) {
  v1::SourceProfile profile = valid_;
  profile.set_action(static_cast<v1::SourceAction>(7));
  std::vector<FieldError> errors = validator_->Validate(profile);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].field, "action");
  EXPECT_EQ(errors[0].kind, RejectionKind::kUnknownCode);
}

TEST_F(ProfileValidatorTest, UnknownSourceAndBadPostcodeAreRejected) {
  v1::SourceProfile profile = valid_;
  profile.set_source("GM9999");
  profile.set_postcode("35111");
  std::vector<FieldError> errors = validator_->Validate(profile);
  ASSERT_EQ(errors.size(), 2u);
  EXPECT_EQ(errors[0].field, "source");
  EXPECT_EQ(errors[1].field, "postcode");
}

TEST_F(ProfileValidatorTest, DeleteRowNeedsOnlySourceAndClientNumber) {
  v1::SourceProfile removal;
  removal.set_source("GM0344");
  removal.set_client_number("K-1");
  removal.set_action(v1::SOURCE_ACTION_DELETE);
  EXPECT_TRUE(validator_->Validate(removal).empty());
  removal.clear_client_number();
  ASSERT_EQ(validator_->Validate(removal).size(), 1u);
  EXPECT_EQ(validator_->Validate(removal)[0].field, "client_number");
}

// Every limit of the validator, with a value just inside (accepted) and just outside (rejected,
// naming the field with the kind of rule).
TEST_F(ProfileValidatorTest, EveryLimitAcceptsItsEdgeAndRejectsOnePast) {
  const int next_year =
      static_cast<int>(std::chrono::year_month_day(
                           std::chrono::floor<std::chrono::days>(std::chrono::system_clock::now()))
                           .year()) +
      1;
  // Dates by the UTC clock, as the validator reads "the future".
  const auto day_text = [](std::chrono::sys_days day) {
    const std::chrono::year_month_day ymd(day);
    char text[16];
    std::snprintf(text, sizeof(text), "%04d-%02u-%02u", static_cast<int>(ymd.year()),
                  static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
    return std::string(text);
  };
  const auto now_day = std::chrono::floor<std::chrono::days>(std::chrono::system_clock::now());
  const std::string today = day_text(now_day);
  const std::string tomorrow = day_text(now_day + std::chrono::days(1));
  struct Edge {
    const char* name;
    std::function<void(v1::SourceProfile&)> inside;
    std::function<void(v1::SourceProfile&)> outside;
    const char* field;
    RejectionKind kind;
  };
  auto experience = [](v1::SourceProfile& p) -> v1::SourceWorkExperience& {
    if (p.work_experience_size() == 0) p.add_work_experience()->set_occupation("orderpicker");
    return *p.mutable_work_experience(0);
  };
  const Edge edges[] = {
      {"client_number 64 bytes", [](auto& p) { p.set_client_number(std::string(64, 'k')); },
       [](auto& p) { p.set_client_number(std::string(65, 'k')); }, "client_number",
       RejectionKind::kTooLong},
      {"client_number without control characters", [](auto& p) { p.set_client_number("K 1"); },
       [](auto& p) { p.set_client_number("K\t1"); }, "client_number", RejectionKind::kBadFormat},
      {"occupation 200 bytes",
       [&](auto& p) { experience(p).set_occupation(std::string(200, 'o')); },
       [&](auto& p) { experience(p).set_occupation(std::string(201, 'o')); },
       "work_experience[0].occupation", RejectionKind::kTooLong},
      {"occupation not empty", [&](auto& p) { experience(p).set_occupation("o"); },
       [&](auto& p) { experience(p).set_occupation(""); }, "work_experience[0].occupation",
       RejectionKind::kMissing},
      {"months at least 0", [&](auto& p) { experience(p).set_months(0); },
       [&](auto& p) { experience(p).set_months(-1); }, "work_experience[0].months",
       RejectionKind::kOutOfRange},
      {"months at most 600", [&](auto& p) { experience(p).set_months(600); },
       [&](auto& p) { experience(p).set_months(601); }, "work_experience[0].months",
       RejectionKind::kOutOfRange},
      {"last_year from 1950", [&](auto& p) { experience(p).set_last_year(1950); },
       [&](auto& p) { experience(p).set_last_year(1949); }, "work_experience[0].last_year",
       RejectionKind::kOutOfRange},
      {"last_year up to next year", [&](auto& p) { experience(p).set_last_year(next_year); },
       [&](auto& p) { experience(p).set_last_year(next_year + 1); }, "work_experience[0].last_year",
       RejectionKind::kOutOfRange},
      {"max_travel_km at least 0", [](auto& p) { p.set_max_travel_km(0); },
       [](auto& p) { p.set_max_travel_km(-1); }, "max_travel_km", RejectionKind::kOutOfRange},
      {"max_travel_km at most 200", [](auto& p) { p.set_max_travel_km(200); },
       [](auto& p) { p.set_max_travel_km(201); }, "max_travel_km", RejectionKind::kOutOfRange},
      {"hours_min at least 0", [](auto& p) { p.set_hours_min(0); },
       [](auto& p) { p.set_hours_min(-1); }, "hours_min", RejectionKind::kOutOfRange},
      {"hours_max at most 40",
       [](auto& p) {
         p.clear_hours_min();
         p.set_hours_max(40);
       },
       [](auto& p) {
         p.clear_hours_min();
         p.set_hours_max(41);
       },
       "hours_max", RejectionKind::kOutOfRange},
      {"hours_min at most 40",
       [](auto& p) {
         p.clear_hours_max();
         p.set_hours_min(40);
       },
       [](auto& p) {
         p.clear_hours_max();
         p.set_hours_min(41);
       },
       "hours_min", RejectionKind::kOutOfRange},
      {"hours_max at least 0",
       [](auto& p) {
         p.clear_hours_min();
         p.set_hours_max(0);
       },
       [](auto& p) {
         p.clear_hours_min();
         p.set_hours_max(-1);
       },
       "hours_max", RejectionKind::kOutOfRange},
      {"hours_min up to hours_max",
       [](auto& p) {
         p.set_hours_min(24);
         p.set_hours_max(24);
       },
       [](auto& p) {
         p.set_hours_min(25);
         p.set_hours_max(24);
       },
       "hours_min", RejectionKind::kInconsistent},
      {"dates from 1900", [](auto& p) { p.set_birth_date("1900-01-01"); },
       [](auto& p) { p.set_birth_date("1899-12-31"); }, "birth_date", RejectionKind::kBadFormat},
      {"register_end not before register_start",
       [](auto& p) {
         p.set_register_start("2020-01-01");
         p.set_register_end("2020-01-01");
       },
       [](auto& p) {
         p.set_register_start("2020-01-02");
         p.set_register_end("2020-01-01");
       },
       "register_end", RejectionKind::kInconsistent},
      {"birth_date not in the future", [&](auto& p) { p.set_birth_date(today); },
       [&](auto& p) { p.set_birth_date(tomorrow); }, "birth_date", RejectionKind::kOutOfRange},
      {"register_start not in the future", [&](auto& p) { p.set_register_start(today); },
       [&](auto& p) { p.set_register_start(tomorrow); }, "register_start",
       RejectionKind::kOutOfRange},
      {"support needs from the list", [](auto& p) { p.add_support_needs("beschut_werk"); },
       [](auto& p) { p.add_support_needs("Jobcoach"); }, "support_needs",
       RejectionKind::kUnknownCode},
      {"languages as ISO 639-1 codes", [](auto& p) { p.add_languages("ti"); },
       [](auto& p) { p.add_languages("NL"); }, "languages", RejectionKind::kUnknownCode},
      {"languages from the ISO 639-1 list", [](auto& p) { p.add_languages("zu"); },
       [](auto& p) { p.add_languages("zz"); }, "languages", RejectionKind::kUnknownCode},
      {"email an e-mail address", [](auto& p) { p.set_email("j.jansen@voorbeeld.nl"); },
       [](auto& p) { p.set_email("j.jansen bij voorbeeld.nl"); }, "email",
       RejectionKind::kBadFormat},
      {"dates that exist", [](auto& p) { p.set_register_end("2024-02-29"); },
       [](auto& p) { p.set_register_end("2023-02-29"); }, "register_end",
       RejectionKind::kBadFormat},
  };
  for (const Edge& edge : edges) {
    v1::SourceProfile inside = valid_;
    edge.inside(inside);
    std::vector<FieldError> errors = validator_->Validate(inside);
    EXPECT_TRUE(errors.empty()) << edge.name << ": " << (errors.empty() ? "" : errors[0].reason);
    v1::SourceProfile outside = valid_;
    edge.outside(outside);
    errors = validator_->Validate(outside);
    ASSERT_EQ(errors.size(), 1u) << edge.name;
    EXPECT_EQ(errors[0].field, edge.field) << edge.name;
    EXPECT_EQ(errors[0].kind, edge.kind) << edge.name;
  }
}

// The validator hands the anonymiser what it resolved, so nothing is parsed or looked up twice.
TEST_F(ProfileValidatorTest, ResolvesTheCodedValuesOfAValidRow) {
  v1::SourceProfile profile = valid_;
  profile.set_register_end("1970-01-11");
  profile.set_updated_at("1970-01-02T08:00:00Z");
  profile.add_days("vr");
  profile.add_days("ma");
  profile.set_travel_mode("fiets");
  profile.add_affinities("Buiten werken");
  profile.add_affinities("buiten_werken");
  profile.add_affinities("techniek");
  std::vector<FieldError> errors;
  std::optional<ValidatedProfile> valid = validator_->Resolve(profile, errors);
  ASSERT_TRUE(valid.has_value()) << errors[0].reason;
  EXPECT_EQ(&valid->source(), &profile);
  EXPECT_EQ(valid->area().pc4, 3511);
  EXPECT_EQ(valid->municipality().code, "GM0344");
  ASSERT_NE(valid->education(), nullptr);
  EXPECT_EQ(valid->education()->code, "mbo2");
  EXPECT_EQ(valid->register_end_day(), 10);
  EXPECT_EQ(valid->updated_day(), 1);
  EXPECT_FALSE(valid->available_from_day().has_value());
  EXPECT_EQ(valid->days(), (1u << 0) | (1u << 4));  // Monday and Friday
  EXPECT_EQ(valid->travel_mode(), v1::TRAVEL_MODE_BICYCLE);
  EXPECT_THAT(std::vector<std::string_view>(valid->affinities().begin(), valid->affinities().end()),
              ::testing::ElementsAre("buiten_werken", "techniek"));

  profile.set_postcode("35");  // no longer a postcode: nothing is resolved, the error says why
  EXPECT_FALSE(validator_->Resolve(profile, errors).has_value());
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].field, "postcode");
}

TEST(ParseIsoDayTest, AcceptsDatesAndDateTimesOnly) {
  EXPECT_EQ(ParseIsoDay("1970-01-02"), 1);
  EXPECT_EQ(ParseIsoDay("1970-01-02T10:00:00Z"), 1);
  EXPECT_FALSE(ParseIsoDay("1970-02-30").has_value());
  EXPECT_FALSE(ParseIsoDay("02-01-1970").has_value());
  EXPECT_FALSE(ParseIsoDay("1970-01-02x").has_value());
  // A time after the date must be one; the date's parts are digits only.
  EXPECT_EQ(ParseIsoDay("1970-01-02 10:00"), 1);
  EXPECT_EQ(ParseIsoDay("1970-01-02T10:00:00.125+02:00"), 1);
  EXPECT_FALSE(ParseIsoDay("1970-01-02Tgarbage").has_value());
  EXPECT_FALSE(ParseIsoDay("1970-01-02T").has_value());
  EXPECT_FALSE(ParseIsoDay("1970-01-02 Jansen").has_value());
  EXPECT_FALSE(ParseIsoDay("+970-01-02").has_value());
  EXPECT_FALSE(ParseIsoDay("1970-+1-02").has_value());
  EXPECT_FALSE(ParseIsoDay("1970-01- 2").has_value());
}

}  // namespace
}  // namespace verkenner::indexer
