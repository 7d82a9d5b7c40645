#ifndef VERKENNER_SERVICE_RPC_SESSION_SERVICE_H_
#define VERKENNER_SERVICE_RPC_SESSION_SERVICE_H_

#include <string>

#include "service/auth/login_throttle.h"
#include "service/rpc/environment.h"
#include "service/rpc/unary_call.h"
#include "service/rpc/worker_threads.h"
#include "verkenner/v1/sessions.grpc.pb.h"

namespace verkenner::service {

// verkenner.v1.SessionService: login (CreateSession), logout and "who am I". Passwords are
// checked on two threads of its own, never on a gRPC thread: an argon2id verification takes
// about 70 ms and 64 MiB by design. Logins are throttled (LoginThrottle) by account and by the
// client's address before a password is queued for checking; a throttled login fails with
// RESOURCE_EXHAUSTED and a `retry-after` hint. The client's address is the gRPC peer's, except
// for calls over the in-process channel (the web gateway), which name their client in metadata
// kClientAddressMetadata; a network client's metadata is never believed.
//
// Thread-safe. Does not own the environment.
class SessionService final : public v1::SessionService::CallbackService {
 public:
  explicit SessionService(const ServiceEnvironment* environment);

  grpc::ServerUnaryReactor* CreateSession(grpc::CallbackServerContext* context,
                                          const v1::CreateSessionRequest* request,
                                          v1::CreateSessionResponse* response) override;
  grpc::ServerUnaryReactor* DeleteSession(grpc::CallbackServerContext* context,
                                          const v1::DeleteSessionRequest* request,
                                          v1::DeleteSessionResponse* response) override;
  grpc::ServerUnaryReactor* GetCurrentAccount(grpc::CallbackServerContext* context,
                                              const v1::GetCurrentAccountRequest* request,
                                              v1::GetCurrentAccountResponse* response) override;

 private:
  // On a password thread: checks the password of `email`, then IssueSession; or finishes the
  // call UNAUTHENTICATED (one answer for every wrong case) or UNAVAILABLE.
  void LogIn(UnaryCall call, const v1::CreateSessionRequest& request, const std::string& email,
             const std::string& client, v1::CreateSessionResponse* response);
  // Stores a new session token of `account` (and `new_hash` when not empty), then finishes the
  // call with it; the token goes out only once stored.
  void IssueSession(UnaryCall call, const AccountRecord& account, const std::string& new_hash,
                    v1::CreateSessionResponse* response);

  const ServiceEnvironment& environment_;
  LoginThrottle throttle_;
  WorkerThreads password_threads_{2};
};

}  // namespace verkenner::service

#endif  // VERKENNER_SERVICE_RPC_SESSION_SERVICE_H_
