// The request rules of service/rpc/request_validation.h: every limit with a case just inside and
// one just outside it.
#include "service/rpc/request_validation.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "engine/refdata/reference_data.h"
#include "verkenner/v1/contact_requests.pb.h"
#include "verkenner/v1/saved_profiles.pb.h"
#include "verkenner/v1/shortlists.pb.h"

namespace verkenner::service {
namespace {

std::string Repeat(std::string_view piece, size_t times) {
  std::string text;
  for (size_t i = 0; i < times; ++i) text += piece;
  return text;
}

// The field a refusal names: the message up to its first ':'.
std::string FieldOf(const absl::Status& status) {
  return std::string(status.message().substr(0, status.message().find(':')));
}

TEST(RequestValidationTest, NotesCountCharactersNotBytes) {
  EXPECT_TRUE(CheckNote("note", "").ok());
  EXPECT_TRUE(CheckNote("note", Repeat("\xC3\xA9", 2000)).ok());  // 4,000 bytes
  EXPECT_TRUE(CheckNote("note", Repeat("x", 2000)).ok());
  const absl::Status too_long = CheckNote("note", Repeat("\xC3\xA9", 2001));
  EXPECT_EQ(too_long.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(too_long.message(), "note: at most 2,000 characters");
  EXPECT_FALSE(CheckNote("note", Repeat("x", 2001)).ok());
  // Four-byte characters count once too.
  EXPECT_TRUE(CheckNote("note", Repeat("\xF0\x9F\x98\x80", 2000)).ok());
  EXPECT_FALSE(CheckNote("note", Repeat("\xF0\x9F\x98\x80", 2001)).ok());
}

TEST(RequestValidationTest, TitlesHoldOneTo200Characters) {
  EXPECT_FALSE(CheckCharacters("title", "", 1, kMaxTitleCharacters).ok());
  EXPECT_TRUE(CheckCharacters("title", "a", 1, kMaxTitleCharacters).ok());
  EXPECT_TRUE(CheckCharacters("title", Repeat("\xC3\xAB", 200), 1, kMaxTitleCharacters).ok());
  const absl::Status too_long =
      CheckCharacters("title", Repeat("\xC3\xAB", 201), 1, kMaxTitleCharacters);
  EXPECT_EQ(too_long.message(), "title: 1 to 200 characters");
}

TEST(RequestValidationTest, DescriptionsHoldAtMost4000Characters) {
  EXPECT_TRUE(CheckCharacters("message", Repeat("\xC3\xA9", 4000), 0, 4000).ok());
  EXPECT_EQ(CheckCharacters("message", Repeat("\xC3\xA9", 4001), 0, 4000).message(),
            "message: at most 4,000 characters");
}

TEST(RequestValidationTest, HasCharactersCountsTheBounds) {
  EXPECT_FALSE(HasCharacters(Repeat("\xC3\xA9", 9), 10, 500));
  EXPECT_TRUE(HasCharacters(Repeat("\xC3\xA9", 10), 10, 500));
  EXPECT_TRUE(HasCharacters(Repeat("\xC3\xA9", 500), 10, 500));
  EXPECT_FALSE(HasCharacters(Repeat("\xC3\xA9", 501), 10, 500));
}

TEST(RequestValidationTest, IdempotencyKeysHoldOneTo64SafeCharacters) {
  EXPECT_FALSE(CheckIdempotencyKey("").ok());
  EXPECT_TRUE(CheckIdempotencyKey("a").ok());
  EXPECT_TRUE(CheckIdempotencyKey(Repeat("a", 64)).ok());
  EXPECT_FALSE(CheckIdempotencyKey(Repeat("a", 65)).ok());
  EXPECT_TRUE(CheckIdempotencyKey("AZaz09_-").ok());
  for (std::string_view bad : {"met spatie", "punt.", "slash/", "\xC3\xA9"}) {
    const absl::Status status = CheckIdempotencyKey(bad);
    EXPECT_EQ(FieldOf(status), "request_id") << bad;
  }
}

TEST(RequestValidationTest, ContentHashesTellMethodsApart) {
  v1::AddContactRequestNoteRequest note;
  note.set_name("contactRequests/x");
  v1::AddContactRequestNoteRequest same = note;
  EXPECT_EQ(ContentHash(note), ContentHash(same));
  same.set_text("anders");
  EXPECT_NE(ContentHash(note), ContentHash(same));
  // The same bytes as another method's request are another request.
  v1::GetContactRequestRequest get;
  get.set_name("contactRequests/x");
  ASSERT_EQ(get.SerializeAsString(), note.SerializeAsString());
  EXPECT_NE(ContentHash(get), ContentHash(note));
}

TEST(RequestValidationTest, ProfileIdsHaveThePseudonymShape) {
  EXPECT_TRUE(CheckProfileId(Repeat("a", 24)).ok());
  EXPECT_TRUE(CheckProfileId("0123456789abcdef01234567").ok());
  EXPECT_FALSE(CheckProfileId(Repeat("a", 23)).ok());
  EXPECT_FALSE(CheckProfileId(Repeat("a", 25)).ok());
  EXPECT_FALSE(CheckProfileId("").ok());
  EXPECT_FALSE(CheckProfileId("0123456789ABCDEF01234567").ok());
  EXPECT_EQ(FieldOf(CheckProfileId("geen id")), "profile_id");
}

// AIP-158: a page size above the maximum is read as the maximum, not refused; a negative one is.
TEST(RequestValidationTest, PageSizesRunFrom0To100AndLargerOnesAreReduced) {
  EXPECT_EQ(*PageSize(0), kDefaultPageSize);
  EXPECT_EQ(*PageSize(1), 1);
  EXPECT_EQ(*PageSize(100), 100);
  EXPECT_EQ(*PageSize(101), 100);
  EXPECT_EQ(*PageSize(1'000'000), 100);
  EXPECT_EQ(FieldOf(PageSize(-1).status()), "page_size");
}

TEST(RequestValidationTest, PageTokensBelongToTheirFilters) {
  v1::ListShortlistsRequest request;
  request.set_page_size(2);
  absl::StatusOr<ListPage> first = ListPage::Of(request);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->begin(), 0);
  EXPECT_EQ(first->end(5), 2);
  EXPECT_EQ(first->NextToken(2), "");  // exactly one page: no next one
  const std::string token = first->NextToken(3);
  ASSERT_FALSE(token.empty());
  request.set_page_token(token);
  absl::StatusOr<ListPage> second = ListPage::Of(request);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->begin(), 2);
  EXPECT_EQ(second->end(3), 3);
  EXPECT_EQ(second->NextToken(3), "");
  // Another filter, another list: the token is refused.
  request.set_contact_request("contactRequests/0123456789abcdef0123456789abcdef");
  EXPECT_EQ(FieldOf(ListPage::Of(request).status()), "page_token");
  request.clear_contact_request();
  request.set_page_token("0");
  EXPECT_EQ(FieldOf(ListPage::Of(request).status()), "page_token");
  request.set_page_size(-1);
  EXPECT_EQ(FieldOf(ListPage::Of(request).status()), "page_size");
}

TEST(RequestValidationTest, HoursRunFrom0To40WithMinAtMostMax) {
  auto hours = [](int min, int max) {
    v1::HoursRange range;
    range.set_min_hours(min);
    range.set_max_hours(max);
    return CheckHours("vacancy.hours", range);
  };
  EXPECT_TRUE(hours(0, 0).ok());  // HoursRange allows it: max_hours runs from min_hours
  EXPECT_TRUE(hours(0, 40).ok());
  EXPECT_TRUE(hours(40, 40).ok());
  EXPECT_FALSE(hours(0, 41).ok());
  EXPECT_FALSE(hours(-1, 10).ok());
  EXPECT_FALSE(hours(21, 20).ok());
  EXPECT_TRUE(hours(20, 20).ok());
  EXPECT_EQ(FieldOf(hours(0, 41)), "vacancy.hours");
}

TEST(RequestValidationTest, StartDatesAreRealDaysFrom2000To9999) {
  auto start = [](int year, int month, int day) {
    v1::Date date;
    date.set_year(year);
    date.set_month(month);
    date.set_day(day);
    return StartDayOf("vacancy.start_date", date);
  };
  EXPECT_FALSE(start(1999, 12, 31).ok());
  EXPECT_EQ(*start(2000, 1, 1), 10957);
  EXPECT_TRUE(start(9999, 12, 31).ok());
  EXPECT_FALSE(start(10000, 1, 1).ok());
  EXPECT_TRUE(start(2028, 2, 29).ok());
  EXPECT_FALSE(start(2027, 2, 29).ok());
  EXPECT_TRUE(start(2027, 2, 28).ok());
  EXPECT_FALSE(start(2027, 13, 1).ok());
  EXPECT_FALSE(start(2027, 12, 0).ok());
  EXPECT_FALSE(start(2027, 12, 32).ok());
  EXPECT_EQ(FieldOf(start(2027, 2, 30).status()), "vacancy.start_date");
}

TEST(RequestValidationTest, WorkingDaysAreMondayToSunday) {
  google::protobuf::RepeatedField<int> days;
  days.Add(v1::WEEKDAY_MONDAY);
  days.Add(v1::WEEKDAY_SUNDAY);
  EXPECT_EQ(*WorkingDaysOf("vacancy.days", days), 0b1000001);
  days.Add(v1::WEEKDAY_SUNDAY + 1);
  EXPECT_EQ(FieldOf(WorkingDaysOf("vacancy.days", days).status()), "vacancy.days");
  google::protobuf::RepeatedField<int> unspecified;
  unspecified.Add(v1::WEEKDAY_UNSPECIFIED);
  EXPECT_FALSE(WorkingDaysOf("vacancy.days", unspecified).ok());
}

class WorkplaceTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto loaded = engine::ReferenceData::Load(engine::ReferenceData::DefaultDirectory());
    ASSERT_TRUE(loaded.ok()) << loaded.status();
    reference_ = new std::shared_ptr<const engine::ReferenceData>(*std::move(loaded));
  }
  static void TearDownTestSuite() { delete reference_; }

  static absl::StatusOr<std::optional<engine::GeoPoint>> Resolve(const std::string& postcode,
                                                                 const std::string& municipality) {
    v1::Location workplace;
    workplace.set_postcode(postcode);
    workplace.set_municipality_code(municipality);
    return ResolveWorkplace("vacancy.workplace", workplace, **reference_);
  }

  static std::shared_ptr<const engine::ReferenceData>* reference_;
};

