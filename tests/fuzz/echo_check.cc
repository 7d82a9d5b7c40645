#include "tests/fuzz/echo_check.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <utility>

namespace verkenner::fuzz {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::EnumDescriptor;
using google::protobuf::FieldDescriptor;

uint64_t WindowKey(std::string_view text, size_t at) {
  uint64_t key = 0;
  for (size_t i = 0; i < EchoCheck::kEchoWindow; ++i) {
    key = (key << 8) | static_cast<unsigned char>(text[at + i]);
  }
  return key;
}

}  // namespace

void Fail(std::string_view target, std::string_view what, std::string_view detail) {
  std::fprintf(stderr, "%.*s: invariant broken: %.*s\n  %.*s\n", static_cast<int>(target.size()),
               target.data(), static_cast<int>(what.size()), what.data(),
               static_cast<int>(detail.size()), detail.data());
  std::fflush(stderr);
  __builtin_trap();
}

// The string literals of a C++ source file, unescaped as far as messages need it. Comments and
// character literals are skipped so that '"' does not open a string.
std::vector<std::string> StringLiterals(const std::string& source) {
  std::vector<std::string> literals;
  size_t i = 0;
  auto hex_value = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  size_t literal_end = std::string::npos;  // just after the last literal's closing quote
  while (i < source.size()) {
    char c = source[i];
    if (source.compare(i, 2, "//") == 0) {
      i = source.find('\n', i);
      if (i == std::string::npos) break;
    } else if (source.compare(i, 2, "/*") == 0) {
      i = source.find("*/", i + 2);
      if (i == std::string::npos) break;
      i += 2;
    } else if (c == '\'') {
      // A digit separator (1'000) is not a character literal.
      bool separator = i > 0 && std::isalnum(static_cast<unsigned char>(source[i - 1]));
      ++i;
      if (!separator) {
        while (i < source.size() && source[i] != '\'') i += source[i] == '\\' ? 2 : 1;
        ++i;
      }
    } else if (c == '"') {
      // Adjacent literals ("a" "b") are one string, as the compiler sees them.
      bool adjacent =
          literal_end != std::string::npos && source.find_first_not_of(" \t\r\n", literal_end) == i;
      std::string literal = adjacent ? std::move(literals.back()) : std::string();
      if (adjacent) literals.pop_back();
      ++i;
      while (i < source.size() && source[i] != '"') {
        if (source[i] != '\\' || i + 1 >= source.size()) {
          literal.push_back(source[i++]);
          continue;
        }
        char escaped = source[i + 1];
        i += 2;
        switch (escaped) {
          case 'n':
            literal.push_back('\n');
            break;
          case 'r':
            literal.push_back('\r');
            break;
          case 't':
            literal.push_back('\t');
            break;
          case 'x': {
            int value = 0;
            while (i < source.size() && hex_value(source[i]) >= 0) {
              value = value * 16 + hex_value(source[i++]);
            }
            literal.push_back(static_cast<char>(value));
            break;
          }
          default:
            literal.push_back(escaped);
        }
      }
      ++i;
      literal_end = i;
      literals.push_back(std::move(literal));
    } else {
      ++i;
    }
  }
  return literals;
}

// The names a message may use: fields (proto and JSON spelling), messages, enums and enum values,
// for `type` and every type it contains.
void AddProtoNames(const Descriptor* type, std::vector<std::string>* names) {
  names->push_back(type->name());
  for (int i = 0; i < type->field_count(); ++i) {
    const FieldDescriptor* field = type->field(i);
    names->push_back(field->name());
    names->push_back(field->json_name());
    if (const EnumDescriptor* enum_type = field->enum_type(); enum_type != nullptr) {
      names->push_back(enum_type->name());
      for (int v = 0; v < enum_type->value_count(); ++v) {
        std::string value_name = enum_type->value(v)->name();
        names->push_back(value_name);
        for (char& ch : value_name) ch = static_cast<char>(std::tolower(ch));
        names->push_back(value_name);
      }
    }
    if (field->message_type() != nullptr && field->message_type() != type) {
      AddProtoNames(field->message_type(), names);
    }
  }
}

bool BytesEqual(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i] != b[i]) return false;
  }
  return true;
}

bool Contains(std::string_view input, std::string_view window) {
  for (size_t at = 0; at + window.size() <= input.size(); ++at) {
    if (BytesEqual(input.substr(at, window.size()), window)) return true;
  }
  return false;
}

