#ifndef VERKENNER_TESTS_INTEGRATION_IMPORT_STREAM_H_
#define VERKENNER_TESTS_INTEGRATION_IMPORT_STREAM_H_

#include <grpcpp/grpcpp.h>
#include <signal.h>
#include <xapian.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "engine/refdata/reference_data.h"
#include "engine/schema.h"
#include "indexer/synthetic/synthetic_profile_generator.h"
#include "tests/integration/test_accounts.h"
#include "verkenner/v1/profile_import.grpc.pb.h"

// What the import stream tests share with their client process (import_stream_client.cc): the
// rows of a source, and a client that sends them and breaks off where it is told to.
namespace verkenner::testing {

// `count` active profiles of `source` with client numbers "C-0", "C-1", ...; another `version`
// gives the same clients other contents.
inline absl::StatusOr<std::vector<v1::SourceProfile>> SourceRows(
    std::shared_ptr<const engine::ReferenceData> reference, const std::string& source, int count,
    int version) {
  indexer::SyntheticProfileGenerator::Options options;
  options.seed = 1000 + version;
  options.sparse_share = 0;
  auto generator = indexer::SyntheticProfileGenerator::Create(
      std::move(reference), engine::ReferenceData::DefaultDirectory(), options);
  if (!generator.ok()) return generator.status();
  std::vector<v1::SourceProfile> rows(count);
  for (int i = 0; i < count; ++i) {
    (*generator)->Next(&rows[i]);
    rows[i].set_source(source);
    rows[i].set_client_number(absl::StrCat("C-", i));
    rows[i].clear_register_end();
  }
  return rows;
}

// How a client's stream ends.
enum class StreamEnd {
  kComplete,   // every batch, then ImportEnd, then half-close
  kCancel,     // the client cancels the call
  kHalfClose,  // the client half-closes without ImportEnd
  kTooLarge,   // the client sends a message over the server's 4 MiB limit
  kDie,        // the client process dies (SIGKILL to itself)
  kWait,       // the client sends nothing more and waits for the answer
};

// Sends `header`, then `rows` in batches of `batch_rows`; ends as `end` says after
// `batches_before_end` batches (kComplete: after all of them). Returns the call's status.
inline grpc::Status SendImport(v1::ProfileImportService::Stub& stub, const std::string& token,
                               const v1::ImportHeader& header,
                               const std::vector<v1::SourceProfile>& rows, int batch_rows,
                               StreamEnd end, int batches_before_end,
                               v1::ImportProfilesResponse& response,
                               std::chrono::seconds deadline = std::chrono::seconds(30)) {
  grpc::ClientContext context;
  Authorize(context, token);
  context.set_deadline(std::chrono::system_clock::now() + deadline);
  auto writer = stub.ImportProfiles(&context, &response);
  v1::ImportProfilesRequest message;
  *message.mutable_header() = header;
  bool open = writer->Write(message);
  int batches = 0;
  for (size_t first = 0; open && first < rows.size(); first += batch_rows) {
    if (end != StreamEnd::kComplete && batches == batches_before_end) break;
    message.Clear();
    for (size_t i = first; i < std::min(rows.size(), first + batch_rows); ++i) {
      *message.mutable_batch()->add_profiles() = rows[i];
    }
    open = writer->Write(message);
    ++batches;
  }
  switch (end) {
    case StreamEnd::kComplete:
      message.Clear();
      message.mutable_end()->set_rows(static_cast<int64_t>(rows.size()));
      if (open) writer->Write(message);
      writer->WritesDone();
      break;
    case StreamEnd::kCancel:
      context.TryCancel();
      break;
    case StreamEnd::kHalfClose:
      writer->WritesDone();
      break;
    case StreamEnd::kTooLarge: {
      message.Clear();
      v1::SourceProfile* large = message.mutable_batch()->add_profiles();
      *large = rows.front();
      large->set_wishes(std::string(5 << 20, 'x'));
      writer->Write(message);
      writer->WritesDone();
      break;
    }
    case StreamEnd::kDie:
      raise(SIGKILL);
      break;
    case StreamEnd::kWait:
      break;
  }
  return writer->Finish();
}

// Every document of the index at `path`: its profile id term and its values, to compare the
// index before and after.
inline std::map<std::string, std::string> IndexContents(const std::string& path) {
  std::map<std::string, std::string> contents;
  Xapian::Database db(path);
  for (Xapian::PostingIterator it = db.postlist_begin(""); it != db.postlist_end(""); ++it) {
    Xapian::Document document = db.get_document(*it);
    Xapian::TermIterator term = document.termlist_begin();
    term.skip_to(engine::schema::kPrefixProfileId);
    std::string values;
    for (Xapian::ValueIterator value = document.values_begin(); value != document.values_end();
         ++value) {
      absl::StrAppend(&values, value.get_valueno(), "=", *value, ";");
    }
    contents[term == document.termlist_end() ? std::string() : *term] = values;
  }
  return contents;
}

// What differs between two IndexContents, in a line ("" when nothing does).
inline std::string IndexChanges(const std::map<std::string, std::string>& before,
                                const std::map<std::string, std::string>& after) {
  int added = 0;
  int removed = 0;
  int changed = 0;
  for (const auto& [id, values] : after) {
    auto found = before.find(id);
    if (found == before.end()) {
      ++added;
    } else if (found->second != values) {
      ++changed;
    }
  }
  for (const auto& [id, values] : before) removed += after.count(id) == 0 ? 1 : 0;
  if (added + removed + changed == 0) return "";
  return absl::StrCat(added, " profiles added, ", removed, " withdrawn, ", changed, " changed");
}

}  // namespace verkenner::testing

#endif  // VERKENNER_TESTS_INTEGRATION_IMPORT_STREAM_H_
