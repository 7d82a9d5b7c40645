#include "engine/schema.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace verkenner::engine::schema {

std::string EncodeSourcePosition(const SourcePosition& position) {
  return absl::StrCat(position.source, " ", position.revision, " ", position.own_revision);
}

std::optional<SourcePosition> DecodeSourcePosition(std::string_view text) {
  const std::vector<std::string> parts =
      absl::StrSplit(absl::string_view(text.data(), text.size()), ' ');
  SourcePosition position;
  if (parts.size() != 3 || parts[0].empty() || !absl::SimpleAtoi(parts[1], &position.revision) ||
      !absl::SimpleAtoi(parts[2], &position.own_revision)) {
    return std::nullopt;
  }
  position.source = parts[0];
  return position;
}

std::string EncodePublishedMarker(const PublishedMarker& marker) {
  return absl::StrCat(marker.lineage, ":", marker.sequence, "@", marker.revision);
}

std::optional<PublishedMarker> DecodePublishedMarker(std::string_view text) {
  const size_t colon = text.find(':');
  const size_t at = text.rfind('@');
  PublishedMarker marker;
  if (colon == std::string_view::npos || colon == 0 || at == std::string_view::npos || at < colon ||
      !absl::SimpleAtoi(absl::string_view(text.data() + colon + 1, at - colon - 1),
                        &marker.sequence) ||
      !absl::SimpleAtoi(absl::string_view(text.data() + at + 1, text.size() - at - 1),
                        &marker.revision)) {
    return std::nullopt;
  }
  marker.lineage = std::string(text.substr(0, colon));
  return marker;
}

std::string PublishedStateName(const std::vector<Xapian::Database>& shards) {
  std::optional<PublishedMarker> common;
  for (const Xapian::Database& shard : shards) {
    const std::optional<PublishedMarker> marker =
        DecodePublishedMarker(shard.get_metadata(kPublishedKey));
    if (!marker.has_value()) return "";
    const uint32_t own = static_cast<uint32_t>(shard.get_revision());
    uint32_t held = own;
    const std::optional<SourcePosition> position =
        DecodeSourcePosition(shard.get_metadata(kSourceRevisionKey));
    if (position.has_value() && position->own_revision == own) held = position->revision;
    if (held != marker->revision) return "";
    if (common.has_value() &&
        (common->lineage != marker->lineage || common->sequence != marker->sequence)) {
      return "";
    }
    common = marker;
  }
  return common.has_value() ? absl::StrCat("p", common->lineage, ".", common->sequence) : "";
}

}  // namespace verkenner::engine::schema
