#include "engine/candidate_index.h"

#include <algorithm>
#include <bit>
#include <chrono>
#include <cmath>
#include <iterator>
#include <limits>
#include <numbers>
#include <optional>
#include <tuple>

#include "engine/affinities.h"
#include "engine/banenafspraak.h"
#include "engine/candidate_record.h"
#include "engine/geo.h"
#include "engine/index_layout.h"
#include "engine/schema.h"

namespace verkenner::engine {
namespace {

// The distance is at least the latitude difference times this (engine/geo.cc's Earth radius).
constexpr double kRadiansPerDegree = std::numbers::pi / 180.0;

// Xapian's BM25Weight defaults, so text scores rank as Xapian's would.
constexpr double kK1 = 1.0;
constexpr double kB = 0.5;
constexpr double kMinNormalisedLength = 0.5;

constexpr const char* kHoursBands[] = {"0-12", "12-20", "20-26", "26-32", "32-40", "onbekend"};
constexpr int kHoursUnknownBand = 5;
int HoursBand(int hours_max) {
  if (hours_max < 0) return kHoursUnknownBand;
  if (hours_max < 12) return 0;
  if (hours_max < 20) return 1;
  if (hours_max < 26) return 2;
  if (hours_max < 32) return 3;
  return 4;
}

// Like the hours and distance bands, each includes its lower end and excludes its upper end.
constexpr const char* kExperienceBands[] = {"0", "1-12", "12-36", "36-120", "120+"};
int ExperienceBand(int months) {
  if (months <= 0) return 0;
  if (months < 12) return 1;
  if (months < 36) return 2;
  if (months < 120) return 3;
  return 4;
}

constexpr const char* kUnknownFacetValue = "onbekend";

template <typename T>
int64_t VectorBytes(const std::vector<T>& values) {
  return static_cast<int64_t>(values.capacity() * sizeof(T));
}

// Index of values in a table, appending new ones; the table stays a plain vector for searches.
class Interner {
 public:
  explicit Interner(std::vector<std::string>& table) : table_(table) {
    for (size_t i = 0; i < table_.size(); ++i) index_.emplace(table_[i], static_cast<int>(i));
  }
  int operator()(const std::string& value) {
    auto [it, inserted] = index_.try_emplace(value, static_cast<int>(table_.size()));
    if (inserted) table_.push_back(value);
    return it->second;
  }

 private:
  std::vector<std::string>& table_;
  std::unordered_map<std::string, int> index_;
};

// Sorts keys (row << 32 | position) by row. Posting lists hold up to every row, so a two-pass
// radix sort on the row bits beats a comparison sort for the long ones.
void SortKeysByRow(std::vector<uint64_t>& keys, std::vector<uint64_t>& buffer, size_t rows) {
  constexpr int kBits = 11;
  constexpr size_t kBuckets = size_t{1} << kBits;
  if (keys.size() < 4 * kBuckets || rows > (size_t{1} << (2 * kBits))) {
    std::sort(keys.begin(), keys.end());
    return;
  }
  buffer.resize(keys.size());
  for (int pass = 0; pass < 2; ++pass) {
    const int shift = 32 + pass * kBits;
    std::array<size_t, kBuckets + 1> start{};
    for (uint64_t key : keys) ++start[((key >> shift) & (kBuckets - 1)) + 1];
    for (size_t b = 1; b <= kBuckets; ++b) start[b] += start[b - 1];
    for (uint64_t key : keys) buffer[start[(key >> shift) & (kBuckets - 1)]++] = key;
    keys.swap(buffer);
  }
}

// Per-thread scratch space of Match(), sized to the largest index seen. A document's entries
// are valid only while its stamp equals the current one, so nothing is cleared between searches.
struct Scratch {
  // One document's state in this search, together so that one cache line holds it.
  struct Slot {
    uint32_t stamp = 0;
    uint8_t admitted = 0;         // passed the hard constraints
    uint8_t unknowns = 0;         // kAvailabilityUnknown | kEducationUnknown
    uint8_t occupation_code = 0;  // index into ResolvedQuery::esco_codes / isco_codes
    uint8_t occupation_related = 0;
    double distance = -1;
    float text = 0;
    float occupation = 0;
  };
  std::vector<Slot> slots;
  uint32_t current = 0;
  std::vector<uint32_t> admitted_documents;
  std::vector<double> area_distance;  // per PC4 area, for this search; NaN until computed

  void Prepare(size_t size, size_t areas) {
    if (slots.size() < size) {
      slots.assign(size, Slot());
      current = 0;
    }
    if (++current == 0) {  // wrapped: forget every old stamp
      for (Slot& slot : slots) slot.stamp = 0;
      current = 1;
    }
    admitted_documents.clear();
    area_distance.assign(areas, std::numeric_limits<double>::quiet_NaN());
  }
  bool Seen(uint32_t document) const { return slots[document].stamp == current; }
};

// One per part of an image: the base and the changes since.
thread_local std::array<Scratch, 2> scratch;

constexpr uint8_t kAvailabilityUnknown = 1;
constexpr uint8_t kEducationUnknown = 2;

}  // namespace

// The columns and posting lists of a set of documents: a whole index state (an image's base), or
// the documents changed since (its delta). Rows are in spatial order; posting lists hold rows.
struct CandidateIndex::Segment {
  struct TextPostings {
    std::vector<uint32_t> documents;  // rows, ascending
    std::vector<uint16_t> wdf;
  };
  struct OccupationPostings {
    std::vector<uint32_t> documents;  // rows, ascending
    std::vector<uint16_t> months;
    std::vector<uint16_t> last_year;
  };

  // The values a search's facet filters allow, as index sets over the column codes.
  struct CompiledFilters {
    bool any = false;
    std::vector<std::vector<bool>> education;   // by education code index
    std::vector<std::vector<bool>> region;      // by region index
    std::vector<std::vector<bool>> hours;       // by hours band
    std::vector<std::vector<bool>> distance;    // by DistanceBand
    std::vector<std::vector<bool>> experience;  // by experience band
    std::vector<uint64_t> affinity;             // any of these bits
  };

  // Sizes every column for `size` document ids (rows come later, in ArrangeSpatially()).
  void AllocateColumns(size_t size);
  // Numbers the distinct home points (PC4 centres) and sets each document's Gate::area.
  void GroupHomeAreas();
  int64_t MemoryBytes() const;
  // After loading: groups home areas, puts the rows in spatial order, and maps slots to docids
  // (`slot_docids`[slot - 1]; empty when the slots are the docids).
  void FinishLoading(const std::vector<Xapian::docid>& slot_docids);
  // Puts the rows in spatial order (latitude strips, then longitude) and the posting lists with
  // them, so that the profiles near a workplace are a few row ranges.
  void ArrangeSpatially();
  // The documents that exist, ordered by latitude strip, then longitude, then docid.
  std::vector<uint32_t> SpatialOrder();
  // Reorders every column by `order` (document ids, in row order) and makes docid_ of it.
  void PermuteColumns(std::vector<uint32_t> order);
  // Replaces document ids by rows in every posting list, keeping each list sorted by row.
  void RenumberPostings(const std::vector<uint32_t>& row_of);
  // Fills strip_begin_ and max_known_reach_km_ for RowsNear().
  void IndexStrips();
  int StripOf(double lat) const;
  // The row ranges [begin, end) of every profile that could travel to `point`.
  std::vector<std::pair<uint32_t, uint32_t>> RowsNear(const GeoPoint& point, double reach_km) const;
  CompiledFilters CompileFilters(const std::vector<FacetFilter>& facet_filters) const;
  bool PassesFilters(const CompiledFilters& filters, uint32_t d, double distance) const;
  // The facet value of education_codes_[code]: the code, or "onbekend" for 0.
  std::string EducationFacetLabel(size_t code) const;
  uint64_t AffinityBit(const std::string& code) const;  // 0 for an unknown code
  uint64_t SectorBit(const std::string& sector) const;  // 0 for a sector nobody worked in

  // What admission reads of a document, together so that one cache line holds it: the hard
  // constraints of a search touch every document its terms reach.
  struct Gate {
    int32_t retain_until_day = 0;  // 0: no such document
    uint32_t area = 0;             // index into area_lat_/area_lon_: the PC4 centre
    int16_t max_travel_km = -1;    // -1 unknown
    int8_t hours_min = -1;         // -1 unknown
    int8_t hours_max = -1;
    int8_t education_ordinal = -1;
    int8_t driving_licence = -1;  // 0 no, 1 yes
  };

