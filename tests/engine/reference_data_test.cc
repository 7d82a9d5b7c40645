#include "engine/refdata/reference_data.h"

#include <gtest/gtest.h>

#include <map>

namespace verkenner::engine {
namespace {

class ReferenceDataTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto loaded = ReferenceData::Load(ReferenceData::DefaultDirectory());
    ASSERT_TRUE(loaded.ok()) << loaded.status();
    data_ = *loaded;
  }
  std::shared_ptr<const ReferenceData> data_;
};

TEST_F(ReferenceDataTest, HasThe35LabourMarketRegionsAndEveryMunicipalityMapsToOne) {
  EXPECT_EQ(data_->regions().size(), 35u);
  EXPECT_GT(data_->municipalities().size(), 300u);
  for (const Municipality& municipality : data_->municipalities()) {
    EXPECT_NE(data_->FindRegion(municipality.region_code), nullptr) << municipality.code;
  }
}

TEST_F(ReferenceDataTest, EducationLevelsAreFoundByCodeLabelOrAlias) {
  const EducationLevelInfo* by_code = data_->FindEducationLevel("mbo2");
  ASSERT_NE(by_code, nullptr);
  EXPECT_EQ(data_->FindEducationLevel("MBO 2"), by_code);
  EXPECT_EQ(data_->FindEducationLevel("Mbo-2"), by_code);
  EXPECT_EQ(data_->FindEducationLevel("Praktijkschool"),
            data_->FindEducationLevel("praktijkonderwijs"));
  EXPECT_EQ(data_->FindEducationLevel("kleuterschool plus"), nullptr);
  EXPECT_LT(data_->FindEducationLevel("vmbo_bb")->ordinal, by_code->ordinal);
}

TEST_F(ReferenceDataTest, OccupationsAreFoundByCodeAndLabels) {
  const OccupationInfo* orderpicker = data_->FindOccupation("orderpicker");
  ASSERT_NE(orderpicker, nullptr);
  EXPECT_EQ(data_->FindOccupation(orderpicker->esco_code), orderpicker);
  EXPECT_EQ(orderpicker->isco_code.size(), 4u);
}

TEST_F(ReferenceDataTest, EveryUniqueLabelFindsItsOwnOccupationEvenWhenCodesAreShared) {
  // Four preferred labels (e.g. "portier") name two occupations each; those find the first.
  std::map<std::string, int> label_uses;
  for (const OccupationInfo& occupation : data_->occupations())
    ++label_uses[NormalizeKey(occupation.label)];
  int shared_codes = 0;
  for (const OccupationInfo& occupation : data_->occupations()) {
    if (label_uses[NormalizeKey(occupation.label)] > 1) continue;
    const OccupationInfo* by_label = data_->FindOccupation(occupation.label);
    ASSERT_NE(by_label, nullptr) << occupation.label;
    EXPECT_EQ(by_label->esco_code, occupation.esco_code) << occupation.label;
    if (data_->FindOccupation(occupation.esco_code) != &occupation) ++shared_codes;
  }
  EXPECT_GT(shared_codes, 0) << "the ESCO data has shared codes; this test should see them";
}

TEST_F(ReferenceDataTest, UnknownPostcodeResolvesToNumericallyNearestArea) {
  ASSERT_NE(data_->FindPostcodeArea(3511), nullptr);
  EXPECT_EQ(data_->FindPostcodeArea(1000), nullptr);  // PO boxes only
  const PostcodeArea* nearest = data_->NearestPostcodeArea(1000);
  ASSERT_NE(nearest, nullptr);
  EXPECT_EQ(nearest->municipality_code, "GM0363");  // Amsterdam
}

TEST(ParsePc4Test, AcceptsDutchPostcodeShapesOnly) {
  EXPECT_EQ(ParsePc4("3512 AB"), 3512);
  EXPECT_EQ(ParsePc4("3512ab"), 3512);
  EXPECT_EQ(ParsePc4("3512"), 3512);
  EXPECT_FALSE(ParsePc4("0512 AB").has_value());
  EXPECT_FALSE(ParsePc4("35123").has_value());
  EXPECT_FALSE(ParsePc4("3512 A1").has_value());
  EXPECT_FALSE(ParsePc4("").has_value());
}

TEST(ReferenceDataLoadTest, MissingDirectoryIsNotFound) {
  auto loaded = ReferenceData::Load("/nonexistent/refdata");
  EXPECT_EQ(loaded.status().code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace verkenner::engine
