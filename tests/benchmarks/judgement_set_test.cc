#include "benchmarks/relevance/judgement_set.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>

#include "engine/refdata/reference_data.h"

namespace verkenner::benchmarks {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

class JudgementSetTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto loaded = engine::ReferenceData::Load(engine::ReferenceData::DefaultDirectory());
    ASSERT_TRUE(loaded.ok()) << loaded.status();
    reference_ = new std::shared_ptr<const engine::ReferenceData>(*loaded);
  }
  static void TearDownTestSuite() {
    delete reference_;
    reference_ = nullptr;
  }
  static const engine::ReferenceData& reference() { return **reference_; }

  static std::shared_ptr<const engine::ReferenceData>* reference_;
};
std::shared_ptr<const engine::ReferenceData>* JudgementSetTest::reference_ = nullptr;

std::string WriteFile(const std::string& name, const std::string& text) {
  const std::string path = (std::filesystem::path(::testing::TempDir()) / name).string();
  std::ofstream(path, std::ios::binary) << text;
  return path;
}

JudgedVacancy Vacancy(std::string query, std::vector<JudgedCode> relevant,
                      std::vector<JudgedCode> not_first = {}, std::string kind = "informal") {
  static int64_t line = 1;
  return {++line, std::move(query), "", std::move(relevant), std::move(not_first), std::move(kind)};
}

TEST_F(JudgementSetTest, CommittedSetIsSound) {
  auto vacancies = ReadJudgementSet(DefaultJudgementSetPath());
  ASSERT_TRUE(vacancies.ok()) << vacancies.status();
  EXPECT_GE(vacancies->size(), 200u);
  EXPECT_THAT(CheckJudgementSet(*vacancies, reference()), IsEmpty());
}

TEST_F(JudgementSetTest, CommittedSetCoversEveryKindAndTheIssuesCases) {
  auto vacancies = ReadJudgementSet(DefaultJudgementSetPath());
  ASSERT_TRUE(vacancies.ok()) << vacancies.status();
  std::map<std::string, size_t> per_kind;
  for (const JudgedVacancy& vacancy : *vacancies) ++per_kind[vacancy.kind];
  for (std::string_view kind : kVacancyKinds) {
    EXPECT_GT(per_kind[std::string(kind)], 0u) << kind;
  }
  for (const char* kind : {"compound", "split-compound", "gendered", "medewerker-x", "x-medewerker",
                           "informal", "misspelling"}) {
    EXPECT_GE(per_kind[kind], 15u) << kind;
  }
  // Not built from ESCO's preferred labels alone.
  EXPECT_LE(per_kind["preferred-label"] * 100, vacancies->size() * 15);
  for (const char* query : {"medewerker schoonmaak", "medewerker bediening",
                            "medewerker groenvoorziening", "administratief medewerker", "afwasser",
                            "afvalophaler", "magazijnmedewerker", "medewerker magazijn"}) {
    EXPECT_TRUE(std::any_of(vacancies->begin(), vacancies->end(), [&](const JudgedVacancy& v) {
      return v.query == query;
    })) << query;
  }
}

TEST_F(JudgementSetTest, CheckNamesEachProblem) {
  const std::vector<JudgedVacancy> vacancies = {
      Vacancy("schoonmaker", {{"9112.2", false}}, {{"8160.3", false}}),  // sound
      Vacancy("Schoonmaker", {{"9112.2", false}}),                       // duplicate
      Vacancy("kok", {{"5120.1", false}, {"9999", true}}),               // unknown group
      Vacancy("ober", {{"5131.77", false}}),                             // unknown code
      Vacancy("afwasser", {{"9412.2", false}}, {}, "slang"),             // unknown kind
      Vacancy("keukenhulp", {}),                                         // nothing relevant
      Vacancy("bordenwasser", {{"9412", true}}, {{"9412.1", false}}),    // not_first in group
      Vacancy("medewerker keuken", {{"9412.2", false}}, {{"9412", true}}),
  };
  std::vector<std::string> problems = CheckJudgementSet(vacancies, reference());
  ASSERT_THAT(problems, SizeIs(7));
  EXPECT_THAT(problems[0], HasSubstr("the same query"));
  EXPECT_THAT(problems[1], HasSubstr("unknown code isco:9999"));
  EXPECT_THAT(problems[2], HasSubstr("unknown code 5131.77"));
  EXPECT_THAT(problems[3], HasSubstr("unknown kind 'slang'"));
  EXPECT_THAT(problems[4], HasSubstr("no relevant occupation"));
  EXPECT_THAT(problems[5], HasSubstr("9412.1 is both relevant and not_first"));
  EXPECT_THAT(problems[6], HasSubstr("isco:9412 is both relevant and not_first"));
}

