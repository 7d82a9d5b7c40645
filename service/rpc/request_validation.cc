#include "service/rpc/request_validation.h"

#include <algorithm>
#include <chrono>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "base/utf8.h"
#include "engine/banenafspraak.h"
#include "indexer/pseudonymizer.h"
#include "service/rpc/contact_request_service.h"
#include "service/rpc/environment.h"
#include "service/rpc/search_service.h"
#include "service/rpc/shortlist_service.h"
#include "service/store/records.h"

namespace verkenner::service {
namespace {

// "2,000": the limits read as the proto writes them.
std::string WithThousands(size_t count) {
  if (count < 1000) return absl::StrCat(count);
  return absl::StrCat(WithThousands(count / 1000), ",", absl::Dec(count % 1000, absl::kZeroPad3));
}

bool IsIdempotencyKeyCharacter(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-';
}

}  // namespace

bool HasCharacters(std::string_view text, size_t min_characters, size_t max_characters) {
  // Text longer in bytes than 4 x max cannot fit; do not count what is certainly too long.
  if (text.size() > 4 * max_characters) return false;
  const size_t characters = base::CountCharacters(text);
  return characters >= min_characters && characters <= max_characters;
}

absl::Status CheckCharacters(std::string_view field, std::string_view text, size_t min_characters,
                             size_t max_characters) {
  if (HasCharacters(text, min_characters, max_characters)) return absl::OkStatus();
  if (min_characters == 0) {
    return InvalidField(field,
                        absl::StrCat("at most ", WithThousands(max_characters), " characters"));
  }
  return InvalidField(field, absl::StrCat(WithThousands(min_characters), " to ",
                                          WithThousands(max_characters), " characters"));
}

absl::Status CheckNote(std::string_view field, std::string_view text) {
  return CheckCharacters(field, text, 0, kMaxNoteCharacters);
}

absl::Status CheckIdempotencyKey(std::string_view key) {
  if (key.empty() || key.size() > kMaxIdempotencyKeyBytes ||
      !std::all_of(key.begin(), key.end(), IsIdempotencyKeyCharacter)) {
    return InvalidField("request_id", "1 to 64 characters from A-Z, a-z, 0-9, _ and -");
  }
  return absl::OkStatus();
}

absl::Status CheckImportId(std::string_view field, std::string_view import_id) {
  if (import_id.empty() || import_id.size() > kMaxIdempotencyKeyBytes ||
      !std::all_of(import_id.begin(), import_id.end(),
                   [](char c) { return c == '.' || IsIdempotencyKeyCharacter(c); })) {
    return InvalidField(field, "1 to 64 characters from A-Z, a-z, 0-9, ., _ and -");
  }
  return absl::OkStatus();
}

std::string ContentHash(const google::protobuf::Message& request) {
  return Sha256Hex(
      absl::StrCat(request.GetDescriptor()->full_name(), "\n", request.SerializeAsString()));
}

absl::Status CheckProfileId(std::string_view profile_id) {
  if (!indexer::Pseudonymizer::LooksLikeProfileId(profile_id)) {
    return InvalidField("profile_id", "not a profile id (24 characters 0-9, a-f)");
  }
  return absl::OkStatus();
}

absl::StatusOr<int> PageSize(int32_t page_size) {
  if (page_size < 0) return InvalidField("page_size", "expected 0 (default 20) or more");
  return page_size == 0 ? kDefaultPageSize : std::min(page_size, kMaxPageSize);
}

absl::StatusOr<ListPage> ListPage::Parse(int32_t page_size, std::string_view page_token,
                                         const google::protobuf::Message& filters) {
  absl::StatusOr<int> size = PageSize(page_size);
  if (!size.ok()) return size.status();
  std::string token_prefix = ContentHash(filters).substr(0, 16) + ".";
  int offset = 0;
  if (!page_token.empty() &&
      (!page_token.starts_with(token_prefix) ||
       !absl::SimpleAtoi(std::string(page_token.substr(token_prefix.size())), &offset) ||
       offset < 0)) {
    return InvalidField("page_token", "not a token of this list with these filters");
  }
  return ListPage(offset, *size, std::move(token_prefix));
}

std::string ListPage::NextToken(int total) const {
  if (offset_ + size_ >= total) return "";
  return absl::StrCat(token_prefix_, offset_ + size_);
}

absl::Status CheckHours(std::string_view field, const v1::HoursRange& hours) {
  if (hours.min_hours() < 0 || hours.max_hours() > engine::kMaxHoursPerWeek ||
      hours.min_hours() > hours.max_hours()) {
    return InvalidField(field, "expected 0 <= min_hours <= max_hours <= 40");
  }
  return absl::OkStatus();
}

absl::StatusOr<int64_t> StartDayOf(std::string_view field, const v1::Date& date) {
  const std::chrono::year_month_day day{std::chrono::year(date.year()),
                                        std::chrono::month(static_cast<unsigned>(date.month())),
                                        std::chrono::day(static_cast<unsigned>(date.day()))};
  // year_month_day::ok() refuses 31 February, month 13 and day 0, without normalising.
  if (date.year() < kFirstStartYear || date.year() > kLastStartYear || !day.ok()) {
    return InvalidField(field, "not a valid date");
  }
  return std::chrono::sys_days(day).time_since_epoch().count();
}

absl::StatusOr<uint8_t> WorkingDaysOf(std::string_view field,
                                      const google::protobuf::RepeatedField<int>& days) {
  uint8_t mask = 0;
  for (int day : days) {
    if (day < v1::WEEKDAY_MONDAY || day > v1::WEEKDAY_SUNDAY) {
      return InvalidField(field, "unknown weekday");
    }
    mask |= static_cast<uint8_t>(1u << (day - v1::WEEKDAY_MONDAY));
  }
  return mask;
}

absl::StatusOr<std::optional<engine::GeoPoint>> ResolveWorkplace(
    std::string_view field, const v1::Location& workplace,
    const engine::ReferenceData& reference_data) {
  std::optional<engine::GeoPoint> place;
  if (!workplace.postcode().empty()) {
    std::optional<int> pc4 = engine::ParsePc4(workplace.postcode());
    if (!pc4.has_value()) {
      return InvalidField(std::string(field) + ".postcode",
                          "not a Dutch postcode (1234 or 1234 AB)");
    }
    const engine::PostcodeArea* area = reference_data.NearestPostcodeArea(*pc4);
    place = engine::GeoPoint{area->lat, area->lon};
  }
  if (!workplace.municipality_code().empty()) {
    const engine::Municipality* municipality =
        reference_data.FindMunicipality(workplace.municipality_code());
    if (municipality == nullptr) {
      return InvalidField(std::string(field) + ".municipality_code",
                          "not a known CBS municipality code");
    }
    // The postcode is the finer of the two: it wins when both are given.
    if (!place.has_value()) place = engine::GeoPoint{municipality->lat, municipality->lon};
  }
  return place;
}

absl::Status ValidateRequest(const google::protobuf::Message& request,
                             const engine::ReferenceData& reference_data) {
  const google::protobuf::Descriptor* type = request.GetDescriptor();
  // Messages of the generated pool: the types compare by descriptor, and the casts are safe.
  if (type == v1::SearchCandidatesRequest::descriptor()) {
    return ToEngineQuery(static_cast<const v1::SearchCandidatesRequest&>(request), reference_data)
        .status();
  }
  if (type == v1::CreateContactRequestRequest::descriptor()) {
    return CheckCreateContactRequest(static_cast<const v1::CreateContactRequestRequest&>(request),
                                     reference_data);
  }
  if (type == v1::CreateShortlistRequest::descriptor()) {
    return CheckCreateShortlist(static_cast<const v1::CreateShortlistRequest&>(request));
  }
  return CheckEnumsKnown(request);
}

}  // namespace verkenner::service
