#include "benchmarks/peers/peer.h"

#include <algorithm>

#include "engine/banenafspraak.h"
#include "engine/schema.h"
#include "engine/searcher.h"

namespace verkenner::benchmarks {
namespace {

void AddUnique(const std::string& value, std::vector<std::string>& values) {
  if (std::find(values.begin(), values.end(), value) == values.end()) values.push_back(value);
}

}  // namespace

const char* HoursBandLabel(double hours) {
  if (hours < 12) return "0-12";
  if (hours < 20) return "12-20";
  if (hours < 26) return "20-26";
  if (hours < 32) return "26-32";
  return "32-40";
}

const char* ExperienceBandLabel(double months) {
  if (months <= 0) return "0";
  if (months <= 12) return "1-12";
  if (months <= 36) return "12-36";
  if (months <= 120) return "36-120";
  return "120+";
}

absl::Status ForEachIndexedProfile(
    const std::string& index_path,
    const std::function<absl::Status(const IndexedProfile&)>& visit) {
  try {
    Xapian::Database database(index_path);
    IndexedProfile profile;
    for (auto posting = database.postlist_begin(""); posting != database.postlist_end("");
         ++posting) {
      const Xapian::Document document = database.get_document(*posting);
      profile.docid = *posting;
      profile.record = engine::ReadRecord(document);
      profile.availability_known = profile.record.availability_known();
      profile.education_known = profile.record.education_known();
      profile.experience_months = profile.record.TotalExperienceMonths();
      profile.text_terms.clear();
      profile.esco_codes.clear();
      profile.isco_codes.clear();
      for (auto term = document.termlist_begin(); term != document.termlist_end(); ++term) {
        const std::string& name = *term;
        if (name.empty()) continue;
        if (name[0] < 'A' || name[0] > 'Z') {
          // Xapian's convention: prefixes are upper case, so the rest is free text.
          profile.text_terms.emplace_back(name, term.get_wdf());
        }
      }
      for (const engine::ExperienceEntry& entry : profile.record.experience) {
        if (!entry.esco_code.empty()) AddUnique(entry.esco_code, profile.esco_codes);
        if (!entry.isco_code.empty()) AddUnique(entry.isco_code, profile.isco_codes);
      }
      if (absl::Status status = visit(profile); !status.ok()) return status;
    }
  } catch (const Xapian::Error& error) {
    return engine::StatusFromXapianError(error);
  }
  return absl::OkStatus();
}

QueryResolver::QueryResolver(std::shared_ptr<const engine::ReferenceData> reference)
    : reference_(std::move(reference)),
      text_analysis_(reference_->stopwords()),
      term_generator_(text_analysis_.MakeTermGenerator()),
      // The Dutch word list is a setup dependency (hunspell-nl); a benchmark stops without it.
      vocabulary_(*reference_, engine::DutchWords::Shared().value()) {}

absl::StatusOr<ResolvedQuery> QueryResolver::Resolve(const engine::SearchQuery& query) {
  // The engine's reading of a vacancy (Searcher::Resolve): the text's words to search become the
  // terms the indexer would make of them, any one of which matches; occupation labels in the text
  // add their occupations, and every occupation its ISCO unit group.
  ResolvedQuery resolved;
  const std::string text = query.text.substr(0, 2000);
  // The engine's words to search (QueryVocabulary::SearchWords), as the indexer's terms.
  for (const engine::SearchWord& word : vocabulary_.SearchWords(text)) {
    for (const std::string& form : word.forms) {
      Xapian::Document scratch;
      term_generator_.set_document(scratch);
      term_generator_.index_text_without_positions(form);
      for (auto term = scratch.termlist_begin(); term != scratch.termlist_end(); ++term) {
        const std::vector<std::string> clause = {*term};
        if (resolved.text_clauses.size() < 32 &&
            std::find(resolved.text_clauses.begin(), resolved.text_clauses.end(), clause) ==
                resolved.text_clauses.end()) {
          resolved.text_clauses.push_back(clause);
        }
      }
    }
  }
  std::vector<std::string> codes = query.esco_codes;
  for (const std::string& code : vocabulary_.OccupationsNamedIn(text)) codes.push_back(code);
  for (const std::string& code : codes) {
    AddUnique(code, resolved.esco_codes);
    const engine::OccupationInfo* occupation = reference_->FindOccupation(code);
    if (occupation != nullptr && !occupation->isco_code.empty()) {
      AddUnique(occupation->isco_code, resolved.isco_codes);
    }
  }
  resolved.match_all = resolved.text_clauses.empty() && resolved.esco_codes.empty();
  resolved.tolerant = query.unknown_fields == engine::UnknownFieldPolicy::kTolerant;
  if (query.hours_min.has_value() || query.hours_max.has_value()) {
    resolved.offered_hours = {query.hours_min.value_or(0),
                              query.hours_max.value_or(engine::kMaxHoursPerWeek)};
  }
  // Strict mode excludes unknown education whenever the vacancy names a level at all.
  resolved.education_asked =
      query.education != engine::Requirement::kNone && !query.min_education_code.empty();
  if (query.education == engine::Requirement::kRequired && !query.min_education_code.empty()) {
    if (const engine::EducationLevelInfo* level =
            reference_->FindEducationLevel(query.min_education_code)) {
      resolved.required_education_ordinal = level->ordinal;
    }
  }
  resolved.workplace = query.workplace;
  resolved.today_day = query.today_day;
  resolved.page_size = query.page_size;
  resolved.facets = query.facets;
  return resolved;
}

}  // namespace verkenner::benchmarks
