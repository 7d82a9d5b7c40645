// verkenner-generate: writes synthetic import files (CSV or JSON Lines) for tests, demos and
// benchmarks. All logic lives in SyntheticProfileGenerator, synthetic_export and source_format;
// this file reads the command line and wires them together.

#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/time/civil_time.h"
#include "base/command_line/command_line.h"
#include "engine/refdata/reference_data.h"
#include "indexer/synthetic/synthetic_export.h"
#include "indexer/synthetic/synthetic_profile_generator.h"

ABSL_FLAG(std::optional<int64_t>, count, std::nullopt,
          "number of profiles, from 0 to 90000000 (required)");
ABSL_FLAG(std::string, output, "", "file to write; '-' writes to standard output (required)");
ABSL_FLAG(std::string, format, "csv",
          "file format: csv (';'-separated with a header row) or jsonl");
ABSL_FLAG(uint64_t, seed, 1, "random seed, a whole number from 0");
ABSL_FLAG(std::string, separator, ";", "CSV field separator: ';' or ','");
ABSL_FLAG(std::string, sources, "",
          "comma-separated municipality codes and/or UWV (default: every municipality in "
          "proportion to its PC4 areas, and 15% UWV)");
ABSL_FLAG(double, invalid_share, 0,
          "share of rows spoiled on purpose for import tests, from 0 to 1: a bad BSN, a malformed "
          "postcode, hours_min above hours_max or a bad date");
ABSL_FLAG(double, delete_share, 0,
          "share of rows that delete a profile generated earlier, from 0 to 1");
ABSL_FLAG(
    std::string, reference_date,
    absl::FormatCivilTime(verkenner::indexer::SyntheticProfileGenerator::Options().reference_date),
    "\"today\" for the generated dates, YYYY-MM-DD");
ABSL_FLAG(std::string, refdata, "",
          "reference data directory (default: $VERKENNER_REFDATA, else ../shared/refdata)");

