#ifndef VERKENNER_SERVICE_AUTH_LOGIN_THROTTLE_H_
#define VERKENNER_SERVICE_AUTH_LOGIN_THROTTLE_H_

#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>

#include "absl/time/time.h"

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
// State lives in memory, at most kMaxEntries per table: when a table is full, the forgotten
// entries go, and if that is not enough, the half that failed longest ago. A restart forgives
// every count (an operator's act). Thread-safe.
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
  static constexpr size_t kMaxEntries = 100'000;

  // Admits a login attempt for `account` (the e-mail address as entered, lower case) from
  // `address` at `now`, counting it as a failure: returns 0. Or refuses it: returns the whole
  // seconds to wait (at least 1), and counts nothing.
  int64_t Admit(const std::string& account, const std::string& address, absl::Time now);
  // The attempt Admit() let through succeeded.
  void Succeeded(const std::string& account, const std::string& address);

  // Entries in all tables together.
  size_t size_for_testing();

 private:
  struct Failures {
    int count = 0;
    absl::Time last;
  };
  using Table = std::unordered_map<std::string, Failures>;

  // How long from now until `failures` allow another attempt under `rule`; zero or less: now.
  static absl::Duration Wait(const Failures& failures, const Rule& rule, absl::Time now);
  // The entry of `key`, made room for when absent.
  static Failures& Entry(Table& table, const std::string& key, absl::Time now);
  // Removes forgotten entries, then if needed the half that failed longest ago.
  static void MakeRoom(Table& table, absl::Time now);

  std::mutex mutex_;
  Table by_account_and_address_;
  Table by_address_;
  Table by_account_;
};

// The metadata in which the web gateway, calling over the in-process channel, names the client
// it calls for (an IP address).
inline constexpr char kClientAddressMetadata[] = "verkenner-client-address";

// The key a client address is throttled by: IPv4 as is, IPv6 by its /64 prefix; anything else
// (an in-process caller, a Unix socket) as given.
std::string ThrottleKeyOfAddress(const std::string& address);

}  // namespace verkenner::service

#endif  // VERKENNER_SERVICE_AUTH_LOGIN_THROTTLE_H_
