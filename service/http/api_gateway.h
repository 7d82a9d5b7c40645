#ifndef VERKENNER_SERVICE_HTTP_API_GATEWAY_H_
#define VERKENNER_SERVICE_HTTP_API_GATEWAY_H_

#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace verkenner::service {

// One HTTP request as the gateway needs it; the listener fills it from the wire.
struct ApiRequest {
  std::string method;      // "POST"
  std::string target;      // "/api/v1/CandidateSearchService/SearchCandidates"
  std::string body;        // JSON
  std::string cookie;      // the Cookie header, or empty
  std::string csrf_token;  // the X-CSRF-Token header, or empty
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
// Status codes: OK 200, INVALID_ARGUMENT 400, UNAUTHENTICATED 401, PERMISSION_DENIED or a bad
// CSRF token 403, NOT_FOUND 404, ALREADY_EXISTS and ABORTED 409, FAILED_PRECONDITION 412,
// RESOURCE_EXHAUSTED 429 (with Retry-After), UNAVAILABLE 503, DEADLINE_EXCEEDED 504, others 500.
// Errors have the body {"code": "...", "message": "..."} (a google.protobuf.Struct).
//
// Thread-safe. `done` runs on a gRPC thread or the caller's.
class ApiGateway {
 public:
  static constexpr char kSessionCookie[] = "verkenner_session";

  // `channel` reaches the services (Server::InProcessChannel()); `csrf_key` is a secret of at
  // least 32 bytes for the CSRF tokens, new per process (sessions outlive it only with a reload).
  ApiGateway(std::shared_ptr<grpc::Channel> channel, std::string csrf_key);

  void Handle(ApiRequest request, std::function<void(ApiResponse)> done);

  // The CSRF token of a session token.
  std::string CsrfToken(const std::string& session_token) const;

 private:
  void Call(const std::string& full_method, const std::string& json, const std::string& token,
            std::function<void(grpc::Status, std::string json, std::string retry_after)> done);

  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<grpc::GenericStub> stub_;
  std::string csrf_key_;
};

// The value of cookie `name` in a Cookie header, or empty.
std::string CookieValue(const std::string& header, const std::string& name);

}  // namespace verkenner::service

#endif  // VERKENNER_SERVICE_HTTP_API_GATEWAY_H_
