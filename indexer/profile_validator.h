#ifndef VERKENNER_INDEXER_PROFILE_VALIDATOR_H_
#define VERKENNER_INDEXER_PROFILE_VALIDATOR_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/refdata/reference_data.h"
#include "verkenner/v1/source_profile.pb.h"

namespace verkenner::indexer {

// Which kind of rule a row broke, for reports that count problems by kind (the service's import
// API maps these one to one onto verkenner.v1.RejectionReason).
enum class RejectionKind {
  kMissing,          // a required field is empty
  kBadFormat,        // not a number, date, postcode, ... or not parsable at all
  kOutOfRange,       // a number or date outside its range
  kUnknownCode,      // a code or label in none of the reference lists
  kInvalidBsn,       // fails the elfproef
  kUnknownPostcode,  // a well-formed postcode of no PC4 area
  kInconsistent,     // contradicts another field of the row
  kTooLong,          // a text or list longer than allowed
  kSourceMismatch,   // another source than the import is for
  kDuplicate,        // the same client earlier in the same import
};

// A reason a source row cannot be imported. Names the field and the rule, never the value: the
// value may be a BSN, a name or an address.
struct FieldError {
  std::string field;   // SourceProfile field name, e.g. "postcode"
  std::string reason;  // English, e.g. "not a known Dutch postcode"
  RejectionKind kind = RejectionKind::kBadFormat;
};

// Checks a SourceProfile against the import rules of docs/import-format.md and the reference
// data. Unknown (empty) values are allowed everywhere except source, client_number and
// postcode; a delete row needs only source and client_number. Text is not checked for UTF-8:
// whatever parsed the profile did (ParseCsvRow and ParseJsonLine, and protobuf for its wire
// format). Thread-safe (immutable).
class ProfileValidator {
 public:
  explicit ProfileValidator(std::shared_ptr<const engine::ReferenceData> reference_data);

  // All errors of `profile`; empty means it may be imported.
  std::vector<FieldError> Validate(const v1::SourceProfile& profile) const;

 private:
  std::shared_ptr<const engine::ReferenceData> reference_data_;
};

// Days since 1970-01-01 of an ISO 8601 date ("2026-03-31"); a date-time's time part is ignored.
std::optional<int64_t> ParseIsoDay(std::string_view text);

}  // namespace verkenner::indexer

#endif  // VERKENNER_INDEXER_PROFILE_VALIDATOR_H_
