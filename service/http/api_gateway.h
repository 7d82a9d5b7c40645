#ifndef VERKENNER_SERVICE_HTTP_API_GATEWAY_H_
#define VERKENNER_SERVICE_HTTP_API_GATEWAY_H_

#include <google/protobuf/message.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
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
// Sessions: POST /api/v1/session with {"email", "password"} logs in through
// SessionService.CreateSession; the session token goes into a cookie (HttpOnly, Secure,
// SameSite=Strict) and never into the body, which page scripts read. The response carries an
// X-CSRF-Token header: an HMAC of the session token that every other call must send back in the
// same header (state-changing or not: every API call is a POST). POST /api/v1/session/logout
// ends the session and clears the cookie.
//
// Import files: POST /api/v1/imports?import_id=ID&mode=INCREMENTAL|FULL_SYNC&file_name=NAME with
// the file as the body (CSV when NAME ends in .csv, JSON Lines when in .jsonl; at most
// kMaxImportBytes; mode may also be the enum's name, IMPORT_MODE_FULL_SYNC, and absent means
// INCREMENTAL) starts ProfileImportService.ImportProfiles as the session's account (header
// source: the account's own; the service checks role, source, import id and rows) and streams
// the file's rows in (StartImportUpload). The answer comes once the service has started the
// import: 202 with {"importId": ID}, plus "replayed": true when that import id had succeeded
// before; the import runs on, and GetImport reports progress and the outcome. Errors before the
// start are mapped like every other call's; a bad query or file name is 400.
//
// Status codes: OK 200, INVALID_ARGUMENT 400, UNAUTHENTICATED 401, PERMISSION_DENIED or a bad
// CSRF token 403, NOT_FOUND 404, ALREADY_EXISTS and ABORTED 409, FAILED_PRECONDITION 412,
// RESOURCE_EXHAUSTED 429 (with Retry-After), UNAVAILABLE 503, DEADLINE_EXCEEDED 504, others 500.
// Errors have the body {"code": "...", "message": "..."} (a google.protobuf.Struct).
//
// Thread-safe. `done` runs on a gRPC thread or the caller's.
class ApiGateway {
 public:
  static constexpr char kSessionCookie[] = "verkenner_session";
  static constexpr char kImportRoute[] = "/api/v1/imports";
  static constexpr size_t kMaxImportBytes = 64 << 20;

  // `channel` reaches the services (Server::InProcessChannel()); `csrf_key` is a secret of at
  // least 32 bytes for the CSRF tokens (Server::CsrfKey(), kept in the store so that open tabs
  // survive a restart).
  ApiGateway(std::shared_ptr<grpc::Channel> channel, std::string csrf_key);

  void Handle(ApiRequest request, std::function<void(ApiResponse)> done);

  // The CSRF token of a session token.
  std::string CsrfToken(const std::string& session_token) const;

  // Whether a request with this head may send a body of up to kMaxImportBytes: a POST to
  // kImportRoute with a session cookie and its CSRF token (so that only a signed-in user's
  // browser makes the server hold that much). Does not check the session itself.
  bool MaySendImportFile(const std::string& method, const std::string& path,
                         const std::string& cookie, const std::string& csrf_token) const;

 private:
  bool CsrfTokenMatches(const std::string& session, const std::string& csrf_token) const;
  void StartImport(const ApiRequest& request, std::string body, const std::string& session,
                   std::function<void(ApiResponse)> done);
  void Call(const std::string& full_method, const std::string& json, const std::string& token,
            std::function<void(grpc::Status, std::string json, std::string retry_after)> done);

  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<grpc::GenericStub> stub_;
  std::unique_ptr<v1::SessionService::Stub> sessions_;
  std::string csrf_key_;
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
