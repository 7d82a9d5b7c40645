#ifndef VERKENNER_TESTS_SERVICE_RAW_HTTP_CLIENT_H_
#define VERKENNER_TESTS_SERVICE_RAW_HTTP_CLIENT_H_

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <string>

namespace verkenner::testing {

// HTTP/1.1 over plain POSIX sockets to 127.0.0.1, with a limit on every wait, so that a test of a
// listener that stopped answering fails instead of hanging.

// A connected TCP socket to 127.0.0.1:`port`, or -1.
inline int ConnectToLoopback(int port) {
  const int socket_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (socket_fd < 0) return -1;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(socket_fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    close(socket_fd);
    return -1;
  }
  return socket_fd;
}

inline bool SendAll(int socket_fd, const std::string& bytes) {
  size_t sent = 0;
  while (sent < bytes.size()) {
    const ssize_t n = send(socket_fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return false;
    sent += static_cast<size_t>(n);
  }
  return true;
}

inline constexpr char kNoEnd[] = "[no end within the limit]";

// Everything the peer sends until it closes (or resets), or what came followed by kNoEnd when
// `limit` passes first.
inline std::string ReadUntilClosed(int socket_fd, std::chrono::milliseconds limit) {
  const auto give_up = std::chrono::steady_clock::now() + limit;
  std::string received;
  while (true) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        give_up - std::chrono::steady_clock::now());
    pollfd readable = {socket_fd, POLLIN, 0};
    if (left.count() <= 0 || poll(&readable, 1, static_cast<int>(left.count())) <= 0) {
      return received + kNoEnd;
    }
    char buffer[4096];
    const ssize_t n = recv(socket_fd, buffer, sizeof buffer, 0);
    if (n <= 0) return received;
    received.append(buffer, static_cast<size_t>(n));
  }
}

// One request on a new connection and everything that comes back; "" when no connection could
// be made.
inline std::string Exchange(int port, const std::string& request,
                            std::chrono::milliseconds limit = std::chrono::seconds(10)) {
  const int socket_fd = ConnectToLoopback(port);
  if (socket_fd < 0) return "";
  SendAll(socket_fd, request);
  std::string answer = ReadUntilClosed(socket_fd, limit);
  close(socket_fd);
  return answer;
}

// The same over a Unix socket at `path` (HAProxy's stats socket takes a command a line and
// closes); "" when no connection could be made.
inline std::string ExchangeUnix(const std::string& path, const std::string& request,
                                std::chrono::milliseconds limit = std::chrono::seconds(10)) {
  sockaddr_un address{};
  if (path.size() >= sizeof address.sun_path) return "";
  address.sun_family = AF_UNIX;
  path.copy(address.sun_path, path.size());
  const int socket_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (socket_fd < 0) return "";
  if (connect(socket_fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    close(socket_fd);
    return "";
  }
  SendAll(socket_fd, request);
  std::string answer = ReadUntilClosed(socket_fd, limit);
  close(socket_fd);
  return answer;
}

}  // namespace verkenner::testing

#endif  // VERKENNER_TESTS_SERVICE_RAW_HTTP_CLIENT_H_
