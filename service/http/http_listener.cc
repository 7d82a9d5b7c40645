#include "service/http/http_listener.h"

#include <string.h>

#include <algorithm>
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <condition_variable>
#include <future>
#include <limits>
#include <map>
#include <mutex>
#include <optional>
#include <type_traits>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "base/host_port.h"

namespace verkenner::service {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using PlainStream = beast::tcp_stream;
using TlsStream = beast::ssl_stream<beast::tcp_stream>;

// The pause after a failed accept(), doubling while failures last.
constexpr std::chrono::milliseconds kFirstAcceptPause{50};
constexpr std::chrono::milliseconds kLongestAcceptPause{500};
// How long a connection answered before its request was read (refused, 413) may go on sending
// before it is closed.
constexpr std::chrono::seconds kLinger{1};

// The largest part of a streamed body handed over at once.
constexpr size_t kBodyPartBytes = 64 * 1024;

struct ListenerState;

// A streamed body (BodyStream) between a session, which reads one part when asked, and the
// handler's thread, which asks and waits. At most one part is read ahead of the handler.
class SessionBodyStream final : public BodyStream {
 public:
  // `read_more` starts the read of the next part (on the session's strand); it must not block.
  explicit SessionBodyStream(std::function<void()> read_more) : read_more_(std::move(read_more)) {}

  bool Read(std::string& part) override {
    std::unique_lock<std::mutex> lock(mutex_);
    if (!has_part_ && !ended_ && !asked_) {
      asked_ = true;
      lock.unlock();
      read_more_();
      lock.lock();
    }
    changed_.wait(lock, [&] { return has_part_ || ended_; });
    if (!has_part_) return false;
    part.swap(part_);
    part_.clear();
    has_part_ = false;
    return true;
  }
  absl::Status status() override {
    std::lock_guard<std::mutex> lock(mutex_);
    return status_;
  }

  // The session's side: a part has arrived.
  void Deliver(std::string part) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      part_ = std::move(part);
      has_part_ = true;
      asked_ = false;
    }
    changed_.notify_all();
  }
  // The session's side: no more parts will come, for `why` (OK: the body is complete).
  void End(absl::Status why) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (ended_) return;
      ended_ = true;
      status_ = std::move(why);
    }
    changed_.notify_all();
  }

 private:
  const std::function<void()> read_more_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::string part_;       // guarded by mutex_
  bool has_part_ = false;  // guarded by mutex_
  bool asked_ = false;     // guarded by mutex_: a read is under way
  bool ended_ = false;     // guarded by mutex_
  absl::Status status_;    // guarded by mutex_
};
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

// What the listener's registers hold of a session, whatever its stream.
class SessionBase : public std::enable_shared_from_this<SessionBase> {
 public:
  virtual ~SessionBase() = default;
  // Reads the request (after a TLS handshake), hands it over and writes the answer.
  virtual void Start() = 0;
  // Over the connection cap: a 503 at once without reading the request, or over TLS the
  // connection closed (a 503 would need the handshake first).
  virtual void Refuse() = 0;
  // On the session's strand, when the listener drains (see Session::CloseIfIdle).
  virtual void CloseIfIdle() = 0;
  // On the session's strand: the handler's answer.
  virtual void Write(HttpResponse answer, unsigned version) = 0;
  virtual asio::any_io_executor executor() = 0;

  bool admitted_ = false;  // holds a connection slot
};

// One connection over a plain TCP stream (PlainStream) or TLS on it (TlsStream).
template <class Stream>
class Session final : public SessionBase {
 public:
  static constexpr bool kTls = std::is_same_v<Stream, TlsStream>;

  // `state` outlives every operation of the session on the listener's threads.
  Session(tcp::socket socket, ListenerState* state);
  Session(tcp::socket socket, ssl::context& tls, ListenerState* state);
  // Gives back its connection slot (ListenerState::Admit).
  ~Session() override;

