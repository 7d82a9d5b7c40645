#include "benchmarks/peers/sqlite_fts5_peer.h"

#include <chrono>
#include <cmath>
#include <filesystem>
#include <numbers>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace verkenner::benchmarks {
namespace {

using engine::FacetKind;

constexpr double kKmPerDegree = engine::kKmPerDegreeLatitude;

absl::Status SqliteError(sqlite3* database, const std::string& what) {
  return absl::InternalError(absl::StrCat("sqlite peer: ", what, ": ", sqlite3_errmsg(database)));
}

absl::Status Execute(sqlite3* database, const std::string& sql) {
  char* message = nullptr;
  if (sqlite3_exec(database, sql.c_str(), nullptr, nullptr, &message) != SQLITE_OK) {
    std::string text = message != nullptr ? message : "unknown error";
    sqlite3_free(message);
    return absl::InternalError(absl::StrCat("sqlite peer: ", sql.substr(0, 60), ": ", text));
  }
  return absl::OkStatus();
}

// distance_km(lat1, lon1, lat2, lon2): engine::DistanceKm, the engine's own formula.
void DistanceKmFunction(sqlite3_context* context, int /*argc*/, sqlite3_value** argv) {
  for (int i = 0; i < 4; ++i) {
    if (sqlite3_value_type(argv[i]) == SQLITE_NULL) {
      sqlite3_result_null(context);
      return;
    }
  }
  const engine::GeoPoint a{sqlite3_value_double(argv[0]), sqlite3_value_double(argv[1])};
  const engine::GeoPoint b{sqlite3_value_double(argv[2]), sqlite3_value_double(argv[3])};
  sqlite3_result_double(context, engine::DistanceKm(a, b));
}

absl::Status RegisterFunctions(sqlite3* database) {
  if (sqlite3_create_function(database, "distance_km", 4,
                              SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS, nullptr,
                              &DistanceKmFunction, nullptr, nullptr) != SQLITE_OK) {
    return SqliteError(database, "create distance_km");
  }
  return absl::OkStatus();
}

bool PlainToken(const std::string& term) {
  if (term.empty()) return false;
  for (char c : term) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))) return false;
  }
  return true;
}

// Binds an optional number (NULL when absent).
template <typename T>
int BindOptional(sqlite3_stmt* statement, int index, const std::optional<T>& value) {
  return value.has_value() ? sqlite3_bind_double(statement, index, static_cast<double>(*value))
                           : sqlite3_bind_null(statement, index);
}

const char* const kSchema = R"sql(
CREATE TABLE profile(
  id INTEGER PRIMARY KEY,
  lat REAL NOT NULL,
  lon REAL NOT NULL,
  max_travel INTEGER,
  box_min_lat REAL NOT NULL,
  box_max_lat REAL NOT NULL,
  box_min_lon REAL NOT NULL,
  box_max_lon REAL NOT NULL,
  hours_min INTEGER,
  hours_max INTEGER,
  availability_known INTEGER NOT NULL,
  education_ordinal INTEGER,
  education_known INTEGER NOT NULL,
  education_code TEXT,
  region TEXT NOT NULL,
  experience_months REAL NOT NULL,
  retain_until INTEGER NOT NULL);
CREATE TABLE display(id INTEGER PRIMARY KEY, profile_id TEXT NOT NULL, payload BLOB);
CREATE TABLE affinity(id INTEGER NOT NULL, code TEXT NOT NULL, PRIMARY KEY (id, code))
  WITHOUT ROWID;
CREATE VIRTUAL TABLE profile_text USING fts5(words, esco, isco,
  tokenize = "unicode61 tokenchars '_'");
)sql";

}  // namespace

std::string FtsToken(const std::string& prefix, const std::string& term) {
  if (prefix.empty() && PlainToken(term)) return term;
  static constexpr char kHex[] = "0123456789abcdef";
  std::string token = prefix.empty() ? "u" : prefix;
  token.push_back('_');
  for (char c : term) {
    if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
      token.push_back(c);
    } else {
      const auto byte = static_cast<unsigned char>(c);
      token.push_back('_');
      token.push_back(kHex[byte >> 4]);
      token.push_back(kHex[byte & 15]);
    }
  }
  return token;
}

