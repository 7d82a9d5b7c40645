#include "engine/refdata/csv_reader.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sstream>

namespace verkenner::engine {
namespace {

using ::testing::ElementsAre;

std::vector<std::vector<std::string>> ReadAll(const std::string& text, char separator = ',') {
  std::istringstream in(text);
  CsvReader::Options options;
  options.separator = separator;
  CsvReader reader(in, options);
  std::vector<std::vector<std::string>> records;
  std::vector<std::string> fields;
  while (true) {
    auto more = reader.Next(fields);
    EXPECT_TRUE(more.ok()) << more.status();
    if (!more.ok() || !*more) break;
    records.push_back(fields);
  }
  return records;
}

TEST(CsvReaderTest, QuotedFieldsKeepSeparatorsQuotesAndNewlines) {
  auto records = ReadAll("a;\"b;c\";\"say \"\"hi\"\"\"\n\"two\nlines\";x;\n", ';');
  ASSERT_EQ(records.size(), 2u);
  EXPECT_THAT(records[0], ElementsAre("a", "b;c", "say \"hi\""));
  EXPECT_THAT(records[1], ElementsAre("two\nlines", "x", ""));
}

TEST(CsvReaderTest, CrLfLineEndsAndByteOrderMarkAreRemoved) {
  auto records = ReadAll("\xEF\xBB\xBFname,code\r\nUtrecht,GM0344\r\n");
  ASSERT_EQ(records.size(), 2u);
  EXPECT_THAT(records[0], ElementsAre("name", "code"));
  EXPECT_THAT(records[1], ElementsAre("Utrecht", "GM0344"));
}

TEST(CsvReaderTest, LastLineWithoutNewlineIsARecord) {
  EXPECT_THAT(ReadAll("a,b\nc,d"), ElementsAre(ElementsAre("a", "b"), ElementsAre("c", "d")));
}

TEST(CsvReaderTest, UnclosedQuoteIsAnErrorThatNamesTheLineNotTheContent) {
  std::istringstream in("ok,1\n\"123456782,Jansen\n");
  CsvReader reader(in, {});
  std::vector<std::string> fields;
  ASSERT_TRUE(*reader.Next(fields));
  auto result = reader.Next(fields);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(result.status().message()), ::testing::HasSubstr("line 2"));
  EXPECT_THAT(std::string(result.status().message()),
              ::testing::Not(::testing::HasSubstr("Jansen")));
}

TEST(CsvReaderTest, OverlongRecordIsRefusedAndReadingGoesOn) {
  std::istringstream in(std::string(100, 'x') + "\nnext,row\n");
  CsvReader::Options options;
  options.max_record_bytes = 50;
  CsvReader reader(in, options);
  std::vector<std::string> fields;
  EXPECT_FALSE(reader.Next(fields).ok());
  auto next = reader.Next(fields);
  ASSERT_TRUE(next.ok());
  EXPECT_THAT(fields, ElementsAre("next", "row"));
}

TEST(SplitMultiValueTest, DropsEmptyPartsAndTrims) {
  EXPECT_THAT(SplitMultiValue(" a | b||c "), ElementsAre("a", "b", "c"));
  EXPECT_TRUE(SplitMultiValue("").empty());
}

}  // namespace
}  // namespace verkenner::engine
