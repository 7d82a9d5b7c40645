#ifndef VERKENNER_INDEXER_IMPORT_FLAGS_H_
#define VERKENNER_INDEXER_IMPORT_FLAGS_H_

#include "absl/flags/declare.h"
#include "base/command_line/command_line.h"
#include "indexer/profile_anonymizer.h"

// The settings every program that imports shares, under one name each: verkenner-index and
// verkenner-server (its imports through the API) define them here, once, so that an import
// through the server keeps the operator's choice instead of its own default (issue 18).
ABSL_DECLARE_FLAG(int, retention_years);
ABSL_DECLARE_FLAG(int, k);

namespace verkenner::indexer {

struct ImportSettings {
  RetentionRule retention;
  int disclosure_k = 0;  // ImportJob::Options::disclosure_k
};

// --retention_years and --k, checked against the limits their help states (exit 2 otherwise).
ImportSettings ImportSettingsFromFlags(const command_line::Program& program);

}  // namespace verkenner::indexer

#endif  // VERKENNER_INDEXER_IMPORT_FLAGS_H_
