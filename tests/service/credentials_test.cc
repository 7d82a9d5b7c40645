#include "service/auth/credentials.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <set>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace verkenner::service {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

constexpr std::string_view kPassword = "correct horse battery staple";

// Made by libsodium 1.0.18 from kPassword with OWASP's minimum cost (19 MiB, 2 passes) and with
// argon2i: hashes an older configuration of the service could have stored.
constexpr char kOwaspMinimumHash[] =
    "$argon2id$v=19$m=19456,t=2,p=1$bEFA/LcDjuM2U6LA7CPooA$"
    "r+Ei0VQcgWpRYMJ3BHSSxUKiKusBWLdqHald1ZemND0";
constexpr char kArgon2iHash[] =
    "$argon2i$v=19$m=16384,t=3,p=1$loSpNLI39TEb3JCeWKBP1g$"
    "AM3zo7NIHwLBT1v6YnVYeJ/omE72WBmovEqJpZ1JVi8";

std::string MustHash(std::string_view password) {
  absl::StatusOr<std::string> hash = HashPassword(password);
  EXPECT_TRUE(hash.ok()) << hash.status();
  return hash.ok() ? *hash : std::string();
}

// The value of `name` ("m", "t" or "p") in the parameter field of an encoded hash
// ("$argon2id$v=19$m=65536,t=2,p=1$salt$digest"); -1 if it is missing or not a number.
int64_t HashParameter(const std::string& encoded_hash, std::string_view name) {
  size_t field = 0;
  for (int i = 0; i < 3; ++i) field = encoded_hash.find('$', field) + 1;
  const std::string parameters =
      encoded_hash.substr(field, encoded_hash.find('$', field) - field) + ",";
  const std::string prefix = std::string(name) + "=";
  for (size_t begin = 0, end; (end = parameters.find(',', begin)) != std::string::npos;
       begin = end + 1) {
    const std::string parameter = parameters.substr(begin, end - begin);
    if (parameter.rfind(prefix, 0) != 0 || parameter.size() == prefix.size()) continue;
    int64_t value = 0;
    for (const char digit : parameter.substr(prefix.size())) {
      if (digit < '0' || digit > '9') return -1;
      value = value * 10 + (digit - '0');
    }
    return value;
  }
  return -1;
}

TEST(CredentialsTest, HashVerifiesOnlyTheRightPassword) {
  const std::string hash = MustHash(kPassword);
  EXPECT_TRUE(VerifyPassword(kPassword, hash));
  EXPECT_FALSE(VerifyPassword("correct horse battery stapl", hash));
  EXPECT_FALSE(VerifyPassword("correct horse battery staple ", hash));
  EXPECT_FALSE(VerifyPassword("Correct horse battery staple", hash));
  EXPECT_FALSE(VerifyPassword("", hash));
}

// Passwords are bytes, not C strings: what follows a NUL byte counts.
TEST(CredentialsTest, EveryByteOfThePasswordCounts) {
  const std::string with_nul("geheim\0suffix", 13);
  const std::string hash = MustHash(with_nul);
  EXPECT_TRUE(VerifyPassword(with_nul, hash));
  EXPECT_FALSE(VerifyPassword("geheim", hash));
  EXPECT_FALSE(VerifyPassword(std::string("geheim\0suffiks", 14), hash));
}

TEST(CredentialsTest, HashIsArgon2idWithTheChosenCost) {
  const std::string hash = MustHash(kPassword);
  EXPECT_THAT(hash, StartsWith("$argon2id$v=19$"));
  EXPECT_EQ(HashParameter(hash, "m"), static_cast<int64_t>(kPasswordHashMemoryBytes / 1024));
  EXPECT_EQ(HashParameter(hash, "t"), static_cast<int64_t>(kPasswordHashPasses));
  EXPECT_EQ(HashParameter(hash, "p"), 1);
  EXPECT_FALSE(PasswordHashNeedsRehash(hash));
}

