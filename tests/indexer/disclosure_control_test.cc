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
  for (int i = 0; i < 6; ++i) Add("utrecht-mbo2-" + std::to_string(i), "GM0344", "mbo2");
  for (int i = 0; i < 3; ++i) Add("zeist-unknown-" + std::to_string(i), "GM0355", "");
  for (int i = 0; i < 3; ++i) Add("utrecht-unknown-" + std::to_string(i), "GM0344", "");
  ASSERT_TRUE(writer_->CommitBatch().ok());
  ASSERT_EQ(reference_->FindMunicipality("GM0344")->region_code,
            reference_->FindMunicipality("GM0355")->region_code);

  // Before any count, nothing shows its municipality or education.
  {
    auto searcher = engine::Searcher::Open(path_, reference_);
    ASSERT_TRUE(searcher.ok()) << searcher.status();
    auto uncounted = (*searcher)->GetProfile("utrecht-mbo2-0", kToday);
    ASSERT_TRUE(uncounted.ok()) << uncounted.status();
    EXPECT_FALSE(uncounted->shown_area_is_municipality);
    EXPECT_EQ(uncounted->shown_education, engine::ShownEducation::kWithheld);
  }

  auto groups = writer_->UpdateDisclosureControl(5);
  ASSERT_TRUE(groups.ok()) << groups.status();
  EXPECT_EQ(groups->details.at("GM0344|mbo2"), engine::ShownDetail::kMunicipalityAndLevel);
  // Utrecht's and Zeist's three unknown are one group of six in Midden-Utrecht.
  EXPECT_EQ(groups->details.at("GM0344|?"), engine::ShownDetail::kRegionAndLevel);
  EXPECT_EQ(groups->profiles_shown_at_region_level, 6);
  EXPECT_EQ(groups->smallest_shown_group, 6);

  auto searcher = engine::Searcher::Open(path_, reference_);
  ASSERT_TRUE(searcher.ok()) << searcher.status();
  auto large = (*searcher)->GetProfile("utrecht-mbo2-0", kToday);
  ASSERT_TRUE(large.ok()) << large.status();
  EXPECT_TRUE(large->shown_area_is_municipality);
  EXPECT_EQ(large->shown_area_code, "GM0344");
  EXPECT_EQ(large->shown_education, engine::ShownEducation::kLevel);
  auto small = (*searcher)->GetProfile("zeist-unknown-1", kToday);
  ASSERT_TRUE(small.ok());
  EXPECT_FALSE(small->shown_area_is_municipality);
  EXPECT_EQ(small->shown_area_code, reference_->FindMunicipality("GM0355")->region_code);

  // Two more unknown in each municipality make both groups 5: the searcher sees the change
  // without a restart.
  ASSERT_TRUE(writer_->BeginBatch().ok());
  for (const char* id : {"zeist-unknown-3", "zeist-unknown-4"}) Add(id, "GM0355", "");
  for (const char* id : {"utrecht-unknown-3", "utrecht-unknown-4"}) Add(id, "GM0344", "");
  ASSERT_TRUE(writer_->CommitBatch().ok());
  ASSERT_TRUE(writer_->UpdateDisclosureControl(5).ok());
  auto grown = (*searcher)->GetProfile("zeist-unknown-1", kToday);
  ASSERT_TRUE(grown.ok());
  EXPECT_TRUE(grown->shown_area_is_municipality);

  // A lone hbo graduate is no group of its own at any detail: with the education withheld they
  // need k - 1 others, and the smallest shown group of the region (Utrecht's five unknown) joins
  // them; Utrecht's six mbo2 keep their municipality and level.
  ASSERT_TRUE(writer_->BeginBatch().ok());
  Add("utrecht-hbo", "GM0344", "hbo_bachelor");
  ASSERT_TRUE(writer_->CommitBatch().ok());
  auto with_hbo = writer_->UpdateDisclosureControl(5);
  ASSERT_TRUE(with_hbo.ok());
  EXPECT_EQ(with_hbo->smallest_shown_group, 5);
  EXPECT_EQ(with_hbo->profiles_with_education_generalised, 1);
  for (const char* id : {"utrecht-hbo", "utrecht-unknown-0"}) {
    auto withheld = (*searcher)->GetProfile(id, kToday);
    ASSERT_TRUE(withheld.ok());
    EXPECT_FALSE(withheld->shown_area_is_municipality) << id;
    EXPECT_EQ(withheld->shown_education, engine::ShownEducation::kWithheld) << id;
  }
  auto kept = (*searcher)->GetProfile("utrecht-mbo2-0", kToday);
  ASSERT_TRUE(kept.ok());
  EXPECT_EQ(kept->shown_education, engine::ShownEducation::kLevel);
}

// An import's report tells its source what disclosure control did to that source's profiles,
// counted against every source's (groups span sources).
TEST_F(DisclosureControlTest, ASourceLearnsItsOwnSmallestGroupAndGeneralisedProfiles) {
  ASSERT_TRUE(writer_->BeginBatch().ok());
  for (int i = 0; i < 5; ++i) Add("utrecht-mbo2-" + std::to_string(i), "GM0344", "mbo2");
  for (int i = 0; i < 3; ++i) Add("zeist-unknown-" + std::to_string(i), "GM0355", "");
  for (int i = 0; i < 3; ++i) Add("utrecht-unknown-" + std::to_string(i), "GM0344", "");
  ASSERT_TRUE(writer_->CommitBatch().ok());

  // Zeist's three are below k=5 in their municipality; their region holds Utrecht's three too.
  absl::StatusOr<engine::SourceDisclosure> zeist = writer_->DisclosureOfSource("GM0355", 5);
  ASSERT_TRUE(zeist.ok()) << zeist.status();
  EXPECT_EQ(zeist->smallest_shown_group, 6);
  EXPECT_EQ(zeist->profiles_shown_at_region_level, 3);
  // Utrecht: mbo2 shown by municipality (5), unknown at region level (6).
  absl::StatusOr<engine::SourceDisclosure> utrecht = writer_->DisclosureOfSource("GM0344", 5);
  ASSERT_TRUE(utrecht.ok()) << utrecht.status();
  EXPECT_EQ(utrecht->smallest_shown_group, 5);
  EXPECT_EQ(utrecht->profiles_shown_at_region_level, 3);
  absl::StatusOr<engine::SourceDisclosure> none = writer_->DisclosureOfSource("UWV", 5);
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(none->smallest_shown_group, 0);
}

}  // namespace
}  // namespace verkenner::indexer
