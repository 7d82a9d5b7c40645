#include "indexer/import_report_writer.h"

#include <google/protobuf/util/json_util.h>

#include <algorithm>
#include <cerrno>
#include <fstream>
#include <map>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "base/disk_space.h"
#include "engine/schema.h"
#include "indexer/source_format.h"

namespace verkenner::indexer {
namespace {

// Problems listed one by one; beyond this the counts per field and reason still count them all.
constexpr size_t kMaxListedRejections = 10'000;

// Each kind of rejection: its name in the public API, and its explanation for the
// municipality's staff (the field and the rule, never the value), either after the field's name
// ("Veld postcode is te lang") or as a sentence of its own.
struct KindDescription {
  RejectionKind kind;
  v1::RejectionReason reason;
  bool after_field_name;
  const char* dutch;
};
constexpr KindDescription kKindDescriptions[] = {
    {RejectionKind::kMissing, v1::REJECTION_REASON_MISSING, true, " is verplicht maar leeg"},
    {RejectionKind::kBadFormat, v1::REJECTION_REASON_BAD_FORMAT, true,
     " heeft niet de juiste vorm (zie de beschrijving van het importformaat)"},
    {RejectionKind::kOutOfRange, v1::REJECTION_REASON_OUT_OF_RANGE, true,
     " ligt buiten het toegestane bereik"},
    {RejectionKind::kUnknownCode, v1::REJECTION_REASON_UNKNOWN_CODE, true,
     " bevat een onbekende code: gebruik een code uit de lijst"},
    {RejectionKind::kInvalidBsn, v1::REJECTION_REASON_INVALID_BSN, false,
     "Het BSN voldoet niet aan de elfproef"},
    {RejectionKind::kUnknownPostcode, v1::REJECTION_REASON_UNKNOWN_POSTCODE, true,
     " bevat een postcode die niet bestaat"},
    {RejectionKind::kInconsistent, v1::REJECTION_REASON_INCONSISTENT, true,
     " past niet bij een ander veld van deze rij"},
    {RejectionKind::kTooLong, v1::REJECTION_REASON_TOO_LONG, true, " is te lang"},
    {RejectionKind::kSourceMismatch, v1::REJECTION_REASON_SOURCE_MISMATCH, false,
     "De bron van deze rij is niet de bron van deze import"},
    {RejectionKind::kDuplicate, v1::REJECTION_REASON_DUPLICATE, false,
     "Deze cliënt staat eerder in deze import; alleen die eerdere rij telt"},
};

const KindDescription* Describe(RejectionKind kind) {
  for (const KindDescription& description : kKindDescriptions) {
    if (description.kind == kind) return &description;
  }
  return nullptr;
}

// The explanation, ending with what the rule allows where it has a list or a range.
std::string DutchMessage(RejectionKind kind, const std::string& field,
                         const AllowedValues& allowed) {
  const std::string named = field.empty() ? "De rij" : "Veld " + field;
  const KindDescription* description = Describe(kind);
  std::string message = description == nullptr          ? named + " is afgekeurd"
                        : description->after_field_name ? named + description->dutch
                                                        : description->dutch;
  if (!allowed.codes.empty()) absl::StrAppend(&message, "; toegestaan: ", allowed.codes);
  if (allowed.range.has_value()) {
    absl::StrAppend(&message, "; toegestaan: ", allowed.range->first, " tot en met ",
                    allowed.range->second);
  }
  return message;
}

// "work_experience[1].months" -> "work_experience.months", for counting.
std::string FieldWithoutIndex(const std::string& field) {
  std::string plain;
  bool in_index = false;
  for (char c : field) {
    if (c == '[') in_index = true;
    if (!in_index) plain.push_back(c);
    if (c == ']') in_index = false;
  }
  return plain;
}

}  // namespace

v1::RejectionReason ToProtoReason(RejectionKind kind) {
  const KindDescription* description = Describe(kind);
  return description != nullptr ? description->reason : v1::REJECTION_REASON_UNSPECIFIED;
}

namespace {

// The problems one by one (up to kMaxListedRejections) and counted per field and reason.
void AddRejections(const std::vector<RejectedRow>& rejected_rows, v1::ImportReport& out) {
  std::map<std::pair<std::string, v1::RejectionReason>, int64_t> counts;
  for (const RejectedRow& rejected : rejected_rows) {
    ++counts[{FieldWithoutIndex(rejected.field), ToProtoReason(rejected.kind)}];
    if (static_cast<size_t>(out.rejections_size()) >= kMaxListedRejections) {
      out.set_rejections_truncated(true);
      continue;
    }
    v1::RowRejection* rejection = out.add_rejections();
    rejection->set_row_number(rejected.row);
    rejection->set_field(rejected.field);
    rejection->set_reason(ToProtoReason(rejected.kind));
    rejection->set_message_nl(DutchMessage(rejected.kind, rejected.field, rejected.allowed));
    rejection->set_message_en(rejected.reason);
  }
  std::vector<v1::RejectionCount> sorted;
  for (const auto& [key, rows] : counts) {
    v1::RejectionCount count;
    count.set_field(key.first);
    count.set_reason(key.second);
    count.set_rows(rows);
    sorted.push_back(std::move(count));
  }
  std::stable_sort(
      sorted.begin(), sorted.end(),
      [](const v1::RejectionCount& a, const v1::RejectionCount& b) { return a.rows() > b.rows(); });
  for (v1::RejectionCount& count : sorted) *out.add_rejection_counts() = std::move(count);
}

// How often each core field is known, over all sources.
void AddCompleteness(const std::map<std::string, SourceCompleteness>& by_source,
                     v1::ImportReport& out) {
  int64_t profiles = 0;
  std::map<std::string, int64_t> known;
  for (const auto& [source, completeness] : by_source) {
    profiles += completeness.profiles;
    for (const auto& [field, count] : completeness.known) known[field] += count;
  }
  const std::pair<const char*, v1::CoreField> kFields[] = {
      {engine::schema::kKnownEducation, v1::CORE_FIELD_EDUCATION},
      {engine::schema::kKnownExperience, v1::CORE_FIELD_EXPERIENCE},
      {engine::schema::kKnownAvailability, v1::CORE_FIELD_AVAILABILITY},
      {engine::schema::kKnownTravelDistance, v1::CORE_FIELD_TRAVEL_DISTANCE},
      {engine::schema::kKnownAffinities, v1::CORE_FIELD_AFFINITIES}};
  for (const auto& [name, field] : kFields) {
    v1::FieldCompleteness* completeness = out.add_completeness();
    completeness->set_field(field);
    completeness->set_known_rows(known[name]);
    completeness->set_fraction(profiles > 0 ? static_cast<double>(known[name]) / profiles : 0);
  }
}

}  // namespace

v1::ImportReport ToProtoReport(const ImportReport& report, const std::string& file_name,
                               const std::string& full_sync_source) {
  v1::ImportReport out;
  out.set_file_name(file_name);
  out.set_source(full_sync_source);
  out.set_mode(full_sync_source.empty() ? v1::IMPORT_MODE_INCREMENTAL : v1::IMPORT_MODE_FULL_SYNC);
  out.set_state(v1::IMPORT_STATE_SUCCEEDED);
  out.set_received_rows(report.received_rows);
  out.set_accepted_rows(report.accepted_rows());
  out.set_created(report.created);
  out.set_updated(report.updated);
  out.set_deleted(report.deleted);
  out.set_expired(report.expired);
  out.set_unchanged(report.unchanged);
  out.set_withdrawn_absent(report.withdrawn_absent);
  out.set_rejected_rows(report.rejected_rows);
  out.set_free_text_left_out(report.free_text_left_out);
  AddRejections(report.rejections, out);
  AddCompleteness(report.completeness_by_source, out);
  return out;
}

absl::Status WriteRejectedRowsReport(const ImportReport& report, const std::string& file_name,
                                     const std::string& full_sync_source, const std::string& path) {
  std::string content;
  if (absl::EndsWith(path, ".json")) {
    google::protobuf::util::JsonPrintOptions options;
    options.add_whitespace = true;
    options.preserve_proto_field_names = true;
    if (!google::protobuf::util::MessageToJsonString(
             ToProtoReport(report, file_name, full_sync_source), &content, options)
             .ok()) {
      return absl::InternalError("the report cannot be written as JSON");
    }
  } else {
    content = "row;field;reason\n";
    for (const RejectedRow& rejected : report.rejections) {
      absl::StrAppend(&content, rejected.row, ";");
      AppendCsvCell(rejected.field, ';', &content);
      content.push_back(';');
      AppendCsvCell(rejected.reason, ';', &content);
      content.push_back('\n');
    }
  }
  errno = 0;
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << content;
  out.close();
  if (!out) {
    // The failed write's errno is still set: a full disk has a remedy the operator must hear.
    if (base::IsDiskSpaceErrno(errno)) return base::DiskFullError("rejected-rows report");
    return absl::UnavailableError(absl::StrCat("cannot write report ", path));
  }
  return absl::OkStatus();
}

}  // namespace verkenner::indexer
