// The login throttle's rules, counted in a real store: an SQLite file, and (with
// VERKENNER_TEST_STORE=postgresql, ctest's service_login_throttle_test_on_postgres) a PostgreSQL
// database shared by two throttles, as by two instances.
#include "service/auth/login_throttle.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "absl/strings/str_cat.h"
#include "tests/test_store.h"

namespace verkenner::service {
namespace {

const absl::Time kStart = absl::FromUnixSeconds(1'800'000'000);

class LoginThrottleTest : public ::testing::Test {
 protected:
  void SetUp() override {
    directory_ = std::filesystem::temp_directory_path() /
                 absl::StrCat("verkenner-throttle-", getpid(), "-",
                              ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(directory_);
    auto test_store = testing::TestStore::Create(directory_);
    ASSERT_TRUE(test_store.ok()) << test_store.status();
    test_store_ = std::move(*test_store);
    auto store = Store::Open(test_store_->target());
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = std::move(*store);
    throttle_ = std::make_unique<LoginThrottle>(store_.get());
  }
  void TearDown() override {
    throttle_.reset();
    store_.reset();
    test_store_.reset();
    std::filesystem::remove_all(directory_);
  }

  int64_t Admit(LoginThrottle& throttle, const std::string& account, const std::string& address,
                absl::Time now) {
    absl::StatusOr<int64_t> wait = throttle.Admit(account, address, now);
    EXPECT_TRUE(wait.ok()) << wait.status();
    return wait.value_or(-1);
  }
  int64_t Admit(const std::string& account, const std::string& address, absl::Time now) {
    return Admit(*throttle_, account, address, now);
  }

  int64_t Rows() {
    int64_t rows = -1;
    EXPECT_TRUE(store_
                    ->Read([&](sql::Connection& db) {
                      auto count = db.QueryInteger("SELECT count(*) FROM login_failure");
                      if (!count.ok()) return count.status();
                      rows = *count;
                      return absl::OkStatus();
                    })
                    .ok());
    return rows;
  }

  std::filesystem::path directory_;
  std::unique_ptr<testing::TestStore> test_store_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<LoginThrottle> throttle_;
};

TEST_F(LoginThrottleTest, OneAddressGuessingOneAccountWaitsLongerAndLongerUpToTheCap) {
  absl::Time now = kStart;
  for (int i = 0; i < LoginThrottle::kPerAccountAndAddress.free_failures; ++i) {
    ASSERT_EQ(Admit("a@example.nl", "192.0.2.1", now), 0);
  }
  EXPECT_EQ(Admit("a@example.nl", "192.0.2.1", now), 1);
  int64_t previous = 0;
  for (int i = 0; i < 15; ++i) {
    const int64_t wait = Admit("a@example.nl", "192.0.2.1", now);
    ASSERT_GT(wait, 0);
    EXPECT_GE(wait, previous);
    EXPECT_LE(wait, absl::ToInt64Seconds(LoginThrottle::kPerAccountAndAddress.max_delay));
    now += absl::Seconds(wait);
    ASSERT_EQ(Admit("a@example.nl", "192.0.2.1", now), 0);
    previous = wait;
  }
  EXPECT_EQ(previous, absl::ToInt64Seconds(LoginThrottle::kPerAccountAndAddress.max_delay));
  // The owner elsewhere is never held back by more than the account-wide cap.
  EXPECT_LE(Admit("a@example.nl", "198.51.100.7", now),
            absl::ToInt64Seconds(LoginThrottle::kPerAccount.max_delay));
}

TEST_F(LoginThrottleTest, ManyAddressesGuessingOneAccountDelayTheOwnerAtMostTheAccountCap) {
  absl::Time now = kStart;
  for (int guesser = 0; guesser < 200; ++guesser) {
    const std::string address = "203.0.113." + std::to_string(guesser);
    while (Admit("a@example.nl", address, now) == 0) {
    }
    now += absl::Milliseconds(100);
  }
  const int64_t wait = Admit("a@example.nl", "198.51.100.7", now);
  EXPECT_GT(wait, 0) << "many machines guessing one account are slowed down together";
  EXPECT_LE(wait, absl::ToInt64Seconds(LoginThrottle::kPerAccount.max_delay));
  EXPECT_EQ(Admit("a@example.nl", "198.51.100.7", now + absl::Seconds(wait)), 0);
}

TEST_F(LoginThrottleTest, ASuccessTakesBackItsAttemptAndCountsAreForgotten) {
  for (int i = 0; i < 50; ++i) {
    ASSERT_EQ(Admit("a@example.nl", "192.0.2.1", kStart), 0);
    ASSERT_TRUE(throttle_->Succeeded("a@example.nl", "192.0.2.1").ok());
  }
  for (int i = 0; i < LoginThrottle::kPerAccountAndAddress.free_failures; ++i) {
    ASSERT_EQ(Admit("b@example.nl", "192.0.2.1", kStart), 0);
  }
  EXPECT_GT(Admit("b@example.nl", "192.0.2.1", kStart), 0);
  EXPECT_EQ(Admit("b@example.nl", "192.0.2.1", kStart + LoginThrottle::kForgetAfter), 0);
}

TEST_F(LoginThrottleTest, AnIpv6NetworkCountsAsOneAddress) {
  EXPECT_EQ(ThrottleKeyOfAddress("2001:db8:1:2:aaaa::1"), ThrottleKeyOfAddress("2001:db8:1:2::ff"));
  EXPECT_NE(ThrottleKeyOfAddress("2001:db8:1:2::1"), ThrottleKeyOfAddress("2001:db8:1:3::1"));
  EXPECT_EQ(ThrottleKeyOfAddress("192.0.2.1"), "192.0.2.1");
}

TEST_F(LoginThrottleTest, CountsOutliveARestartAndKeepNoAddressOrAccount) {
  for (int i = 0; i < LoginThrottle::kPerAccountAndAddress.free_failures; ++i) {
    ASSERT_EQ(Admit("a@example.nl", "192.0.2.1", kStart), 0);
  }
  // A new throttle on the same store: another instance, or this one restarted.
  LoginThrottle restarted(store_.get());
  EXPECT_GT(Admit(restarted, "a@example.nl", "192.0.2.1", kStart), 0);
  EXPECT_EQ(Rows(), 3);
  bool clear_text = true;
  ASSERT_TRUE(store_
                  ->Read([&](sql::Connection& db) {
                    auto found = db.QueryInteger(
                        "SELECT count(*) FROM login_failure WHERE key LIKE '%example%' "
                        "OR key LIKE '%192.0.2%'");
                    if (!found.ok()) return found.status();
                    clear_text = *found > 0;
                    return absl::OkStatus();
                  })
                  .ok());
  EXPECT_FALSE(clear_text);
}

TEST_F(LoginThrottleTest, CountsAnHourOldAreRemovedSoTheTableStaysSmall) {
  absl::Time now = kStart;
  for (int i = 0; i < 100; ++i) {
    ASSERT_EQ(Admit(absl::StrCat("x", i, "@example.nl"), absl::StrCat("10.0.0.", i), now), 0);
    now += absl::Seconds(1);
  }
  EXPECT_EQ(Rows(), 300);
  ASSERT_EQ(Admit("y@example.nl", "10.0.1.1", now + LoginThrottle::kForgetAfter), 0);
  EXPECT_EQ(Rows(), 3);
}

}  // namespace
}  // namespace verkenner::service
