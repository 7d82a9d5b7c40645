#include "service/auth/quota.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <future>
#include <memory>
#include <string>

#include "service/store/records.h"
#include "tests/test_store.h"

namespace verkenner::service {
namespace {

absl::Time Amsterdam(int year, int month, int day, int hour, int minute, int second) {
  absl::TimeZone zone;
  EXPECT_TRUE(absl::LoadTimeZone("Europe/Amsterdam", &zone));
  return absl::FromCivil(absl::CivilSecond(year, month, day, hour, minute, second), zone);
}

AccountRecord Account(const std::string& id, const std::string& organisation) {
  AccountRecord account;
  account.id = id;
  account.organisation = organisation;
  return account;
}

// A QuotaLimiter on a real store in a directory of its own.
class QuotaLimiterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    directory_ = std::filesystem::temp_directory_path() /
                 ("verkenner-quota-" + std::to_string(getpid()) + "-" +
                  ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(directory_);
    std::filesystem::create_directories(directory_);
    auto test_store = testing::TestStore::Create(directory_);
    ASSERT_TRUE(test_store.ok()) << test_store.status();
    test_store_ = std::move(*test_store);
    Reopen();
  }
  void TearDown() override {
    quotas_.reset();
    store_.reset();
    test_store_.reset();
    std::filesystem::remove_all(directory_);
  }

  // A restart: the limiter and its store are closed and opened again.
  void Reopen() {
    quotas_.reset();
    store_.reset();
    auto store = Store::Open(test_store_->target());
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = std::move(*store);
    quotas_ = std::make_unique<QuotaLimiter>(limits_, store_.get());
  }

  QuotaLimiter::Outcome Take(const AccountRecord& account, QuotaLimiter::Kind kind,
                             absl::Time now) {
    std::promise<QuotaLimiter::Outcome> outcome;
    quotas_->Take(account, kind, now,
                  [&](QuotaLimiter::Outcome taken) { outcome.set_value(std::move(taken)); });
    return outcome.get_future().get();
  }

  std::filesystem::path directory_;
  std::unique_ptr<testing::TestStore> test_store_;
  QuotaLimiter::Limits limits_{/*searches_per_minute=*/2, /*profile_views_per_day=*/3,
                               /*organisation_searches_per_minute=*/3,
                               /*organisation_profile_views_per_day=*/4};
  std::unique_ptr<Store> store_;
  std::unique_ptr<QuotaLimiter> quotas_;
};

TEST_F(QuotaLimiterTest, SearchesCountPerFixedMinuteAndSayWhenToRetry) {
  const absl::Time start = Amsterdam(2026, 11, 23, 10, 15, 40);
  const AccountRecord a = Account("a", "A BV");
  EXPECT_TRUE(Take(a, QuotaLimiter::Kind::kSearch, start).allowed);
  QuotaLimiter::Outcome second = Take(a, QuotaLimiter::Kind::kSearch, start);
  EXPECT_TRUE(second.allowed);
  EXPECT_EQ(second.status.remaining(), 0);
  QuotaLimiter::Outcome third = Take(a, QuotaLimiter::Kind::kSearch, start);
  EXPECT_FALSE(third.allowed);
  EXPECT_TRUE(third.error.ok());
  EXPECT_EQ(third.retry_after_seconds, 20);  // the minute ends at 10:16:00
  // Per account, and per organisation: the organisation "A BV" has one search left this minute.
  EXPECT_TRUE(Take(Account("b", "A BV"), QuotaLimiter::Kind::kSearch, start).allowed);
  EXPECT_FALSE(Take(Account("c", "A BV"), QuotaLimiter::Kind::kSearch, start).allowed);
  EXPECT_TRUE(Take(Account("d", "D BV"), QuotaLimiter::Kind::kSearch, start).allowed);
  EXPECT_TRUE(Take(a, QuotaLimiter::Kind::kSearch, start + absl::Seconds(20)).allowed);
}

TEST_F(QuotaLimiterTest, ProfileViewsResetAtMidnightInAmsterdamNotUtc) {
  limits_.profile_views_per_day = 1;
  Reopen();
  const AccountRecord a = Account("a", "A BV");
  // 00:30 in Amsterdam is still the previous day in UTC.
  const absl::Time night = Amsterdam(2026, 11, 23, 0, 30, 0);
  EXPECT_TRUE(Take(a, QuotaLimiter::Kind::kProfileView, night).allowed);
  QuotaLimiter::Outcome refused =
      Take(a, QuotaLimiter::Kind::kProfileView, night + absl::Hours(23));
  EXPECT_FALSE(refused.allowed);
  EXPECT_EQ(refused.retry_after_seconds, 30 * 60);
  EXPECT_EQ(refused.status.reset_time().seconds(),
            absl::ToUnixSeconds(Amsterdam(2026, 11, 24, 0, 0, 0)));
  EXPECT_TRUE(Take(a, QuotaLimiter::Kind::kProfileView, night + absl::Hours(24)).allowed);
  EXPECT_EQ(quotas_->Peek(a, QuotaLimiter::Kind::kProfileView, night + absl::Hours(24)).remaining(),
            0);
}

TEST_F(QuotaLimiterTest, ProfileViewsOutliveARestartAndAreSharedByTheOrganisation) {
  const absl::Time noon = Amsterdam(2026, 11, 23, 12, 0, 0);
  const AccountRecord a = Account("a", "Samen BV");
  EXPECT_TRUE(Take(a, QuotaLimiter::Kind::kProfileView, noon).allowed);
  EXPECT_TRUE(Take(a, QuotaLimiter::Kind::kProfileView, noon).allowed);
  Reopen();
  EXPECT_EQ(quotas_->Peek(a, QuotaLimiter::Kind::kProfileView, noon).remaining(), 1);
  EXPECT_TRUE(Take(a, QuotaLimiter::Kind::kProfileView, noon).allowed);
  EXPECT_FALSE(Take(a, QuotaLimiter::Kind::kProfileView, noon).allowed);
  // The organisation has one of its four left; a refused view counts for neither.
  const AccountRecord b = Account("b", "Samen BV");
  EXPECT_EQ(quotas_->Peek(b, QuotaLimiter::Kind::kProfileView, noon).remaining(), 1);
  EXPECT_TRUE(Take(b, QuotaLimiter::Kind::kProfileView, noon).allowed);
  QuotaLimiter::Outcome refused = Take(b, QuotaLimiter::Kind::kProfileView, noon);
  EXPECT_FALSE(refused.allowed);
  EXPECT_TRUE(refused.error.ok());
  EXPECT_GT(refused.retry_after_seconds, 0);
  int64_t used_by_b = -1;
  ASSERT_TRUE(store_
                  ->Read([&](sql::Connection& db) {
                    auto used = QuotaUses(db, "account/b",
                                          static_cast<int64_t>(QuotaLimiter::Kind::kProfileView),
                                          absl::ToUnixMicros(Amsterdam(2026, 11, 23, 0, 0, 0)));
                    if (!used.ok()) return used.status();
                    used_by_b = *used;
                    return absl::OkStatus();
                  })
                  .ok());
  EXPECT_EQ(used_by_b, 1);
  // Without an organisation, only the account's own limit.
  const AccountRecord loner = Account("z", "");
  for (int i = 0; i < 3; ++i)
    EXPECT_TRUE(Take(loner, QuotaLimiter::Kind::kProfileView, noon).allowed);
  EXPECT_FALSE(Take(loner, QuotaLimiter::Kind::kProfileView, noon).allowed);
}

}  // namespace
}  // namespace verkenner::service
