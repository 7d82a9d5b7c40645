#include "service/rpc/access_report.h"

#include <map>
#include <optional>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "service/rpc/environment.h"
#include "service/rpc/spreadsheet_csv.h"
#include "service/store/accounts.h"
#include "service/store/records.h"

namespace verkenner::service {
namespace {

// What each audited action means for the candidate, in Dutch; actions not listed are shown by
// their code.
const std::map<std::string, std::string>& Descriptions() {
  static const auto* descriptions = new std::map<std::string, std::string>{
      {"view_profile", "bekeek het profiel"},
      {"save_profile", "bewaarde het profiel"},
      {"create_contact_request", "vroeg contact aan"},
      {"withdraw_contact_request", "trok de contactaanvraag in"},
      {"claim_contact_request", "nam de contactaanvraag in behandeling"},
      {"take_over_contact_request", "nam de contactaanvraag over"},
      {"update_contact_request_status", "wijzigde de status van de contactaanvraag"},
      {"add_contact_request_note", "schreef een notitie bij de contactaanvraag"},
      {"add_shortlist_entry", "zette het profiel op een shortlist"},
      {"export_shortlist", "exporteerde een shortlist met het profiel"},
      {"resolve_identity", "vroeg op wie de kandidaat is"},
      {"hide_profile", "verborg het profiel voor werkgevers"},
      {"show_profile", "toonde het profiel weer aan werkgevers"},
      {"confirm_availability", "bevestigde de beschikbaarheid"},
      {"get_candidate_visibility", "bekeek of het profiel zichtbaar is"},
      {"access_report", "vroeg dit inzageoverzicht op"},
      {"export_access_report", "downloadde dit inzageoverzicht"},
  };
  return *descriptions;
}

// The organisation an account acts for, as the candidate would know it.
std::string OrganisationOf(const AccountRecord& account,
                           const engine::ReferenceData& reference_data) {
  switch (account.role) {
    case v1::ACCOUNT_ROLE_WSP_ACCOUNT_MANAGER: {
      const engine::LabourMarketRegion* region = reference_data.FindRegion(account.region_code);
      return absl::StrCat("Werkgeversservicepunt ",
                          region != nullptr ? region->name : account.region_code);
    }
    case v1::ACCOUNT_ROLE_IMPORTER: {
      if (account.source == "UWV") return "UWV";
      const engine::Municipality* municipality = reference_data.FindMunicipality(account.source);
      return municipality != nullptr ? absl::StrCat("Gemeente ", municipality->name)
                                     : account.source;
    }
    case v1::ACCOUNT_ROLE_ADMIN:
      return "Beheer Verkenner";
    default:
      return account.organisation;
  }
}

// The purpose of a row: the one stated with it, or a contact request's vacancy title.
absl::StatusOr<std::string> PurposeOf(sql::Connection& db, const AuditEntry& row) {
  if (!row.purpose.empty()) return row.purpose;
  if (row.action != "create_contact_request") return std::string();
  absl::StatusOr<std::optional<StoredContactRequest>> request =
      LoadContactRequest(db, row.resource.substr(row.resource.find('/') + 1));
  if (!request.ok()) return request.status();
  if (!request->has_value()) return std::string();
  return absl::StrCat("vacature: ", (*request)->request.vacancy().title());
}

}  // namespace

absl::StatusOr<std::vector<v1::AccessReportEntry>> AccessReportOf(
    sql::Connection& db, const std::string& profile_id,
    const engine::ReferenceData& reference_data) {
  absl::StatusOr<std::vector<AuditEntry>> rows = SuccessfulAuditOfProfile(db, profile_id);
  if (!rows.ok()) return rows.status();
  std::map<std::string, std::optional<AccountRecord>> accounts;
  std::vector<v1::AccessReportEntry> entries;
  for (const AuditEntry& row : *rows) {
    auto [known, added] = accounts.try_emplace(row.account_id);
    if (added) {
      absl::StatusOr<std::optional<AccountRecord>> account = FindAccount(db, row.account_id);
      if (!account.ok()) return account.status();
      known->second = std::move(*account);
    }
    v1::AccessReportEntry& entry = entries.emplace_back();
    SetTimestamp(row.time_micros, entry.mutable_time());
    if (known->second.has_value()) {
      entry.set_organisation(OrganisationOf(*known->second, reference_data));
      entry.set_role(known->second->role);
    }
    entry.set_action(row.action);
    const auto description = Descriptions().find(row.action);
    entry.set_description(description != Descriptions().end() ? description->second : row.action);
    absl::StatusOr<std::string> purpose = PurposeOf(db, row);
    if (!purpose.ok()) return purpose.status();
    entry.set_purpose(*std::move(purpose));
  }
  return entries;
}

std::string AccessReportCsv(const std::vector<v1::AccessReportEntry>& entries) {
  static const auto* roles = new std::map<int, std::string>{
      {v1::ACCOUNT_ROLE_EMPLOYER, "werkgever"},
      {v1::ACCOUNT_ROLE_WSP_ACCOUNT_MANAGER, "werkgeversservicepunt"},
      {v1::ACCOUNT_ROLE_IMPORTER, "gemeente of UWV"},
      {v1::ACCOUNT_ROLE_ADMIN, "beheer"},
  };
  std::string csv = kSpreadsheetCsvStart;
  AppendSpreadsheetRow({"datum", "organisatie", "rol", "handeling", "doel"}, &csv);
  for (const v1::AccessReportEntry& entry : entries) {
    const auto role = roles->find(entry.role());
    AppendSpreadsheetRow(
        {absl::FormatTime("%Y-%m-%d %H:%M", absl::FromUnixMicros(MicrosOf(entry.time())),
                          AmsterdamTimeZone()),
         entry.organisation(), role != roles->end() ? role->second : "", entry.description(),
         entry.purpose()},
        &csv);
  }
  return csv;
}

}  // namespace verkenner::service
