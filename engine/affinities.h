#ifndef VERKENNER_ENGINE_AFFINITIES_H_
#define VERKENNER_ENGINE_AFFINITIES_H_

#include <array>
#include <optional>
#include <string_view>

namespace verkenner::engine {

// The affinity vocabulary: the kinds of work a person likes, as docs/import-format.md lists
// them. One list for the import (validation and anonymisation), the index's affinity facet and
// the search API's checks, so that a value is treated the same wherever it arrives. It is the
// project's own code list, not third-party reference data, so it lives here and not in
// $VERKENNER_REFDATA.
inline constexpr std::array<std::string_view, 15> kAffinityCodes = {
    "buiten_werken", "binnen_werken", "dieren", "techniek", "zorg",
    "schoonmaak",    "logistiek",     "horeca", "groen",    "administratie",
    "detailhandel",  "productie",     "ict",    "creatief", "koken"};

// The affinity code `text` stands for: a code itself or one of the documented aliases
// (docs/import-format.md, "Affinities"), compared with ASCII letters folded to lower case and
// spaces and hyphens read as underscores, ignoring white space around it. nullopt when it is
// neither, which callers report (an import rejects the row, the API answers InvalidArgument):
// an unknown affinity is never kept or dropped silently. Thread-safe.
std::optional<std::string_view> CanonicalAffinity(std::string_view text);

}  // namespace verkenner::engine

#endif  // VERKENNER_ENGINE_AFFINITIES_H_
