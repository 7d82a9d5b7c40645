#ifndef VERKENNER_BENCHMARKS_PEERS_COLUMN_SCAN_PEER_H_
#define VERKENNER_BENCHMARKS_PEERS_COLUMN_SCAN_PEER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "absl/status/statusor.h"
#include "benchmarks/peers/peer.h"
#include "engine/refdata/reference_data.h"

namespace verkenner::benchmarks {

// The lower bound of issue 4's speed table: an exact scan over in-memory columns and posting
// lists, with nothing a search engine adds (no query tree, no document reads, no explanations).
//
// Per document, in docid order: PC4 centre, own travel limit, hours, education ordinal and code,
// region, experience months, retention day, affinities as a bit set, and the length BM25 needs.
// Per term (stemmed text terms, "XO" occupation and "XI" unit-group terms, as in the index): the
// sorted list of documents with their wdf. A search accumulates BM25 scores (Xapian's default
// parameters, unit groups at half weight) over the query's posting lists into a dense array,
// then scans the touched documents once: hard constraints, exact count, facet counts and a
// top-page_size selection, all in one pass. Without text or occupations it scans every document.
//
// Not thread-safe (the score arrays are reused between searches).
class ColumnScanPeer : public SearchPeer {
 public:
  struct BuildStats {
    int64_t documents = 0;
    double seconds = 0;
    int64_t memory_bytes = 0;  // of the columns and posting lists
  };

  static absl::StatusOr<std::unique_ptr<ColumnScanPeer>> Build(
      const std::string& index_path, std::shared_ptr<const engine::ReferenceData> reference);

  std::string name() const override { return "exact scan, in-memory columns + postings"; }
  absl::StatusOr<PeerResult> Search(const engine::SearchQuery& query) override;
  const BuildStats& build_stats() const { return build_stats_; }

 private:
  struct Postings {
    std::vector<uint32_t> documents;  // indexes into the columns, ascending
    std::vector<uint16_t> wdf;
  };

  explicit ColumnScanPeer(std::shared_ptr<const engine::ReferenceData> reference);
  // Adds the BM25 contribution of `term`, scaled by `factor`, to every document holding it.
  void Accumulate(const std::string& term, double factor);
  // Adds the contributions of `terms` to every document holding all of them.
  void AccumulateAll(const std::vector<std::string>& terms);
  // BM25 of one posting, without the term's weight (idf, factor).
  double Saturation(uint32_t document, double wdf) const;
  double TermWeight(const Postings& postings, double factor) const;
  void Touch(uint32_t document);

  QueryResolver resolver_;
  BuildStats build_stats_;

  // Columns; "missing" values never pass a comparison the engine would fail on a missing value.
  std::vector<Xapian::docid> docid_;
  std::vector<double> lat_;
  std::vector<double> lon_;
  std::vector<int16_t> max_travel_;        // -1: unknown
  std::vector<int8_t> hours_min_;          // 127: unknown (fails "<= offered max")
  std::vector<int8_t> hours_max_;          // -1: unknown (fails ">= offered min")
  std::vector<int8_t> education_ordinal_;  // -1: unknown
  std::vector<uint8_t> flags_;             // kAvailabilityKnown | kEducationKnown
  std::vector<uint8_t> education_code_;    // index into education_codes_; 0: unknown
  std::vector<uint8_t> region_;            // index into regions_
  std::vector<int32_t> experience_months_;
  std::vector<int32_t> retain_until_;
  std::vector<uint64_t> affinities_;  // bit i: affinity_codes_[i]
  std::vector<uint32_t> length_;      // document length (sum of wdf of weighted terms)
  double average_length_ = 1;

  std::vector<std::string> education_codes_{"onbekend"};
  std::vector<std::string> regions_;
  std::vector<std::string> affinity_codes_;
  std::unordered_map<std::string, Postings> postings_;

  // Per-search scratch: score per document, valid where stamp_ equals the current search.
  std::vector<float> score_;
  std::vector<uint32_t> stamp_;
  uint32_t current_stamp_ = 0;
  std::vector<uint32_t> touched_;
};

}  // namespace verkenner::benchmarks

#endif  // VERKENNER_BENCHMARKS_PEERS_COLUMN_SCAN_PEER_H_
