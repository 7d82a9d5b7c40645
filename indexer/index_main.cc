// verkenner-index: imports Sonar-style profile exports (CSV or JSON Lines) into a search index
// and its identity vault, and purges profiles whose retention has ended.
#include <openssl/rand.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <iostream>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "base/command_line/command_line.h"
#include "base/disk_space.h"
#include "engine/disclosure_control.h"
#include "engine/index_layout.h"
#include "engine/refdata/reference_data.h"
#include "engine/schema.h"
#include "indexer/import_flags.h"
#include "indexer/import_job.h"
#include "indexer/import_report_writer.h"
#include "indexer/importer.h"
#include "indexer/index_writer.h"
#include "indexer/profile_validator.h"
#include "indexer/pseudonymizer.h"
#include "service/store/index_writer_lease.h"
#include "service/store/store.h"

ABSL_FLAG(std::string, index, "", "directory of the search index; created if absent (required)");
ABSL_FLAG(std::string, vault, "",
          "identity vault, kept outside the index: an SQLite file, or the service store's "
          "PostgreSQL database as a libpq URI (postgresql://...; the vault is its schema vault) "
          "(default: INDEX.vault beside the index directory)");
ABSL_FLAG(std::string, store, "",
          "the service store of the instances that serve this index (an SQLite file or "
          "postgresql://...): the run takes the index writer's lease there, or runs beside the "
          "server that holds it when that server writes this same directory, and is refused "
          "when the writer is elsewhere (default: no lease; the index is this machine's alone)");
ABSL_FLAG(bool, publish, false,
          "publish the index's new state for the instances that follow it "
          "(verkenner-server --replicate_index; docs/ARCHITECTURE.md)");
ABSL_FLAG(std::string, key_file, "",
          "pseudonym key file (default: $VERKENNER_PSEUDONYM_KEY or "
          "~/.config/verkenner/pseudonym.key)");
ABSL_FLAG(std::string, refdata, "",
          "reference data directory (default: $VERKENNER_REFDATA or ../shared/refdata)");
ABSL_FLAG(std::string, format, "auto", "input format: auto (by extension), csv or jsonl");
ABSL_FLAG(std::string, full_sync, "",
          "full sync for this source (GMxxxx or UWV): its profiles absent from the file are "
          "withdrawn; rows of other sources are rejected");
ABSL_FLAG(std::string, report, "",
          "write the rejected rows to this file: .json for JSON, anything else for CSV");
ABSL_FLAG(bool, sweep_only, false, "only purge expired profiles; import no files");
ABSL_FLAG(bool, check, false,
          "check the files only: report what importing them would do (against --index when "
          "given, else against an empty index), changing nothing");
ABSL_FLAG(int64_t, batch_size, verkenner::indexer::Importer::Options().batch_size,
          "rows per committed batch and shard; a killed import resumes after the last commit");
ABSL_FLAG(int, show_rejected, 20, "rejected rows to list in the summary");
ABSL_FLAG(bool, compact, true,
          "after the import, rewrite the index with full blocks (about 40% smaller; takes a few "
          "seconds per million profiles, searchers switch over atomically)");
ABSL_FLAG(int, shards, 0,
          "when creating a new index: the number of shards, each written by its own thread "
          "(default: one per core)");

