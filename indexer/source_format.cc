#include "indexer/source_format.h"

#include <algorithm>
#include <cstring>
#include <unordered_map>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/cord.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"
#include "base/utf8.h"
#include "engine/refdata/csv_reader.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"

namespace verkenner::indexer {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::EnumDescriptor;
using google::protobuf::EnumValueDescriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

constexpr char kFieldPayloadUrl[] = "type.verkenner.nl/verkenner.indexer.ErrorField";
constexpr std::string_view kByteOrderMark = "\xEF\xBB\xBF";

// An InvalidArgument error about `field` that ErrorField() can take apart again. `reason` must not
// contain input values.
absl::Status FieldError(std::string_view field, std::string_view reason) {
  absl::Status status =
      absl::InvalidArgumentError(absl::StrCat(std::string(field), ": ", std::string(reason)));
  status.SetPayload(kFieldPayloadUrl, absl::Cord(std::string(field)));
  return status;
}

constexpr char kNotUtf8[] = "is not valid UTF-8 (save the export as UTF-8)";

std::string_view Trim(std::string_view text) {
  absl::string_view trimmed =
      absl::StripAsciiWhitespace(absl::string_view(text.data(), text.size()));
  return std::string_view(trimmed.data(), trimmed.size());
}

// "SourceAction" -> "SOURCE_ACTION_": the prefix every value of a Google-style enum carries.
std::string EnumValuePrefix(const EnumDescriptor* type) {
  std::string prefix;
  for (char c : type->name()) {
    if (absl::ascii_isupper(static_cast<unsigned char>(c)) && !prefix.empty()) {
      prefix.push_back('_');
    }
    prefix.push_back(absl::ascii_toupper(static_cast<unsigned char>(c)));
  }
  prefix.push_back('_');
  return prefix;
}

// How an enum value is written in CSV: "SOURCE_ACTION_DELETE" -> "delete". The zero value
// (*_UNSPECIFIED) is written as an empty cell.
std::string EnumCsvName(const EnumValueDescriptor* value) {
  std::string_view name = value->name();
  std::string prefix = EnumValuePrefix(value->type());
  if (name.substr(0, prefix.size()) == prefix) name.remove_prefix(prefix.size());
  return absl::AsciiStrToLower(std::string(name));
}

// The fields that name whose row it is.
bool IsKeyField(const FieldDescriptor* field) {
  return field->number() == v1::SourceProfile::kSourceFieldNumber ||
         field->number() == v1::SourceProfile::kClientNumberFieldNumber;
}

// What a value of an enum of the import format must be: "expected upsert or delete (or no value)".
std::string ExpectedEnumSpelling(const EnumDescriptor* type) {
  std::vector<std::string> accepted;
  for (int i = 0; i < type->value_count(); ++i) {
    if (type->value(i)->number() != 0) accepted.push_back(EnumCsvName(type->value(i)));
  }
  return absl::StrCat("expected ", absl::StrJoin(accepted, " or "), " (or no value)");
}

// The value of enum field `field` that `text` names as the import format spells it, the same in
// CSV and JSON Lines: its short name ("delete") or its proto name ("SOURCE_ACTION_DELETE"), in
// any case. The zero value has no spelling: an empty or absent value means it.
absl::StatusOr<const EnumValueDescriptor*> ParseEnumSpelling(std::string_view text,
                                                             const FieldDescriptor* field,
                                                             std::string_view path) {
  const std::string lower = absl::AsciiStrToLower(std::string(text));
  const EnumDescriptor* type = field->enum_type();
  for (int i = 0; i < type->value_count(); ++i) {
    const EnumValueDescriptor* value = type->value(i);
    if (value->number() == 0) continue;
    if (lower == EnumCsvName(value) || lower == absl::AsciiStrToLower(value->name())) return value;
  }
  return FieldError(path, ExpectedEnumSpelling(type));
}

bool IsIntegerType(const FieldDescriptor* field) {
  switch (field->cpp_type()) {
    case FieldDescriptor::CPPTYPE_INT32:
    case FieldDescriptor::CPPTYPE_INT64:
    case FieldDescriptor::CPPTYPE_UINT32:
    case FieldDescriptor::CPPTYPE_UINT64:
      return true;
    default:
      return false;
  }
}

// A singular field that a CSV cell (or one '~' part of a cell) can hold.
bool IsScalarCsvField(const FieldDescriptor* field) {
  if (field->is_repeated()) return false;
  return field->cpp_type() == FieldDescriptor::CPPTYPE_STRING || IsIntegerType(field) ||
         field->cpp_type() == FieldDescriptor::CPPTYPE_BOOL ||
         field->cpp_type() == FieldDescriptor::CPPTYPE_ENUM;
}

// Whether the CSV conventions cover `field`. SourceProfile's fields all are; a test keeps it so
// when the proto grows.
bool HasCsvEncoding(const FieldDescriptor* field) {
  if (IsScalarCsvField(field)) return true;
  if (!field->is_repeated()) return false;
  if (field->cpp_type() == FieldDescriptor::CPPTYPE_STRING) return true;
  if (field->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE) return false;
  const Descriptor* entry = field->message_type();
  for (int i = 0; i < entry->field_count(); ++i) {
    if (!IsScalarCsvField(entry->field(i))) return false;
  }
  return true;
}

// Replaces the list and part separators in a value that goes inside a list cell.
void AppendListValue(std::string_view value, std::string* out) {
  for (char c : value) {
    out->push_back(c == kCsvListSeparator || c == kCsvPartSeparator ? '/' : c);
  }
}

// Appends the text of a singular field; an unset optional field gives nothing.
void AppendScalarText(const Message& message, const FieldDescriptor* field, bool in_list,
                      std::string* scratch, std::string* out) {
  const Reflection* reflection = message.GetReflection();
  if (field->has_presence() && !reflection->HasField(message, field)) return;
  switch (field->cpp_type()) {
    case FieldDescriptor::CPPTYPE_STRING: {
      const std::string& value = reflection->GetStringReference(message, field, scratch);
      if (in_list) {
        AppendListValue(value, out);
      } else {
        out->append(value);
      }
      return;
    }
    case FieldDescriptor::CPPTYPE_INT32:
      absl::StrAppend(out, reflection->GetInt32(message, field));
      return;
    case FieldDescriptor::CPPTYPE_INT64:
      absl::StrAppend(out, reflection->GetInt64(message, field));
      return;
    case FieldDescriptor::CPPTYPE_UINT32:
      absl::StrAppend(out, reflection->GetUInt32(message, field));
      return;
    case FieldDescriptor::CPPTYPE_UINT64:
      absl::StrAppend(out, reflection->GetUInt64(message, field));
      return;
    case FieldDescriptor::CPPTYPE_BOOL:
      out->append(reflection->GetBool(message, field) ? "ja" : "nee");
      return;
    case FieldDescriptor::CPPTYPE_ENUM: {
      const EnumValueDescriptor* value = reflection->GetEnum(message, field);
      if (value->number() != 0) out->append(EnumCsvName(value));
      return;
    }
    default:
      return;  // Unreachable for fields passing HasCsvEncoding().
  }
}

// Appends the unquoted text of one cell.
void AppendCellText(const Message& message, const FieldDescriptor* field, std::string* scratch,
                    std::string* out) {
  if (!field->is_repeated()) {
    AppendScalarText(message, field, /*in_list=*/false, scratch, out);
    return;
  }
  const Reflection* reflection = message.GetReflection();
  int size = reflection->FieldSize(message, field);
  for (int i = 0; i < size; ++i) {
    if (i > 0) out->push_back(kCsvListSeparator);
    if (field->cpp_type() == FieldDescriptor::CPPTYPE_STRING) {
      AppendListValue(reflection->GetRepeatedStringReference(message, field, i, scratch), out);
    } else if (field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
      const Message& entry = reflection->GetRepeatedMessage(message, field, i);
      const Descriptor* type = entry.GetDescriptor();
      for (int part = 0; part < type->field_count(); ++part) {
        if (part > 0) out->push_back(kCsvPartSeparator);
        AppendScalarText(entry, type->field(part), /*in_list=*/true, scratch, out);
      }
    }
  }
}

// Appends `text` as one RFC 4180 cell.

const Descriptor* ProfileDescriptor() { return v1::SourceProfile::descriptor(); }

// SourceProfile's fields in field-number order (the descriptor lists them in declaration order).
const std::vector<const FieldDescriptor*>& FieldsInNumberOrder() {
  static const auto* const fields = [] {
    auto* result = new std::vector<const FieldDescriptor*>();
    const Descriptor* descriptor = ProfileDescriptor();
    for (int i = 0; i < descriptor->field_count(); ++i) result->push_back(descriptor->field(i));
    std::sort(result->begin(), result->end(),
              [](const FieldDescriptor* a, const FieldDescriptor* b) {
                return a->number() < b->number();
              });
    return result;
  }();
  return *fields;
}

// Parses a whole number of the field's type into `field` of `message` with the reflection's
// setter `set` (SetInt32, ...).
template <typename T>
absl::Status SetWholeNumber(absl::string_view text, std::string_view path,
                            const FieldDescriptor* field, Message* message,
                            void (Reflection::*set)(Message*, const FieldDescriptor*, T) const) {
  T value;
  if (!absl::SimpleAtoi(text, &value)) return FieldError(path, "not a whole number");
  (message->GetReflection()->*set)(message, field, value);
  return absl::OkStatus();
}

// Parses one scalar cell (or '~' part) into `field` of `message`. `path` names the field in
// errors.
absl::Status ParseScalar(std::string_view cell, const FieldDescriptor* field, std::string_view path,
                         Message* message) {
  const Reflection* reflection = message->GetReflection();
  if (field->cpp_type() == FieldDescriptor::CPPTYPE_STRING) {
    reflection->SetString(message, field, std::string(cell));
    return absl::OkStatus();
  }
  std::string_view text = Trim(cell);
  if (text.empty()) return absl::OkStatus();  // Unset: unknown.
  absl::string_view atext(text.data(), text.size());
  switch (field->cpp_type()) {
    case FieldDescriptor::CPPTYPE_INT32:
      return SetWholeNumber(atext, path, field, message, &Reflection::SetInt32);
    case FieldDescriptor::CPPTYPE_INT64:
      return SetWholeNumber(atext, path, field, message, &Reflection::SetInt64);
    case FieldDescriptor::CPPTYPE_UINT32:
      return SetWholeNumber(atext, path, field, message, &Reflection::SetUInt32);
    case FieldDescriptor::CPPTYPE_UINT64:
      return SetWholeNumber(atext, path, field, message, &Reflection::SetUInt64);
    case FieldDescriptor::CPPTYPE_BOOL: {
      std::string lower = absl::AsciiStrToLower(atext);
      // "ja"/"nee" is what we write; the rest is what spreadsheets and other systems write.
      if (lower == "ja" || lower == "j" || lower == "true" || lower == "yes" || lower == "1") {
        reflection->SetBool(message, field, true);
      } else if (lower == "nee" || lower == "n" || lower == "false" || lower == "no" ||
                 lower == "0") {
        reflection->SetBool(message, field, false);
      } else {
        return FieldError(path, "expected ja or nee");
      }
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_ENUM: {
      absl::StatusOr<const EnumValueDescriptor*> value = ParseEnumSpelling(text, field, path);
      if (!value.ok()) return value.status();
      reflection->SetEnum(message, field, *value);
      return absl::OkStatus();
    }
    default:
      return absl::InternalError(
          absl::StrCat(std::string(path), ": field type has no CSV encoding"));
  }
}

// Splits on `separator` keeping empty parts.
std::vector<std::string_view> SplitKeepingEmpty(std::string_view text, char separator) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (true) {
    size_t end = text.find(separator, start);
    if (end == std::string_view::npos) {
      parts.push_back(text.substr(start));
      return parts;
    }
    parts.push_back(text.substr(start, end - start));
    start = end + 1;
  }
}

absl::Status ParseCell(const std::string& cell, const FieldDescriptor* field, Message* message) {
  if (!field->is_repeated()) return ParseScalar(cell, field, field->name(), message);
  const Reflection* reflection = message->GetReflection();
  if (field->cpp_type() == FieldDescriptor::CPPTYPE_STRING) {
    for (std::string& value : engine::SplitMultiValue(cell, kCsvListSeparator)) {
      reflection->AddString(message, field, std::move(value));
    }
    return absl::OkStatus();
  }
  if (field->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE || !HasCsvEncoding(field)) {
    return absl::InternalError(absl::StrCat(field->name(), ": field type has no CSV encoding"));
  }
  const Descriptor* type = field->message_type();
  int index = 0;
  for (std::string_view entry_text : SplitKeepingEmpty(cell, kCsvListSeparator)) {
    if (Trim(entry_text).empty()) continue;
    std::string path = absl::StrCat(field->name(), "[", index, "]");
    std::vector<std::string_view> parts = SplitKeepingEmpty(entry_text, kCsvPartSeparator);
    if (parts.size() > static_cast<size_t>(type->field_count())) {
      std::vector<std::string> names;
      for (int i = 0; i < type->field_count(); ++i) names.push_back(type->field(i)->name());
      return FieldError(
          path, absl::StrCat("has ", parts.size(), " parts; expected at most ", type->field_count(),
                             " (", absl::StrJoin(names, std::string(1, kCsvPartSeparator)), ")"));
    }
    Message* entry = reflection->AddMessage(message, field);
    for (size_t i = 0; i < parts.size(); ++i) {
      const FieldDescriptor* part_field = type->field(static_cast<int>(i));
      absl::Status status = ParseScalar(Trim(parts[i]), part_field,
                                        absl::StrCat(path, ".", part_field->name()), entry);
      if (!status.ok()) return status;
    }
    ++index;
  }
  return absl::OkStatus();
}

// The field at a protobuf JSON error path such as "work_experience[0].months", or nullptr.
const FieldDescriptor* ResolveJsonPath(std::string_view path) {
  const Descriptor* type = ProfileDescriptor();
  const FieldDescriptor* field = nullptr;
  for (std::string_view segment : SplitKeepingEmpty(path, '.')) {
    if (type == nullptr) return nullptr;
    std::string_view name = segment.substr(0, segment.find('['));
    std::string name_string(name);
    field = type->FindFieldByName(name_string);
    if (field == nullptr) field = type->FindFieldByCamelcaseName(name_string);
    if (field == nullptr) return nullptr;
    type = field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE ? field->message_type() : nullptr;
  }
  return field;
}

// The path written with proto field names, so that "workExperience[0]" and "work_experience[0]"
// give the same ErrorField(). Only called for paths ResolveJsonPath() accepts.
std::string CanonicalJsonPath(std::string_view path) {
  std::string canonical;
  const Descriptor* type = ProfileDescriptor();
  for (std::string_view segment : SplitKeepingEmpty(path, '.')) {
    size_t bracket = segment.find('[');
    std::string name(segment.substr(0, bracket));
    const FieldDescriptor* field = type->FindFieldByName(name);
    if (field == nullptr) field = type->FindFieldByCamelcaseName(name);
    if (!canonical.empty()) canonical.push_back('.');
    canonical.append(field->name());
    if (bracket != std::string_view::npos) canonical.append(segment.substr(bracket));
    if (field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) type = field->message_type();
  }
  return canonical;
}

// What a JSON value for `field` must look like. `whole_field` is true when the error is about the
// field itself rather than one element of a repeated field ("diplomas" rather than "diplomas[2]").
std::string ExpectedJsonValue(const FieldDescriptor* field, bool whole_field) {
  if (whole_field && field->is_repeated()) {
    switch (field->cpp_type()) {
      case FieldDescriptor::CPPTYPE_STRING:
        return "expected a JSON array of strings";
      case FieldDescriptor::CPPTYPE_MESSAGE:
        return "expected a JSON array of objects";
      default:
        return "expected a JSON array";
    }
  }
  switch (field->cpp_type()) {
    case FieldDescriptor::CPPTYPE_STRING:
      return "expected a JSON string";
    case FieldDescriptor::CPPTYPE_INT32:
    case FieldDescriptor::CPPTYPE_INT64:
    case FieldDescriptor::CPPTYPE_UINT32:
    case FieldDescriptor::CPPTYPE_UINT64:
      return "expected a whole number";
    case FieldDescriptor::CPPTYPE_BOOL:
      return "expected true or false";
    case FieldDescriptor::CPPTYPE_ENUM:
      return ExpectedEnumSpelling(field->enum_type());
    case FieldDescriptor::CPPTYPE_MESSAGE:
      return "expected a JSON object";
    default:
      return "invalid value";
  }
}

// Turns protobuf's JSON parse error, which can quote the input, into one that does not. Protobuf
// 3.21 writes "(path): invalid value ... for type ..." for a bad value and
// "[(parent) ]name: Cannot find field." for an unknown field; everything else is a syntax error.
absl::Status TranslateJsonError(std::string_view message) {
  if (message.size() > 1 && message[0] == '(') {
    size_t close = message.find("):");
    if (close != std::string_view::npos) {
      std::string_view path = message.substr(1, close - 1);
      if (const FieldDescriptor* field = ResolveJsonPath(path); field != nullptr) {
        return FieldError(CanonicalJsonPath(path), ExpectedJsonValue(field, path.back() != ']'));
      }
    }
  }
  constexpr std::string_view kUnknownField = ": Cannot find field.";
  if (message.size() > kUnknownField.size() &&
      message.substr(message.size() - kUnknownField.size()) == kUnknownField) {
    std::string_view rest = message.substr(0, message.size() - kUnknownField.size());
    std::string parent;
    if (!rest.empty() && rest[0] == '(') {
      size_t close = rest.find(") ");
      if (close != std::string_view::npos) {
        std::string_view parent_path = rest.substr(1, close - 1);
        if (ResolveJsonPath(parent_path) != nullptr) parent = CanonicalJsonPath(parent_path);
        rest.remove_prefix(close + 2);
      }
    }
    std::string_view where = parent.empty() ? std::string_view("SourceProfile") : parent;
    if (LooksLikeFieldName(rest)) {
      std::string field =
          parent.empty() ? std::string(rest) : absl::StrCat(parent, ".", std::string(rest));
      return FieldError(
          field, absl::StrCat("unknown field; ", std::string(where), " has no field of this name"));
    }
    absl::Status status = absl::InvalidArgumentError(
        absl::StrCat("unknown field in ", std::string(where),
                     " (name not shown: it does not look like a field name)"));
    if (!parent.empty()) status.SetPayload(kFieldPayloadUrl, absl::Cord(parent));
    return status;
  }
  if (message.find("Root element must be a message") != std::string_view::npos) {
    return absl::InvalidArgumentError("line is not a JSON object");
  }
  return absl::InvalidArgumentError("malformed JSON");
}

// ParseJsonLine() for a line whose enum field `field` protobuf refused: the field's value is read
// with ParseEnumSpelling(), the rest of the line by protobuf. Errors as ParseJsonLine()'s.
absl::Status ParseJsonWithEnumSpelling(std::string_view line, const FieldDescriptor* field,
                                       v1::SourceProfile* out) {
  google::protobuf::Struct object;
  if (!google::protobuf::util::JsonStringToMessage(
           google::protobuf::StringPiece(line.data(), line.size()), &object)
           .ok()) {
    return absl::InvalidArgumentError("malformed JSON");
  }
  auto& fields = *object.mutable_fields();
  auto value = fields.find(field->name());
  if (value == fields.end()) value = fields.find(field->json_name());
  if (value == fields.end() || value->second.kind_case() != google::protobuf::Value::kStringValue) {
    return FieldError(field->name(), ExpectedJsonValue(field, true));
  }
  absl::StatusOr<const EnumValueDescriptor*> spelled =
      ParseEnumSpelling(value->second.string_value(), field, field->name());
  if (!spelled.ok()) return spelled.status();
  fields.erase(value);
  std::string rest;
  if (!google::protobuf::util::MessageToJsonString(object, &rest).ok()) {
    return absl::InvalidArgumentError("malformed JSON");
  }
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = false;
  auto status = google::protobuf::util::JsonStringToMessage(rest, out, options);
  if (!status.ok()) {
    out->Clear();
    auto message = status.message();
    return TranslateJsonError(std::string_view(message.data(), message.size()));
  }
  out->GetReflection()->SetEnum(out, field, *spelled);
  return absl::OkStatus();
}

}  // namespace

