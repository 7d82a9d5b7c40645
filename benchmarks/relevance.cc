// Issue 14's relevance question: do the people with the experience a vacancy asks for come first
// when an employer types the job as they would say it? Runs every vacancy of the judgement set
// (benchmarks/relevance/vacatures_nl.csv, see the README there) through engine::Searcher on N
// generated profiles, nationally (no workplace), tolerant, 10 results, once with the title alone
// and once with the title and the description, and grades the results by the experience the
// index records for each person (not by the engine's own explanation). Usage:
//   relevance [PROFILES (default 100000)] [WORK_DIR (default /tmp)] [--index PATH] [--keep]
//             [--set PATH] [--worst N (default 40)] [--csv]
// Without --index it builds the index in WORK_DIR/verkenner-relevance-benchmark/index as
// search_latency does; --keep leaves it there, so that an older and a newer build can be
// measured on the same index with --index.
#include <xapian.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <unordered_map>
#include <vector>

#include "benchmarks/benchmark_index.h"
#include "benchmarks/relevance/judgement_set.h"
#include "engine/candidate_record.h"
#include "engine/refdata/reference_data.h"
#include "engine/schema.h"
#include "engine/searcher.h"

namespace {

using namespace verkenner;
using benchmarks::ExperienceCodes;
using benchmarks::JudgedVacancy;
using benchmarks::RelevanceJudge;

constexpr int kPageSize = 10;

int Fail(const absl::Status& status) {
  std::cerr << "relevance: " << status << "\n";
  return 1;
}

struct Options {
  int64_t profiles = 100000;
  std::filesystem::path work_root = "/tmp";
  std::string index;
  std::string set = benchmarks::DefaultJudgementSetPath();
  bool keep = false;
  bool csv = false;
  int worst = 40;
};

std::optional<Options> ParseArguments(int argc, char** argv) {
  Options options;
  int positional = 0;
  for (int i = 1; i < argc; ++i) {
    const std::string argument = argv[i];
    const bool has_value = i + 1 < argc;
    if (argument == "--index" && has_value) {
      options.index = argv[++i];
    } else if (argument == "--set" && has_value) {
      options.set = argv[++i];
    } else if (argument == "--worst" && has_value) {
      options.worst = std::atoi(argv[++i]);
    } else if (argument == "--keep") {
      options.keep = true;
    } else if (argument == "--csv") {
      options.csv = true;
    } else if (!argument.empty() && argument[0] != '-' && positional < 2) {
      if (positional++ == 0) {
        options.profiles = std::atoll(argument.c_str());
      } else {
        options.work_root = argument;
      }
    } else {
      return std::nullopt;
    }
  }
  if (options.index.empty() && options.profiles <= 0) return std::nullopt;
  return options;
}

// The work experience of every active profile in the index, as the index records it (the
// engine's CandidateRecord decoded from each document's search fields). Jobs are stored as
// indexes into the distinct (ESCO code, ISCO group) pairs, so that a vacancy grades each pair
// once and a person by a table look-up per job.
class IndexedExperience {
 public:
  static absl::StatusOr<IndexedExperience> Load(const std::string& index_path, int64_t today_day);

  int64_t documents() const { return documents_; }
  uint32_t people() const { return static_cast<uint32_t>(offsets_.size() - 1); }
  const std::vector<std::pair<std::string, std::string>>& job_kinds() const { return job_kinds_; }
  // Indexes into job_kinds() of one person's jobs.
  std::pair<const uint32_t*, const uint32_t*> Jobs(uint32_t person) const {
    return {jobs_.data() + offsets_[person], jobs_.data() + offsets_[person + 1]};
  }
  // The person of an active profile, or nullopt.
  std::optional<uint32_t> Find(const std::string& profile_id) const {
    auto found = person_by_id_.find(profile_id);
    if (found == person_by_id_.end()) return std::nullopt;
    return found->second;
  }

 private:
  // Reads the search fields of every document; active ones become people.
  void ReadExperience(const Xapian::Database& database, int64_t today_day,
                      std::vector<int64_t>& person_of_docid);
  uint32_t JobKind(const engine::ExperienceEntry& entry);

