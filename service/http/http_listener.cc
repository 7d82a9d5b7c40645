#include "service/http/http_listener.h"

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <limits>
#include <map>
#include <mutex>
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

struct ListenerState;

// The peer's address as text; an IPv4 client of a dual-stack socket as plain IPv4.
std::string RemoteAddress(const tcp::socket& socket) {
  beast::error_code error;
  const tcp::endpoint peer = socket.remote_endpoint(error);
  if (error) return "";
  const asio::ip::address address = peer.address();
  if (address.is_v6() && address.to_v6().is_v4_mapped()) {
    return asio::ip::make_address_v4(asio::ip::v4_mapped, address.to_v6()).to_string();
  }
  return address.to_string();
}

class Session : public std::enable_shared_from_this<Session> {
 public:
  // `state` outlives every operation of the session on the listener's threads.
  Session(tcp::socket socket, ListenerState* state);

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
    request_.remote_address = RemoteAddress(stream_.socket());
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
    AwaitAnswer(std::move(request), message.version());
  }

  // Hands the request to the handler and waits for its answer (after ListenerState).
  void AwaitAnswer(HttpRequest request, unsigned version);

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
  ListenerState* state_;
  const HttpListener::Options* options_;
};

// What the listener's threads, its sessions and late answers share. Owned by the listener and,
// for the moment it takes to post an answer, by the answer; so the io_context lives as long as
// anything may still post to it.
struct ListenerState : std::enable_shared_from_this<ListenerState> {
  explicit ListenerState(int threads) : context(threads) {}

  // Declared first, destroyed last: every socket belongs to it.
  asio::io_context context;
  tcp::acceptor acceptor{context};
  HttpListener::Options options;
  HttpListener::Handler handler;
  // Sessions whose request is with the handler. They are owned here, not by the answer callback,
  // so that when the listener stops they go before the io_context does; a later answer then
  // finds nothing to write to. (An answer callback that owned its session could destroy the
  // session, and close its socket, after the io_context was gone.)
  std::mutex awaiting_mutex;
  std::map<Session*, std::shared_ptr<Session>> awaiting;

  void Accept() {
    acceptor.async_accept(asio::make_strand(context),
                          [this](beast::error_code error, tcp::socket socket) {
                            if (error) return;  // closed: stopping
                            std::make_shared<Session>(std::move(socket), this)->Start();
                            Accept();
                          });
  }
};

Session::Session(tcp::socket socket, ListenerState* state)
    : stream_(std::move(socket)), state_(state), options_(&state->options) {}

void Session::AwaitAnswer(HttpRequest request, unsigned version) {
  {
    std::lock_guard<std::mutex> lock(state_->awaiting_mutex);
    state_->awaiting.emplace(this, shared_from_this());
  }
  // The handler may answer from any thread: the write goes back onto this session's strand.
  state_->handler(std::move(request), [weak_state = state_->weak_from_this(), session = this,
                                       version](HttpResponse response) {
    std::shared_ptr<ListenerState> state = weak_state.lock();
    if (state == nullptr) return;  // the listener has stopped
    std::shared_ptr<Session> self;
    {
      std::lock_guard<std::mutex> lock(state->awaiting_mutex);
      auto found = state->awaiting.find(session);
      if (found == state->awaiting.end()) return;  // answered already, or stopping
      self = std::move(found->second);
      state->awaiting.erase(found);
    }
    asio::post(self->stream_.get_executor(),
               [self, version, response = std::move(response)]() mutable {
                 self->Write(std::move(response), version);
               });
  });
}

}  // namespace

struct HttpListener::Loop : ListenerState {
  using ListenerState::ListenerState;
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
  listener->loop_ = std::make_shared<Loop>(std::max(1, options.threads));
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
  if (loop_ != nullptr) {
    // Sessions still waiting for an answer close now, while their io_context exists.
    std::map<Session*, std::shared_ptr<Session>> awaiting;
    {
      std::lock_guard<std::mutex> lock(loop_->awaiting_mutex);
      awaiting.swap(loop_->awaiting);
    }
  }
}

}  // namespace verkenner::service