const std::vector<std::string>& CsvHeader() {
  static const auto* const header = [] {
    auto* names = new std::vector<std::string>();
    for (const FieldDescriptor* field : FieldsInNumberOrder()) names->push_back(field->name());
    return names;
  }();
  return *header;
}

void AppendCsvCell(std::string_view text, char separator, std::string* out) {
  bool needs_quotes = false;
  for (char c : text) {
    if (c == separator || c == '"' || c == '\n' || c == '\r') {
      needs_quotes = true;
      break;
    }
  }
  if (!needs_quotes) {
    out->append(text);
    return;
  }
  out->push_back('"');
  for (char c : text) {
    if (c == '"') out->push_back('"');
    out->push_back(c);
  }
  out->push_back('"');
}

bool LooksLikeFieldName(std::string_view text) {
  if (text.empty() || text.size() > 64 || !(text[0] >= 'a' && text[0] <= 'z')) return false;
  for (char c : text) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
  }
  return true;
}

std::string FormatCsvHeader(char separator) {
  std::string line;
  for (const std::string& name : CsvHeader()) {
    if (!line.empty()) line.push_back(separator);
    AppendCsvCell(name, separator, &line);
  }
  return line;
}

std::string FormatCsvRow(const v1::SourceProfile& profile, char separator) {
  std::string row;
  AppendCsvRow(profile, separator, &row);
  return row;
}

