#include "base/command_line/command_line.h"

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <optional>
#include <utility>

#include "absl/flags/commandlineflag.h"
#include "absl/flags/reflection.h"
#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"

namespace verkenner::command_line {
namespace {

constexpr size_t kHelpWidth = 100;
constexpr absl::string_view kHelpIndent = "      ";

// Abseil defines flags of its own in some of its libraries (--flagfile, --helpfull, ...); they are
// no part of a Verkenner program's command line, which this parser alone reads.
bool IsProgramFlag(const absl::CommandLineFlag& flag) {
  return !flag.IsRetired() && !absl::StrContains(flag.Filename(), "absl/flags/");
}

absl::CommandLineFlag* FindProgramFlag(absl::string_view name) {
  absl::CommandLineFlag* flag = absl::FindCommandLineFlag(name);
  return flag != nullptr && IsProgramFlag(*flag) ? flag : nullptr;
}

// What a value of the flag's type looks like, for the message about one that is not.
absl::string_view ExpectedValue(const absl::CommandLineFlag& flag) {
  if (flag.IsOfType<bool>()) return "true or false";
  if (flag.IsOfType<int>() || flag.IsOfType<int64_t>() || flag.IsOfType<std::optional<int>>() ||
      flag.IsOfType<std::optional<int64_t>>()) {
    return "a whole number";
  }
  if (flag.IsOfType<uint32_t>() || flag.IsOfType<uint64_t>()) return "a whole number from 0";
  if (flag.IsOfType<double>()) return "a number";
  if (flag.IsOfType<absl::Duration>()) return "a duration such as 500ms, 90s, 5m or 1h";
  return "a valid value";
}

// One argument that starts with a dash: the flag it names and the value written after '=', if any.
struct FlagArgument {
  absl::string_view written;  // "--invalid-share", for messages
  std::string name;           // "invalid_share", as registered
  std::optional<absl::string_view> value;
};

FlagArgument SplitFlagArgument(absl::string_view argument) {
  FlagArgument flag;
  const size_t equals = argument.find('=');
  flag.written = argument.substr(0, equals);
  if (equals != absl::string_view::npos) flag.value = argument.substr(equals + 1);
  absl::string_view name = flag.written;
  name.remove_prefix(absl::StartsWith(name, "--") ? 2 : 1);
  flag.name = absl::StrReplaceAll(name, {{"-", "_"}});
  return flag;
}

// Sets the flag `argument` names, taking its value from argv[*next] when it needs one and was
// written without '='.
absl::Status SetFlag(const FlagArgument& argument, int argc, char** argv, int* next) {
  absl::CommandLineFlag* flag = FindProgramFlag(argument.name);
  bool negated = false;
  if (flag == nullptr && absl::StartsWith(argument.name, "no")) {
    flag = FindProgramFlag(absl::string_view(argument.name).substr(2));
    negated = flag != nullptr && flag->IsOfType<bool>();
    if (!negated) flag = nullptr;
  }
  if (flag == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat("unknown option ", argument.written));
  }
  absl::string_view text;
  if (negated) {
    if (argument.value.has_value()) {
      return absl::InvalidArgumentError(absl::StrCat(argument.written, " takes no value"));
    }
    text = "false";
  } else if (argument.value.has_value()) {
    text = *argument.value;
  } else if (flag->IsOfType<bool>()) {
    text = "true";
  } else if (*next < argc) {
    text = argv[(*next)++];
  } else {
    return absl::InvalidArgumentError(absl::StrCat(argument.written, " needs a value"));
  }
  if (std::string error; !flag->ParseFrom(text, &error)) {
    return absl::InvalidArgumentError(
        absl::StrCat(argument.written, ": '", text, "' is not ", ExpectedValue(*flag)));
  }
  return absl::OkStatus();
}

// Sets every program flag whose variable (EnvironmentName) the environment holds; the command
// line, parsed after, wins.
absl::Status SetFlagsFromEnvironment() {
  for (const auto& [name, flag] : absl::GetAllFlags()) {
    if (!IsProgramFlag(*flag)) continue;
    const std::string variable = EnvironmentName(*flag);
    const char* value = std::getenv(variable.c_str());
    if (value == nullptr) continue;
    if (std::string error; !flag->ParseFrom(value, &error)) {
      return absl::InvalidArgumentError(
          absl::StrCat(variable, " (environment): '", value, "' is not ", ExpectedValue(*flag)));
    }
  }
  return absl::OkStatus();
}

// How the program spells the flag's name, with its dashes: "--invalid-share".
std::string DisplayName(const Program& program, const absl::CommandLineFlag& flag) {
  std::string name = absl::StrCat("--", flag.Name());
  if (program.spelling == FlagSpelling::kDashes) absl::StrReplaceAll({{"_", "-"}}, &name);
  return name;
}

// `text` broken into lines of at most kHelpWidth columns, each starting with kHelpIndent.
void AppendWrapped(absl::string_view text, std::string* out) {
  size_t column = 0;
  for (absl::string_view word : absl::StrSplit(text, ' ', absl::SkipEmpty())) {
    if (column > 0 && column + 1 + word.size() > kHelpWidth) {
      out->push_back('\n');
      column = 0;
    }
    if (column == 0) {
      absl::StrAppend(out, kHelpIndent, word);
      column = kHelpIndent.size() + word.size();
    } else {
      absl::StrAppend(out, " ", word);
      column += 1 + word.size();
    }
  }
  out->push_back('\n');
}

}  // namespace

