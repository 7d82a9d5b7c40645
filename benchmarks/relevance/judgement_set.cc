#include "benchmarks/relevance/judgement_set.h"

#include <algorithm>
#include <unordered_map>
#include <unordered_set>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "engine/refdata/csv_reader.h"

namespace verkenner::benchmarks {
namespace {

constexpr std::string_view kIscoPrefix = "isco:";
constexpr std::array<const char*, 5> kColumns = {"query", "description", "relevant", "not_first",
                                                 "kind"};

std::vector<JudgedCode> ParseCodes(const std::string& cell) {
  std::vector<JudgedCode> codes;
  for (std::string& part : engine::SplitMultiValue(cell)) {
    if (std::string_view(part).starts_with(kIscoPrefix)) {
      codes.push_back({part.substr(kIscoPrefix.size()), true});
    } else {
      codes.push_back({std::move(part), false});
    }
  }
  return codes;
}

bool Contains(const std::vector<std::string>& values, std::string_view value) {
  return std::find(values.begin(), values.end(), value) != values.end();
}

std::string Written(const JudgedCode& code) {
  return code.isco_group ? std::string(kIscoPrefix) + code.code : code.code;
}

// The ESCO codes and the ISCO unit groups that have at least one ESCO occupation.
struct KnownCodes {
  std::unordered_set<std::string> esco;
  std::unordered_set<std::string> isco;

  explicit KnownCodes(const engine::ReferenceData& reference) {
    for (const engine::OccupationInfo& occupation : reference.occupations()) {
      esco.insert(occupation.esco_code);
      isco.insert(occupation.isco_code);
    }
  }
  bool Knows(const JudgedCode& code) const {
    return code.isco_group ? isco.contains(code.code) : esco.contains(code.code);
  }
};

// Whether `code` (of not_first) is among `relevant`, itself or inside a relevant ISCO group.
bool CoveredBy(const JudgedCode& code, const std::vector<JudgedCode>& relevant) {
  for (const JudgedCode& judged : relevant) {
    if (judged == code) return true;
    if (judged.isco_group && !code.isco_group && UnitGroupOf(code.code) == judged.code) {
      return true;
    }
    if (code.isco_group && !judged.isco_group && UnitGroupOf(judged.code) == code.code) {
      return true;
    }
  }
  return false;
}

}  // namespace

std::string DefaultJudgementSetPath() { return VERKENNER_JUDGEMENT_SET_PATH; }

std::string_view UnitGroupOf(std::string_view esco_code) {
  return esco_code.substr(0, esco_code.find('.'));
}

absl::StatusOr<std::vector<JudgedVacancy>> ReadJudgementSet(const std::string& path) {
  std::vector<JudgedVacancy> vacancies;
  absl::Status status = engine::ForEachCsvRow(
      path, {kColumns.begin(), kColumns.end()}, [&](const engine::CsvRowGetter& get, int64_t line) {
        vacancies.push_back({line, get("query"), get("description"), ParseCodes(get("relevant")),
                             ParseCodes(get("not_first")), get("kind")});
        return absl::OkStatus();
      });
  if (!status.ok()) return status;
  return vacancies;
}

std::vector<std::string> CheckJudgementSet(const std::vector<JudgedVacancy>& vacancies,
                                           const engine::ReferenceData& reference) {
  const KnownCodes known(reference);
  std::vector<std::string> problems;
  std::unordered_map<std::string, int64_t> line_of_query;
  for (const JudgedVacancy& vacancy : vacancies) {
    auto problem = [&](const std::string& what) {
      problems.push_back(absl::StrCat("line ", vacancy.line, " (", vacancy.query, "): ", what));
    };
    const auto [first, inserted] =
        line_of_query.emplace(absl::AsciiStrToLower(vacancy.query), vacancy.line);
    if (!inserted) problem(absl::StrCat("the same query as line ", first->second));
    if (vacancy.query.empty()) problem("empty query");
    if (std::find(kVacancyKinds.begin(), kVacancyKinds.end(), vacancy.kind) ==
        kVacancyKinds.end()) {
      problem(absl::StrCat("unknown kind '", vacancy.kind, "'"));
    }
    if (vacancy.relevant.empty()) problem("no relevant occupation");
    for (const auto* codes : {&vacancy.relevant, &vacancy.not_first}) {
      for (const JudgedCode& code : *codes) {
        if (!known.Knows(code)) problem(absl::StrCat("unknown code ", Written(code)));
      }
    }
    for (const JudgedCode& code : vacancy.not_first) {
      if (CoveredBy(code, vacancy.relevant)) {
        problem(absl::StrCat(Written(code), " is both relevant and not_first"));
      }
    }
  }
  return problems;
}

RelevanceJudge::RelevanceJudge(const JudgedVacancy& vacancy) {
  for (const JudgedCode& code : vacancy.relevant) {
    if (code.isco_group) {
      relevant_isco_.push_back(code.code);
    } else {
      relevant_esco_.push_back(code.code);
      related_isco_.emplace_back(UnitGroupOf(code.code));
    }
  }
  for (const JudgedCode& code : vacancy.not_first) {
    (code.isco_group ? not_first_isco_ : not_first_esco_).push_back(code.code);
  }
}

int RelevanceJudge::Grade(const std::vector<ExperienceCodes>& experience) const {
  int grade = 0;
  for (const ExperienceCodes& job : experience) {
    if ((!job.esco_code.empty() && Contains(relevant_esco_, job.esco_code)) ||
        (!job.isco_code.empty() && Contains(relevant_isco_, job.isco_code))) {
      return kRelevant;
    }
    if (!job.isco_code.empty() && Contains(related_isco_, job.isco_code)) grade = kRelated;
  }
  return grade;
}

bool RelevanceJudge::HasNotFirstExperience(const std::vector<ExperienceCodes>& experience) const {
  for (const ExperienceCodes& job : experience) {
    if ((!job.esco_code.empty() && Contains(not_first_esco_, job.esco_code)) ||
        (!job.isco_code.empty() && Contains(not_first_isco_, job.isco_code))) {
      return true;
    }
  }
  return false;
}

}  // namespace verkenner::benchmarks
