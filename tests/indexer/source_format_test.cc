#include "indexer/source_format.h"

#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "engine/refdata/csv_reader.h"
#include "engine/refdata/reference_data.h"
#include "gmock/gmock.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "indexer/synthetic/synthetic_profile_generator.h"

namespace verkenner::indexer {
namespace {

using ::google::protobuf::util::MessageDifferencer;
using ::testing::HasSubstr;
using ::testing::Not;
using v1::SourceProfile;

constexpr char kBsn[] = "123456782";
constexpr char kName[] = "Jansen";

// Every field set, several to values the CSV conventions must take care of: separators, quotes
// and line breaks in text, zero and false in optional fields.
SourceProfile FullProfile() {
  SourceProfile profile;
  profile.set_source("GM0344");
  profile.set_client_number("C-0042");
  profile.set_bsn(kBsn);
  profile.set_first_name("Noëlle");
  profile.set_name_prefix("van der");
  profile.set_last_name(kName);
  profile.set_birth_date("1990-05-17");
  profile.set_street("Oudegracht");
  profile.set_house_number("12a");
  profile.set_postcode("3512 AB");
  profile.set_city("Utrecht");
  profile.set_phone("06-12345678");
  profile.set_email("noelle.jansen@example.nl");
  profile.set_target_group("participatiewet");
  profile.set_register_start("2019-03-01");
  profile.set_register_end("2025-12-31");
  profile.set_education_level("Voortgezet speciaal onderwijs (vso), uitstroomprofiel dagbesteding");
  profile.add_diplomas("VCA basis");
  profile.add_diplomas("Sociale Hygiëne");
  v1::SourceWorkExperience* first = profile.add_work_experience();
  first->set_occupation("9333.1");
  first->set_sector("logistiek");
  first->set_months(0);
  first->set_last_year(2024);
  v1::SourceWorkExperience* second = profile.add_work_experience();
  second->set_occupation("schoonmaker; kantoren");
  profile.add_skills("samenwerken");
  profile.set_max_travel_km(0);
  profile.set_travel_mode("fiets");
  profile.set_hours_min(12);
  profile.set_hours_max(32);
  profile.add_days("ma");
  profile.add_days("wo");
  profile.set_available_from("2026-12-01");
  profile.add_affinities("buiten_werken");
  profile.add_support_needs("jobcoach");
  profile.set_driving_licence(false);
  profile.add_languages("nl");
  profile.set_wishes("Ik wil \"buiten\" werken; liefst\nin Utrecht, 24 uur.");
  profile.set_action(v1::SOURCE_ACTION_DELETE);
  profile.set_updated_at("2026-10-01T12:00:00Z");
  profile.set_visible(false);
  profile.set_availability_confirmed_on("2026-09-15");
  return profile;
}

// Reads a whole CSV text the way the importer does: separator from the first line, mapping from
// the header, then ParseCsvRow per record.
std::vector<SourceProfile> ReadCsv(const std::string& text) {
  std::vector<SourceProfile> profiles;
  auto separator = DetectCsvSeparator(text.substr(0, text.find('\n')));
  EXPECT_TRUE(separator.ok()) << separator.status();
  if (!separator.ok()) return profiles;
  std::istringstream in(text);
  engine::CsvReader reader(in, {.separator = *separator});
  std::vector<std::string> fields;
  auto more = reader.Next(fields);
  EXPECT_TRUE(more.ok() && *more);
  auto mapping = CsvColumnMapping::FromHeader(fields);
  EXPECT_TRUE(mapping.ok()) << mapping.status();
  if (!mapping.ok()) return profiles;
  while (true) {
    more = reader.Next(fields);
    EXPECT_TRUE(more.ok()) << more.status();
    if (!more.ok() || !*more) break;
    SourceProfile profile;
    absl::Status status = ParseCsvRow(*mapping, fields, &profile);
    EXPECT_TRUE(status.ok()) << status;
    profiles.push_back(std::move(profile));
  }
  return profiles;
}

std::string WriteCsv(const std::vector<SourceProfile>& profiles, char separator) {
  std::string text = FormatCsvHeader(separator) + "\n";
  for (const SourceProfile& profile : profiles) {
    AppendCsvRow(profile, separator, &text);
    text.push_back('\n');
  }
  return text;
}

CsvColumnMapping Mapping(const std::vector<std::string>& header) {
  auto mapping = CsvColumnMapping::FromHeader(header);
  EXPECT_TRUE(mapping.ok()) << mapping.status();
  return *mapping;
}

std::vector<SourceProfile> GeneratedProfiles(int count) {
  auto reference = engine::ReferenceData::Load(engine::ReferenceData::DefaultDirectory());
  EXPECT_TRUE(reference.ok()) << reference.status();
  if (!reference.ok()) return {};
  SyntheticProfileGenerator::Options options;
  options.seed = 7;
  options.invalid_share = 0.1;
  options.delete_share = 0.05;
  auto generator = SyntheticProfileGenerator::Create(
      *reference, engine::ReferenceData::DefaultDirectory(), options);
  EXPECT_TRUE(generator.ok()) << generator.status();
  if (!generator.ok()) return {};
  std::vector<SourceProfile> profiles(static_cast<size_t>(count));
  for (SourceProfile& profile : profiles) (*generator)->Next(&profile);
  return profiles;
}

TEST(SourceFormatTest, HeaderIsTheProtoFieldListInFieldOrder) {
  const std::vector<std::string>& header = CsvHeader();
  ASSERT_EQ(header.size(), static_cast<size_t>(SourceProfile::descriptor()->field_count()));
  EXPECT_EQ(header.front(), "source");
  EXPECT_EQ(header[1], "client_number");
  EXPECT_EQ(header[2], "bsn");
  EXPECT_EQ(header.back(), "availability_confirmed_on");
  EXPECT_EQ(FormatCsvHeader(';').substr(0, 25), "source;client_number;bsn;");
}

TEST(SourceFormatTest, FullProfileSetsEveryField) {
  // Keeps the round-trip tests below honest when the proto grows: a new field must be set here.
  SourceProfile profile = FullProfile();
  std::vector<const google::protobuf::FieldDescriptor*> set_fields;
  profile.GetReflection()->ListFields(profile, &set_fields);
  EXPECT_EQ(set_fields.size(), static_cast<size_t>(SourceProfile::descriptor()->field_count()));
}

TEST(SourceFormatTest, FullProfileRoundTripsThroughCsvWithEitherSeparator) {
  for (char separator : {';', ','}) {
    std::vector<SourceProfile> read = ReadCsv(WriteCsv({FullProfile()}, separator));
    ASSERT_EQ(read.size(), 1u);
    std::string differences;
    MessageDifferencer differencer;
    differencer.ReportDifferencesToString(&differences);
    EXPECT_TRUE(differencer.Compare(FullProfile(), read[0])) << separator << ": " << differences;
  }
}

TEST(SourceFormatTest, GeneratedProfilesRoundTripThroughCsv) {
  std::vector<SourceProfile> profiles = GeneratedProfiles(3000);
  for (char separator : {';', ','}) {
    std::vector<SourceProfile> read = ReadCsv(WriteCsv(profiles, separator));
    ASSERT_EQ(read.size(), profiles.size());
    for (size_t i = 0; i < profiles.size(); ++i) {
      ASSERT_TRUE(MessageDifferencer::Equals(profiles[i], read[i]))
          << "row " << i << " separator " << separator;
    }
  }
}

TEST(SourceFormatTest, GeneratedProfilesRoundTripThroughJsonLines) {
  std::vector<SourceProfile> profiles = GeneratedProfiles(3000);
  profiles.push_back(FullProfile());
  for (const SourceProfile& profile : profiles) {
    auto line = FormatJsonLine(profile);
    ASSERT_TRUE(line.ok()) << line.status();
    ASSERT_EQ(line->find('\n'), std::string::npos);
    SourceProfile read;
    ASSERT_TRUE(ParseJsonLine(*line, &read).ok());
    ASSERT_TRUE(MessageDifferencer::Equals(profile, read)) << *line;
  }
}

TEST(SourceFormatTest, CellsWithSeparatorQuoteOrNewlineAreQuoted) {
  SourceProfile profile;
  profile.set_source("GM0344");
  profile.set_client_number("1");
  profile.set_wishes("a;b \"c\"\nd");
  profile.set_city("Den Haag, centrum");
  std::string semicolon_row = FormatCsvRow(profile, ';');
  EXPECT_THAT(semicolon_row, HasSubstr(";\"a;b \"\"c\"\"\nd\";"));
  EXPECT_THAT(semicolon_row, HasSubstr(";Den Haag, centrum;"));  // ',' needs no quotes here
  std::string comma_row = FormatCsvRow(profile, ',');
  EXPECT_THAT(comma_row, HasSubstr(",\"Den Haag, centrum\","));
  EXPECT_THAT(comma_row, HasSubstr(",\"a;b \"\"c\"\"\nd\","));
}

TEST(SourceFormatTest, ListsAndWorkExperienceUseBarAndTilde) {
  SourceProfile profile;
  profile.set_source("GM0344");
  profile.set_client_number("1");
  profile.add_days("ma");
  profile.add_days("di");
  v1::SourceWorkExperience* first = profile.add_work_experience();
  first->set_occupation("orderpicker");
  first->set_sector("logistiek");
  first->set_months(14);
  first->set_last_year(2023);
  profile.add_work_experience()->set_occupation("9112.1");
  profile.set_hours_min(0);
  profile.set_driving_licence(true);
  profile.set_action(v1::SOURCE_ACTION_UPSERT);
  std::vector<std::string> fields;
  std::istringstream in(FormatCsvRow(profile, ';'));
  engine::CsvReader reader(in, {.separator = ';'});
  ASSERT_TRUE(reader.Next(fields).ok());
  auto cell = [&](std::string_view name) {
    const std::vector<std::string>& header = CsvHeader();
    size_t index = std::find(header.begin(), header.end(), name) - header.begin();
    return fields.at(index);
  };
  EXPECT_EQ(cell("days"), "ma|di");
  EXPECT_EQ(cell("work_experience"), "orderpicker~logistiek~14~2023|9112.1~~~");
  EXPECT_EQ(cell("hours_min"), "0");
  EXPECT_EQ(cell("hours_max"), "");
  EXPECT_EQ(cell("driving_licence"), "ja");
  EXPECT_EQ(cell("action"), "upsert");
}

TEST(SourceFormatTest, SeparatorsInsideListValuesBecomeSlashes) {
  SourceProfile profile;
  profile.add_diplomas("VCA|BHV");
  profile.add_work_experience()->set_occupation("inpakker~sorteerder");
  std::string row = FormatCsvRow(profile, ';');
  EXPECT_THAT(row, HasSubstr(";VCA/BHV;"));
  EXPECT_THAT(row, HasSubstr(";inpakker/sorteerder~~~;"));
}

TEST(SourceFormatTest, EmptyCellsLeaveOptionalFieldsUnsetAndActionUnspecified) {
  CsvColumnMapping mapping = Mapping(
      {"source", "client_number", "hours_min", "driving_licence", "action", "work_experience"});
  SourceProfile profile;
  ASSERT_TRUE(ParseCsvRow(mapping, {"GM0344", "7", "", "", "", ""}, &profile).ok());
  EXPECT_FALSE(profile.has_hours_min());
  EXPECT_FALSE(profile.has_driving_licence());
  EXPECT_EQ(profile.action(), v1::SOURCE_ACTION_UNSPECIFIED);
  EXPECT_EQ(profile.work_experience_size(), 0);
  ASSERT_TRUE(
      ParseCsvRow(mapping, {"GM0344", "7", " 0 ", "nee", "delete", " ~ ~ 3 ~ "}, &profile).ok());
  EXPECT_TRUE(profile.has_hours_min());
  EXPECT_EQ(profile.hours_min(), 0);
  EXPECT_TRUE(profile.has_driving_licence());
  EXPECT_FALSE(profile.driving_licence());
  EXPECT_EQ(profile.action(), v1::SOURCE_ACTION_DELETE);
  ASSERT_EQ(profile.work_experience_size(), 1);
  EXPECT_FALSE(profile.work_experience(0).has_last_year());
  EXPECT_EQ(profile.work_experience(0).months(), 3);
}

TEST(SourceFormatTest, ReaderAcceptsCommonSpellingsOfYesNoAndActions) {
  CsvColumnMapping mapping = Mapping({"source", "client_number", "driving_licence", "action"});
  SourceProfile profile;
  for (const char* yes : {"ja", "JA", "j", "true", "1", "Yes"}) {
    ASSERT_TRUE(ParseCsvRow(mapping, {"UWV", "1", yes, "UPSERT"}, &profile).ok()) << yes;
    EXPECT_TRUE(profile.driving_licence()) << yes;
    EXPECT_EQ(profile.action(), v1::SOURCE_ACTION_UPSERT);
  }
  for (const char* no : {"nee", "Nee", "n", "false", "0", "no"}) {
    ASSERT_TRUE(ParseCsvRow(mapping, {"UWV", "1", no, "SOURCE_ACTION_DELETE"}, &profile).ok());
    EXPECT_FALSE(profile.driving_licence()) << no;
    EXPECT_EQ(profile.action(), v1::SOURCE_ACTION_DELETE);
  }
}

TEST(SourceFormatTest, ParseCsvRowClearsThePreviousProfile) {
  CsvColumnMapping mapping = Mapping({"source", "client_number"});
  SourceProfile profile = FullProfile();
  ASSERT_TRUE(ParseCsvRow(mapping, {"UWV", "9"}, &profile).ok());
  SourceProfile expected;
  expected.set_source("UWV");
  expected.set_client_number("9");
  EXPECT_TRUE(MessageDifferencer::Equals(profile, expected));
}

TEST(SourceFormatTest, DetectsSeparatorFromHeaderLine) {
  EXPECT_EQ(*DetectCsvSeparator("source;client_number;bsn"), ';');
  EXPECT_EQ(*DetectCsvSeparator("source,client_number,bsn\r\nGM0344;1;2;3;4"), ',');
  EXPECT_EQ(*DetectCsvSeparator("\xEF\xBB\xBFsource;client_number"), ';');
  EXPECT_EQ(*DetectCsvSeparator("\"a,b,c\";source;client_number"), ';');
  EXPECT_FALSE(DetectCsvSeparator("source").ok());
  EXPECT_FALSE(DetectCsvSeparator("source\tclient_number").ok());
  EXPECT_FALSE(DetectCsvSeparator("a;b,c").ok());
  EXPECT_FALSE(DetectCsvSeparator("").ok());
}

TEST(SourceFormatTest, HeaderMayHoldAnySubsetInAnyOrderIgnoringCaseAndSpaces) {
  auto mapping = CsvColumnMapping::FromHeader({"\xEF\xBB\xBF Client_Number", "BSN ", "source"});
  ASSERT_TRUE(mapping.ok()) << mapping.status();
  ASSERT_EQ(mapping->column_count(), 3u);
  EXPECT_EQ(mapping->field(0)->name(), "client_number");
  EXPECT_EQ(mapping->field(1)->name(), "bsn");
  SourceProfile profile;
  ASSERT_TRUE(ParseCsvRow(*mapping, {"42", kBsn, "GM0363"}, &profile).ok());
  EXPECT_EQ(profile.client_number(), "42");
  EXPECT_EQ(profile.bsn(), kBsn);
  EXPECT_EQ(profile.source(), "GM0363");
}

TEST(SourceFormatTest, HeaderErrorsNameTheColumn) {
  auto unknown = CsvColumnMapping::FromHeader({"source", "client_number", "shoe_size"});
  ASSERT_EQ(unknown.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(unknown.status().message(), HasSubstr("shoe_size"));
  EXPECT_EQ(ErrorField(unknown.status()), "shoe_size");

  auto missing = CsvColumnMapping::FromHeader({"source", "bsn"});
  ASSERT_EQ(missing.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(missing.status().message(), HasSubstr("client_number"));
  EXPECT_EQ(ErrorField(missing.status()), "client_number");

  auto missing_source = CsvColumnMapping::FromHeader({"client_number"});
  EXPECT_EQ(ErrorField(missing_source.status()), "source");

  auto duplicate = CsvColumnMapping::FromHeader({"source", "client_number", "bsn", "BSN"});
  ASSERT_EQ(duplicate.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(duplicate.status().message(), HasSubstr("bsn"));
  EXPECT_EQ(ErrorField(duplicate.status()), "bsn");

  auto empty = CsvColumnMapping::FromHeader({"source", "client_number", ""});
  EXPECT_EQ(empty.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(SourceFormatTest, HeaderErrorsNeverQuoteWhatLooksLikePersonalData) {
  // A file without its header row: the first data row is taken as the header.
  auto no_header =
      CsvColumnMapping::FromHeader({"GM0344", "42", kBsn, "Noëlle", kName, "06-12345678"});
  ASSERT_EQ(no_header.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(no_header.status().message(), HasSubstr("header row missing"));
  // A header with one odd column that holds a name or a BSN.
  for (const char* odd : {kName, kBsn, "noelle@example.nl", "3512 AB"}) {
    auto status = CsvColumnMapping::FromHeader({"source", "client_number", odd}).status();
    ASSERT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(status.message(), Not(HasSubstr(odd)));
    EXPECT_THAT(status.message(), HasSubstr("column 3"));
    EXPECT_EQ(ErrorField(status), "");
  }
}

TEST(SourceFormatTest, RowErrorsNameTheFieldButNeverTheValue) {
  CsvColumnMapping mapping = Mapping({"source", "client_number", "hours_min", "driving_licence",
                                      "action", "work_experience", "max_travel_km"});
  struct Case {
    std::vector<std::string> row;
    std::string field;
    std::string secret;
  };
  const Case cases[] = {
      {{"GM0344", "1", kName, "", "", "", ""}, "hours_min", kName},
      {{"GM0344", "1", "99999999999", "", "", "", ""}, "hours_min", "99999999999"},
      {{"GM0344", "1", "", kBsn, "", "", ""}, "driving_licence", kBsn},
      {{"GM0344", "1", "", "", kName, "", ""}, "action", kName},
      {{"GM0344", "1", "", "", "", "orderpicker~logistiek~12~2020|Jansen~x~Jansen~2020", ""},
       "work_experience[1].months",
       kName},
      {{"GM0344", "1", "", "", "", "a~b~1~2020~" + std::string(kBsn), ""},
       "work_experience[0]",
       kBsn},
      {{"GM0344", "1", "", "", "", "", "12,5 km"}, "max_travel_km", "12,5"},
      // Latin-1, as an old export might be: refused as text, not only where a number is due.
      {{"GM0344", "K-Jans\xE9n", "", "", "", "", ""}, "client_number", "Jans"},
  };
  for (const Case& c : cases) {
    SourceProfile profile;
    absl::Status status = ParseCsvRow(mapping, c.row, &profile);
    ASSERT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << c.field;
    EXPECT_EQ(ErrorField(status), c.field);
    EXPECT_THAT(status.message(), HasSubstr(c.field));
    EXPECT_THAT(status.message(), Not(HasSubstr(c.secret))) << status;
  }
}

TEST(SourceFormatTest, RowWithWrongNumberOfFieldsIsRejectedWithoutItsContent) {
  CsvColumnMapping mapping = Mapping({"source", "client_number", "bsn"});
  SourceProfile profile;
  absl::Status status = ParseCsvRow(mapping, {"GM0344", "1", kBsn, kName}, &profile);
  ASSERT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("4 fields"));
  EXPECT_THAT(status.message(), Not(HasSubstr(kBsn)));
  EXPECT_THAT(status.message(), Not(HasSubstr(kName)));
}

TEST(SourceFormatTest, JsonLineUsesProtoFieldNamesAndLeavesOutDefaults) {
  SourceProfile profile;
  profile.set_source("GM0344");
  profile.set_client_number("1");
  profile.set_hours_min(0);
  profile.set_action(v1::SOURCE_ACTION_DELETE);
  auto line = FormatJsonLine(profile);
  ASSERT_TRUE(line.ok());
  EXPECT_EQ(*line, R"({"source":"GM0344","client_number":"1","hours_min":0,"action":"delete"})");
}

// A delete is spelled the same way in both formats: "upsert" or "delete" in any case, as the
// import format documents; the proto's enum names are accepted too, for programs that write
// protobuf's JSON mapping.
TEST(SourceFormatTest, JsonLinesAndCsvSpellAnActionTheSameWay) {
  CsvColumnMapping mapping = Mapping({"source", "client_number", "action"});
  const std::pair<const char*, v1::SourceAction> spellings[] = {
      {"delete", v1::SOURCE_ACTION_DELETE},
      {"Delete", v1::SOURCE_ACTION_DELETE},
      {"SOURCE_ACTION_DELETE", v1::SOURCE_ACTION_DELETE},
      {"source_action_delete", v1::SOURCE_ACTION_DELETE},
      {"upsert", v1::SOURCE_ACTION_UPSERT},
      {"UPSERT", v1::SOURCE_ACTION_UPSERT},
      {"SOURCE_ACTION_UPSERT", v1::SOURCE_ACTION_UPSERT},
  };
  for (const auto& [spelling, action] : spellings) {
    SourceProfile from_json;
    absl::Status parsed = ParseJsonLine(
        absl::StrCat(R"({"source":"UWV","client_number":"1","action":")", spelling, R"("})"),
        &from_json);
    ASSERT_TRUE(parsed.ok()) << spelling << ": " << parsed;
    EXPECT_EQ(from_json.action(), action) << spelling;
    EXPECT_EQ(from_json.client_number(), "1") << spelling;
    SourceProfile from_csv;
    ASSERT_TRUE(ParseCsvRow(mapping, {"UWV", "1", spelling}, &from_csv).ok()) << spelling;
    EXPECT_EQ(from_csv.action(), action) << spelling;
  }
  // A wrong spelling is refused by both with the same words.
  SourceProfile profile;
  absl::Status json =
      ParseJsonLine(R"({"source":"UWV","client_number":"1","action":"wis"})", &profile);
  absl::Status csv = ParseCsvRow(mapping, {"UWV", "1", "wis"}, &profile);
  EXPECT_EQ(ErrorField(json), "action");
  EXPECT_EQ(json.message(), csv.message());
  EXPECT_EQ(csv.message(), "action: expected upsert or delete (or no value)");
  // The JSON writer spells it as the docs do, and the reader reads it back.
  profile.Clear();
  profile.set_source("UWV");
  profile.set_client_number("1");
  profile.set_action(v1::SOURCE_ACTION_DELETE);
  SourceProfile back;
  ASSERT_TRUE(ParseJsonLine(*FormatJsonLine(profile), &back).ok());
  EXPECT_TRUE(MessageDifferencer::Equals(profile, back));
}

TEST(SourceFormatTest, JsonLineToleratesByteOrderMarkAndCarriageReturn) {
  SourceProfile profile;
  ASSERT_TRUE(
      ParseJsonLine("\xEF\xBB\xBF{\"source\":\"UWV\",\"client_number\":\"5\"}\r", &profile).ok());
  EXPECT_EQ(profile.source(), "UWV");
  EXPECT_EQ(profile.client_number(), "5");
}

TEST(SourceFormatTest, JsonErrorsNameTheFieldButNeverTheValue) {
  struct Case {
    std::string line;
    std::string field;
    std::string secret;
  };
  const Case cases[] = {
      {R"({"source":"GM0344","hours_min":"Jansen"})", "hours_min", kName},
      {R"({"source":"GM0344","hours_min":"9234567823"})", "hours_min", "9234567823"},
      {R"({"source":"GM0344","bsn":123456782})", "bsn", kBsn},
      {R"({"driving_licence":"Jansen"})", "driving_licence", kName},
      {R"({"action":"Jansen"})", "action", kName},
      {R"({"work_experience":[{"months":12},{"months":"Jansen"}]})", "work_experience[1].months",
       kName},
      {R"({"workExperience":[{"lastYear":"Jansen"}]})", "work_experience[0].last_year", kName},
      {R"({"first_name":"Noëlle","shoe_size":"Jansen"})", "shoe_size", kName},
  };
  for (const Case& c : cases) {
    SourceProfile profile;
    absl::Status status = ParseJsonLine(c.line, &profile);
    ASSERT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << c.line;
    EXPECT_EQ(ErrorField(status), c.field) << status;
    EXPECT_THAT(status.message(), HasSubstr(c.field));
    EXPECT_THAT(status.message(), Not(HasSubstr(c.secret))) << status;
  }
}

TEST(SourceFormatTest, JsonLineThatIsNotUtf8SaysSo) {
  SourceProfile profile;
  absl::Status status = ParseJsonLine("{\"last_name\":\"Jans\xE9n\"}", &profile);
  ASSERT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("UTF-8"));
  EXPECT_THAT(status.message(), Not(HasSubstr("Jans")));
}

TEST(SourceFormatTest, MalformedJsonIsRejectedWithoutItsContent) {
  const std::string lines[] = {
      R"({"bsn":"123456782","last_name":"Jansen")",           // truncated
      R"({"bsn":"123456782","last_name":"Jansen"} Jansen)",   // trailing text
      R"({"bsn":"123456782", Jansen: 1})",                    // unquoted key
      R"(["123456782","Jansen"])",                            // not an object
      R"({"Jansen":"123456782"})",                            // unknown key that is a name
      R"({"bsn":"123456782","noelle@example.nl":"Jansen"})",  // unknown key that is an e-mail
      "   ",
  };
  for (const std::string& line : lines) {
    SourceProfile profile;
    absl::Status status = ParseJsonLine(line, &profile);
    ASSERT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << line;
    EXPECT_THAT(status.message(), Not(HasSubstr(kBsn))) << status;
    EXPECT_THAT(status.message(), Not(HasSubstr(kName))) << status;
    EXPECT_THAT(status.message(), Not(HasSubstr("noelle"))) << status;
    EXPECT_EQ(profile.bsn(), "") << "a failed parse must not leave data behind";
  }
}

}  // namespace
}  // namespace verkenner::indexer
