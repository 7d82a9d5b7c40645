// Issue 15, point 7: over a generated import of 100,000 profiles, every combination of area and
// education an employer can see holds at least k profiles. Counted here from the index's own
// documents and the details the writer stored, by what a card shows (the searcher's rule,
// DetailOf), not by the decision's own bookkeeping.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <map>

#include "absl/strings/str_split.h"
#include "benchmarks/benchmark_index.h"
#include "engine/disclosure_control.h"
#include "engine/index_layout.h"

namespace verkenner::benchmarks {
namespace {

constexpr int64_t kProfiles = 100000;

TEST(DisclosureGroupsTest, EveryShownCombinationOfAreaAndEducationHoldsAtLeastK) {
  auto loaded = engine::ReferenceData::Load(engine::ReferenceData::DefaultDirectory());
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  std::shared_ptr<const engine::ReferenceData> reference = *loaded;
  const std::filesystem::path work = std::filesystem::temp_directory_path() /
                                     ("verkenner-disclosure-100k-" + std::to_string(getpid()));
  std::filesystem::remove_all(work);
  std::filesystem::create_directories(work);
  absl::StatusOr<ImportedIndex> imported = BuildGeneratedIndex(reference, kProfiles, work);
  ASSERT_TRUE(imported.ok()) << imported.status();
  ASSERT_GT(imported->indexed, kProfiles * 9 / 10);

  absl::StatusOr<engine::IndexLayout> layout = engine::ReadIndexLayout((work / "index").string());
  ASSERT_TRUE(layout.ok()) << layout.status();
  Xapian::Database database;
  for (const std::string& shard : layout->shard_paths)
    database.add_database(Xapian::Database(shard));
  Xapian::Database first(layout->shard_paths[0]);
  const engine::ShownDetails details =
      engine::DecodeDetails(first.get_metadata(engine::kShownDetailsKey));
  ASSERT_FALSE(details.empty());

  std::map<std::string, int64_t> shown;  // what a card shows -> profiles shown so
  int64_t by_municipality = 0, by_band = 0, withheld = 0;
  for (const auto& [combination, count] : engine::CountDisclosureCombinations(database)) {
    const std::vector<std::string> parts = absl::StrSplit(combination, '|');
    ASSERT_EQ(parts.size(), 3u) << combination;
    const std::string& municipality = parts[0];
    const std::string& region = parts[1];
    const std::string education = parts[2] == "?" ? "" : parts[2];
    const engine::ShownDetail detail = engine::DetailOf(details, municipality, education);
    std::string key = engine::ShowsMunicipality(detail) ? municipality : region;
    if (detail == engine::ShownDetail::kRegionOnly) {
      key += "|niet getoond";  // known or not
      withheld += count;
    } else if (education.empty()) {
      key += "|onbekend";
    } else if (engine::ShowsEducationLevel(detail)) {
      key += "|" + education;
    } else {
      key += "|" + reference->FindEducationLevel(education)->band;
      by_band += count;
    }
    if (engine::ShowsMunicipality(detail)) by_municipality += count;
    shown[key] += count;
  }
  int64_t smallest = INT64_MAX;
  std::string smallest_key;
  for (const auto& [key, count] : shown) {
    if (count < smallest) {
      smallest = count;
      smallest_key = key;
    }
  }
  std::printf(
      "%lld profiles in %zu shown groups; smallest %lld (%s); by municipality %lld, "
      "education as a band %lld, withheld %lld\n",
      static_cast<long long>(imported->indexed), shown.size(), static_cast<long long>(smallest),
      smallest_key.c_str(), static_cast<long long>(by_municipality),
      static_cast<long long>(by_band), static_cast<long long>(withheld));
  EXPECT_GE(smallest, engine::kDefaultMinimumGroupSize) << smallest_key;
  std::filesystem::remove_all(work);
}

}  // namespace
}  // namespace verkenner::benchmarks
