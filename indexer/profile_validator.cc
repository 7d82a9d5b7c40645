#include "indexer/profile_validator.h"

#include <algorithm>
#include <chrono>
#include <string_view>
#include <type_traits>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "base/email_address.h"
#include "engine/affinities.h"
#include "engine/banenafspraak.h"
#include "google/protobuf/message.h"
#include "google/protobuf/reflection.h"
#include "indexer/bsn.h"
#include "indexer/language_codes.h"

namespace verkenner::indexer {
namespace {

constexpr int kMaxTravelKm = 200;
constexpr int kMaxExperienceMonths = 600;
constexpr int kMinExperienceYear = 1950;
constexpr size_t kMaxShortTextLength = 200;

bool HasControlCharacter(const std::string& text) {
  for (unsigned char c : text) {
    if (c < 0x20) return true;
  }
  return false;
}

// The import's weekday and travel-mode codes (docs/import-format.md) and what they stand for.
constexpr std::pair<std::string_view, v1::Weekday> kDayCodes[] = {
    {"ma", v1::WEEKDAY_MONDAY},   {"di", v1::WEEKDAY_TUESDAY}, {"wo", v1::WEEKDAY_WEDNESDAY},
    {"do", v1::WEEKDAY_THURSDAY}, {"vr", v1::WEEKDAY_FRIDAY},  {"za", v1::WEEKDAY_SATURDAY},
    {"zo", v1::WEEKDAY_SUNDAY}};
// The routes into the doelgroepregister (SourceProfile.target_group).
constexpr std::string_view kTargetGroupCodes[] = {"wajong", "wsw", "participatiewet", "wiw_id",
                                                  "vso_pro"};
// The support a person may need at work (SourceProfile.support_needs).
constexpr std::string_view kSupportNeedCodes[] = {"jobcoach",     "werkplekaanpassing",
                                                  "vervoer",      "loonkostensubsidie",
                                                  "no_riskpolis", "beschut_werk"};

constexpr std::pair<std::string_view, v1::TravelMode> kTravelModeCodes[] = {
    {"lopen", v1::TRAVEL_MODE_WALKING},
    {"fiets", v1::TRAVEL_MODE_BICYCLE},
    {"ov", v1::TRAVEL_MODE_PUBLIC_TRANSPORT},
    {"auto", v1::TRAVEL_MODE_CAR},
    {"begeleid", v1::TRAVEL_MODE_ASSISTED}};

// The value `code` stands for in `table`, or nullopt.
template <typename Value, size_t N>
std::optional<Value> Lookup(const std::pair<std::string_view, Value> (&table)[N],
                            std::string_view code) {
  for (const auto& [name, value] : table) {
    if (code == name) return value;
  }
  return std::nullopt;
}

void Fail(std::vector<FieldError>& errors, std::string field, const char* reason,
          RejectionKind kind) {
  errors.push_back({std::move(field), reason, kind, {}});
}

// "ma, di, wo, ...": the codes of a list of codes or of (code, value) pairs.
template <typename Codes>
std::string JoinCodes(const Codes& codes) {
  std::string joined;
  for (const auto& code : codes) {
    if (!joined.empty()) joined += ", ";
    if constexpr (std::is_convertible_v<decltype(code), std::string_view>) {
      joined += code;
    } else {
      joined += code.first;
    }
  }
  return joined;
}

// A code that is not in `codes`.
template <typename Codes>
void FailNotOneOf(std::vector<FieldError>& errors, std::string field, const Codes& codes) {
  std::string allowed = JoinCodes(codes);
  errors.push_back({std::move(field),
                    absl::StrCat("not one of ", allowed),
                    RejectionKind::kUnknownCode,
                    {std::move(allowed), std::nullopt}});
}

// A whole number outside low..high.
void FailOutside(std::vector<FieldError>& errors, std::string field, int64_t low, int64_t high) {
  errors.push_back({std::move(field),
                    absl::StrCat("outside ", low, "..", high),
                    RejectionKind::kOutOfRange,
                    {"", std::make_pair(low, high)}});
}

// An empty date is unknown; any other must parse. Returns the day, or nullopt.
std::optional<int64_t> CheckDate(std::vector<FieldError>& errors, const char* field,
                                 const std::string& value) {
  if (value.empty()) return std::nullopt;
  std::optional<int64_t> day = ParseIsoDay(value);
  if (!day.has_value()) {
    Fail(errors, field, "not a valid date (expected YYYY-MM-DD)", RejectionKind::kBadFormat);
  }
  return day;
}

// CheckDate for a day that cannot lie ahead (a birth, a registration): a later day than today by
// the UTC clock is OUT_OF_RANGE.
std::optional<int64_t> CheckPastDate(std::vector<FieldError>& errors, const char* field,
                                     const std::string& value) {
  std::optional<int64_t> day = CheckDate(errors, field, value);
  const int64_t today = std::chrono::floor<std::chrono::days>(std::chrono::system_clock::now())
                            .time_since_epoch()
                            .count();
  if (day.has_value() && *day > today) {
    Fail(errors, field, "a date in the future", RejectionKind::kOutOfRange);
  }
  return day;
}

// Whether `value` is set and outside minimum..maximum.
template <typename T>
bool OutsideRange(bool has_value, T value, T minimum, T maximum) {
  return has_value && (value < minimum || value > maximum);
}

// The time of day after a date-time's date: "10:00", "10:00:00", "10:00:00.125+02:00", "...Z".
bool IsTimeOfDay(std::string_view text) {
  auto digit = [&](size_t i) { return absl::ascii_isdigit(static_cast<unsigned char>(text[i])); };
  return text.size() >= 5 && digit(0) && digit(1) && text[2] == ':' && digit(3) && digit(4) &&
         text.find_first_not_of("0123456789:.+-Z", 5) == std::string_view::npos;
}

// Removes ASCII white space around each text value of `message` (and of the messages in it),
// dropping list values that are left empty.
void TrimTextValues(google::protobuf::Message& message) {
  using google::protobuf::FieldDescriptor;
  const google::protobuf::Reflection* reflection = message.GetReflection();
  std::vector<const FieldDescriptor*> fields;
  reflection->ListFields(message, &fields);
  std::string scratch;
  for (const FieldDescriptor* field : fields) {
    if (field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE && field->is_repeated()) {
      for (int i = 0; i < reflection->FieldSize(message, field); ++i) {
        TrimTextValues(*reflection->MutableRepeatedMessage(&message, field, i));
      }
    } else if (field->cpp_type() == FieldDescriptor::CPPTYPE_STRING && field->is_repeated()) {
      // Read without copying; rewritten only when a value needs trimming or is empty (rarely).
      const int count = reflection->FieldSize(message, field);
      auto value_at = [&](int i) -> const std::string& {
        return reflection->GetRepeatedStringReference(message, field, i, &scratch);
      };
      bool changed = false;
      for (int i = 0; i < count && !changed; ++i) {
        const std::string& value = value_at(i);
        changed = value.empty() || absl::StripAsciiWhitespace(value).size() != value.size();
      }
      if (!changed) continue;
      std::vector<std::string> kept;
      for (int i = 0; i < count; ++i) {
        absl::string_view trimmed = absl::StripAsciiWhitespace(value_at(i));
        if (!trimmed.empty()) kept.emplace_back(trimmed);
      }
      auto mutable_values = reflection->GetMutableRepeatedFieldRef<std::string>(&message, field);
      mutable_values.Clear();
      for (const std::string& value : kept) mutable_values.Add(value);
    } else if (field->cpp_type() == FieldDescriptor::CPPTYPE_STRING) {
      const std::string& value = reflection->GetStringReference(message, field, &scratch);
      absl::string_view trimmed = absl::StripAsciiWhitespace(value);
      if (trimmed.size() == value.size()) continue;
      if (trimmed.empty()) {
        reflection->ClearField(&message, field);
      } else {
        reflection->SetString(&message, field, std::string(trimmed));
      }
    }
  }
}

}  // namespace

std::optional<int64_t> ParseIsoDay(std::string_view text) {
  if (text.size() < 10 || text[4] != '-' || text[7] != '-') return std::nullopt;
  for (size_t i : {0, 1, 2, 3, 5, 6, 8, 9}) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(text[i]))) return std::nullopt;
  }
  if (text.size() > 10 && ((text[10] != 'T' && text[10] != ' ') || !IsTimeOfDay(text.substr(11)))) {
    return std::nullopt;
  }
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
  (void)Resolve(profile, errors);
  return errors;
}

