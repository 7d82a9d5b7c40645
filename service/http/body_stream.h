#ifndef VERKENNER_SERVICE_HTTP_BODY_STREAM_H_
#define VERKENNER_SERVICE_HTTP_BODY_STREAM_H_

#include <streambuf>
#include <string>

#include "absl/status/status.h"

namespace verkenner::service {

// The body of a request that the handler reads while it arrives (HttpListener::BodyLimits::stream),
// so that the listener never holds more of it than one part. Read() blocks until the next part is
// there: call it from a thread of the handler's own, never from a listener or gRPC thread.
// Thread-safe.
class BodyStream {
 public:
  virtual ~BodyStream() = default;
  // Replaces `part` with the next part of the body (up to 64 KiB); false at the end of the body,
  // or when it broke off: then status() says why.
  virtual bool Read(std::string& part) = 0;
  // After Read() returned false: OK when the whole body arrived; else DeadlineExceeded (it took
  // longer than its timeout), ResourceExhausted (larger than its limit) or Unavailable (the
  // connection broke off, or the listener stopped).
  virtual absl::Status status() = 0;
};

// A BodyStream over a body that is already in memory.
class StringBodyStream final : public BodyStream {
 public:
  explicit StringBodyStream(std::string body) : body_(std::move(body)) {}
  bool Read(std::string& part) override {
    if (done_) return false;
    part.swap(body_);
    done_ = true;
    return !part.empty();
  }
  absl::Status status() override { return absl::OkStatus(); }

 private:
  std::string body_;
  bool done_ = false;
};

// A std::streambuf that reads a BodyStream, so that a reader of std::istream (the import file
// reader) reads a body as it arrives. Blocks as BodyStream::Read does.
class BodyStreamBuffer final : public std::streambuf {
 public:
  explicit BodyStreamBuffer(BodyStream& body) : body_(body) {}

 protected:
  int_type underflow() override {
    while (gptr() == egptr()) {
      if (!body_.Read(part_)) return traits_type::eof();
      setg(part_.data(), part_.data(), part_.data() + part_.size());
    }
    return traits_type::to_int_type(*gptr());
  }

 private:
  BodyStream& body_;
  std::string part_;
};

}  // namespace verkenner::service

#endif  // VERKENNER_SERVICE_HTTP_BODY_STREAM_H_
