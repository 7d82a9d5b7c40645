#include "engine/searcher.h"

#include <sys/stat.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "engine/banenafspraak.h"
#include "engine/candidate_record.h"
#include "engine/disclosure_control.h"
#include "engine/index_layout.h"
#include "engine/schema.h"

namespace verkenner::engine {
namespace {

using schema::Slot;

// A profile whose own travel limit is unknown is, in tolerant mode, assumed to travel this far:
// unknown is not "no", but it is not "anywhere in the country" either.
constexpr int kAssumedTravelKmWhenUnknown = 15;

// ISCO unit-group matches count for less than exact ESCO occupation matches.
constexpr double kRelatedOccupationWeight = 0.5;

// Interim explanation weights until the ranking model of issue 4 replaces them; a reason's share
// is its weight divided by the sum over the reasons present.
constexpr double kOccupationReasonWeight = 0.40;
constexpr double kTextReasonWeight = 0.25;
constexpr double kDistanceReasonWeight = 0.15;
constexpr double kAvailabilityReasonWeight = 0.10;
constexpr double kEducationReasonWeight = 0.10;

std::optional<double> NumberValue(const Xapian::Document& document, Xapian::valueno slot) {
  std::string value = document.get_value(slot);
  if (value.empty()) return std::nullopt;
  return Xapian::sortable_unserialise(value);
}

// The travel limit that applies to a profile, or nullopt if it is excluded for lack of one.
std::optional<double> TravelLimitKm(const Xapian::Document& document, UnknownFieldPolicy policy) {
  std::optional<double> limit = NumberValue(document, schema::kSlotMaxTravelKm);
  if (limit.has_value()) return limit;
  if (policy == UnknownFieldPolicy::kStrict) return std::nullopt;
  return kAssumedTravelKmWhenUnknown;
}

double DistanceToDocument(const Xapian::Document& document, const GeoPoint& workplace) {
  GeoPoint home{NumberValue(document, schema::kSlotLatitude).value_or(0),
                NumberValue(document, schema::kSlotLongitude).value_or(0)};
  return DistanceKm(home, workplace);
}

// Keeps only candidates for whom the workplace lies within their own travel limit.
class ReachabilityDecider : public Xapian::MatchDecider {
 public:
  ReachabilityDecider(GeoPoint workplace, UnknownFieldPolicy policy)
      : workplace_(workplace), policy_(policy) {}

  bool operator()(const Xapian::Document& document) const override {
    std::optional<double> limit = TravelLimitKm(document, policy_);
    return limit.has_value() && DistanceToDocument(document, workplace_) <= *limit;
  }

 private:
  GeoPoint workplace_;
  UnknownFieldPolicy policy_;
};

// Sort key for nearest-first ordering.
class DistanceKeyMaker : public Xapian::KeyMaker {
 public:
  explicit DistanceKeyMaker(GeoPoint workplace) : workplace_(workplace) {}
  std::string operator()(const Xapian::Document& document) const override {
    return Xapian::sortable_serialise(DistanceToDocument(document, workplace_));
  }

 private:
  GeoPoint workplace_;
};

const char* HoursBand(double hours) {
  if (hours < 12) return "0-12";
  if (hours < 20) return "12-20";
  if (hours < 26) return "20-26";
  if (hours < 32) return "26-32";
  return "32-40";
}

const char* ExperienceBand(double months) {
  if (months <= 0) return "0";
  if (months <= 12) return "1-12";
  if (months <= 36) return "12-36";
  if (months <= 120) return "36-120";
  return "120+";
}

// Counts facet values over every document of the matching set (the enquire asks for an exact
// count, so the spy sees all of them).
class FacetSpy : public Xapian::MatchSpy {
 public:
  FacetSpy(std::vector<FacetKind> facets, std::optional<GeoPoint> workplace)
      : facets_(std::move(facets)), workplace_(workplace) {}