  // Columns, indexed by row (while loading: by docid). Rows are in spatial order.
  std::vector<Xapian::docid> docid_;  // of each row
  std::vector<Gate> gate_;
  std::vector<double>
      lat_;  // doubles: distances at a travel limit must come out as geo.h computes them
  std::vector<double> lon_;
  std::vector<uint8_t> education_code_;  // index into education_codes_; 0 is unknown
  std::vector<uint8_t> region_;          // index into regions_
  std::vector<int32_t> experience_months_;
  std::vector<int32_t> updated_day_;
  // The later of updated_day_ and the import's confirmation of the availability: what freshness
  // ranks on (a WSP's later confirmation, ResolvedQuery::confirmed_documents, counts too).
  std::vector<int32_t> fresh_day_;
  std::vector<uint8_t> completeness_;        // percent
  std::vector<uint64_t> affinities_;         // bit per affinity_codes_ entry
  std::vector<uint64_t> sectors_;            // bit per sector_codes_ entry: sectors worked in
  std::vector<uint8_t> days_;                // bit 0 Monday .. bit 6 Sunday; 0 unknown
  std::vector<int32_t> available_from_day_;  // 0: available now
  std::vector<uint16_t> text_length_;        // sum of text wdf, for BM25
  std::vector<double> area_lat_;
  std::vector<double> area_lon_;

  std::vector<std::string> education_codes_;  // [0] = "" (unknown)
  std::vector<std::string> regions_;
  std::vector<std::string> affinity_codes_;
  std::vector<std::string> sector_codes_;  // normalised (refdata NormalizeKey)

  // Rows of latitude strip s (counted from strip_base_) are [strip_begin_[s], strip_begin_[s+1]),
  // in longitude order.
  static constexpr double kStripDegrees = 0.1;
  int strip_base_ = 0;
  std::vector<uint32_t> strip_begin_;
  double max_known_reach_km_ = 0;  // the farthest any profile with a known limit travels

  std::unordered_map<std::string, TextPostings> text_;
  std::unordered_map<std::string, OccupationPostings> occupations_;  // by ESCO code
  std::unordered_map<std::string, OccupationPostings> unit_groups_;  // by ISCO code
  int64_t postings_ = 0;           // loaded: text and occupation entries
  int64_t document_count_ = 0;     // rows: the searchable documents
  int64_t total_text_length_ = 0;  // of every row, for BM25
  // The row of each docid below row_of_docid_.size(), or kNoRow.
  static constexpr uint32_t kNoRow = ~uint32_t{0};
  std::vector<uint32_t> row_of_docid_;
  uint32_t RowOf(Xapian::docid d) const {
    return d < row_of_docid_.size() ? row_of_docid_[d] : kNoRow;
  }
};

namespace {

// Text terms are the unprefixed ones: they start with a digit, a lower-case letter or a
// non-ASCII byte, while every prefix is upper-case ASCII.
bool IsTextTerm(const std::string& term) {
  if (term.empty()) return false;
  const unsigned char first = static_cast<unsigned char>(term[0]);
  return !(first >= 'A' && first <= 'Z');
}

// The searchable record of a document's search fields: false for a malformed one, which stays
// out of every result, and for a profile its source hid (registered, but no employer may find or
// count it).
bool DecodeSearchable(const std::string& value, CandidateRecord& record) {
  return DecodeSearchFields(value, record) && !record.hidden_at_source;
}

}  // namespace

// Reads documents of a database into the columns of a segment that AllocateColumns() has sized.
// While loading, columns are indexed by slot: the docid when loading a whole database, the
// position (from 1) in the list of documents to read otherwise. Only searchable documents are
// stored; the slots of the others keep retain_until_day 0 and so never become rows.
class CandidateIndex::Loader {
 public:
  Loader(Segment& segment, const Xapian::Database& database)
      : x_(segment),
        database_(database),
        region_index_(segment.regions_),
        education_index_(segment.education_codes_),
        sector_index_(segment.sector_codes_),
        affinity_index_(segment.affinity_codes_) {}

  // Every document: one pass over the search-fields value stream (the columns and the occupation
  // postings), then one over the text terms' posting lists.
  void LoadAll() {
    CandidateRecord record;  // reused: decoding then reuses its strings and vectors
    for (auto value = database_.valuestream_begin(schema::kSlotSearchFields);
         value != database_.valuestream_end(schema::kSlotSearchFields); ++value) {
      if (DecodeSearchable(*value, record)) Store(value.get_docid(), record);
    }
    for (auto term = database_.allterms_begin(); term != database_.allterms_end(); ++term) {
      const std::string name = *term;
      if (name.empty()) continue;
      if (!IsTextTerm(name)) {
        term.skip_to("a");
        if (term == database_.allterms_end() || !IsTextTerm(*term)) break;
      }
      AddTextPostings(*term, term.get_termfreq());
    }
  }

  // The documents `docids` (ascending) into slots 1..n, each read whole; a docid the database no
  // longer holds (deleted) leaves its slot empty.
  void LoadDocuments(const std::vector<Xapian::docid>& docids) {
    CandidateRecord record;
    for (size_t i = 0; i < docids.size(); ++i) {
      Xapian::Document document;
      try {
        document = database_.get_document(docids[i]);
      } catch (const Xapian::DocNotFoundError&) {
        continue;
      }
      if (!DecodeSearchable(document.get_value(schema::kSlotSearchFields), record)) continue;
      const uint32_t slot = static_cast<uint32_t>(i + 1);
      Store(slot, record);
      for (auto term = document.termlist_begin(); term != document.termlist_end(); ++term) {
        const std::string name = *term;
        if (!IsTextTerm(name)) continue;
        Segment::TextPostings& list = x_.text_[name];
        AddTextPosting(list, slot, term.get_wdf());
      }
    }
  }

  int64_t postings() const { return postings_; }

 private:
  void Store(uint32_t d, const CandidateRecord& record) {
    StoreColumns(d, record);
    for (const ExperienceEntry& entry : record.experience) AddExperience(d, entry);
    for (const std::string& code : record.affinities) {
      const int bit = affinity_index_(code);
      // More kinds than the reference set has are not countable here.
      if (bit < 64) x_.affinities_[d] |= uint64_t{1} << bit;
    }
  }

  void StoreColumns(uint32_t d, const CandidateRecord& record) {
    x_.lat_[d] = record.home.lat;
    x_.lon_[d] = record.home.lon;
    Segment::Gate& gate = x_.gate_[d];
    gate.retain_until_day = static_cast<int32_t>(record.retain_until_day);
    if (record.max_travel_km) {
      gate.max_travel_km = static_cast<int16_t>(std::clamp(*record.max_travel_km, 0, 30000));
    }
    if (record.hours_min)
      gate.hours_min = static_cast<int8_t>(std::clamp(*record.hours_min, 0, 100));
    if (record.hours_max)
      gate.hours_max = static_cast<int8_t>(std::clamp(*record.hours_max, 0, 100));
    if (record.education_ordinal) {
      gate.education_ordinal = static_cast<int8_t>(std::clamp(*record.education_ordinal, 0, 100));
    }
    if (record.driving_licence) gate.driving_licence = *record.driving_licence ? 1 : 0;
    x_.updated_day_[d] = static_cast<int32_t>(record.updated_day);
    x_.fresh_day_[d] = static_cast<int32_t>(
        std::max(record.updated_day, record.availability_confirmed_day.value_or(0)));
    x_.experience_months_[d] = record.TotalExperienceMonths();
    x_.completeness_[d] = static_cast<uint8_t>(std::lround(record.Completeness() * 100));
    x_.days_[d] = record.days;
    if (record.available_from_day) {
      x_.available_from_day_[d] = static_cast<int32_t>(*record.available_from_day);
    }
    if (!record.region_code.empty()) {
      x_.region_[d] = static_cast<uint8_t>(std::min(region_index_(record.region_code), 255));
    }
    if (!record.education_code.empty()) {
      x_.education_code_[d] =
          static_cast<uint8_t>(std::min(education_index_(record.education_code), 255));
    }
  }

