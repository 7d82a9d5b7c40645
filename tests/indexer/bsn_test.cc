#include "indexer/bsn.h"

#include <string>

#include "gtest/gtest.h"

namespace verkenner::indexer {
namespace {

TEST(BsnTest, KnownValidNumbersPass) {
  // 123456782 and 111222333 are the numbers Dutch test documentation uses; 999999990 is
  // 9 * (9+8+...+2) - 0 = 396 = 36 * 11.
  EXPECT_TRUE(IsValidBsn("123456782"));
  EXPECT_TRUE(IsValidBsn("111222333"));
  EXPECT_TRUE(IsValidBsn("999999990"));
  // A leading zero is part of the number (old eight-digit sofinummers).
  EXPECT_TRUE(IsValidBsn("010000008"));
}

TEST(BsnTest, WrongCheckDigitFails) {
  EXPECT_FALSE(IsValidBsn("123456789"));
  EXPECT_FALSE(IsValidBsn("111222334"));
  EXPECT_FALSE(IsValidBsn("999999991"));
}

TEST(BsnTest, AllZerosFailsAlthoughItsSumIsDivisibleByEleven) {
  EXPECT_FALSE(IsValidBsn("000000000"));
}

TEST(BsnTest, AnythingButNineDigitsFails) {
  EXPECT_FALSE(IsValidBsn(""));
  EXPECT_FALSE(IsValidBsn("12345678"));    // eight digits
  EXPECT_FALSE(IsValidBsn("1234567820"));  // ten digits
  EXPECT_FALSE(IsValidBsn("12345678a"));
  EXPECT_FALSE(IsValidBsn(" 123456782"));
  EXPECT_FALSE(IsValidBsn("123456782 "));
  EXPECT_FALSE(IsValidBsn("1234.56.782"));
  EXPECT_FALSE(IsValidBsn("-23456782"));
}

TEST(BsnTest, CheckDigitIsTheOnlyDigitThatCompletesThePrefix) {
  int completed = 0;
  for (int n = 0; n < 100'000'000; n += 99'991) {
    std::string prefix = std::to_string(n);
    prefix.insert(0, 8 - prefix.size(), '0');
    int check = BsnCheckDigit(prefix);
    for (int digit = 0; digit <= 9; ++digit) {
      bool valid = IsValidBsn(prefix + static_cast<char>('0' + digit));
      EXPECT_EQ(valid, digit == check) << prefix << digit;
    }
    if (check >= 0) ++completed;
  }
  // About ten prefixes in eleven can be completed.
  EXPECT_GT(completed, 850);
  EXPECT_LT(completed, 970);
}

TEST(BsnTest, PrefixWhoseSumLeavesTenHasNoCheckDigit) {
  // 2 * 5 = 10: the check digit would have to be 10.
  EXPECT_EQ(BsnCheckDigit("00000005"), -1);
  EXPECT_EQ(BsnCheckDigit("12345678"), 2);
}

TEST(BsnTest, MalformedPrefixHasNoCheckDigit) {
  EXPECT_EQ(BsnCheckDigit(""), -1);
  EXPECT_EQ(BsnCheckDigit("1234567"), -1);
  EXPECT_EQ(BsnCheckDigit("123456789"), -1);
  EXPECT_EQ(BsnCheckDigit("1234567x"), -1);
  EXPECT_EQ(BsnCheckDigit("00000000"), -1);
}

}  // namespace
}  // namespace verkenner::indexer
