#ifndef VERKENNER_SERVICE_HTTP_API_GATEWAY_H_
#define VERKENNER_SERVICE_HTTP_API_GATEWAY_H_

#include <google/protobuf/message.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "service/http/body_stream.h"
#include "service/http/import_upload.h"
#include "verkenner/v1/sessions.grpc.pb.h"

namespace verkenner::service {

// One HTTP request as the gateway needs it; the listener fills it from the wire.
struct ApiRequest {
  std::string method;      // "POST"
  std::string target;      // "/api/v1/CandidateSearchService/SearchCandidates"
  std::string body;        // JSON
  std::string cookie;      // the Cookie header, or empty
  std::string csrf_token;  // the X-CSRF-Token header, or empty
  std::string query = {};  // the target's query string, without '?'; or empty
  // The import route's body as it arrives (HttpListener streams it); null: `body` is all of it.
  std::shared_ptr<BodyStream> body_stream = nullptr;
  std::string remote_address = {};  // HttpRequest::remote_address: the HTTP peer
  std::string forwarded_for = {};   // the X-Forwarded-For header, or empty
  std::string authorization = {};   // the Authorization header, or empty
};

struct ApiResponse {
  int status = 200;
  std::string body;  // JSON (protobuf's JSON mapping), or empty
  std::vector<std::pair<std::string, std::string>> headers;  // Set-Cookie, Retry-After, ...
};

// The web app's JSON API: every unary method of the v1 services, one to one, at
// POST /api/v1/<Service>/<Method>, with the request and response messages in protobuf's JSON
// mapping (never JSON built by hand). Calls go to the gRPC server in-process, so authentication,
// authorisation, quotas and validation exist once, in the services.
//
// Programs (a municipality's case system) send an API token (verkenner-admin create-token) in the
// header `authorization: Bearer <token>`, as over gRPC, on every route the import upload
// included: no cookie and no CSRF token (a browser never adds that header on its own, so no
// other site can make it send one). A malformed header is 401; a token that does not
// authenticate is the services' 401, also beside a valid session cookie.
//
// Sessions: POST /api/v1/session with {"email", "password"} logs in through
// SessionService.CreateSession; the session token goes into a cookie (HttpOnly, Secure,
// SameSite=Strict) and never into the body, which page scripts read. The response carries an
// X-CSRF-Token header: an HMAC of the session token that every other call must send back in the
// same header (state-changing or not: every API call is a POST). POST /api/v1/session/logout
// ends the session and clears the cookie.
//
// Import files: POST /api/v1/imports?import_id=ID&mode=INCREMENTAL|FULL_SYNC&file_name=NAME
// [&expected_rows=N] with the file as the body (CSV when NAME ends in .csv, JSON Lines when in
// .jsonl; at most kMaxImportBytes; mode may also be the enum's name, IMPORT_MODE_FULL_SYNC, and
// absent means INCREMENTAL; expected_rows, the file's rows as the browser counted them, is only
// for the progress bar). Before any of the body is read, the session, its CSRF token and the
// importer role are checked (an employer or a logged-out cookie gets its 401 or 403 without the
// server reading the file), and an account uploads one file at a time (409 for a second while
// the first arrives). Then ProfileImportService.ImportProfiles starts as the session's account
// (header source: the account's own; the service checks source, import id, its own limits and
// rows) and the file's rows stream in as the body arrives (ImportUploads), never held whole. The
// answer comes once the whole file is sent: 202 with {"importId": ID}, plus "replayed": true
// when that import id had succeeded before (then the body is not read); the import is applied
// after, and GetImport reports progress and the outcome. A body that breaks off imports nothing.
// Errors are mapped like every other call's; a bad query or file name is 400.
//
// Logins are throttled by the client's address (SessionService, service/auth/login_throttle.h):
// the gateway sends it along as metadata kClientAddressMetadata (service/auth/login_throttle.h),
// which the session service believes only from the in-process channel. The client's address is the
// HTTP peer's, or, when that peer is one of `trusted_proxies`, the last address in X-Forwarded-For
// that is not a trusted proxy (ClientAddress()).
//
// Status codes as grpc-gateway maps them: OK 200, INVALID_ARGUMENT, OUT_OF_RANGE and
// FAILED_PRECONDITION 400, UNAUTHENTICATED 401, PERMISSION_DENIED 403, NOT_FOUND 404,
// ALREADY_EXISTS and ABORTED 409, RESOURCE_EXHAUSTED 429, CANCELLED 499, UNIMPLEMENTED 501,
// UNAVAILABLE 503, DEADLINE_EXCEEDED 504, others 500. The error body is the google.rpc.Status
// with its details (ErrorInfo's reason, BadRequest, RetryInfo; service/rpc/error_details.h), and
// RetryInfo is also sent as Retry-After. A missing or wrong CSRF token is PERMISSION_DENIED with
// reason CSRF_TOKEN_INVALID: after it only logging in again helps.
//
// Thread-safe. `done` runs on a gRPC thread or the caller's.
class ApiGateway {
 public:
  static constexpr char kSessionCookie[] = "verkenner_session";
  static constexpr char kImportRoute[] = "/api/v1/imports";
  static constexpr size_t kMaxImportBytes = 64 << 20;