namespace {

// Exit codes a script can act on.
constexpr int kExitOk = 0;            // every row imported
constexpr int kExitFailed = 1;        // a file, the index, the vault or the key failed
constexpr int kExitRowsRejected = 3;  // the import ran; some rows were rejected

// Says why the run failed and returns kExitFailed. A full disk gets its remedy: what the run
// committed stays, and the same command resumes from there.
int Failed(std::string_view context, const absl::Status& status) {
  if (verkenner::base::IsDiskFull(status)) {
    std::cerr << "verkenner-index: " << status.message() << " (" << context
              << "); free space and run the same command again: it resumes where this run "
                 "stopped\n";
  } else {
    std::cerr << "verkenner-index: " << context << ": " << status.message() << "\n";
  }
  return kExitFailed;
}

void PrintProgress(const verkenner::indexer::ImportProgress& progress,
                   std::chrono::steady_clock::time_point start, bool terminal) {
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const double rate = seconds > 0 ? progress.rows_read / seconds : 0;
  const double fraction = progress.bytes_total > 0
                              ? static_cast<double>(progress.bytes_read) / progress.bytes_total
                              : 0;
  const double eta = fraction > 0 ? seconds / fraction - seconds : 0;
  if (terminal) {
    const int width = 30;
    const int filled = static_cast<int>(fraction * width);
    std::fprintf(stderr, "\r[%s%s] %5.1f%%  %lld rows  %.0f rows/s  ETA %.0fs ",
                 std::string(filled, '#').c_str(), std::string(width - filled, ' ').c_str(),
                 fraction * 100, static_cast<long long>(progress.rows_read), rate, eta);
  } else {
    std::fprintf(stderr, "progress: %lld rows, %.1f%%, %.0f rows/s\n",
                 static_cast<long long>(progress.rows_read), fraction * 100, rate);
  }
}

// `checked`: the report of a --check, which changed nothing.
void PrintSummary(const std::string& file, const verkenner::indexer::ImportReport& report,
                  double seconds, int show_rejected, bool checked) {
  auto count = [](int64_t value) { return static_cast<long long>(value); };
  std::printf("%s: %lld rows %s in %.1fs (%.0f rows/s)\n", file.c_str(),
              count(report.received_rows), checked ? "checked" : "imported", seconds,
              seconds > 0 ? report.received_rows / seconds : 0.0);
  if (report.resumed_after_row > 0) {
    std::printf("  resumed an interrupted import after row %lld\n",
                count(report.resumed_after_row));
  }
  std::printf(
      "  %s: created %lld, updated %lld, unchanged %lld, withdrawn %lld, expired %lld, "
      "rejected %lld\n",
      checked ? "an import would have" : "rows", count(report.created), count(report.updated),
      count(report.unchanged), count(report.deleted), count(report.expired),
      count(report.rejected_rows));
  if (report.withdrawn_absent > 0) {
    std::printf("  full sync %s %lld profiles absent from the file\n",
                checked ? "would withdraw" : "withdrew", count(report.withdrawn_absent));
  }
  if (report.free_text_left_out > 0) {
    std::printf(
        "  %lld diplomas, skills, work-experience entries or wishes left out: free text that "
        "could carry personal data (docs/import-format.md)\n",
        count(report.free_text_left_out));
  }
  namespace schema = verkenner::engine::schema;
  const char* kFields[] = {schema::kKnownEducation, schema::kKnownExperience,
                           schema::kKnownAvailability, schema::kKnownTravelDistance,
                           schema::kKnownAffinities};
  std::printf("  completeness (share of accepted profiles with the field known):\n");
  std::printf("    %-8s %9s", "source", "profiles");
  for (const char* field : kFields) std::printf(" %12s", field);
  std::printf("\n");
  for (const auto& [source, completeness] : report.completeness_by_source) {
    std::printf("    %-8s %9lld", source.c_str(), count(completeness.profiles));
    for (const char* field : kFields) {
      auto it = completeness.known.find(field);
      const int64_t known = it == completeness.known.end() ? 0 : it->second;
      std::printf(" %11.0f%%", 100.0 * known / std::max<int64_t>(1, completeness.profiles));
    }
    std::printf("\n");
  }
  for (int i = 0; i < show_rejected && i < static_cast<int>(report.rejections.size()); ++i) {
    const auto& rejected = report.rejections[i];
    std::printf("  rejected row %lld: %s: %s\n", count(rejected.row), rejected.field.c_str(),
                rejected.reason.c_str());
  }
}
// What a run was asked to do, from the command line.
struct Run {
  bool check = false;  // --check: a dry run
  std::string index;
  std::vector<std::string> files;
  verkenner::indexer::ImportJob::Options job;
  verkenner::indexer::Importer::Options import;
};

// The flags after parsing as a run; a usage error exits 2 through the command-line convention.
Run RunFromFlags(const verkenner::command_line::Program& program, std::vector<std::string> files) {
  auto usage = [&program](absl::string_view reason) {
    verkenner::command_line::ExitWithUsageError(program, reason);
  };
  Run run;
  run.index = absl::GetFlag(FLAGS_index);
  run.files = std::move(files);
  run.check = absl::GetFlag(FLAGS_check);
  if (run.check) {
    if (run.files.empty() || absl::GetFlag(FLAGS_sweep_only)) usage("--check takes files");
    if (absl::GetFlag(FLAGS_publish) || !absl::GetFlag(FLAGS_store).empty()) {
      usage("--check changes nothing, so it takes no --publish or --store");
    }
  } else if (run.index.empty() || (run.files.empty() != absl::GetFlag(FLAGS_sweep_only))) {
    usage("give --index DIR and either files or --sweep_only (or --check with files)");
  }
  const std::string format = absl::GetFlag(FLAGS_format);
  if (format == "csv") {
    run.import.format = verkenner::indexer::SourceFileFormat::kCsv;
  } else if (format == "jsonl") {
    run.import.format = verkenner::indexer::SourceFileFormat::kJsonLines;
  } else if (format != "auto") {
    usage("--format must be auto, csv or jsonl");
  }
  run.import.batch_size = absl::GetFlag(FLAGS_batch_size);
  if (run.import.batch_size <= 0) usage("--batch_size must be positive");
  run.import.full_sync_source = absl::GetFlag(FLAGS_full_sync);
  verkenner::indexer::NormalizeSource(run.import.full_sync_source);  // as the rows' sources
  if (!run.import.full_sync_source.empty() && run.files.size() != 1) {
    usage("--full_sync takes exactly one file");
  }
  run.job.shards_if_new = absl::GetFlag(FLAGS_shards);
  if (run.job.shards_if_new < 0 || run.job.shards_if_new > verkenner::engine::kMaxShards) {
    usage(absl::StrCat("--shards must be between 1 and ", verkenner::engine::kMaxShards));
  }
  const verkenner::indexer::ImportSettings settings =
      verkenner::indexer::ImportSettingsFromFlags(program);
  run.job.retention = settings.retention;
  run.job.disclosure_k = settings.disclosure_k;
  run.job.index_path = run.index;
  run.job.vault_path = absl::GetFlag(FLAGS_vault);
  run.job.today_day = std::chrono::floor<std::chrono::days>(std::chrono::system_clock::now())
                          .time_since_epoch()
                          .count();

  run.job.compact = absl::GetFlag(FLAGS_compact);
  return run;
}

// With --store, the index writer's lease, held for the whole run (or shared with the server that
// holds it on this directory). Declared in the order they must be destroyed last to first.
struct WriterLease {
  std::unique_ptr<verkenner::service::Store> store;
  std::unique_ptr<verkenner::service::IndexWriterLease> lease;
};

// Takes the lease in `store` for the run on `index`. Errors: the store's; FailedPrecondition
// naming the writer when another process writes another copy of the index.
absl::StatusOr<WriterLease> TakeWriterLease(const std::string& store, const std::string& index) {
  WriterLease taken;
  absl::StatusOr<std::unique_ptr<verkenner::service::Store>> opened =
      verkenner::service::Store::Open(store);
  if (!opened.ok()) return opened.status();
  taken.store = std::move(*opened);
  verkenner::service::IndexWriterLease::Options options;
  options.index_directory = index;
  taken.lease = std::make_unique<verkenner::service::IndexWriterLease>(taken.store.get(), options);
  absl::StatusOr<verkenner::service::IndexWriterClaim> writer = taken.lease->Start("");
  if (!writer.ok()) return writer.status();
  if (!taken.lease->MayWrite()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "the index writer is another process: ",
        writer->address.empty() ? "verkenner-index" : "the instance at " + writer->address,
        ", writing ", writer->location,
        (writer->address.empty() ? "; run this import when it is done"
                                 : "; import through it (the API or the web app), or run this "
                                   "on that machine with its --index")));
  }
  return taken;
}

