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

bool StartsWith(const std::string& text, const char* prefix) { return text.rfind(prefix, 0) == 0; }

// Adds `query` (from the QueryParser) to `clauses` as an OR of AND-clauses of terms. False for
// an operator it cannot express that way.
bool AddClauses(const Xapian::Query& query, std::vector<std::vector<std::string>>& clauses) {
  switch (query.get_type()) {
    case Xapian::Query::LEAF_TERM:
      clauses.push_back({*query.get_terms_begin()});
      return true;
    case Xapian::Query::LEAF_MATCH_NOTHING:
      return true;
    case Xapian::Query::OP_OR:
      for (size_t i = 0; i < query.get_num_subqueries(); ++i) {
        if (!AddClauses(query.get_subquery(i), clauses)) return false;
      }
      return true;
    case Xapian::Query::OP_AND:
    case Xapian::Query::OP_PHRASE:
    case Xapian::Query::OP_NEAR: {
      // Without positions in the index, a phrase is an AND of its terms.
      std::vector<std::string> clause;
      for (size_t i = 0; i < query.get_num_subqueries(); ++i) {
        std::vector<std::vector<std::string>> inner;
        if (!AddClauses(query.get_subquery(i), inner) || inner.size() != 1) return false;
        for (std::string& term : inner[0]) AddUnique(term, clause);
      }
      if (!clause.empty()) clauses.push_back(std::move(clause));
      return true;
    }
    default:
      return false;
  }
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
  namespace schema = engine::schema;
  try {
    Xapian::Database database(index_path);
    const std::string known_availability = schema::KnownTerm(schema::kKnownAvailability);
    const std::string known_education = schema::KnownTerm(schema::kKnownEducation);
    IndexedProfile profile;
    for (auto posting = database.postlist_begin(""); posting != database.postlist_end("");
         ++posting) {
      const Xapian::Document document = database.get_document(*posting);
      profile.docid = *posting;
      profile.record = engine::ReadRecord(document);
      profile.availability_known = false;
      profile.education_known = false;
      const std::string months = document.get_value(schema::kSlotExperienceMonths);
      profile.experience_months = months.empty() ? 0 : Xapian::sortable_unserialise(months);
      profile.text_terms.clear();
      profile.esco_codes.clear();
      profile.isco_codes.clear();
      for (auto term = document.termlist_begin(); term != document.termlist_end(); ++term) {
        const std::string& name = *term;
        if (name.empty()) continue;
        if (name[0] < 'A' || name[0] > 'Z') {
          // Xapian's convention: prefixes are upper case, so the rest is free text.
          profile.text_terms.emplace_back(name, term.get_wdf());
        } else if (StartsWith(name, schema::kPrefixOccupation)) {
          profile.esco_codes.push_back(name.substr(std::string(schema::kPrefixOccupation).size()));
        } else if (StartsWith(name, schema::kPrefixIscoGroup)) {
          profile.isco_codes.push_back(name.substr(std::string(schema::kPrefixIscoGroup).size()));
        } else if (name == known_availability) {
          profile.availability_known = true;
        } else if (name == known_education) {
          profile.education_known = true;
        }
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
      parser_(text_analysis_.MakeQueryParser()) {}

absl::StatusOr<ResolvedQuery> QueryResolver::Resolve(const engine::SearchQuery& query) {
  ResolvedQuery resolved;
  if (!query.text.empty()) {
    try {
      // The engine's flags (Searcher::BuildQuery).
      Xapian::Query parsed = parser_.parse_query(query.text, Xapian::QueryParser::FLAG_LOVEHATE);
      std::vector<std::vector<std::string>> clauses;
      if (!AddClauses(parsed, clauses)) {
        return absl::UnimplementedError("vacancy.text: operators the peers do not mirror");
      }
      for (std::vector<std::string>& clause : clauses) {
        std::sort(clause.begin(), clause.end());
        if (std::find(resolved.text_clauses.begin(), resolved.text_clauses.end(), clause) ==
            resolved.text_clauses.end()) {
          resolved.text_clauses.push_back(std::move(clause));
        }
      }
    } catch (const Xapian::QueryParserError&) {
      return absl::InvalidArgumentError("vacancy.text: cannot be parsed as a query");
    }
  }
  for (const std::string& code : query.esco_codes) {
    AddUnique(code, resolved.esco_codes);
    const engine::OccupationInfo* occupation = reference_->FindOccupation(code);
    if (occupation != nullptr && !occupation->isco_code.empty()) {
      AddUnique(occupation->isco_code, resolved.isco_codes);
    }
  }
  resolved.match_all = query.text.empty() && query.esco_codes.empty();
  resolved.match_nothing = !resolved.match_all && resolved.text_clauses.empty() &&
                           resolved.esco_codes.empty() && resolved.isco_codes.empty();
  resolved.tolerant = query.unknown_fields == engine::UnknownFieldPolicy::kTolerant;
  if (query.hours_min.has_value() || query.hours_max.has_value()) {
    resolved.offered_hours = {query.hours_min.value_or(0),
                              query.hours_max.value_or(engine::kMaxHoursPerWeek)};
  }
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
