#ifndef VERKENNER_SERVICE_RPC_SHORTLIST_SERVICE_H_
#define VERKENNER_SERVICE_RPC_SHORTLIST_SERVICE_H_

#include <functional>
#include <optional>
#include <string>

#include "absl/time/civil_time.h"
#include "engine/searcher_pool.h"
#include "service/rpc/environment.h"
#include "service/rpc/unary_call.h"
#include "service/store/records.h"
#include "verkenner/v1/shortlists.grpc.pb.h"

namespace verkenner::service {

// verkenner.v1.ShortlistService: a WSP region's ordered selections of candidates per vacancy,
// with notes. A shortlist is stored whole (service/store/records.h) and shown with each entry's
// profile as the index holds it now (unset when withdrawn), looked up on the SearcherPool; reading
// does not count against the profile-view quota. Every change is one store write that loads,
// checks and saves the shortlist, acknowledged after its commit; creation is idempotent by
// request_id, the key committing with the shortlist. Exports are audited in a write that commits
// before the file goes out.
//
// Thread-safe. Does not own the environment or the pool.
class ShortlistService final : public v1::ShortlistService::CallbackService {
 public:
  static constexpr int kMaxEntries = 200;

  ShortlistService(const ServiceEnvironment* environment, engine::SearcherPool* pool,
                   std::function<int64_t()> today);

  grpc::ServerUnaryReactor* CreateShortlist(grpc::CallbackServerContext* context,
                                            const v1::CreateShortlistRequest* request,
                                            v1::CreateShortlistResponse* response) override;
  grpc::ServerUnaryReactor* GetShortlist(grpc::CallbackServerContext* context,
                                         const v1::GetShortlistRequest* request,
                                         v1::GetShortlistResponse* response) override;
  grpc::ServerUnaryReactor* ListShortlists(grpc::CallbackServerContext* context,
                                           const v1::ListShortlistsRequest* request,
                                           v1::ListShortlistsResponse* response) override;
  grpc::ServerUnaryReactor* DeleteShortlist(grpc::CallbackServerContext* context,
                                            const v1::DeleteShortlistRequest* request,
                                            v1::DeleteShortlistResponse* response) override;
  grpc::ServerUnaryReactor* AddShortlistEntry(grpc::CallbackServerContext* context,
                                              const v1::AddShortlistEntryRequest* request,
                                              v1::AddShortlistEntryResponse* response) override;
  grpc::ServerUnaryReactor* RemoveShortlistEntry(
      grpc::CallbackServerContext* context, const v1::RemoveShortlistEntryRequest* request,
      v1::RemoveShortlistEntryResponse* response) override;
  grpc::ServerUnaryReactor* ReorderShortlistEntries(
      grpc::CallbackServerContext* context, const v1::ReorderShortlistEntriesRequest* request,
      v1::ReorderShortlistEntriesResponse* response) override;
  grpc::ServerUnaryReactor* UpdateShortlistEntryNote(
      grpc::CallbackServerContext* context, const v1::UpdateShortlistEntryNoteRequest* request,
      v1::UpdateShortlistEntryNoteResponse* response) override;
  grpc::ServerUnaryReactor* ExportShortlist(grpc::CallbackServerContext* context,
                                            const v1::ExportShortlistRequest* request,
                                            v1::ExportShortlistResponse* response) override;

 private:
  // Changes the stored shortlist `id` inside one write, after checking that it belongs to
  // `caller`'s region (else NotFound), then finishes the call showing the result in `out`. A
  // change that leaves the shortlist as it was writes nothing and keeps its update_time.
  using Change = std::function<absl::Status(v1::Shortlist&, const Caller&, int64_t now_micros)>;
  // Answers InvalidArgument at once for a malformed `name`. With an `audit` row (its time is
  // set here), a change that changed the shortlist commits it too.
  Answer ChangeShortlist(UnaryCall call, const Caller& caller, const std::string& name,
                         Change change, v1::Shortlist* out,
                         std::optional<AuditEntry> audit = std::nullopt);
  // The changes of AddShortlistEntry (`active`: the profile is in the index now) and
  // ReorderShortlistEntries; they read `request`, which outlives the call.
  static Change AddEntry(const v1::AddShortlistEntryRequest& request, bool active);
  static Change Reorder(const v1::ReorderShortlistEntriesRequest& request);
  // Gives every entry of `shortlist` its current profile (left unset when withdrawn), looking
  // them up on the pool, and hands the result to `then` on a worker thread.
  void ShowProfiles(v1::Shortlist shortlist,
                    std::function<void(absl::StatusOr<v1::Shortlist>)> then);
  // ShowProfiles, then `*out` is the shown shortlist and the call is finished.
  void ShowAndFinish(UnaryCall call, v1::Shortlist shortlist, v1::Shortlist* out);

  const ServiceEnvironment& environment_;
  engine::SearcherPool* pool_;
  std::function<int64_t()> today_;
};

// The export of a shortlist whose entries carry their current profiles (withdrawn ones none), as
// ExportShortlistResponse.content describes it: UTF-8 with byte order mark, ";" between fields,
// CRLF after every row, RFC 4180 quoting, decimal comma, a Dutch header row, and a "'" before any
// cell a spreadsheet would otherwise run as a formula.
std::string ShortlistCsv(const v1::Shortlist& shortlist);

// The suggested file name of an export made on `day`: "shortlist-<title as a slug>-<day>.csv",
// ASCII letters, digits, "-" and "." only.
std::string ShortlistFilename(const std::string& title, absl::CivilDay day);

// The checks CreateShortlist makes on its request before it looks at the caller's data:
// InvalidArgument naming the field.
absl::Status CheckCreateShortlist(const v1::CreateShortlistRequest& request);

}  // namespace verkenner::service

#endif  // VERKENNER_SERVICE_RPC_SHORTLIST_SERVICE_H_