  asio::any_io_executor executor() override { return stream_.get_executor(); }

  void Refuse() override {
    if constexpr (kTls) {
      // No answer without a handshake, which the cap is there to spare: the connection closes.
      beast::error_code ignored;
      Socket().close(ignored);
      return;
    }
    HttpResponse busy;
    busy.status = 503;
    busy.headers.emplace_back("Retry-After", "1");
    busy.body =
        "Te veel verbindingen tegelijk; probeer het zo opnieuw.\n"
        "Too many connections at once; try again shortly.\n";
    Write(std::move(busy), 11);
  }

  // On the session's strand, when the listener drains: a connection still waiting for its
  // request's head, with nothing of it arriving, carries no request and is closed.
  void CloseIfIdle() override {
    beast::error_code ignored;
    if (phase_ == Phase::kHead && Socket().available(ignored) == 0) Socket().close(ignored);
  }

  void Start() override {
    if constexpr (kTls) {
      Lowest().expires_after(options_->timeout);
      stream_.async_handshake(ssl::stream_base::server, [self = Self()](beast::error_code error) {
        if (error) {  // not TLS, another CA, a timeout: hang up
          beast::error_code ignored;
          self->Socket().close(ignored);
          return;
        }
        self->ReadHead();
      });
    } else {
      ReadHead();
    }
  }

 private:
  std::shared_ptr<Session> Self() {
    return std::static_pointer_cast<Session>(this->shared_from_this());
  }
  beast::tcp_stream& Lowest() { return beast::get_lowest_layer(stream_); }
  tcp::socket& Socket() { return Lowest().socket(); }

  void ReadHead() {
    phase_ = Phase::kHead;
    parser_.emplace();
    parser_->header_limit(static_cast<uint32_t>(options_->max_header_bytes));
    // Decided once the head is read (OnHead); until then no body is parsed.
    parser_->body_limit(std::numeric_limits<std::uint64_t>::max());
    Lowest().expires_after(options_->timeout);
    http::async_read_header(
        stream_, buffer_, *parser_,
        [self = Self()](beast::error_code error, size_t) { self->OnHead(error); });
  }

  void OnHead(beast::error_code error) {
    if (error) {  // timeout, oversized header, broken request: hang up
      beast::error_code ignored;
      Socket().close(ignored);
      return;
    }
    const http::request<http::string_body>& message = parser_->get();
    request_.method = std::string(message.method_string());
    request_.target = std::string(message.target());
    request_.remote_address = RemoteAddress(Socket());
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
    phase_ = Phase::kBody;
    Lowest().expires_after(limits.timeout);
    if (limits.stream) {
      StreamBody(limits.max_body_bytes);
      return;
    }
    parser_->body_limit(limits.max_body_bytes);
    http::async_read(stream_, buffer_, *parser_,
                     [self = Self()](beast::error_code read, size_t) { self->OnRead(read); });
  }

  // Hands the request to the handler now, with a BodyStream that reads the body as it is asked
  // (after ListenerState).
  void StreamBody(size_t max_body_bytes);

  // On the strand, when the handler asks for more of a streamed body.
  void ReadBodyPart() {
    if (answered_) {
      body_->End(absl::UnavailableError("the request was answered before its body was read"));
      return;
    }
    if (body_parser_->is_done()) {
      request_read_ = true;
      body_->End(absl::OkStatus());
      return;
    }
    body_part_.resize(kBodyPartBytes);
    body_parser_->get().body().data = body_part_.data();
    body_parser_->get().body().size = body_part_.size();
    body_read_in_flight_ = true;
    http::async_read(stream_, buffer_, *body_parser_,
                     [self = Self()](beast::error_code error, size_t) { self->OnBodyPart(error); });
  }