void AppendCsvRow(const v1::SourceProfile& profile, char separator, std::string* out) {
  std::string cell;
  std::string scratch;
  bool first = true;
  for (const FieldDescriptor* field : FieldsInNumberOrder()) {
    if (!first) out->push_back(separator);
    first = false;
    cell.clear();
    AppendCellText(profile, field, &scratch, &cell);
    AppendCsvCell(cell, separator, out);
  }
}

absl::StatusOr<char> DetectCsvSeparator(std::string_view header_line) {
  if (header_line.substr(0, kByteOrderMark.size()) == kByteOrderMark) {
    header_line.remove_prefix(kByteOrderMark.size());
  }
  int semicolons = 0;
  int commas = 0;
  bool quoted = false;
  for (char c : header_line) {
    if (c == '"') {
      quoted = !quoted;
    } else if (!quoted && (c == '\n' || c == '\r')) {
      break;
    } else if (!quoted && c == ';') {
      ++semicolons;
    } else if (!quoted && c == ',') {
      ++commas;
    }
  }
  if (semicolons == 0 && commas == 0) {
    return absl::InvalidArgumentError(
        "the header line has no ';' or ','; expected a header row naming the fields, at least "
        "source and client_number");
  }
  if (semicolons == commas) {
    return absl::InvalidArgumentError(
        "the header line has as many ';' as ','; cannot tell which one separates the fields");
  }
  return semicolons > commas ? ';' : ',';
}

