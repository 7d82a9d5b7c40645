#ifndef VERKENNER_SERVICE_RPC_REQUEST_VALIDATION_H_
#define VERKENNER_SERVICE_RPC_REQUEST_VALIDATION_H_

#include <google/protobuf/message.h>
#include <google/protobuf/repeated_field.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "engine/geo.h"
#include "engine/refdata/reference_data.h"
#include "verkenner/v1/common.pb.h"

namespace verkenner::service {

// The rules a v1 request must meet, each written once: idempotency keys and the content hash a
// retry is compared by, profile ids, text limits (in characters, as the proto states them; counted
// by base::CountCharacters), page sizes and page tokens, and the parts of a vacancy that searches
// and contact requests share (workplace, hours, days, start date). Every check answers OK or
// InvalidArgument "<field>: <reason>" (InvalidField), naming the field and never echoing the
// value. The handlers compose these; a rule that only one method has stays with its handler.
//
// Free functions and a value type without shared state: safe from any thread.

// Limits the proto states, in its units.
inline constexpr int kDefaultPageSize = 20;
inline constexpr int kMaxPageSize = 100;
inline constexpr size_t kMaxNoteCharacters = 2000;
inline constexpr size_t kMaxTitleCharacters = 200;
inline constexpr size_t kMaxDescriptionCharacters = 4000;
inline constexpr size_t kMaxIdempotencyKeyBytes = 64;
// A vacancy's first working day: Date allows the years 1 to 9999; a day before 2000 is a typo.
inline constexpr int kFirstStartYear = 2000;
inline constexpr int kLastStartYear = 9999;

// Whether `text` holds `min_characters` to `max_characters` characters (code points).
bool HasCharacters(std::string_view text, size_t min_characters, size_t max_characters);

// OK when `text` holds `min_characters` to `max_characters` characters; else InvalidArgument
// "<field>: 1 to 200 characters" (or "at most 2,000 characters" when `min_characters` is 0).
absl::Status CheckCharacters(std::string_view field, std::string_view text, size_t min_characters,
                             size_t max_characters);

// A note, a status note, a withdrawal reason: 0 to 2,000 characters.
absl::Status CheckNote(std::string_view field, std::string_view text);

// An idempotency key (request_id): 1 to 64 characters from A-Z, a-z, 0-9, "_" and "-".
absl::Status CheckIdempotencyKey(std::string_view key);

// An import's idempotency key (import_id), named `field` in the error: as a request_id, and "."
// besides, for keys such as "GM0344-2026-03-31.volledig".
absl::Status CheckImportId(std::string_view field, std::string_view import_id);

// What an idempotency key is compared by: a retry sends the same bytes. The message type is
// hashed along, so that a key reused for another method is a reuse, not a retry. Hex SHA-256.
std::string ContentHash(const google::protobuf::Message& request);

// A profile id (field "profile_id"): the shape of a pseudonym, 24 lowercase hexadecimal
// characters (indexer::Pseudonymizer::LooksLikeProfileId). Says nothing about whether it exists.
absl::Status CheckProfileId(std::string_view profile_id);

// The window of a list call: page_size 0 (20) to 100 (more is read as 100), and a page token
// that is the offset after a hash of the list's filters, so that a token of a differently filtered
// list is refused instead of silently skipping entries.
class ListPage {
 public:
  // The page `request` asks for. `ListRequest` is a List...Request with page_size and page_token;
  // its other fields are the filters. InvalidArgument naming page_size or page_token.
  template <typename ListRequest>
  static absl::StatusOr<ListPage> Of(const ListRequest& request) {
    ListRequest filters = request;
    filters.clear_page_size();
    filters.clear_page_token();
    return Parse(request.page_size(), request.page_token(), filters);
  }

  // The first index of the page and one past its last, within a list of `total` entries.
  int begin() const { return offset_; }
  int size() const { return size_; }
  int end(int total) const { return offset_ + size_ < total ? offset_ + size_ : total; }
  // The token of the page after this one in a list of `total` entries; empty when there is none.
  std::string NextToken(int total) const;

 private:
  static absl::StatusOr<ListPage> Parse(int32_t page_size, std::string_view page_token,
                                        const google::protobuf::Message& filters);
  ListPage(int offset, int size, std::string token_prefix)
      : offset_(offset), size_(size), token_prefix_(std::move(token_prefix)) {}

  int offset_;
  int size_;
  std::string token_prefix_;
};

// The page size a call asks for: 0 is the default 20, 1 to 100 itself, and more is read as 100
// (AIP-158: reduced, not refused). InvalidArgument naming page_size when it is negative.
absl::StatusOr<int> PageSize(int32_t page_size);

// Hours per week offered (field `field`): 0 <= min_hours <= max_hours <= 40, as HoursRange
// states it.
absl::Status CheckHours(std::string_view field, const v1::HoursRange& hours);

// The days since 1970-01-01 of a vacancy's first working day (field `field`): a real calendar
// day in the years 2000 to 9999.
absl::StatusOr<int64_t> StartDayOf(std::string_view field, const v1::Date& date);

// The working days of a vacancy as a bit set, bit 0 Monday to bit 6 Sunday (field `field`);
// InvalidArgument for a day that is not Monday to Sunday.
absl::StatusOr<uint8_t> WorkingDaysOf(std::string_view field,
                                      const google::protobuf::RepeatedField<int>& days);

// Where a vacancy's work is (field prefix `field`, e.g. "vacancy.workplace"): the centre of the
// postcode's PC4 area when a postcode is given, else of the municipality; nullopt when neither
// is. Each given part is checked: a postcode of the shape 1234 or 1234 AB, a known CBS
// municipality code.
absl::StatusOr<std::optional<engine::GeoPoint>> ResolveWorkplace(
    std::string_view field, const v1::Location& workplace,
    const engine::ReferenceData& reference_data);

// The checks of a v1 request message on its own that the handler of its method makes once it
// has admitted the caller, before it looks at the store: OK, or InvalidArgument naming the
// field. For callers that have no server, such as the JSON API fuzzer
// (tests/fuzz/json_api_fuzzer.cc). It calls the handlers' own check functions (ToEngineQuery,
// CheckCreateContactRequest, CheckCreateShortlist); for every other request it is
// CheckEnumsKnown, which every handler with enum fields applies first. Checks a handler makes
// inline, beside its store look-ups (page sizes, resource names), are not covered.
absl::Status ValidateRequest(const google::protobuf::Message& request,
                             const engine::ReferenceData& reference_data);

}  // namespace verkenner::service

#endif  // VERKENNER_SERVICE_RPC_REQUEST_VALIDATION_H_