// Whoever tunes the cost for speed must not go below OWASP's weakest argon2id recommendation
// (19 MiB with 2 passes, or more memory with fewer passes down to 46 MiB with 1).
TEST(CredentialsTest, ChosenCostIsAtLeastOwaspsMinimum) {
  const std::string hash = MustHash(kPassword);
  const int64_t kibibytes = HashParameter(hash, "m");
  const int64_t passes = HashParameter(hash, "t");
  EXPECT_GE(kibibytes * passes, int64_t{19456} * 2) << hash;
  EXPECT_GE(kibibytes, 7168) << hash;  // OWASP's least memory, with 5 passes
}

TEST(CredentialsTest, TwoHashesOfOnePasswordDiffer) {
  const std::string first = MustHash(kPassword);
  const std::string second = MustHash(kPassword);
  EXPECT_NE(first, second);
  // The difference is the salt: the fourth '$'-separated field.
  auto salt = [](const std::string& hash) {
    size_t start = 0;
    for (int i = 0; i < 4; ++i) start = hash.find('$', start) + 1;
    return hash.substr(start, hash.find('$', start) - start);
  };
  EXPECT_FALSE(salt(first).empty());
  EXPECT_NE(salt(first), salt(second));
  EXPECT_TRUE(VerifyPassword(kPassword, first));
  EXPECT_TRUE(VerifyPassword(kPassword, second));
}

TEST(CredentialsTest, HashesOfAnotherCostStillVerifyButNeedRehash) {
  EXPECT_TRUE(VerifyPassword(kPassword, kOwaspMinimumHash));
  EXPECT_FALSE(VerifyPassword("wrong password", kOwaspMinimumHash));
  EXPECT_TRUE(PasswordHashNeedsRehash(kOwaspMinimumHash));

  EXPECT_TRUE(VerifyPassword(kPassword, kArgon2iHash));
  EXPECT_TRUE(PasswordHashNeedsRehash(kArgon2iHash));
}

TEST(CredentialsTest, MalformedHashNeverVerifies) {
  const std::string hash = MustHash(kPassword);
  const std::string unreadable[] = {
      "",
      "garbage",
      std::string(kPassword),
      hash.substr(0, hash.rfind('$')),
      hash.substr(0, hash.rfind('$') + 1),
      hash + std::string(1, '\0') + "trailing",
      std::string(1, '\0') + hash,
      std::string(300, 'A'),
      "$argon2id$v=19$m=65536,t=2,p=1$$",
      "$argon2id$v=19$m=x,t=y,p=z$bEFA/LcDjuM2U6LA7CPooA$r+Ei0VQcgWpRYMJ3BHSSxUKiKusBWLdqHa",
      "$scrypt$ln=16,r=8,p=1$aM15713r3Xsvxbi31lqr1Q$nFNh2CVHVjNldFVKDHDlm4CbdRSCdEBsjjJxD+iCs5E",
  };
  for (const std::string& encoded : unreadable) {
    EXPECT_FALSE(VerifyPassword(kPassword, encoded)) << encoded;
    EXPECT_TRUE(PasswordHashNeedsRehash(encoded)) << encoded;
  }

  // Hashes of today's cost, readable or nearly (a shortened digest can still be valid base64),
  // that are not kPassword's.
  std::string altered_digest = hash;
  char& near_the_end = altered_digest[altered_digest.size() - 2];
  near_the_end = near_the_end == 'A' ? 'B' : 'A';
  EXPECT_FALSE(VerifyPassword(kPassword, altered_digest)) << altered_digest;
  EXPECT_FALSE(VerifyPassword(kPassword, hash + "A"));
  for (size_t removed = 1; removed <= 5; ++removed) {
    EXPECT_FALSE(VerifyPassword(kPassword, hash.substr(0, hash.size() - removed))) << removed;
  }

  EXPECT_TRUE(VerifyPassword(kPassword, hash));  // the unaltered hash, to show the cases are near
}

