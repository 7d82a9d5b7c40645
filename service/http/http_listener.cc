#include "service/http/http_listener.h"

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <limits>
#include <optional>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace verkenner::service {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, const HttpListener::Options* options,
          const HttpListener::Handler* handler)
      : stream_(std::move(socket)), options_(options), handler_(handler) {}

  void Start() {
    parser_.emplace();
    parser_->header_limit(static_cast<uint32_t>(options_->max_header_bytes));
    // Decided once the head is read (OnHead); until then no body is parsed.
    parser_->body_limit(std::numeric_limits<std::uint64_t>::max());
    stream_.expires_after(options_->timeout);
    http::async_read_header(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code error, size_t) { self->OnHead(error); });
  }

 private:
  void OnHead(beast::error_code error) {
    if (error) {  // timeout, oversized header, broken request: hang up
      beast::error_code ignored;
      stream_.socket().close(ignored);
      return;
    }
    const http::request<http::string_body>& message = parser_->get();
    request_.method = std::string(message.method_string());
    request_.target = std::string(message.target());
    for (const auto& field : message) {
      request_.headers[absl::AsciiStrToLower(std::string(field.name_string()))] =
          std::string(field.value());
    }
    HttpListener::BodyLimits limits{options_->max_body_bytes, options_->timeout};
    if (options_->body_limits) {
      if (std::optional<HttpListener::BodyLimits> route = options_->body_limits(request_)) {
        limits = *route;
      }
    }
    // Refused on the announced length, before any of the body is read.
    if (const auto length = parser_->content_length(); length && *length > limits.max_body_bytes) {
      TooLarge();
      return;
    }
    parser_->body_limit(limits.max_body_bytes);
    stream_.expires_after(limits.timeout);
    http::async_read(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code read, size_t) { self->OnRead(read); });
  }

  void TooLarge() {
    HttpResponse too_large;
    too_large.status = 413;
    too_large.body = "request body too large\n";
    Write(std::move(too_large), 11);
  }

  void OnRead(beast::error_code error) {
    if (error == http::error::body_limit) {
      TooLarge();
      return;
    }
    if (error) {  // timeout, broken request: hang up
      beast::error_code ignored;
      stream_.socket().close(ignored);
      return;
    }
    http::request<http::string_body> message = parser_->release();
    HttpRequest request = std::move(request_);
    request.body = std::move(message.body());
    const unsigned version = message.version();
    // The handler may answer from any thread: the write goes back onto this session's strand.
    (*handler_)(std::move(request), [self = shared_from_this(), version](HttpResponse response) {
      asio::post(self->stream_.get_executor(),
                 [self, version, response = std::move(response)]() mutable {
                   self->Write(std::move(response), version);
                 });
    });
  }

  void Write(HttpResponse answer, unsigned version) {
    response_.result(answer.status);
    response_.version(version);
    response_.set(http::field::server, "verkenner");
    response_.set(http::field::content_type, answer.content_type);
    for (const auto& [name, value] : answer.headers) response_.insert(name, value);
    response_.keep_alive(false);
    response_.body() = std::move(answer.body);
    response_.prepare_payload();
    stream_.expires_after(options_->timeout);
    http::async_write(stream_, response_, [self = shared_from_this()](beast::error_code, size_t) {
      beast::error_code ignored;
      self->stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    });
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  HttpRequest request_;  // the head, from OnHead to OnRead
  http::response<http::string_body> response_;
  const HttpListener::Options* options_;
  const HttpListener::Handler* handler_;
};

}  // namespace

struct HttpListener::Loop {
  explicit Loop(int threads) : context(threads) {}
  asio::io_context context;
  tcp::acceptor acceptor{context};
  Options options;
  Handler handler;

  void Accept() {
    acceptor.async_accept(
        asio::make_strand(context), [this](beast::error_code error, tcp::socket socket) {
          if (error) return;  // closed: stopping
          std::make_shared<Session>(std::move(socket), &options, &handler)->Start();
          Accept();
        });
  }
};

absl::StatusOr<std::unique_ptr<HttpListener>> HttpListener::Start(const std::string& address,
                                                                  Options options,
                                                                  Handler handler) {
  const size_t colon = address.rfind(':');
  int port = -1;
  if (colon == std::string::npos || !absl::SimpleAtoi(address.substr(colon + 1), &port) ||
      port < 0 || port > 65535) {
    return absl::InvalidArgumentError(absl::StrCat("HTTP address ", address, ": not host:port"));
  }
  beast::error_code error;
  const asio::ip::address host = asio::ip::make_address(address.substr(0, colon), error);
  if (error) return absl::InvalidArgumentError("HTTP address: not an IP address");
  std::unique_ptr<HttpListener> listener(new HttpListener());
  listener->loop_ = std::make_unique<Loop>(std::max(1, options.threads));
  Loop& loop = *listener->loop_;
  loop.options = options;
  loop.handler = std::move(handler);
  const tcp::endpoint endpoint(host, static_cast<uint16_t>(port));
  loop.acceptor.open(endpoint.protocol(), error);
  if (!error) loop.acceptor.set_option(asio::socket_base::reuse_address(true), error);
  if (!error) loop.acceptor.bind(endpoint, error);
  if (!error) loop.acceptor.listen(asio::socket_base::max_listen_connections, error);
  if (error) {
    return absl::UnavailableError(
        absl::StrCat("cannot listen for HTTP on ", address, ": ", error.message()));
  }
  listener->port_ = loop.acceptor.local_endpoint().port();
  loop.Accept();
  for (int i = 0; i < std::max(1, options.threads); ++i) {
    listener->threads_.emplace_back([&loop] { loop.context.run(); });
  }
  return listener;
}

HttpListener::~HttpListener() {
  if (loop_ != nullptr) {
    asio::post(loop_->context, [loop = loop_.get()] {
      beast::error_code ignored;
      loop->acceptor.close(ignored);
    });
    loop_->context.stop();
  }
  for (std::thread& thread : threads_) thread.join();
}

}  // namespace verkenner::service
