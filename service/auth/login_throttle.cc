#include "service/auth/login_throttle.h"

#include <arpa/inet.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <cmath>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace verkenner::service {
namespace {

// Doubling stops here; the caps are far below 2^20 seconds anyway.
constexpr int kMaxDoublings = 20;

bool Forgotten(const absl::Time last, absl::Time now) {
  return now - last >= LoginThrottle::kForgetAfter;
}

}  // namespace

std::string ThrottleKeyOfAddress(const std::string& address) {
  in6_addr ipv6;
  if (inet_pton(AF_INET6, address.c_str(), &ipv6) != 1) return address;
  std::memset(ipv6.s6_addr + 8, 0, 8);
  char text[INET6_ADDRSTRLEN];
  if (inet_ntop(AF_INET6, &ipv6, text, sizeof(text)) == nullptr) return address;
  return absl::StrCat(text, "/64");
}

absl::Duration LoginThrottle::Wait(const LoginFailures& failures, const Rule& rule,
                                   absl::Time now) {
  const absl::Time last = absl::FromUnixMicros(failures.last_micros);
  if (failures.failures < rule.free_failures || Forgotten(last, now)) {
    return absl::ZeroDuration();
  }
  const int doublings =
      static_cast<int>(std::min<int64_t>(failures.failures - rule.free_failures, kMaxDoublings));
  const absl::Duration delay = std::min(rule.max_delay, absl::Seconds(int64_t{1} << doublings));
  return last + delay - now;
}

absl::StatusOr<std::array<std::string, 3>> LoginThrottle::KeysOf(sql::Connection& db,
                                                                 const std::string& account,
                                                                 const std::string& address) {
  std::lock_guard<std::mutex> lock(key_mutex_);
  if (key_.empty()) {
    absl::StatusOr<std::string> secret = ServerSecret(db, "login_throttle");
    if (!secret.ok()) return secret.status();
    key_ = std::move(*secret);
  }
  const std::string address_key = ThrottleKeyOfAddress(address);
  // The rule's name first: one account's count can never be another rule's.
  const std::string texts[] = {absl::StrCat("account+address\n", account, "\n", address_key),
                               absl::StrCat("address\n", address_key),
                               absl::StrCat("account\n", account)};
  std::array<std::string, 3> keys;
  for (int i = 0; i < 3; ++i) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    HMAC(EVP_sha256(), key_.data(), static_cast<int>(key_.size()),
         reinterpret_cast<const unsigned char*>(texts[i].data()), texts[i].size(), digest, &length);
    keys[i].assign(reinterpret_cast<const char*>(digest), length);
  }
  return keys;
}

absl::StatusOr<int64_t> LoginThrottle::Admit(const std::string& account, const std::string& address,
                                             absl::Time now) {
  static constexpr Rule kRules[] = {kPerAccountAndAddress, kPerAddress, kPerAccount};
  int64_t wait_seconds = 0;
  absl::Status status = store_->WriteAndWait([&](sql::Connection& db) -> absl::Status {
    absl::StatusOr<std::array<std::string, 3>> keys = KeysOf(db, account, address);
    if (!keys.ok()) return keys.status();
    const int64_t now_micros = absl::ToUnixMicros(now);
    absl::Status forgotten =
        ForgetLoginFailuresBefore(db, now_micros - absl::ToInt64Microseconds(kForgetAfter));
    if (!forgotten.ok()) return forgotten;
    LoginFailures counts[3];
    absl::Duration wait = absl::ZeroDuration();
    for (int i = 0; i < 3; ++i) {
      absl::StatusOr<LoginFailures> found = FindLoginFailures(db, (*keys)[i]);
      if (!found.ok()) return found.status();
      counts[i] = *found;
      wait = std::max(wait, Wait(counts[i], kRules[i], now));
    }
    if (wait > absl::ZeroDuration()) {
      wait_seconds =
          std::max<int64_t>(1, static_cast<int64_t>(std::ceil(absl::ToDoubleSeconds(wait))));
      return absl::OkStatus();
    }
    for (int i = 0; i < 3; ++i) {
      const bool forgotten_count = Forgotten(absl::FromUnixMicros(counts[i].last_micros), now);
      LoginFailures next{forgotten_count ? 1 : counts[i].failures + 1, now_micros};
      if (absl::Status put = PutLoginFailures(db, (*keys)[i], next); !put.ok()) return put;
    }
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return wait_seconds;
}

absl::Status LoginThrottle::Succeeded(const std::string& account, const std::string& address) {
  return store_->WriteAndWait([&](sql::Connection& db) -> absl::Status {
    absl::StatusOr<std::array<std::string, 3>> keys = KeysOf(db, account, address);
    if (!keys.ok()) return keys.status();
    if (absl::Status status = ForgetLoginFailures(db, (*keys)[0]); !status.ok()) return status;
    // Only the admitted attempt is taken back: one good login does not wipe out a guesser's
    // count.
    for (int i = 1; i < 3; ++i) {
      absl::StatusOr<LoginFailures> found = FindLoginFailures(db, (*keys)[i]);
      if (!found.ok()) return found.status();
      if (found->failures == 0) continue;
      --found->failures;
      if (absl::Status put = PutLoginFailures(db, (*keys)[i], *found); !put.ok()) return put;
    }
    return absl::OkStatus();
  });
}

}  // namespace verkenner::service