  void AddExperience(uint32_t d, const ExperienceEntry& entry) {
    if (const std::string sector = NormalizeKey(entry.sector); !sector.empty()) {
      const int bit = sector_index_(sector);
      if (bit < 64) x_.sectors_[d] |= uint64_t{1} << bit;
    }
    if (!entry.esco_code.empty()) AddOccupation(x_.occupations_[entry.esco_code], d, entry);
    if (!entry.isco_code.empty()) AddOccupation(x_.unit_groups_[entry.isco_code], d, entry);
  }

  void AddOccupation(Segment::OccupationPostings& list, uint32_t d, const ExperienceEntry& entry) {
    // One entry per document: several jobs in one occupation add up.
    if (!list.documents.empty() && list.documents.back() == d) {
      list.months.back() =
          static_cast<uint16_t>(std::min(65535, list.months.back() + entry.months));
      list.last_year.back() =
          static_cast<uint16_t>(std::max<int>(list.last_year.back(), entry.last_year));
      return;
    }
    list.documents.push_back(d);
    list.months.push_back(static_cast<uint16_t>(std::clamp(entry.months, 0, 65535)));
    list.last_year.push_back(static_cast<uint16_t>(std::clamp(entry.last_year, 0, 65535)));
    ++postings_;
  }

  // The postings of one text term among the stored documents.
  void AddTextPostings(const std::string& text_term, Xapian::doccount frequency) {
    Segment::TextPostings& list = x_.text_[text_term];
    list.documents.reserve(frequency);
    list.wdf.reserve(frequency);
    for (auto posting = database_.postlist_begin(text_term);
         posting != database_.postlist_end(text_term); ++posting) {
      if (x_.gate_[*posting].retain_until_day == 0) continue;  // not stored: not searchable
      AddTextPosting(list, *posting, posting.get_wdf());
    }
    if (list.documents.empty()) x_.text_.erase(text_term);
  }

  // Adds the document's wdf to its text length too (for BM25).
  void AddTextPosting(Segment::TextPostings& list, uint32_t d, Xapian::termcount wdf) {
    const uint32_t capped = std::min<Xapian::termcount>(wdf, 65535);
    list.documents.push_back(d);
    list.wdf.push_back(static_cast<uint16_t>(capped));
    x_.text_length_[d] =
        static_cast<uint16_t>(std::min<uint32_t>(65535, x_.text_length_[d] + capped));
    ++postings_;
  }

