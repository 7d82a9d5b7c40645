#include "engine/searcher.h"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <map>
#include <optional>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "base/disk_space.h"
#include "engine/banenafspraak.h"
#include "engine/candidate_record.h"
#include "engine/disclosure_control.h"
#include "engine/index_layout.h"
#include "engine/schema.h"

namespace verkenner::engine {
namespace {

// Longest vacancy text read, and most distinct words used, so that a pasted document cannot
// make a search expensive.
constexpr size_t kMaxQueryTextBytes = 2000;
constexpr size_t kMaxQueryTerms = 32;
// How many times more profiles must hold an occupation word than a typo of it for the search to
// take the occupation word instead (Searcher::TypoCorrection).
constexpr double kTypoFrequencyRatio = 10;

std::string Readable(std::string code) {
  std::replace(code.begin(), code.end(), '_', ' ');
  return code;
}

std::string FormatBanen(double hours) {
  std::string text = absl::StrFormat("%.2f", hours / kHoursPerBaan);
  std::replace(text.begin(), text.end(), '.', ',');  // Dutch decimal comma
  return text;
}

// "1 december 2026".
std::string FormatDate(int64_t day) {
  static constexpr const char* kMonths[] = {"januari",   "februari", "maart",    "april",
                                            "mei",       "juni",     "juli",     "augustus",
                                            "september", "oktober",  "november", "december"};
  const std::chrono::year_month_day date{std::chrono::sys_days(std::chrono::days(day))};
  return absl::StrCat(static_cast<unsigned>(date.day()), " ",
                      kMonths[static_cast<unsigned>(date.month()) - 1], " ",
                      static_cast<int>(date.year()));
}

std::string FormatExperience(int months) {
  if (months < 12) return absl::StrCat(months, months == 1 ? " maand" : " maanden");
  int years = months / 12;
  return absl::StrCat(years, " jaar");
}

// The reasons of one match, each with its share of the score: its feature's weighted
// contribution over the sum of them.
class ReasonList {
 public:
  ReasonList(const RankedCandidate& ranked, std::vector<MatchReason>& reasons)
      : ranked_(ranked), reasons_(reasons) {
    for (float contribution : ranked.contribution) total_ += contribution;
  }
  // Whether the vacancy asked about `feature`.
  bool Asked(ranking::Feature feature) const { return (ranked_.present & (1u << feature)) != 0; }
  void Add(ReasonCode code, std::string text, ranking::Feature feature) {
    const double share = total_ > 0 ? ranked_.contribution[feature] / total_ : 0;
    reasons_.push_back({code, std::move(text), share});
  }
  // A field the vacancy asked about that the profile leaves unknown: no share of the score.
  void AddUnknown(std::string text) {
    reasons_.push_back({ReasonCode::kUnknownField, std::move(text), 0});
  }

