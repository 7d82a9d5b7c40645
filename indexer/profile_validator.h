#ifndef VERKENNER_INDEXER_PROFILE_VALIDATOR_H_
#define VERKENNER_INDEXER_PROFILE_VALIDATOR_H_

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "engine/affinities.h"
#include "engine/refdata/reference_data.h"
#include "indexer/rejection_kind.h"
#include "verkenner/v1/common.pb.h"
#include "verkenner/v1/source_profile.pb.h"

namespace verkenner::indexer {

// A reason a source row cannot be imported. Names the field and the rule, never the value: the
// value may be a BSN, a name or an address.
struct FieldError {
  std::string field;   // SourceProfile field name, e.g. "postcode"
  std::string reason;  // English, e.g. "not a known Dutch postcode"
  RejectionKind kind = RejectionKind::kBadFormat;
  AllowedValues allowed;  // where the rule has a list or a range
};

// The longest client number (in bytes) a profile's key may have.
inline constexpr size_t kMaxClientNumberBytes = 64;

// The rule of a profile's key, shared by import rows and by every call that names a candidate by
// it (CandidateRightsService): source is UWV or a known CBS municipality code, client_number is
// 1 to 64 bytes without control characters. The errors name the field, never the value.
std::vector<FieldError> CheckProfileKey(const std::string& source, const std::string& client_number,
                                        const engine::ReferenceData& reference_data);

// The import contract's rule for case and white space (docs/import-format.md), in one place for
// every way a row arrives (CSV, JSON Lines, the import API):
// - white space (ASCII) around every text value is removed, and list values left empty are
//   dropped;
// - codes are put in the case their lists use: source in upper case ("gm0344" is GM0344), the
//   code fields target_group, travel_mode, days, support_needs and languages in lower case.
//   Education levels and affinities are matched ignoring case where they are looked up.
// Applied before a row is keyed, checked or stored, so " gm0344" and "GM0344" are one source.
void NormalizeSourceProfile(v1::SourceProfile& profile);

// The same rule for a profile's key alone, for every call that names a candidate by it.
void NormalizeProfileKey(std::string& source, std::string& client_number);
// And for a source alone (a full sync's).
void NormalizeSource(std::string& source);

class ProfileValidator;

// A source row that passed ProfileValidator, with every coded value the validator resolved while
// checking it, so the anonymiser neither parses nor looks anything up again. Only the validator
// makes one; it refers to the row (not owned), which must outlive it. The text fields (diplomas,
// skills, occupations, wishes, ...) stay in source().
class ValidatedProfile {
 public:
  const v1::SourceProfile& source() const { return *source_; }
  bool is_delete() const { return source_->action() == v1::SOURCE_ACTION_DELETE; }

  // Upserts only (a delete row needs nothing but its key):
  // The PC4 area of the postcode (PO-box and new postcodes: the numerically nearest one) and
  // its municipality.
  const engine::PostcodeArea& area() const { return *area_; }
  const engine::Municipality& municipality() const { return *municipality_; }
  // Null when the row leaves the level unknown.
  const engine::EducationLevelInfo* education() const { return education_; }
  // Bit (weekday - 1) for each v1::Weekday in days.
  uint8_t days() const { return days_; }
  v1::TravelMode travel_mode() const { return travel_mode_; }
  // The affinity codes (engine::kAffinityCodes), each once, in the row's order.
  std::span<const std::string_view> affinities() const {
    return {affinities_.data(), affinity_count_};
  }
  // Days since 1970-01-01; nullopt where the row leaves the date empty.
  std::optional<int64_t> register_end_day() const { return register_end_day_; }
  std::optional<int64_t> available_from_day() const { return available_from_day_; }
  std::optional<int64_t> updated_day() const { return updated_day_; }
  std::optional<int64_t> availability_confirmed_day() const { return availability_confirmed_day_; }

 private:
  friend class ProfileValidator;
  explicit ValidatedProfile(const v1::SourceProfile& source) : source_(&source) {}

  const v1::SourceProfile* source_;
  const engine::PostcodeArea* area_ = nullptr;
  const engine::Municipality* municipality_ = nullptr;
  const engine::EducationLevelInfo* education_ = nullptr;
  uint8_t days_ = 0;
  v1::TravelMode travel_mode_ = v1::TRAVEL_MODE_UNSPECIFIED;
  std::array<std::string_view, engine::kAffinityCodes.size()> affinities_;
  size_t affinity_count_ = 0;
  std::optional<int64_t> register_end_day_;
  std::optional<int64_t> available_from_day_;
  std::optional<int64_t> updated_day_;
  std::optional<int64_t> availability_confirmed_day_;
};

// Checks a SourceProfile against the import rules of docs/import-format.md and the reference
// data, resolving its coded values (postcode, education level, dates, days, travel mode,
// affinities) as it goes. Unknown (empty) values are allowed everywhere except source,
// client_number and postcode; a delete row needs only source and client_number. Text is not
// checked for UTF-8: whatever parsed the profile did (ParseCsvRow and ParseJsonLine, and protobuf
// for its wire format). Thread-safe (immutable).
class ProfileValidator {
 public:
  explicit ProfileValidator(std::shared_ptr<const engine::ReferenceData> reference_data);

  // The row resolved, when it may be imported; otherwise nullopt, and `errors` (cleared first)
  // holds every error of the row.
  std::optional<ValidatedProfile> Resolve(const v1::SourceProfile& profile,
                                          std::vector<FieldError>& errors) const;
  // All errors of `profile`; empty means it may be imported.
  std::vector<FieldError> Validate(const v1::SourceProfile& profile) const;

 private:
  using Errors = std::vector<FieldError>;
  // Each checks one group of the row's fields, adding to `errors` and resolving into `resolved`.
  // False when the row's key or action already decide the outcome (a delete needs no more).
  bool CheckKeyAndAction(const v1::SourceProfile& profile, Errors& errors) const;
  void CheckPersonAndRegister(const v1::SourceProfile& profile, ValidatedProfile& resolved,
                              Errors& errors) const;
  void CheckEducationAndExperience(const v1::SourceProfile& profile, ValidatedProfile& resolved,
                                   Errors& errors) const;
  void CheckAvailability(const v1::SourceProfile& profile, ValidatedProfile& resolved,
                         Errors& errors) const;
  void CheckAffinitiesAndDates(const v1::SourceProfile& profile, ValidatedProfile& resolved,
                               Errors& errors) const;

  std::shared_ptr<const engine::ReferenceData> reference_data_;
};

// Days since 1970-01-01 of an ISO 8601 date ("2026-03-31"); a date-time's time part is ignored.
std::optional<int64_t> ParseIsoDay(std::string_view text);

}  // namespace verkenner::indexer

#endif  // VERKENNER_INDEXER_PROFILE_VALIDATOR_H_