  Segment& x_;
  const Xapian::Database& database_;
  Interner region_index_;
  Interner education_index_;
  Interner sector_index_;
  Interner affinity_index_;
  int64_t postings_ = 0;
};

CandidateIndex::~CandidateIndex() = default;

std::shared_ptr<const CandidateIndex> CandidateIndex::Load(const Xapian::Database& database,
                                                           std::string state) {
  const auto start = std::chrono::steady_clock::now();
  auto segment = std::make_shared<Segment>();
  segment->AllocateColumns(static_cast<size_t>(database.get_lastdocid()) + 1);
  Loader loader(*segment, database);
  loader.LoadAll();
  segment->FinishLoading(/*slot_docids=*/{});
  segment->postings_ = loader.postings();

  std::shared_ptr<CandidateIndex> index(new CandidateIndex());
  index->state_ = std::move(state);
  index->base_state_ = index->state_;
  index->base_ = std::move(segment);
  index->load_stats_.documents = index->base_->document_count_;
  index->load_stats_.postings = index->base_->postings_;
  index->load_stats_.memory_bytes = index->base_->MemoryBytes();
  index->load_stats_.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return index;
}

std::shared_ptr<const CandidateIndex> CandidateIndex::Update(
    const CandidateIndex& previous, const Xapian::Database& database,
    const std::vector<Xapian::Database>& shards, std::string state, int64_t max_changed) {
  const auto start = std::chrono::steady_clock::now();
  std::optional<std::vector<Xapian::docid>> changed =
      ChangedSince(previous, shards, state, max_changed);
  if (!changed.has_value()) return nullptr;

  std::shared_ptr<CandidateIndex> index(new CandidateIndex());
  index->state_ = std::move(state);
  index->base_state_ = previous.base_state_;
  index->base_ = previous.base_;
  index->changed_ = *std::move(changed);
  if (!index->changed_.empty()) {
    auto delta = std::make_shared<Segment>();
    delta->AllocateColumns(index->changed_.size() + 1);
    Loader loader(*delta, database);
    loader.LoadDocuments(index->changed_);
    delta->FinishLoading(index->changed_);
    delta->postings_ = loader.postings();
    if (delta->document_count_ > 0) index->delta_ = std::move(delta);
    index->MaskChangedBaseRows();
  }
  const int64_t masked = static_cast<int64_t>(index->masked_rows_.size());
  const int64_t added = index->delta_ != nullptr ? index->delta_->document_count_ : 0;
  index->load_stats_.documents = index->base_->document_count_ - masked + added;
  index->load_stats_.postings =
      index->base_->postings_ + (index->delta_ != nullptr ? index->delta_->postings_ : 0);
  index->load_stats_.memory_bytes =
      index->base_->MemoryBytes() + (index->delta_ != nullptr ? index->delta_->MemoryBytes() : 0);
  index->load_stats_.changed_since_load = static_cast<int64_t>(index->changed_.size());
  index->load_stats_.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return index;
}

std::optional<std::vector<Xapian::docid>> CandidateIndex::ChangedSince(
    const CandidateIndex& previous, const std::vector<Xapian::Database>& shards,
    const std::string& state, int64_t max_changed) {
  const std::optional<IndexState> from = ParseIndexState(previous.state_);
  const std::optional<IndexState> to = ParseIndexState(state);
  const size_t shard_count = shards.size();
  if (!from.has_value() || !to.has_value() || from->generation != to->generation ||
      from->revisions.size() != shard_count || to->revisions.size() != shard_count) {
    return std::nullopt;
  }
  std::vector<Xapian::docid> changed = previous.changed_;
  for (size_t s = 0; s < shard_count; ++s) {
    const std::optional<std::vector<Xapian::docid>> local =
        schema::ChangedBetween(shards[s], from->revisions[s], to->revisions[s]);
    if (!local.has_value()) return std::nullopt;  // not logged: an older writer, or forgotten
    // Xapian numbers the documents of combined databases round robin over the shards.
    for (Xapian::docid d : *local) changed.push_back((d - 1) * shard_count + s + 1);
    if (static_cast<int64_t>(changed.size()) > 2 * max_changed) return std::nullopt;
  }
  std::sort(changed.begin(), changed.end());
  changed.erase(std::unique(changed.begin(), changed.end()), changed.end());
  if (static_cast<int64_t>(changed.size()) > max_changed) return std::nullopt;
  return changed;
}

void CandidateIndex::MaskChangedBaseRows() {
  masked_.assign((base_->docid_.size() + 63) / 64, 0);
  for (Xapian::docid d : changed_) {
    const uint32_t row = base_->RowOf(d);
    if (row == Segment::kNoRow) continue;
    masked_[row >> 6] |= uint64_t{1} << (row & 63);
    masked_rows_.push_back(row);
    masked_text_length_ += base_->text_length_[row];
  }
  std::sort(masked_rows_.begin(), masked_rows_.end());
  if (masked_rows_.empty()) masked_.clear();
}

void CandidateIndex::Segment::AllocateColumns(size_t size) {
  lat_.assign(size, 0);
  lon_.assign(size, 0);
  gate_.assign(size, Gate());
  education_code_.assign(size, 0);
  region_.assign(size, 0);
  experience_months_.assign(size, 0);
  updated_day_.assign(size, 0);
  fresh_day_.assign(size, 0);
  completeness_.assign(size, 0);
  affinities_.assign(size, 0);
  days_.assign(size, 0);
  sectors_.assign(size, 0);
  available_from_day_.assign(size, 0);
  text_length_.assign(size, 0);
  education_codes_ = {""};
}

// Profiles live at PC4 centres: a few thousand distinct points, so a search can compute one
// distance per area instead of one per profile.
void CandidateIndex::Segment::GroupHomeAreas() {
  struct PointHash {
    size_t operator()(const std::pair<double, double>& point) const {
      return std::hash<double>()(point.first) * 31 + std::hash<double>()(point.second);
    }
  };
  std::unordered_map<std::pair<double, double>, uint32_t, PointHash> areas;
  for (size_t d = 0; d < gate_.size(); ++d) {
    auto [it, inserted] =
        areas.try_emplace({lat_[d], lon_[d]}, static_cast<uint32_t>(area_lat_.size()));
    if (inserted) {
      area_lat_.push_back(lat_[d]);
      area_lon_.push_back(lon_[d]);
    }
    gate_[d].area = it->second;
  }
}

void CandidateIndex::Segment::FinishLoading(const std::vector<Xapian::docid>& slot_docids) {
  GroupHomeAreas();
  for (uint16_t length : text_length_) total_text_length_ += length;
  const size_t slots = gate_.size();
  ArrangeSpatially();
  if (slot_docids.empty()) {  // slots are docids: a base, whose rows an update may mask
    row_of_docid_.assign(slots, kNoRow);
    for (uint32_t r = 0; r < docid_.size(); ++r) row_of_docid_[docid_[r]] = r;
  } else {
    for (Xapian::docid& d : docid_) d = slot_docids[d - 1];
  }
  document_count_ = static_cast<int64_t>(docid_.size());
}

int64_t CandidateIndex::Segment::MemoryBytes() const {
  int64_t bytes = VectorBytes(gate_) + VectorBytes(lat_) + VectorBytes(lon_) +
                  VectorBytes(education_code_) + VectorBytes(region_) +
                  VectorBytes(experience_months_) + VectorBytes(updated_day_) +
                  VectorBytes(fresh_day_) + VectorBytes(completeness_) + VectorBytes(affinities_) +
                  VectorBytes(days_) + VectorBytes(available_from_day_) +
                  VectorBytes(text_length_) + VectorBytes(area_lat_) + VectorBytes(area_lon_);
  for (const auto& [term, list] : text_) {
    bytes +=
        static_cast<int64_t>(term.capacity()) + VectorBytes(list.documents) + VectorBytes(list.wdf);
  }
  for (const auto* lists : {&occupations_, &unit_groups_}) {
    for (const auto& [code, list] : *lists) {
      bytes += VectorBytes(list.documents) + VectorBytes(list.months) + VectorBytes(list.last_year);
    }
  }
  return bytes;
}

void CandidateIndex::Segment::ArrangeSpatially() {
  std::vector<uint32_t> order = SpatialOrder();
  std::vector<uint32_t> row_of(gate_.size(), 0);
  for (uint32_t r = 0; r < order.size(); ++r) row_of[order[r]] = r;
  PermuteColumns(std::move(order));
  RenumberPostings(row_of);
  IndexStrips();
}

std::vector<uint32_t> CandidateIndex::Segment::SpatialOrder() {
  double min_lat = 90;
  for (size_t d = 1; d < gate_.size(); ++d) {
    if (gate_[d].retain_until_day != 0) min_lat = std::min(min_lat, lat_[d]);
  }
  strip_base_ = static_cast<int>(std::floor(min_lat / kStripDegrees));
  // Sorted by value rather than through the columns: a comparator that reads lat_ and lon_ at
  // random took most of the load time.
  struct Place {
    int strip;
    double lon;
    uint32_t docid;
    bool operator<(const Place& other) const {
      return std::tie(strip, lon, docid) < std::tie(other.strip, other.lon, other.docid);
    }
  };
  std::vector<Place> places;
  for (size_t d = 1; d < gate_.size(); ++d) {
    if (gate_[d].retain_until_day != 0) {
      places.push_back({StripOf(lat_[d]), lon_[d], static_cast<uint32_t>(d)});
    }
  }
  std::sort(places.begin(), places.end());
  std::vector<uint32_t> order(places.size());
  for (size_t r = 0; r < places.size(); ++r) order[r] = places[r].docid;
  return order;
}

void CandidateIndex::Segment::PermuteColumns(std::vector<uint32_t> order) {
  auto permute = [&](auto& column) {
    std::remove_reference_t<decltype(column)> rows(order.size());
    for (size_t r = 0; r < order.size(); ++r) rows[r] = column[order[r]];
    column.swap(rows);
  };
  permute(gate_);
  permute(lat_);
  permute(lon_);
  permute(education_code_);
  permute(region_);
  permute(experience_months_);
  permute(updated_day_);
  permute(fresh_day_);
  permute(completeness_);
  permute(affinities_);
  permute(days_);
  permute(sectors_);
  permute(available_from_day_);
  permute(text_length_);
  docid_ = std::move(order);
}

void CandidateIndex::Segment::RenumberPostings(const std::vector<uint32_t>& row_of) {
  std::vector<uint64_t> keys;  // row << 32 | position in the list
  std::vector<uint64_t> scratch_keys;
  auto reorder = [&](std::vector<uint32_t>& documents, auto&... payloads) {
    keys.resize(documents.size());
    for (size_t k = 0; k < documents.size(); ++k) {
      keys[k] = (uint64_t{row_of[documents[k]]} << 32) | k;
    }
    SortKeysByRow(keys, scratch_keys, docid_.size());
    auto apply = [&](auto& values) {
      std::remove_reference_t<decltype(values)> sorted(values.size());
      for (size_t k = 0; k < keys.size(); ++k) sorted[k] = values[keys[k] & 0xffffffffu];
      values.swap(sorted);
    };
    (apply(payloads), ...);
    for (size_t k = 0; k < keys.size(); ++k) documents[k] = static_cast<uint32_t>(keys[k] >> 32);
  };
  for (auto& [term, list] : text_) reorder(list.documents, list.wdf);
  for (auto* lists : {&occupations_, &unit_groups_}) {
    for (auto& [code, list] : *lists) reorder(list.documents, list.months, list.last_year);
  }
}

void CandidateIndex::Segment::IndexStrips() {
  const int strips = docid_.empty() ? 0 : StripOf(lat_.back()) + 1;  // rows are in strip order
  strip_begin_.assign(static_cast<size_t>(strips) + 1, static_cast<uint32_t>(docid_.size()));
  for (uint32_t r = static_cast<uint32_t>(docid_.size()); r-- > 0;) {
    strip_begin_[static_cast<size_t>(StripOf(lat_[r]))] = r;
  }
  for (size_t strip = strip_begin_.size() - 1; strip-- > 0;) {
    strip_begin_[strip] = std::min(strip_begin_[strip], strip_begin_[strip + 1]);
  }
  max_known_reach_km_ = 0;
  for (const Gate& gate : gate_) {
    max_known_reach_km_ = std::max<double>(max_known_reach_km_, gate.max_travel_km);
  }
}

int CandidateIndex::Segment::StripOf(double lat) const {
  return std::max(0, static_cast<int>(std::floor(lat / kStripDegrees)) - strip_base_);
}

std::vector<std::pair<uint32_t, uint32_t>> CandidateIndex::Segment::RowsNear(
    const GeoPoint& point, double reach_km) const {
  std::vector<std::pair<uint32_t, uint32_t>> ranges;
  if (docid_.empty()) return ranges;
  // Everything a profile could travel from lies in this box around the workplace.
  const double lat_reach = reach_km / kKmPerDegreeLatitude + 1e-6;
  const double widest = std::max(std::abs(point.lat - lat_reach), std::abs(point.lat + lat_reach));
  const double lon_reach =
      reach_km / (kKmPerDegreeLatitude * std::cos(std::min(89.0, widest) * kRadiansPerDegree)) +
      1e-6;
  const int last_strip = static_cast<int>(strip_begin_.size()) - 2;
  const int first = StripOf(point.lat - lat_reach);
  const int last = std::min(last_strip, StripOf(point.lat + lat_reach));
  for (int strip = first; strip <= last; ++strip) {
    const auto begin = lon_.begin() + strip_begin_[static_cast<size_t>(strip)];
    const auto end = lon_.begin() + strip_begin_[static_cast<size_t>(strip) + 1];
    const auto low = std::lower_bound(begin, end, point.lon - lon_reach);
    const auto high = std::upper_bound(low, end, point.lon + lon_reach);
    if (low != high) {
      ranges.emplace_back(static_cast<uint32_t>(low - lon_.begin()),
                          static_cast<uint32_t>(high - lon_.begin()));
    }
  }
  return ranges;
}

std::string CandidateIndex::Segment::EducationFacetLabel(size_t code) const {
  return code == 0 ? std::string(kUnknownFacetValue) : education_codes_[code];
}

int64_t CandidateIndex::TextTermFrequency(const std::string& term) const {
  return PostingCount(&Segment::text_, term);
}

int64_t CandidateIndex::OccupationFrequency(const std::string& esco_code) const {
  return PostingCount(&Segment::occupations_, esco_code);
}

template <typename Lists>
int64_t CandidateIndex::PostingCount(const Lists Segment::*lists, const std::string& key) const {
  int64_t count = 0;
  if (auto found = (base_.get()->*lists).find(key); found != (base_.get()->*lists).end()) {
    count +=
        static_cast<int64_t>(found->second.documents.size()) - CountMasked(found->second.documents);
  }
  if (delta_ != nullptr) {
    if (auto found = (delta_.get()->*lists).find(key); found != (delta_.get()->*lists).end()) {
      count += static_cast<int64_t>(found->second.documents.size());
    }
  }
  return count;
}

int64_t CandidateIndex::CountMasked(const std::vector<uint32_t>& rows) const {
  if (masked_rows_.empty()) return 0;
  int64_t count = 0;
  // Whichever is fewer steps: a look-up per masked row, or a bit test per row of the list.
  if (masked_rows_.size() * 20 < rows.size()) {
    for (uint32_t row : masked_rows_) count += std::binary_search(rows.begin(), rows.end(), row);
  } else {
    for (uint32_t row : rows) count += Masked(row);
  }
  return count;
}

struct CandidateIndex::CorpusStats {
  double documents = 1;
  double average_text_length = 1;
  std::vector<int64_t> term_documents;  // of each ResolvedQuery::text_terms entry
};

namespace {

// Better first: by the requested order, then by score, then by docid, so that identical
// queries give identical orderings, whichever part of the image the candidates come from.
bool Better(const SearchQuery& query, const RankedCandidate& a, const RankedCandidate& b) {
  if (query.sort == SortOrder::kDistance && query.workplace.has_value()) {
    // By band only: an order by exact distance would leak it, as a score would.
    const DistanceBand a_band = BandForDistance(a.distance_km);
    const DistanceBand b_band = BandForDistance(b.distance_km);
    if (a_band != b_band) return a_band < b_band;
  }
  if (query.sort == SortOrder::kLastUpdate && a.updated_day != b.updated_day) {
    return a.updated_day > b.updated_day;
  }
  if (a.score != b.score) return a.score > b.score;
  return a.docid < b.docid;
}

}  // namespace

// One search over one part of the image, in phases that Match() runs over every part: Reach()
// (which documents the search reaches and admits), RankAdmitted() (with the best text score of all
// parts), then Describe() for the candidates on the page and AddFacetLists(). The query is read
// once into flags; the per-document work (Admit, the reach loops, Rank) stays in tight loops over
// the columns, with the per-thread scratch space instead of allocations.
class CandidateIndex::MatchRun {
 public:
  // `masking`: the image whose masked rows of `segment` (its base) are left out; null for none.
  MatchRun(const Segment& segment, const CandidateIndex* masking, uint8_t segment_index,
           const ResolvedQuery& resolved, const CorpusStats& stats, Scratch& scratch);

