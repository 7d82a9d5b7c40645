#include "engine/candidate_record.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "engine/schema.h"

namespace verkenner::engine {
namespace {

TEST(CandidateRecordTest, DocumentRoundTripKeepsMatchingFields) {
  CandidateRecord record;
  record.profile_id = "0123456789abcdef01234567";
  record.source = "GM0344";
  record.home = {52.09, 5.12};
  record.municipality_code = "GM0344";
  record.region_code = "AM20";
  record.max_travel_km = 12;
  record.hours_min = 16;
  record.hours_max = 24;
  record.education_code = "mbo2";
  record.education_ordinal = 6;
  record.experience = {{"9333.1", "9333", "orderpicker", "logistiek", 36, 2025}};
  record.affinities = {"logistiek", "techniek"};
  record.driving_licence = true;
  record.updated_day = 20000;
  record.retain_until_day = 21000;
  record.display_payload = "payload";
  // A text term starting with a digit sorts before the upper-case prefixed terms.
  record.skills = {"3d printen"};

  Xapian::TermGenerator generator = TextAnalysis({"de", "het"}).MakeTermGenerator();
  CandidateRecord read = ReadRecord(BuildDocument(record, generator));
  EXPECT_EQ(read.profile_id, record.profile_id);
  EXPECT_EQ(read.source, "GM0344");
  EXPECT_EQ(read.municipality_code, "GM0344");
  EXPECT_DOUBLE_EQ(read.home.lat, 52.09);
  EXPECT_EQ(read.max_travel_km, 12);
  EXPECT_EQ(read.hours_min, 16);
  EXPECT_EQ(read.hours_max, 24);
  EXPECT_EQ(read.education_code, "mbo2");
  EXPECT_EQ(read.education_ordinal, 6);
  ASSERT_EQ(read.experience.size(), 1u);
  EXPECT_EQ(read.experience[0].label, "orderpicker");
  EXPECT_EQ(read.experience[0].sector, "logistiek");
  EXPECT_EQ(read.experience[0].months, 36);
  EXPECT_THAT(read.affinities, ::testing::ElementsAre("logistiek", "techniek"));
  EXPECT_EQ(read.driving_licence, true);
  EXPECT_EQ(read.retain_until_day, 21000);
  EXPECT_EQ(read.display_payload, "payload");
}

TEST(CandidateRecordTest, UnknownFieldsStayUnknownAndLeaveNoTraceInTheDocument) {
  CandidateRecord record;
  record.profile_id = "p";
  Xapian::TermGenerator generator = TextAnalysis({}).MakeTermGenerator();
  Xapian::Document document = BuildDocument(record, generator);
  CandidateRecord read = ReadRecord(document);
  EXPECT_FALSE(read.education_known());
  EXPECT_FALSE(read.availability_known());
  EXPECT_FALSE(read.driving_licence.has_value());
  EXPECT_DOUBLE_EQ(read.Completeness(), 0.0);
  for (auto term = document.termlist_begin(); term != document.termlist_end(); ++term) {
    EXPECT_TRUE(*term == schema::ProfileIdTerm("p") || *term == schema::kPrefixSource) << *term;
  }
}

TEST(CandidateRecordTest, ExperienceEncodingSurvivesSeparatorsInLabels) {
  std::vector<ExperienceEntry> experience = {{"", "", "tuin~man\nhulp", "groen~", 5, 2024},
                                             {"9112.1", "9112", "schoonmaker", "", 12, 2023}};
  std::vector<ExperienceEntry> decoded = DecodeExperience(EncodeExperience(experience));
  ASSERT_EQ(decoded.size(), 2u);
  EXPECT_EQ(decoded[0].label, "tuin man hulp");
  EXPECT_EQ(decoded[0].sector, "groen ");
  EXPECT_EQ(decoded[1].esco_code, "9112.1");
  EXPECT_EQ(decoded[1].months, 12);
}

}  // namespace
}  // namespace verkenner::engine
