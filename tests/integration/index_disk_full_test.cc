// verkenner-index on a full disk: for imports of several sizes into small tmpfs mounts, so that
// space runs out at different moments (the vault, batch commits, the final commit, the sweep,
// compaction), every run exits 1 with a message that names disk space, never aborts, and after
// the mount grows the same command completes with the index a clean run builds.
//
// Needs root (mount). CI runs as root; anywhere else the test fails and says so.
#include <gtest/gtest.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <xapian.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "engine/refdata/reference_data.h"
#include "engine/schema.h"
#include "indexer/identity_vault.h"
#include "indexer/source_format.h"
#include "indexer/synthetic/synthetic_profile_generator.h"

namespace verkenner {
namespace {

constexpr char kBatchFlag[] = "--batch_size=150";
constexpr char kShardsFlag[] = "--shards=2";

struct IndexerRun {
  int wait_status = 0;
  std::string stderr_text;

  bool Exited(int code) const { return WIFEXITED(wait_status) && WEXITSTATUS(wait_status) == code; }
  std::string Describe() const {
    std::ostringstream out;
    if (WIFEXITED(wait_status)) {
      out << "exit " << WEXITSTATUS(wait_status);
    } else if (WIFSIGNALED(wait_status)) {
      out << "killed by signal " << WTERMSIG(wait_status) << " (exit "
          << 128 + WTERMSIG(wait_status) << " in a shell)";
    }
    return out.str() + "; stderr:\n" + stderr_text;
  }
};

class IndexDiskFullTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(geteuid(), 0u) << "this test mounts small tmpfs file systems and needs root; run it "
                                "as root (CI does)";
    directory_ = std::filesystem::temp_directory_path() /
                 ("verkenner-disk-full-" + std::to_string(getpid()));
    std::filesystem::remove_all(directory_);
    std::filesystem::create_directories(directory_ / "mnt");
    std::ofstream(directory_ / "key", std::ios::binary) << std::string(32, 'k');
    chmod((directory_ / "key").c_str(), 0600);
  }

  void TearDown() override {
    if (mounted_) umount2(mount_point().c_str(), MNT_DETACH);
    std::filesystem::remove_all(directory_);
  }

  std::filesystem::path mount_point() const { return directory_ / "mnt"; }

  void Mount(int64_t bytes) {
    const std::string options = "size=" + std::to_string(bytes) + ",mode=0700";
    ASSERT_EQ(mount("tmpfs", mount_point().c_str(), "tmpfs", 0, options.c_str()), 0)
        << "mount tmpfs: " << std::strerror(errno);
    mounted_ = true;
  }
  void Grow(int64_t bytes) {
    const std::string options = "size=" + std::to_string(bytes);
    ASSERT_EQ(mount("tmpfs", mount_point().c_str(), "tmpfs", MS_REMOUNT, options.c_str()), 0)
        << "remount tmpfs: " << std::strerror(errno);
  }
  void Unmount() {
    ASSERT_EQ(umount2(mount_point().c_str(), 0), 0) << std::strerror(errno);
    mounted_ = false;
  }

  std::string WriteExport(int rows) {
    auto reference = engine::ReferenceData::Load(engine::ReferenceData::DefaultDirectory());
    EXPECT_TRUE(reference.ok());
    indexer::SyntheticProfileGenerator::Options options;
    options.seed = static_cast<uint64_t>(rows);
    options.invalid_share = 0.02;
    options.delete_share = 0.02;
    auto generator = indexer::SyntheticProfileGenerator::Create(
        *reference, engine::ReferenceData::DefaultDirectory(), options);
    EXPECT_TRUE(generator.ok());
    std::string csv = indexer::FormatCsvHeader(';') + "\n";
    v1::SourceProfile profile;
    for (int i = 0; i < rows; ++i) {
      (*generator)->Next(&profile);
      indexer::AppendCsvRow(profile, ';', &csv);
      csv.push_back('\n');
    }
    const std::filesystem::path file = directory_ / ("export-" + std::to_string(rows) + ".csv");
    std::ofstream(file) << csv;
    return file.string();
  }

  // Runs verkenner-index on `file` into `where`/index and `where`/vault, with `report` as its
  // --report when not empty.
  IndexerRun RunIndexer(const std::filesystem::path& where, const std::string& file,
                        const std::string& report = "") {
    const std::string report_flag = "--report=" + report;
    const std::string index_flag = "--index=" + (where / "index").string();
    const std::string vault_flag = "--vault=" + (where / "vault").string();
    const std::string key_flag = "--key_file=" + (directory_ / "key").string();
    const std::filesystem::path stderr_path = directory_ / "stderr";
    pid_t child = fork();
    if (child == 0) {
      freopen("/dev/null", "w", stdout);
      freopen(stderr_path.c_str(), "w", stderr);
      if (report.empty()) {
        execl(VERKENNER_INDEX_BINARY, VERKENNER_INDEX_BINARY, index_flag.c_str(),
              vault_flag.c_str(), key_flag.c_str(), kBatchFlag, kShardsFlag, file.c_str(),
              static_cast<char*>(nullptr));
      } else {
        execl(VERKENNER_INDEX_BINARY, VERKENNER_INDEX_BINARY, index_flag.c_str(),
              vault_flag.c_str(), key_flag.c_str(), report_flag.c_str(), kBatchFlag, kShardsFlag,
              file.c_str(), static_cast<char*>(nullptr));
      }
      _exit(127);
    }
    IndexerRun run;
    waitpid(child, &run.wait_status, 0);
    std::ifstream in(stderr_path);
    std::ostringstream text;
    text << in.rdbuf();
    run.stderr_text = text.str();
    return run;
  }