 private:
  const RankedCandidate& ranked_;
  std::vector<MatchReason>& reasons_;
  double total_ = 0;
};

// "3 jaar ervaring als orderpicker", for the experience entry that matched.
void ExplainOccupation(const RankedCandidate& ranked, const CandidateRecord& record,
                       ReasonList& reasons) {
  if (ranked.matched_esco_code.empty()) return;
  for (const ExperienceEntry& entry : record.experience) {
    const bool same = ranked.matched_related ? entry.isco_code == ranked.matched_esco_code
                                             : entry.esco_code == ranked.matched_esco_code;
    if (!same) continue;
    if (ranked.matched_related) {
      reasons.Add(
          ReasonCode::kRelatedOccupation,
          absl::StrCat(FormatExperience(entry.months), " ervaring in verwant beroep ", entry.label),
          ranking::kOccupation);
    } else {
      reasons.Add(ReasonCode::kOccupationExperience,
                  absl::StrCat(FormatExperience(entry.months), " ervaring als ", entry.label),
                  ranking::kOccupation);
    }
    return;
  }
}

// "beschikbaar 16-24 uur per week (0,94 baan) op ma, di vanaf 31 december 2026".
std::string AvailabilityText(const SearchQuery& query, const CandidateRecord& record) {
  std::string text = "beschikbaar";
  if (record.availability_known()) {
    const std::string hours = *record.hours_min == *record.hours_max
                                  ? absl::StrCat(*record.hours_max)
                                  : absl::StrCat(*record.hours_min, "-", *record.hours_max);
    absl::StrAppend(&text, " ", hours, " uur per week (", FormatBanen(*record.hours_max), " baan)");
  }
  if (query.days != 0 && record.days_known()) {
    static constexpr const char* kDays[] = {"ma", "di", "wo", "do", "vr", "za", "zo"};
    std::vector<std::string> days;
    for (int day = 0; day < 7; ++day) {
      if (record.days & (1u << day)) days.push_back(kDays[day]);
    }
    absl::StrAppend(&text, " op ", absl::StrJoin(days, ", "));
  }
  if (record.available_from_day.has_value() && *record.available_from_day > query.today_day) {
    absl::StrAppend(&text, " vanaf ", FormatDate(*record.available_from_day));
  }
  return text;
}

// Which of the vacancy's affinities and sectors the profile has, as an affinity or as
// experience in that sector; empty if none.
std::string AffinityText(const SearchQuery& query, const CandidateRecord& record) {
  std::vector<std::string> wanted = query.affinities;
  wanted.insert(wanted.end(), query.sectors.begin(), query.sectors.end());
  std::vector<std::string> affinities;
  std::vector<std::string> sectors;
  for (const std::string& item : wanted) {
    const std::string key = NormalizeKey(item);
    if (std::any_of(record.affinities.begin(), record.affinities.end(),
                    [&](const std::string& a) { return NormalizeKey(a) == key; })) {
      affinities.push_back(Readable(item));
    } else if (std::any_of(
                   record.experience.begin(), record.experience.end(),
                   [&](const ExperienceEntry& e) { return NormalizeKey(e.sector) == key; })) {
      sectors.push_back(item);
    }
  }
  std::vector<std::string> parts;
  if (!affinities.empty()) parts.push_back("affiniteit met " + absl::StrJoin(affinities, ", "));
  if (!sectors.empty()) parts.push_back("ervaring in de sector " + absl::StrJoin(sectors, ", "));
  return absl::StrJoin(parts, "; ");
}

// "deze maand bijgewerkt", "3 maanden geleden bijgewerkt"; for a confirmation of the
// availability, "beschikbaarheid deze maand bevestigd".
std::string FreshnessText(int64_t age_days, bool confirmation) {
  const std::string when =
      age_days < 31
          ? std::string("deze maand")
          : absl::StrCat(age_days / 30, age_days / 30 == 1 ? " maand" : " maanden", " geleden");
  return confirmation ? absl::StrCat("beschikbaarheid ", when, " bevestigd")
                      : absl::StrCat(when, " bijgewerkt");
}

// The same day `months` calendar months before `day` (days since 1970-01-01), or the last day of
// that month when it is shorter.
int64_t MonthsBefore(int64_t day, int months) {
  using namespace std::chrono;
  const year_month_day date{sys_days(days(day))};
  const year_month earlier = year_month(date.year(), date.month()) - std::chrono::months(months);
  const year_month_day_last last{earlier.year(), month_day_last(earlier.month())};
  const year_month_day same{earlier.year(), earlier.month(), std::min(date.day(), last.day())};
  return sys_days(same).time_since_epoch().count();
}

// Page tokens name the index state they were made for (generation and every shard's revision),
// so a page from a changed index is refused rather than silently skipping or repeating
// candidates.
std::string MakePageToken(const std::string& index_state, int offset) {
  return absl::StrCat("r", index_state, "o", offset);
}

absl::Status ParsePageToken(const std::string& token, const std::string& current_state,
                            int& offset) {
  offset = 0;
  if (token.empty()) return absl::OkStatus();
  const size_t o = token.rfind('o');
  if (token.size() < 4 || token[0] != 'r' || o == std::string::npos || o < 2 ||
      !absl::SimpleAtoi(absl::string_view(token).substr(o + 1), &offset) || offset < 0) {
    return absl::InvalidArgumentError("page_token: not a token from a previous response");
  }
  if (token.compare(1, o - 1, current_state) != 0) {
    return absl::FailedPreconditionError(
        "page_token: the index has changed since the previous page; search again from the "
        "first page");
  }
  return absl::OkStatus();
}

// Identifies one version of the stub file: compaction replaces it by rename, so a new inode or
// modification time means a new generation.
std::string StubIdentity(const std::string& index_path) {
  struct stat info {};
  const std::string stub = (std::filesystem::path(index_path) / kStubFileName).string();
  if (::stat(stub.c_str(), &info) != 0) return "";
  return absl::StrCat(info.st_ino, ":", info.st_mtim.tv_sec, ".", info.st_mtim.tv_nsec);
}

}  // namespace

void CompletenessCount::Add(const CandidateRecord& record) {
  ++profiles;
  missing_education += record.education_known() ? 0 : 1;
  missing_experience += record.experience_known() ? 0 : 1;
  missing_availability += record.availability_known() ? 0 : 1;
  missing_travel_distance += record.travel_distance_known() ? 0 : 1;
  missing_affinities += record.affinities_known() ? 0 : 1;
}

void CompletenessCount::Add(const CompletenessCount& other) {
  profiles += other.profiles;
  missing_education += other.missing_education;
  missing_experience += other.missing_experience;
  missing_availability += other.missing_availability;
  missing_travel_distance += other.missing_travel_distance;
  missing_affinities += other.missing_affinities;
}

DistanceBand BandForDistance(double km) {
  if (km < 5) return DistanceBand::k0To5;
  if (km < 10) return DistanceBand::k5To10;
  if (km < 20) return DistanceBand::k10To20;
  if (km < 30) return DistanceBand::k20To30;
  return DistanceBand::k30Plus;
}

const char* DistanceBandLabel(DistanceBand band) {
  switch (band) {
    case DistanceBand::k0To5:
      return "0-5 km";
    case DistanceBand::k5To10:
      return "5-10 km";
    case DistanceBand::k10To20:
      return "10-20 km";
    case DistanceBand::k20To30:
      return "20-30 km";
    case DistanceBand::k30Plus:
      return "30+ km";
    case DistanceBand::kUnknown:
      break;
  }
  return "onbekend";
}

namespace {

// Xapian keeps the errno of a failed system call private and offers only its text. The whole
// description is searched, because Xapian wraps some failures in another error whose message
// quotes the first ("Modifications failed (DatabaseError: Error writing block 13 (No space left
// on device))").
bool IsDiskSpaceError(const Xapian::Error& error) {
  const std::string description = error.get_description();
  for (int code : {ENOSPC, EDQUOT}) {
    if (description.find(std::strerror(code)) != std::string::npos) return true;
  }
  return false;
}

}  // namespace

// The message of the DatabaseNotFoundError a searcher that awaits its index
// (Searcher::OpenAwaiting) throws while there is none. (Xapian::Error is not polymorphic: a
// class of our own could not be told apart from it.)
constexpr char kNoIndexYet[] = "verkenner: no index yet";

namespace {

bool IsAwaitedIndex(const Xapian::Error& error) {
  return error.get_type() == std::string("DatabaseNotFoundError") && error.get_msg() == kNoIndexYet;
}

}  // namespace

absl::Status StatusFromXapianError(const Xapian::Error& error) {
  if (IsAwaitedIndex(error)) {
    return absl::UnavailableError(
        "this instance has no search index yet: it is fetching the index writer's; retry on "
        "another instance or in a moment");
  }
  // Xapian's messages name files and terms, not profile content, but terms can come from a
  // vacancy text; report the error class only.
  if (IsDiskSpaceError(error)) return base::DiskFullError("search index");
  const std::string type = error.get_type();
  if (type == "DatabaseOpeningError" || type == "DatabaseNotFoundError") {
    return absl::NotFoundError(absl::StrCat("search index cannot be opened (", type, ")"));
  }
  if (type == "DatabaseModifiedError" || type == "DatabaseLockError") {
    return absl::UnavailableError(absl::StrCat("search index is busy (", type, "); retry"));
  }
  return absl::InternalError(absl::StrCat("search index error (", type, ")"));
}

Searcher::Searcher(std::string index_path, std::shared_ptr<const ReferenceData> reference_data,
                   std::shared_ptr<CandidateIndexCache> cache,
                   std::shared_ptr<const QueryVocabulary> vocabulary,
                   std::shared_ptr<const OccupationSuggester> suggester)
    : index_path_(std::move(index_path)),
      switch_lock_(index_path_),
      reference_data_(std::move(reference_data)),
      text_analysis_(reference_data_->stopwords()),
      term_generator_(text_analysis_.MakeTermGenerator()),
      cache_(cache != nullptr ? std::move(cache) : std::make_shared<CandidateIndexCache>()),
      vocabulary_(std::move(vocabulary)),
      suggester_(suggester != nullptr ? std::move(suggester)
                                      : std::make_shared<OccupationSuggester>(*reference_data_)) {}

absl::Status Searcher::OpenGeneration() {
  const std::string identity = StubIdentity(index_path_);
  absl::StatusOr<IndexLayout> layout = ReadIndexLayout(index_path_);
  if (!layout.ok()) return layout.status();
  std::vector<Xapian::Database> shards;
  Xapian::Database combined;
  for (const std::string& path : layout->shard_paths) {
    shards.emplace_back(path);
    const std::string version = shards.back().get_metadata(schema::kSchemaVersionKey);
    if (!schema::IsReadableSchemaVersion(version)) {
      return absl::FailedPreconditionError(
          absl::StrCat("index at ", index_path_, " has schema version '", version,
                       "', this program reads ", schema::kOldestReadableSchemaVersion, " to ",
                       schema::kSchemaVersion, "; rebuild the index"));
    }
    combined.add_database(shards.back());
  }
  shards_ = std::move(shards);
  database_ = std::move(combined);
  generation_ = layout->generation;
  stub_identity_ = identity;
  loaded_state_.clear();
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<Searcher>> Searcher::Open(
    const std::string& index_path, std::shared_ptr<const ReferenceData> reference_data,
    std::shared_ptr<CandidateIndexCache> cache, std::shared_ptr<const QueryVocabulary> vocabulary,
    std::shared_ptr<const OccupationSuggester> suggester) {
  return OpenIndex(index_path, std::move(reference_data), std::move(cache), std::move(vocabulary),
                   std::move(suggester), /*awaiting=*/false, nullptr);
}

absl::StatusOr<std::unique_ptr<Searcher>> Searcher::OpenAwaiting(
    const std::string& index_path, std::shared_ptr<const ReferenceData> reference_data,
    std::shared_ptr<CandidateIndexCache> cache, std::shared_ptr<const QueryVocabulary> vocabulary,
    std::shared_ptr<const OccupationSuggester> suggester,
    std::function<bool()> may_serve_unpublished) {
  return OpenIndex(index_path, std::move(reference_data), std::move(cache), std::move(vocabulary),
                   std::move(suggester), /*awaiting=*/true, std::move(may_serve_unpublished));
}

absl::StatusOr<std::unique_ptr<Searcher>> Searcher::OpenIndex(
    const std::string& index_path, std::shared_ptr<const ReferenceData> reference_data,
    std::shared_ptr<CandidateIndexCache> cache, std::shared_ptr<const QueryVocabulary> vocabulary,
    std::shared_ptr<const OccupationSuggester> suggester, bool awaiting,
    std::function<bool()> may_serve_unpublished) {
  if (vocabulary == nullptr) {
    absl::StatusOr<std::shared_ptr<const QueryVocabulary>> made =
        QueryVocabulary::Create(*reference_data);
    if (!made.ok()) return made.status();
    vocabulary = *std::move(made);
  }
  std::unique_ptr<Searcher> searcher(new Searcher(index_path, std::move(reference_data),
                                                  std::move(cache), std::move(vocabulary),
                                                  std::move(suggester)));
  searcher->may_serve_unpublished_ = std::move(may_serve_unpublished);
  try {
    absl::Status status = searcher->OpenGeneration();
    if (awaiting && absl::IsNotFound(status)) return searcher;  // CatchUp() opens it once there
    if (!status.ok()) return status;
    searcher->Refresh();
    return searcher;
  } catch (const Xapian::Error& error) {
    if (awaiting && IsAwaitedIndex(error)) return searcher;  // a state not published yet
    return StatusFromXapianError(error);
  }
}

void Searcher::Prefetch() {
  try {
    Refresh();
  } catch (const Xapian::Error&) {
    // A commit raced the load, or the index is being replaced; the next round retries.
  }
}

absl::StatusOr<int64_t> Searcher::DocumentCount() {
  try {
    CatchUp();
    return static_cast<int64_t>(database_.get_doccount());
  } catch (const Xapian::Error& error) {
    return StatusFromXapianError(error);
  }
}

absl::StatusOr<ResolvedQuery> Searcher::Resolve(const SearchQuery& query, const std::string& text) {
  ResolvedQuery resolved;
  resolved.query = &query;
  resolved.unknown_travel_km = unknown_travel_km_;
  resolved.hidden_documents = &hidden_documents_;
  resolved.confirmed_documents = &confirmed_documents_;
  if (absl::Status status = ParsePageToken(query.page_token, TokenState(), resolved.offset);
      !status.ok()) {
    return status;
  }
  if (resolved.offset >= CandidateIndex::kMaxReachableResults) {
    return absl::InvalidArgumentError(
        absl::StrCat("page_token: results beyond the first ", CandidateIndex::kMaxReachableResults,
                     " are not served; narrow the search to reach the others"));
  }
  ResolveTextTerms(text, resolved);
  auto add_occupation = [&](const std::string& code) {
    if (std::find(resolved.esco_codes.begin(), resolved.esco_codes.end(), code) ==
        resolved.esco_codes.end()) {
      resolved.esco_codes.push_back(code);
    }
  };
  for (const std::string& code : query.esco_codes) add_occupation(code);
  // Occupation labels in the text, alternative labels included, count as occupations asked for:
  // a vacancy for an "orderpicker" finds experienced warehouse workers.
  for (const std::string& code : vocabulary_->OccupationsNamedIn(text)) add_occupation(code);
  for (const std::string& code : resolved.esco_codes) {
    const OccupationInfo* occupation = reference_data_->FindOccupation(code);
    if (occupation != nullptr && !occupation->isco_code.empty() &&
        std::find(resolved.isco_codes.begin(), resolved.isco_codes.end(), occupation->isco_code) ==
            resolved.isco_codes.end()) {
      resolved.isco_codes.push_back(occupation->isco_code);
    }
  }
  if (!query.min_education_code.empty() && query.education != Requirement::kNone) {
    const EducationLevelInfo* level = reference_data_->FindEducationLevel(query.min_education_code);
    if (level == nullptr) {
      return absl::InvalidArgumentError("vacancy.education.minimum_level_code: unknown level");
    }
    resolved.minimum_education_ordinal = level->ordinal;
  }
  return resolved;
}

std::string Searcher::Stem(const std::string& word) {
  std::vector<std::string> terms = TermsOf(word);
  return terms.empty() ? std::string() : std::move(terms.front());
}

std::vector<std::string> Searcher::TermsOf(const std::string& text) {
  Xapian::Document scratch;
  term_generator_.set_document(scratch);
  term_generator_.index_text_without_positions(text);
  return {scratch.termlist_begin(), scratch.termlist_end()};
}

// The vacancy's words (QueryVocabulary::SearchWords: generic words left out when the text has
// others that some profile holds, compound parts added) become the terms profiles were indexed
// with, through the indexer's own term generator (Dutch stems, stop words left out).
void Searcher::ResolveTextTerms(const std::string& text, ResolvedQuery& resolved) {
  typed_words_.clear();
  auto reaches = [&](const std::string& word) {
    std::vector<std::string> forms = TextAnalysis::WordParts(word);
    forms.push_back(word);
    return std::any_of(forms.begin(), forms.end(),
                       [&](const std::string& form) { return ProfilesHoldWord(form); });
  };
  for (SearchWord& word : vocabulary_->SearchWords(text, reaches)) {
    TypedWord typed{std::move(word.word), {}, word.says_nothing};
    for (const std::string& form : word.forms) {
      for (std::string& term : TermsOf(form)) typed.terms.push_back(std::move(term));
    }
    for (const std::string& term : typed.terms) {
      if (resolved.text_terms.size() < kMaxQueryTerms &&
          std::find(resolved.text_terms.begin(), resolved.text_terms.end(), term) ==
              resolved.text_terms.end()) {
        resolved.text_terms.push_back(term);
      }
    }
    typed_words_.push_back(std::move(typed));
  }
}

// "komt overeen met: schoonmaak": the vacancy's words, as typed, whose terms the profile holds;
// never a word that says nothing about a job ("medewerker"), so a profile matched by such words
// only gets no text reason.
std::string Searcher::MatchedWordsText(const RankedCandidate& ranked) const {
  std::vector<std::string> words;
  for (const TypedWord& typed : typed_words_) {
    if (typed.says_nothing) continue;
    const bool matched = std::any_of(typed.terms.begin(), typed.terms.end(), [&](const auto& t) {
      return std::find(ranked.matched_terms.begin(), ranked.matched_terms.end(), t) !=
             ranked.matched_terms.end();
    });
    if (matched && std::find(words.begin(), words.end(), typed.word) == words.end()) {
      words.push_back(typed.word);
    }
  }
  return words.empty() ? "" : absl::StrCat("komt overeen met: ", absl::StrJoin(words, ", "));
}

bool Searcher::ProfilesHoldWord(const std::string& word) {
  const std::string stem = Stem(word);
  return stem.empty() || candidates_->HasTextTerm(stem);  // stop words count as held
}

std::string Searcher::SpellingSuggestion(const std::string& text) {
  return vocabulary_->SuggestSpelling(
      text, [&](const std::string& word) { return !ProfilesHoldWord(word); },
      [&](const std::string& word) { return TextTermFrequency(word); }, /*min_ratio=*/1);
}

// A typo is a word that is neither Dutch (DutchWords::Spells: Hunspell with OpenTaal's rules)
// nor a word of an occupation label, and that has an occupation word within a typing error or
// two that reaches many more profiles (PeopleReachedBy): the search takes that word instead,
// and says so. Imported
// profiles hold typos too ("keukehulp"), so a typo is not told by whether some profile holds
// it. A real word ("astronaut", "maakt") is never replaced; a text of which nothing is known is
// then left out (RecognisesNothing).
std::string Searcher::TypoCorrection(const std::string& text) {
  const DutchWords& dutch = vocabulary_->dutch_words();
  return vocabulary_->SuggestSpelling(
      text,
      [&](const std::string& word) {
        return !vocabulary_->IsLabelWord(word) && !dutch.Spells(word);
      },
      [&](const std::string& word) { return PeopleReachedBy(word); }, kTypoFrequencyRatio);
}

// At least: the profiles that hold the word, and those with experience in an occupation the
// word names ("vakkenvuller", an alternative label, is in no profile's text, but its people are).
int64_t Searcher::PeopleReachedBy(const std::string& word) {
  int64_t reached = TextTermFrequency(word);
  for (const std::string& code : vocabulary_->OccupationsNamedIn(word)) {
    reached = std::max(reached, candidates_->OccupationFrequency(code));
  }
  return reached;
}

int64_t Searcher::TextTermFrequency(const std::string& word) {
  const std::string stem = Stem(word);
  return stem.empty() ? 0 : candidates_->TextTermFrequency(stem);
}

bool Searcher::RecognisesNothing(const ResolvedQuery& resolved) const {
  return !resolved.text_terms.empty() && resolved.esco_codes.empty() &&
         resolved.isco_codes.empty() &&
         std::none_of(resolved.text_terms.begin(), resolved.text_terms.end(),
                      [&](const std::string& term) { return candidates_->HasTextTerm(term); });
}

int64_t Searcher::PeopleWithOccupation(const ResolvedQuery& without_text,
                                       const std::string& esco_code) const {
  SearchQuery count_only = *without_text.query;
  count_only.page_size = 1;  // the total is what counts
  count_only.facets.clear();
  ResolvedQuery occupation = without_text;
  occupation.query = &count_only;
  occupation.offset = 0;
  occupation.esco_codes = {esco_code};
  return candidates_->Match(occupation).total;
}

void Searcher::DescribeIgnoredText(const ResolvedQuery& without_text, SearchResult& result) {
  const std::string& text = without_text.query->text;
  for (const std::string& word : QueryVocabulary::Words(text.substr(0, kMaxQueryTextBytes))) {
    if (result.unknown_words.size() == kMaxQueryTerms) break;
    const std::string stem = Stem(word);
    if (stem.empty() || candidates_->HasTextTerm(stem)) continue;  // a stop word or known
    if (std::find(result.unknown_words.begin(), result.unknown_words.end(), word) ==
        result.unknown_words.end()) {
      result.unknown_words.push_back(word);
    }
  }
  result.suggested_occupations = suggester_->Suggest(
      result.unknown_words,
      [&](const std::string& code) { return PeopleWithOccupation(without_text, code); });
}

void Searcher::Explain(const SearchQuery& query, const RankedCandidate& ranked,
                       const CandidateRecord& record, CandidateMatch& match) const {
  using namespace ranking;
  ReasonList reasons(ranked, match.reasons);
  if (reasons.Asked(kOccupation) && ranked.contribution[kOccupation] > 0) {
    ExplainOccupation(ranked, record, reasons);
  }
  if (reasons.Asked(kText) && !ranked.matched_terms.empty()) {
    if (std::string words = MatchedWordsText(ranked); !words.empty()) {
      reasons.Add(ReasonCode::kText, std::move(words), kText);
    }
  }
  if (reasons.Asked(kDistance)) {
    std::string text = absl::StrCat("woont op ", DistanceBandLabel(match.distance_band));
    if (match.assumed_travel_km > 0) {
      absl::StrAppend(&text, "; reisafstand onbekend: gezocht binnen ", match.assumed_travel_km,
                      " km");
    }
    reasons.Add(ReasonCode::kDistance, std::move(text), kDistance);
  }
  if (ranked.availability_unknown) {
    reasons.AddUnknown("beschikbaarheid onbekend");
  } else if (record.availability_known() || (reasons.Asked(kAvailability) && record.days_known())) {
    reasons.Add(ReasonCode::kAvailability, AvailabilityText(query, record), kAvailability);
  }
  if (ranked.education_unknown) {
    reasons.AddUnknown("opleidingsniveau onbekend");
  } else if (reasons.Asked(kEducation) && ranked.contribution[kEducation] > 0) {
    const EducationLevelInfo* level = reference_data_->FindEducationLevel(record.education_code);
    reasons.Add(
        ReasonCode::kEducation,
        absl::StrCat("opleiding: ", level != nullptr ? level->label : record.education_code),
        kEducation);
  }
  if (reasons.Asked(kAffinity) && ranked.contribution[kAffinity] > 0) {
    if (std::string text = AffinityText(query, record); !text.empty()) {
      reasons.Add(ReasonCode::kAffinity, std::move(text), kAffinity);
    }
  }
  reasons.Add(ReasonCode::kCompleteness,
              absl::StrCat("profiel ", std::lround(record.Completeness() * 100), "% compleet"),
              kCompleteness);
  const int64_t confirmed = record.availability_confirmed_day.value_or(0);  // 0: never
  reasons.Add(ReasonCode::kFreshness,
              FreshnessText(query.today_day - std::max(record.updated_day, confirmed),
                            confirmed > record.updated_day),
              kFreshness);
  std::stable_sort(match.reasons.begin(), match.reasons.end(),
                   [](const MatchReason& a, const MatchReason& b) { return a.share > b.share; });
}

absl::StatusOr<SearchResult> Searcher::SearchOnce(const SearchQuery& query) {
  const std::string text =
      vocabulary_->JoinSplitCompounds(query.text.substr(0, kMaxQueryTextBytes));
  SearchResult result;
  result.spelling_suggestion = TypoCorrection(text);
  result.spelling_applied = !result.spelling_suggestion.empty();
  absl::StatusOr<ResolvedQuery> resolved =
      Resolve(query, result.spelling_applied ? result.spelling_suggestion : text);
  if (!resolved.ok()) return resolved.status();
  // Never a dead end: a text of which nothing is known would find nobody whatever the other
  // criteria say, so the search shows who meets those instead, and says why.
  result.text_ignored = RecognisesNothing(*resolved);
  if (result.text_ignored) resolved->text_terms.clear();
  MatchOutcome outcome = candidates_->Match(*resolved);

  result.total = outcome.total;
  const int next_offset = resolved->offset + static_cast<int>(outcome.page.size());
  if (!outcome.page.empty() && next_offset < result.total &&
      next_offset < CandidateIndex::kMaxReachableResults) {
    result.next_page_token = MakePageToken(TokenState(), next_offset);
  }
  if (result.text_ignored) DescribeIgnoredText(*resolved, result);
  if ((result.total == 0 || result.text_ignored) && !result.spelling_applied && !text.empty()) {
    result.spelling_suggestion = SpellingSuggestion(text);
  }
  AddMatches(query, outcome.page, result);
  AddFacets(outcome.facet_counts, result);
  return result;
}

void Searcher::AddMatches(const SearchQuery& query, const std::vector<RankedCandidate>& page,
                          SearchResult& result) {
  for (const RankedCandidate& ranked : page) {
    Xapian::Document document;
    try {
      document = database_.get_document(ranked.docid);
    } catch (const Xapian::DocNotFoundError&) {
      continue;  // withdrawn since the image was loaded
    }
    CandidateMatch match;
    match.record = ReadRecord(document);
    if (IsHidden(match.record)) continue;  // hidden since the image was loaded
    match.profile_id = match.record.profile_id;
    match.score = ranked.score;
    if (ranked.distance_km >= 0) match.distance_band = BandForDistance(ranked.distance_km);
    DescribeShown(match, query.today_day);
    Explain(query, ranked, match.record, match);
    result.matches.push_back(std::move(match));
  }
}

void Searcher::AddFacets(const std::map<FacetKind, std::map<std::string, int64_t>>& facet_counts,
                         SearchResult& result) const {
  for (const auto& [facet, counts] : facet_counts) {
    std::vector<FacetValueCount>& values = result.facets[facet];
    for (const auto& [value, count] : counts) {
      std::string label = value;
      if (facet == FacetKind::kEducationLevel) {
        if (const EducationLevelInfo* level = reference_data_->FindEducationLevel(value)) {
          label = level->label;
        }
      } else if (facet == FacetKind::kRegion) {
        if (const LabourMarketRegion* region = reference_data_->FindRegion(value)) {
          label = region->name;
        }
      } else if (facet == FacetKind::kAffinity) {
        label = Readable(value);
      }
      values.push_back({value, std::move(label), count});
    }
    std::stable_sort(
        values.begin(), values.end(),
        [](const FacetValueCount& a, const FacetValueCount& b) { return a.count > b.count; });
  }
}

void Searcher::Refresh() {
  // Asked even when the state is the same: a background merge may have replaced the image of
  // this state by a full load, which searches faster.
  candidates_ = cache_->Get(CatchUp(), database_, shards_, loads_images_);
  FindAnnotatedDocuments();
}

void Searcher::MergeImage() {
  try {
    std::shared_ptr<const CandidateIndex> merged = CandidateIndex::Load(database_, CatchUp());
    const std::string state = CatchUp();
    cache_->InstallMerged(std::move(merged), database_, shards_, state);
  } catch (const Xapian::Error&) {
    // A compaction or a commit raced the load; the next round tries again.
  }
}

std::string Searcher::TokenState() const {
  for (const auto& [state, published] : published_names_) {
    if (state == candidates_->state() && !published.empty()) return published;
  }
  return candidates_->state();
}

std::string Searcher::CatchUp() {
  // A follower is applying a change set: stay on the state these handles hold until it is done.
  // The first state is taken regardless (nothing is served yet).
  if (!switch_lock_.TryShared() && !loaded_state_.empty()) return loaded_state_;
  struct Unlock {
    IndexSwitchLock& lock;
    ~Unlock() { lock.Unlock(); }
  } unlock{switch_lock_};
  if (StubIdentity(index_path_) != stub_identity_) {
    // A compaction published a new generation. The old one may already be gone from disk when
    // the stub was read just before the switch, so try twice.
    absl::Status status = OpenGeneration();
    if (!status.ok()) status = OpenGeneration();
    if (!status.ok()) throw Xapian::DatabaseOpeningError(std::string(status.message()));
  } else if (shards_.empty()) {
    throw Xapian::DatabaseNotFoundError(kNoIndexYet);  // awaited, and there is no stub yet
  } else {
    database_.reopen();  // reopens every shard, which the handles in shards_ share
  }
  IndexState index_state;
  index_state.generation = generation_;
  for (const Xapian::Database& shard : shards_) {
    index_state.revisions.push_back(static_cast<uint32_t>(shard.get_revision()));
  }
  const std::string state = index_state.Name();
  // Before the first state: one nobody published is awaited too, unless this process may serve
  // its own (OpenAwaiting).
  if (loaded_state_.empty() && may_serve_unpublished_ != nullptr &&
      schema::PublishedStateName(shards_).empty() && !may_serve_unpublished_()) {
    throw Xapian::DatabaseNotFoundError(kNoIndexYet);
  }
  if (state != loaded_state_) {
    shown_details_ = DecodeDetails(shards_[0].get_metadata(kShownDetailsKey));
    loaded_state_ = state;
    // The image may lag the handles: each state keeps its published name for a while.
    published_names_.emplace_back(state, schema::PublishedStateName(shards_));
    if (published_names_.size() > 8) published_names_.erase(published_names_.begin());
  }
  return state;
}

void Searcher::FindAnnotatedDocuments() {
  std::shared_ptr<const ProfileAnnotations> annotations =
      annotations_source_ ? annotations_source_() : std::shared_ptr<const ProfileAnnotations>();
  if (annotations == annotations_ && annotated_state_ == candidates_->state()) return;
  annotations_ = std::move(annotations);
  annotated_state_ = candidates_->state();
  hidden_documents_.clear();
  confirmed_documents_.clear();
  if (annotations_ == nullptr) return;
  // Document ids stay those of the image: a re-import replaces a document under its id.
  auto document_of = [&](const std::string& profile_id) -> std::optional<Xapian::docid> {
    const std::string term = schema::ProfileIdTerm(profile_id);
    Xapian::PostingIterator posting = database_.postlist_begin(term);
    if (posting == database_.postlist_end(term)) return std::nullopt;
    return *posting;
  };
  for (const std::string& profile_id : annotations_->hidden) {
    if (std::optional<Xapian::docid> d = document_of(profile_id)) hidden_documents_.push_back(*d);
  }
  for (const auto& [profile_id, day] : annotations_->availability_confirmed_day) {
    if (std::optional<Xapian::docid> d = document_of(profile_id)) {
      confirmed_documents_.emplace_back(*d, static_cast<int32_t>(day));
    }
  }
  std::sort(hidden_documents_.begin(), hidden_documents_.end());
  std::sort(confirmed_documents_.begin(), confirmed_documents_.end());
}

bool Searcher::IsHidden(const CandidateRecord& record) const {
  return record.hidden_at_source ||
         (annotations_ != nullptr && annotations_->hidden.contains(record.profile_id));
}

void Searcher::DescribeShown(CandidateMatch& match, int64_t today_day) const {
  CandidateRecord& record = match.record;
  match.assumed_travel_km = record.travel_distance_known() ? 0 : unknown_travel_km_;
  if (annotations_ != nullptr) {
    const auto confirmed = annotations_->availability_confirmed_day.find(record.profile_id);
    if (confirmed != annotations_->availability_confirmed_day.end() &&
        confirmed->second > record.availability_confirmed_day.value_or(0)) {
      record.availability_confirmed_day = confirmed->second;
    }
  }
  match.availability_unconfirmed =
      !record.availability_confirmed_day.has_value() ||
      *record.availability_confirmed_day < MonthsBefore(today_day, confirmation_months_);
  const ShownDetail detail =
      record.municipality_code.empty()
          ? ShownDetail::kRegionOnly
          : DetailOf(shown_details_, record.municipality_code, record.education_code);
  match.shown_area_is_municipality = ShowsMunicipality(detail);
  match.shown_area_code =
      match.shown_area_is_municipality ? record.municipality_code : record.region_code;
  match.shown_education = ShowsEducationLevel(detail)  ? ShownEducation::kLevel
                          : ShowsEducationBand(detail) ? ShownEducation::kBand
                                                       : ShownEducation::kWithheld;
}

absl::StatusOr<SearchResult> Searcher::Search(const SearchQuery& query) {
  try {
    Refresh();
    return SearchOnce(query);
  } catch (const Xapian::DatabaseModifiedError&) {
    // The writer committed twice while we read; the fresh revision is consistent.
    try {
      Refresh();
      return SearchOnce(query);
    } catch (const Xapian::Error& error) {
      return StatusFromXapianError(error);
    }
  } catch (const Xapian::Error& error) {
    return StatusFromXapianError(error);
  }
}

void Searcher::ForEachActiveOfSource(
    const std::string& source, int64_t today_day,
    const std::function<void(Xapian::docid, CandidateRecord&)>& visit) {
  CandidateRecord record;  // reused across documents
  const std::string term = std::string(schema::kPrefixSource) + source;
  // Postings and values both run in document order: one pass over each.
  Xapian::ValueIterator value = database_.valuestream_begin(schema::kSlotSearchFields);
  const Xapian::ValueIterator end = database_.valuestream_end(schema::kSlotSearchFields);
  for (auto posting = database_.postlist_begin(term);
       posting != database_.postlist_end(term) && value != end; ++posting) {
    value.skip_to(*posting);
    if (value == end || value.get_docid() != *posting) continue;
    if (!DecodeSearchFields(*value, record) || record.retain_until_day < today_day) continue;
    visit(*posting, record);
  }
}

absl::StatusOr<std::map<std::string, CompletenessCount>> Searcher::CompletenessOfSource(
    const std::string& source, int64_t today_day) {
  try {
    Refresh();
    std::map<std::string, CompletenessCount> counts;
    ForEachActiveOfSource(source, today_day, [&](Xapian::docid, CandidateRecord& record) {
      counts[record.municipality_code].Add(record);
    });
    return counts;
  } catch (const Xapian::Error& error) {
    return StatusFromXapianError(error);
  }
}

absl::StatusOr<SourceWorklist> Searcher::WorklistOfSource(const std::string& source,
                                                          int64_t today_day) {
  try {
    Refresh();
    SourceWorklist worklist;
    ForEachActiveOfSource(source, today_day, [&](Xapian::docid document, CandidateRecord& record) {
      ++worklist.active_profiles;
      CandidateMatch match;
      match.record = std::move(record);
      // Complete and confirmed by the import within the period: not on the list, whatever a WSP
      // added. Only the others need their id, for a WSP's confirmation and the vault.
      DescribeShown(match, today_day);
      if (match.record.Completeness() == 1.0 && !match.availability_unconfirmed) return;
      match.profile_id = match.record.profile_id = ProfileIdOf(document);
      DescribeShown(match, today_day);
      if (match.record.Completeness() < 1.0 || match.availability_unconfirmed) {
        worklist.profiles.push_back(std::move(match));
      }
    });
    return worklist;
  } catch (const Xapian::Error& error) {
    return StatusFromXapianError(error);
  }
}

std::string Searcher::ProfileIdOf(Xapian::docid document) {
  const std::string prefix = schema::kPrefixProfileId;
  Xapian::TermIterator term = database_.termlist_begin(document);
  term.skip_to(prefix);
  if (term == database_.termlist_end(document) || !absl::StartsWith(*term, prefix)) return "";
  return (*term).substr(prefix.size());
}

absl::StatusOr<CandidateMatch> Searcher::GetProfile(const std::string& profile_id,
                                                    int64_t today_day, Visibility visibility) {
  try {
    Refresh();
    const std::string term = schema::ProfileIdTerm(profile_id);
    Xapian::PostingIterator posting = database_.postlist_begin(term);
    if (posting == database_.postlist_end(term)) {
      return absl::NotFoundError("profile_id: no such profile");
    }
    CandidateMatch match;
    match.record = ReadRecord(database_.get_document(*posting));
    if (match.record.retain_until_day < today_day ||
        (visibility == Visibility::kShownOnly && IsHidden(match.record))) {
      return absl::NotFoundError("profile_id: no such profile");
    }
    match.profile_id = profile_id;
    DescribeShown(match, today_day);
    return match;
  } catch (const Xapian::Error& error) {
    return StatusFromXapianError(error);
  }
}

}  // namespace verkenner::engine