  int64_t documents_ = 0;
  std::vector<std::pair<std::string, std::string>> job_kinds_;
  std::map<std::pair<std::string, std::string>, uint32_t> job_kind_index_;
  std::vector<uint32_t> offsets_{0};
  std::vector<uint32_t> jobs_;
  std::unordered_map<std::string, uint32_t> person_by_id_;
};

absl::StatusOr<IndexedExperience> IndexedExperience::Load(const std::string& index_path,
                                                          int64_t today_day) {
  IndexedExperience loaded;
  try {
    Xapian::Database database(index_path);
    loaded.documents_ = database.get_doccount();
    std::vector<int64_t> person_of_docid(database.get_lastdocid() + 1, -1);
    loaded.ReadExperience(database, today_day, person_of_docid);
    // The profile id is the document's unique term (schema::kPrefixProfileId).
    const std::string prefix = engine::schema::kPrefixProfileId;
    for (auto term = database.allterms_begin(prefix); term != database.allterms_end(prefix);
         ++term) {
      const Xapian::docid docid = *database.postlist_begin(*term);
      if (person_of_docid[docid] < 0) continue;
      loaded.person_by_id_.emplace((*term).substr(prefix.size()),
                                   static_cast<uint32_t>(person_of_docid[docid]));
    }
  } catch (const Xapian::Error& error) {
    return engine::StatusFromXapianError(error);
  }
  return loaded;
}

void IndexedExperience::ReadExperience(const Xapian::Database& database, int64_t today_day,
                                       std::vector<int64_t>& person_of_docid) {
  engine::CandidateRecord record;
  const Xapian::valueno slot = engine::schema::kSlotSearchFields;
  for (auto value = database.valuestream_begin(slot); value != database.valuestream_end(slot);
       ++value) {
    // A malformed value matches nothing in the engine either (ReadRecord), so it is skipped.
    if (!engine::DecodeSearchFields(*value, record)) continue;
    if (record.retain_until_day < today_day) continue;  // expired: never served
    person_of_docid[value.get_docid()] = people();
    for (const engine::ExperienceEntry& entry : record.experience) {
      jobs_.push_back(JobKind(entry));
    }
    offsets_.push_back(static_cast<uint32_t>(jobs_.size()));
  }
}

uint32_t IndexedExperience::JobKind(const engine::ExperienceEntry& entry) {
  std::pair<std::string, std::string> kind(
      entry.esco_code, entry.isco_code.empty()
                           ? std::string(benchmarks::UnitGroupOf(entry.esco_code))
                           : entry.isco_code);
  auto [found, inserted] = job_kind_index_.emplace(kind, static_cast<uint32_t>(job_kinds_.size()));
  if (inserted) job_kinds_.push_back(std::move(kind));
  return found->second;
}

// One vacancy's judgement applied to the index: the grade of every job kind and of every person.
class GradedIndex {
 public:
  GradedIndex(const JudgedVacancy& vacancy, const IndexedExperience& index) : index_(index) {
    const RelevanceJudge judge(vacancy);
    for (const auto& [esco, isco] : index.job_kinds()) {
      const std::vector<ExperienceCodes> job = {{esco, isco}};
      grade_.push_back(static_cast<int8_t>(judge.Grade(job)));
      not_first_.push_back(judge.HasNotFirstExperience(job));
    }
    for (uint32_t person = 0; person < index.people(); ++person) {
      const int grade = Grade(person);
      relevant_people += grade == RelevanceJudge::kRelevant;
      related_people += grade == RelevanceJudge::kRelated;
    }
  }

  int Grade(uint32_t person) const {
    int grade = 0;
    auto [job, end] = index_.Jobs(person);
    for (; job != end; ++job) grade = std::max<int>(grade, grade_[*job]);
    return grade;
  }
  bool NotFirst(uint32_t person) const {
    auto [job, end] = index_.Jobs(person);
    return std::any_of(job, end, [&](uint32_t kind) { return not_first_[kind] != 0; });
  }

  int64_t relevant_people = 0;  // grade 2
  int64_t related_people = 0;   // grade 1

 private:
  const IndexedExperience& index_;
  std::vector<int8_t> grade_;
  std::vector<uint8_t> not_first_;
};

enum class Pass { kTitle, kTitleAndDescription };
const char* PassName(Pass pass) { return pass == Pass::kTitle ? "title" : "title + description"; }

struct Outcome {
  const JudgedVacancy* vacancy = nullptr;
  bool esco_label = false;  // the title is an ESCO preferred or alternative label
  int64_t total = 0;
  bool text_ignored = false;      // nothing in the title was recognised: results without it
  bool spelling_applied = false;  // the results are those of a typo correction
  int64_t relevant_people = 0;
  int64_t related_people = 0;
  std::vector<int> grades;       // of the results shown, best first
  bool first_not_first = false;  // first result has not_first and no relevant experience
  std::string first_experience;  // occupations of the first result, for people
  double precision = 0;          // P@10
  double ndcg = 0;               // nDCG@10 (linear gain)

