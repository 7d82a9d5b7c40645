#ifndef VERKENNER_SERVICE_RPC_SPREADSHEET_CSV_H_
#define VERKENNER_SERVICE_RPC_SPREADSHEET_CSV_H_

#include <string>
#include <string_view>
#include <vector>

namespace verkenner::service {

// CSV files that Dutch spreadsheet programs open as meant: ';'-separated, UTF-8 announced by a
// byte order mark, CRLF line ends, and no cell run as a formula. Used by every export the API
// offers (shortlists, rejected import rows).

// The byte order mark that starts such a file: it tells Excel the file is UTF-8.
inline constexpr char kSpreadsheetCsvStart[] = "\xEF\xBB\xBF";

// Appends one record. A cell starting with "=", "+", "-" or "@" (or tab or carriage return, which
// some spreadsheets skip before looking for one) gets a "'" so that it stays text; a cell holding
// a separator, a quote or a line break is quoted (RFC 4180).
void AppendSpreadsheetRow(const std::vector<std::string>& cells, std::string* out);

}  // namespace verkenner::service

#endif  // VERKENNER_SERVICE_RPC_SPREADSHEET_CSV_H_