// For the crash-safety test only: die by SIGKILL right after applying this row, as a power cut
// or the OOM killer would, leaving whatever the index and vault hold at that moment.
void CrashAfterRowFromEnvironment(verkenner::indexer::Importer::Options& options) {
  if (const char* crash = std::getenv("VERKENNER_CRASH_AFTER_ROW"); crash != nullptr) {
    const int64_t crash_row = std::atoll(crash);
    options.after_row_applied = [crash_row](int64_t row) {
      if (row == crash_row) std::raise(SIGKILL);
    };
  }
}

// How a run imports (or checks) one file.
using ImportOne = std::function<absl::StatusOr<verkenner::indexer::ImportReport>(
    const std::string& file, const verkenner::indexer::Importer::Options& options)>;

// Imports (or checks) each file with a progress line and a summary. Returns the exit code so far.
int ImportFiles(const ImportOne& import_one, Run& run) {
  const bool terminal = isatty(STDERR_FILENO);
  bool any_rejected = false;
  for (const std::string& file : run.files) {
    const auto start = std::chrono::steady_clock::now();
    run.import.on_progress = [&](const verkenner::indexer::ImportProgress& progress) {
      PrintProgress(progress, start, terminal);
    };
    auto report = import_one(file, run.import);
    if (terminal) std::fprintf(stderr, "\n");
    if (!report.ok()) return Failed(file, report.status());
    PrintSummary(file, *report,
                 std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(),
                 absl::GetFlag(FLAGS_show_rejected), run.check);
    if (const std::string report_path = absl::GetFlag(FLAGS_report); !report_path.empty()) {
      if (auto written = verkenner::indexer::WriteRejectedRowsReport(
              *report, file, run.import.full_sync_source, report_path);
          !written.ok()) {
        return Failed("rejected rows report", written);
      }
      std::printf("  rejected rows written to %s\n", report_path.c_str());
    }
    any_rejected = any_rejected || report->rejected_rows > 0;
  }
  return any_rejected ? kExitRowsRejected : kExitOk;
}

