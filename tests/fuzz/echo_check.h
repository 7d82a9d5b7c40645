#ifndef VERKENNER_TESTS_FUZZ_ECHO_CHECK_H_
#define VERKENNER_TESTS_FUZZ_ECHO_CHECK_H_

#include <google/protobuf/descriptor.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "absl/strings/string_view.h"

namespace verkenner::fuzz {

// What every fuzz target checks about error messages: no message holds a run of kEchoWindow or
// more bytes copied from the input, unless every byte of it is text the code under test owns (a
// field, message or enum name of its protos, or a string literal of its sources, at least
// kMinOwnedLength bytes long, so that glue such as ": " between a field name and a reason does
// not count, but single letters cannot piece a value together) or one of the values the caller
// allows for this message.
//
// The byte loops avoid memcmp(), which libFuzzer intercepts: it would add message text to its
// dictionary and put it into inputs, turning message text into "echoes" (the targets are compiled
// without trace-cmp for the same reason, see CMakeLists.txt).
//
// Immutable after construction; build one per target, in LLVMFuzzerInitialize.
class EchoCheck {
 public:
  // A shorter run would flag coincidences such as "2026-0" in a date and a line number; six
  // bytes are enough to hold a postcode, most of a BSN, a phone number or a name.
  static constexpr size_t kEchoWindow = 6;
  // Owned text shorter than this does not explain message bytes.
  static constexpr size_t kMinOwnedLength = 3;

  // `owned`: texts the code under test owns; `sources`: files relative to the checkout
  // (VERKENNER_SOURCE_DIR) whose string literals count as owned. Exits when a file is missing.
  EchoCheck(std::string target, const std::vector<std::string>& owned,
            const std::vector<std::string>& sources);

  // Traps (through Fail) when `message` repeats input bytes that nothing owned explains.
  void Check(std::string_view message, std::string_view input,
             const std::vector<std::string>& may_echo, std::string_view where) const;

 private:
  // Which bytes of `message` are owned text or one of `may_echo`.
  std::vector<bool> ExplainedBytes(std::string_view message,
                                   const std::vector<std::string>& may_echo) const;

  std::string target_;
  // Windows of owned text; a message window in here is not an echo.
  std::unordered_set<uint64_t> owned_windows_;
  // The same text (kMinOwnedLength bytes or more), by its first kMinOwnedLength bytes.
  std::unordered_multimap<std::string, std::string> owned_by_prefix_;
};

// Prints "<target>: invariant broken: <what>" and `detail`, then traps (libFuzzer keeps the input).
[[noreturn]] void Fail(std::string_view target, std::string_view what, std::string_view detail);

// The string literals of a C++ source file, unescaped as far as messages need it.
std::vector<std::string> StringLiterals(const std::string& source);

// The names a message may use: fields (proto and JSON spelling), messages, enums and enum values
// (also in lower case), for `type` and every type it contains.
void AddProtoNames(const google::protobuf::Descriptor* type, std::vector<std::string>* names);

// Every field path of `type` ("vacancy.workplace.postcode"), through nested messages (a message
// type inside itself is not followed again).
std::vector<std::string> FieldPaths(const google::protobuf::Descriptor* type);

// Whether `message` starts with "<path>: " for one of `paths`: the API's InvalidField form.
bool NamesAField(std::string_view message, const std::vector<std::string>& paths);

// Byte comparisons without memcmp() (see EchoCheck).
bool BytesEqual(std::string_view a, std::string_view b);
bool Contains(std::string_view input, std::string_view window);

// Debian's Abseil has its own string_view rather than an alias of std::string_view.
inline std::string_view View(absl::string_view text) { return {text.data(), text.size()}; }

}  // namespace verkenner::fuzz

#endif  // VERKENNER_TESTS_FUZZ_ECHO_CHECK_H_