  void OnBodyPart(beast::error_code error) {
    body_read_in_flight_ = false;
    if (error == http::error::need_buffer) error = {};  // the part is full
    if (answered_) {
      body_->End(absl::UnavailableError("the request was answered before its body was read"));
      Linger();
      return;
    }
    if (error) {
      body_->End(error == http::error::body_limit ? absl::ResourceExhaustedError("body too large")
                 : error == beast::error::timeout ? absl::DeadlineExceededError("body too slow")
                                                  : absl::UnavailableError("connection broken"));
      return;
    }
    const size_t got = body_part_.size() - body_parser_->get().body().size;
    if (got == 0 && !body_parser_->is_done()) {
      ReadBodyPart();
      return;
    }
    body_part_.resize(got);
    if (got > 0) body_->Deliver(std::move(body_part_));
    if (body_parser_->is_done()) {
      request_read_ = true;
      body_->End(absl::OkStatus());
    }
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
      Socket().close(ignored);
      return;
    }
    http::request<http::string_body> message = parser_->release();
    phase_ = Phase::kAnswer;
    request_read_ = true;
    HttpRequest request = std::move(request_);
    request.body = std::move(message.body());
    AwaitAnswer(std::move(request), message.version());
  }

  // Hands the request to the handler and waits for its answer (after ListenerState).
  void AwaitAnswer(HttpRequest request, unsigned version);

  void Write(HttpResponse answer, unsigned version) override {
    phase_ = Phase::kAnswer;
    answered_ = true;
    response_.result(answer.status);
    response_.version(version);
    response_.set(http::field::server, "verkenner");
    response_.set(http::field::content_type, answer.content_type);
    for (const auto& [name, value] : answer.headers) response_.insert(name, value);
    response_.keep_alive(false);
    response_.body() = std::move(answer.body);
    response_.prepare_payload();
    Lowest().expires_after(options_->timeout);
    http::async_write(stream_, response_, [self = Self()](beast::error_code, size_t) {
      if constexpr (kTls) {
        // TLS says the answer is whole with close_notify; the peer's is not waited for long.
        self->Lowest().expires_after(kLinger);
        self->stream_.async_shutdown([self](beast::error_code) {
          beast::error_code ignored;
          self->Socket().shutdown(tcp::socket::shutdown_send, ignored);
        });
        return;
      }
      beast::error_code ignored;
      self->Socket().shutdown(tcp::socket::shutdown_send, ignored);
      // A streamed body's read in flight lingers when it completes (OnBodyPart).
      if (!self->request_read_ && !self->body_read_in_flight_) self->Linger();
    });
  }

  // Reads and drops what the client still sends, until it closes or kLinger has passed: closing
  // a socket with unread input resets the connection, and the client may lose the answer.
  void Linger() {
    Lowest().expires_after(kLinger);
    buffer_.consume(buffer_.size());
    stream_.async_read_some(buffer_.prepare(4096),
                            [self = Self()](beast::error_code error, size_t) {
                              if (!error) self->Linger();
                            });
  }

  Stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  // For a streamed body: the parser after the head, the part being read, the handler's side.
  std::optional<http::request_parser<http::buffer_body>> body_parser_;
  std::string body_part_;
  std::shared_ptr<SessionBodyStream> body_;
  bool body_read_in_flight_ = false;
  bool answered_ = false;
  HttpRequest request_;  // the head, from OnHead to OnRead
  http::response<http::string_body> response_;
  ListenerState* state_;
  const HttpListener::Options* options_;
  // Where the exchange is, for Drain: waiting for the head, reading the body, or answering.
  enum class Phase { kHead, kBody, kAnswer };
  Phase phase_ = Phase::kHead;
  bool request_read_ = false;

  friend struct ListenerState;
};

// What the listener's threads, its sessions and late answers share. Owned by the listener and,
// for the moment it takes to post an answer, by the answer; so the io_context lives as long as
// anything may still post to it.
struct ListenerState : std::enable_shared_from_this<ListenerState> {
  explicit ListenerState(int threads) : context(threads) {}