// Says why an input of the run (reference data, key) cannot be used; returns kExitFailed.
int FailedInput(const absl::Status& status) {
  std::cerr << "verkenner-index: " << status.message() << "\n";
  return kExitFailed;
}

// A directory of its own under $TMPDIR (or /tmp), removed with everything in it when this goes.
class TemporaryDirectory {
 public:
  static absl::StatusOr<TemporaryDirectory> Create() {
    const char* tmpdir = std::getenv("TMPDIR");
    std::string pattern = absl::StrCat(tmpdir != nullptr && *tmpdir != '\0' ? tmpdir : "/tmp",
                                       "/verkenner-check-XXXXXX");
    if (mkdtemp(pattern.data()) == nullptr) {
      return absl::ErrnoToStatus(errno, "cannot create a temporary directory");
    }
    return TemporaryDirectory(pattern);
  }
  TemporaryDirectory(TemporaryDirectory&& other) noexcept : path_(std::move(other.path_)) {
    other.path_.clear();
  }
  TemporaryDirectory& operator=(TemporaryDirectory&&) = delete;
  ~TemporaryDirectory() {
    std::error_code ignored;
    if (!path_.empty()) std::filesystem::remove_all(path_, ignored);
  }
  const std::string& path() const { return path_; }

 private:
  explicit TemporaryDirectory(std::string path) : path_(std::move(path)) {}
  std::string path_;
};

