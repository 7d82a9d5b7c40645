#include "indexer/import_flags.h"

#include "absl/flags/flag.h"
#include "engine/disclosure_control.h"

ABSL_FLAG(int, retention_years, 2,
          "profiles are kept until 31 December of this many calendar years after the register "
          "end date (0 to 100)");
ABSL_FLAG(int, k, verkenner::engine::kDefaultMinimumGroupSize,
          "every shown combination of area and education holds at least k profiles: a "
          "municipality or education level is shown only where its group is that large; "
          "otherwise the arbeidsmarktregio, the education band, or no education (2 to 1000)");

namespace verkenner::indexer {

ImportSettings ImportSettingsFromFlags(const command_line::Program& program) {
  command_line::RequireInRange(program, FLAGS_retention_years, 0, 100);
  command_line::RequireInRange(program, FLAGS_k, 2, 1000);
  ImportSettings settings;
  settings.retention.calendar_years_after_end = absl::GetFlag(FLAGS_retention_years);
  settings.disclosure_k = absl::GetFlag(FLAGS_k);
  return settings;
}

}  // namespace verkenner::indexer
