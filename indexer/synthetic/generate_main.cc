// verkenner-generate: writes synthetic import files (CSV or JSON Lines) for tests, demos and
// benchmarks. All logic lives in SyntheticProfileGenerator and source_format; this file parses the
// command line and moves bytes.

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/time/civil_time.h"
#include "engine/refdata/reference_data.h"
#include "indexer/source_format.h"
#include "indexer/synthetic/synthetic_profile_generator.h"

namespace verkenner::indexer {
namespace {

constexpr int kExitOk = 0;
constexpr int kExitFailure = 1;
constexpr int kExitUsage = 2;
constexpr size_t kFlushBytes = 1 << 20;
constexpr int64_t kMaxCount = 90'000'000;  // client numbers stay unique up to here

constexpr char kUsage[] = R"(Usage: verkenner-generate --count N --output FILE [options]

Writes N synthetic, fictitious client profiles in the import format of docs/import-format.md:
realistic PC4 areas, municipalities, ESCO occupations and education levels from the reference
data; fake names, BSNs that pass the elfproef, addresses, phone numbers and e-mail addresses.
The same options and seed always give the same bytes.

Options:
  --count N            number of profiles (0 to 90000000)
  --output FILE        file to write; '-' writes to standard output
  --format csv|jsonl   file format (default csv: ';'-separated with a header row)
  --seed S             random seed, a non-negative integer (default 1)
  --separator C        CSV field separator: ';' (default) or ','
  --sources LIST       comma-separated municipality codes and/or UWV (default: every
                       municipality in proportion to its PC4 areas, and 15% UWV)
  --invalid-share X    share of rows spoiled on purpose for import tests: a bad BSN, a malformed
                       postcode, hours_min above hours_max or a bad date (default 0)
  --delete-share X     share of rows that delete a profile generated earlier (default 0)
  --reference-date D   "today" for the generated dates, YYYY-MM-DD (default 2026-11-01)
  --refdata DIR        reference data directory (default $VERKENNER_REFDATA, else
                       ../shared/refdata)
  --help               show this text

Exit status: 0 on success, 1 when the reference data cannot be read or the output cannot be
written, 2 for a usage error.
)";

struct CommandLine {
  int64_t count = -1;
  std::string output;
  std::string format = "csv";
  char separator = ';';
  std::string refdata;
  SyntheticProfileGenerator::Options options;
  bool help = false;
};

// Parses argv into `command_line`; returns a message for the user on a usage error.
absl::Status ParseCommandLine(int argc, char** argv, CommandLine* command_line) {
  std::vector<std::string_view> args(argv + 1, argv + argc);
  for (size_t i = 0; i < args.size(); ++i) {
    std::string_view arg = args[i];
    if (arg == "--help" || arg == "-h") {
      command_line->help = true;
      return absl::OkStatus();
    }
    if (arg.substr(0, 2) != "--") {
      return absl::InvalidArgumentError(
          absl::StrCat("unexpected argument '", std::string(arg), "'"));
    }
    std::string name(arg);
    std::string value;
    if (size_t equals = name.find('='); equals != std::string::npos) {
      value = name.substr(equals + 1);
      name.resize(equals);
    } else {
      if (i + 1 >= args.size()) {
        return absl::InvalidArgumentError(absl::StrCat(name, " needs a value"));
      }
      value = std::string(args[++i]);
    }
    auto share = [&](double* out) -> absl::Status {
      if (!absl::SimpleAtod(value, out) || !(*out >= 0 && *out <= 1)) {
        return absl::InvalidArgumentError(absl::StrCat(name, " must be a number from 0 to 1"));
      }
      return absl::OkStatus();
    };
    if (name == "--count") {
      if (!absl::SimpleAtoi(value, &command_line->count) || command_line->count < 0 ||
          command_line->count > kMaxCount) {
        return absl::InvalidArgumentError(
            absl::StrCat("--count must be a whole number from 0 to ", kMaxCount));
      }
    } else if (name == "--output") {
      if (value.empty()) return absl::InvalidArgumentError("--output needs a file name or '-'");
      command_line->output = value;
    } else if (name == "--format") {
      if (value != "csv" && value != "jsonl") {
        return absl::InvalidArgumentError("--format must be csv or jsonl");
      }
      command_line->format = value;
    } else if (name == "--seed") {
      if (!absl::SimpleAtoi(value, &command_line->options.seed)) {
        return absl::InvalidArgumentError("--seed must be a non-negative whole number");
      }
    } else if (name == "--separator") {
      if (value != ";" && value != ",") {
        return absl::InvalidArgumentError("--separator must be ';' or ','");
      }
      command_line->separator = value[0];
    } else if (name == "--sources") {
      command_line->options.sources = absl::StrSplit(value, ',', absl::SkipWhitespace());
      if (command_line->options.sources.empty()) {
        return absl::InvalidArgumentError("--sources needs at least one code");
      }
    } else if (name == "--invalid-share") {
      if (auto s = share(&command_line->options.invalid_share); !s.ok()) return s;
    } else if (name == "--delete-share") {
      if (auto s = share(&command_line->options.delete_share); !s.ok()) return s;
    } else if (name == "--reference-date") {
      if (!absl::ParseCivilTime(value, &command_line->options.reference_date)) {
        return absl::InvalidArgumentError("--reference-date must be a date as YYYY-MM-DD");
      }
    } else if (name == "--refdata") {
      command_line->refdata = value;
    } else {
      return absl::InvalidArgumentError(absl::StrCat("unknown option ", name));
    }
  }
  if (command_line->count < 0) return absl::InvalidArgumentError("--count is required");
  if (command_line->output.empty()) return absl::InvalidArgumentError("--output is required");
  return absl::OkStatus();
}

// Where the bytes go: standard output, or a temporary file beside the target that is renamed over
// it only after everything was written, so a failed run never leaves a truncated file that looks
// complete.
class OutputFile {
 public:
  ~OutputFile() {
    if (file_ != nullptr && file_ != stdout) {
      std::fclose(file_);
      std::remove(temporary_path_.c_str());
    }
  }