// --check: what importing the files would do, against the index of --index or, without it, an
// empty index under a temporary key. Nothing is written: every batch is rolled back, the vault
// is not opened, and no upkeep runs. Returns the exit code.
int CheckFiles(Run& run, std::shared_ptr<const verkenner::engine::ReferenceData> reference_data,
               const std::string& key_file) {
  using verkenner::indexer::Pseudonymizer;
  std::optional<TemporaryDirectory> scratch;
  std::string index = run.index;
  absl::StatusOr<std::unique_ptr<Pseudonymizer>> pseudonymizer;
  if (index.empty()) {
    absl::StatusOr<TemporaryDirectory> created = TemporaryDirectory::Create();
    if (!created.ok()) return Failed("check", created.status());
    scratch.emplace(std::move(*created));
    index = scratch->path() + "/index";
    std::string key(32, '\0');
    if (RAND_bytes(reinterpret_cast<unsigned char*>(key.data()), static_cast<int>(key.size())) !=
        1) {
      return Failed("check", absl::InternalError("no randomness for a throwaway key"));
    }
    pseudonymizer = Pseudonymizer::FromKey(std::move(key));
  } else {
    // An index that is not there would be created: refuse rather than write.
    if (!verkenner::engine::ReadIndexLayout(index).ok()) {
      return Failed("check", absl::NotFoundError(absl::StrCat(
                                 "no index at ", index,
                                 "; leave --index out to check against an empty index")));
    }
    pseudonymizer = Pseudonymizer::FromKeyFile(key_file);
  }
  if (!pseudonymizer.ok()) return FailedInput(pseudonymizer.status());
  verkenner::indexer::IndexWriter::Options writer_options;
  writer_options.shards_if_new = 1;
  auto writer = verkenner::indexer::IndexWriter::Open(index, reference_data, writer_options);
  if (!writer.ok()) return Failed("opening the index", writer.status());
  verkenner::indexer::Importer importer(reference_data, std::move(*pseudonymizer),
                                        run.job.retention, writer->get(), /*vault=*/nullptr);
  run.import.dry_run = true;
  run.import.today_day = run.job.today_day;
  std::printf("checking against %s; nothing is changed\n",
              run.index.empty() ? "an empty index" : run.index.c_str());
  return ImportFiles(
      [&importer](const std::string& file, const verkenner::indexer::Importer::Options& options) {
        return importer.ImportFile(file, options);
      },
      run);
}

// Prints what the job's upkeep did, as far as it got.
void PrintUpkeep(const verkenner::indexer::ImportJob::Upkeep& upkeep) {
  if (upkeep.expired_purged.has_value()) {
    std::printf("retention sweep purged %lld expired profiles\n",
                static_cast<long long>(*upkeep.expired_purged));
  }
  if (const auto& groups = upkeep.disclosure; groups.has_value()) {
    std::printf(
        "disclosure control: k=%d; smallest group as shown %lld; %lld profiles shown at "
        "arbeidsmarktregio level instead of municipality; %lld with their education as a band "
        "or withheld\n",
        groups->k, static_cast<long long>(groups->smallest_shown_group),
        static_cast<long long>(groups->profiles_shown_at_region_level),
        static_cast<long long>(groups->profiles_with_education_generalised));
    if (groups->smallest_shown_group > 0 && groups->smallest_shown_group < groups->k) {
      std::printf(
          "warning: a shown group holds fewer than k=%d profiles: an arbeidsmarktregio holds "
          "fewer than k profiles in all\n",
          groups->k);
    }
  }
  if (const auto& compacted = upkeep.compaction; compacted.has_value()) {
    std::printf("compacted the index from %.0f MB to %.0f MB\n", compacted->bytes_before / 1e6,
                compacted->bytes_after / 1e6);
  }
  if (const auto& published = upkeep.publication; published.has_value()) {
    std::printf("published sequence %lld for following instances (%s)\n",
                static_cast<long long>(published->sequence),
                published->change_sets.empty() ? "a new base" : "a change set");
  }
}

