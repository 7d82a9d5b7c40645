// Disclosure control end to end through the index: the writer counts the groups, the searcher
// shows the municipality only for groups of at least k.
#include "engine/disclosure_control.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "engine/searcher.h"
#include "indexer/index_writer.h"

namespace verkenner::indexer {
namespace {

constexpr int64_t kToday = 20758;

class DisclosureControlTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto reference = engine::ReferenceData::Load(engine::ReferenceData::DefaultDirectory());
    ASSERT_TRUE(reference.ok()) << reference.status();
    reference_ = *reference;
    path_ = (std::filesystem::temp_directory_path() /
             ("verkenner-disclosure-" + std::to_string(getpid())))
                .string();
    std::filesystem::remove_all(path_);
    auto writer = IndexWriter::Open(path_, reference_);
    ASSERT_TRUE(writer.ok()) << writer.status();
    writer_ = std::move(*writer);
  }
  void TearDown() override {
    writer_.reset();
    std::filesystem::remove_all(path_);
  }

  void Add(const std::string& id, const std::string& municipality, const std::string& education) {
    engine::CandidateRecord record;
    record.profile_id = id;
    record.source = municipality;
    record.municipality_code = municipality;
    record.region_code = reference_->FindMunicipality(municipality)->region_code;
    record.education_code = education;
    if (!education.empty()) record.education_ordinal = 6;
    record.retain_until_day = kToday + 1000;
    ASSERT_TRUE(writer_->Upsert(record).ok());
  }

  std::shared_ptr<const engine::ReferenceData> reference_;
  std::string path_;
  std::unique_ptr<IndexWriter> writer_;
};

TEST_F(DisclosureControlTest, SmallGroupsAreShownAtRegionLevelAndLargeOnesByMunicipality) {
  ASSERT_TRUE(writer_->BeginBatch().ok());
  for (int i = 0; i < 5; ++i) Add("utrecht-mbo2-" + std::to_string(i), "GM0344", "mbo2");
  Add("utrecht-hbo", "GM0344", "hbo_bachelor");  // alone in its group
  for (int i = 0; i < 3; ++i) Add("zeist-unknown-" + std::to_string(i), "GM0355", "");
  for (int i = 0; i < 3; ++i) Add("utrecht-unknown-" + std::to_string(i), "GM0344", "");
  ASSERT_TRUE(writer_->CommitBatch().ok());

  // Before any count, nothing may show its municipality.
  {
    auto searcher = engine::Searcher::Open(path_, reference_);
    ASSERT_TRUE(searcher.ok()) << searcher.status();
    auto uncounted = (*searcher)->GetProfile("utrecht-mbo2-0", kToday);
    ASSERT_TRUE(uncounted.ok()) << uncounted.status();
    EXPECT_FALSE(uncounted->shown_area_is_municipality);
  }

  auto groups = writer_->UpdateDisclosureControl(5);
  ASSERT_TRUE(groups.ok()) << groups.status();
  EXPECT_EQ(groups->municipality_groups, (std::set<std::string>{"GM0344|mbo2"}));
  EXPECT_EQ(groups->profiles_shown_at_region_level, 7);
  // Utrecht and Zeist are both in Midden-Utrecht: the unknown-education profiles make a region
  // group of 6, but the lone hbo profile stays a group of 1 even at region level.
  EXPECT_EQ(groups->smallest_shown_group, 1);

  auto searcher = engine::Searcher::Open(path_, reference_);
  ASSERT_TRUE(searcher.ok()) << searcher.status();
  auto large = (*searcher)->GetProfile("utrecht-mbo2-0", kToday);
  ASSERT_TRUE(large.ok()) << large.status();
  EXPECT_TRUE(large->shown_area_is_municipality);
  EXPECT_EQ(large->shown_area_code, "GM0344");
  auto small = (*searcher)->GetProfile("zeist-unknown-1", kToday);
  ASSERT_TRUE(small.ok());
  EXPECT_FALSE(small->shown_area_is_municipality);
  EXPECT_EQ(small->shown_area_code, reference_->FindMunicipality("GM0355")->region_code);

  // Two more Zeist profiles make its group 5: the searcher sees the change without a restart.
  ASSERT_TRUE(writer_->BeginBatch().ok());
  Add("zeist-unknown-3", "GM0355", "");
  Add("zeist-unknown-4", "GM0355", "");
  ASSERT_TRUE(writer_->CommitBatch().ok());
  ASSERT_TRUE(writer_->UpdateDisclosureControl(5).ok());
  auto grown = (*searcher)->GetProfile("zeist-unknown-1", kToday);
  ASSERT_TRUE(grown.ok());
  EXPECT_TRUE(grown->shown_area_is_municipality);
}

// An import's report tells its source what disclosure control did to that source's profiles,
// counted against every source's (groups span sources).
TEST_F(DisclosureControlTest, ASourceLearnsItsOwnSmallestGroupAndGeneralisedProfiles) {
  ASSERT_TRUE(writer_->BeginBatch().ok());
  for (int i = 0; i < 5; ++i) Add("utrecht-mbo2-" + std::to_string(i), "GM0344", "mbo2");
  Add("utrecht-hbo", "GM0344", "hbo_bachelor");
  for (int i = 0; i < 3; ++i) Add("zeist-unknown-" + std::to_string(i), "GM0355", "");
  for (int i = 0; i < 3; ++i) Add("utrecht-unknown-" + std::to_string(i), "GM0344", "");
  ASSERT_TRUE(writer_->CommitBatch().ok());
  ASSERT_EQ(reference_->FindMunicipality("GM0344")->region_code,
            reference_->FindMunicipality("GM0355")->region_code);

  // Zeist's three are below k=5 in their municipality; their region holds Utrecht's three too.
  absl::StatusOr<engine::SourceDisclosure> zeist = writer_->DisclosureOfSource("GM0355", 5);
  ASSERT_TRUE(zeist.ok()) << zeist.status();
  EXPECT_EQ(zeist->smallest_shown_group, 6);
  EXPECT_EQ(zeist->profiles_shown_at_region_level, 3);
  // Utrecht: mbo2 shown by municipality (5), the lone hbo at region level (1), unknown (6).
  absl::StatusOr<engine::SourceDisclosure> utrecht = writer_->DisclosureOfSource("GM0344", 5);
  ASSERT_TRUE(utrecht.ok()) << utrecht.status();
  EXPECT_EQ(utrecht->smallest_shown_group, 1);
  EXPECT_EQ(utrecht->profiles_shown_at_region_level, 4);
  absl::StatusOr<engine::SourceDisclosure> none = writer_->DisclosureOfSource("UWV", 5);
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(none->smallest_shown_group, 0);
}

}  // namespace
}  // namespace verkenner::indexer