  bool answerable() const { return relevant_people > 0; }
  int first_grade() const { return grades.empty() ? -1 : grades[0]; }
};

// DCG with the grade as gain: sum of grade_i / log2(i + 2) over the first 10.
double DiscountedGain(const std::vector<int>& grades) {
  double gain = 0;
  for (size_t i = 0; i < grades.size() && i < kPageSize; ++i) {
    gain += grades[i] / std::log2(static_cast<double>(i) + 2);
  }
  return gain;
}

// The best DCG the index allows: its relevant people first, then the related ones.
double IdealGain(int64_t relevant_people, int64_t related_people) {
  std::vector<int> ideal;
  for (int64_t i = 0; i < relevant_people && ideal.size() < kPageSize; ++i) ideal.push_back(2);
  for (int64_t i = 0; i < related_people && ideal.size() < kPageSize; ++i) ideal.push_back(1);
  return DiscountedGain(ideal);
}

std::string DescribeExperience(const IndexedExperience& index, uint32_t person,
                               const engine::ReferenceData& reference) {
  std::string text;
  auto [job, end] = index.Jobs(person);
  for (; job != end; ++job) {
    const std::string& esco = index.job_kinds()[*job].first;
    const engine::OccupationInfo* occupation =
        esco.empty() ? nullptr : reference.FindOccupation(esco);
    if (!text.empty()) text += "; ";
    text += occupation != nullptr ? occupation->label + " (" + esco + ")" : "free text";
  }
  return text.empty() ? "no experience" : text;
}

absl::StatusOr<Outcome> Judge(engine::Searcher& searcher, const JudgedVacancy& vacancy, Pass pass,
                              const IndexedExperience& index, const GradedIndex& graded,
                              const engine::ReferenceData& reference) {
  engine::SearchQuery query;
  query.text = vacancy.query;
  if (pass == Pass::kTitleAndDescription && !vacancy.description.empty()) {
    query.text += " " + vacancy.description;
  }
  query.unknown_fields = engine::UnknownFieldPolicy::kTolerant;
  query.page_size = kPageSize;
  query.today_day = benchmarks::kBenchmarkToday;
  auto result = searcher.Search(query);
  if (!result.ok()) return result.status();

  Outcome outcome;
  outcome.vacancy = &vacancy;
  outcome.esco_label = reference.FindOccupation(vacancy.query) != nullptr;
  outcome.total = result->total;
  outcome.text_ignored = result->text_ignored;
  outcome.spelling_applied = result->spelling_applied;
  outcome.relevant_people = graded.relevant_people;
  outcome.related_people = graded.related_people;
  for (const engine::CandidateMatch& match : result->matches) {
    std::optional<uint32_t> person = index.Find(match.profile_id);
    if (!person.has_value()) {
      return absl::InternalError("a result is not an active profile of the index");
    }
    outcome.grades.push_back(graded.Grade(*person));
    if (outcome.grades.size() == 1) {
      outcome.first_not_first =
          graded.NotFirst(*person) && outcome.grades[0] != RelevanceJudge::kRelevant;
      outcome.first_experience = DescribeExperience(index, *person, reference);
    }
  }
  outcome.precision =
      std::count(outcome.grades.begin(), outcome.grades.end(), RelevanceJudge::kRelevant) /
      static_cast<double>(kPageSize);
  const double ideal = IdealGain(outcome.relevant_people, outcome.related_people);
  outcome.ndcg = ideal > 0 ? DiscountedGain(outcome.grades) / ideal : 0;
  return outcome;
}

// Means over the answerable queries (relevant people exist in the index) of one group.
struct Summary {
  int64_t queries = 0;
  int64_t unanswerable = 0;
  double precision = 0;
  double ndcg = 0;
  int64_t first_relevant = 0;
  int64_t first_related = 0;  // grade 1 or 2
  int64_t zero_results = 0;
  int64_t text_ignored = 0;
  int64_t spelling_applied = 0;
  int64_t first_not_first = 0;