std::optional<ValidatedProfile> ProfileValidator::Resolve(const v1::SourceProfile& profile,
                                                          std::vector<FieldError>& errors) const {
  errors.clear();
  ValidatedProfile resolved(profile);
  // Every group is checked even after an error, so one report lists all of a row's problems.
  if (CheckKeyAndAction(profile, errors)) {
    CheckPersonAndRegister(profile, resolved, errors);
    CheckEducationAndExperience(profile, resolved, errors);
    CheckAvailability(profile, resolved, errors);
    CheckAffinitiesAndDates(profile, resolved, errors);
  }
  if (!errors.empty()) return std::nullopt;
  return resolved;
}

void NormalizeSource(std::string& source) {
  absl::StripAsciiWhitespace(&source);
  absl::AsciiStrToUpper(&source);
}

void NormalizeProfileKey(std::string& source, std::string& client_number) {
  NormalizeSource(source);
  absl::StripAsciiWhitespace(&client_number);
}

void NormalizeSourceProfile(v1::SourceProfile& profile) {
  TrimTextValues(profile);
  NormalizeProfileKey(*profile.mutable_source(), *profile.mutable_client_number());
  absl::AsciiStrToLower(profile.mutable_target_group());
  absl::AsciiStrToLower(profile.mutable_travel_mode());
  for (auto* codes :
       {profile.mutable_days(), profile.mutable_support_needs(), profile.mutable_languages()}) {
    for (std::string& code : *codes) absl::AsciiStrToLower(&code);
  }
}