std::shared_ptr<const engine::ReferenceData>* WorkplaceTest::reference_ = nullptr;

TEST_F(WorkplaceTest, EachGivenPartIsCheckedAndThePostcodeWins) {
  absl::StatusOr<std::optional<engine::GeoPoint>> none = Resolve("", "");
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
  absl::StatusOr<std::optional<engine::GeoPoint>> utrecht = Resolve("", "GM0344");
  ASSERT_TRUE(utrecht.ok()) << utrecht.status();
  ASSERT_TRUE(utrecht->has_value());
  absl::StatusOr<std::optional<engine::GeoPoint>> postcode = Resolve("3511 AB", "");
  ASSERT_TRUE(postcode.ok()) << postcode.status();
  ASSERT_TRUE(postcode->has_value());
  absl::StatusOr<std::optional<engine::GeoPoint>> both = Resolve("3511 AB", "GM0344");
  ASSERT_TRUE(both.ok());
  EXPECT_EQ((*both)->lat, (*postcode)->lat);
  EXPECT_EQ((*both)->lon, (*postcode)->lon);
  EXPECT_EQ(FieldOf(Resolve("351", "").status()), "vacancy.workplace.postcode");
  EXPECT_EQ(FieldOf(Resolve("", "GM9999").status()), "vacancy.workplace.municipality_code");
  EXPECT_EQ(FieldOf(Resolve("3511 AB", "GM9999").status()), "vacancy.workplace.municipality_code");
}

}  // namespace
}  // namespace verkenner::service
