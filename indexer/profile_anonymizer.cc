#include "indexer/profile_anonymizer.h"

#include <algorithm>
#include <chrono>
#include <optional>
#include <string_view>

#include "absl/strings/ascii.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "engine/affinities.h"
#include "engine/banenafspraak.h"
#include "indexer/profile_validator.h"
#include "verkenner/v1/profile.pb.h"

namespace verkenner::indexer {
namespace {

constexpr size_t kMaxShortTextLength = 60;
constexpr int64_t kNeverExpiresDay = 2932896;  // 9999-12-31

int64_t RetainUntilDay(std::optional<int64_t> end, const RetentionRule& rule) {
  if (!end.has_value()) return kNeverExpiresDay;
  std::chrono::year_month_day end_date{std::chrono::sys_days(std::chrono::days(*end))};
  std::chrono::year_month_day last_day{
      end_date.year() + std::chrono::years(rule.calendar_years_after_end), std::chrono::December,
      std::chrono::day(31)};
  return std::chrono::sys_days(last_day).time_since_epoch().count();
}

bool IsSafeCodeCharacter(char c) {
  return absl::ascii_islower(static_cast<unsigned char>(c)) || c == '_';
}

// Support-need codes: lower-case letters and underscores only.
bool IsCode(const std::string& text) {
  if (text.empty() || text.size() > 40) return false;
  for (char c : text) {
    if (!IsSafeCodeCharacter(c)) return false;
  }
  return true;
}

// A word of lower-case letters (accented ones included), possibly with hyphens, apostrophes,
// slashes or brackets: "heftruck", "zelfstandig", "(basis)", "schoonmaak/groen".
bool IsLowerCaseWord(absl::string_view token) {
  bool has_letter = false;
  for (size_t i = 0; i < token.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(token[i]);
    if (c >= 0x80) {
      // Lower-case accented Latin letters (é, ë, ï, ...) are two bytes, 0xC3 then 0xA0..0xBF;
      // 0xC3 0x80..0x9F are the upper-case ones, which could start a name.
      if (c != 0xC3 || i + 1 >= token.size() || static_cast<unsigned char>(token[i + 1]) < 0xA0) {
        return false;
      }
      ++i;
      has_letter = true;
    } else if (absl::ascii_islower(c)) {
      has_letter = true;
    } else if (c != '-' && c != '\'' && c != '/' && c != '(' && c != ')' && c != '.') {
      return false;
    }
  }
  return has_letter;
}

// A certificate acronym: 2 to 6 upper-case letters and digits with at least one letter, such as
// "VCA", "BHV", "HACCP", "NT2", "A2". Too short to hold a phone number, BSN or postcode.
bool IsAcronym(absl::string_view token) {
  if (token.size() < 2 || token.size() > 6) return false;
  bool has_letter = false;
  for (char c : token) {
    if (absl::ascii_isupper(static_cast<unsigned char>(c))) {
      has_letter = true;
    } else if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) {
      return false;
    }
  }
  return has_letter;
}

}  // namespace

std::string FilterShortText(const std::string& text) {
  std::string trimmed(absl::StripAsciiWhitespace(text));
  if (trimmed.empty() || trimmed.size() > kMaxShortTextLength) return "";
  for (absl::string_view token : absl::StrSplit(trimmed, ' ', absl::SkipEmpty())) {
    token = absl::StripSuffix(token, ",");
    if (!IsLowerCaseWord(token) && !IsAcronym(token)) return "";
  }
  return trimmed;
}

ProfileAnonymizer::ProfileAnonymizer(std::shared_ptr<const engine::ReferenceData> reference_data,
                                     std::shared_ptr<const Pseudonymizer> pseudonymizer,
                                     RetentionRule retention)
    : reference_data_(std::move(reference_data)),
      pseudonymizer_(std::move(pseudonymizer)),
      retention_(retention),
      scrubber_(reference_data_->stopwords()) {}

