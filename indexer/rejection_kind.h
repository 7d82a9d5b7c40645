#ifndef VERKENNER_INDEXER_REJECTION_KIND_H_
#define VERKENNER_INDEXER_REJECTION_KIND_H_

#include <cstdint>
#include <optional>
#include <string>
#include <utility>

namespace verkenner::indexer {

// Which kind of rule a row broke, for reports that count problems by kind (the service's import
// API maps these one to one onto verkenner.v1.RejectionReason: ToProtoReason). Set where the
// problem is found (the reader, the validator, the importer), never inferred from a message.
enum class RejectionKind {
  kMissing,          // a required field is empty
  kBadFormat,        // not a number, date, postcode, ... or not parsable at all
  kOutOfRange,       // a number or date outside its range
  kUnknownCode,      // a code or label in none of the reference lists
  kInvalidBsn,       // fails the elfproef
  kUnknownPostcode,  // a well-formed postcode of no PC4 area
  kInconsistent,     // contradicts another field of the row
  kTooLong,          // a text, list or whole record longer than allowed
  kSourceMismatch,   // another source than the import is for
  kDuplicate,        // the same client earlier in the same import
};

// What the rule a row broke allows, where it has a list or a range, so that a report can tell the
// source what to write instead. Never holds the row's value.
struct AllowedValues {
  std::string codes;                                 // "ma, di, wo, do, vr, za, zo"; or empty
  std::optional<std::pair<int64_t, int64_t>> range;  // both ends included
};

}  // namespace verkenner::indexer

#endif  // VERKENNER_INDEXER_REJECTION_KIND_H_
