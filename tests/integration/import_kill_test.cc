// Crash safety of the import: verkenner-index killed with SIGKILL mid-batch and right before a
// commit, then run again, must leave exactly the index (and identity vault) that one
// uninterrupted run leaves. And of its publication (issue 17): killed while it publishes, before
// its MANIFEST (strace fault injection), it leaves nothing a follower uses, and the next run
// publishes what both runs imported.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <xapian.h>

#include <filesystem>
#include <fstream>

#include "engine/index_layout.h"
#include "engine/refdata/reference_data.h"
#include "engine/schema.h"
#include "indexer/identity_vault.h"
#include "indexer/index_publication.h"
#include "indexer/source_format.h"
#include "indexer/synthetic/synthetic_profile_generator.h"
#include "tests/indexer/replica_test_support.h"

namespace verkenner {
namespace {

constexpr int kProfiles = 3000;
constexpr int kBatchSize = 200;

// Runs verkenner-index on `file` into `index`; returns the wait status.
int RunIndexer(const std::filesystem::path& directory, const std::string& index,
               const std::string& file, int64_t crash_after_row) {
  const std::string index_flag = "--index=" + (directory / index).string();
  const std::string vault_flag = "--vault=" + (directory / (index + ".vault")).string();
  const std::string key_flag = "--key_file=" + (directory / "key").string();
  const std::string batch_flag = "--batch_size=" + std::to_string(kBatchSize);
  pid_t child = fork();
  if (child == 0) {
    if (crash_after_row > 0) {
      setenv("VERKENNER_CRASH_AFTER_ROW", std::to_string(crash_after_row).c_str(), 1);
    }
    // The indexer's output is not what this test reads.
    freopen("/dev/null", "w", stdout);
    freopen("/dev/null", "w", stderr);
    execl(VERKENNER_INDEX_BINARY, VERKENNER_INDEX_BINARY, index_flag.c_str(), vault_flag.c_str(),
          key_flag.c_str(), batch_flag.c_str(), file.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  int status = 0;
  waitpid(child, &status, 0);
  return status;
}

// Everything a search could observe of an index, shard by shard and document by document, plus
// each shard's metadata (which holds its import position).
std::vector<std::string> Dump(const std::string& path) {
  std::vector<std::string> lines;
  auto layout = engine::ReadIndexLayout(path);
  if (!layout.ok()) return {std::string(layout.status().message())};
  for (const std::string& shard_path : layout->shard_paths) {
    Xapian::Database database(shard_path);
    lines.push_back("shard lastdocid " + std::to_string(database.get_lastdocid()));
    for (Xapian::docid docid = 1; docid <= database.get_lastdocid(); ++docid) {
      Xapian::Document document;
      try {
        document = database.get_document(docid);
      } catch (const Xapian::DocNotFoundError&) {
        lines.push_back(std::to_string(docid) + " absent");
        continue;
      }
      std::string line = std::to_string(docid) + " data=" + document.get_data();
      for (auto term = document.termlist_begin(); term != document.termlist_end(); ++term) {
        line += " " + *term + ":" + std::to_string(term.get_wdf());
      }
      for (auto value = document.values_begin(); value != document.values_end(); ++value) {
        line += " v" + std::to_string(value.get_valueno()) + "=" + *value;
      }
      lines.push_back(std::move(line));
    }
    for (auto key = database.metadata_keys_begin(); key != database.metadata_keys_end(); ++key) {
      lines.push_back("meta " + *key + "=" + database.get_metadata(*key));
    }
  }
  return lines;
}

std::vector<std::string> ProfileIds(const std::string& path) {
  Xapian::Database database(path);
  std::vector<std::string> ids;
  for (auto term = database.allterms_begin(engine::schema::kPrefixProfileId);
       term != database.allterms_end(engine::schema::kPrefixProfileId); ++term) {
    ids.push_back((*term).substr(1));
  }
  return ids;
}

TEST(ImportKillTest, KilledAndRerunImportEqualsUninterruptedImport) {
  const std::filesystem::path directory =
      std::filesystem::temp_directory_path() / ("verkenner-kill-" + std::to_string(getpid()));
  std::filesystem::remove_all(directory);
  std::filesystem::create_directories(directory);
  {
    std::ofstream key(directory / "key", std::ios::binary);
    key << std::string(32, 'k');
  }
  chmod((directory / "key").c_str(), 0600);

  auto reference = engine::ReferenceData::Load(engine::ReferenceData::DefaultDirectory());
  ASSERT_TRUE(reference.ok()) << reference.status();
  indexer::SyntheticProfileGenerator::Options options;
  options.seed = 99;
  options.invalid_share = 0.05;
  options.delete_share = 0.03;
  auto generator = indexer::SyntheticProfileGenerator::Create(
      *reference, engine::ReferenceData::DefaultDirectory(), options);
  ASSERT_TRUE(generator.ok()) << generator.status();
  std::string csv = indexer::FormatCsvHeader(';') + "\n";
  std::vector<int64_t> clean_rows;  // rows the importer applies, so a crash point can be set
  v1::SourceProfile profile;
  for (int row = 1; row <= kProfiles; ++row) {
    (*generator)->Next(&profile);
    indexer::AppendCsvRow(profile, ';', &csv);
    csv.push_back('\n');
    if ((*generator)->last_defect() == indexer::SyntheticDefect::kNone &&
        profile.action() != v1::SOURCE_ACTION_DELETE) {
      clean_rows.push_back(row);
    }
  }
  const std::string file = (directory / "export.csv").string();
  std::ofstream(file) << csv;

  int status = RunIndexer(directory, "uninterrupted", file, 0);
  ASSERT_TRUE(WIFEXITED(status)) << status;
  ASSERT_TRUE(WEXITSTATUS(status) == 0 || WEXITSTATUS(status) == 3) << WEXITSTATUS(status);

  // Killed mid-batch, then killed again at the last row before a commit, then completed.
  const int64_t mid_batch = *std::lower_bound(clean_rows.begin(), clean_rows.end(), 730);
  const int64_t before_commit = clean_rows[clean_rows.size() * 2 / 3];
  for (int64_t crash_row : {mid_batch, before_commit}) {
    status = RunIndexer(directory, "interrupted", file, crash_row);
    ASSERT_TRUE(WIFSIGNALED(status)) << "no crash at row " << crash_row;
    ASSERT_EQ(WTERMSIG(status), SIGKILL);
  }
  status = RunIndexer(directory, "interrupted", file, 0);
  ASSERT_TRUE(WIFEXITED(status)) << status;
  ASSERT_TRUE(WEXITSTATUS(status) == 0 || WEXITSTATUS(status) == 3) << WEXITSTATUS(status);

  const std::vector<std::string> expected = Dump((directory / "uninterrupted").string());
  const std::vector<std::string> actual = Dump((directory / "interrupted").string());
  ASSERT_GT(expected.size(), static_cast<size_t>(kProfiles / 2));
  EXPECT_EQ(actual.size(), expected.size());
  for (size_t i = 0; i < std::min(actual.size(), expected.size()); ++i) {
    ASSERT_EQ(actual[i], expected[i]) << "first difference at line " << i;
  }

  auto expected_vault =
      indexer::IdentityVault::OpenReadOnly((directory / "uninterrupted.vault").string());
  auto actual_vault =
      indexer::IdentityVault::OpenReadOnly((directory / "interrupted.vault").string());
  ASSERT_TRUE(expected_vault.ok() && actual_vault.ok());
  EXPECT_EQ(*(*actual_vault)->Count(), *(*expected_vault)->Count());
  for (const std::string& id : ProfileIds((directory / "uninterrupted").string())) {
    auto want = (*expected_vault)->Lookup(id);
    auto got = (*actual_vault)->Lookup(id);
    ASSERT_TRUE(want.ok() && got.ok() && want->has_value() && got->has_value()) << id;
    EXPECT_EQ((*got)->client_number, (*want)->client_number);
  }
  std::filesystem::remove_all(directory);
}

// verkenner-index --publish on `file` into `directory`/index; with `kill_at_manifest`, under
// strace, which kills it (SIGKILL) as it renames its new MANIFEST into place. The wait status.
int RunPublishingIndexer(const std::filesystem::path& directory, const std::string& file,
                         bool kill_at_manifest) {
  const std::string index = (directory / "index").string();
  std::vector<std::string> arguments;
  if (kill_at_manifest) {
    arguments = {"/usr/bin/strace",
                 "-f",
                 "-qq",
                 "-o",
                 "/dev/null",
                 "-e",
                 "trace=rename",
                 "-P",
                 index + "/published/MANIFEST.new",
                 "-e",
                 "inject=rename:signal=SIGKILL",
                 "--"};
  }
  for (const std::string& argument :
       {std::string(VERKENNER_INDEX_BINARY), "--index=" + index,
        "--vault=" + (directory / "index.vault").string(),
        "--key_file=" + (directory / "key").string(), std::string("--publish"),
        std::string("--compact=false"), file}) {
    arguments.push_back(argument);
  }
  pid_t child = fork();
  if (child == 0) {
    freopen("/dev/null", "w", stdout);
    freopen("/dev/null", "w", stderr);
    std::vector<char*> argv;
    for (std::string& argument : arguments) argv.push_back(argument.data());
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  int status = 0;
  waitpid(child, &status, 0);
  return status;
}

TEST(ImportKillTest, AWriterKilledWhilePublishingLeavesNothingAFollowerUses) {
  const std::filesystem::path directory = std::filesystem::temp_directory_path() /
                                          ("verkenner-publish-kill-" + std::to_string(getpid()));
  std::filesystem::remove_all(directory);
  std::filesystem::create_directories(directory);
  std::ofstream(directory / "key", std::ios::binary) << std::string(32, 'k');
  chmod((directory / "key").c_str(), 0600);
  auto reference = engine::ReferenceData::Load(engine::ReferenceData::DefaultDirectory());
  ASSERT_TRUE(reference.ok()) << reference.status();
  auto generator = indexer::SyntheticProfileGenerator::Create(
      *reference, engine::ReferenceData::DefaultDirectory(), {});
  ASSERT_TRUE(generator.ok()) << generator.status();
  std::vector<std::string> files;
  v1::SourceProfile profile;
  for (int part = 0; part < 2; ++part) {
    std::string csv = indexer::FormatCsvHeader(';') + "\n";
    for (int row = 0; row < 150; ++row) {
      (*generator)->Next(&profile);
      indexer::AppendCsvRow(profile, ';', &csv);
      csv.push_back('\n');
    }
    files.push_back((directory / ("part" + std::to_string(part) + ".csv")).string());
    std::ofstream(files.back()) << csv;
  }
  const std::string index = (directory / "index").string();
  const std::string replica = (directory / "replica").string();
  indexer::IndexFollower follower(
      {replica, indexer::FetchFromDirectory(index), *std::move(reference)});

  int status = RunPublishingIndexer(directory, files[0], false);
  ASSERT_TRUE(WIFEXITED(status)) << status;
  ASSERT_TRUE(follower.CatchUp().ok());
  const std::vector<std::string> first = Dump(replica);

  // Killed as it put its MANIFEST in place: its change set files are written, the MANIFEST is
  // the first run's. The follower stays where it was.
  status = RunPublishingIndexer(directory, files[1], true);
  ASSERT_TRUE(WIFSIGNALED(status)) << "strace did not kill it: " << status;
  ASSERT_EQ(WTERMSIG(status), SIGKILL);
  ASSERT_TRUE(std::filesystem::exists(index + "/published/MANIFEST.new"));
  auto round = follower.CatchUp();
  ASSERT_TRUE(round.ok()) << round.status();
  EXPECT_EQ(round->sequence, 1);
  EXPECT_EQ(Dump(replica), first);

  // Run again, it publishes sequence 2 over everything since the first: the follower holds what
  // the writer holds.
  status = RunPublishingIndexer(directory, files[1], false);
  ASSERT_TRUE(WIFEXITED(status)) << status;
  round = follower.CatchUp();
  ASSERT_TRUE(round.ok()) << round.status();
  EXPECT_EQ(round->sequence, 2);
  auto written = engine::ReadIndexLayout(index);
  auto followed = engine::ReadIndexLayout(replica);
  ASSERT_TRUE(written.ok() && followed.ok());
  for (int shard = 0; shard < written->shard_count(); ++shard) {
    EXPECT_EQ(indexer::ShardContents(followed->shard_paths[shard]),
              indexer::ShardContents(written->shard_paths[shard]))
        << "shard " << shard;
  }
  std::filesystem::remove_all(directory);
}

}  // namespace
}  // namespace verkenner