  absl::Status Open(const std::string& path) {
    path_ = path;
    if (path == "-") {
      file_ = stdout;
      return absl::OkStatus();
    }
    temporary_path_ = absl::StrCat(path, ".tmp-", getpid());
    file_ = std::fopen(temporary_path_.c_str(), "wb");
    if (file_ == nullptr) {
      return absl::UnavailableError(
          absl::StrCat("cannot create ", temporary_path_, ": ", std::strerror(errno)));
    }
    return absl::OkStatus();
  }

  absl::Status Write(std::string_view bytes) {
    if (std::fwrite(bytes.data(), 1, bytes.size(), file_) != bytes.size()) {
      return absl::UnavailableError(
          absl::StrCat("cannot write ", DisplayName(), ": ", std::strerror(errno)));
    }
    return absl::OkStatus();
  }

  absl::Status Close() {
    if (file_ == stdout) {
      if (std::fflush(stdout) != 0) {
        return absl::UnavailableError(
            absl::StrCat("cannot write standard output: ", std::strerror(errno)));
      }
      return absl::OkStatus();
    }
    std::FILE* file = file_;
    file_ = nullptr;
    if (std::fclose(file) != 0) {
      std::remove(temporary_path_.c_str());
      return absl::UnavailableError(
          absl::StrCat("cannot write ", path_, ": ", std::strerror(errno)));
    }
    if (std::rename(temporary_path_.c_str(), path_.c_str()) != 0) {
      std::remove(temporary_path_.c_str());
      return absl::UnavailableError(
          absl::StrCat("cannot rename the output to ", path_, ": ", std::strerror(errno)));
    }
    return absl::OkStatus();
  }

  std::string DisplayName() const { return path_ == "-" ? "standard output" : path_; }

 private:
  std::string path_;
  std::string temporary_path_;
  std::FILE* file_ = nullptr;
};

int Run(int argc, char** argv) {
  CommandLine command_line;
  if (absl::Status status = ParseCommandLine(argc, argv, &command_line); !status.ok()) {
    std::cerr << "verkenner-generate: " << status.message()
              << "\nTry 'verkenner-generate --help'.\n";
    return kExitUsage;
  }
  if (command_line.help) {
    std::cout << kUsage;
    return kExitOk;
  }
  auto fail = [](const absl::Status& status) {
    std::cerr << "verkenner-generate: " << status.message() << "\n";
    return kExitFailure;
  };

  std::string refdata = command_line.refdata.empty() ? engine::ReferenceData::DefaultDirectory()
                                                     : command_line.refdata;
  auto reference = engine::ReferenceData::Load(refdata);
  if (!reference.ok()) return fail(reference.status());
  // An unknown --sources code is the user's mistake (exit 2); the generator would call it
  // InvalidArgument like a broken reference file (exit 1), so check it here first.
  for (const std::string& source : command_line.options.sources) {
    if (absl::AsciiStrToUpper(source) != "UWV" &&
        (*reference)->FindMunicipality(source) == nullptr) {
      std::cerr << "verkenner-generate: unknown source '" << source
                << "' in --sources: expected a municipality code such as GM0344, or UWV\n";
      return kExitUsage;
    }
  }
  auto generator =
      SyntheticProfileGenerator::Create(*std::move(reference), refdata, command_line.options);
  if (!generator.ok()) return fail(generator.status());

  OutputFile output;
  if (absl::Status status = output.Open(command_line.output); !status.ok()) return fail(status);

  const bool csv = command_line.format == "csv";
  const bool show_progress = isatty(STDERR_FILENO) != 0;
  const auto start = std::chrono::steady_clock::now();
  std::string buffer;
  buffer.reserve(kFlushBytes + (64 << 10));
  if (csv) {
    buffer = FormatCsvHeader(command_line.separator);
    buffer.push_back('\n');
  }
  v1::SourceProfile profile;
  const int64_t progress_step = std::max<int64_t>(1, command_line.count / 200);
  for (int64_t row = 0; row < command_line.count; ++row) {
    (*generator)->Next(&profile);
    if (csv) {
      AppendCsvRow(profile, command_line.separator, &buffer);
    } else {
      auto line = FormatJsonLine(profile);
      if (!line.ok()) return fail(line.status());
      buffer.append(*line);
    }
    buffer.push_back('\n');
    if (buffer.size() >= kFlushBytes) {
      if (absl::Status status = output.Write(buffer); !status.ok()) return fail(status);
      buffer.clear();
    }
    if (show_progress && (row + 1) % progress_step == 0) {
      std::cerr << absl::StrFormat("\rverkenner-generate: %d of %d profiles (%.0f%%)", row + 1,
                                   command_line.count, 100.0 * (row + 1) / command_line.count)
                << std::flush;
    }
  }
  if (absl::Status status = output.Write(buffer); !status.ok()) return fail(status);
  if (absl::Status status = output.Close(); !status.ok()) return fail(status);

  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (show_progress) std::cerr << "\r\033[K";
  std::cerr << absl::StrFormat("verkenner-generate: wrote %d profiles (%s) to %s in %.1f s\n",
                               command_line.count, command_line.format, output.DisplayName(),
                               seconds);
  return kExitOk;
}

}  // namespace
}  // namespace verkenner::indexer

int main(int argc, char** argv) { return verkenner::indexer::Run(argc, argv); }
