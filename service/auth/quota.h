#ifndef VERKENNER_SERVICE_AUTH_QUOTA_H_
#define VERKENNER_SERVICE_AUTH_QUOTA_H_

#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "service/store/accounts.h"
#include "service/store/store.h"
#include "verkenner/v1/sessions.pb.h"

namespace verkenner::service {

// Quotas against bulk copying of profiles (2019: 117,000 CVs scraped through one employer
// account; 2024: one account viewed 150,000 CVs in a day), per account and, so that new accounts
// bring no fresh quota, per organisation: a call counts against both, and is refused when either
// is used up. Searches count in fixed one-minute windows, profile views per calendar day in
// Europe/Amsterdam, as verkenner.v1.Account documents.
//
// Counts live in the store (one conditional update per subject, in one transaction), so a restart
// forgives nothing and the instances sharing a store share the count: profile views durably, in
// the write groups; searches on a shared store (PostgreSQL) in Store::Tally, which does not wait
// for the standby. On an SQLite store, which one process has, searches are counted in memory, so
// that a search does not wait for the one writer's disk write: a restart forgives at most one
// minute of searches, which bounds nothing a scraper needs (a search shows anonymous summaries;
// every profile costs a view).
//
// Accounts without an organisation (empty) have the per-account quota only. Thread-safe. Does not
// own the store, which must outlive it.
class QuotaLimiter {
 public:
  struct Limits {
    int searches_per_minute = 60;
    int profile_views_per_day = 300;
    int organisation_searches_per_minute = 300;
    int organisation_profile_views_per_day = 1000;
  };
  enum class Kind { kSearch = 1, kProfileView = 2 };

  // What Take() decided.
  struct Outcome {
    bool allowed = false;
    // Not OK (Unavailable) when the count could not be kept; then `allowed` is false.
    absl::Status error;
    // The account's quota after this call: its own limit, and what is left of it and of the
    // organisation's, whichever is less.
    v1::QuotaStatus status;
    int64_t retry_after_seconds = 0;  // when refused: whole seconds until the window resets
  };

  QuotaLimiter(Limits limits, Store* store);

  // Counts one call of `kind` by `account` (and its organisation) at `now`, unless a quota is
  // used up, and passes the outcome to `done`: for searches before Take returns, for profile
  // views once the count is committed (on the store's writer thread; `done` must not block).
  void Take(const AccountRecord& account, Kind kind, absl::Time now,
            std::function<void(Outcome)> done);
  // The quota as it stands, without counting. When the store cannot be read, the whole limit is
  // shown as used.
  v1::QuotaStatus Peek(const AccountRecord& account, Kind kind, absl::Time now);

 private:
  struct Window {
    absl::Time start;
    int used = 0;
  };
  // What counting in the store found.
  struct Counted {
    std::optional<int64_t> account_used;           // empty: the account's quota is used up
    std::optional<int64_t> organisation_used = 0;  // empty: the organisation's is
  };
  // The window containing `now` and its end.
  std::pair<absl::Time, absl::Time> WindowOf(Kind kind, absl::Time now) const;
  int AccountLimit(Kind kind) const;
  int OrganisationLimit(Kind kind) const;
  // What the account sees, with `account_used` and `organisation_used` uses counted.
  v1::QuotaStatus StatusOf(Kind kind, int64_t account_used, int64_t organisation_used,
                           absl::Time end) const;
  // Counts one use of `kind` in the window starting at `window_micros` in `db`, for the account,
  // then its organisation. ResourceExhausted when either is used up: the caller's savepoint or
  // transaction then rolls back, taking back the account's count.
  absl::Status CountUse(sql::Connection& db, Kind kind, int64_t window_micros,
                        const AccountRecord& account, Counted& counted) const;
  // The outcome of counting in the store with `status`.
  Outcome OutcomeOf(Kind kind, const absl::Status& status, const Counted& counted, absl::Time now,
                    absl::Time end) const;
  Outcome TakeSearch(const AccountRecord& account, absl::Time now);
  Outcome TakeSearchInMemory(const AccountRecord& account, absl::Time now);
  void TakeProfileView(const AccountRecord& account, absl::Time now,
                       std::function<void(Outcome)> done);

  Limits limits_;
  Store* store_;
  absl::TimeZone amsterdam_;
  std::mutex mutex_;
  std::unordered_map<std::string, Window> search_windows_;  // by subject; SQLite only
};

}  // namespace verkenner::service

#endif  // VERKENNER_SERVICE_AUTH_QUOTA_H_
