#include "engine/candidate_record.h"

#include <cstring>
#include <limits>

#include "engine/schema.h"
#include "engine/text_analysis.h"

namespace verkenner::engine {
namespace {

// Which optional fields a packed record holds, in its first varint.
enum PresentField : uint32_t {
  kMaxTravelKm = 1 << 0,
  kHoursMin = 1 << 1,
  kHoursMax = 1 << 2,
  kEducationOrdinal = 1 << 3,
  kAvailableFromDay = 1 << 4,
  kDrivingLicenceKnown = 1 << 5,
  kHasDrivingLicence = 1 << 6,
  kHiddenAtSource = 1 << 7,
  kAvailabilityConfirmedDay = 1 << 8,
};

// LEB128 varints, zigzag for signed numbers, length-prefixed strings, raw little-endian doubles.
class FieldWriter {
 public:
  explicit FieldWriter(std::string& out) : out_(out) {}
  void Unsigned(uint64_t value) {
    while (value >= 0x80) {
      out_.push_back(static_cast<char>((value & 0x7f) | 0x80));
      value >>= 7;
    }
    out_.push_back(static_cast<char>(value));
  }
  void Signed(int64_t value) {
    Unsigned((static_cast<uint64_t>(value) << 1) ^ static_cast<uint64_t>(value >> 63));
  }
  void Double(double value) {
    char bytes[sizeof(double)];
    std::memcpy(bytes, &value, sizeof(double));
    out_.append(bytes, sizeof(double));
  }
  void Text(std::string_view text) {
    Unsigned(text.size());
    out_.append(text);
  }

 private:
  std::string& out_;
};

// Reads what FieldWriter wrote; after the first malformed read every read fails.
class FieldReader {
 public:
  explicit FieldReader(std::string_view in) : in_(in) {}
  bool ok() const { return ok_; }
  bool at_end() const { return in_.empty(); }
  uint64_t Unsigned() {
    uint64_t value = 0;
    for (int shift = 0; shift < 64 && !in_.empty(); shift += 7) {
      const uint8_t byte = static_cast<uint8_t>(in_.front());
      in_.remove_prefix(1);
      value |= static_cast<uint64_t>(byte & 0x7f) << shift;
      if ((byte & 0x80) == 0) return value;
    }
    ok_ = false;
    return 0;
  }
  int64_t Signed() {
    const uint64_t value = Unsigned();
    return static_cast<int64_t>((value >> 1) ^ (~(value & 1) + 1));
  }
  int Int() {
    const int64_t value = Signed();
    if (value < std::numeric_limits<int>::min() || value > std::numeric_limits<int>::max()) {
      ok_ = false;
      return 0;
    }
    return static_cast<int>(value);
  }
  double Double() {
    double value = 0;
    if (in_.size() < sizeof(double)) {
      ok_ = false;
      return value;
    }
    std::memcpy(&value, in_.data(), sizeof(double));
    in_.remove_prefix(sizeof(double));
    return value;
  }
  void Text(std::string& text) {
    const uint64_t size = Unsigned();
    if (!ok_ || size > in_.size()) {
      ok_ = false;
      text.clear();
      return;
    }
    text.assign(in_.data(), size);
    in_.remove_prefix(size);
  }
  // A count of items that take at least one byte each, so a corrupt count cannot make the
  // caller allocate more than the value's size.
  size_t Count() {
    const uint64_t count = Unsigned();
    if (count > in_.size()) ok_ = false;
    return ok_ ? static_cast<size_t>(count) : 0;
  }