  void operator()(const Xapian::Document& document, double /*weight*/) override {
    for (FacetKind facet : facets_) {
      std::map<std::string, int64_t>& counts = counts_[facet];
      switch (facet) {
        case FacetKind::kEducationLevel: {
          std::string code = document.get_value(schema::kSlotEducationCode);
          ++counts[code.empty() ? "onbekend" : code];
          break;
        }
        case FacetKind::kRegion:
          ++counts[document.get_value(schema::kSlotRegionCode)];
          break;
        case FacetKind::kHoursBand: {
          std::optional<double> hours = NumberValue(document, schema::kSlotHoursMax);
          ++counts[hours.has_value() ? HoursBand(*hours) : "onbekend"];
          break;
        }
        case FacetKind::kDistanceBand:
          if (workplace_.has_value()) {
            ++counts[DistanceBandLabel(BandForDistance(DistanceToDocument(document, *workplace_)))];
          }
          break;
        case FacetKind::kExperienceBand:
          ++counts[ExperienceBand(
              NumberValue(document, schema::kSlotExperienceMonths).value_or(0))];
          break;
        case FacetKind::kAffinity: {
          const std::string prefix = schema::kPrefixAffinity;
          auto term = document.termlist_begin();
          for (term.skip_to(prefix); term != document.termlist_end(); ++term) {
            const std::string& name = *term;
            if (name.compare(0, prefix.size(), prefix) != 0) break;
            ++counts[name.substr(prefix.size())];
          }
          break;
        }
      }
    }
  }

  std::string name() const override { return "verkenner::FacetSpy"; }

  const std::map<FacetKind, std::map<std::string, int64_t>>& counts() const { return counts_; }

