#ifndef VERKENNER_BASE_HOST_PORT_H_
#define VERKENNER_BASE_HOST_PORT_H_

// The one reading of a listen address, "HOST:PORT", for every listener's flag: gRPC would take an
// out-of-range port modulo 65536 and listen somewhere unexpected, so the range is checked here.
// Free function without state: safe from any thread.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace verkenner::base {

struct HostPort {
  std::string host;  // what precedes the last ':' (not checked: the listener resolves it)
  uint16_t port = 0;
};

// Splits at the last ':'; nullopt when there is none or the port is not a whole number from 0 to
// 65535 written in decimal digits only.
std::optional<HostPort> SplitHostPort(std::string_view address);
// "HOST:PORT", with an IPv6 host in brackets ("[::1]:50051") unless it has them already.
std::string JoinHostPort(std::string_view host, uint16_t port);

// Where others reach a listener on `listen_address` that bound `port`: its host, or this
// machine's name when it listens on every address (0.0.0.0, [::] or no host).
std::string ReachableAddress(std::string_view listen_address, uint16_t port);

// This machine's name (gethostname), "localhost" when it has none.
std::string HostName();

}  // namespace verkenner::base

#endif  // VERKENNER_BASE_HOST_PORT_H_