engine::CandidateRecord ProfileAnonymizer::Anonymize(const ValidatedProfile& valid,
                                                     int64_t today_day) const {
  const v1::SourceProfile& profile = valid.source();
  engine::CandidateRecord record;
  v1::AnonymousProfile shown;
  record.profile_id = pseudonymizer_->ProfileId(profile.source(), profile.client_number());
  record.source = profile.source();
  // Where the person lives, no finer than the PC4 area's centre. The shown area is not stored:
  // which level may be shown depends on the other profiles, so the searcher decides it when the
  // profile is served (engine/disclosure_control.h).
  record.home = {valid.area().lat, valid.area().lon};
  record.municipality_code = valid.area().municipality_code;
  record.region_code = valid.municipality().region_code;
  if (const engine::EducationLevelInfo* level = valid.education(); level != nullptr) {
    record.education_code = level->code;
    record.education_ordinal = level->ordinal;
  }
  KeepSafeText(profile, record, shown);
  KeepAvailability(valid, today_day, record);
  shown.set_travel_mode(valid.travel_mode());
  record.affinities.assign(valid.affinities().begin(), valid.affinities().end());
  for (const std::string& need : profile.support_needs()) {
    if (IsCode(need)) shown.add_support_needs(need);
  }
  if (profile.has_driving_licence()) record.driving_licence = profile.driving_licence();
  if (!profile.wishes().empty()) {
    if (std::optional<std::string> safe =
            scrubber_.Scrub(profile.wishes(), ScrubContextFor(profile))) {
      record.wishes = *safe;
      shown.set_wishes(*safe);
    }
  }
  for (const std::string& language : profile.languages()) {
    if (language.size() == 2 && IsCode(language)) shown.add_languages(language);
  }
  record.hidden_at_source = profile.has_visible() && !profile.visible();
  // A confirmation dated after the import (a source's clock ahead) is a confirmation today.
  if (std::optional<int64_t> confirmed = valid.availability_confirmed_day()) {
    record.availability_confirmed_day = std::min(*confirmed, today_day);
  }
  record.updated_day = valid.updated_day().value_or(today_day);
  record.retain_until_day = RetainUntilDay(valid.register_end_day(), retention_);
  if (std::optional<int64_t> end = valid.register_end_day(); end.has_value()) {
    SetDateOfDay(*end, /*with_day=*/false, *shown.mutable_registered_until());
  }
  record.display_payload = shown.SerializeAsString();
  return record;
}

void ProfileAnonymizer::KeepSafeText(const v1::SourceProfile& profile,
                                     engine::CandidateRecord& record,
                                     v1::AnonymousProfile& shown) const {
  // Free text is kept only where it cannot carry personal data (FilterShortText); an occupation
  // from the reference list is kept by its codes.
  for (const std::string& diploma : profile.diplomas()) {
    std::string safe = FilterShortText(diploma);
    if (safe.empty()) continue;
    record.diplomas.push_back(safe);
    shown.add_diplomas(safe);
  }
  for (const v1::SourceWorkExperience& source : profile.work_experience()) {
    engine::ExperienceEntry entry;
    if (const engine::OccupationInfo* occupation =
            reference_data_->FindOccupation(source.occupation())) {
      entry.esco_code = occupation->esco_code;
      entry.isco_code = occupation->isco_code;
      entry.label = occupation->label;
    } else {
      entry.label = FilterShortText(source.occupation());
      if (entry.label.empty()) continue;
    }
    entry.sector = FilterShortText(source.sector());
    entry.months = source.months();
    entry.last_year = source.last_year();
    record.experience.push_back(std::move(entry));
  }
  for (const std::string& skill : profile.skills()) {
    std::string safe = FilterShortText(skill);
    if (safe.empty()) continue;
    record.skills.push_back(safe);
    shown.add_skills(safe);
  }
}

