#include "indexer/profile_validator.h"

#include <chrono>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "engine/affinities.h"
#include "engine/banenafspraak.h"
#include "indexer/bsn.h"

namespace verkenner::indexer {
namespace {

constexpr int kMaxTravelKm = 200;
constexpr int kMaxExperienceMonths = 600;
constexpr size_t kMaxClientNumberLength = 64;
constexpr size_t kMaxShortTextLength = 200;

bool OneOf(const std::string& value, std::initializer_list<const char*> allowed) {
  for (const char* candidate : allowed) {
    if (value == candidate) return true;
  }
  return false;
}

bool HasControlCharacter(const std::string& text) {
  for (unsigned char c : text) {
    if (c < 0x20) return true;
  }
  return false;
}

}  // namespace

std::optional<int64_t> ParseIsoDay(std::string_view text) {
  if (text.size() < 10 || text[4] != '-' || text[7] != '-') return std::nullopt;
  if (text.size() > 10 && text[10] != 'T' && text[10] != ' ') return std::nullopt;
  int year = 0, month = 0, day = 0;
  if (!absl::SimpleAtoi(std::string(text.substr(0, 4)), &year) ||
      !absl::SimpleAtoi(std::string(text.substr(5, 2)), &month) ||
      !absl::SimpleAtoi(std::string(text.substr(8, 2)), &day)) {
    return std::nullopt;
  }
  std::chrono::year_month_day date{std::chrono::year(year), std::chrono::month(month),
                                   std::chrono::day(day)};
  if (year < 1900 || year > 9999 || !date.ok()) return std::nullopt;
  return std::chrono::sys_days(date).time_since_epoch().count();
}

ProfileValidator::ProfileValidator(std::shared_ptr<const engine::ReferenceData> reference_data)
    : reference_data_(std::move(reference_data)) {}

std::vector<FieldError> ProfileValidator::Validate(const v1::SourceProfile& profile) const {
  std::vector<FieldError> errors;
  auto fail = [&](const char* field, const char* reason, RejectionKind kind) {
    errors.push_back({field, reason, kind});
  };
  auto check_date = [&](const char* field, const std::string& value) {
    if (!value.empty() && !ParseIsoDay(value).has_value()) {
      fail(field, "not a valid date (expected YYYY-MM-DD)", RejectionKind::kBadFormat);
    }
  };

  if (profile.source().empty()) {
    fail("source", "is required", RejectionKind::kMissing);
  } else if (profile.source() != "UWV" &&
             reference_data_->FindMunicipality(profile.source()) == nullptr) {
    fail("source", "not UWV or a known CBS municipality code (GMxxxx)",
         RejectionKind::kUnknownCode);
  }
  if (profile.client_number().empty()) {
    fail("client_number", "is required", RejectionKind::kMissing);
  } else if (profile.client_number().size() > kMaxClientNumberLength ||
             HasControlCharacter(profile.client_number())) {
    fail("client_number", "longer than 64 characters or contains control characters",
         RejectionKind::kTooLong);
  }
  // JSON Lines and the import API carry an open enum: a number it does not define is neither an
  // upsert nor a delete.
  if (!v1::SourceAction_IsValid(profile.action())) {
    fail("action", "not upsert or delete", RejectionKind::kUnknownCode);
    return errors;
  }
  // A delete row needs only the profile's key; whatever else it carries is not used.
  if (profile.action() == v1::SOURCE_ACTION_DELETE) return errors;
  if (!profile.bsn().empty() && !IsValidBsn(profile.bsn())) {
    fail("bsn", "does not pass the elfproef", RejectionKind::kInvalidBsn);
  }
  check_date("birth_date", profile.birth_date());
  if (profile.postcode().empty()) {
    fail("postcode", "is required (travel distances are computed from it)",
         RejectionKind::kMissing);
  } else if (!engine::ParsePc4(profile.postcode()).has_value()) {
    fail("postcode", "not a Dutch postcode (expected 1234 AB or 1234)", RejectionKind::kBadFormat);
  }
  if (!profile.target_group().empty() &&
      !OneOf(profile.target_group(), {"wajong", "wsw", "participatiewet", "wiw_id", "vso_pro"})) {
    fail("target_group", "not one of wajong, wsw, participatiewet, wiw_id, vso_pro",
         RejectionKind::kUnknownCode);
  }
  check_date("register_start", profile.register_start());
  check_date("register_end", profile.register_end());
  if (!profile.education_level().empty() &&
      reference_data_->FindEducationLevel(profile.education_level()) == nullptr) {
    fail("education_level", "not a code, label or alias from education_levels_nl.csv",
         RejectionKind::kUnknownCode);
  }
  const int this_year =
      static_cast<int>(std::chrono::year_month_day(
                           std::chrono::floor<std::chrono::days>(std::chrono::system_clock::now()))
                           .year());
  for (const v1::SourceWorkExperience& experience : profile.work_experience()) {
    if (experience.occupation().empty() || experience.occupation().size() > kMaxShortTextLength) {
      fail("work_experience", "occupation is empty or longer than 200 characters",
           RejectionKind::kTooLong);
    }
    if (experience.has_months() &&
        (experience.months() < 0 || experience.months() > kMaxExperienceMonths)) {
      fail("work_experience", "months outside 0..600", RejectionKind::kOutOfRange);
    }
    if (experience.has_last_year() &&
        (experience.last_year() < 1950 || experience.last_year() > this_year + 1)) {
      fail("work_experience", "last_year outside 1950..next year", RejectionKind::kOutOfRange);
    }
  }
  if (profile.has_max_travel_km() &&
      (profile.max_travel_km() < 0 || profile.max_travel_km() > kMaxTravelKm)) {
    fail("max_travel_km", "outside 0..200", RejectionKind::kOutOfRange);
  }
  if (!profile.travel_mode().empty() &&
      !OneOf(profile.travel_mode(), {"lopen", "fiets", "ov", "auto", "begeleid"})) {
    fail("travel_mode", "not one of lopen, fiets, ov, auto, begeleid", RejectionKind::kUnknownCode);
  }
  if (profile.has_hours_min() &&
      (profile.hours_min() < 0 || profile.hours_min() > engine::kMaxHoursPerWeek)) {
    fail("hours_min", "outside 0..40", RejectionKind::kOutOfRange);
  }
  if (profile.has_hours_max() &&
      (profile.hours_max() < 0 || profile.hours_max() > engine::kMaxHoursPerWeek)) {
    fail("hours_max", "outside 0..40", RejectionKind::kOutOfRange);
  }
  if (profile.has_hours_min() && profile.has_hours_max() &&
      profile.hours_min() > profile.hours_max()) {
    fail("hours_min", "greater than hours_max", RejectionKind::kInconsistent);
  }
  for (const std::string& day : profile.days()) {
    if (!OneOf(day, {"ma", "di", "wo", "do", "vr", "za", "zo"})) {
      fail("days", "not one of ma, di, wo, do, vr, za, zo", RejectionKind::kUnknownCode);
      break;
    }
  }
  for (const std::string& affinity : profile.affinities()) {
    if (!engine::CanonicalAffinity(affinity).has_value()) {
      fail("affinities", "not an affinity code or alias listed in docs/import-format.md",
           RejectionKind::kUnknownCode);
      break;
    }
  }
  check_date("available_from", profile.available_from());
  check_date("updated_at", profile.updated_at());
  return errors;
}

}  // namespace verkenner::indexer