 private:
  std::vector<FacetKind> facets_;
  std::optional<GeoPoint> workplace_;
  std::map<FacetKind, std::map<std::string, int64_t>> counts_;
};

std::string FormatBanen(double hours) {
  std::string text = absl::StrFormat("%.2f", hours / kHoursPerBaan);
  std::replace(text.begin(), text.end(), '.', ',');  // Dutch decimal comma
  return text;
}

std::string FormatExperience(int months) {
  if (months < 12) return absl::StrCat(months, months == 1 ? " maand" : " maanden");
  int years = months / 12;
  return absl::StrCat(years, " jaar");
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

absl::Status StatusFromXapianError(const Xapian::Error& error) {
  // Xapian's messages name files and terms, not profile content, but terms can come from a
  // vacancy text; report the error class only.
  const std::string type = error.get_type();
  if (type == "DatabaseOpeningError" || type == "DatabaseNotFoundError") {
    return absl::NotFoundError(absl::StrCat("search index cannot be opened (", type, ")"));
  }
  if (type == "DatabaseModifiedError" || type == "DatabaseLockError") {
    return absl::UnavailableError(absl::StrCat("search index is busy (", type, "); retry"));
  }
  if (type == "QueryParserError") {
    return absl::InvalidArgumentError("vacancy.text: cannot be parsed as a query");
  }
  return absl::InternalError(absl::StrCat("search index error (", type, ")"));
}

Searcher::Searcher(std::string index_path, std::shared_ptr<const ReferenceData> reference_data)
    : index_path_(std::move(index_path)),
      reference_data_(std::move(reference_data)),
      text_analysis_(reference_data_->stopwords()) {}

absl::Status Searcher::OpenGeneration() {
  const std::string identity = StubIdentity(index_path_);
  absl::StatusOr<IndexLayout> layout = ReadIndexLayout(index_path_);
  if (!layout.ok()) return layout.status();
  std::vector<Xapian::Database> shards;
  Xapian::Database combined;
  for (const std::string& path : layout->shard_paths) {
    shards.emplace_back(path);
    const std::string version = shards.back().get_metadata(schema::kSchemaVersionKey);
    if (version != std::to_string(schema::kSchemaVersion)) {
      return absl::FailedPreconditionError(
          absl::StrCat("index at ", index_path_, " has schema version '", version,
                       "', this program needs ", schema::kSchemaVersion, "; rebuild the index"));
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
    const std::string& index_path, std::shared_ptr<const ReferenceData> reference_data) {
  std::unique_ptr<Searcher> searcher(new Searcher(index_path, std::move(reference_data)));
  try {
    if (absl::Status status = searcher->OpenGeneration(); !status.ok()) return status;
    searcher->Refresh();
    return searcher;
  } catch (const Xapian::Error& error) {
    return StatusFromXapianError(error);
  }
}

absl::StatusOr<int64_t> Searcher::DocumentCount() {
  try {
    database_.reopen();
    return static_cast<int64_t>(database_.get_doccount());
  } catch (const Xapian::Error& error) {
    return StatusFromXapianError(error);
  }
}

Xapian::Query Searcher::BuildQuery(const SearchQuery& query, std::string& parse_error) {
  using Xapian::Query;
  std::vector<Query> relevance;
  if (!query.text.empty()) {
    Xapian::QueryParser parser = text_analysis_.MakeQueryParser();
    parser.set_database(database_);
    try {
      // No FLAG_PHRASE: profile text is indexed without positions (smaller, faster index), so
      // quoted words are ordinary words here.
      relevance.push_back(parser.parse_query(query.text, Xapian::QueryParser::FLAG_LOVEHATE));
    } catch (const Xapian::QueryParserError&) {
      parse_error = "vacancy.text: cannot be parsed as a query";
      return Query();
    }
  }
  for (const std::string& esco_code : query.esco_codes) {
    relevance.emplace_back(std::string(schema::kPrefixOccupation) + esco_code);
    const OccupationInfo* occupation = reference_data_->FindOccupation(esco_code);
    if (occupation != nullptr && !occupation->isco_code.empty()) {
      relevance.emplace_back(Query::OP_SCALE_WEIGHT,
                             Query(std::string(schema::kPrefixIscoGroup) + occupation->isco_code),
                             kRelatedOccupationWeight);
    }
  }
  Query matched =
      relevance.empty() ? Query::MatchAll : Query(Query::OP_OR, relevance.begin(), relevance.end());

  const bool tolerant = query.unknown_fields == UnknownFieldPolicy::kTolerant;
  auto or_unknown = [&](Query known_match, const char* known_field) {
    if (!tolerant) return known_match;
    Query unknown(Query::OP_AND_NOT, Query::MatchAll, Query(schema::KnownTerm(known_field)));
    return Query(Query::OP_OR, known_match, unknown);
  };

  std::vector<Query> filters;
  filters.emplace_back(Query::OP_VALUE_GE, schema::kSlotRetainUntilDay,
                       Xapian::sortable_serialise(static_cast<double>(query.today_day)));
  if (query.hours_min.has_value() || query.hours_max.has_value()) {
    // Overlap of [candidate min, candidate max] with [offered min, offered max].
    const double offered_min = query.hours_min.value_or(0);
    const double offered_max = query.hours_max.value_or(kMaxHoursPerWeek);
    Query overlap(
        Query::OP_AND,
        Query(Query::OP_VALUE_GE, schema::kSlotHoursMax, Xapian::sortable_serialise(offered_min)),
        Query(Query::OP_VALUE_LE, schema::kSlotHoursMin, Xapian::sortable_serialise(offered_max)));
    filters.push_back(or_unknown(overlap, schema::kKnownAvailability));
  }
  if (query.education == Requirement::kRequired && !query.min_education_code.empty()) {
    const EducationLevelInfo* level = reference_data_->FindEducationLevel(query.min_education_code);
    if (level != nullptr) {
      Query meets(Query::OP_VALUE_GE, schema::kSlotEducationOrdinal,
                  Xapian::sortable_serialise(level->ordinal));
      filters.push_back(or_unknown(meets, schema::kKnownEducation));
    }
  }
  return Query(Query::OP_FILTER, matched, Query(Query::OP_AND, filters.begin(), filters.end()));
}

void Searcher::Refresh() {
  if (StubIdentity(index_path_) != stub_identity_) {
    // A compaction published a new generation. The old one may already be gone from disk when
    // the stub was read just before the switch, so try twice.
    absl::Status status = OpenGeneration();
    if (!status.ok()) status = OpenGeneration();
    if (!status.ok()) throw Xapian::DatabaseOpeningError(std::string(status.message()));
  } else {
    database_.reopen();  // reopens every shard, which the handles in shards_ share
  }
  std::string state = absl::StrCat(generation_);
  for (const Xapian::Database& shard : shards_) absl::StrAppend(&state, ".", shard.get_revision());
  if (state == loaded_state_) return;
  municipality_groups_ = DecodeGroups(shards_[0].get_metadata(kMunicipalityGroupsKey));
  loaded_state_ = std::move(state);
}

void Searcher::SetShownArea(const Xapian::Document& document, CandidateMatch& match) const {
  const std::string municipality = document.get_value(schema::kSlotMunicipalityCode);
  const std::string education = document.get_value(schema::kSlotEducationCode);
  match.shown_area_is_municipality =
      !municipality.empty() &&
      municipality_groups_.contains(DisclosureGroupKey(municipality, education));
  match.shown_area_code =
      match.shown_area_is_municipality ? municipality : document.get_value(schema::kSlotRegionCode);
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

absl::StatusOr<SearchResult> Searcher::SearchOnce(const SearchQuery& query) {
  int offset = 0;
  if (absl::Status status = ParsePageToken(query.page_token, loaded_state_, offset); !status.ok()) {
    return status;
  }
  std::string parse_error;
  Xapian::Query xapian_query = BuildQuery(query, parse_error);
  if (!parse_error.empty()) return absl::InvalidArgumentError(parse_error);

  Xapian::Enquire enquire(database_);
  enquire.set_query(xapian_query);
  enquire.set_docid_order(Xapian::Enquire::ASCENDING);  // deterministic tie-break
  std::unique_ptr<DistanceKeyMaker> distance_key;
  switch (query.sort) {
    case SortOrder::kRelevance:
      break;
    case SortOrder::kDistance:
      if (query.workplace.has_value()) {
        distance_key = std::make_unique<DistanceKeyMaker>(*query.workplace);
        enquire.set_sort_by_key_then_relevance(distance_key.get(), false);
      }
      break;
    case SortOrder::kLastUpdate:
      enquire.set_sort_by_value_then_relevance(schema::kSlotUpdatedDay, true);
      break;
  }
  FacetSpy facet_spy(query.facets, query.workplace);
  if (!query.facets.empty()) enquire.add_matchspy(&facet_spy);
  std::unique_ptr<ReachabilityDecider> decider;
  if (query.workplace.has_value()) {
    decider = std::make_unique<ReachabilityDecider>(*query.workplace, query.unknown_fields);
  }

  // check_at_least covering the whole index makes the total and the facet counts exact.
  const Xapian::doccount everything = database_.get_doccount();
  Xapian::MSet mset = enquire.get_mset(offset, query.page_size, everything, nullptr, decider.get());

  SearchResult result;
  result.total = mset.get_matches_estimated();
  if (offset + static_cast<int64_t>(mset.size()) < result.total) {
    result.next_page_token = MakePageToken(loaded_state_, offset + query.page_size);
  }

  std::vector<std::string> wanted_codes = query.esco_codes;
  for (auto item = mset.begin(); item != mset.end(); ++item) {
    Xapian::Document document = item.get_document();
    CandidateRecord record = ReadRecord(document);
    CandidateMatch match;
    match.profile_id = record.profile_id;
    match.score = item.get_percent();
    SetShownArea(document, match);

    std::vector<std::pair<MatchReason, double>> reasons;  // reason, weight
    for (const ExperienceEntry& entry : record.experience) {
      if (std::find(wanted_codes.begin(), wanted_codes.end(), entry.esco_code) !=
          wanted_codes.end()) {
        reasons.push_back(
            {{ReasonCode::kOccupationExperience,
              absl::StrCat(FormatExperience(entry.months), " ervaring als ", entry.label)},
             kOccupationReasonWeight});
        break;
      }
    }
    std::vector<std::string> text_terms;
    for (auto term = enquire.get_matching_terms_begin(item);
         term != enquire.get_matching_terms_end(item); ++term) {
      // Text terms are unprefixed words or "Z"-prefixed stems; other prefixes are our own.
      std::string name = *term;
      if (name.size() > 1 && name[0] == 'Z') name.erase(0, 1);
      if (!name.empty() && std::islower(static_cast<unsigned char>(name[0])) &&
          std::find(text_terms.begin(), text_terms.end(), name) == text_terms.end()) {
        text_terms.push_back(std::move(name));
      }
    }
    if (!text_terms.empty()) {
      reasons.push_back(
          {{ReasonCode::kText, absl::StrCat("komt overeen met: ", absl::StrJoin(text_terms, ", "))},
           kTextReasonWeight});
    }
    if (query.workplace.has_value()) {
      match.distance_band = BandForDistance(DistanceKm(record.home, *query.workplace));
      reasons.push_back({{ReasonCode::kDistance,
                          absl::StrCat("woont op ", DistanceBandLabel(match.distance_band))},
                         kDistanceReasonWeight});
    }
    if (record.availability_known()) {
      std::string hours = *record.hours_min == *record.hours_max
                              ? absl::StrCat(*record.hours_max)
                              : absl::StrCat(*record.hours_min, "-", *record.hours_max);
      reasons.push_back(
          {{ReasonCode::kAvailability, absl::StrCat("beschikbaar ", hours, " uur per week (",
                                                    FormatBanen(*record.hours_max), " baan)")},
           kAvailabilityReasonWeight});
    } else if (query.hours_min.has_value() || query.hours_max.has_value()) {
      reasons.push_back({{ReasonCode::kUnknownField, "beschikbaarheid onbekend"}, 0});
    }
    if (!query.min_education_code.empty()) {
      if (record.education_known()) {
        const EducationLevelInfo* level =
            reference_data_->FindEducationLevel(record.education_code);
        reasons.push_back(
            {{ReasonCode::kEducation,
              absl::StrCat("opleiding: ", level != nullptr ? level->label : record.education_code)},
             kEducationReasonWeight});
      } else {
        reasons.push_back({{ReasonCode::kUnknownField, "opleidingsniveau onbekend"}, 0});
      }
    }
    double total_weight = 0;
    for (const auto& [reason, weight] : reasons) total_weight += weight;
    for (auto& [reason, weight] : reasons) {
      reason.share = total_weight > 0 ? weight / total_weight : 0;
      match.reasons.push_back(std::move(reason));
    }
    std::stable_sort(match.reasons.begin(), match.reasons.end(),
                     [](const MatchReason& a, const MatchReason& b) { return a.share > b.share; });
    match.record = std::move(record);
    result.matches.push_back(std::move(match));
  }

  for (const auto& [facet, counts] : facet_spy.counts()) {
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
      }
      values.push_back({value, std::move(label), count});
    }
    std::stable_sort(
        values.begin(), values.end(),
        [](const FacetValueCount& a, const FacetValueCount& b) { return a.count > b.count; });
  }
  return result;
}

absl::StatusOr<CandidateMatch> Searcher::GetProfile(const std::string& profile_id,
                                                    int64_t today_day) {
  try {
    Refresh();
    const std::string term = schema::ProfileIdTerm(profile_id);
    Xapian::PostingIterator posting = database_.postlist_begin(term);
    if (posting == database_.postlist_end(term)) {
      return absl::NotFoundError("profile_id: no such profile");
    }
    Xapian::Document document = database_.get_document(*posting);
    std::optional<double> retain_until = NumberValue(document, schema::kSlotRetainUntilDay);
    if (!retain_until.has_value() || *retain_until < static_cast<double>(today_day)) {
      return absl::NotFoundError("profile_id: no such profile");
    }
    CandidateMatch match;
    match.profile_id = profile_id;
    match.record = ReadRecord(document);
    SetShownArea(document, match);
    return match;
  } catch (const Xapian::Error& error) {
    return StatusFromXapianError(error);
  }
}

}  // namespace verkenner::engine
