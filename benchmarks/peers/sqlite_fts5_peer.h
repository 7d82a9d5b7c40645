#ifndef VERKENNER_BENCHMARKS_PEERS_SQLITE_FTS5_PEER_H_
#define VERKENNER_BENCHMARKS_PEERS_SQLITE_FTS5_PEER_H_

#include <sqlite3.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "benchmarks/peers/peer.h"
#include "engine/refdata/reference_data.h"

namespace verkenner::benchmarks {

// The SQLite FTS5 peer of issue 4's speed table: the profiles of a built Verkenner index in an
// SQLite database file, searched with the engine's semantics in SQL.
//
// Schema (one row per Xapian document, rowid = docid):
//   profile       the columns the filters and facets read: PC4 centre, own travel limit and the
//                 bounding box of the area it reaches, hours, education, region, experience,
//                 retention day. Narrow on purpose; the display data lives apart.
//   display       profile id and display payload, read for the page only.
//   affinity      (id, code), WITHOUT ROWID, for the affinity facet.
//   profile_text  FTS5 with three columns: the document's unprefixed terms (the stemmed free text,
//                 each repeated by its wdf), its ESCO occupation codes and its ISCO unit groups as
//                 tokens. The query side gets its terms from the engine's own term generator, so
//                 both sides use the same Dutch stemmer and stop words.
//
// A search runs one INSERT ... SELECT that applies every hard constraint (retention, hours
// overlap, required education, the candidate's own travel limit with a bounding-box prefilter
// before the exact distance) to the FTS5 MATCH (OR of the terms) into a temporary table with the
// bm25 score (ISCO column at half weight, as the engine weighs unit groups). Then count(*) for
// the exact total, ORDER BY bm25 LIMIT page_size for the page, and one GROUP BY per facet.
//
// Not thread-safe (one connection).
class SqliteFts5Peer : public SearchPeer {
 public:
  struct BuildStats {
    int64_t documents = 0;
    double seconds = 0;
    int64_t database_bytes = 0;
  };

  // Reads the index at `index_path` (read-only) into a new database file at `database_path`,
  // replacing any file there, in one transaction with the journal off; then optimises the FTS5
  // index and runs ANALYZE.
  static absl::StatusOr<std::unique_ptr<SqliteFts5Peer>> Build(
      const std::string& index_path, const std::string& database_path,
      std::shared_ptr<const engine::ReferenceData> reference);
  ~SqliteFts5Peer() override;

  std::string name() const override { return "SQLite FTS5, filters in SQL"; }
  absl::StatusOr<PeerResult> Search(const engine::SearchQuery& query) override;
  const BuildStats& build_stats() const { return build_stats_; }

 private:
  SqliteFts5Peer(sqlite3* database, std::shared_ptr<const engine::ReferenceData> reference);

  // A prepared statement for `sql`, made once and reset for reuse.
  absl::StatusOr<sqlite3_stmt*> Statement(const std::string& sql);
  absl::Status CountFacet(const std::string& sql, std::map<std::string, int64_t>& counts);

  sqlite3* database_;
  QueryResolver resolver_;
  std::map<std::string, sqlite3_stmt*> statements_;
  BuildStats build_stats_;
};

// The FTS5 token for a Xapian term: plain [a-z0-9] terms stay as they are; anything else, and
// every occupation code, is spelled with only [a-z0-9_] so that FTS5's unicode61 tokenizer (with
// '_' as a token character) keeps it one token: `prefix` ("u" for text) + '_' + the bytes, with
// each byte outside [a-z0-9] written as '_' and two hex digits. Distinct terms stay distinct.
std::string FtsToken(const std::string& prefix, const std::string& term);

}  // namespace verkenner::benchmarks

#endif  // VERKENNER_BENCHMARKS_PEERS_SQLITE_FTS5_PEER_H_
