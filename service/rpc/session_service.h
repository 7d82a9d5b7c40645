#ifndef VERKENNER_SERVICE_RPC_SESSION_SERVICE_H_
#define VERKENNER_SERVICE_RPC_SESSION_SERVICE_H_

#include <mutex>
#include <string>
#include <unordered_map>

#include "service/rpc/environment.h"
#include "service/rpc/worker_threads.h"
#include "verkenner/v1/sessions.grpc.pb.h"

namespace verkenner::service {

// Counts failed logins per e-mail address and per network address in fixed windows, to slow down
// password guessing. Thread-safe.
class LoginThrottle {
 public:
  static constexpr int kFailuresPerEmail = 10;
  static constexpr int kFailuresPerPeer = 100;
  static constexpr absl::Duration kWindow = absl::Minutes(15);

  // Seconds until `email` and `peer` may try again, or 0 when they may now.
  int64_t RetryAfterSeconds(const std::string& email, const std::string& peer, absl::Time now);
  void RecordFailure(const std::string& email, const std::string& peer, absl::Time now);

 private:
  struct Window {
    absl::Time start;
    int failures = 0;
  };
  std::mutex mutex_;
  std::unordered_map<std::string, Window> by_email_;
  std::unordered_map<std::string, Window> by_peer_;
};

// verkenner.v1.SessionService: login (CreateSession), logout and "who am I". Passwords are
// checked on two threads of its own, never on a gRPC thread: an argon2id verification takes
// about 70 ms and 64 MiB by design.
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
  const ServiceEnvironment& environment_;
  LoginThrottle throttle_;
  WorkerThreads password_threads_{2};
};

}  // namespace verkenner::service

#endif  // VERKENNER_SERVICE_RPC_SESSION_SERVICE_H_
