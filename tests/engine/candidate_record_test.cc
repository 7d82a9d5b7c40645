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
  EXPECT_FALSE(read.hidden_at_source);
  EXPECT_DOUBLE_EQ(read.Completeness(), 0.0);
  for (auto term = document.termlist_begin(); term != document.termlist_end(); ++term) {
    EXPECT_TRUE(*term == schema::ProfileIdTerm("p") || *term == schema::kPrefixSource) << *term;
  }
}

CandidateRecord RecordWithEveryField() {
  CandidateRecord record;
  record.home = {52.3710, 4.9042};
  record.municipality_code = "GM0363";
  record.region_code = "AM18";
  record.max_travel_km = 0;
  record.hours_min = 8;
  record.hours_max = 40;
  record.education_code = "hbo_bachelor";
  record.education_ordinal = 11;
  record.experience = {{"", "", "tuin~man\nhulp", "groen~", 5, 2024},
                       {"9112.1", "9112", "schoonmaker", "", 1200, 1999}};
  record.affinities = {"buiten_werken", "", "dieren"};
  record.driving_licence = false;
  record.days = 0b0011111;
  record.available_from_day = -3;  // dates before 1970 are not expected, but survive
  record.updated_day = 20500;
  record.retain_until_day = 21549;
  record.hidden_at_source = true;
  return record;
}

void ExpectSameSearchFields(const CandidateRecord& read, const CandidateRecord& record) {
  EXPECT_EQ(read.home.lat, record.home.lat);  // bit for bit: distances must not move
  EXPECT_EQ(read.home.lon, record.home.lon);
  EXPECT_EQ(read.municipality_code, record.municipality_code);
  EXPECT_EQ(read.region_code, record.region_code);
  EXPECT_EQ(read.max_travel_km, record.max_travel_km);
  EXPECT_EQ(read.hours_min, record.hours_min);
  EXPECT_EQ(read.hours_max, record.hours_max);
  EXPECT_EQ(read.education_code, record.education_code);
  EXPECT_EQ(read.education_ordinal, record.education_ordinal);
  ASSERT_EQ(read.experience.size(), record.experience.size());
  for (size_t i = 0; i < record.experience.size(); ++i) {
    EXPECT_EQ(read.experience[i].esco_code, record.experience[i].esco_code);
    EXPECT_EQ(read.experience[i].isco_code, record.experience[i].isco_code);
    EXPECT_EQ(read.experience[i].label, record.experience[i].label);
    EXPECT_EQ(read.experience[i].sector, record.experience[i].sector);
    EXPECT_EQ(read.experience[i].months, record.experience[i].months);
    EXPECT_EQ(read.experience[i].last_year, record.experience[i].last_year);
  }
  EXPECT_EQ(read.affinities, record.affinities);
  EXPECT_EQ(read.driving_licence, record.driving_licence);
  EXPECT_EQ(read.days, record.days);
  EXPECT_EQ(read.available_from_day, record.available_from_day);
  EXPECT_EQ(read.updated_day, record.updated_day);
  EXPECT_EQ(read.retain_until_day, record.retain_until_day);
  EXPECT_EQ(read.hidden_at_source, record.hidden_at_source);
}

TEST(CandidateRecordTest, SearchFieldsSurviveEncodingExactlyWithSeparatorsInText) {
  const CandidateRecord record = RecordWithEveryField();
  CandidateRecord read;
  ASSERT_TRUE(DecodeSearchFields(EncodeSearchFields(record), read));
  ExpectSameSearchFields(read, record);

  // Decoding into a used record clears what the new one does not have.
  CandidateRecord sparse;
  sparse.home = {51.0, 5.0};
  ASSERT_TRUE(DecodeSearchFields(EncodeSearchFields(sparse), read));
  ExpectSameSearchFields(read, sparse);
}

TEST(CandidateRecordTest, MalformedSearchFieldsAreRefusedNotReadPastTheirEnd) {
  const std::string encoded = EncodeSearchFields(RecordWithEveryField());
  CandidateRecord read;
  for (size_t length = 0; length < encoded.size(); ++length) {
    EXPECT_FALSE(DecodeSearchFields(std::string_view(encoded).substr(0, length), read)) << length;
  }
  EXPECT_FALSE(DecodeSearchFields(encoded + "x", read));
  // A count far larger than the value: refused before anything is allocated for it.
  CandidateRecord sparse;
  std::string huge = EncodeSearchFields(sparse);
  huge.resize(huge.size() - 2);  // drop the affinity and experience counts
  huge += "\xff\xff\xff\xff\x0f";
  huge.push_back('\0');
  EXPECT_FALSE(DecodeSearchFields(huge, read));
}

TEST(CandidateRecordTest, ADocumentHoldsTwoValuesAndNoData) {
  CandidateRecord record = RecordWithEveryField();
  record.profile_id = "0123456789abcdef01234567";
  record.display_payload = "payload";
  Xapian::TermGenerator generator = TextAnalysis({}).MakeTermGenerator();
  Xapian::Document document = BuildDocument(record, generator);
  EXPECT_EQ(document.get_data(), "");
  EXPECT_EQ(document.values_count(), 2u);
  ExpectSameSearchFields(ReadRecord(document), record);
  EXPECT_EQ(ReadRecord(document).display_payload, "payload");
}

}  // namespace
}  // namespace verkenner::engine
