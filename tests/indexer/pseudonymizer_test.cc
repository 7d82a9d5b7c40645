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
