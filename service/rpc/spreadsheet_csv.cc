#include "service/rpc/spreadsheet_csv.h"

#include "indexer/source_format.h"

namespace verkenner::service {

void AppendSpreadsheetRow(const std::vector<std::string>& cells, std::string* out) {
  for (size_t i = 0; i < cells.size(); ++i) {
    if (i > 0) out->push_back(';');
    const std::string& value = cells[i];
    // The formula guard; the quoting is the import format's own (RFC 4180).
    if (!value.empty() && std::string_view("=+-@\t\r").find(value.front()) != std::string::npos) {
      indexer::AppendCsvCell("'" + value, ';', out);
    } else {
      indexer::AppendCsvCell(value, ';', out);
    }
  }
  out->append("\r\n");
}

}  // namespace verkenner::service
