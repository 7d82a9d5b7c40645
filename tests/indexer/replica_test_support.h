#ifndef VERKENNER_TESTS_INDEXER_REPLICA_TEST_SUPPORT_H_
#define VERKENNER_TESTS_INDEXER_REPLICA_TEST_SUPPORT_H_

#include <xapian.h>

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "engine/candidate_record.h"
#include "engine/refdata/reference_data.h"
#include "engine/schema.h"

namespace verkenner::indexer {

// The day the replication tests run on (days since 1970-01-01).
inline constexpr int64_t kToday = 20758;

// A profile of GM0344 whose texts and payload carry `payload`, so that a rewrite changes it.
inline engine::CandidateRecord ReplicaTestRecord(const engine::ReferenceData& reference,
                                                 const std::string& id,
                                                 const std::string& payload) {
  engine::CandidateRecord record;
  record.profile_id = id;
  record.source = "GM0344";
  record.municipality_code = "GM0344";
  record.region_code = reference.FindMunicipality("GM0344")->region_code;
  record.home = {52.09, 5.12};
  record.retain_until_day = kToday + 1000;
  record.wishes = "orderpicker in een magazijn " + payload;
  record.display_payload = "payload of " + id + " " + payload;
  return record;
}

// Everything a reader can see of one shard: each document's terms (with wdf and positions),
// values and data, by docid; and the metadata a replica copies.
inline std::string ShardContents(const std::string& shard_path) {
  Xapian::Database db(shard_path);
  std::string out;
  for (auto posting = db.postlist_begin(""); posting != db.postlist_end(""); ++posting) {
    const Xapian::Document document = db.get_document(*posting);
    absl::StrAppend(&out, "doc ", *posting, " length ", db.get_doclength(*posting), "\n");
    for (auto term = document.termlist_begin(); term != document.termlist_end(); ++term) {
      absl::StrAppend(&out, " ", *term, ":", term.get_wdf());
      for (auto position = term.positionlist_begin(); position != term.positionlist_end();
           ++position) {
        absl::StrAppend(&out, ",", *position);
      }
    }
    for (auto value = document.values_begin(); value != document.values_end(); ++value) {
      absl::StrAppend(&out, "\n value ", value.get_valueno(), "=", *value);
    }
    absl::StrAppend(&out, "\n data ", document.get_data(), "\n");
  }
  for (auto key = db.metadata_keys_begin(); key != db.metadata_keys_end(); ++key) {
    if (!engine::schema::IsLocalMetadata(*key)) {
      absl::StrAppend(&out, "meta ", *key, "=", db.get_metadata(*key), "\n");
    }
  }
  absl::StrAppend(&out, "count ", db.get_doccount(), " last ", db.get_lastdocid());
  return out;
}

// The lines of `a` that `b` lacks and of `b` that `a` lacks, marked - and +.
inline std::string LinesOnlyIn(const std::string& a, const std::string& b) {
  const std::vector<std::string> left = absl::StrSplit(a, '\n');
  const std::vector<std::string> right = absl::StrSplit(b, '\n');
  const std::set<std::string> in_left(left.begin(), left.end());
  const std::set<std::string> in_right(right.begin(), right.end());
  std::string out;
  for (const std::string& line : left) {
    if (!in_right.contains(line)) absl::StrAppend(&out, "- ", line, "\n");
  }
  for (const std::string& line : right) {
    if (!in_left.contains(line)) absl::StrAppend(&out, "+ ", line, "\n");
  }
  return out;
}

}  // namespace verkenner::indexer

#endif  // VERKENNER_TESTS_INDEXER_REPLICA_TEST_SUPPORT_H_
