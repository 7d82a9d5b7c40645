#include "indexer/pseudonymizer.h"

#include <gtest/gtest.h>

namespace verkenner::indexer {
namespace {

TEST(PseudonymizerTest, SameInputsGiveSameIdAndOtherKeyGivesOtherId) {
  auto first = Pseudonymizer::FromKey(std::string(32, 'a'));
  auto again = Pseudonymizer::FromKey(std::string(32, 'a'));
  auto other_key = Pseudonymizer::FromKey(std::string(32, 'b'));
  ASSERT_TRUE(first.ok() && again.ok() && other_key.ok());
  const std::string id = (*first)->ProfileId("GM0344", "K-1001");
  EXPECT_EQ(id.size(), 24u);
  EXPECT_EQ(id, (*again)->ProfileId("GM0344", "K-1001"));
  EXPECT_NE(id, (*other_key)->ProfileId("GM0344", "K-1001"));
  EXPECT_NE(id, (*first)->ProfileId("GM0344", "K-1002"));
}

// The id is the first 96 bits of HMAC-SHA256 (RFC 2104) over "source\x1fclient number": a
// profile id must never change with an implementation, or re-imports would duplicate everyone.
// Expected values from Python: hmac.new(key, message, hashlib.sha256).hexdigest()[:24].
TEST(PseudonymizerTest, IdIsTruncatedHmacSha256AsComputedElsewhere) {
  auto short_key = Pseudonymizer::FromKey(std::string(32, 'k'));
  std::string long_key;  // longer than SHA-256's block: HMAC hashes the key first
  for (int i = 0; i < 10; ++i) long_key += "0123456789";
  auto hashed_key = Pseudonymizer::FromKey(long_key);
  auto block_key = Pseudonymizer::FromKey(std::string(64, 'x'));
  ASSERT_TRUE(short_key.ok() && hashed_key.ok() && block_key.ok());
  EXPECT_EQ((*short_key)->ProfileId("GM0344", "K-1001"), "3a22bd8d524c57e1446f121a");
  EXPECT_EQ((*hashed_key)->ProfileId("UWV", "12345678"), "c645f3bf165d6f69cb25bfd3");
  EXPECT_EQ((*block_key)->ProfileId("GM0363", std::string(64, '9')), "6231baf7f0b7deafb0b40160");
}

TEST(PseudonymizerTest, SourceAndClientNumberCannotBeShiftedIntoEachOther) {
  auto pseudonymizer = Pseudonymizer::FromKey(std::string(32, 'a'));
  ASSERT_TRUE(pseudonymizer.ok());
  EXPECT_NE((*pseudonymizer)->ProfileId("GM01", "23"), (*pseudonymizer)->ProfileId("GM012", "3"));
}

TEST(PseudonymizerTest, ShortKeyIsRefused) {
  EXPECT_EQ(Pseudonymizer::FromKey("too short").status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(PseudonymizerTest, MissingKeyFileSaysHowToCreateOne) {
  auto result = Pseudonymizer::FromKeyFile("/nonexistent/pseudonym.key");
  ASSERT_EQ(result.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(result.status().message().find("openssl rand"), absl::string_view::npos);
}

}  // namespace
}  // namespace verkenner::indexer
