#ifndef VERKENNER_SERVICE_AUTH_AUTHENTICATOR_H_
#define VERKENNER_SERVICE_AUTH_AUTHENTICATOR_H_

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <initializer_list>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "absl/status/statusor.h"
#include "service/store/accounts.h"
#include "service/store/store.h"

namespace verkenner::service {

// Who is calling: the account a call's token acts for.
struct Caller {
  AccountRecord account;
  TokenKind token_kind = TokenKind::kSession;
  std::string token_hash;  // of the token the call carried
};

// Finds the caller of a gRPC call from its `authorization: Bearer <token>` metadata.
//
// A session ends kSessionLifetime after login at the latest, and after kSessionIdleTimeout
// without a call; an API token lasts until the admin CLI revokes it. The time of a token's last
// use is written at most once per kLastUseResolution, so that reading calls do not each wait
// for a disk write.
//
// Thread-safe. Does not own the store, which must outlive it.
class Authenticator {
 public:
  static constexpr std::chrono::hours kSessionLifetime{12};
  static constexpr std::chrono::minutes kSessionIdleTimeout{30};
  static constexpr std::chrono::minutes kLastUseResolution{1};

  explicit Authenticator(Store* store) : store_(store) {}

  // The caller, or Unauthenticated ("missing or invalid token", never saying which) when the
  // call carries no token, a malformed one, or one that is unknown, expired or of a disabled
  // account. Unavailable when the store cannot be read.
  absl::StatusOr<Caller> Authenticate(const grpc::ServerContextBase& context);

  // The token a call carries, or empty.
  static std::string BearerToken(const grpc::ServerContextBase& context);

 private:
  Store* store_;
  std::mutex mutex_;
  // When each token's last use was last written, to write it at most once per resolution.
  std::unordered_map<std::string, int64_t> last_use_written_;
};

// The token of an `authorization` value "Bearer <token>" (the scheme in any case, RFC 7235;
// spaces after it skipped), or empty for any other value. One rule for gRPC metadata and the
// HTTP header.
std::string BearerCredential(std::string_view authorization);

// PermissionDenied unless the caller has one of `roles`: a call checks the role before it looks
// at any object.
absl::Status RequireRole(const Caller& caller, std::initializer_list<v1::AccountRole> roles);

}  // namespace verkenner::service

#endif  // VERKENNER_SERVICE_AUTH_AUTHENTICATOR_H_
