#ifndef VERKENNER_SERVICE_RPC_UNARY_CALL_H_
#define VERKENNER_SERVICE_RPC_UNARY_CALL_H_

#include <grpcpp/grpcpp.h>

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <utility>

#include "absl/status/status.h"
#include "service/auth/authenticator.h"
#include "service/rpc/environment.h"

namespace verkenner::service {

// One unary call being answered: its context and the reactor that finishes it. A small value
// (two pointers) that the work of a handler carries along, to the engine pool or the store's
// writer, and finishes exactly once. Valid until Finish; not thread-safe beyond what gRPC's
// reactor is (one Finish per call).
class UnaryCall {
 public:
  UnaryCall(grpc::CallbackServerContext* context, grpc::ServerUnaryReactor* reactor)
      : context_(context), reactor_(reactor) {}

  // Finishes the call with `status` (FinishWith).
  void Finish(const absl::Status& status) const { FinishWith(context_, reactor_, status); }
  grpc::CallbackServerContext& context() const { return *context_; }

 private:
  grpc::CallbackServerContext* context_;
  grpc::ServerUnaryReactor* reactor_;
};

// What the own work of a handler decides: finish the call now with a status (an error of its
// checks, or the answer it could give at once), or Later: it has handed the call on (to the
// engine pool, the store's writer, a thread of its own), which finishes it.
class Answer {
 public:
  // Implicit, so that work can `return status;` or `return InvalidField(...);`.
  Answer(absl::Status status) : now_(std::move(status)) {}  // NOLINT(runtime/explicit)
  static Answer Later() { return Answer(); }

  // Finishes `call` when the answer is now; leaves it to the work it was handed to otherwise.
  void FinishNow(const UnaryCall& call) const {
    if (now_.has_value()) call.Finish(*now_);
  }

 private:
  Answer() = default;
  std::optional<absl::Status> now_;
};

// The opening every handler of a signed-in caller shares, written once: the caller is
// authenticated (else UNAUTHENTICATED) and holds one of `roles` (else PERMISSION_DENIED), before
// anything of the request is looked at; only then runs `work(UnaryCall, const Caller&)`, which
// returns an Answer. Returns the reactor gRPC waits on.
template <typename Work>
grpc::ServerUnaryReactor* AnswerCaller(const ServiceEnvironment& environment,
                                       grpc::CallbackServerContext* context,
                                       std::initializer_list<v1::AccountRole> roles, Work&& work) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  const UnaryCall call(context, reactor);
  std::optional<Caller> caller = AdmitCaller(environment, context, reactor, roles);
  if (!caller.has_value()) return reactor;
  std::forward<Work>(work)(call, *caller).FinishNow(call);
  return reactor;
}

// The opening of a handler that admits callers by its own rules (logging in, logging out, the
// current account): `work(UnaryCall)` returns an Answer.
template <typename Work>
grpc::ServerUnaryReactor* AnswerAnyone(grpc::CallbackServerContext* context, Work&& work) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  const UnaryCall call(context, reactor);
  std::forward<Work>(work)(call).FinishNow(call);
  return reactor;
}

}  // namespace verkenner::service

#endif  // VERKENNER_SERVICE_RPC_UNARY_CALL_H_
