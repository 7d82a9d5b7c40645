#include "service/auth/quota.h"

#include <gtest/gtest.h>

namespace verkenner::service {
namespace {

absl::Time Amsterdam(int year, int month, int day, int hour, int minute, int second) {
  absl::TimeZone zone;
  EXPECT_TRUE(absl::LoadTimeZone("Europe/Amsterdam", &zone));
  return absl::FromCivil(absl::CivilSecond(year, month, day, hour, minute, second), zone);
}

TEST(QuotaLimiterTest, SearchesCountPerFixedMinuteAndSayWhenToRetry) {
  QuotaLimiter quotas({/*searches_per_minute=*/2, /*profile_views_per_day=*/10});
  const absl::Time start = Amsterdam(2026, 11, 23, 10, 15, 40);
  EXPECT_TRUE(quotas.Take("a", QuotaLimiter::Kind::kSearch, start).allowed);
  QuotaLimiter::Outcome second = quotas.Take("a", QuotaLimiter::Kind::kSearch, start);
  EXPECT_TRUE(second.allowed);
  EXPECT_EQ(second.status.remaining(), 0);
  QuotaLimiter::Outcome third = quotas.Take("a", QuotaLimiter::Kind::kSearch, start);
  EXPECT_FALSE(third.allowed);
  EXPECT_EQ(third.retry_after_seconds, 20);  // the minute ends at 10:16:00
  EXPECT_TRUE(quotas.Take("b", QuotaLimiter::Kind::kSearch, start).allowed);  // per account
  EXPECT_TRUE(quotas.Take("a", QuotaLimiter::Kind::kSearch, start + absl::Seconds(20)).allowed);
}

TEST(QuotaLimiterTest, ProfileViewsResetAtMidnightInAmsterdamNotUtc) {
  QuotaLimiter quotas({/*searches_per_minute=*/60, /*profile_views_per_day=*/1});
  // 00:30 in Amsterdam is still the previous day in UTC.
  const absl::Time night = Amsterdam(2026, 11, 23, 0, 30, 0);
  EXPECT_TRUE(quotas.Take("a", QuotaLimiter::Kind::kProfileView, night).allowed);
  QuotaLimiter::Outcome refused =
      quotas.Take("a", QuotaLimiter::Kind::kProfileView, night + absl::Hours(23));
  EXPECT_FALSE(refused.allowed);
  EXPECT_EQ(refused.retry_after_seconds, 30 * 60);
  EXPECT_EQ(refused.status.reset_time().seconds(),
            absl::ToUnixSeconds(Amsterdam(2026, 11, 24, 0, 0, 0)));
  EXPECT_TRUE(quotas.Take("a", QuotaLimiter::Kind::kProfileView, night + absl::Hours(24)).allowed);
  EXPECT_EQ(quotas.Peek("a", QuotaLimiter::Kind::kProfileView, night + absl::Hours(24)).remaining(),
            0);
}

}  // namespace
}  // namespace verkenner::service
