#include "service/auth/quota.h"

#include <cmath>

namespace verkenner::service {

QuotaLimiter::QuotaLimiter(Limits limits) : limits_(limits) {
  // Without the time zone database the day would end at midnight UTC: an hour or two off, which
  // makes a quota a little longer or shorter, never absent.
  if (!absl::LoadTimeZone("Europe/Amsterdam", &amsterdam_)) amsterdam_ = absl::UTCTimeZone();
}

std::pair<absl::Time, absl::Time> QuotaLimiter::WindowOf(Kind kind, absl::Time now) const {
  if (kind == Kind::kSearch) {
    const absl::Time start =
        absl::UnixEpoch() + absl::Floor(now - absl::UnixEpoch(), absl::Minutes(1));
    return {start, start + absl::Minutes(1)};
  }
  const absl::CivilDay today = absl::ToCivilDay(now, amsterdam_);
  return {absl::FromCivil(today, amsterdam_), absl::FromCivil(today + 1, amsterdam_)};
}

int QuotaLimiter::LimitOf(Kind kind) const {
  return std::max(
      1, kind == Kind::kSearch ? limits_.searches_per_minute : limits_.profile_views_per_day);
}

v1::QuotaStatus QuotaLimiter::StatusOf(Kind kind, const Window& window, absl::Time end) const {
  v1::QuotaStatus status;
  status.set_limit(LimitOf(kind));
  status.set_remaining(std::max(0, LimitOf(kind) - window.used));
  status.mutable_reset_time()->set_seconds(absl::ToUnixSeconds(end));
  return status;
}

QuotaLimiter::Outcome QuotaLimiter::Take(const std::string& account_id, Kind kind, absl::Time now) {
  const auto [start, end] = WindowOf(kind, now);
  std::lock_guard<std::mutex> lock(mutex_);
  Window& window = windows_[static_cast<int>(kind)][account_id];
  if (window.start != start) window = Window{start, 0};
  Outcome outcome;
  outcome.allowed = window.used < LimitOf(kind);
  if (outcome.allowed) {
    ++window.used;
  } else {
    outcome.retry_after_seconds =
        std::max<int64_t>(1, static_cast<int64_t>(std::ceil(absl::ToDoubleSeconds(end - now))));
  }
  outcome.status = StatusOf(kind, window, end);
  return outcome;
}

v1::QuotaStatus QuotaLimiter::Peek(const std::string& account_id, Kind kind, absl::Time now) {
  const auto [start, end] = WindowOf(kind, now);
  std::lock_guard<std::mutex> lock(mutex_);
  auto& windows = windows_[static_cast<int>(kind)];
  auto found = windows.find(account_id);
  Window window{start, 0};
  if (found != windows.end() && found->second.start == start) window = found->second;
  return StatusOf(kind, window, end);
}

}  // namespace verkenner::service
