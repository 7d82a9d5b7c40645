#include "indexer/import_report_writer.h"

#include <google/protobuf/util/json_util.h>

#include <fstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "engine/schema.h"
#include "indexer/source_format.h"

namespace verkenner::indexer {

v1::ImportReport ToProtoReport(const ImportReport& report, const std::string& file_name,
                               const std::string& full_sync_source) {
  v1::ImportReport out;
  out.set_file_name(file_name);
  out.set_source(full_sync_source);
  out.set_mode(full_sync_source.empty() ? v1::IMPORT_MODE_INCREMENTAL : v1::IMPORT_MODE_FULL_SYNC);
  out.set_state(v1::IMPORT_STATE_SUCCEEDED);
  out.set_received_rows(report.rows_read);
  out.set_accepted_rows(report.accepted());
  out.set_created(report.created);
  out.set_updated(report.updated);
  out.set_deleted(report.withdrawn);
  out.set_expired(report.expired);
  out.set_withdrawn_absent(report.full_sync_withdrawn);
  out.set_rejected_rows(report.rejected);
  for (const RejectedRow& rejected : report.rejected_rows) {
    v1::RowRejection* rejection = out.add_rejections();
    rejection->set_row_number(rejected.row);
    rejection->set_field(rejected.field);
    rejection->set_message_en(rejected.reason);
  }
  int64_t profiles = 0;
  std::map<std::string, int64_t> known;
  for (const auto& [source, completeness] : report.completeness_by_source) {
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
    for (const RejectedRow& rejected : report.rejected_rows) {
      absl::StrAppend(&content, rejected.row, ";");
      AppendCsvCell(rejected.field, ';', &content);
      content.push_back(';');
      AppendCsvCell(rejected.reason, ';', &content);
      content.push_back('\n');
    }
  }
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << content;
  out.close();
  if (!out) return absl::UnavailableError(absl::StrCat("cannot write report ", path));
  return absl::OkStatus();
}

}  // namespace verkenner::indexer
