#include "service/auth/login_throttle.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

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

absl::Duration LoginThrottle::Wait(const Failures& failures, const Rule& rule, absl::Time now) {
  if (failures.count < rule.free_failures || Forgotten(failures.last, now)) {
    return absl::ZeroDuration();
  }
  const int doublings = std::min(failures.count - rule.free_failures, kMaxDoublings);
  const absl::Duration delay = std::min(rule.max_delay, absl::Seconds(int64_t{1} << doublings));
  return failures.last + delay - now;
}

void LoginThrottle::MakeRoom(Table& table, absl::Time now) {
  std::erase_if(table, [now](const auto& entry) { return Forgotten(entry.second.last, now); });
  if (table.size() < kMaxEntries) return;
  // Amortised: the next kMaxEntries / 2 insertions find room without another sweep.
  std::vector<absl::Time> lasts;
  lasts.reserve(table.size());
  for (const auto& [key, failures] : table) lasts.push_back(failures.last);
  auto middle = lasts.begin() + static_cast<std::ptrdiff_t>(lasts.size() / 2);
  std::nth_element(lasts.begin(), middle, lasts.end());
  const absl::Time cutoff = *middle;
  std::erase_if(table, [cutoff](const auto& entry) { return entry.second.last <= cutoff; });
}

LoginThrottle::Failures& LoginThrottle::Entry(Table& table, const std::string& key,
                                              absl::Time now) {
  if (table.size() >= kMaxEntries && !table.contains(key)) MakeRoom(table, now);
  return table[key];
}

int64_t LoginThrottle::Admit(const std::string& account, const std::string& address,
                             absl::Time now) {
  const std::string address_key = ThrottleKeyOfAddress(address);
  const std::string pair_key = absl::StrCat(account, "\n", address_key);
  const std::pair<Table*, const std::string*> tables[] = {{&by_account_and_address_, &pair_key},
                                                          {&by_address_, &address_key},
                                                          {&by_account_, &account}};
  const Rule rules[] = {kPerAccountAndAddress, kPerAddress, kPerAccount};
  std::lock_guard<std::mutex> lock(mutex_);
  absl::Duration wait = absl::ZeroDuration();
  for (int i = 0; i < 3; ++i) {
    auto found = tables[i].first->find(*tables[i].second);
    if (found != tables[i].first->end()) wait = std::max(wait, Wait(found->second, rules[i], now));
  }
  if (wait > absl::ZeroDuration()) {
    return std::max<int64_t>(1, static_cast<int64_t>(std::ceil(absl::ToDoubleSeconds(wait))));
  }
  for (const auto& [table, key] : tables) {
    Failures& failures = Entry(*table, *key, now);
    if (Forgotten(failures.last, now)) failures.count = 0;
    ++failures.count;
    failures.last = now;
  }
  return 0;
}

void LoginThrottle::Succeeded(const std::string& account, const std::string& address) {
  const std::string address_key = ThrottleKeyOfAddress(address);
  std::lock_guard<std::mutex> lock(mutex_);
  by_account_and_address_.erase(absl::StrCat(account, "\n", address_key));
  // Only the admitted attempt is taken back: one good login does not wipe out a guesser's count.
  for (auto [table, key] :
       {std::pair{&by_address_, &address_key}, std::pair{&by_account_, &account}}) {
    auto found = table->find(*key);
    if (found != table->end() && found->second.count > 0) --found->second.count;
  }
}

size_t LoginThrottle::size_for_testing() {
  std::lock_guard<std::mutex> lock(mutex_);
  return by_account_and_address_.size() + by_address_.size() + by_account_.size();
}

}  // namespace verkenner::service