absl::StatusOr<CsvColumnMapping> CsvColumnMapping::FromHeader(
    const std::vector<std::string>& header) {
  const Descriptor* descriptor = ProfileDescriptor();
  std::vector<const FieldDescriptor*> fields(header.size(), nullptr);
  std::vector<size_t> unknown_columns;
  for (size_t i = 0; i < header.size(); ++i) {
    std::string_view name = header[i];
    if (i == 0 && name.substr(0, kByteOrderMark.size()) == kByteOrderMark) {
      name.remove_prefix(kByteOrderMark.size());
    }
    std::string key = absl::AsciiStrToLower(std::string(Trim(name)));
    if (key.empty()) {
      return absl::InvalidArgumentError(absl::StrCat("header: column ", i + 1, " has no name"));
    }
    fields[i] = descriptor->FindFieldByName(key);
    if (fields[i] == nullptr) unknown_columns.push_back(i);
  }
  if (unknown_columns.size() == header.size()) {
    return absl::InvalidArgumentError(
        "header: no column names a SourceProfile field; is the header row missing?");
  }
  if (!unknown_columns.empty()) {
    size_t column = unknown_columns.front();
    // Judged before lower-casing: "Jansen" must not pass as a field name.
    std::string key(Trim(header[column]));
    if (LooksLikeFieldName(key)) {
      absl::Status status = absl::InvalidArgumentError(
          absl::StrCat("header: column ", column + 1, " '", key, "' is not a SourceProfile field"));
      status.SetPayload(kFieldPayloadUrl, absl::Cord(key));
      return status;
    }
    return absl::InvalidArgumentError(
        absl::StrCat("header: column ", column + 1,
                     " is not a SourceProfile field (name not shown: it does not look like a "
                     "field name)"));
  }
  std::unordered_map<const FieldDescriptor*, size_t> seen;
  for (size_t i = 0; i < fields.size(); ++i) {
    auto [it, inserted] = seen.emplace(fields[i], i);
    if (!inserted) {
      return FieldError(fields[i]->name(), absl::StrCat("header names this field twice (columns ",
                                                        it->second + 1, " and ", i + 1, ")"));
    }
  }
  for (const char* required : {"source", "client_number"}) {
    if (!seen.contains(descriptor->FindFieldByName(required))) {
      return FieldError(required, "required column is missing from the header");
    }
  }
  for (const FieldDescriptor* field : fields) {
    if (!HasCsvEncoding(field)) {
      return absl::InternalError(absl::StrCat(field->name(), ": field type has no CSV encoding"));
    }
  }
  return CsvColumnMapping(std::move(fields));
}