std::vector<FieldError> CheckProfileKey(const std::string& source, const std::string& client_number,
                                        const engine::ReferenceData& reference_data) {
  std::vector<FieldError> errors;
  if (source.empty()) {
    Fail(errors, "source", "is required", RejectionKind::kMissing);
  } else if (source != "UWV" && reference_data.FindMunicipality(source) == nullptr) {
    Fail(errors, "source", "not UWV or a known CBS municipality code (GMxxxx)",
         RejectionKind::kUnknownCode);
  }
  if (client_number.empty()) {
    Fail(errors, "client_number", "is required", RejectionKind::kMissing);
  } else if (client_number.size() > kMaxClientNumberBytes) {
    Fail(errors, "client_number", "longer than 64 bytes", RejectionKind::kTooLong);
  } else if (HasControlCharacter(client_number)) {
    Fail(errors, "client_number", "contains control characters", RejectionKind::kBadFormat);
  }
  return errors;
}

bool ProfileValidator::CheckKeyAndAction(const v1::SourceProfile& profile, Errors& errors) const {
  for (FieldError& error :
       CheckProfileKey(profile.source(), profile.client_number(), *reference_data_)) {
    errors.push_back(std::move(error));
  }
  // JSON Lines and the import API carry an open enum: a number it does not define is neither an
  // upsert nor a delete.
  if (!v1::SourceAction_IsValid(profile.action())) {
    errors.push_back({"action",
                      "not upsert or delete",
                      RejectionKind::kUnknownCode,
                      {"upsert, delete", std::nullopt}});
    return false;
  }
  // A delete row needs only the profile's key; whatever else it carries is not used.
  return profile.action() != v1::SOURCE_ACTION_DELETE;
}

void ProfileValidator::CheckPersonAndRegister(const v1::SourceProfile& profile,
                                              ValidatedProfile& resolved, Errors& errors) const {
  if (!profile.bsn().empty() && !IsValidBsn(profile.bsn())) {
    Fail(errors, "bsn", "does not pass the elfproef", RejectionKind::kInvalidBsn);
  }
  CheckPastDate(errors, "birth_date", profile.birth_date());
  if (!profile.email().empty() && !base::IsEmailAddress(profile.email())) {
    Fail(errors, "email", "not an e-mail address", RejectionKind::kBadFormat);
  }
  if (profile.postcode().empty()) {
    Fail(errors, "postcode", "is required (travel distances are computed from it)",
         RejectionKind::kMissing);
  } else if (std::optional<int> pc4 = engine::ParsePc4(profile.postcode()); !pc4.has_value()) {
    Fail(errors, "postcode", "not a Dutch postcode (expected 1234 AB or 1234)",
         RejectionKind::kBadFormat);
  } else {
    // PO-box and new postcodes have no area of their own and take the numerically nearest one.
    resolved.area_ = reference_data_->NearestPostcodeArea(*pc4);
    if (resolved.area_ != nullptr) {
      resolved.municipality_ = reference_data_->FindMunicipality(resolved.area_->municipality_code);
    }
    if (resolved.municipality_ == nullptr) {
      Fail(errors, "postcode", "has no area in the reference data",
           RejectionKind::kUnknownPostcode);
    }
  }
  if (!profile.target_group().empty() &&
      std::find(std::begin(kTargetGroupCodes), std::end(kTargetGroupCodes),
                profile.target_group()) == std::end(kTargetGroupCodes)) {
    FailNotOneOf(errors, "target_group", kTargetGroupCodes);
  }
  const std::optional<int64_t> start =
      CheckPastDate(errors, "register_start", profile.register_start());
  resolved.register_end_day_ = CheckDate(errors, "register_end", profile.register_end());
  if (start.has_value() && resolved.register_end_day_.has_value() &&
      *resolved.register_end_day_ < *start) {
    Fail(errors, "register_end", "before register_start", RejectionKind::kInconsistent);
  }
}