SqliteFts5Peer::SqliteFts5Peer(sqlite3* database,
                               std::shared_ptr<const engine::ReferenceData> reference)
    : database_(database), resolver_(std::move(reference)) {}

SqliteFts5Peer::~SqliteFts5Peer() {
  for (auto& [sql, statement] : statements_) sqlite3_finalize(statement);
  sqlite3_close(database_);
}

absl::StatusOr<std::unique_ptr<SqliteFts5Peer>> SqliteFts5Peer::Build(
    const std::string& index_path, const std::string& database_path,
    std::shared_ptr<const engine::ReferenceData> reference) {
  const auto start = std::chrono::steady_clock::now();
  std::error_code ignored;
  std::filesystem::remove(database_path, ignored);
  sqlite3* raw = nullptr;
  if (sqlite3_open_v2(database_path.c_str(), &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
                      nullptr) != SQLITE_OK) {
    absl::Status status = SqliteError(raw, "open");
    sqlite3_close(raw);
    return status;
  }
  std::unique_ptr<SqliteFts5Peer> peer(new SqliteFts5Peer(raw, std::move(reference)));
  sqlite3* database = peer->database_;
  if (absl::Status s = RegisterFunctions(database); !s.ok()) return s;
  // A bulk load: no journal (so no WAL), no syncs; the file is rebuilt if anything fails.
  for (const char* pragma : {"PRAGMA journal_mode = OFF", "PRAGMA synchronous = OFF",
                             "PRAGMA cache_size = -262144", "PRAGMA temp_store = MEMORY"}) {
    if (absl::Status s = Execute(database, pragma); !s.ok()) return s;
  }
  if (absl::Status s = Execute(database, kSchema); !s.ok()) return s;
  if (absl::Status s = Execute(database, "BEGIN"); !s.ok()) return s;

  auto insert_profile = peer->Statement(
      "INSERT INTO profile VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, "
      "?15, ?16, ?17)");
  auto insert_display = peer->Statement("INSERT INTO display VALUES (?1, ?2, ?3)");
  auto insert_affinity = peer->Statement("INSERT OR IGNORE INTO affinity VALUES (?1, ?2)");
  auto insert_text =
      peer->Statement("INSERT INTO profile_text(rowid, words, esco, isco) VALUES (?1, ?2, ?3, ?4)");
  for (const auto* statement : {&insert_profile, &insert_display, &insert_affinity, &insert_text}) {
    if (!statement->ok()) return statement->status();
  }

  int64_t documents = 0;
  std::string words;
  std::string esco;
  std::string isco;
  absl::Status loaded = ForEachIndexedProfile(index_path, [&](const IndexedProfile& profile) {
    const engine::CandidateRecord& record = profile.record;
    const auto id = static_cast<sqlite3_int64>(profile.docid);
    // The box around home that the candidate's reach (own limit, or the tolerant assumption)
    // cannot leave: a prefilter only, the exact distance decides.
    const double reach = record.max_travel_km.value_or(kAssumedTravelKmWhenUnknown);
    const double dlat = reach / kKmPerDegree * 1.01 + 1e-6;
    const double widest = std::min(89.0, std::abs(record.home.lat) + dlat);
    const double dlon =
        reach / (kKmPerDegree * std::cos(widest * std::numbers::pi / 180.0)) * 1.01 + 1e-6;

    sqlite3_stmt* p = *insert_profile;
    sqlite3_bind_int64(p, 1, id);
    sqlite3_bind_double(p, 2, record.home.lat);
    sqlite3_bind_double(p, 3, record.home.lon);
    BindOptional(p, 4, record.max_travel_km);
    sqlite3_bind_double(p, 5, record.home.lat - dlat);
    sqlite3_bind_double(p, 6, record.home.lat + dlat);
    sqlite3_bind_double(p, 7, record.home.lon - dlon);
    sqlite3_bind_double(p, 8, record.home.lon + dlon);
    BindOptional(p, 9, record.hours_min);
    BindOptional(p, 10, record.hours_max);
    sqlite3_bind_int(p, 11, profile.availability_known ? 1 : 0);
    BindOptional(p, 12, record.education_ordinal);
    sqlite3_bind_int(p, 13, profile.education_known ? 1 : 0);
    if (record.education_code.empty()) {
      sqlite3_bind_null(p, 14);
    } else {
      sqlite3_bind_text(p, 14, record.education_code.c_str(), -1, SQLITE_TRANSIENT);
    }
    sqlite3_bind_text(p, 15, record.region_code.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_double(p, 16, profile.experience_months);
    sqlite3_bind_int64(p, 17, record.retain_until_day);
    if (sqlite3_step(p) != SQLITE_DONE) return SqliteError(database, "insert profile");
    sqlite3_reset(p);

    sqlite3_stmt* d = *insert_display;
    sqlite3_bind_int64(d, 1, id);
    sqlite3_bind_text(d, 2, record.profile_id.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_blob(d, 3, record.display_payload.data(),
                      static_cast<int>(record.display_payload.size()), SQLITE_TRANSIENT);
    if (sqlite3_step(d) != SQLITE_DONE) return SqliteError(database, "insert display");
    sqlite3_reset(d);

    sqlite3_stmt* a = *insert_affinity;
    for (const std::string& code : record.affinities) {
      sqlite3_bind_int64(a, 1, id);
      sqlite3_bind_text(a, 2, code.c_str(), -1, SQLITE_TRANSIENT);
      if (sqlite3_step(a) != SQLITE_DONE) return SqliteError(database, "insert affinity");
      sqlite3_reset(a);
    }

    words.clear();
    for (const auto& [term, wdf] : profile.text_terms) {
      const std::string token = FtsToken("", term);
      for (Xapian::termcount i = 0; i < wdf; ++i) absl::StrAppend(&words, token, " ");
    }
    esco.clear();
    for (const std::string& code : profile.esco_codes) {
      absl::StrAppend(&esco, FtsToken("xo", code), " ");
    }
    isco.clear();
    for (const std::string& code : profile.isco_codes) {
      absl::StrAppend(&isco, FtsToken("xi", code), " ");
    }
    sqlite3_stmt* t = *insert_text;
    sqlite3_bind_int64(t, 1, id);
    sqlite3_bind_text(t, 2, words.data(), static_cast<int>(words.size()), SQLITE_STATIC);
    sqlite3_bind_text(t, 3, esco.data(), static_cast<int>(esco.size()), SQLITE_STATIC);
    sqlite3_bind_text(t, 4, isco.data(), static_cast<int>(isco.size()), SQLITE_STATIC);
    if (sqlite3_step(t) != SQLITE_DONE) return SqliteError(database, "insert text");
    sqlite3_reset(t);
    ++documents;
    return absl::OkStatus();
  });
  if (!loaded.ok()) return loaded;
  if (absl::Status s = Execute(database, "COMMIT"); !s.ok()) return s;
  for (const char* step :
       {"INSERT INTO profile_text(profile_text) VALUES('optimize')", "ANALYZE",
        // Searching: the file read through memory mapping, the temporary table in memory.
        "PRAGMA mmap_size = 2147418112", "PRAGMA cache_size = -131072"}) {
    if (absl::Status s = Execute(database, step); !s.ok()) return s;
  }
  if (absl::Status s = Execute(database,
                               "CREATE TEMP TABLE hit(id INTEGER PRIMARY KEY, score REAL, "
                               "distance REAL, education_code TEXT, region TEXT, hours_max "
                               "INTEGER, experience_months REAL)");
      !s.ok()) {
    return s;
  }
  peer->build_stats_.documents = documents;
  peer->build_stats_.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  peer->build_stats_.database_bytes =
      static_cast<int64_t>(std::filesystem::file_size(database_path, ignored));
  return peer;
}

absl::StatusOr<sqlite3_stmt*> SqliteFts5Peer::Statement(const std::string& sql) {
  auto found = statements_.find(sql);
  if (found != statements_.end()) {
    sqlite3_reset(found->second);
    sqlite3_clear_bindings(found->second);
    return found->second;
  }
  sqlite3_stmt* statement = nullptr;
  if (sqlite3_prepare_v3(database_, sql.c_str(), static_cast<int>(sql.size()),
                         SQLITE_PREPARE_PERSISTENT, &statement, nullptr) != SQLITE_OK) {
    return SqliteError(database_, absl::StrCat("prepare ", sql.substr(0, 80)));
  }
  statements_.emplace(sql, statement);
  return statement;
}

absl::Status SqliteFts5Peer::CountFacet(const std::string& sql,
                                        std::map<std::string, int64_t>& counts) {
  auto statement = Statement(sql);
  if (!statement.ok()) return statement.status();
  int step;
  while ((step = sqlite3_step(*statement)) == SQLITE_ROW) {
    const unsigned char* value = sqlite3_column_text(*statement, 0);
    counts[value != nullptr ? reinterpret_cast<const char*>(value) : ""] +=
        sqlite3_column_int64(*statement, 1);
  }
  if (step != SQLITE_DONE) return SqliteError(database_, "facet");
  return absl::OkStatus();
}

absl::StatusOr<PeerResult> SqliteFts5Peer::Search(const engine::SearchQuery& query) {
  auto resolved = resolver_.Resolve(query);
  if (!resolved.ok()) return resolved.status();
  const ResolvedQuery& q = *resolved;
  PeerResult result;

  // ?1 ?2 workplace, ?3 MATCH expression, ?4 today, ?5 ?6 offered hours, ?7 education ordinal.
  std::string sql =
      "INSERT INTO temp.hit(id, score, distance, education_code, region, hours_max, "
      "experience_months) SELECT p.id, ";
  if (q.match_all) {
    absl::StrAppend(&sql,
                    "0.0, distance_km(p.lat, p.lon, ?1, ?2), p.education_code, p.region, "
                    "p.hours_max, p.experience_months FROM profile AS p WHERE ");
  } else {
    absl::StrAppend(&sql, "bm25(profile_text, 1.0, 1.0, ", kRelatedOccupationWeight,
                    "), distance_km(p.lat, p.lon, ?1, ?2), p.education_code, p.region, "
                    "p.hours_max, p.experience_months FROM profile_text CROSS JOIN profile AS p "
                    "ON p.id = profile_text.rowid WHERE profile_text MATCH ?3 AND ");
  }
  absl::StrAppend(&sql, "p.retain_until >= ?4");
  if (q.offered_hours.has_value()) {
    absl::StrAppend(&sql, " AND ((p.hours_max >= ?5 AND p.hours_min <= ?6)",
                    q.tolerant ? " OR p.availability_known = 0)" : ")");
  }
  if (q.required_education_ordinal.has_value()) {
    absl::StrAppend(&sql, " AND (p.education_ordinal >= ?7",
                    q.tolerant ? " OR p.education_known = 0)" : ")");
  } else if (q.education_asked && !q.tolerant) {
    absl::StrAppend(&sql, " AND p.education_known = 1");
  }
  if (q.workplace.has_value()) {
    absl::StrAppend(&sql,
                    " AND p.box_min_lat <= ?1 AND p.box_max_lat >= ?1 AND p.box_min_lon <= ?2 "
                    "AND p.box_max_lon >= ?2");
    if (q.tolerant) {
      absl::StrAppend(&sql, " AND distance_km(p.lat, p.lon, ?1, ?2) <= coalesce(p.max_travel, ",
                      kAssumedTravelKmWhenUnknown, ")");
    } else {
      absl::StrAppend(&sql,
                      " AND p.max_travel IS NOT NULL AND distance_km(p.lat, p.lon, ?1, ?2) <= "
                      "p.max_travel");
    }
  }
  auto insert = Statement(sql);
  if (!insert.ok()) return insert.status();
  sqlite3_stmt* s = *insert;
  if (q.workplace.has_value()) {
    sqlite3_bind_double(s, 1, q.workplace->lat);
    sqlite3_bind_double(s, 2, q.workplace->lon);
  }
  std::string match;
  if (!q.match_all) {
    std::vector<std::string> tokens;
    for (const std::vector<std::string>& clause : q.text_clauses) {
      std::vector<std::string> words;
      for (const std::string& term : clause) words.push_back(FtsToken("", term));
      tokens.push_back(absl::StrJoin(words, "\" AND \""));
    }
    for (const std::string& code : q.esco_codes) tokens.push_back(FtsToken("xo", code));
    for (const std::string& code : q.isco_codes) tokens.push_back(FtsToken("xi", code));
    // ("a") OR ("b" AND "c") OR ...: FTS5 strings, so no token is read as an operator.
    match = absl::StrCat("(\"", absl::StrJoin(tokens, "\") OR (\""), "\")");
    sqlite3_bind_text(s, 3, match.data(), static_cast<int>(match.size()), SQLITE_STATIC);
  }
  sqlite3_bind_int64(s, 4, q.today_day);
  if (q.offered_hours.has_value()) {
    sqlite3_bind_double(s, 5, q.offered_hours->first);
    sqlite3_bind_double(s, 6, q.offered_hours->second);
  }
  if (q.required_education_ordinal.has_value()) {
    sqlite3_bind_int(s, 7, *q.required_education_ordinal);
  }
  if (sqlite3_step(s) != SQLITE_DONE) return SqliteError(database_, "search");

  auto count = Statement("SELECT count(*) FROM temp.hit");
  if (!count.ok()) return count.status();
  if (sqlite3_step(*count) != SQLITE_ROW) return SqliteError(database_, "count");
  result.total = sqlite3_column_int64(*count, 0);
  sqlite3_reset(*count);

  auto page = Statement(
      "SELECT h.id, d.profile_id, d.payload FROM (SELECT id, score FROM temp.hit ORDER BY score, "
      "id LIMIT ?1) AS h JOIN display AS d ON d.id = h.id ORDER BY h.score, h.id");
  if (!page.ok()) return page.status();
  sqlite3_bind_int(*page, 1, q.page_size);
  int step;
  std::string payload;  // read as the service would, then dropped
  while ((step = sqlite3_step(*page)) == SQLITE_ROW) {
    result.top.push_back(static_cast<Xapian::docid>(sqlite3_column_int64(*page, 0)));
    const void* blob = sqlite3_column_blob(*page, 2);
    payload.assign(static_cast<const char*>(blob),
                   blob != nullptr ? static_cast<size_t>(sqlite3_column_bytes(*page, 2)) : 0);
  }
  if (step != SQLITE_DONE) return SqliteError(database_, "page");

  for (FacetKind facet : q.facets) {
    std::map<std::string, int64_t>& counts = result.facets[facet];
    absl::Status status;
    switch (facet) {
      case FacetKind::kEducationLevel:
        status = CountFacet(
            "SELECT coalesce(education_code, 'onbekend'), count(*) FROM temp.hit GROUP BY 1",
            counts);
        break;
      case FacetKind::kRegion:
        status = CountFacet("SELECT region, count(*) FROM temp.hit GROUP BY 1", counts);
        break;
      case FacetKind::kHoursBand:
        status = CountFacet(
            "SELECT CASE WHEN hours_max IS NULL THEN 'onbekend' WHEN hours_max < 12 THEN '0-12' "
            "WHEN hours_max < 20 THEN '12-20' WHEN hours_max < 26 THEN '20-26' WHEN hours_max < "
            "32 THEN '26-32' ELSE '32-40' END, count(*) FROM temp.hit GROUP BY 1",
            counts);
        break;
      case FacetKind::kDistanceBand:
        if (q.workplace.has_value()) {
          status = CountFacet(
              "SELECT CASE WHEN distance < 5 THEN '0-5 km' WHEN distance < 10 THEN '5-10 km' "
              "WHEN distance < 20 THEN '10-20 km' WHEN distance < 30 THEN '20-30 km' ELSE '30+ "
              "km' END, count(*) FROM temp.hit GROUP BY 1",
              counts);
        }
        break;
      case FacetKind::kExperienceBand:
        status = CountFacet(
            "SELECT CASE WHEN experience_months <= 0 THEN '0' WHEN experience_months <= 12 THEN "
            "'1-12' WHEN experience_months <= 36 THEN '12-36' WHEN experience_months <= 120 THEN "
            "'36-120' ELSE '120+' END, count(*) FROM temp.hit GROUP BY 1",
            counts);
        break;
      case FacetKind::kAffinity:
        status = CountFacet(
            "SELECT a.code, count(*) FROM temp.hit AS h JOIN affinity AS a ON a.id = h.id GROUP "
            "BY a.code",
            counts);
        break;
    }
    if (!status.ok()) return status;
  }
  auto clear = Statement("DELETE FROM temp.hit");
  if (!clear.ok()) return clear.status();
  if (sqlite3_step(*clear) != SQLITE_DONE) return SqliteError(database_, "clear");
  return result;
}

}  // namespace verkenner::benchmarks
