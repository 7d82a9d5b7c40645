#include "indexer/profile_validator.h"

#include <gtest/gtest.h>

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

TEST(ParseIsoDayTest, AcceptsDatesAndDateTimesOnly) {
  EXPECT_EQ(ParseIsoDay("1970-01-02"), 1);
  EXPECT_EQ(ParseIsoDay("1970-01-02T10:00:00Z"), 1);
  EXPECT_FALSE(ParseIsoDay("1970-02-30").has_value());
  EXPECT_FALSE(ParseIsoDay("02-01-1970").has_value());
  EXPECT_FALSE(ParseIsoDay("1970-01-02x").has_value());
}

}  // namespace
}  // namespace verkenner::indexer