absl::Status ParseCsvRow(const CsvColumnMapping& mapping, const std::vector<std::string>& fields,
                         v1::SourceProfile* out) {
  out->Clear();
  if (fields.size() != mapping.column_count()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "row has ", fields.size(), " fields; the header has ", mapping.column_count()));
  }
  for (size_t i = 0; i < fields.size(); ++i) {
    // Checked per cell, so the error can name the field; JSON and protobuf check it themselves.
    if (!base::IsValidUtf8(fields[i])) return FieldError(mapping.field(i)->name(), kNotUtf8);
    absl::Status status = ParseCell(fields[i], mapping.field(i), out);
    if (!status.ok()) return status;
  }
  return absl::OkStatus();
}

void ParseCsvRowKey(const CsvColumnMapping& mapping, const std::vector<std::string>& fields,
                    v1::SourceProfile* out) {
  out->Clear();
  if (fields.size() != mapping.column_count()) return;
  for (size_t i = 0; i < fields.size(); ++i) {
    const FieldDescriptor* field = mapping.field(i);
    if (IsKeyField(field) && base::IsValidUtf8(fields[i])) {
      out->GetReflection()->SetString(out, field, fields[i]);
    }
  }
}

void ParseJsonLineKey(std::string_view line, v1::SourceProfile* out) {
  out->Clear();
  google::protobuf::Struct object;
  if (!base::IsValidUtf8(line) ||
      !google::protobuf::util::JsonStringToMessage(
           google::protobuf::StringPiece(line.data(), line.size()), &object)
           .ok()) {
    return;
  }
  for (const auto& [name, value] : object.fields()) {
    const FieldDescriptor* field = ProfileDescriptor()->FindFieldByName(name);
    if (field == nullptr) field = ProfileDescriptor()->FindFieldByCamelcaseName(name);
    if (field != nullptr && IsKeyField(field) &&
        value.kind_case() == google::protobuf::Value::kStringValue) {
      out->GetReflection()->SetString(out, field, value.string_value());
    }
  }
}

