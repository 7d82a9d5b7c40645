#ifndef VERKENNER_SERVICE_AUTH_LOGIN_THROTTLE_H_
#define VERKENNER_SERVICE_AUTH_LOGIN_THROTTLE_H_

#include <array>
#include <cstdint>
#include <mutex>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "service/store/records.h"
#include "service/store/store.h"

namespace verkenner::service {

// Slows password guessing down without letting a guesser lock anyone out: progressive delay, as
// the OWASP Authentication and Credential Stuffing cheat sheets advise, instead of a hard lock.
//
// Failed logins are counted three ways, each with its own allowance of free failures, after which
// every further attempt must wait a delay that doubles from 1 second up to a cap:
//   - per account and client address: 3 free, then up to 15 minutes. One machine guessing one
//     account's password is held back hard; the owner elsewhere is not.
//   - per client address: 20 free, then up to 5 minutes. One machine trying many accounts
//     (credential stuffing, made-up addresses) is held back.
//   - per account, from everywhere: 10 free, then up to 30 seconds. Many machines guessing one
//     account are slowed together; the cap is small, because the account's owner waits as long,
//     so the worst a distributed guesser can do to the owner is a wait of 30 seconds.
// A count is forgotten an hour after its last failure. A successful login clears its account's
// count from that address. IPv6 addresses count per /64 (one subscriber's network).
//
// An attempt is counted as a failure when it is admitted (before its password is checked), and
// taken back when it succeeds, so that concurrent attempts cannot slip past the count while their
// passwords are being hashed.
//
// Counts live in the store (login_failure), so that every instance sharing it counts together and
// a restart forgives nothing; each Admit and Succeeded is one write, so the read and the change of
// the three counts are one step across instances. The rows are keyed by an HMAC-SHA256 (under the
// store's server secret "login_throttle") of the rule and its account, address or both: the store
// holds no e-mail or IP address for this. Rows whose last failure is older than kForgetAfter are
// removed by the next Admit. Thread-safe; the store must outlive the throttle.
class LoginThrottle {
 public:
  struct Rule {
    int free_failures;
    absl::Duration max_delay;
  };
  static constexpr Rule kPerAccountAndAddress{3, absl::Minutes(15)};
  static constexpr Rule kPerAddress{20, absl::Minutes(5)};
  static constexpr Rule kPerAccount{10, absl::Seconds(30)};
  static constexpr absl::Duration kForgetAfter = absl::Hours(1);

  explicit LoginThrottle(Store* store) : store_(store) {}

  // Admits a login attempt for `account` (the e-mail address as entered, lower case) from
  // `address` at `now`, counting it as a failure: returns 0. Or refuses it: returns the whole
  // seconds to wait (at least 1), and counts nothing. Blocks for one write to the store: call it
  // where a thread may wait. Errors: the store's.
  absl::StatusOr<int64_t> Admit(const std::string& account, const std::string& address,
                                absl::Time now);
  // The attempt Admit() let through succeeded. Blocks for one write. Errors: the store's.
  absl::Status Succeeded(const std::string& account, const std::string& address);

 private:
  // How long from now until `failures` allow another attempt under `rule`; zero or less: now.
  static absl::Duration Wait(const LoginFailures& failures, const Rule& rule, absl::Time now);
  // The keys of the three counts (per account and address, per address, per account).
  absl::StatusOr<std::array<std::string, 3>> KeysOf(sql::Connection& db, const std::string& account,
                                                    const std::string& address);

  Store* store_;
  std::mutex key_mutex_;
  std::string key_;  // the HMAC key, read from the store on first use
};

// The metadata in which the web gateway, calling over the in-process channel, names the client
// it calls for (an IP address).
inline constexpr char kClientAddressMetadata[] = "verkenner-client-address";

// The key a client address is throttled by: IPv4 as is, IPv6 by its /64 prefix; anything else
// (an in-process caller, a Unix socket) as given.
std::string ThrottleKeyOfAddress(const std::string& address);

}  // namespace verkenner::service

#endif  // VERKENNER_SERVICE_AUTH_LOGIN_THROTTLE_H_