EchoCheck::EchoCheck(std::string target, const std::vector<std::string>& owned,
                     const std::vector<std::string>& sources)
    : target_(std::move(target)) {
  std::vector<std::string> texts = owned;
  for (const std::string& relative : sources) {
    const std::string path = std::string(VERKENNER_SOURCE_DIR) + "/" + relative;
    std::ifstream file(path, std::ios::binary);
    if (!file) {
      std::fprintf(stderr, "%s: cannot read %s for its message texts\n", target_.c_str(),
                   path.c_str());
      std::exit(1);
    }
    std::string source((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
    for (std::string& literal : StringLiterals(source)) texts.push_back(std::move(literal));
  }
  for (const std::string& text : texts) {
    for (size_t at = 0; at + kEchoWindow <= text.size(); ++at) {
      owned_windows_.insert(WindowKey(text, at));
    }
    if (text.size() >= kMinOwnedLength) {
      owned_by_prefix_.emplace(text.substr(0, kMinOwnedLength), text);
    }
  }
}

std::vector<bool> EchoCheck::ExplainedBytes(std::string_view message,
                                            const std::vector<std::string>& may_echo) const {
  std::vector<bool> explained(message.size(), false);
  auto mark_if_at = [&](size_t at, std::string_view text) {
    if (text.size() > message.size() - at) return;
    if (!BytesEqual(message.substr(at, text.size()), text)) return;
    for (size_t i = 0; i < text.size(); ++i) explained[at + i] = true;
  };
  for (size_t at = 0; at < message.size(); ++at) {
    // Part of a longer owned text: "upsert" in "expected upsert or delete", from an enum name.
    if (at + kEchoWindow <= message.size() && owned_windows_.contains(WindowKey(message, at))) {
      for (size_t i = 0; i < kEchoWindow; ++i) explained[at + i] = true;
    }
    if (at + kMinOwnedLength <= message.size()) {
      auto [begin, end] =
          owned_by_prefix_.equal_range(std::string(message.substr(at, kMinOwnedLength)));
      for (auto it = begin; it != end; ++it) mark_if_at(at, it->second);
    }
    for (const std::string& text : may_echo) mark_if_at(at, text);
  }
  return explained;
}

void EchoCheck::Check(std::string_view message, std::string_view input,
                      const std::vector<std::string>& may_echo, std::string_view where) const {
  // Quick pass: most windows are owned text or not in the input.
  bool suspicious = false;
  for (size_t at = 0; at + kEchoWindow <= message.size() && !suspicious; ++at) {
    suspicious = !owned_windows_.contains(WindowKey(message, at)) &&
                 Contains(input, message.substr(at, kEchoWindow));
  }
  if (!suspicious) return;
  std::vector<bool> explained = ExplainedBytes(message, may_echo);
  size_t span_start = 0;
  for (size_t i = 0; i <= message.size(); ++i) {
    if (i < message.size() && !explained[i]) continue;
    // message[span_start, i) is explained by nothing: it must not come from the input.
    for (size_t at = span_start; at + kEchoWindow <= i; ++at) {
      if (!Contains(input, message.substr(at, kEchoWindow))) continue;
      Fail(target_, std::string(where) + ": the error message repeats input bytes",
           std::string(message) + "\n  repeated: \"" +
               std::string(message.substr(at, kEchoWindow)) + "\"");
    }
    span_start = i + 1;
  }
}

namespace {

void AddFieldPaths(const Descriptor* type, const std::string& prefix,
                   std::vector<const Descriptor*>* open, std::vector<std::string>* paths) {
  open->push_back(type);
  for (int i = 0; i < type->field_count(); ++i) {
    const FieldDescriptor* field = type->field(i);
    const std::string path = prefix.empty() ? field->name() : prefix + "." + field->name();
    paths->push_back(path);
    const Descriptor* nested = field->message_type();
    if (nested != nullptr && std::find(open->begin(), open->end(), nested) == open->end()) {
      AddFieldPaths(nested, path, open, paths);
    }
  }
  open->pop_back();
}

}  // namespace

std::vector<std::string> FieldPaths(const Descriptor* type) {
  std::vector<std::string> paths;
  std::vector<const Descriptor*> open;
  AddFieldPaths(type, "", &open, &paths);
  return paths;
}

bool NamesAField(std::string_view message, const std::vector<std::string>& paths) {
  const size_t colon = message.find(": ");
  if (colon == std::string_view::npos) return false;
  const std::string_view field = message.substr(0, colon);
  for (const std::string& path : paths) {
    if (BytesEqual(field, path)) return true;
  }
  return false;
}

}  // namespace verkenner::fuzz