absl::StatusOr<std::string> FormatJsonLine(const v1::SourceProfile& profile) {
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = false;
  options.always_print_primitive_fields = false;
  options.preserve_proto_field_names = true;
  // The action is spelled as in CSV ("delete"), not by its proto name.
  const v1::SourceProfile* printed = &profile;
  v1::SourceProfile without_action;
  if (profile.action() != v1::SOURCE_ACTION_UNSPECIFIED) {
    without_action = profile;
    without_action.clear_action();
    printed = &without_action;
  }
  std::string line;
  auto status = google::protobuf::util::MessageToJsonString(*printed, &line, options);
  if (!status.ok() || line.empty() || line.back() != '}') {
    // The printer's message could name a value; the field list is all a reader needs.
    return absl::InternalError("cannot encode the profile as JSON");
  }
  if (printed != &profile) {
    const EnumValueDescriptor* action =
        v1::SourceAction_descriptor()->FindValueByNumber(profile.action());
    line.insert(line.size() - 1, absl::StrCat(line.size() > 2 ? "," : "", "\"action\":\"",
                                              action != nullptr ? EnumCsvName(action) : "", "\""));
  }
  return line;
}

absl::Status ParseJsonLine(std::string_view line, v1::SourceProfile* out) {
  out->Clear();
  if (line.substr(0, kByteOrderMark.size()) == kByteOrderMark) {
    line.remove_prefix(kByteOrderMark.size());
  }
  line = Trim(line);
  if (line.empty()) return absl::InvalidArgumentError("empty line; expected a JSON object");
  // Protobuf would refuse it as malformed JSON, which does not say what to do about it.
  if (!base::IsValidUtf8(line)) return absl::InvalidArgumentError(absl::StrCat("line ", kNotUtf8));
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = false;
  auto status = google::protobuf::util::JsonStringToMessage(
      google::protobuf::StringPiece(line.data(), line.size()), out, options);
  if (status.ok()) return absl::OkStatus();
  out->Clear();
  auto message = status.message();
  absl::Status error = TranslateJsonError(std::string_view(message.data(), message.size()));
  // Protobuf knows only the proto names of an enum; the import format's own spelling ("delete")
  // is read here, so that both formats take the same values.
  const FieldDescriptor* field = ProfileDescriptor()->FindFieldByName(ErrorField(error));
  if (field == nullptr || field->cpp_type() != FieldDescriptor::CPPTYPE_ENUM) return error;
  return ParseJsonWithEnumSpelling(line, field, out);
}

absl::Status InvalidFieldStatus(std::string_view field, std::string_view reason) {
  return FieldError(field, reason);
}

std::string ErrorField(const absl::Status& status) {
  auto payload = status.GetPayload(kFieldPayloadUrl);
  return payload.has_value() ? std::string(*payload) : std::string();
}

bool IsFieldPath(std::string_view text) {
  return text.size() <= 64 && std::all_of(text.begin(), text.end(), [](char c) {
           return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.' ||
                  c == '[' || c == ']';
         });
}

}  // namespace verkenner::indexer
