#ifndef VERKENNER_SERVICE_AUTH_QUOTA_H_
#define VERKENNER_SERVICE_AUTH_QUOTA_H_

#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>

#include "absl/time/time.h"
#include "verkenner/v1/sessions.pb.h"

namespace verkenner::service {

// Per-account quotas against bulk copying of profiles (2019: 117,000 CVs scraped through one
// employer account; 2024: one account viewed 150,000 CVs in a day). Searches count in fixed
// one-minute windows, profile views per calendar day in Europe/Amsterdam, as
// verkenner.v1.Account documents.
//
// Counts live in memory: a restart of the server forgives the current window, which only the
// operator can cause.
//
// Thread-safe.
class QuotaLimiter {
 public:
  struct Limits {
    int searches_per_minute = 60;
    int profile_views_per_day = 300;
    int organisation_searches_per_minute = 300;
    int organisation_profile_views_per_day = 1000;
  };
  enum class Kind { kSearch, kProfileView };

  // What Take() decided.
  struct Outcome {
    bool allowed = false;
    v1::QuotaStatus status;           // after this call
    int64_t retry_after_seconds = 0;  // when refused: whole seconds until the window resets
  };

  explicit QuotaLimiter(Limits limits);

  // Counts one call of `kind` by `account_id` at `now`, unless the quota is used up.
  Outcome Take(const std::string& account_id, Kind kind, absl::Time now);
  // The quota as it stands, without counting.
  v1::QuotaStatus Peek(const std::string& account_id, Kind kind, absl::Time now);

 private:
  struct Window {
    absl::Time start;
    int used = 0;
  };
  // The window containing `now` and its end.
  std::pair<absl::Time, absl::Time> WindowOf(Kind kind, absl::Time now) const;
  int LimitOf(Kind kind) const;
  v1::QuotaStatus StatusOf(Kind kind, const Window& window, absl::Time end) const;

  Limits limits_;
  absl::TimeZone amsterdam_;
  std::mutex mutex_;
  std::unordered_map<std::string, Window> windows_[2];  // by Kind
};

}  // namespace verkenner::service

#endif  // VERKENNER_SERVICE_AUTH_QUOTA_H_
