#ifndef VERKENNER_SERVICE_RPC_ACCESS_REPORT_H_
#define VERKENNER_SERVICE_RPC_ACCESS_REPORT_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "base/sql/connection.h"
#include "engine/refdata/reference_data.h"
#include "verkenner/v1/candidate_rights.pb.h"

// The candidate's right of access (AVG art. 15; CandidateRightsService.GetAccessReport): which
// organisations received their profile, when, and why, from the audit log.
namespace verkenner::service {

// The report of `profile_id` from the store's audit log: every successful action on the profile,
// oldest first, by organisation (never by person: the accounts' names stay out), with a Dutch
// description and the purpose where one was stated (an identity look-up's, a hiding's reason, a
// contact request's vacancy title). Errors: the store's.
absl::StatusOr<std::vector<v1::AccessReportEntry>> AccessReportOf(
    sql::Connection& db, const std::string& profile_id,
    const engine::ReferenceData& reference_data);

// The report as a spreadsheet CSV file (spreadsheet_csv.h) with a header row:
// datum;organisatie;rol;handeling;doel. Dates and times in Europe/Amsterdam.
std::string AccessReportCsv(const std::vector<v1::AccessReportEntry>& entries);

}  // namespace verkenner::service

#endif  // VERKENNER_SERVICE_RPC_ACCESS_REPORT_H_
