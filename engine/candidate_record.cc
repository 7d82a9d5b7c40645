#include "engine/candidate_record.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "engine/schema.h"

namespace verkenner::engine {
namespace {

void AddNumber(Xapian::Document& document, Xapian::valueno slot, std::optional<double> value) {
  if (value.has_value()) document.add_value(slot, Xapian::sortable_serialise(*value));
}

std::optional<double> ReadNumber(const Xapian::Document& document, Xapian::valueno slot) {
  std::string value = document.get_value(slot);
  if (value.empty()) return std::nullopt;
  return Xapian::sortable_unserialise(value);
}

std::optional<int> ReadInt(const Xapian::Document& document, Xapian::valueno slot) {
  std::optional<double> value = ReadNumber(document, slot);
  if (!value.has_value()) return std::nullopt;
  return static_cast<int>(*value);
}

}  // namespace

double CandidateRecord::Completeness() const {
  int known = education_known() + experience_known() + availability_known() +
              travel_distance_known() + affinities_known();
  return known / 5.0;
}

int CandidateRecord::TotalExperienceMonths() const {
  int months = 0;
  for (const ExperienceEntry& entry : experience) months += entry.months;
  return months;
}

std::string EncodeExperience(const std::vector<ExperienceEntry>& experience) {
  std::vector<std::string> entries;
  entries.reserve(experience.size());
  for (const ExperienceEntry& entry : experience) {
    // Labels are ESCO labels or scrubbed text; '~' and '\n' cannot occur in them after
    // validation, but strip them anyway so a record can never corrupt its neighbours.
    auto clean = [](std::string text) {
      for (char& c : text) {
        if (c == '~' || c == '\n') c = ' ';
      }
      return text;
    };
    entries.push_back(absl::StrCat(entry.esco_code, "~", entry.isco_code, "~", entry.months, "~",
                                   entry.last_year, "~", clean(entry.sector), "~",
                                   clean(entry.label)));
  }
  return absl::StrJoin(entries, "\n");
}

std::vector<ExperienceEntry> DecodeExperience(const std::string& encoded) {
  std::vector<ExperienceEntry> experience;
  if (encoded.empty()) return experience;
  for (absl::string_view line : absl::StrSplit(encoded, '\n')) {
    std::vector<std::string> parts = absl::StrSplit(line, absl::MaxSplits('~', 5));
    if (parts.size() != 6) continue;
    ExperienceEntry entry{parts[0], parts[1], parts[5], parts[4]};
    if (!absl::SimpleAtoi(parts[2], &entry.months) ||
        !absl::SimpleAtoi(parts[3], &entry.last_year)) {
      continue;
    }
    experience.push_back(std::move(entry));
  }
  return experience;
}

Xapian::Document BuildDocument(const CandidateRecord& record, Xapian::TermGenerator& generator) {
  using namespace schema;
  Xapian::Document document;
  document.set_data(record.display_payload);
  document.add_boolean_term(ProfileIdTerm(record.profile_id));
  document.add_boolean_term(std::string(kPrefixSource) + record.source);
  // Which core fields are known follows from the values (an absent value is unknown), so no
  // terms record it: every term costs import time in every document.
  if (record.education_known()) document.add_value(kSlotEducationCode, record.education_code);
  if (!record.affinities.empty()) {
    document.add_value(kSlotAffinities, absl::StrJoin(record.affinities, " "));
  }
  if (record.driving_licence.has_value()) {
    document.add_value(kSlotDrivingLicence, *record.driving_licence ? "1" : "0");
  }

  generator.set_document(document);
  for (const ExperienceEntry& entry : record.experience) {
    generator.index_text_without_positions(entry.label);
    generator.increase_termpos();
  }
  for (const std::string& skill : record.skills) {
    generator.index_text_without_positions(skill);
    generator.increase_termpos();
  }
  for (const std::string& diploma : record.diplomas) {
    generator.index_text_without_positions(diploma);
    generator.increase_termpos();
  }
  generator.index_text_without_positions(record.wishes);

  AddNumber(document, kSlotLatitude, record.home.lat);
  AddNumber(document, kSlotLongitude, record.home.lon);
  AddNumber(document, kSlotMaxTravelKm, record.max_travel_km);
  AddNumber(document, kSlotHoursMin, record.hours_min);
  AddNumber(document, kSlotHoursMax, record.hours_max);
  AddNumber(document, kSlotEducationOrdinal, record.education_ordinal);
  AddNumber(document, kSlotUpdatedDay, static_cast<double>(record.updated_day));
  AddNumber(document, kSlotRetainUntilDay, static_cast<double>(record.retain_until_day));
  AddNumber(document, kSlotExperienceMonths, record.TotalExperienceMonths());
  AddNumber(document, kSlotCompleteness, record.Completeness());
  if (record.days_known())
    document.add_value(kSlotDays, std::string(1, static_cast<char>(record.days)));
  if (record.available_from_day.has_value()) {
    AddNumber(document, kSlotAvailableFromDay, static_cast<double>(*record.available_from_day));
  }
  document.add_value(kSlotRegionCode, record.region_code);
  document.add_value(kSlotMunicipalityCode, record.municipality_code);
  if (!record.experience.empty()) {
    document.add_value(kSlotExperience, EncodeExperience(record.experience));
  }
  return document;
}

CandidateRecord ReadRecord(const Xapian::Document& document) {
  using namespace schema;
  CandidateRecord record;
  record.display_payload = document.get_data();
  record.home.lat = ReadNumber(document, kSlotLatitude).value_or(0);
  record.home.lon = ReadNumber(document, kSlotLongitude).value_or(0);
  record.max_travel_km = ReadInt(document, kSlotMaxTravelKm);
  record.hours_min = ReadInt(document, kSlotHoursMin);
  record.hours_max = ReadInt(document, kSlotHoursMax);
  record.education_ordinal = ReadInt(document, kSlotEducationOrdinal);
  record.education_code = document.get_value(kSlotEducationCode);
  record.updated_day = static_cast<int64_t>(ReadNumber(document, kSlotUpdatedDay).value_or(0));
  record.retain_until_day =
      static_cast<int64_t>(ReadNumber(document, kSlotRetainUntilDay).value_or(0));
  record.region_code = document.get_value(kSlotRegionCode);
  if (const std::string days = document.get_value(kSlotDays); days.size() == 1) {
    record.days = static_cast<uint8_t>(days[0]) & 0x7f;
  }
  if (std::optional<double> from = ReadNumber(document, kSlotAvailableFromDay)) {
    record.available_from_day = static_cast<int64_t>(*from);
  }
  record.municipality_code = document.get_value(kSlotMunicipalityCode);
  record.affinities = absl::StrSplit(document.get_value(kSlotAffinities), ' ', absl::SkipEmpty());
  if (const std::string licence = document.get_value(kSlotDrivingLicence); !licence.empty()) {
    record.driving_licence = licence == "1";
  }
  record.experience = DecodeExperience(document.get_value(kSlotExperience));

  // One pass over the term list: each restart would read and decompress it again.
  auto has_prefix = [](const std::string& term, const char* prefix, std::string& rest) {
    const size_t length = std::char_traits<char>::length(prefix);
    if (term.compare(0, length, prefix) != 0) return false;
    rest = term.substr(length);
    return true;
  };
  std::string rest;
  for (auto term = document.termlist_begin(); term != document.termlist_end(); ++term) {
    const std::string& name = *term;
    if (name.empty()) continue;
    // Terms are sorted bytewise: text starting with a digit comes before the upper-case
    // prefixes, text starting with a letter (lower case or accented) after them.
    if (name[0] >= 'a' || static_cast<unsigned char>(name[0]) >= 0x80) break;
    if (name[0] < 'A' || name[0] > 'Z') continue;
    if (has_prefix(name, kPrefixProfileId, rest)) {
      record.profile_id = rest;
    } else if (has_prefix(name, kPrefixSource, rest)) {
      record.source = rest;
    }
  }
  return record;
}

}  // namespace verkenner::engine