  static std::vector<std::string> ProfileIds(const std::filesystem::path& where) {
    Xapian::Database database((where / "index").string());
    std::vector<std::string> ids;
    const std::string prefix = engine::schema::kPrefixProfileId;
    for (auto term = database.allterms_begin(prefix); term != database.allterms_end(prefix);
         ++term) {
      ids.push_back(*term);
    }
    return ids;
  }

  static int64_t VaultCount(const std::filesystem::path& where) {
    auto vault = indexer::IdentityVault::OpenReadOnly((where / "vault").string());
    EXPECT_TRUE(vault.ok()) << vault.status();
    if (!vault.ok()) return -1;
    auto count = (*vault)->Count();
    return count.ok() ? *count : -1;
  }

  static int64_t Bytes(const std::filesystem::path& where) {
    int64_t bytes = 0;
    for (const auto& entry : std::filesystem::recursive_directory_iterator(where)) {
      if (entry.is_regular_file()) bytes += static_cast<int64_t>(entry.file_size());
    }
    return bytes;
  }

  std::filesystem::path directory_;
  bool mounted_ = false;
};

TEST_F(IndexDiskFullTest, EveryRunOutOfSpaceExitsOneNamingDiskSpaceAndARerunCompletes) {
  for (int rows : {1000, 2500}) {
    const std::string file = WriteExport(rows);
    const std::filesystem::path clean = directory_ / ("clean-" + std::to_string(rows));
    std::filesystem::create_directories(clean);
    const IndexerRun clean_run = RunIndexer(clean, file);
    ASSERT_TRUE(clean_run.Exited(0) || clean_run.Exited(3)) << clean_run.Describe();
    const std::vector<std::string> expected_ids = ProfileIds(clean);
    const int64_t expected_vault = VaultCount(clean);
    ASSERT_GT(expected_ids.size(), static_cast<size_t>(rows / 2));
    // What the finished index and vault take. An import needs more on the way: the vault's
    // write-ahead log, the index before compaction and its compacted copy beside it.
    const int64_t final_bytes = Bytes(clean);

    for (double share : {0.3, 1.0, 1.7, 2.4}) {
      SCOPED_TRACE("rows " + std::to_string(rows) + ", tmpfs of " + std::to_string(share) +
                   " times the finished index and vault");
      Mount(static_cast<int64_t>(share * final_bytes));
      const IndexerRun full = RunIndexer(mount_point(), file);
      EXPECT_TRUE(full.Exited(1)) << full.Describe();
      EXPECT_NE(full.stderr_text.find("disk is full"), std::string::npos) << full.Describe();
      // Where the space ran out, for whoever reads the log.
      const size_t message = full.stderr_text.rfind("verkenner-index:");
      std::cout << "rows " << rows << ", share " << share << ": "
                << full.stderr_text.substr(message == std::string::npos ? 0 : message)
                << std::flush;

      Grow(64 << 20);
      const IndexerRun rerun = RunIndexer(mount_point(), file);
      ASSERT_TRUE(rerun.Exited(0) || rerun.Exited(3)) << rerun.Describe();
      EXPECT_EQ(ProfileIds(mount_point()), expected_ids);
      EXPECT_EQ(VaultCount(mount_point()), expected_vault);
      Unmount();
    }
  }
}

}  // namespace
// The rejected-rows report is written by verkenner-index too: on a full disk it says so.
TEST_F(IndexDiskFullTest, AReportOnAFullDiskSaysTheDiskIsFull) {
  const std::string file = WriteExport(1000);  // with rejected rows (invalid_share)
  const std::filesystem::path index_dir = directory_ / "beside";
  std::filesystem::create_directories(index_dir);
  Mount(64 << 10);
  // Fill the mount, so the report finds no room at all.
  std::ofstream(mount_point() / "filler", std::ios::binary) << std::string(64 << 10, 'x');
  const IndexerRun run = RunIndexer(index_dir, file, (mount_point() / "rejected.csv").string());
  EXPECT_TRUE(run.Exited(1)) << run.Describe();
  EXPECT_NE(run.stderr_text.find("disk is full"), std::string::npos) << run.Describe();
  Unmount();
}

}  // namespace verkenner