  void Reach() {
    // Spatial ranges: a search with a workplace reads only the rows in the box its farthest
    // traveller could come from, a few row ranges found by binary search in every posting list.
    if (located_) {
      const double unknown_reach = tolerant_ ? resolved_.unknown_travel_km : 0;
      near_ = x_.RowsNear(workplace_, std::max(x_.max_known_reach_km_, unknown_reach));
    }
    // Relevance reach: which documents the text and occupations reach, and how well; each
    // reached document passes the hard constraints (Admit) first.
    ReachTextTerms();
    ReachOccupations(x_.occupations_, resolved_.esco_codes, /*related=*/false);
    ReachOccupations(x_.unit_groups_, resolved_.isco_codes, /*related=*/true);
    if (!has_text_ && !has_occupations_) AdmitEveryRowInReach();
  }
  float best_text() const { return best_text_; }

  // Ranking and facets over the admitted documents, keeping only the best `wanted_`, in order.
  // `best_text` is the best text score of every part, which text scores are relative to.
  void RankAdmitted(float best_text) {
    best_text_ = best_text;
    RankAndCountAdmitted();
    std::sort(best_.begin(), best_.end(),
              [this](const RankedCandidate& a, const RankedCandidate& b) {
                return Better(query_, a, b);
              });
  }
  const std::vector<RankedCandidate>& best() const { return best_; }
  int64_t total() const { return static_cast<int64_t>(s_.admitted_documents.size()); }

  // What matched, for a candidate of this part on the page.
  void Describe(RankedCandidate& candidate) const;
  // The facet counts under the labels a filter can name, added to `outcome`.
  void AddFacetLists(MatchOutcome& outcome) const;

 private:
  // What the vacancy's affinities and sectors ask for: each is met by the candidate's affinity
  // of that name or by experience in a sector of that name.
  struct Interest {
    uint64_t affinity_bit;
    uint64_t sector_bit;
  };
  struct FacetCounts {
    std::vector<int64_t> education;
    std::vector<int64_t> region;
    std::array<int64_t, 6> hours{};
    std::array<int64_t, 6> distance{};
    std::array<int64_t, 5> experience{};
    std::vector<int64_t> affinity;
  };

  bool Admit(uint32_t d);
  bool AdmitDistance(const Segment::Gate& gate, Scratch::Slot& slot);
  template <typename Visit>
  void ForEachNear(const std::vector<uint32_t>& documents, Visit&& visit) const;
  void ReachTextTerms();
  void ReachOccupations(const std::unordered_map<std::string, Segment::OccupationPostings>& lists,
                        const std::vector<std::string>& codes, bool related);
  void AdmitEveryRowInReach();
  void RankAndCountAdmitted();
  void CountFacets(uint32_t d, double distance);
  bool Masked(uint32_t d) const { return masking_ != nullptr && masking_->Masked(d); }
  RankedCandidate Rank(uint32_t d) const;
  double AvailabilityOf(uint32_t d, bool availability_unknown) const;
  // The later of row d's own fresh day and a WSP's confirmation of its availability.
  int32_t FreshDay(uint32_t d) const;
  double AffinityOf(uint32_t d) const;
  void KeepIfAmongBest(RankedCandidate&& candidate);
  bool Wants(FacetKind facet) const { return want_[static_cast<int>(facet)]; }

  const Segment& x_;
  const CandidateIndex* const masking_;
  const uint8_t segment_index_;
  const ResolvedQuery& resolved_;
  const CorpusStats& stats_;
  const SearchQuery& query_;
  Scratch& s_;

  // The hard constraints.
  const bool tolerant_;
  const bool hours_asked_;
  const int offered_min_;
  const int offered_max_;
  const bool education_asked_;
  const bool education_required_;
  const bool licence_required_;
  const bool located_;
  const GeoPoint workplace_;
  const int32_t today_;
  const std::vector<Xapian::docid>* const hidden_;  // null when no profile is hidden
  // Null when no WSP confirmed an availability.
  const std::vector<std::pair<Xapian::docid, int32_t>>* const confirmed_;
  const Segment::CompiledFilters filters_;

  // Spatial ranges and relevance reach.
  std::vector<std::pair<uint32_t, uint32_t>> near_;
  const bool has_text_;
  const bool has_occupations_;
  float best_text_ = 0;