TEST(CredentialsTest, ErrorsNeverContainThePassword) {
  const absl::StatusOr<std::string> empty = HashPassword("");
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(empty.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(empty.status().message(), HasSubstr("password"));

  std::string long_password;
  while (long_password.size() <= kMaxPasswordBytes) long_password += "Zeer!Geheim42";
  const absl::StatusOr<std::string> too_long = HashPassword(long_password);
  ASSERT_FALSE(too_long.ok());
  EXPECT_EQ(too_long.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(too_long.status().message(), HasSubstr("password"));
  EXPECT_THAT(too_long.status().ToString(), Not(HasSubstr("Geheim")));
  EXPECT_THAT(too_long.status().ToString(), Not(HasSubstr(std::to_string(long_password.size()))));
  EXPECT_FALSE(VerifyPassword(long_password, MustHash(long_password.substr(0, 10))));

  // The limit is inclusive: the longest accepted password hashes and verifies.
  const std::string longest = long_password.substr(0, kMaxPasswordBytes);
  const std::string hash = MustHash(longest);
  EXPECT_TRUE(VerifyPassword(longest, hash));
  EXPECT_THAT(hash, Not(HasSubstr("Geheim")));
}

TEST(CredentialsTest, TokensAre43UrlSafeCharactersAndDiffer) {
  std::set<std::string> tokens;
  for (int i = 0; i < 1000; ++i) {
    const std::string token = NewToken();
    ASSERT_EQ(token.size(), 43u) << token;
    ASSERT_TRUE(LooksLikeToken(token)) << token;
    tokens.insert(token);
  }
  EXPECT_EQ(tokens.size(), 1000u);
  // 32 random bytes use every one of the 64 characters, '-' and '_' included, across 1,000 tokens.
  std::set<char> characters;
  for (const std::string& token : tokens) characters.insert(token.begin(), token.end());
  EXPECT_EQ(characters.size(), 64u);
}

TEST(CredentialsTest, LooksLikeTokenRejectsOtherShapes) {
  const std::string token = NewToken();
  EXPECT_TRUE(LooksLikeToken(token));
  EXPECT_TRUE(LooksLikeToken(std::string(43, '-')));
  EXPECT_FALSE(LooksLikeToken(""));
  EXPECT_FALSE(LooksLikeToken(token.substr(0, 42)));
  EXPECT_FALSE(LooksLikeToken(token + "A"));
  for (const char c : {'+', '/', '=', ' ', '.', '\0', '\n', '\xc3'}) {
    std::string altered = token;
    altered[20] = c;
    EXPECT_FALSE(LooksLikeToken(altered)) << static_cast<int>(c);
  }
}

TEST(CredentialsTest, TokenHashIsSha256Hex) {
  EXPECT_EQ(TokenHash("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(TokenHash(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  const std::string token = NewToken();
  const std::string hash = TokenHash(token);
  EXPECT_EQ(hash, TokenHash(token));  // the store finds a token by it
  EXPECT_EQ(hash.size(), 64u);
  EXPECT_TRUE(std::all_of(hash.begin(), hash.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
  })) << hash;
  EXPECT_THAT(hash, Not(HasSubstr(token)));
}

// An unknown e-mail address must cost what a wrong password costs. Timing on a shared machine is
// noisy, so the fastest of a few runs is compared, with room for a factor of two.
TEST(CredentialsTest, DummyVerificationTakesAsLongAsARealOne) {
  using Clock = std::chrono::steady_clock;
  const std::string hash = MustHash(kPassword);
  VerifyAgainstDummyHash("warm-up");  // makes the dummy hash, which a login pays once

  Clock::duration fastest_real = Clock::duration::max();
  Clock::duration fastest_dummy = Clock::duration::max();
  for (int run = 0; run < 3; ++run) {
    Clock::time_point start = Clock::now();
    EXPECT_FALSE(VerifyPassword("wrong password", hash));
    fastest_real = std::min(fastest_real, Clock::now() - start);

    start = Clock::now();
    VerifyAgainstDummyHash("wrong password");
    fastest_dummy = std::min(fastest_dummy, Clock::now() - start);
  }
  EXPECT_GE(fastest_dummy, fastest_real / 2)
      << "real " << std::chrono::duration<double, std::milli>(fastest_real).count() << " ms, dummy "
      << std::chrono::duration<double, std::milli>(fastest_dummy).count() << " ms";
}

}  // namespace
}  // namespace verkenner::service
