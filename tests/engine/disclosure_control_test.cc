// Disclosure control's decision (engine/disclosure_control.h) on hand-made counts: a group of
// exactly k shows its municipality, a group of k - 1 its arbeidsmarktregio. The end-to-end test
// through the index writer stays in tests/indexer/disclosure_control_test.cc.
#include "engine/disclosure_control.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace verkenner::engine {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

constexpr int kK = 5;

TEST(DisclosureDecisionTest, AGroupOfExactlyKShowsItsMunicipalityAndOneLessItsRegion) {
  const DisclosureCounts counts = {{"GM0344|AM12|mbo2", kK}, {"GM0355|AM12|mbo2", kK - 1}};
  const DisclosureGroups groups = DecideDisclosureGroups(counts, kK);
  EXPECT_EQ(groups.k, kK);
  EXPECT_THAT(groups.municipality_groups, ElementsAre("GM0344|mbo2"));
  EXPECT_EQ(groups.profiles_shown_at_region_level, kK - 1);
  // Zeist's four are shown as the region's nine.
  EXPECT_EQ(groups.smallest_shown_group, kK);
}

TEST(DisclosureDecisionTest, UnknownEducationIsAGroupOfItsOwn) {
  const DisclosureCounts counts = {{"GM0344|AM12|mbo2", 3}, {"GM0344|AM12|?", 3}};
  const DisclosureGroups groups = DecideDisclosureGroups(counts, kK);
  EXPECT_THAT(groups.municipality_groups, IsEmpty()) << "3 + 3 is not a group of 6";
  EXPECT_EQ(groups.profiles_shown_at_region_level, 6);
  EXPECT_EQ(groups.smallest_shown_group, 3);
  EXPECT_EQ(DisclosureGroupKey("GM0344", ""), "GM0344|?");
}

TEST(DisclosureDecisionTest, ASourceIsJudgedByTheGroupsOfTheWholeIndex) {
  const DisclosureCounts all = {{"GM0344|AM12|mbo2", kK}, {"GM0355|AM12|mbo2", kK - 1}};
  const SourceDisclosure at_k = DescribeSourceDisclosure(all, {{"GM0344|AM12|mbo2", 1}}, kK);
  EXPECT_EQ(at_k.smallest_shown_group, kK);
  EXPECT_EQ(at_k.profiles_shown_at_region_level, 0);
  const SourceDisclosure below_k = DescribeSourceDisclosure(all, {{"GM0355|AM12|mbo2", 2}}, kK);
  EXPECT_EQ(below_k.smallest_shown_group, 2 * kK - 1) << "the region's group";
  EXPECT_EQ(below_k.profiles_shown_at_region_level, 2);
  EXPECT_EQ(DescribeSourceDisclosure(all, {}, kK).smallest_shown_group, 0);
}

TEST(DisclosureDecisionTest, GroupsSurviveTheirMetadataEncoding) {
  const std::set<std::string> groups = {"GM0344|mbo2", "GM0355|?"};
  EXPECT_EQ(DecodeGroups(EncodeGroups(groups)), groups);
  EXPECT_THAT(DecodeGroups(""), IsEmpty());
}

}  // namespace
}  // namespace verkenner::engine
