// OccupationSuggester: the occupations nearest to words nobody's profile holds, by typo or by a
// shared word part, on the project's reference data.
#include "engine/occupation_suggestions.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>

namespace verkenner::engine {
namespace {

using ::testing::Contains;
using ::testing::IsEmpty;

class OccupationSuggesterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto reference = ReferenceData::Load(ReferenceData::DefaultDirectory());
    ASSERT_TRUE(reference.ok()) << reference.status();
    suggester_ = std::make_unique<OccupationSuggester>(**reference);
  }

  // The codes suggested for `words` when one person holds each occupation.
  std::vector<std::string> Codes(const std::vector<std::string>& words) const {
    return CodesHeld(words, [](const std::string&) { return 1; });
  }
  std::vector<std::string> CodesHeld(
      const std::vector<std::string>& words,
      const std::function<int64_t(const std::string&)>& people) const {
    std::vector<std::string> codes;
    for (const OccupationSuggestion& suggestion : suggester_->Suggest(words, people)) {
      codes.push_back(suggestion.esco_code);
    }
    return codes;
  }

  std::unique_ptr<OccupationSuggester> suggester_;
};

TEST_F(OccupationSuggesterTest, ATypoFindsTheOccupationWithItsPreferredLabel) {
  const std::vector<OccupationSuggestion> suggestions =
      suggester_->Suggest({"orderpikcer"}, [](const std::string&) { return 1; });
  ASSERT_FALSE(suggestions.empty());
  EXPECT_EQ(suggestions[0].esco_code, "9333.8.1");
  EXPECT_EQ(suggestions[0].isco_code, "9333");
  EXPECT_EQ(suggestions[0].label, "orderpicker");
  // An alternative label's typo names the occupation by its preferred label.
  const std::vector<std::string> picker = Codes({"orderverzamlaar"});
  ASSERT_FALSE(picker.empty());
  EXPECT_EQ(picker[0], "9333.8.1");
}

TEST_F(OccupationSuggesterTest, ASharedWordPartFindsCompoundsBothWays) {
  // ESCO has afwashulp and bordenwasser (medewerker keuken), not afwasser.
  EXPECT_THAT(Codes({"afwasser"}), Contains("9412.2"));
  // ... and vuilophaler, vuilnisophaler (vuilnisophaler), not afvalophaler.
  EXPECT_THAT(Codes({"afvalophaler"}), Contains("9611.1"));
}

TEST_F(OccupationSuggesterTest, NonsenseIsNearNothing) {
  EXPECT_THAT(Codes({"zzqx", "flapdrol"}), IsEmpty());
  EXPECT_THAT(Codes({}), IsEmpty());
}

TEST_F(OccupationSuggesterTest, AtMostTheLimitAndHeldOccupationsFirst) {
  const std::vector<std::string> all = Codes({"afwasser"});
  ASSERT_GE(all.size(), 2u);
  EXPECT_LE(all.size(), 5u);
  // Only the last one is held by anyone: it comes first, the others keep their order.
  const std::string last = all.back();
  const std::vector<std::string> held_first = CodesHeld(
      {"afwasser"}, [&](const std::string& code) -> int64_t { return code == last ? 3 : 0; });
  ASSERT_FALSE(held_first.empty());
  EXPECT_EQ(held_first[0], last);
  EXPECT_EQ(held_first[1], all[0]);
  EXPECT_THAT(suggester_->Suggest(
                  {"afwasser"}, [](const std::string&) { return 1; }, 1),
              ::testing::SizeIs(1));
}

TEST_F(OccupationSuggesterTest, AmongEquallyNearTheOccupationMorePeopleHoldComesFirst) {
  // "schoonmaker" is a label word of several occupations; one typo from each.
  const std::vector<std::string> equal = Codes({"schoonmakre"});
  ASSERT_GE(equal.size(), 2u);
  const std::string most = equal[1];
  const std::vector<std::string> by_people = CodesHeld(
      {"schoonmakre"}, [&](const std::string& code) -> int64_t { return code == most ? 50 : 2; });
  ASSERT_FALSE(by_people.empty());
  EXPECT_EQ(by_people[0], most);
}

TEST_F(OccupationSuggesterTest, ThePreferredLabelBeatsAnAlternativeOne) {
  // "tuinier" is the preferred label of 9214.1 and an alternative label of the botanicus.
  const std::vector<std::string> codes = Codes({"tuinir"});
  ASSERT_FALSE(codes.empty());
  EXPECT_EQ(codes[0], "9214.1");
}

}  // namespace
}  // namespace verkenner::engine