void ProfileAnonymizer::KeepAvailability(const ValidatedProfile& valid, int64_t today_day,
                                         engine::CandidateRecord& record) {
  const v1::SourceProfile& profile = valid.source();
  // A range with one end missing says too little to match on: availability stays unknown.
  if (profile.has_hours_min() && profile.has_hours_max()) {
    record.hours_min = profile.hours_min();
    record.hours_max = profile.hours_max();
  }
  record.days = valid.days();
  // A date already past says nothing more than "available now".
  if (std::optional<int64_t> from = valid.available_from_day();
      from.has_value() && *from > today_day) {
    record.available_from_day = *from;
  }
  if (profile.has_max_travel_km()) record.max_travel_km = profile.max_travel_km();
}

void SetDateOfDay(int64_t day, bool with_day, v1::Date& out) {
  const std::chrono::year_month_day date{std::chrono::sys_days(std::chrono::days(day))};
  out.set_year(static_cast<int>(date.year()));
  out.set_month(static_cast<int>(static_cast<unsigned>(date.month())));
  out.set_day(with_day ? static_cast<int>(static_cast<unsigned>(date.day())) : 0);
}

absl::StatusOr<v1::AnonymousProfile> ShownProfile(const engine::CandidateRecord& record,
                                                  const engine::ReferenceData& reference_data) {
  v1::AnonymousProfile shown;
  if (!shown.ParseFromString(record.display_payload)) {
    return absl::InternalError("stored profile cannot be decoded; the index needs a rebuild");
  }
  shown.set_profile_id(record.profile_id);
  if (record.education_known()) {
    v1::EducationLevel* education = shown.mutable_education();
    education->set_code(record.education_code);
    education->set_ordinal(*record.education_ordinal);
    if (const engine::EducationLevelInfo* level =
            reference_data.FindEducationLevel(record.education_code)) {
      education->set_label(level->label);
      education->set_band(level->band);
    }
  }
  for (const engine::ExperienceEntry& entry : record.experience) {
    v1::WorkExperience* experience = shown.add_work_experience();
    experience->mutable_occupation()->set_esco_code(entry.esco_code);
    experience->mutable_occupation()->set_isco_code(entry.isco_code);
    experience->mutable_occupation()->set_label(entry.label);
    experience->set_sector(entry.sector);
    experience->set_months(entry.months);
    experience->set_last_year(entry.last_year);
  }
  if (record.availability_known()) {
    shown.mutable_availability()->set_min_hours(*record.hours_min);
    shown.mutable_availability()->set_max_hours(*record.hours_max);
    shown.set_banen(*record.hours_max / engine::kHoursPerBaan);
  }
  if (record.max_travel_km.has_value()) shown.set_max_travel_km(*record.max_travel_km);
  for (const std::string& affinity : record.affinities) shown.add_affinities(affinity);
  if (record.driving_licence.has_value()) shown.set_driving_licence(*record.driving_licence);
  for (int day = 0; day < 7; ++day) {
    if (record.days & (1u << day)) shown.add_days(static_cast<v1::Weekday>(day + 1));
  }
  if (record.available_from_day.has_value()) {
    SetDateOfDay(*record.available_from_day, /*with_day=*/true, *shown.mutable_available_from());
  }
  if (record.availability_confirmed_day.has_value()) {
    SetDateOfDay(*record.availability_confirmed_day, /*with_day=*/true,
                 *shown.mutable_availability_confirmed_on());
  }
  shown.mutable_update_time()->set_seconds(record.updated_day * 86400);
  v1::Completeness* completeness = shown.mutable_completeness();
  completeness->set_education_known(record.education_known());
  completeness->set_experience_known(record.experience_known());
  completeness->set_availability_known(record.availability_known());
  completeness->set_travel_distance_known(record.travel_distance_known());
  completeness->set_affinities_known(record.affinities_known());
  completeness->set_fraction(record.Completeness());
  return shown;
}

}  // namespace verkenner::indexer
