#include "service/http/metrics_listener.h"

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace verkenner::service {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

constexpr std::chrono::seconds kReadTimeout{5};
constexpr size_t kMaxHeaderBytes = 8 * 1024;

// One connection: read a request, answer it, close. A scraper opens one per scrape.
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, const std::function<std::string()>* metrics_text)
      : stream_(std::move(socket)), metrics_text_(metrics_text) {}

  void Start() {
    parser_.header_limit(kMaxHeaderBytes);
    parser_.body_limit(0);  // GET only: no body
    stream_.expires_after(kReadTimeout);
    http::async_read(
        stream_, buffer_, parser_,
        [self = shared_from_this()](beast::error_code error, size_t) { self->OnRead(error); });
  }

 private:
  void OnRead(beast::error_code error) {
    if (error) {
      stream_.socket().close(error);  // timeout, oversized or broken request: just hang up
      return;
    }
    const auto& request = parser_.get();
    const MetricsListener::Response answer = MetricsListener::Handle(
        std::string(request.method_string()), std::string(request.target()), *metrics_text_);
    response_.result(answer.status);
    response_.version(request.version());
    response_.set(http::field::server, "verkenner");
    response_.set(http::field::content_type, answer.content_type);
    response_.set(http::field::cache_control, "no-store");
    response_.keep_alive(false);
    response_.body() = answer.body;
    response_.prepare_payload();
    stream_.expires_after(kReadTimeout);
    http::async_write(stream_, response_, [self = shared_from_this()](beast::error_code, size_t) {
      beast::error_code ignored;
      self->stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    });
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  http::request_parser<http::empty_body> parser_;
  http::response<http::string_body> response_;
  const std::function<std::string()>* metrics_text_;
};

}  // namespace

struct MetricsListener::Loop {
  asio::io_context context{1};
  tcp::acceptor acceptor{context};
  std::function<std::string()> metrics_text;

  void Accept() {
    acceptor.async_accept(asio::make_strand(context),
                          [this](beast::error_code error, tcp::socket socket) {
                            if (error) return;  // closed: the loop is stopping
                            std::make_shared<Session>(std::move(socket), &metrics_text)->Start();
                            Accept();
                          });
  }
};

MetricsListener::Response MetricsListener::Handle(
    const std::string& method, const std::string& target,
    const std::function<std::string()>& metrics_text) {
  const std::string path = target.substr(0, target.find('?'));
  if (path != "/metrics" && path != "/healthz") {
    return {404, "text/plain; charset=utf-8", "not found\n"};
  }
  if (method != "GET") return {405, "text/plain; charset=utf-8", "only GET\n"};
  if (path == "/healthz") return {200, "text/plain; charset=utf-8", "ok\n"};
  return {200, "text/plain; version=0.0.4; charset=utf-8", metrics_text()};
}

absl::StatusOr<std::unique_ptr<MetricsListener>> MetricsListener::Start(
    const std::string& address, std::function<std::string()> metrics_text) {
  const size_t colon = address.rfind(':');
  int port = -1;
  if (colon == std::string::npos || !absl::SimpleAtoi(address.substr(colon + 1), &port) ||
      port < 0 || port > 65535) {
    return absl::InvalidArgumentError("metrics address: expected host:port");
  }
  std::unique_ptr<MetricsListener> listener(new MetricsListener());
  listener->loop_ = std::make_unique<Loop>();
  Loop& loop = *listener->loop_;
  loop.metrics_text = std::move(metrics_text);
  beast::error_code error;
  const asio::ip::address host = asio::ip::make_address(address.substr(0, colon), error);
  if (error) return absl::InvalidArgumentError("metrics address: not an IP address");
  const tcp::endpoint endpoint(host, static_cast<uint16_t>(port));
  loop.acceptor.open(endpoint.protocol(), error);
  if (!error) loop.acceptor.set_option(asio::socket_base::reuse_address(true), error);
  if (!error) loop.acceptor.bind(endpoint, error);
  if (!error) loop.acceptor.listen(asio::socket_base::max_listen_connections, error);
  if (error) {
    return absl::UnavailableError(
        absl::StrCat("cannot listen for metrics on ", address, ": ", error.message()));
  }
  listener->port_ = loop.acceptor.local_endpoint().port();
  loop.Accept();
  listener->thread_ = std::thread([&loop] { loop.context.run(); });
  return listener;
}

MetricsListener::~MetricsListener() {
  if (loop_ != nullptr) {
    asio::post(loop_->context, [this] {
      beast::error_code ignored;
      loop_->acceptor.close(ignored);
    });
    loop_->context.stop();
  }
  if (thread_.joinable()) thread_.join();
}

}  // namespace verkenner::service
