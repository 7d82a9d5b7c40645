// The ranking model's contracts (engine/ranking.h): every feature is 0..1, unknown scores below
// any known match and above a known mismatch, and each threshold holds on both sides.
#include "engine/ranking.h"

#include <gtest/gtest.h>

#include <numeric>

namespace verkenner::engine::ranking {
namespace {

TEST(RankingTest, WeightsAddUpToOneAndUnknownSitsBetweenNoAndAKnownMatch) {
  EXPECT_NEAR(std::accumulate(kWeights.begin(), kWeights.end(), 0.0), 1.0, 1e-9);
  EXPECT_GT(kUnknownFeature, 0);
  EXPECT_LT(kUnknownFeature, kKnownMatchFloor);
}

TEST(RankingTest, ExperienceCountsUpToFiveYearsAndTheUnitGroupForHalf) {
  EXPECT_DOUBLE_EQ(OccupationFeature(0, 2026, 2026, false), kKnownMatchFloor);
  EXPECT_DOUBLE_EQ(OccupationFeature(30, 2026, 2026, false), 0.75);
  EXPECT_DOUBLE_EQ(OccupationFeature(kFullExperienceMonths - 1, 2026, 2026, false),
                   kKnownMatchFloor + (1 - kKnownMatchFloor) * 59.0 / 60.0);
  EXPECT_DOUBLE_EQ(OccupationFeature(kFullExperienceMonths, 2026, 2026, false), 1.0);
  EXPECT_DOUBLE_EQ(OccupationFeature(kFullExperienceMonths * 3, 2026, 2026, false), 1.0);
  EXPECT_DOUBLE_EQ(OccupationFeature(kFullExperienceMonths, 2026, 2026, true),
                   kRelatedOccupationShare);
}

TEST(RankingTest, ExperienceOlderThanFiveYearsCountsHalf) {
  const int now = 2026;
  EXPECT_DOUBLE_EQ(OccupationFeature(60, now - kRecencyYears, now, false), 1.0);
  EXPECT_DOUBLE_EQ(OccupationFeature(60, now - kRecencyYears - 1, now, false), 0.5);
  EXPECT_DOUBLE_EQ(OccupationFeature(60, 0, now, false), 1.0) << "unknown year: no penalty";
}

TEST(RankingTest, HoursThatShareOneHourFitAndHoursOneApartDoNot) {
  // Candidate 16-24 hours.
  EXPECT_DOUBLE_EQ(AvailabilityFeature(16, 24, 24, 32), kKnownMatchFloor + 0.5 * 24.0 / 32.0);
  EXPECT_DOUBLE_EQ(AvailabilityFeature(16, 24, 25, 32), 0.0);
  EXPECT_DOUBLE_EQ(AvailabilityFeature(16, 24, 8, 16), 1.0) << "can work the offered maximum";
  EXPECT_DOUBLE_EQ(AvailabilityFeature(16, 24, 8, 15), 0.0);
  EXPECT_DOUBLE_EQ(AvailabilityFeature(0, 0, 0, 0), 1.0) << "no offered maximum: full cover";
}

TEST(RankingTest, DistanceScoresTheBandAgainstTheCandidatesOwnLimit) {
  EXPECT_DOUBLE_EQ(DistanceFeature(DistanceBand::k0To5, 20), 1 - 2.5 / 20);
  EXPECT_DOUBLE_EQ(DistanceFeature(DistanceBand::k5To10, 20), 1 - 7.5 / 20);
  EXPECT_DOUBLE_EQ(DistanceFeature(DistanceBand::k10To20, 20), 1 - 15.0 / 20);
  // A band reaching past the limit is scored against one kilometre beyond its middle.
  EXPECT_DOUBLE_EQ(DistanceFeature(DistanceBand::k20To30, 20), 1 - 25.0 / 26);
  EXPECT_DOUBLE_EQ(DistanceFeature(DistanceBand::k30Plus, 50), 1 - 35.0 / 50);
  EXPECT_DOUBLE_EQ(DistanceFeature(DistanceBand::kUnknown, 50), 1 - 35.0 / 50);
  EXPECT_DOUBLE_EQ(DistanceFeature(DistanceBand::k30Plus, 0), 1.0) << "no limit";
  for (int band = 0; band <= static_cast<int>(DistanceBand::k30Plus); ++band) {
    for (double limit : {1.0, 5.0, 20.0, 100.0}) {
      const double feature = DistanceFeature(static_cast<DistanceBand>(band), limit);
      EXPECT_GE(feature, 0);
      EXPECT_LE(feature, 1);
    }
  }
  // Closer bands never score lower.
  EXPECT_GT(DistanceFeature(DistanceBand::k0To5, 40), DistanceFeature(DistanceBand::k5To10, 40));
  EXPECT_GT(DistanceFeature(DistanceBand::k5To10, 40), DistanceFeature(DistanceBand::k10To20, 40));
}

TEST(RankingTest, BandsStartAtTheirLowerEdge) {
  EXPECT_EQ(BandForDistance(0), DistanceBand::k0To5);
  EXPECT_EQ(BandForDistance(4.99), DistanceBand::k0To5);
  EXPECT_EQ(BandForDistance(5), DistanceBand::k5To10);
  EXPECT_EQ(BandForDistance(9.99), DistanceBand::k5To10);
  EXPECT_EQ(BandForDistance(10), DistanceBand::k10To20);
  EXPECT_EQ(BandForDistance(19.99), DistanceBand::k10To20);
  EXPECT_EQ(BandForDistance(20), DistanceBand::k20To30);
  EXPECT_EQ(BandForDistance(29.99), DistanceBand::k20To30);
  EXPECT_EQ(BandForDistance(30), DistanceBand::k30Plus);
  EXPECT_STREQ(DistanceBandLabel(DistanceBand::k10To20), "10-20 km");
  EXPECT_STREQ(DistanceBandLabel(DistanceBand::kUnknown), "onbekend");
}

TEST(RankingTest, DaysScoreTheShareOfTheWantedDaysCovered) {
  EXPECT_DOUBLE_EQ(DaysFeature(0, 0b0000011), kUnknownFeature);
  EXPECT_DOUBLE_EQ(DaysFeature(0b0000001, 0), 1.0);
  EXPECT_DOUBLE_EQ(DaysFeature(0b0000001, 0b0000011), 0.5);
  EXPECT_DOUBLE_EQ(DaysFeature(0b1111111, 0b0000011), 1.0);
  EXPECT_DOUBLE_EQ(DaysFeature(0b1100000, 0b0000011), 0.0);
}

TEST(RankingTest, FreshnessHalvesEveryYear) {
  EXPECT_DOUBLE_EQ(FreshnessFeature(0), 1.0);
  EXPECT_DOUBLE_EQ(FreshnessFeature(-10), 1.0) << "a future date counts as today";
  EXPECT_DOUBLE_EQ(FreshnessFeature(365), 0.5);
  EXPECT_DOUBLE_EQ(FreshnessFeature(730), 0.25);
}

}  // namespace
}  // namespace verkenner::engine::ranking
