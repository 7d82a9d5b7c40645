#include "engine/index_layout.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>

namespace verkenner::engine {
namespace {

class IndexLayoutTest : public ::testing::Test {
 protected:
  void SetUp() override {
    directory_ =
        (std::filesystem::temp_directory_path() / ("verkenner-layout-" + std::to_string(getpid())))
            .string();
    std::filesystem::remove_all(directory_);
    std::filesystem::create_directories(directory_);
  }
  void TearDown() override { std::filesystem::remove_all(directory_); }

  std::string directory_;
};

TEST_F(IndexLayoutTest, PublishedLayoutReadsBack) {
  ASSERT_TRUE(PublishIndexLayout(MakeIndexLayout(directory_, 7, 3)).ok());
  auto layout = ReadIndexLayout(directory_);
  ASSERT_TRUE(layout.ok()) << layout.status();
  EXPECT_EQ(layout->generation, 7);
  ASSERT_EQ(layout->shard_count(), 3);
  EXPECT_EQ(layout->shard_paths[2],
            (std::filesystem::path(directory_) / "g000007" / "s2").string());
  EXPECT_FALSE(std::filesystem::exists(std::filesystem::path(directory_) / "XAPIANDB.new"));
}

TEST_F(IndexLayoutTest, NoStubIsNotFoundAndAForeignStubIsDataLoss) {
  EXPECT_EQ(ReadIndexLayout(directory_).status().code(), absl::StatusCode::kNotFound);
  std::ofstream(std::filesystem::path(directory_) / kStubFileName) << "remote tcp host:1234\n";
  EXPECT_EQ(ReadIndexLayout(directory_).status().code(), absl::StatusCode::kDataLoss);
  std::ofstream(std::filesystem::path(directory_) / kStubFileName)
      << "glass g000001/s0\nglass g000002/s1\n";
  EXPECT_EQ(ReadIndexLayout(directory_).status().code(), absl::StatusCode::kDataLoss);
}

TEST_F(IndexLayoutTest, RemovesOnlyOlderGenerations) {
  for (const char* name : {"g000001", "g000002", "g000003", "notes"}) {
    std::filesystem::create_directories(std::filesystem::path(directory_) / name);
  }
  RemoveGenerationsBefore(directory_, 3);
  EXPECT_FALSE(std::filesystem::exists(std::filesystem::path(directory_) / "g000001"));
  EXPECT_FALSE(std::filesystem::exists(std::filesystem::path(directory_) / "g000002"));
  EXPECT_TRUE(std::filesystem::exists(std::filesystem::path(directory_) / "g000003"));
  EXPECT_TRUE(std::filesystem::exists(std::filesystem::path(directory_) / "notes"));
}

TEST(ShardOfTest, IsStableAndSpreadsProfiles) {
  // Existing indexes depend on these: a change of hash would strand profiles in wrong shards.
  EXPECT_EQ(ShardOf("7e6c115f43c52b869ddd3f92", 2), ShardOf("7e6c115f43c52b869ddd3f92", 2));
  EXPECT_EQ(ShardOf("", 4), static_cast<int>(2166136261u % 4));
  EXPECT_EQ(ShardOf("a", 1000), static_cast<int>(((2166136261u ^ 'a') * 16777619u) % 1000));
  std::multiset<int> shards;
  for (int i = 0; i < 4000; ++i) shards.insert(ShardOf("profile-" + std::to_string(i), 4));
  for (int shard = 0; shard < 4; ++shard) {
    EXPECT_GT(shards.count(shard), 800u) << "shard " << shard;
  }
}

}  // namespace
}  // namespace verkenner::engine