  // Ranking and facets.
  std::vector<Interest> interests_;
  const bool days_asked_;
  const bool start_asked_;
  bool want_[6] = {};
  FacetCounts counts_;
  const size_t wanted_;                // results ranked: the page and all pages before it
  std::vector<RankedCandidate> best_;  // heap, worst of the best on top
};

CandidateIndex::MatchRun::MatchRun(const Segment& segment, const CandidateIndex* masking,
                                   uint8_t segment_index, const ResolvedQuery& resolved,
                                   const CorpusStats& stats, Scratch& scratch)
    : x_(segment),
      masking_(masking),
      segment_index_(segment_index),
      resolved_(resolved),
      stats_(stats),
      query_(*resolved.query),
      s_(scratch),
      tolerant_(query_.unknown_fields == UnknownFieldPolicy::kTolerant),
      hours_asked_(query_.hours_min.has_value() || query_.hours_max.has_value()),
      offered_min_(query_.hours_min.value_or(0)),
      offered_max_(query_.hours_max.value_or(kMaxHoursPerWeek)),
      education_asked_(resolved.minimum_education_ordinal >= 0),
      education_required_(education_asked_ && query_.education == Requirement::kRequired),
      licence_required_(query_.driving_licence == Requirement::kRequired),
      located_(query_.workplace.has_value()),
      workplace_(located_ ? *query_.workplace : GeoPoint{}),
      today_(static_cast<int32_t>(query_.today_day)),
      hidden_(resolved.hidden_documents != nullptr && !resolved.hidden_documents->empty()
                  ? resolved.hidden_documents
                  : nullptr),
      confirmed_(resolved.confirmed_documents != nullptr && !resolved.confirmed_documents->empty()
                     ? resolved.confirmed_documents
                     : nullptr),
      filters_(segment.CompileFilters(query_.facet_filters)),
      has_text_(!resolved.text_terms.empty()),
      has_occupations_(!resolved.esco_codes.empty()),
      days_asked_(query_.days != 0),
      start_asked_(query_.start_day.has_value()),
      wanted_(static_cast<size_t>(
          std::clamp(resolved.offset + std::max(0, query_.page_size), 0, kMaxReachableResults))) {
  for (FacetKind facet : query_.facets) want_[static_cast<int>(facet)] = true;
  s_.Prepare(x_.docid_.size(), x_.area_lat_.size());
  for (const std::string& wanted : query_.affinities) {
    interests_.push_back({x_.AffinityBit(wanted), x_.SectorBit(wanted)});
  }
  for (const std::string& wanted : query_.sectors) {
    interests_.push_back({x_.AffinityBit(wanted), x_.SectorBit(wanted)});
  }
  counts_.education.resize(x_.education_codes_.size());
  counts_.region.resize(x_.regions_.size());
  counts_.affinity.resize(std::min<size_t>(x_.affinity_codes_.size(), 64));
}

// The hard constraints, checked once per document the search reaches; cheap column reads, so
// the scoring below runs only for documents that can be in the result.
inline bool CandidateIndex::MatchRun::Admit(uint32_t d) {
  Scratch::Slot& slot = s_.slots[d];
  if (slot.stamp == s_.current) return slot.admitted != 0;
  slot = Scratch::Slot();
  slot.stamp = s_.current;
  const Segment::Gate& gate = x_.gate_[d];
  if (gate.retain_until_day < today_ || gate.retain_until_day == 0 || Masked(d)) return false;
  if (hidden_ != nullptr && std::binary_search(hidden_->begin(), hidden_->end(), x_.docid_[d])) {
    return false;
  }
  if (located_ && !AdmitDistance(gate, slot)) return false;  // first: the most selective
  if (hours_asked_) {
    if (gate.hours_max < 0 || gate.hours_min < 0) {
      if (!tolerant_) return false;
      slot.unknowns |= kAvailabilityUnknown;
    } else if (gate.hours_max < offered_min_ || gate.hours_min > offered_max_) {
      return false;
    }
  }
  if (education_asked_) {
    if (gate.education_ordinal < 0) {
      if (!tolerant_) return false;
      slot.unknowns |= kEducationUnknown;
    } else if (education_required_ &&
               gate.education_ordinal < resolved_.minimum_education_ordinal) {
      return false;
    }
  }
  if (licence_required_ && gate.driving_licence != 1 && (gate.driving_licence == 0 || !tolerant_)) {
    return false;
  }
  if (filters_.any && !x_.PassesFilters(filters_, d, slot.distance)) return false;
  slot.admitted = 1;
  s_.admitted_documents.push_back(d);
  return true;
}

// Within the profile's own travel limit (in tolerant mode, an unknown limit is assumed).
inline bool CandidateIndex::MatchRun::AdmitDistance(const Segment::Gate& gate,
                                                    Scratch::Slot& slot) {
  double limit = gate.max_travel_km;
  if (gate.max_travel_km < 0) {
    if (!tolerant_) return false;
    limit = resolved_.unknown_travel_km;
  }
  // Profiles live at PC4 centres, so a search computes each area's distance once.
  double& distance = s_.area_distance[gate.area];
  if (std::isnan(distance)) {
    distance = DistanceKm({x_.area_lat_[gate.area], x_.area_lon_[gate.area]}, workplace_);
  }
  if (!(distance <= limit)) return false;
  slot.distance = distance;
  return true;
}

// Calls `visit(k)` for each position k of `documents` (rows, ascending) in the spatial ranges,
// or for every position when the search has no workplace.
template <typename Visit>
inline void CandidateIndex::MatchRun::ForEachNear(const std::vector<uint32_t>& documents,
                                                  Visit&& visit) const {
  if (!located_) {
    for (size_t k = 0; k < documents.size(); ++k) visit(k);
    return;
  }
  auto from = documents.begin();
  for (const auto& [begin, end] : near_) {
    from = std::lower_bound(from, documents.end(), begin);
    for (; from != documents.end() && *from < end; ++from) {
      visit(static_cast<size_t>(from - documents.begin()));
    }
  }
}

// BM25 of the text terms, as Xapian's BM25Weight would score them.
void CandidateIndex::MatchRun::ReachTextTerms() {
  for (size_t t = 0; t < resolved_.text_terms.size(); ++t) {
    auto found = x_.text_.find(resolved_.text_terms[t]);
    if (found == x_.text_.end()) continue;
    const Segment::TextPostings& list = found->second;
    // Over the whole image, so that every part scores alike.
    const double n = static_cast<double>(stats_.term_documents[t]);
    const double total = stats_.documents;
    const double idf = std::max(0.01, std::log((total - n + 0.5) / (n + 0.5))) * (kK1 + 1);
    ForEachNear(list.documents, [&](size_t k) {
      const uint32_t d = list.documents[k];
      if (!Admit(d)) return;
      const double length =
          std::max(kMinNormalisedLength, x_.text_length_[d] / stats_.average_text_length);
      const double wdf = list.wdf[k];
      s_.slots[d].text += static_cast<float>(idf * wdf / (kK1 * ((1 - kB) + kB * length) + wdf));
      best_text_ = std::max(best_text_, s_.slots[d].text);
    });
  }
}

// The best occupation feature of each reached document, and which code gave it.
void CandidateIndex::MatchRun::ReachOccupations(
    const std::unordered_map<std::string, Segment::OccupationPostings>& lists,
    const std::vector<std::string>& codes, bool related) {
  const int current_year = static_cast<int>(
      std::chrono::year_month_day(std::chrono::sys_days(std::chrono::days(query_.today_day)))
          .year());
  for (size_t c = 0; c < codes.size(); ++c) {
    auto found = lists.find(codes[c]);
    if (found == lists.end()) continue;
    const Segment::OccupationPostings& list = found->second;
    ForEachNear(list.documents, [&](size_t k) {
      const uint32_t d = list.documents[k];
      if (!Admit(d)) return;
      const float feature = static_cast<float>(
          ranking::OccupationFeature(list.months[k], list.last_year[k], current_year, related));
      if (feature > s_.slots[d].occupation) {
        s_.slots[d].occupation = feature;
        s_.slots[d].occupation_code = static_cast<uint8_t>(std::min<size_t>(c, 255));
        s_.slots[d].occupation_related = related ? 1 : 0;
      }
    });
  }
}

// A search without text or occupations reaches every row (near the workplace, if it has one).
void CandidateIndex::MatchRun::AdmitEveryRowInReach() {
  if (located_) {
    for (const auto& [begin, end] : near_) {
      for (uint32_t d = begin; d < end; ++d) Admit(d);
    }
  } else {
    for (uint32_t d = 0; d < x_.docid_.size(); ++d) Admit(d);
  }
}

void CandidateIndex::MatchRun::RankAndCountAdmitted() {
  best_.reserve(wanted_ + 1);
  for (uint32_t d : s_.admitted_documents) {
    CountFacets(d, s_.slots[d].distance);
    if (wanted_ == 0) continue;
    KeepIfAmongBest(Rank(d));
  }
}

inline void CandidateIndex::MatchRun::CountFacets(uint32_t d, double distance) {
  if (Wants(FacetKind::kEducationLevel)) ++counts_.education[x_.education_code_[d]];
  if (Wants(FacetKind::kRegion)) ++counts_.region[x_.region_[d]];
  if (Wants(FacetKind::kHoursBand)) ++counts_.hours[HoursBand(x_.gate_[d].hours_max)];
  if (Wants(FacetKind::kDistanceBand) && located_) {
    ++counts_.distance[static_cast<int>(BandForDistance(distance))];
  }
  if (Wants(FacetKind::kExperienceBand)) {
    ++counts_.experience[ExperienceBand(x_.experience_months_[d])];
  }
  if (Wants(FacetKind::kAffinity)) {
    for (uint64_t bits = x_.affinities_[d]; bits != 0; bits &= bits - 1) {
      ++counts_.affinity[static_cast<size_t>(std::countr_zero(bits))];
    }
  }
}

// The score: the weighted mean of the features the vacancy asks about (engine/ranking.h).
inline RankedCandidate CandidateIndex::MatchRun::Rank(uint32_t d) const {
  using namespace ranking;
  const Scratch::Slot& slot = s_.slots[d];
  const Segment::Gate& gate = x_.gate_[d];
  RankedCandidate candidate;
  candidate.row = d;
  candidate.segment = segment_index_;
  candidate.docid = x_.docid_[d];
  candidate.updated_day = x_.updated_day_[d];
  candidate.distance_km = static_cast<float>(slot.distance);
  candidate.availability_unknown = (slot.unknowns & kAvailabilityUnknown) != 0;
  candidate.education_unknown = (slot.unknowns & kEducationUnknown) != 0;
  std::array<double, kFeatureCount> feature{};
  uint16_t present = 0;
  auto set = [&](Feature f, double value) {
    feature[f] = value;
    present |= static_cast<uint16_t>(1u << f);
  };
  if (has_occupations_) set(kOccupation, slot.occupation);
  if (has_text_) set(kText, best_text_ > 0 ? slot.text / best_text_ : 0.0);
  if (located_) {
    const double limit = gate.max_travel_km < 0 ? resolved_.unknown_travel_km : gate.max_travel_km;
    const double closeness = DistanceFeature(BandForDistance(slot.distance), limit);
    set(kDistance, gate.max_travel_km < 0 ? kUnknownFeature * closeness : closeness);
  }
  if (hours_asked_ || days_asked_ || start_asked_) {
    set(kAvailability, AvailabilityOf(d, candidate.availability_unknown));
  }
  if (education_asked_) {
    set(kEducation, candidate.education_unknown ? kUnknownFeature
                    : gate.education_ordinal >= resolved_.minimum_education_ordinal ? 1.0
                                                                                    : 0.0);
  }
  if (!interests_.empty()) set(kAffinity, AffinityOf(d));
  set(kCompleteness, x_.completeness_[d] / 100.0);
  set(kFreshness, FreshnessFeature(today_ - FreshDay(d)));
  double weighted = 0;
  double weights = 0;
  for (int f = 0; f < kFeatureCount; ++f) {
    if (!(present & (1u << f))) continue;
    candidate.contribution[f] = static_cast<float>(kWeights[f] * feature[f]);
    weighted += kWeights[f] * feature[f];
    weights += kWeights[f];
  }
  candidate.present = present;
  candidate.score = static_cast<float>(weights > 0 ? 100 * weighted / weights : 0);
  return candidate;
}

// The mean of the parts the vacancy asks about: hours, days and start date.
inline int32_t CandidateIndex::MatchRun::FreshDay(uint32_t d) const {
  const int32_t own = x_.fresh_day_[d];
  if (confirmed_ == nullptr) return own;
  const auto found = std::lower_bound(
      confirmed_->begin(), confirmed_->end(),
      std::pair<Xapian::docid, int32_t>(x_.docid_[d], std::numeric_limits<int32_t>::min()));
  return found != confirmed_->end() && found->first == x_.docid_[d] ? std::max(own, found->second)
                                                                    : own;
}

inline double CandidateIndex::MatchRun::AvailabilityOf(uint32_t d,
                                                       bool availability_unknown) const {
  double sum = 0;
  int parts = 0;
  if (hours_asked_) {
    sum += availability_unknown
               ? ranking::kUnknownFeature
               : ranking::AvailabilityFeature(x_.gate_[d].hours_min, x_.gate_[d].hours_max,
                                              offered_min_, offered_max_);
    ++parts;
  }
  if (days_asked_) {
    sum += ranking::DaysFeature(x_.days_[d], query_.days);
    ++parts;
  }
  if (start_asked_) {
    sum += x_.available_from_day_[d] <= *query_.start_day ? 1.0 : 0.0;
    ++parts;
  }
  return sum / parts;
}

// The share of the vacancy's affinities and sectors the candidate has.
inline double CandidateIndex::MatchRun::AffinityOf(uint32_t d) const {
  if (x_.affinities_[d] == 0 && x_.sectors_[d] == 0) return ranking::kUnknownFeature;
  int met = 0;
  for (const Interest& interest : interests_) {
    met += (x_.affinities_[d] & interest.affinity_bit) || (x_.sectors_[d] & interest.sector_bit);
  }
  return static_cast<double>(met) / static_cast<double>(interests_.size());
}

inline void CandidateIndex::MatchRun::KeepIfAmongBest(RankedCandidate&& candidate) {
  auto better = [this](const RankedCandidate& a, const RankedCandidate& b) {
    return Better(query_, a, b);
  };
  if (best_.size() < wanted_) {
    best_.push_back(std::move(candidate));
    std::push_heap(best_.begin(), best_.end(), better);
  } else if (Better(query_, candidate, best_.front())) {
    std::pop_heap(best_.begin(), best_.end(), better);
    best_.back() = std::move(candidate);
    std::push_heap(best_.begin(), best_.end(), better);
  }
}

void CandidateIndex::MatchRun::Describe(RankedCandidate& candidate) const {
  {
    const uint32_t d = candidate.row;
    const Scratch::Slot& slot = s_.slots[d];
    if (slot.occupation > 0) {
      const auto& codes = slot.occupation_related ? resolved_.isco_codes : resolved_.esco_codes;
      if (slot.occupation_code < codes.size()) {
        candidate.matched_esco_code = codes[slot.occupation_code];
        candidate.matched_related = slot.occupation_related != 0;
      }
    }
    for (const std::string& term : resolved_.text_terms) {
      auto found = x_.text_.find(term);
      if (found == x_.text_.end()) continue;
      const std::vector<uint32_t>& documents = found->second.documents;
      if (std::binary_search(documents.begin(), documents.end(), d)) {
        candidate.matched_terms.push_back(term);
      }
    }
  }
}

void CandidateIndex::MatchRun::AddFacetLists(MatchOutcome& outcome) const {
  auto fill = [&](FacetKind facet, auto&& label_of, const auto& counts) {
    if (!Wants(facet)) return;
    std::map<std::string, int64_t>& out = outcome.facet_counts[facet];
    for (size_t k = 0; k < counts.size(); ++k) {
      if (counts[k] > 0) out[label_of(k)] += counts[k];
    }
  };
  fill(
      FacetKind::kEducationLevel, [&](size_t k) { return x_.EducationFacetLabel(k); },
      counts_.education);
  fill(
      FacetKind::kRegion, [&](size_t k) { return x_.regions_[k]; }, counts_.region);
  fill(
      FacetKind::kHoursBand, [](size_t k) { return std::string(kHoursBands[k]); }, counts_.hours);
  fill(
      FacetKind::kDistanceBand,
      [](size_t k) { return std::string(DistanceBandLabel(static_cast<DistanceBand>(k))); },
      counts_.distance);
  fill(
      FacetKind::kExperienceBand, [](size_t k) { return std::string(kExperienceBands[k]); },
      counts_.experience);
  fill(
      FacetKind::kAffinity, [&](size_t k) { return x_.affinity_codes_[k]; }, counts_.affinity);
}

MatchOutcome CandidateIndex::Match(const ResolvedQuery& resolved) const {
  const CorpusStats stats = StatsFor(resolved);
  MatchRun base(*base_, this, 0, resolved, stats, scratch[0]);
  std::optional<MatchRun> delta;
  if (delta_ != nullptr) delta.emplace(*delta_, nullptr, 1, resolved, stats, scratch[1]);
  base.Reach();
  float best_text = base.best_text();
  if (delta.has_value()) {
    delta->Reach();
    best_text = std::max(best_text, delta->best_text());
  }
  base.RankAdmitted(best_text);
  if (delta.has_value()) delta->RankAdmitted(best_text);

  MatchOutcome outcome;
  for (FacetKind facet : resolved.query->facets) outcome.facet_counts[facet];
  base.AddFacetLists(outcome);
  outcome.total = base.total();
  std::vector<RankedCandidate> ranked = base.best();
  if (delta.has_value()) {
    delta->AddFacetLists(outcome);
    outcome.total += delta->total();
    std::vector<RankedCandidate> merged;
    merged.reserve(ranked.size() + delta->best().size());
    std::merge(ranked.begin(), ranked.end(), delta->best().begin(), delta->best().end(),
               std::back_inserter(merged), [&](const RankedCandidate& a, const RankedCandidate& b) {
                 return Better(*resolved.query, a, b);
               });
    ranked = std::move(merged);
  }
  const size_t wanted = static_cast<size_t>(std::clamp(
      resolved.offset + std::max(0, resolved.query->page_size), 0, kMaxReachableResults));
  for (size_t i = static_cast<size_t>(resolved.offset); i < std::min(wanted, ranked.size()); ++i) {
    RankedCandidate& candidate = ranked[i];
    (candidate.segment == 0 ? base : *delta).Describe(candidate);
    outcome.page.push_back(std::move(candidate));
  }
  return outcome;
}

CandidateIndex::CorpusStats CandidateIndex::StatsFor(const ResolvedQuery& resolved) const {
  CorpusStats stats;
  const int64_t delta_documents = delta_ != nullptr ? delta_->document_count_ : 0;
  const int64_t documents =
      base_->document_count_ - static_cast<int64_t>(masked_rows_.size()) + delta_documents;
  const int64_t text_length = base_->total_text_length_ - masked_text_length_ +
                              (delta_ != nullptr ? delta_->total_text_length_ : 0);
  stats.documents = static_cast<double>(std::max<int64_t>(1, documents));
  stats.average_text_length =
      documents > 0 ? std::max(1.0, static_cast<double>(text_length) / documents) : 1.0;
  for (const std::string& term : resolved.text_terms) {
    stats.term_documents.push_back(TextTermFrequency(term));
  }
  return stats;
}

uint64_t CandidateIndex::Segment::SectorBit(const std::string& sector) const {
  const std::string key = NormalizeKey(sector);
  auto found = std::find(sector_codes_.begin(), sector_codes_.end(), key);
  const auto bit = found - sector_codes_.begin();
  return found != sector_codes_.end() && bit < 64 ? uint64_t{1} << bit : 0;
}

uint64_t CandidateIndex::Segment::AffinityBit(const std::string& code) const {
  auto found = std::find(affinity_codes_.begin(), affinity_codes_.end(), code);
  const auto bit = found - affinity_codes_.begin();
  return found != affinity_codes_.end() && bit < 64 ? uint64_t{1} << bit : 0;
}

CandidateIndex::Segment::CompiledFilters CandidateIndex::Segment::CompileFilters(
    const std::vector<FacetFilter>& facet_filters) const {
  CompiledFilters filters;
  for (const FacetFilter& filter : facet_filters) {
    filters.any = true;
    auto allowed = [&](auto&& label_of, size_t count) {
      std::vector<bool> set(count, false);
      for (const std::string& value : filter.values) {
        for (size_t i = 0; i < count; ++i) {
          if (label_of(i) == value) set[i] = true;
        }
      }
      return set;
    };
    switch (filter.facet) {
      case FacetKind::kEducationLevel:
        filters.education.push_back(
            allowed([&](size_t i) { return EducationFacetLabel(i); }, education_codes_.size()));
        break;
      case FacetKind::kRegion:
        filters.region.push_back(allowed([&](size_t i) { return regions_[i]; }, regions_.size()));
        break;
      case FacetKind::kHoursBand:
        filters.hours.push_back(allowed([](size_t i) { return std::string(kHoursBands[i]); }, 6));
        break;
      case FacetKind::kDistanceBand:
        filters.distance.push_back(allowed(
            [](size_t i) { return std::string(DistanceBandLabel(static_cast<DistanceBand>(i))); },
            6));
        break;
      case FacetKind::kExperienceBand:
        filters.experience.push_back(
            allowed([](size_t i) { return std::string(kExperienceBands[i]); }, 5));
        break;
      case FacetKind::kAffinity: {
        uint64_t bits = 0;
        for (const std::string& value : filter.values) bits |= AffinityBit(value);
        filters.affinity.push_back(bits);
        break;
      }
    }
  }
  return filters;
}

bool CandidateIndex::Segment::PassesFilters(const CompiledFilters& filters, uint32_t d,
                                            double distance) const {
  for (const auto& allowed : filters.education) {
    if (!allowed[education_code_[d]]) return false;
  }
  for (const auto& allowed : filters.region) {
    if (!allowed[region_[d]]) return false;
  }
  for (const auto& allowed : filters.hours) {
    if (!allowed[HoursBand(gate_[d].hours_max)]) return false;
  }
  for (const auto& allowed : filters.distance) {
    if (distance < 0 || !allowed[static_cast<int>(BandForDistance(distance))]) return false;
  }
  for (const auto& allowed : filters.experience) {
    if (!allowed[ExperienceBand(experience_months_[d])]) return false;
  }
  for (uint64_t bits : filters.affinity) {
    if ((affinities_[d] & bits) == 0) return false;
  }
  return true;
}

namespace {

// Whether the index state named `a` is the one named `b` or a later one of its generation.
bool SameOrNewer(const std::string& a, const std::string& b) {
  const std::optional<IndexState> first = ParseIndexState(a);
  const std::optional<IndexState> second = ParseIndexState(b);
  return first.has_value() && second.has_value() ? first->IsSameOrNewer(*second) : a == b;
}

}  // namespace

std::shared_ptr<const CandidateIndex> CandidateIndexCache::Current() {
  std::lock_guard<std::mutex> lock(mutex_);
  return current_;
}

std::shared_ptr<const CandidateIndex> CandidateIndexCache::Get(
    const std::string& state, const Xapian::Database& database,
    const std::vector<Xapian::Database>& shards, bool may_load) {
  std::shared_ptr<const CandidateIndex> current = Current();
  if (current != nullptr && current->state() == state) return current;
  if (current != nullptr && !may_load) return current;
  std::unique_lock<std::mutex> loading(load_mutex_, std::try_to_lock);
  if (!loading.owns_lock()) {
    if (current != nullptr) return current;  // another thread loads; serve the previous image
    loading.lock();                          // nothing to serve yet: wait for that load
  }
  // A load, update or merge may have finished while this thread waited or looked.
  current = Current();
  if (current != nullptr && SameOrNewer(current->state(), state)) return current;
  std::shared_ptr<const CandidateIndex> loaded;
  if (current != nullptr) {
    loaded = CandidateIndex::Update(*current, database, shards, state, kMaxChangedDocuments);
  }
  if (loaded == nullptr) loaded = CandidateIndex::Load(database, state);
  std::lock_guard<std::mutex> lock(mutex_);
  current_ = loaded;
  return loaded;
}

bool CandidateIndexCache::WantsMerge(int64_t changed) {
  std::shared_ptr<const CandidateIndex> current = Current();
  return current != nullptr && current->load_stats().changed_since_load >= changed;
}

void CandidateIndexCache::InstallMerged(std::shared_ptr<const CandidateIndex> merged,
                                        const Xapian::Database& database,
                                        const std::vector<Xapian::Database>& shards,
                                        const std::string& state) {
  std::lock_guard<std::mutex> loading(load_mutex_);
  if (merged->state() != state) {
    merged = CandidateIndex::Update(*merged, database, shards, state, kMaxChangedDocuments);
    if (merged == nullptr) return;  // too much changed meanwhile, or a new generation
  }
  std::lock_guard<std::mutex> lock(mutex_);
  if (current_ == nullptr || SameOrNewer(state, current_->state())) current_ = std::move(merged);
}

bool IsFacetValue(FacetKind facet, std::string_view value, const ReferenceData& reference) {
  auto in = [value](const auto& labels) {
    return std::any_of(std::begin(labels), std::end(labels),
                       [value](std::string_view label) { return label == value; });
  };
  switch (facet) {
    case FacetKind::kEducationLevel: {
      if (value == kUnknownFacetValue) return true;
      const EducationLevelInfo* level = reference.FindEducationLevel(value);
      return level != nullptr && level->code == value;
    }
    case FacetKind::kRegion:
      return reference.FindRegion(value) != nullptr;
    case FacetKind::kHoursBand:
      return in(kHoursBands);
    case FacetKind::kDistanceBand:
      for (int band = 0; band <= static_cast<int>(DistanceBand::k30Plus); ++band) {
        if (value == DistanceBandLabel(static_cast<DistanceBand>(band))) return true;
      }
      return false;
    case FacetKind::kExperienceBand:
      return in(kExperienceBands);
    case FacetKind::kAffinity:
      return in(kAffinityCodes);
  }
  return false;
}

}  // namespace verkenner::engine
