#include "service/http/http_fetch.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "base/host_port.h"

namespace verkenner::service {

namespace beast = boost::beast;
namespace http = beast::http;
using tcp = boost::asio::ip::tcp;

absl::StatusOr<std::string> HttpGet(const std::string& address, const std::string& target,
                                    std::chrono::milliseconds timeout, uint64_t max_body_bytes) {
  const std::optional<base::HostPort> host_port = base::SplitHostPort(address);
  if (!host_port.has_value()) {
    return absl::UnavailableError(absl::StrCat("not a host:port address: ", address));
  }
  std::string host = host_port->host;
  if (host.size() > 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  const auto failed = [&](const auto&... why) {
    return absl::UnavailableError(absl::StrCat("GET http://", address, target, ": ", why...));
  };
  try {
    boost::asio::io_context io;
    beast::tcp_stream stream(io);
    stream.expires_after(timeout);
    tcp::resolver resolver(io);
    stream.connect(resolver.resolve(host, std::to_string(host_port->port)));
    http::request<http::empty_body> request(http::verb::get, target, 11);
    request.set(http::field::host, address);
    request.set(http::field::connection, "close");
    http::write(stream, request);
    beast::flat_buffer buffer;
    http::response_parser<http::string_body> parser;
    parser.body_limit(max_body_bytes);
    http::read(stream, buffer, parser);
    beast::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
    const int status = parser.get().result_int();
    if (status == 404) return absl::NotFoundError(absl::StrCat("no ", target, " at ", address));
    if (status != 200) return failed("answered ", status);
    return std::move(parser.get().body());
  } catch (const boost::system::system_error& error) {
    return failed(error.code().message());
  }
}

}  // namespace verkenner::service