// What failed, as the command line names each step of the job (in ImportJob::Step's order).
std::string_view StepContext(verkenner::indexer::ImportJob::Step step) {
  constexpr std::string_view kContexts[] = {
      "opening the index",   "opening the identity vault", "import",
      "retention sweep",     "disclosure control",         "compaction",
      "publishing the index"};
  return kContexts[static_cast<size_t>(step)];
}

}  // namespace

int main(int argc, char** argv) {
  const verkenner::command_line::Program program{
      .name = "verkenner-index",
      .usage =
          "Imports Sonar-style client profiles into an anonymous search index.\n"
          "  verkenner-index --index DIR [--full_sync GMxxxx] [--report rejected.csv] FILE ...\n"
          "  verkenner-index --index DIR --sweep_only\n"
          "  verkenner-index --check [--index DIR] [--full_sync GMxxxx] [--report rejected.csv] "
          "FILE ...\n"
          "Exit codes: 0 all rows imported (or would be), 3 some rows rejected, 1 failed (also a "
          "full disk: "
          "free\nspace and run the same command again, it resumes), 2 usage error.",
      .max_arguments = verkenner::command_line::kAnyNumber,
      .argument_name = "file"};
  verkenner::indexer::InstallXapianTerminateHandler("verkenner-index");
  Run run = RunFromFlags(program, verkenner::command_line::ParseCommandLine(program, argc, argv));

  std::string refdata_dir = absl::GetFlag(FLAGS_refdata);
  if (refdata_dir.empty()) refdata_dir = verkenner::engine::ReferenceData::DefaultDirectory();
  auto reference_data = verkenner::engine::ReferenceData::Load(refdata_dir);
  if (!reference_data.ok()) return FailedInput(reference_data.status());
  std::string key_file = absl::GetFlag(FLAGS_key_file);
  if (key_file.empty()) key_file = verkenner::indexer::Pseudonymizer::DefaultKeyFile();
  if (run.check) return CheckFiles(run, *reference_data, key_file);
  auto pseudonymizer = verkenner::indexer::Pseudonymizer::FromKeyFile(key_file);
  if (!pseudonymizer.ok()) return FailedInput(pseudonymizer.status());

  WriterLease writer_lease;
  if (const std::string store = absl::GetFlag(FLAGS_store); !store.empty()) {
    absl::StatusOr<WriterLease> taken = TakeWriterLease(store, run.index);
    if (!taken.ok()) return Failed("the index writer's lease (--store)", taken.status());
    writer_lease = std::move(*taken);
    // Every commit checks the lease is still this run's (or its co-writer's): a run cut off
    // from the store stops before another writer can start.
    run.job.commit_guard = [lease = writer_lease.lease.get()] { return lease->CheckMayWrite(); };
  }
  if (absl::GetFlag(FLAGS_publish)) {
    verkenner::indexer::PublishOptions publish;
    // Beside the server that holds the lease, this run publishes in that server's epoch.
    if (writer_lease.lease != nullptr && writer_lease.lease->writer().has_value()) {
      publish.epoch = writer_lease.lease->writer()->epoch;
    }
    run.job.publish = publish;
  }
  verkenner::indexer::ImportJob job(*reference_data, std::move(*pseudonymizer), run.job);
  if (absl::Status opened = job.Open(); !opened.ok()) {
    return Failed(StepContext(job.step()), opened);
  }
  CrashAfterRowFromEnvironment(run.import);
  const int imported = ImportFiles(
      [&job](const std::string& file, const verkenner::indexer::Importer::Options& options) {
        return job.ImportFile(file, options);
      },
      run);
  if (imported == kExitFailed) return imported;
  verkenner::indexer::ImportJob::Upkeep upkeep;
  absl::Status finished = job.Finish(upkeep);
  PrintUpkeep(upkeep);
  if (!finished.ok()) return Failed(StepContext(job.step()), finished);
  std::printf("index %s now holds %lld profiles; identity vault %s\n", run.index.c_str(),
              static_cast<long long>(job.writer().DocumentCount()), job.vault_path().c_str());
  return imported;
}
