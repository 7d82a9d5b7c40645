#include "engine/affinities.h"

#include <algorithm>
#include <string>
#include <utility>

#include "absl/strings/ascii.h"

namespace verkenner::engine {
namespace {

// Other words sources use for the same kinds of work; docs/import-format.md lists them, keep
// the two in step.
constexpr std::pair<std::string_view, std::string_view> kAffinityAliases[] = {
    {"buiten", "buiten_werken"},
    {"buitenwerk", "buiten_werken"},
    {"binnen", "binnen_werken"},
    {"binnenwerk", "binnen_werken"},
    {"dierenverzorging", "dieren"},
    {"technisch", "techniek"},
    {"verzorging", "zorg"},
    {"zorg_en_welzijn", "zorg"},
    {"schoonmaken", "schoonmaak"},
    {"magazijn", "logistiek"},
    {"groenvoorziening", "groen"},
    {"kantoor", "administratie"},
    {"administratief", "administratie"},
    {"winkel", "detailhandel"},
    {"fabriek", "productie"},
    {"it", "ict"},
    {"keuken", "koken"},
};

// Longer than any code or alias: no need to fold what cannot match.
constexpr size_t kMaxAffinityText = 40;

}  // namespace

std::optional<std::string_view> CanonicalAffinity(std::string_view text) {
  // Debian's Abseil has its own string_view.
  const absl::string_view stripped =
      absl::StripAsciiWhitespace(absl::string_view(text.data(), text.size()));
  text = std::string_view(stripped.data(), stripped.size());
  if (text.empty() || text.size() > kMaxAffinityText) return std::nullopt;
  std::string key(text);
  for (char& c : key) {
    c = (c == ' ' || c == '-') ? '_' : absl::ascii_tolower(static_cast<unsigned char>(c));
  }
  if (auto code = std::find(kAffinityCodes.begin(), kAffinityCodes.end(), key);
      code != kAffinityCodes.end()) {
    return *code;
  }
  for (const auto& [alias, code] : kAffinityAliases) {
    if (alias == key) return code;
  }
  return std::nullopt;
}

}  // namespace verkenner::engine