  // `channel` reaches the services (Server::InProcessChannel()); `csrf_key` is a secret of at
  // least 32 bytes for the CSRF tokens (Server::CsrfKey(), kept in the store so that open tabs
  // survive a restart). `trusted_proxies`: IP addresses, exactly as the HTTP listener reports
  // its peers, whose X-Forwarded-For is believed.
  ApiGateway(std::shared_ptr<grpc::Channel> channel, std::string csrf_key,
             std::vector<std::string> trusted_proxies = {});

  void Handle(ApiRequest request, std::function<void(ApiResponse)> done);

  // The CSRF token of a session token.
  std::string CsrfToken(const std::string& session_token) const;

 private:
  bool CsrfTokenMatches(const std::string& session, const std::string& csrf_token) const;
  // The token a call is made with: the Bearer token of its authorization header, or else its
  // session cookie's, whose CSRF token must match. Unauthenticated for a malformed header or
  // no session; PermissionDenied for a missing or wrong CSRF token.
  absl::StatusOr<std::string> CallerToken(const ApiRequest& request) const;
  // POST /api/v1/session: CreateSession, its token into the cookie and the CSRF header.
  void LogIn(const ApiRequest& request, std::function<void(ApiResponse)> done);
  // POST /api/v1/session/logout: DeleteSession, and the cookie cleared whatever it answers.
  void LogOut(const std::string& session, std::function<void(ApiResponse)> done);
  // The import route after the session and CSRF checks: its query, then who sends it.
  void StartImport(const ApiRequest& request, std::shared_ptr<BodyStream> body,
                   const std::string& session, std::function<void(ApiResponse)> done);
  // The upload itself once `account` is known: an importer's, one at a time.
  void UploadAs(const v1::Account& account, const std::string& session, v1::ImportHeader header,
                indexer::SourceFileFormat format, std::shared_ptr<BodyStream> body,
                std::function<void(ApiResponse)> done);
  // Claims the account's one upload at a time; false when it has one running.
  bool StartUploadOf(const std::string& account_id);
  void EndUploadOf(const std::string& account_id);
  void Call(const std::string& full_method, const std::string& json, const std::string& token,
            std::function<void(grpc::Status, std::string json)> done,
            const std::string& client_address = "");

  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<grpc::GenericStub> stub_;
  std::unique_ptr<v1::SessionService::Stub> sessions_;
  std::string csrf_key_;
  std::vector<std::string> trusted_proxies_;
  std::mutex uploading_mutex_;
  std::set<std::string> uploading_;  // guarded by uploading_mutex_: accounts sending a file
  ImportUploads uploads_;            // last: its threads end before the rest goes
};

// The request message of the unary v1 method `full_method` ("/verkenner.v1.Service/Method")
// from `json`, its JSON body in protobuf's JSON mapping (empty: {}), as the gateway reads every
// call. Errors: NotFound for no such unary method; InvalidArgument "body: ..." that names no part
// of the body (protobuf's own message could quote it). Thread-safe.
absl::StatusOr<std::unique_ptr<google::protobuf::Message>> RequestFromJson(
    const std::string& full_method, const std::string& json);

// The value of cookie `name` in a Cookie header, or empty.
std::string CookieValue(const std::string& header, const std::string& name);

}  // namespace verkenner::service

#endif  // VERKENNER_SERVICE_HTTP_API_GATEWAY_H_
