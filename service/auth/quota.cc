#include "service/auth/quota.h"

#include <algorithm>
#include <cmath>
#include <memory>
#include <optional>

#include "absl/strings/str_cat.h"
#include "service/store/records.h"

namespace verkenner::service {
namespace {

std::string AccountSubject(const AccountRecord& account) {
  return absl::StrCat("account/", account.id);
}

// Empty for an account without an organisation: it has no organisation quota.
std::string OrganisationSubject(const AccountRecord& account) {
  return account.organisation.empty() ? "" : absl::StrCat("organisation/", account.organisation);
}

int64_t SecondsUntil(absl::Time end, absl::Time now) {
  return std::max<int64_t>(1, static_cast<int64_t>(std::ceil(absl::ToDoubleSeconds(end - now))));
}

}  // namespace

QuotaLimiter::QuotaLimiter(Limits limits, Store* store) : limits_(limits), store_(store) {
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

int QuotaLimiter::AccountLimit(Kind kind) const {
  return std::max(
      1, kind == Kind::kSearch ? limits_.searches_per_minute : limits_.profile_views_per_day);
}

int QuotaLimiter::OrganisationLimit(Kind kind) const {
  return std::max(1, kind == Kind::kSearch ? limits_.organisation_searches_per_minute
                                           : limits_.organisation_profile_views_per_day);
}

v1::QuotaStatus QuotaLimiter::StatusOf(Kind kind, int64_t account_used, int64_t organisation_used,
                                       absl::Time end) const {
  const int64_t remaining =
      std::min(AccountLimit(kind) - account_used, OrganisationLimit(kind) - organisation_used);
  v1::QuotaStatus status;
  status.set_limit(AccountLimit(kind));
  status.set_remaining(static_cast<int32_t>(std::clamp<int64_t>(remaining, 0, AccountLimit(kind))));
  status.mutable_reset_time()->set_seconds(absl::ToUnixSeconds(end));
  return status;
}

void QuotaLimiter::Take(const AccountRecord& account, Kind kind, absl::Time now,
                        std::function<void(Outcome)> done) {
  if (kind == Kind::kSearch) {
    done(TakeSearch(account, now));
  } else {
    TakeProfileView(account, now, std::move(done));
  }
}

absl::Status QuotaLimiter::CountUse(sql::Connection& db, Kind kind, int64_t window_micros,
                                    const AccountRecord& account, Counted& counted) const {
  const std::string organisation = OrganisationSubject(account);
  absl::StatusOr<std::optional<int64_t>> used = TakeQuotaUse(
      db, AccountSubject(account), static_cast<int64_t>(kind), window_micros, AccountLimit(kind));
  if (!used.ok()) return used.status();
  counted.account_used = *used;
  if (used->has_value() && !organisation.empty()) {
    used = TakeQuotaUse(db, organisation, static_cast<int64_t>(kind), window_micros,
                        OrganisationLimit(kind));
    if (!used.ok()) return used.status();
    counted.organisation_used = *used;
  }
  if (!counted.account_used.has_value() || !counted.organisation_used.has_value()) {
    return absl::ResourceExhaustedError("used up");
  }
  return absl::OkStatus();
}

QuotaLimiter::Outcome QuotaLimiter::OutcomeOf(Kind kind, const absl::Status& status,
                                              const Counted& counted, absl::Time now,
                                              absl::Time end) const {
  Outcome outcome;
  outcome.allowed = status.ok();
  if (outcome.allowed) {
    outcome.status = StatusOf(kind, *counted.account_used, *counted.organisation_used, end);
  } else if (status.code() == absl::StatusCode::kResourceExhausted) {
    outcome.status = StatusOf(kind, AccountLimit(kind), OrganisationLimit(kind), end);
    outcome.retry_after_seconds = SecondsUntil(end, now);
  } else {
    outcome.error = absl::UnavailableError("cannot count the call now; try again");
  }
  return outcome;
}

QuotaLimiter::Outcome QuotaLimiter::TakeSearch(const AccountRecord& account, absl::Time now) {
  if (!store_->shared()) return TakeSearchInMemory(account, now);
  const auto [start, end] = WindowOf(Kind::kSearch, now);
  Counted counted;
  const absl::Status status = store_->Tally([&, start = start](sql::Connection& db) {
    return CountUse(db, Kind::kSearch, absl::ToUnixMicros(start), account, counted);
  });
  return OutcomeOf(Kind::kSearch, status, counted, now, end);
}

QuotaLimiter::Outcome QuotaLimiter::TakeSearchInMemory(const AccountRecord& account,
                                                       absl::Time now) {
  const auto [start, end] = WindowOf(Kind::kSearch, now);
  const std::string organisation = OrganisationSubject(account);
  std::lock_guard<std::mutex> lock(mutex_);
  auto current = [&, start = start](const std::string& subject) -> Window& {
    Window& window = search_windows_[subject];
    if (window.start != start) window = Window{start, 0};
    return window;
  };
  Window& mine = current(AccountSubject(account));
  Window unlimited;
  Window& ours = organisation.empty() ? unlimited : current(organisation);
  Outcome outcome;
  outcome.allowed = mine.used < AccountLimit(Kind::kSearch) &&
                    (organisation.empty() || ours.used < OrganisationLimit(Kind::kSearch));
  if (outcome.allowed) {
    ++mine.used;
    ++ours.used;
  } else {
    outcome.retry_after_seconds = SecondsUntil(end, now);
  }
  outcome.status = StatusOf(Kind::kSearch, mine.used, ours.used, end);
  return outcome;
}

void QuotaLimiter::TakeProfileView(const AccountRecord& account, absl::Time now,
                                   std::function<void(Outcome)> done) {
  const auto [start, end] = WindowOf(Kind::kProfileView, now);
  auto counted = std::make_shared<Counted>();
  store_->Write(
      [this, counted, window = absl::ToUnixMicros(start), account](sql::Connection& db) {
        return CountUse(db, Kind::kProfileView, window, account, *counted);
      },
      [this, counted, now, end = end, done = std::move(done)](absl::Status status) {
        done(OutcomeOf(Kind::kProfileView, status, *counted, now, end));
      });
}

v1::QuotaStatus QuotaLimiter::Peek(const AccountRecord& account, Kind kind, absl::Time now) {
  const auto [start, end] = WindowOf(kind, now);
  const std::string organisation = OrganisationSubject(account);
  if (kind == Kind::kSearch && !store_->shared()) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto used = [&, start = start](const std::string& subject) {
      auto found = search_windows_.find(subject);
      return found != search_windows_.end() && found->second.start == start ? found->second.used
                                                                            : 0;
    };
    return StatusOf(kind, used(AccountSubject(account)),
                    organisation.empty() ? 0 : used(organisation), end);
  }
  int64_t account_used = AccountLimit(kind);
  int64_t organisation_used = 0;
  const int64_t window = absl::ToUnixMicros(start);
  (void)store_->Read([&](sql::Connection& db) {
    absl::StatusOr<int64_t> mine =
        QuotaUses(db, AccountSubject(account), static_cast<int64_t>(kind), window);
    if (!mine.ok()) return mine.status();
    if (!organisation.empty()) {
      absl::StatusOr<int64_t> ours =
          QuotaUses(db, organisation, static_cast<int64_t>(kind), window);
      if (!ours.ok()) return ours.status();
      organisation_used = *ours;
    }
    account_used = *mine;
    return absl::OkStatus();
  });
  return StatusOf(kind, account_used, organisation_used, end);
}

}  // namespace verkenner::service