std::string EnvironmentName(const absl::CommandLineFlag& flag) {
  return absl::StrCat("VERKENNER_", absl::AsciiStrToUpper(flag.Name()));
}

absl::StatusOr<ParsedArguments> ParseArguments(int argc, char** argv) {
  if (absl::Status status = SetFlagsFromEnvironment(); !status.ok()) return status;
  ParsedArguments parsed;
  int next = 1;
  while (next < argc) {
    const absl::string_view argument = argv[next++];
    if (argument == "--") {
      parsed.positional.insert(parsed.positional.end(), argv + next, argv + argc);
      break;
    }
    // "-" alone names standard input or output, as a value or an argument.
    if (argument.size() < 2 || argument[0] != '-') {
      parsed.positional.emplace_back(argument);
      continue;
    }
    FlagArgument flag = SplitFlagArgument(argument);
    if (flag.name == "help" || flag.name == "h") {
      parsed.help = true;
      return parsed;
    }
    if (absl::Status status = SetFlag(flag, argc, argv, &next); !status.ok()) return status;
  }
  return parsed;
}

std::string UsageText(const Program& program) {
  std::vector<const absl::CommandLineFlag*> flags;
  for (const auto& [name, flag] : absl::GetAllFlags()) {
    if (IsProgramFlag(*flag)) flags.push_back(flag);
  }
  std::sort(flags.begin(), flags.end(),
            [](const auto* a, const auto* b) { return a->Name() < b->Name(); });
  std::string text = program.usage;
  if (!text.empty() && text.back() != '\n') text.push_back('\n');
  if (flags.empty()) return text;
  absl::StrAppend(&text,
                  "\nFlags, written --name=value or --name value, or set in the environment as\n"
                  "VERKENNER_NAME (--tls_cert: VERKENNER_TLS_CERT; the command line wins):\n");
  for (const absl::CommandLineFlag* flag : flags) {
    absl::StrAppend(&text, "  ", DisplayName(program, *flag));
    if (const std::string value = flag->DefaultValue(); !value.empty()) {
      absl::StrAppend(&text, " (default: ", value, ")");
    }
    text.push_back('\n');
    AppendWrapped(flag->Help(), &text);
  }
  return text;
}

std::vector<std::string> ParseCommandLine(const Program& program, int argc, char** argv) {
  absl::StatusOr<ParsedArguments> parsed = ParseArguments(argc, argv);
  if (!parsed.ok()) ExitWithUsageError(program, parsed.status().message());
  if (parsed->help) {
    std::cout << UsageText(program) << std::flush;
    std::exit(kExitOk);
  }
  std::vector<std::string>& arguments = parsed->positional;
  if (arguments.size() > program.max_arguments) {
    ExitWithUsageError(
        program, absl::StrCat("unexpected argument '", arguments[program.max_arguments], "'"));
  }
  if (arguments.size() < program.min_arguments) {
    ExitWithUsageError(program, absl::StrCat("missing ", program.argument_name));
  }
  return std::move(arguments);
}

void ExitWithUsageError(const Program& program, absl::string_view message) {
  std::cerr << program.name << ": " << message << "\nTry '" << program.name << " --help'.\n";
  std::exit(kExitUsage);
}

int ReportFailure(const Program& program, const absl::Status& status) {
  std::cerr << program.name << ": " << status.message() << "\n";
  return kExitFailure;
}

void ExitWithFlagError(const Program& program, const absl::CommandLineFlag& flag,
                       absl::string_view problem) {
  ExitWithUsageError(program, absl::StrCat(DisplayName(program, flag), ": ", problem));
}

void ExitWithMissingFlag(const Program& program, const absl::CommandLineFlag& flag) {
  ExitWithUsageError(program, absl::StrCat(DisplayName(program, flag), " is required"));
}

void ExitWithRequirement(const Program& program, const absl::CommandLineFlag& flag,
                         absl::string_view requirement) {
  ExitWithUsageError(program, absl::StrCat(DisplayName(program, flag), " must be ", requirement));
}

}  // namespace verkenner::command_line