  // Every admitted session, for the cap and for Drain; `closed` is signalled as they end.
  // Declared before the io_context: sessions that the io_context's destructor destroys (with
  // their pending operations) still leave this register.
  std::mutex sessions_mutex;
  std::condition_variable closed;
  std::map<SessionBase*, std::weak_ptr<SessionBase>> sessions;
  // Declared before the rest, destroyed after them: every socket belongs to it.
  asio::io_context context;
  // Keeps the threads running while no operation is pending: when the listener drains, answers
  // still come for sessions that wait for their handler. The destructor stops the io_context.
  asio::executor_work_guard<asio::io_context::executor_type> keep_running =
      asio::make_work_guard(context);
  // The acceptor and its retry timer share a strand, which Drain and the destructor post to.
  asio::strand<asio::io_context::executor_type> accept_strand = asio::make_strand(context);
  tcp::acceptor acceptor{accept_strand};
  asio::steady_timer accept_retry{accept_strand};
  std::chrono::milliseconds accept_pause = kFirstAcceptPause;
  HttpListener::Options options;
  std::optional<ssl::context> tls;  // with Options::tls
  HttpListener::Handler handler;
  // Sessions whose request is with the handler. They are owned here, not by the answer callback,
  // so that when the listener stops they go before the io_context does; a later answer then
  // finds nothing to write to. (An answer callback that owned its session could destroy the
  // session, and close its socket, after the io_context was gone.)
  std::mutex awaiting_mutex;
  std::map<SessionBase*, std::shared_ptr<SessionBase>> awaiting;

  void Accept() {
    acceptor.async_accept(asio::make_strand(context),
                          [this](beast::error_code error, tcp::socket socket) {
                            if (!acceptor.is_open()) return;  // stopping
                            if (error) {
                              PauseAccepting(error);
                              return;
                            }
                            accept_pause = kFirstAcceptPause;
                            std::shared_ptr<SessionBase> session = NewSession(std::move(socket));
                            if (Admit(session)) {
                              session->Start();
                            } else {
                              session->Refuse();
                            }
                            Accept();
                          });
  }

  std::shared_ptr<SessionBase> NewSession(tcp::socket socket) {
    if (tls.has_value()) {
      return std::make_shared<Session<TlsStream>>(std::move(socket), *tls, this);
    }
    return std::make_shared<Session<PlainStream>>(std::move(socket), this);
  }

  // accept() failed, most likely for want of descriptors or memory: say so and try again later,
  // when closing connections may have freed some. Asio retries the transient errors itself.
  void PauseAccepting(const beast::error_code& error) {
    if (options.log != nullptr) {
      // accept() fails with an errno. strerrordesc_np, not error.message(): the same text
      // without a virtual call, which UBSan (in the asan build) verifies with a pipe() that
      // fails when no descriptor is left, and reports as a bad object.
      const char* description = strerrordesc_np(error.value());
      options.log->Write(
          "error", "http_accept_failed",
          {"\"listener\":" + StructuredLog::Quote(options.name),
           "\"error\":" +
               StructuredLog::Quote(description != nullptr ? description : "unknown error"),
           absl::StrCat("\"errno\":", error.value()),
           absl::StrCat("\"retry_ms\":", accept_pause.count())});
    }
    accept_retry.expires_after(accept_pause);
    accept_pause = std::min(accept_pause * 2, kLongestAcceptPause);
    accept_retry.async_wait([this](beast::error_code waited) {
      if (!waited && acceptor.is_open()) Accept();
    });
  }

  // Whether `session` gets one of the max_connections slots.
  bool Admit(const std::shared_ptr<SessionBase>& session) {
    std::lock_guard<std::mutex> lock(sessions_mutex);
    if (sessions.size() >= static_cast<size_t>(std::max(0, options.max_connections))) return false;
    sessions.emplace(session.get(), session);
    session->admitted_ = true;
    return true;
  }