 private:
  std::string_view in_;
  bool ok_ = true;
};

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

std::string EncodeSearchFields(const CandidateRecord& record) {
  uint32_t present = 0;
  if (record.max_travel_km.has_value()) present |= kMaxTravelKm;
  if (record.hours_min.has_value()) present |= kHoursMin;
  if (record.hours_max.has_value()) present |= kHoursMax;
  if (record.education_ordinal.has_value()) present |= kEducationOrdinal;
  if (record.available_from_day.has_value()) present |= kAvailableFromDay;
  if (record.driving_licence.has_value()) {
    present |= kDrivingLicenceKnown;
    if (*record.driving_licence) present |= kHasDrivingLicence;
  }
  if (record.hidden_at_source) present |= kHiddenAtSource;
  if (record.availability_confirmed_day.has_value()) present |= kAvailabilityConfirmedDay;
  std::string encoded;
  encoded.reserve(128);
  FieldWriter out(encoded);
  out.Unsigned(present);
  out.Double(record.home.lat);
  out.Double(record.home.lon);
  out.Unsigned(record.days);
  out.Signed(record.updated_day);
  out.Signed(record.retain_until_day);
  if (present & kMaxTravelKm) out.Signed(*record.max_travel_km);
  if (present & kHoursMin) out.Signed(*record.hours_min);
  if (present & kHoursMax) out.Signed(*record.hours_max);
  if (present & kEducationOrdinal) out.Signed(*record.education_ordinal);
  if (present & kAvailableFromDay) out.Signed(*record.available_from_day);
  if (present & kAvailabilityConfirmedDay) out.Signed(*record.availability_confirmed_day);
  out.Text(record.municipality_code);
  out.Text(record.region_code);
  out.Text(record.education_code);
  out.Unsigned(record.affinities.size());
  for (const std::string& affinity : record.affinities) out.Text(affinity);
  out.Unsigned(record.experience.size());
  for (const ExperienceEntry& entry : record.experience) {
    out.Text(entry.esco_code);
    out.Text(entry.isco_code);
    out.Text(entry.label);
    out.Text(entry.sector);
    out.Signed(entry.months);
    out.Signed(entry.last_year);
  }
  return encoded;
}

bool DecodeSearchFields(std::string_view encoded, CandidateRecord& record) {
  FieldReader in(encoded);
  const uint64_t present = in.Unsigned();
  record.home.lat = in.Double();
  record.home.lon = in.Double();
  record.days = static_cast<uint8_t>(in.Unsigned() & 0x7f);
  record.updated_day = in.Signed();
  record.retain_until_day = in.Signed();
  auto optional_int = [&](uint32_t field, std::optional<int>& value) {
    if (present & field) {
      value = in.Int();
    } else {
      value.reset();
    }
  };
  optional_int(kMaxTravelKm, record.max_travel_km);
  optional_int(kHoursMin, record.hours_min);
  optional_int(kHoursMax, record.hours_max);
  optional_int(kEducationOrdinal, record.education_ordinal);
  if (present & kAvailableFromDay) {
    record.available_from_day = in.Signed();
  } else {
    record.available_from_day.reset();
  }
  if (present & kAvailabilityConfirmedDay) {
    record.availability_confirmed_day = in.Signed();
  } else {
    record.availability_confirmed_day.reset();
  }
  if (present & kDrivingLicenceKnown) {
    record.driving_licence = (present & kHasDrivingLicence) != 0;
  } else {
    record.driving_licence.reset();
  }
  record.hidden_at_source = (present & kHiddenAtSource) != 0;
  in.Text(record.municipality_code);
  in.Text(record.region_code);
  in.Text(record.education_code);
  record.affinities.resize(in.Count());
  for (std::string& affinity : record.affinities) in.Text(affinity);
  record.experience.resize(in.Count());
  for (ExperienceEntry& entry : record.experience) {
    in.Text(entry.esco_code);
    in.Text(entry.isco_code);
    in.Text(entry.label);
    in.Text(entry.sector);
    entry.months = in.Int();
    entry.last_year = in.Int();
  }
  return in.ok() && in.at_end();
}

Xapian::Document BuildDocument(const CandidateRecord& record, Xapian::TermGenerator& generator) {
  using namespace schema;
  Xapian::Document document;
  document.add_boolean_term(ProfileIdTerm(record.profile_id));
  document.add_boolean_term(std::string(kPrefixSource) + record.source);
  document.add_value(kSlotSearchFields, EncodeSearchFields(record));
  if (!record.display_payload.empty()) {
    document.add_value(kSlotDisplayPayload, record.display_payload);
  }

  // Each text with the parts of its compound words (TextAnalysis::WithWordParts), so that a
  // vacancy's "medewerker magazijn" finds a "magazijnmedewerker".
  generator.set_document(document);
  for (const ExperienceEntry& entry : record.experience) {
    generator.index_text_without_positions(TextAnalysis::WithWordParts(entry.label));
    generator.increase_termpos();
  }
  for (const std::string& skill : record.skills) {
    generator.index_text_without_positions(TextAnalysis::WithWordParts(skill));
    generator.increase_termpos();
  }
  for (const std::string& diploma : record.diplomas) {
    generator.index_text_without_positions(TextAnalysis::WithWordParts(diploma));
    generator.increase_termpos();
  }
  generator.index_text_without_positions(TextAnalysis::WithWordParts(record.wishes));
  return document;
}

CandidateRecord ReadRecord(const Xapian::Document& document) {
  using namespace schema;
  CandidateRecord record;
  // A malformed value leaves defaults behind: the record then matches nothing (retention 0).
  if (!DecodeSearchFields(document.get_value(kSlotSearchFields), record)) record = {};
  record.display_payload = document.get_value(kSlotDisplayPayload);

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