void ProfileValidator::CheckEducationAndExperience(const v1::SourceProfile& profile,
                                                   ValidatedProfile& resolved,
                                                   Errors& errors) const {
  if (!profile.education_level().empty()) {
    resolved.education_ = reference_data_->FindEducationLevel(profile.education_level());
    if (resolved.education_ == nullptr) {
      Fail(errors, "education_level", "not a code, label or alias from education_levels_nl.csv",
           RejectionKind::kUnknownCode);
    }
  }
  const int this_year =
      static_cast<int>(std::chrono::year_month_day(
                           std::chrono::floor<std::chrono::days>(std::chrono::system_clock::now()))
                           .year());
  for (int i = 0; i < profile.work_experience_size(); ++i) {
    const v1::SourceWorkExperience& experience = profile.work_experience(i);
    // Named by their path, as the proto promises: work_experience[1].months.
    const std::string entry = absl::StrCat("work_experience[", i, "].");
    if (experience.occupation().empty()) {
      Fail(errors, entry + "occupation", "is required in an entry", RejectionKind::kMissing);
    } else if (experience.occupation().size() > kMaxShortTextLength) {
      Fail(errors, entry + "occupation", "longer than 200 characters", RejectionKind::kTooLong);
    }
    if (OutsideRange(experience.has_months(), experience.months(), 0, kMaxExperienceMonths)) {
      FailOutside(errors, entry + "months", 0, kMaxExperienceMonths);
    }
    if (OutsideRange(experience.has_last_year(), experience.last_year(), kMinExperienceYear,
                     this_year + 1)) {
      FailOutside(errors, entry + "last_year", kMinExperienceYear, this_year + 1);
    }
  }
}

void ProfileValidator::CheckAvailability(const v1::SourceProfile& profile,
                                         ValidatedProfile& resolved, Errors& errors) const {
  if (OutsideRange(profile.has_max_travel_km(), profile.max_travel_km(), 0, kMaxTravelKm)) {
    FailOutside(errors, "max_travel_km", 0, kMaxTravelKm);
  }
  if (!profile.travel_mode().empty()) {
    std::optional<v1::TravelMode> mode = Lookup(kTravelModeCodes, profile.travel_mode());
    if (mode.has_value()) {
      resolved.travel_mode_ = *mode;
    } else {
      FailNotOneOf(errors, "travel_mode", kTravelModeCodes);
    }
  }
  if (OutsideRange(profile.has_hours_min(), profile.hours_min(), 0, engine::kMaxHoursPerWeek)) {
    FailOutside(errors, "hours_min", 0, engine::kMaxHoursPerWeek);
  }
  if (OutsideRange(profile.has_hours_max(), profile.hours_max(), 0, engine::kMaxHoursPerWeek)) {
    FailOutside(errors, "hours_max", 0, engine::kMaxHoursPerWeek);
  }
  if (profile.has_hours_min() && profile.has_hours_max() &&
      profile.hours_min() > profile.hours_max()) {
    Fail(errors, "hours_min", "greater than hours_max", RejectionKind::kInconsistent);
  }
  for (const std::string& day : profile.days()) {
    std::optional<v1::Weekday> weekday = Lookup(kDayCodes, day);
    if (!weekday.has_value()) {
      FailNotOneOf(errors, "days", kDayCodes);
      break;
    }
    resolved.days_ |= static_cast<uint8_t>(1u << (*weekday - 1));
  }
}

void ProfileValidator::CheckAffinitiesAndDates(const v1::SourceProfile& profile,
                                               ValidatedProfile& resolved, Errors& errors) const {
  for (const std::string& affinity : profile.affinities()) {
    const std::optional<std::string_view> code = engine::CanonicalAffinity(affinity);
    if (!code.has_value()) {
      errors.push_back({"affinities",
                        "not an affinity code or alias listed in docs/import-format.md",
                        RejectionKind::kUnknownCode,
                        {JoinCodes(engine::kAffinityCodes), std::nullopt}});
      break;
    }
    const auto kept = resolved.affinities().begin();
    if (std::find(kept, resolved.affinities().end(), *code) == resolved.affinities().end()) {
      resolved.affinities_[resolved.affinity_count_++] = *code;
    }
  }
  // Unknown codes are reported, never kept or dropped unseen.
  for (const std::string& need : profile.support_needs()) {
    if (std::find(std::begin(kSupportNeedCodes), std::end(kSupportNeedCodes), need) ==
        std::end(kSupportNeedCodes)) {
      FailNotOneOf(errors, "support_needs", kSupportNeedCodes);
      break;
    }
  }
  for (const std::string& language : profile.languages()) {
    if (!IsLanguageCode(language)) {
      Fail(errors, "languages", "not an ISO 639-1 code (two letters, e.g. nl)",
           RejectionKind::kUnknownCode);
      break;
    }
  }
  resolved.available_from_day_ = CheckDate(errors, "available_from", profile.available_from());
  resolved.updated_day_ = CheckDate(errors, "updated_at", profile.updated_at());
  resolved.availability_confirmed_day_ =
      CheckDate(errors, "availability_confirmed_on", profile.availability_confirmed_on());
}

}  // namespace verkenner::indexer