  void Release(SessionBase* session) {
    std::lock_guard<std::mutex> lock(sessions_mutex);
    sessions.erase(session);
    if (sessions.empty()) closed.notify_all();
  }

  // On the acceptor's strand: no new connections, and the idle ones closed.
  void StopAccepting() {
    beast::error_code ignored;
    acceptor.close(ignored);
    accept_retry.cancel();
    std::lock_guard<std::mutex> lock(sessions_mutex);
    for (const auto& [raw, weak] : sessions) {
      if (std::shared_ptr<SessionBase> session = weak.lock()) {
        asio::post(session->executor(), [session] { session->CloseIfIdle(); });
      }
    }
  }
};

template <class Stream>
Session<Stream>::Session(tcp::socket socket, ListenerState* state)
    : stream_(std::move(socket)), state_(state), options_(&state->options) {}

template <class Stream>
Session<Stream>::Session(tcp::socket socket, ssl::context& tls, ListenerState* state)
    : stream_(std::move(socket), tls), state_(state), options_(&state->options) {}

template <class Stream>
Session<Stream>::~Session() {
  if (body_ != nullptr) body_->End(absl::UnavailableError("the connection closed"));
  if (admitted_) state_->Release(this);
}

template <class Stream>
void Session<Stream>::StreamBody(size_t max_body_bytes) {
  const unsigned version = parser_->get().version();
  body_parser_.emplace(std::move(*parser_));
  parser_.reset();
  body_parser_->body_limit(max_body_bytes);
  // The handler's thread asks; the read runs on the strand, unless the listener is gone (then
  // the session has ended the stream already). The callback holds nothing of the io_context's,
  // not even the strand: the handler may keep the stream after the listener's end.
  body_ = std::make_shared<SessionBodyStream>(
      [weak_state = state_->weak_from_this(), weak = std::weak_ptr<Session>(Self())] {
        std::shared_ptr<ListenerState> alive = weak_state.lock();
        std::shared_ptr<Session> self = weak.lock();
        if (alive == nullptr || self == nullptr) return;
        asio::post(self->stream_.get_executor(), [weak] {
          if (std::shared_ptr<Session> session = weak.lock()) session->ReadBodyPart();
        });
      });
  HttpRequest request = std::move(request_);
  request.body_stream = body_;
  AwaitAnswer(std::move(request), version);
}

template <class Stream>
void Session<Stream>::AwaitAnswer(HttpRequest request, unsigned version) {
  {
    std::lock_guard<std::mutex> lock(state_->awaiting_mutex);
    state_->awaiting.emplace(this, Self());
  }
  // The handler may answer from any thread: the write goes back onto this session's strand.
  state_->handler(std::move(request), [weak_state = state_->weak_from_this(), session = this,
                                       version](HttpResponse response) {
    std::shared_ptr<ListenerState> state = weak_state.lock();
    if (state == nullptr) return;  // the listener has stopped
    std::shared_ptr<SessionBase> self;
    {
      std::lock_guard<std::mutex> lock(state->awaiting_mutex);
      auto found = state->awaiting.find(session);
      if (found == state->awaiting.end()) return;  // answered already, or stopping
      self = std::move(found->second);
      state->awaiting.erase(found);
    }
    asio::post(self->executor(), [self, version, response = std::move(response)]() mutable {
      self->Write(std::move(response), version);
    });
  });
}