namespace verkenner::indexer {
namespace {

// Client numbers stay unique up to here (SyntheticProfileGenerator).
constexpr int64_t kMaxCount = 90'000'000;

command_line::Program ThisProgram() {
  return {.name = "verkenner-generate",
          .usage = R"(Usage: verkenner-generate --count=N --output=FILE [flags]

Writes N synthetic, fictitious client profiles in the import format of docs/import-format.md:
realistic PC4 areas, municipalities, ESCO occupations and education levels from the reference
data; fake names, BSNs that pass the elfproef, addresses, phone numbers and e-mail addresses.
The same flags and seed always give the same bytes.

Exit status: 0 on success, 1 when the reference data cannot be read or the output cannot be
written, 2 for a usage error.)",
          .spelling = command_line::FlagSpelling::kDashes};
}

// What to write, from the flags.
struct GenerateSettings {
  std::string output;
  std::string refdata;
  SyntheticExportOptions export_options;
  SyntheticProfileGenerator::Options generator_options;
};

// Checks the flags' values against their limits; a value outside them is a usage error (exit 2).
GenerateSettings SettingsFromFlags(const command_line::Program& program) {
  GenerateSettings settings;
  command_line::RequireGiven(program, FLAGS_count);
  const std::optional<int64_t> count = absl::GetFlag(FLAGS_count);
  if (*count < 0 || *count > kMaxCount) {
    command_line::ExitWithUsageError(
        program, absl::StrCat("--count must be a whole number from 0 to ", kMaxCount));
  }
  settings.export_options.count = *count;
  command_line::RequireGiven(program, FLAGS_output);
  settings.output = absl::GetFlag(FLAGS_output);
  const std::string format = absl::GetFlag(FLAGS_format);
  if (format != "csv" && format != "jsonl") {
    command_line::ExitWithUsageError(program, "--format must be csv or jsonl");
  }
  settings.export_options.format =
      format == "csv" ? SourceFileFormat::kCsv : SourceFileFormat::kJsonLines;
  const std::string separator = absl::GetFlag(FLAGS_separator);
  if (separator != ";" && separator != ",") {
    command_line::ExitWithUsageError(program, "--separator must be ';' or ','");
  }
  settings.export_options.separator = separator[0];

  SyntheticProfileGenerator::Options& options = settings.generator_options;
  options.seed = absl::GetFlag(FLAGS_seed);
  if (const std::string sources = absl::GetFlag(FLAGS_sources); !sources.empty()) {
    options.sources = absl::StrSplit(sources, ',', absl::SkipWhitespace());
    if (options.sources.empty()) {
      command_line::ExitWithUsageError(program, "--sources needs at least one code");
    }
  }
  command_line::RequireInRange(program, FLAGS_invalid_share, 0.0, 1.0);
  options.invalid_share = absl::GetFlag(FLAGS_invalid_share);
  command_line::RequireInRange(program, FLAGS_delete_share, 0.0, 1.0);
  options.delete_share = absl::GetFlag(FLAGS_delete_share);
  if (!absl::ParseCivilTime(absl::GetFlag(FLAGS_reference_date), &options.reference_date)) {
    command_line::ExitWithUsageError(program, "--reference-date must be a date as YYYY-MM-DD");
  }
  settings.refdata = absl::GetFlag(FLAGS_refdata);
  if (settings.refdata.empty()) settings.refdata = engine::ReferenceData::DefaultDirectory();
  return settings;
}

// An unknown --sources code is the user's mistake (exit 2); the generator would call it
// InvalidArgument like a broken reference file (exit 1), so it is checked here first.
void CheckSources(const command_line::Program& program, const engine::ReferenceData& reference,
                  const std::vector<std::string>& sources) {
  for (const std::string& source : sources) {
    if (absl::AsciiStrToUpper(source) != "UWV" && reference.FindMunicipality(source) == nullptr) {
      command_line::ExitWithUsageError(
          program, absl::StrCat("unknown source '", source,
                                "' in --sources: expected a municipality code such as GM0344, "
                                "or UWV"));
    }
  }
}

// A progress line on a terminal, rewritten in place about 200 times.
void ShowProgress(SyntheticExportOptions& options) {
  if (isatty(STDERR_FILENO) == 0) return;
  options.progress_step = std::max<int64_t>(1, options.count / 200);
  options.on_progress = [count = options.count](int64_t written) {
    std::cerr << absl::StrFormat("\rverkenner-generate: %d of %d profiles (%.0f%%)", written, count,
                                 100.0 * written / count)
              << std::flush;
  };
}

// Reads the flags, then generates and writes.
int Run(int argc, char** argv) {
  const command_line::Program program = ThisProgram();
  command_line::ParseCommandLine(program, argc, argv);
  GenerateSettings settings = SettingsFromFlags(program);

  auto reference = engine::ReferenceData::Load(settings.refdata);
  if (!reference.ok()) return command_line::ReportFailure(program, reference.status());
  CheckSources(program, **reference, settings.generator_options.sources);
  auto generator = SyntheticProfileGenerator::Create(*std::move(reference), settings.refdata,
                                                     settings.generator_options);
  if (!generator.ok()) return command_line::ReportFailure(program, generator.status());

  const auto start = std::chrono::steady_clock::now();
  ShowProgress(settings.export_options);
  ExportFile output;
  absl::Status status = output.Open(settings.output);
  if (status.ok()) status = WriteSyntheticExport(**generator, settings.export_options, output);
  if (status.ok()) status = output.Close();
  if (!status.ok()) return command_line::ReportFailure(program, status);

  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (settings.export_options.on_progress) std::cerr << "\r\033[K";
  std::cerr << absl::StrFormat("verkenner-generate: wrote %d profiles (%s) to %s in %.1f s\n",
                               settings.export_options.count, absl::GetFlag(FLAGS_format),
                               output.DisplayName(), seconds);
  return command_line::kExitOk;
}

}  // namespace
}  // namespace verkenner::indexer

int main(int argc, char** argv) { return verkenner::indexer::Run(argc, argv); }