TEST(JudgementSetReadTest, ReadsQuotedCellsAndIscoGroups) {
  const std::string path =
      WriteFile("judged.csv",
                "query,description,relevant,not_first,kind\r\n"
                "afwasser,\"Je wast af, en ruimt op.\",9412.2|isco:9412,8160.3,informal\r\n"
                "kok,,5120.1,,preferred-label\r\n");
  auto vacancies = ReadJudgementSet(path);
  ASSERT_TRUE(vacancies.ok()) << vacancies.status();
  ASSERT_THAT(*vacancies, SizeIs(2));
  const JudgedVacancy& afwasser = (*vacancies)[0];
  EXPECT_EQ(afwasser.description, "Je wast af, en ruimt op.");
  EXPECT_THAT(afwasser.relevant,
              ElementsAre(JudgedCode{"9412.2", false}, JudgedCode{"9412", true}));
  EXPECT_THAT(afwasser.not_first, ElementsAre(JudgedCode{"8160.3", false}));
  EXPECT_EQ(afwasser.line, 2);
  EXPECT_THAT((*vacancies)[1].not_first, IsEmpty());
}

TEST(JudgementSetReadTest, RejectsAnotherHeaderOrAShortRow) {
  EXPECT_FALSE(ReadJudgementSet(WriteFile("header.csv", "title,relevant\nkok,5120.1\n")).ok());
  auto short_row = ReadJudgementSet(
      WriteFile("short.csv", "query,description,relevant,not_first,kind\nkok,,5120.1\n"));
  ASSERT_FALSE(short_row.ok());
  EXPECT_THAT(short_row.status().message(), HasSubstr("line 2"));
  EXPECT_EQ(ReadJudgementSet("/nonexistent/judged.csv").status().code(),
            absl::StatusCode::kNotFound);
}

TEST(RelevanceJudgeTest, GradesTheJobItselfAboveItsSiblings) {
  const RelevanceJudge judge(
      Vacancy("medewerker schoonmaak", {{"9112.2", false}, {"9111", true}}, {{"8160.3", false}}));
  EXPECT_EQ(judge.Grade({{"9112.2", "9112"}}), RelevanceJudge::kRelevant);
  EXPECT_EQ(judge.Grade({{"9111.1", "9111"}}), RelevanceJudge::kRelevant);  // isco: group
  EXPECT_EQ(judge.Grade({{"9112.4", "9112"}}), RelevanceJudge::kRelated);   // sibling
  EXPECT_EQ(judge.Grade({{"8160.3", "8160"}, {"9112.4", "9112"}, {"9112.2", "9112"}}),
            RelevanceJudge::kRelevant);  // the best job counts
  EXPECT_EQ(judge.Grade({{"8160.3", "8160"}}), 0);
  EXPECT_EQ(judge.Grade({{"", ""}}), 0);
  EXPECT_EQ(judge.Grade({}), 0);
  EXPECT_TRUE(judge.HasNotFirstExperience({{"9112.2", "9112"}, {"8160.3", "8160"}}));
  EXPECT_FALSE(judge.HasNotFirstExperience({{"9112.2", "9112"}}));
}

TEST(RelevanceJudgeTest, UnitGroupIsTheCodeBeforeTheFirstDot) {
  EXPECT_EQ(UnitGroupOf("4110.1.1"), "4110");
  EXPECT_EQ(UnitGroupOf("9412"), "9412");
}

}  // namespace
}  // namespace verkenner::benchmarks