// A server's TLS context from checked PEM material: TLS 1.2 and newer; with a client CA, a
// client without a certificate it signed fails the handshake.
absl::StatusOr<ssl::context> TlsContext(const base::TlsFiles& files) {
  ssl::context context(ssl::context::tls_server);
  beast::error_code error;
  context.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                          ssl::context::no_sslv3 | ssl::context::no_tlsv1 |
                          ssl::context::no_tlsv1_1,
                      error);
  if (!error) context.use_certificate_chain(asio::buffer(files.certificate_chain), error);
  if (!error) context.use_private_key(asio::buffer(files.private_key), ssl::context::pem, error);
  if (!error && !files.client_ca.empty()) {
    context.add_certificate_authority(asio::buffer(files.client_ca), error);
    if (!error) {
      context.set_verify_mode(ssl::verify_peer | ssl::verify_fail_if_no_peer_cert, error);
    }
  }
  if (error) return absl::InvalidArgumentError("TLS: the certificate or key cannot be used");
  return context;
}

}  // namespace

struct HttpListener::Loop : ListenerState {
  using ListenerState::ListenerState;
};

absl::StatusOr<std::unique_ptr<HttpListener>> HttpListener::Start(const std::string& address,
                                                                  Options options,
                                                                  Handler handler) {
  const std::optional<base::HostPort> host_port = base::SplitHostPort(address);
  if (!host_port.has_value()) {
    return absl::InvalidArgumentError(absl::StrCat("HTTP address ", address, ": not host:port"));
  }
  beast::error_code error;
  const asio::ip::address host = asio::ip::make_address(host_port->host, error);
  if (error) return absl::InvalidArgumentError("HTTP address: not an IP address");
  std::unique_ptr<HttpListener> listener(new HttpListener());
  listener->loop_ = std::make_shared<Loop>(std::max(1, options.threads));
  Loop& loop = *listener->loop_;
  loop.options = options;
  if (options.tls.has_value()) {
    absl::StatusOr<ssl::context> tls = TlsContext(*options.tls);
    if (!tls.ok()) return tls.status();
    loop.tls.emplace(std::move(*tls));
  }
  loop.handler = std::move(handler);
  const tcp::endpoint endpoint(host, host_port->port);
  loop.acceptor.open(endpoint.protocol(), error);
  if (!error) loop.acceptor.set_option(asio::socket_base::reuse_address(true), error);
  if (!error) loop.acceptor.bind(endpoint, error);
  if (!error) loop.acceptor.listen(asio::socket_base::max_listen_connections, error);
  if (error) {
    return absl::UnavailableError(
        absl::StrCat("cannot listen for HTTP on ", address, ": ", error.message()));
  }
  listener->port_ = loop.acceptor.local_endpoint().port();
  listener->tls_ = loop.tls.has_value();
  loop.Accept();
  for (int i = 0; i < std::max(1, options.threads); ++i) {
    listener->threads_.emplace_back([&loop] { loop.context.run(); });
  }
  return listener;
}

void HttpListener::Drain(std::chrono::steady_clock::time_point deadline) {
  auto stopped = std::make_shared<std::promise<void>>();
  std::future<void> accepting_stopped = stopped->get_future();
  asio::post(loop_->accept_strand, [loop = loop_.get(), stopped] {
    loop->StopAccepting();
    stopped->set_value();
  });
  // Once the acceptor is closed, no session joins those waited for.
  accepting_stopped.wait_until(deadline);
  std::unique_lock<std::mutex> lock(loop_->sessions_mutex);
  loop_->closed.wait_until(lock, deadline, [&] { return loop_->sessions.empty(); });
}

HttpListener::~HttpListener() {
  if (loop_ != nullptr) {
    asio::post(loop_->accept_strand, [loop = loop_.get()] {
      beast::error_code ignored;
      loop->acceptor.close(ignored);
      loop->accept_retry.cancel();
    });
    loop_->context.stop();
  }
  for (std::thread& thread : threads_) thread.join();
  if (loop_ != nullptr) {
    // Sessions still waiting for an answer close now, while their io_context exists.
    std::map<SessionBase*, std::shared_ptr<SessionBase>> awaiting;
    {
      std::lock_guard<std::mutex> lock(loop_->awaiting_mutex);
      awaiting.swap(loop_->awaiting);
    }
  }
}

}  // namespace verkenner::service
