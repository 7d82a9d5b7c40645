#include "service/auth/login_throttle.h"

#include <gtest/gtest.h>

#include <string>

#include "absl/strings/str_cat.h"

namespace verkenner::service {
namespace {

const absl::Time kStart = absl::FromUnixSeconds(1'800'000'000);

TEST(LoginThrottleTest, OneAddressGuessingOneAccountWaitsLongerAndLongerUpToTheCap) {
  LoginThrottle throttle;
  absl::Time now = kStart;
  for (int i = 0; i < LoginThrottle::kPerAccountAndAddress.free_failures; ++i) {
    ASSERT_EQ(throttle.Admit("a@example.nl", "192.0.2.1", now), 0);
  }
  EXPECT_EQ(throttle.Admit("a@example.nl", "192.0.2.1", now), 1);
  int64_t previous = 0;
  for (int i = 0; i < 15; ++i) {
    const int64_t wait = throttle.Admit("a@example.nl", "192.0.2.1", now);
    ASSERT_GT(wait, 0);
    EXPECT_GE(wait, previous);
    EXPECT_LE(wait, absl::ToInt64Seconds(LoginThrottle::kPerAccountAndAddress.max_delay));
    now += absl::Seconds(wait);
    ASSERT_EQ(throttle.Admit("a@example.nl", "192.0.2.1", now), 0);
    previous = wait;
  }
  EXPECT_EQ(previous, absl::ToInt64Seconds(LoginThrottle::kPerAccountAndAddress.max_delay));
  // The owner elsewhere is never held back by more than the account-wide cap.
  EXPECT_LE(throttle.Admit("a@example.nl", "198.51.100.7", now),
            absl::ToInt64Seconds(LoginThrottle::kPerAccount.max_delay));
}

TEST(LoginThrottleTest, ManyAddressesGuessingOneAccountDelayTheOwnerAtMostTheAccountCap) {
  LoginThrottle throttle;
  absl::Time now = kStart;
  for (int guesser = 0; guesser < 200; ++guesser) {
    const std::string address = "203.0.113." + std::to_string(guesser);
    while (throttle.Admit("a@example.nl", address, now) == 0) {
    }
    now += absl::Milliseconds(100);
  }
  const int64_t wait = throttle.Admit("a@example.nl", "198.51.100.7", now);
  EXPECT_GT(wait, 0) << "many machines guessing one account are slowed down together";
  EXPECT_LE(wait, absl::ToInt64Seconds(LoginThrottle::kPerAccount.max_delay));
  EXPECT_EQ(throttle.Admit("a@example.nl", "198.51.100.7", now + absl::Seconds(wait)), 0);
}

TEST(LoginThrottleTest, ASuccessTakesBackItsAttemptAndCountsAreForgotten) {
  LoginThrottle throttle;
  for (int i = 0; i < 50; ++i) {
    ASSERT_EQ(throttle.Admit("a@example.nl", "192.0.2.1", kStart), 0);
    throttle.Succeeded("a@example.nl", "192.0.2.1");
  }
  for (int i = 0; i < LoginThrottle::kPerAccountAndAddress.free_failures; ++i) {
    ASSERT_EQ(throttle.Admit("b@example.nl", "192.0.2.1", kStart), 0);
  }
  EXPECT_GT(throttle.Admit("b@example.nl", "192.0.2.1", kStart), 0);
  EXPECT_EQ(throttle.Admit("b@example.nl", "192.0.2.1", kStart + LoginThrottle::kForgetAfter), 0);
}

TEST(LoginThrottleTest, AnIpv6NetworkCountsAsOneAddress) {
  EXPECT_EQ(ThrottleKeyOfAddress("2001:db8:1:2:aaaa::1"), ThrottleKeyOfAddress("2001:db8:1:2::ff"));
  EXPECT_NE(ThrottleKeyOfAddress("2001:db8:1:2::1"), ThrottleKeyOfAddress("2001:db8:1:3::1"));
  EXPECT_EQ(ThrottleKeyOfAddress("192.0.2.1"), "192.0.2.1");
}

TEST(LoginThrottleTest, MemoryStaysBoundedUnderManyAddresses) {
  LoginThrottle throttle;
  absl::Time now = kStart;
  // More addresses than a table holds; each must still be admitted and counted.
  for (size_t i = 0; i < LoginThrottle::kMaxEntries + 1000; ++i) {
    const std::string address = absl::StrCat("10.", i >> 16, ".", (i >> 8) & 255, ".", i & 255);
    ASSERT_EQ(throttle.Admit(absl::StrCat("x", i, "@example.nl"), address, now), 0) << i;
    now += absl::Microseconds(1);
  }
  EXPECT_LE(throttle.size_for_testing(), 3 * LoginThrottle::kMaxEntries);
}

}  // namespace
}  // namespace verkenner::service
