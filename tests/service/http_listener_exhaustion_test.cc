// HttpListener when descriptors run out: a lowered RLIMIT_NOFILE makes its accept() fail with
// EMFILE; once descriptors are free again it must serve the connection that waited and new ones.
//
// Built from the listener's sources without UBSan's vptr check (see tests/service/CMakeLists.txt):
// that check opens a pipe() for every polymorphic type it has not seen yet, which fails while
// the process has no descriptor left and is then reported as a bad object.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <ostream>
#include <streambuf>
#include <string>
#include <vector>

#include "service/http/http_listener.h"
#include "service/observability/access_log.h"
#include "tests/service/raw_http_client.h"

namespace verkenner::service {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using testing::ConnectToLoopback;
using testing::Exchange;
using testing::ReadUntilClosed;
using testing::SendAll;

constexpr char kGet[] = "GET / HTTP/1.1\r\nHost: verkenner\r\n\r\n";

// The lines a StructuredLog writes, for a test to wait on.
class LogLines : public std::streambuf {
 public:
  // Whether `text` was logged within `limit`.
  bool WaitFor(const std::string& text, milliseconds limit) {
    std::unique_lock<std::mutex> lock(mutex_);
    return logged_.wait_for(lock, limit, [&] { return text_.find(text) != std::string::npos; });
  }
  std::string Text() {
    std::lock_guard<std::mutex> lock(mutex_);
    return text_;
  }

 protected:
  std::streamsize xsputn(const char* bytes, std::streamsize count) override {
    std::lock_guard<std::mutex> lock(mutex_);
    text_.append(bytes, static_cast<size_t>(count));
    logged_.notify_all();
    return count;
  }
  int_type overflow(int_type c) override {
    if (c != traits_type::eof()) {
      const char byte = traits_type::to_char_type(c);
      xsputn(&byte, 1);
    }
    return traits_type::not_eof(c);
  }

 private:
  std::mutex mutex_;
  std::condition_variable logged_;
  std::string text_;
};

HttpListener::Handler Hello() {
  return [](HttpRequest, std::function<void(HttpResponse)> respond) {
    HttpResponse response;
    response.body = "hallo\n";
    respond(std::move(response));
  };
}

// Lowers this process's descriptor limit to just above the descriptors it has open, and takes
// every free number below it, so that the next accept() fails with EMFILE. The destructor gives
// them back and restores the limit.
class DescriptorExhaustion {
 public:
  DescriptorExhaustion() {
    getrlimit(RLIMIT_NOFILE, &saved_);
    int highest = 0;
    for (const auto& entry : std::filesystem::directory_iterator("/proc/self/fd")) {
      highest = std::max(highest, std::stoi(entry.path().filename().string()));
    }
    rlimit lowered = saved_;
    lowered.rlim_cur = static_cast<rlim_t>(highest + 1);
    setrlimit(RLIMIT_NOFILE, &lowered);
    while (true) {
      const int taken = open("/dev/null", O_RDONLY | O_CLOEXEC);
      if (taken < 0) break;
      taken_.push_back(taken);
    }
  }
  ~DescriptorExhaustion() { Release(); }

  // Frees one descriptor number, for the caller's next one.
  void FreeOne() {
    close(taken_.back());
    taken_.pop_back();
  }
  void Release() {
    for (int taken : taken_) close(taken);
    taken_.clear();
    setrlimit(RLIMIT_NOFILE, &saved_);
  }

 private:
  rlimit saved_{};
  std::vector<int> taken_;
};

TEST(HttpListenerTest, OutOfDescriptorsItLogsAndAcceptsAgainWhenSomeAreFree) {
  LogLines lines;
  std::ostream stream(&lines);
  StructuredLog log(&stream);
  HttpListener::Options options;
  options.name = "web";
  options.log = &log;
  auto listener = HttpListener::Start("127.0.0.1:0", options, Hello());
  ASSERT_TRUE(listener.ok()) << listener.status();
  const int port = (*listener)->port();
  ASSERT_NE(Exchange(port, kGet).find("hallo"), std::string::npos);

  int waiting = -1;
  {
    DescriptorExhaustion exhaustion;
    exhaustion.FreeOne();
    // The client takes the last free number: the listener's accept() has none left.
    waiting = ConnectToLoopback(port);
    ASSERT_GE(waiting, 0);
    ASSERT_TRUE(SendAll(waiting, kGet));
    EXPECT_TRUE(lines.WaitFor("\"event\":\"http_accept_failed\"", seconds(10)))
        << "no accept failure logged: " << lines.Text();
  }
  // Descriptors are free again: the connection that waited is served, and so is a new one.
  const std::string answer = ReadUntilClosed(waiting, seconds(10));
  close(waiting);
  EXPECT_NE(answer.find("hallo"), std::string::npos) << "the waiting connection: " << answer;
  EXPECT_NE(Exchange(port, kGet).find("hallo"), std::string::npos) << "a new connection";

  const std::string logged = lines.Text();
  const std::string first = logged.substr(0, logged.find('\n'));
  EXPECT_NE(first.find("\"level\":\"error\""), std::string::npos) << first;
  EXPECT_NE(first.find("\"listener\":\"web\""), std::string::npos) << first;
  EXPECT_NE(first.find("\"error\":\"Too many open files\""), std::string::npos) << first;
  EXPECT_NE(first.find("\"errno\":24"), std::string::npos) << first;
  EXPECT_NE(first.find("\"retry_ms\":50"), std::string::npos) << first;
  std::cout << "logged: " << first << std::endl;
}

}  // namespace
}  // namespace verkenner::service