  void Add(const Outcome& outcome) {
    if (!outcome.answerable()) {
      ++unanswerable;
      return;
    }
    ++queries;
    precision += outcome.precision;
    ndcg += outcome.ndcg;
    first_relevant += outcome.first_grade() == RelevanceJudge::kRelevant;
    first_related += outcome.first_grade() >= RelevanceJudge::kRelated;
    zero_results += outcome.total == 0;
    text_ignored += outcome.text_ignored;
    spelling_applied += outcome.spelling_applied;
    first_not_first += outcome.first_not_first;
  }
  void Print(const std::string& group) const {
    const double n = std::max<double>(1, static_cast<double>(queries));
    std::printf("%-22s %7lld %6.3f %8.3f %10.3f %10.3f %9.3f %9.3f %9.3f %10.3f\n", group.c_str(),
                static_cast<long long>(queries), precision / n, ndcg / n, first_relevant / n,
                first_related / n, zero_results / n, text_ignored / n, spelling_applied / n,
                first_not_first / n);
  }
};

void PrintSummaries(const std::vector<Outcome>& outcomes, Pass pass) {
  Summary all;
  Summary esco_label;
  Summary other_words;
  std::map<std::string, Summary> per_kind;
  for (const Outcome& outcome : outcomes) {
    all.Add(outcome);
    (outcome.esco_label ? esco_label : other_words).Add(outcome);
    per_kind[outcome.vacancy->kind].Add(outcome);
  }
  std::printf(
      "\npass: %s (%lld queries with relevant people in the index; %lld without, left out)\n",
      PassName(pass), static_cast<long long>(all.queries),
      static_cast<long long>(all.unanswerable));
  std::printf("%-22s %7s %6s %8s %10s %10s %9s %9s %9s %10s\n", "group", "queries", "P@10",
              "nDCG@10", "1st relev", "1st relat", "0 results", "ignored", "corrected", "1st trap");
  all.Print("all");
  for (std::string_view kind : benchmarks::kVacancyKinds) {
    per_kind[std::string(kind)].Print(std::string(kind));
  }
  esco_label.Print("title is ESCO label");
  other_words.Print("title not ESCO label");
}

bool Failed(const Outcome& outcome) {
  return outcome.answerable() && outcome.first_grade() != RelevanceJudge::kRelevant;
}

// The queries an engineer should look at: no results although relevant people exist, or a first
// result without relevant experience; zero results and traps first, then by how many relevant
// people the engine passed over.
void PrintWorst(std::vector<Outcome> outcomes, Pass pass, int limit) {
  std::erase_if(outcomes, [](const Outcome& outcome) { return !Failed(outcome); });
  std::stable_sort(outcomes.begin(), outcomes.end(), [](const Outcome& a, const Outcome& b) {
    auto key = [](const Outcome& o) {
      return std::make_tuple(o.total != 0, !o.first_not_first, -o.relevant_people);
    };
    return key(a) < key(b);
  });
  std::printf("\nworst queries, pass %s: %zu with a first result without relevant experience\n",
              PassName(pass), outcomes.size());
  int shown = 0;
  for (const Outcome& o : outcomes) {
    if (shown++ == limit) {
      std::printf("  ... and %zu more (--csv lists every query)\n", outcomes.size() - limit);
      break;
    }
    std::printf("  %-15s \"%s\": %lld relevant people in the index; ", o.vacancy->kind.c_str(),
                o.vacancy->query.c_str(), static_cast<long long>(o.relevant_people));
    if (o.total == 0) {
      std::printf("0 results\n");
      continue;
    }
    std::printf("%lld results, %lld relevant in the top 10; first (%s%s): %s\n",
                static_cast<long long>(o.total),
                static_cast<long long>(std::count(o.grades.begin(), o.grades.end(), 2)),
                o.first_grade() == 1 ? "related" : "not relevant",
                o.first_not_first ? ", a not_first trap" : "", o.first_experience.c_str());
  }
}

std::string CsvField(const std::string& text) {
  std::string quoted = "\"";
  for (char c : text) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
  return quoted + "\"";
}

void PrintCsv(const std::vector<Outcome>& outcomes, Pass pass) {
  for (const Outcome& o : outcomes) {
    std::printf("%s,%s,%s,%lld,%lld,%lld,%d,%d,%.3f,%.3f,%s\n", CsvField(PassName(pass)).c_str(),
                o.vacancy->kind.c_str(), CsvField(o.vacancy->query).c_str(),
                static_cast<long long>(o.total), static_cast<long long>(o.relevant_people),
                static_cast<long long>(o.related_people), o.first_grade(),
                o.first_not_first ? 1 : 0, o.precision, o.ndcg,
                CsvField(o.first_experience).c_str());
  }
}

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

int main(int argc, char** argv) {
  const std::optional<Options> options = ParseArguments(argc, argv);
  if (!options.has_value()) {
    std::cerr << "usage: relevance [PROFILES] [WORK_DIR] [--index PATH] [--keep] [--set PATH] "
                 "[--worst N] [--csv]\n";
    return 2;
  }
  auto reference = engine::ReferenceData::Load(engine::ReferenceData::DefaultDirectory());
  if (!reference.ok()) return Fail(reference.status());
  auto vacancies = benchmarks::ReadJudgementSet(options->set);
  if (!vacancies.ok()) return Fail(vacancies.status());
  if (auto problems = benchmarks::CheckJudgementSet(*vacancies, **reference); !problems.empty()) {
    for (const std::string& problem : problems) std::cerr << "relevance: " << problem << "\n";
    return 1;
  }

  const std::filesystem::path work = options->work_root / "verkenner-relevance-benchmark";
  std::string index_path = options->index;
  std::optional<benchmarks::ImportedIndex> built;
  if (index_path.empty()) {
    std::filesystem::remove_all(work);
    std::filesystem::create_directories(work);
    std::printf("building the index of %lld generated profiles in %s ...\n",
                static_cast<long long>(options->profiles), (work / "index").c_str());
    std::fflush(stdout);
    auto result = benchmarks::BuildGeneratedIndex(*reference, options->profiles, work);
    if (!result.ok()) return Fail(result.status());
    built = std::move(*result);
    index_path = (work / "index").string();
  }

  auto load_start = std::chrono::steady_clock::now();
  auto index = IndexedExperience::Load(index_path, benchmarks::kBenchmarkToday);
  if (!index.ok()) return Fail(index.status());
  const double load_seconds = SecondsSince(load_start);
  auto searcher = engine::Searcher::Open(index_path, *reference);
  if (!searcher.ok()) return Fail(searcher.status());

  std::map<Pass, std::vector<Outcome>> outcomes;
  const auto search_start = std::chrono::steady_clock::now();
  for (const JudgedVacancy& vacancy : *vacancies) {
    const GradedIndex graded(vacancy, *index);
    for (Pass pass : {Pass::kTitle, Pass::kTitleAndDescription}) {
      auto outcome = Judge(**searcher, vacancy, pass, *index, graded, **reference);
      if (!outcome.ok()) return Fail(outcome.status());
      outcomes[pass].push_back(std::move(*outcome));
    }
  }
  const double judge_seconds = SecondsSince(search_start);

  std::printf("\nrelevance on the judgement set %s: %zu vacancies, 2 passes\n",
              options->set.c_str(), vacancies->size());
  std::printf("index                   %s\n", index_path.c_str());
  std::printf("documents               %lld (%u active profiles read for grading in %.1f s)\n",
              static_cast<long long>(index->documents()), index->people(), load_seconds);
  if (built.has_value()) {
    std::printf("generated profiles      %lld\n", static_cast<long long>(options->profiles));
    std::printf("index build time        %.1f s (import, disclosure count, compaction)\n",
                built->seconds);
  }
  std::printf("searching and grading   %.1f s for %zu searches\n", judge_seconds,
              2 * vacancies->size());
  std::printf(
      "columns: P@10 = share of the 10 results with relevant experience; nDCG@10 with gain 2 "
      "(relevant) and 1 (related: same ISCO unit group as a relevant occupation); 1st relev / 1st "
      "relat = share of queries whose first result is relevant / at least related; 0 results = "
      "share with no result at all; ignored = share whose text was left out as unrecognised "
      "(the results are those without text: never a dead end, but no answer to the words); "
      "corrected = share searched as a typo correction; 1st trap = share whose first result "
      "has a not_first occupation and no relevant one\n");
  for (Pass pass : {Pass::kTitle, Pass::kTitleAndDescription}) PrintSummaries(outcomes[pass], pass);
  for (Pass pass : {Pass::kTitle, Pass::kTitleAndDescription}) {
    PrintWorst(outcomes[pass], pass, options->worst);
  }
  if (options->csv) {
    std::printf(
        "\npass,kind,query,total,relevant_people,related_people,first_grade,"
        "first_not_first,p_at_10,ndcg_at_10,first_experience\n");
    for (Pass pass : {Pass::kTitle, Pass::kTitleAndDescription}) PrintCsv(outcomes[pass], pass);
  }
  if (!options->keep && options->index.empty()) {
    std::error_code ignored;
    std::filesystem::remove_all(work, ignored);
  } else if (built.has_value()) {
    std::printf("\nkept %s for later runs with --index\n", index_path.c_str());
  }
  return 0;
}
