#ifndef VERKENNER_BENCHMARKS_RELEVANCE_JUDGEMENT_SET_H_
#define VERKENNER_BENCHMARKS_RELEVANCE_JUDGEMENT_SET_H_

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "engine/refdata/reference_data.h"

// Issue 14's judgement set (benchmarks/relevance/vacatures_nl.csv, described in the README next
// to it): vacancy titles as Dutch employers type them, each with the occupations whose experience
// answers it. The relevance benchmark and its ctest check read it through this header only.
namespace verkenner::benchmarks {

// The forms a vacancy title takes; every row names one (see the README for their meaning).
inline constexpr std::array<std::string_view, 11> kVacancyKinds = {
    "preferred-label", "alt-label",    "compound", "split-compound", "gendered",   "slash",
    "medewerker-x",    "x-medewerker", "informal", "misspelling",    "description"};

// An occupation in a judgement: an ESCO code ("9412.2"), or a whole ISCO-08 unit group, written
// "isco:9412" in the file and kept here without the prefix.
struct JudgedCode {
  std::string code;
  bool isco_group = false;

  bool operator==(const JudgedCode&) const = default;
};

struct JudgedVacancy {
  int64_t line = 0;  // of the file, for messages
  std::string query;
  std::string description;  // may be empty
  std::vector<JudgedCode> relevant;
  std::vector<JudgedCode> not_first;  // may be empty
  std::string kind;
};

// The path of the committed set in this checkout.
std::string DefaultJudgementSetPath();

// Reads the set: UTF-8 CSV read by engine::ForEachCsvRow, whose header names the columns query,
// description, relevant, not_first and kind; cells with several codes separate them with '|'.
// Errors: NotFound for a missing file, InvalidArgument naming the line for a malformed one. Does
// not judge the content; CheckJudgementSet does.
absl::StatusOr<std::vector<JudgedVacancy>> ReadJudgementSet(const std::string& path);

// Everything that makes a set unusable, one message per problem naming the line: a code that is
// neither an ESCO occupation nor an ISCO-08 unit group of `reference`, an unknown kind, a query
// that occurs twice (case-insensitively), an empty relevant cell, or a not_first occupation that
// is also relevant (itself, or through a relevant ISCO group). Empty when the set is sound.
std::vector<std::string> CheckJudgementSet(const std::vector<JudgedVacancy>& vacancies,
                                           const engine::ReferenceData& reference);

// One job of a person, as the index records it.
struct ExperienceCodes {
  std::string_view esco_code;  // may be empty (free text that matched no occupation)
  std::string_view isco_code;
};

// How one judged vacancy grades people by their experience (graded relevance for nDCG):
//   2  experience in a relevant ESCO occupation or in a relevant ISCO group ("isco:"): the
//      employer's judgement says this person has done the job;
//   1  otherwise experience in the ISCO unit group of a relevant ESCO occupation (a sibling
//      occupation: related work, not the job itself);
//   0  neither.
// A person's grade is the best over their jobs. Immutable; safe to share between threads.
class RelevanceJudge {
 public:
  static constexpr int kRelevant = 2;
  static constexpr int kRelated = 1;

  explicit RelevanceJudge(const JudgedVacancy& vacancy);

  int Grade(const std::vector<ExperienceCodes>& experience) const;
  // Whether some job is a not_first occupation (an ESCO code or a code in a not_first group).
  bool HasNotFirstExperience(const std::vector<ExperienceCodes>& experience) const;

 private:
  std::vector<std::string> relevant_esco_;
  std::vector<std::string> relevant_isco_;  // "isco:" groups
  std::vector<std::string> related_isco_;   // unit groups of the relevant ESCO codes
  std::vector<std::string> not_first_esco_;
  std::vector<std::string> not_first_isco_;
};

// The ISCO-08 unit group of an ESCO code: the part before the first '.' ("9412" of "9412.2").
std::string_view UnitGroupOf(std::string_view esco_code);

}  // namespace verkenner::benchmarks

#endif  // VERKENNER_BENCHMARKS_RELEVANCE_JUDGEMENT_SET_H_
