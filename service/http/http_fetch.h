#ifndef VERKENNER_SERVICE_HTTP_HTTP_FETCH_H_
#define VERKENNER_SERVICE_HTTP_HTTP_FETCH_H_

#include <chrono>
#include <cstdint>
#include <string>

#include "absl/status/statusor.h"

namespace verkenner::service {

// GET http://ADDRESS TARGET over HTTP/1.1 on a connection of its own, as a follower fetches the
// index writer's publication from its metrics listener (MetricsListener, "/index/published/..."):
// the body of a 200 answer. `timeout` bounds the whole exchange, `max_body_bytes` the body.
// Errors: NotFound for a 404; Unavailable for anything else (no connection, a timeout, another
// status, a body over the limit), naming the address. Thread-safe (no shared state).
absl::StatusOr<std::string> HttpGet(const std::string& address, const std::string& target,
                                    std::chrono::milliseconds timeout, uint64_t max_body_bytes);

}  // namespace verkenner::service

#endif  // VERKENNER_SERVICE_HTTP_HTTP_FETCH_H_
