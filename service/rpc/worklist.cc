#include "service/rpc/worklist.h"

#include <algorithm>

#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "indexer/profile_anonymizer.h"
#include "service/rpc/spreadsheet_csv.h"

namespace verkenner::service {
namespace {

// The core fields `record` leaves unknown, by the one rule of completeness (CompletenessCount).
std::vector<v1::CoreField> MissingCoreFields(const engine::CandidateRecord& record) {
  engine::CompletenessCount count;
  count.Add(record);
  const std::pair<v1::CoreField, int64_t> fields[] = {
      {v1::CORE_FIELD_EDUCATION, count.missing_education},
      {v1::CORE_FIELD_EXPERIENCE, count.missing_experience},
      {v1::CORE_FIELD_AVAILABILITY, count.missing_availability},
      {v1::CORE_FIELD_TRAVEL_DISTANCE, count.missing_travel_distance},
      {v1::CORE_FIELD_AFFINITIES, count.missing_affinities},
  };
  std::vector<v1::CoreField> missing;
  for (const auto& [field, count_missing] : fields) {
    if (count_missing > 0) missing.push_back(field);
  }
  return missing;
}

// Dutch, as the completeness page names the fields.
const char* CoreFieldName(v1::CoreField field) {
  switch (field) {
    case v1::CORE_FIELD_EDUCATION:
      return "opleiding";
    case v1::CORE_FIELD_EXPERIENCE:
      return "werkervaring";
    case v1::CORE_FIELD_AVAILABILITY:
      return "uren";
    case v1::CORE_FIELD_TRAVEL_DISTANCE:
      return "reisafstand";
    case v1::CORE_FIELD_AFFINITIES:
      return "affiniteiten";
    default:
      return "";
  }
}

}  // namespace

absl::StatusOr<std::vector<v1::WorklistEntry>> WorklistEntries(
    const std::vector<engine::CandidateMatch>& profiles, indexer::IdentityVault& vault) {
  std::vector<v1::WorklistEntry> entries;
  entries.reserve(profiles.size());
  for (const engine::CandidateMatch& profile : profiles) {
    absl::StatusOr<std::optional<indexer::VaultEntry>> link = vault.Lookup(profile.profile_id);
    if (!link.ok()) return link.status();
    if (!link->has_value()) continue;
    v1::WorklistEntry& entry = entries.emplace_back();
    entry.set_client_number((*link)->client_number);
    for (v1::CoreField field : MissingCoreFields(profile.record)) entry.add_missing(field);
    if (profile.record.availability_confirmed_day.has_value()) {
      indexer::SetDateOfDay(*profile.record.availability_confirmed_day, /*with_day=*/true,
                            *entry.mutable_availability_confirmed_on());
    }
    entry.set_availability_unconfirmed(profile.availability_unconfirmed);
  }
  std::sort(entries.begin(), entries.end(),
            [](const auto& a, const auto& b) { return a.client_number() < b.client_number(); });
  return entries;
}

std::string WorklistCsv(const std::vector<v1::WorklistEntry>& entries) {
  std::string csv = kSpreadsheetCsvStart;
  AppendSpreadsheetRow(
      {"klantnummer", "ontbreekt", "beschikbaarheid_bevestigd_op", "niet_recent_bevestigd"}, &csv);
  for (const v1::WorklistEntry& entry : entries) {
    std::vector<std::string> missing;
    for (int field : entry.missing()) {
      missing.push_back(CoreFieldName(static_cast<v1::CoreField>(field)));
    }
    const v1::Date& confirmed = entry.availability_confirmed_on();
    AppendSpreadsheetRow(
        {entry.client_number(), absl::StrJoin(missing, ", "),
         entry.has_availability_confirmed_on() ? absl::StrFormat("%04d-%02d-%02d", confirmed.year(),
                                                                 confirmed.month(), confirmed.day())
                                               : "nooit",
         entry.availability_unconfirmed() ? "ja" : "nee"},
        &csv);
  }
  return csv;
}

}  // namespace verkenner::service
