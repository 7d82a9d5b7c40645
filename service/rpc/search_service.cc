#include "service/rpc/search_service.h"

#include <algorithm>
#include <chrono>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "engine/affinities.h"
#include "engine/banenafspraak.h"
#include "engine/candidate_index.h"
#include "indexer/profile_anonymizer.h"
#include "service/rpc/error_details.h"
#include "service/rpc/request_validation.h"
#include "service/rpc/status_mapping.h"
#include "service/rpc/unary_call.h"
#include "service/store/records.h"
#include "verkenner/v1/profile.pb.h"

namespace verkenner::service {
namespace {

constexpr std::initializer_list<v1::AccountRole> kSearchingRoles = {
    v1::ACCOUNT_ROLE_EMPLOYER, v1::ACCOUNT_ROLE_WSP_ACCOUNT_MANAGER};

// Caps applied before anything is parsed, so a hostile request cannot make a search unbounded.
constexpr size_t kMaxVacancyTextCharacters = 1000;
constexpr size_t kMaxSectorCharacters = 60;
constexpr int kMaxOccupations = 20;
constexpr int kMaxAffinities = 20;
constexpr int kMaxFacetFilterValues = 50;
constexpr int kFacetKindCount = v1::FACET_AFFINITY;  // the facets are numbered 1..6
constexpr size_t kMaxPageTokenBytes = 128;

engine::FacetKind ToEngineFacet(v1::Facet facet) {
  switch (facet) {
    case v1::FACET_EDUCATION_LEVEL:
      return engine::FacetKind::kEducationLevel;
    case v1::FACET_LABOUR_MARKET_REGION:
      return engine::FacetKind::kRegion;
    case v1::FACET_HOURS_BAND:
      return engine::FacetKind::kHoursBand;
    case v1::FACET_DISTANCE_BAND:
      return engine::FacetKind::kDistanceBand;
    case v1::FACET_EXPERIENCE_BAND:
      return engine::FacetKind::kExperienceBand;
    default:
      return engine::FacetKind::kAffinity;
  }
}

v1::Facet ToProtoFacet(engine::FacetKind facet) {
  switch (facet) {
    case engine::FacetKind::kEducationLevel:
      return v1::FACET_EDUCATION_LEVEL;
    case engine::FacetKind::kRegion:
      return v1::FACET_LABOUR_MARKET_REGION;
    case engine::FacetKind::kHoursBand:
      return v1::FACET_HOURS_BAND;
    case engine::FacetKind::kDistanceBand:
      return v1::FACET_DISTANCE_BAND;
    case engine::FacetKind::kExperienceBand:
      return v1::FACET_EXPERIENCE_BAND;
    case engine::FacetKind::kAffinity:
      return v1::FACET_AFFINITY;
  }
  return v1::FACET_UNSPECIFIED;
}

v1::DistanceBand ToProtoBand(engine::DistanceBand band) {
  switch (band) {
    case engine::DistanceBand::k0To5:
      return v1::DISTANCE_BAND_0_5;
    case engine::DistanceBand::k5To10:
      return v1::DISTANCE_BAND_5_10;
    case engine::DistanceBand::k10To20:
      return v1::DISTANCE_BAND_10_20;
    case engine::DistanceBand::k20To30:
      return v1::DISTANCE_BAND_20_30;
    case engine::DistanceBand::k30Plus:
      return v1::DISTANCE_BAND_30_PLUS;
    case engine::DistanceBand::kUnknown:
      break;
  }
  return v1::DISTANCE_BAND_UNSPECIFIED;
}

v1::ReasonCode ToProtoReason(engine::ReasonCode code) {
  switch (code) {
    case engine::ReasonCode::kOccupationExperience:
      return v1::REASON_CODE_OCCUPATION_EXPERIENCE;
    case engine::ReasonCode::kRelatedOccupation:
      return v1::REASON_CODE_RELATED_OCCUPATION;
    case engine::ReasonCode::kText:
      return v1::REASON_CODE_TEXT;
    case engine::ReasonCode::kDistance:
      return v1::REASON_CODE_DISTANCE;
    case engine::ReasonCode::kAvailability:
      return v1::REASON_CODE_AVAILABILITY;
    case engine::ReasonCode::kEducation:
      return v1::REASON_CODE_EDUCATION;
    case engine::ReasonCode::kAffinity:
      return v1::REASON_CODE_AFFINITY;
    case engine::ReasonCode::kCompleteness:
      return v1::REASON_CODE_COMPLETENESS;
    case engine::ReasonCode::kFreshness:
      return v1::REASON_CODE_FRESHNESS;
    case engine::ReasonCode::kUnknownField:
      return v1::REASON_CODE_UNKNOWN_FIELD;
  }
  return v1::REASON_CODE_UNSPECIFIED;
}

// What binds a page token to its request (AIP-158): a hash of every field but page_token and
// page_size, before the engine's own token.
std::string PageTokenBinding(const v1::SearchCandidatesRequest& request) {
  v1::SearchCandidatesRequest fields = request;
  fields.clear_page_token();
  fields.clear_page_size();
  return ContentHash(fields).substr(0, 12) + ".";
}

absl::Status FillResponse(engine::SearchResult result, const engine::ReferenceData& reference_data,
                          const std::string& token_binding,
                          v1::SearchCandidatesResponse* response) {
  for (engine::CandidateMatch& match : result.matches) {
    v1::CandidateMatch* out = response->add_matches();
    v1::AnonymousProfile* card = out->mutable_profile();
    if (absl::Status status = FillProfile(match, reference_data, card); !status.ok()) {
      return status;
    }
    // A result is a card: what an employer compares candidates on. The details come with
    // GetProfile, which counts against the daily quota of profile views, so that paging through
    // searches does not copy whole profiles past it.
    card->clear_diplomas();
    card->clear_skills();
    card->clear_support_needs();
    card->clear_languages();
    card->clear_wishes();
    out->set_score(match.score);
    out->set_distance_band(ToProtoBand(match.distance_band));
    for (engine::MatchReason& reason : match.reasons) {
      v1::MatchReason* out_reason = out->add_reasons();
      out_reason->set_code(ToProtoReason(reason.code));
      out_reason->set_text(std::move(reason.text));
      out_reason->set_share(reason.share);
    }
  }
  response->set_total_size(result.total);
  response->set_reachable_size(
      std::min<int64_t>(result.total, engine::CandidateIndex::kMaxReachableResults));
  if (!result.next_page_token.empty()) {
    response->set_next_page_token(token_binding + result.next_page_token);
  }
  response->set_spelling_suggestion(std::move(result.spelling_suggestion));
  response->set_spelling_applied(result.spelling_applied);
  response->set_text_ignored(result.text_ignored);
  for (std::string& word : result.unknown_words) response->add_unknown_words(std::move(word));
  for (engine::OccupationSuggestion& suggestion : result.suggested_occupations) {
    v1::Occupation* occupation = response->add_suggested_occupations();
    occupation->set_esco_code(std::move(suggestion.esco_code));
    occupation->set_label(std::move(suggestion.label));
    occupation->set_isco_code(std::move(suggestion.isco_code));
  }
  for (auto& [facet, values] : result.facets) {
    v1::FacetResult* out = response->add_facets();
    out->set_facet(ToProtoFacet(facet));
    for (engine::FacetValueCount& value : values) {
      v1::FacetValue* out_value = out->add_values();
      out_value->set_value(std::move(value.value));
      out_value->set_label(std::move(value.label));
      out_value->set_count(value.count);
    }
  }
  return absl::OkStatus();
}

// The level's CBS band alone, where disclosure control shows no more of the education.
void ShowOnlyTheBand(v1::EducationLevel& education) {
  const std::string band = education.band();
  education.Clear();
  education.set_band(band);
  education.set_label(
      absl::StrCat(absl::AsciiStrToUpper(band.substr(0, 1)), band.substr(1), " onderwijsniveau"));
}

}  // namespace

absl::Status FillProfile(const engine::CandidateMatch& match,
                         const engine::ReferenceData& reference_data,
                         v1::AnonymousProfile* profile) {
  absl::StatusOr<v1::AnonymousProfile> shown;
  if (match.shown_education == engine::ShownEducation::kWithheld) {
    // Withheld is withheld whether known or not: the card, its completeness included, is that of
    // a profile without education.
    engine::CandidateRecord without_education = match.record;
    without_education.education_code.clear();
    without_education.education_ordinal.reset();
    shown = indexer::ShownProfile(without_education, reference_data);
    if (shown.ok()) shown->mutable_education()->set_withheld(true);
  } else {
    shown = indexer::ShownProfile(match.record, reference_data);
    if (shown.ok() && match.shown_education == engine::ShownEducation::kBand &&
        shown->has_education()) {
      ShowOnlyTheBand(*shown->mutable_education());
    }
  }
  if (!shown.ok()) return shown.status();
  *profile = std::move(*shown);
  profile->set_assumed_travel_km(match.assumed_travel_km);
  profile->set_availability_unconfirmed(match.availability_unconfirmed);
  v1::Area* area = profile->mutable_area();
  std::string region_code = match.shown_area_code;
  if (match.shown_area_is_municipality) {
    const engine::Municipality* municipality =
        reference_data.FindMunicipality(match.shown_area_code);
    if (municipality == nullptr) {
      return absl::InternalError("stored profile names an unknown municipality; rebuild the index");
    }
    area->set_level(v1::AREA_LEVEL_MUNICIPALITY);
    area->set_code(municipality->code);
    area->set_name(municipality->name);
    region_code = municipality->region_code;
  }
  const engine::LabourMarketRegion* region = reference_data.FindRegion(region_code);
  if (region == nullptr) {
    return absl::InternalError("stored profile names an unknown region; rebuild the index");
  }
  if (!match.shown_area_is_municipality) {
    area->set_level(v1::AREA_LEVEL_LABOUR_MARKET_REGION);
    area->set_code(region->code);
    area->set_name(region->name);
  }
  area->set_labour_market_region_code(region->code);
  area->set_labour_market_region_name(region->name);
  return absl::OkStatus();
}

absl::StatusOr<std::optional<v1::AnonymousProfile>> CurrentProfile(
    engine::Searcher& searcher, const engine::ReferenceData& reference_data,
    const std::string& profile_id, int64_t today) {
  absl::StatusOr<engine::CandidateMatch> match = searcher.GetProfile(profile_id, today);
  if (absl::IsNotFound(match.status())) return std::nullopt;
  if (!match.ok()) return match.status();
  v1::AnonymousProfile profile;
  if (absl::Status status = FillProfile(*match, reference_data, &profile); !status.ok()) {
    return status;
  }
  return profile;
}

int64_t TodayFromSystemClock() {
  return std::chrono::floor<std::chrono::days>(std::chrono::system_clock::now())
      .time_since_epoch()
      .count();
}

namespace {

// The words of the vacancy: its text and the occupations it names, by code or label.
absl::Status AddVacancyWords(const v1::Vacancy& vacancy,
                             const engine::ReferenceData& reference_data,
                             engine::SearchQuery& query) {
  if (!HasCharacters(vacancy.text(), 0, kMaxVacancyTextCharacters)) {
    return InvalidField("vacancy.text", "longer than 1000 characters");
  }
  query.text = vacancy.text();
  if (vacancy.occupations_size() > kMaxOccupations) {
    return InvalidField("vacancy.occupations", "more than 20 occupations");
  }
  for (const std::string& occupation : vacancy.occupations()) {
    const engine::OccupationInfo* info = reference_data.FindOccupation(occupation);
    if (info == nullptr) {
      return InvalidField("vacancy.occupations", "not an ESCO occupation code or label");
    }
    query.esco_codes.push_back(info->esco_code);
  }
  return absl::OkStatus();
}

// Where and when the work is: the rules a contact request's vacancy meets too
// (request_validation.h).
absl::Status AddVacancyPlaceAndTime(const v1::Vacancy& vacancy,
                                    const engine::ReferenceData& reference_data,
                                    engine::SearchQuery& query) {
  absl::StatusOr<std::optional<engine::GeoPoint>> workplace =
      ResolveWorkplace("vacancy.workplace", vacancy.workplace(), reference_data);
  if (!workplace.ok()) return workplace.status();
  query.workplace = *workplace;
  if (vacancy.has_hours()) {
    if (absl::Status hours = CheckHours("vacancy.hours", vacancy.hours()); !hours.ok()) {
      return hours;
    }
    query.hours_min = vacancy.hours().min_hours();
    query.hours_max = vacancy.hours().max_hours();
  }
  absl::StatusOr<uint8_t> days = WorkingDaysOf("vacancy.days", vacancy.days());
  if (!days.ok()) return days.status();
  query.days = *days;
  if (vacancy.has_start_date()) {
    absl::StatusOr<int64_t> start = StartDayOf("vacancy.start_date", vacancy.start_date());
    if (!start.ok()) return start.status();
    query.start_day = *start;
  }
  return absl::OkStatus();
}

engine::Requirement ToEngineRequirement(v1::Requirement requirement) {
  return requirement == v1::REQUIREMENT_REQUIRED ? engine::Requirement::kRequired
                                                 : engine::Requirement::kPreferred;
}

// What the candidate must have or preferably has: education, driving licence, affinities,
// sectors.
absl::Status AddVacancyRequirements(const v1::Vacancy& vacancy,
                                    const engine::ReferenceData& reference_data,
                                    engine::SearchQuery& query) {
  if (!vacancy.education().minimum_level_code().empty()) {
    const engine::EducationLevelInfo* level =
        reference_data.FindEducationLevel(vacancy.education().minimum_level_code());
    if (level == nullptr) {
      return InvalidField("vacancy.education.minimum_level_code", "not a known education level");
    }
    query.min_education_code = level->code;
    query.education = ToEngineRequirement(vacancy.education().requirement());
  }
  if (vacancy.driving_licence() == v1::REQUIREMENT_REQUIRED ||
      vacancy.driving_licence() == v1::REQUIREMENT_PREFERRED) {
    query.driving_licence = ToEngineRequirement(vacancy.driving_licence());
  }
  if (vacancy.affinities_size() > kMaxAffinities) {
    return InvalidField("vacancy.affinities", "more than 20 affinities");
  }
  for (const std::string& affinity : vacancy.affinities()) {
    std::optional<std::string_view> code = engine::CanonicalAffinity(affinity);
    if (!code.has_value()) {
      return InvalidField("vacancy.affinities",
                          "not an affinity code such as buiten_werken (docs/import-format.md)");
    }
    query.affinities.emplace_back(*code);
  }
  if (vacancy.sectors_size() > kMaxAffinities) {
    return InvalidField("vacancy.sectors", "more than 20 sectors");
  }
  for (const std::string& sector : vacancy.sectors()) {
    if (!HasCharacters(sector, 1, kMaxSectorCharacters)) {
      return InvalidField("vacancy.sectors", "expected sector names such as logistiek");
    }
    query.sectors.push_back(sector);
  }
  return absl::OkStatus();
}

// How the results come back: the unknown-field policy, the order and the page.
absl::Status AddOrderAndPage(const v1::SearchCandidatesRequest& request,
                             engine::SearchQuery& query) {
  query.unknown_fields = request.unknown_field_policy() == v1::UNKNOWN_FIELD_POLICY_STRICT
                             ? engine::UnknownFieldPolicy::kStrict
                             : engine::UnknownFieldPolicy::kTolerant;
  switch (request.sort_order()) {
    case v1::SORT_ORDER_DISTANCE:
      query.sort = engine::SortOrder::kDistance;
      break;
    case v1::SORT_ORDER_LAST_UPDATE:
      query.sort = engine::SortOrder::kLastUpdate;
      break;
    default:
      query.sort = engine::SortOrder::kRelevance;
  }
  absl::StatusOr<int> page_size = PageSize(request.page_size());
  if (!page_size.ok()) return page_size.status();
  query.page_size = *page_size;
  // The engine's own token (a search's results are not a stored list) after the request's
  // binding: only its size and the binding are ours.
  if (request.page_token().empty()) return absl::OkStatus();
  const std::string binding = PageTokenBinding(request);
  if (request.page_token().size() > kMaxPageTokenBytes ||
      !request.page_token().starts_with(binding)) {
    return InvalidField("page_token",
                        "not a token of a previous response to this request (only page_size may "
                        "change between pages); search again without it");
  }
  query.page_token = request.page_token().substr(binding.size());
  return absl::OkStatus();
}

// The facets to count and the facet values picked to narrow the results.
absl::Status AddFacets(const v1::SearchCandidatesRequest& request,
                       const engine::ReferenceData& reference_data, engine::SearchQuery& query) {
  for (int facet : request.facets()) {
    if (facet <= v1::FACET_UNSPECIFIED || facet > v1::FACET_AFFINITY) {
      return InvalidField("facets", "unknown facet");
    }
    query.facets.push_back(ToEngineFacet(static_cast<v1::Facet>(facet)));
  }
  if (request.facet_filters_size() > kFacetKindCount) {
    return InvalidField("facet_filters", "at most one filter per facet");
  }
  for (const v1::FacetFilter& filter : request.facet_filters()) {
    if (filter.facet() <= v1::FACET_UNSPECIFIED || filter.facet() > v1::FACET_AFFINITY) {
      return InvalidField("facet_filters.facet", "unknown facet");
    }
    if (filter.values_size() == 0 || filter.values_size() > kMaxFacetFilterValues) {
      return InvalidField("facet_filters.values", "expected 1 to 50 values from a facet count");
    }
    engine::FacetFilter engine_filter{ToEngineFacet(filter.facet()), {}};
    for (const std::string& value : filter.values()) {
      if (!engine::IsFacetValue(engine_filter.facet, value, reference_data)) {
        return InvalidField("facet_filters.values", "not a value of this facet's counts");
      }
      engine_filter.values.push_back(value);
    }
    query.facet_filters.push_back(std::move(engine_filter));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<engine::SearchQuery> ToEngineQuery(const v1::SearchCandidatesRequest& request,
                                                  const engine::ReferenceData& reference_data) {
  // Enums first: an unknown number must never be read as a default by the steps below.
  if (absl::Status known = CheckEnumsKnown(request); !known.ok()) return known;
  engine::SearchQuery query;
  const v1::Vacancy& vacancy = request.vacancy();
  absl::Status status = AddVacancyWords(vacancy, reference_data, query);
  if (status.ok()) status = AddVacancyPlaceAndTime(vacancy, reference_data, query);
  if (status.ok()) status = AddVacancyRequirements(vacancy, reference_data, query);
  if (status.ok()) status = AddOrderAndPage(request, query);
  if (status.ok()) status = AddFacets(request, reference_data, query);
  if (!status.ok()) return status;
  return query;
}

CandidateSearchService::CandidateSearchService(const ServiceEnvironment* environment,
                                               engine::SearcherPool* pool,
                                               std::function<int64_t()> today)
    : environment_(*environment),
      reference_data_(environment->reference_data),
      pool_(pool),
      today_(std::move(today)) {}

void CandidateSearchService::TakeQuota(UnaryCall call, const AccountRecord& account,
                                       QuotaLimiter::Kind kind, std::function<void()> then) {
  environment_.quotas->Take(
      account, kind, environment_.now(),
      [call, kind, then = std::move(then)](QuotaLimiter::Outcome quota) {
        if (!quota.error.ok()) {
          call.Finish(quota.error);
        } else if (!quota.allowed) {
          const bool search = kind == QuotaLimiter::Kind::kSearch;
          call.Finish(WithRetryDelay(
              WithReason(absl::ResourceExhaustedError(search ? "searches per minute used up"
                                                             : "profile views for today used up"),
                         search ? v1::SEARCH_QUOTA_EXCEEDED : v1::PROFILE_VIEW_QUOTA_EXCEEDED),
              absl::Seconds(quota.retry_after_seconds)));
        } else {
          then();
        }
      });
}

grpc::ServerUnaryReactor* CandidateSearchService::SearchCandidates(
    grpc::CallbackServerContext* context, const v1::SearchCandidatesRequest* request,
    v1::SearchCandidatesResponse* response) {
  return AnswerCaller(
      environment_, context, kSearchingRoles, [&](UnaryCall call, const Caller& caller) -> Answer {
        absl::StatusOr<engine::SearchQuery> query = ToEngineQuery(*request, *reference_data_);
        if (!query.ok()) return query.status();
        query->today_day = today_();
        TakeQuota(
            call, caller.account, QuotaLimiter::Kind::kSearch,
            [this, call, response, query = std::move(*query),
             binding = PageTokenBinding(*request)] { RunSearch(call, query, binding, response); });
        return Answer::Later();
      });
}

void CandidateSearchService::RunSearch(UnaryCall call, const engine::SearchQuery& query,
                                       const std::string& token_binding,
                                       v1::SearchCandidatesResponse* response) {
  pool_->Submit([call, response, query, token_binding,
                 reference_data = reference_data_](engine::Searcher& searcher) {
    // A search that waited past its deadline (or whose client left) in a busy pool is not run:
    // nobody would read the answer, and the queue behind it would only grow.
    if (call.context().IsCancelled()) {
      call.Finish(absl::CancelledError("the call ended before it ran"));
      return;
    }
    absl::StatusOr<engine::SearchResult> result = searcher.Search(query);
    if (!result.ok()) {
      // The engine's one precondition is that the page token's index state is still served.
      call.Finish(absl::IsFailedPrecondition(result.status())
                      ? WithReason(result.status(), v1::PAGE_TOKEN_EXPIRED)
                      : result.status());
      return;
    }
    call.Finish(FillResponse(std::move(*result), *reference_data, token_binding, response));
  });
}

grpc::ServerUnaryReactor* CandidateSearchService::GetProfile(grpc::CallbackServerContext* context,
                                                             const v1::GetProfileRequest* request,
                                                             v1::GetProfileResponse* response) {
  return AnswerCaller(
      environment_, context, kSearchingRoles, [&](UnaryCall call, const Caller& caller) -> Answer {
        // Checked before the quota is: a malformed id costs no profile view.
        if (absl::Status valid = CheckProfileId(request->profile_id()); !valid.ok()) return valid;
        TakeQuota(call, caller.account, QuotaLimiter::Kind::kProfileView,
                  [this, call, response, account_id = caller.account.id,
                   id = request->profile_id()] { ShowProfile(call, account_id, id, response); });
        return Answer::Later();
      });
}

void CandidateSearchService::ShowProfile(UnaryCall call, const std::string& account_id,
                                         const std::string& id, v1::GetProfileResponse* response) {
  pool_->Submit(
      [this, call, response, account_id, id, today = today_()](engine::Searcher& searcher) {
        absl::StatusOr<engine::CandidateMatch> profile = searcher.GetProfile(id, today);
        absl::Status outcome = profile.status();
        if (outcome.ok()) {
          outcome = FillProfile(*profile, *reference_data_, response->mutable_profile());
        }
        // Every view is audited, also one of a profile that is not there (probing leaves a trace);
        // the profile goes out only after its audit row has committed.
        const AuditEntry entry{absl::ToUnixMicros(environment_.now()),
                               account_id,
                               "view_profile",
                               id,
                               "",
                               "",
                               outcome.ok() ? "ok" : absl::StatusCodeToString(outcome.code())};
        environment_.store->Write(
            [entry](sql::Connection& db) { return AppendAudit(db, entry).status(); },
            [call, response, outcome](absl::Status audited) {
              if (!audited.ok()) {
                response->Clear();
                call.Finish(absl::UnavailableError("cannot show the profile now"));
                return;
              }
              call.Finish(outcome);
            });
      });
}

}  // namespace verkenner::service
