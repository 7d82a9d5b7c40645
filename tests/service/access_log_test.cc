#include "service/observability/access_log.h"

#include <gtest/gtest.h>

#include <regex>
#include <sstream>
#include <thread>

namespace verkenner::service {
namespace {

TEST(StructuredLogTest, WritesOneJsonObjectPerLineWithEscapedStrings) {
  std::ostringstream out;
  StructuredLog log(&out);
  log.Write("info", "started",
            {"\"port\":50051", "\"index\":" + StructuredLog::Quote("a\"b\\c\n\x01")});
  EXPECT_TRUE(std::regex_match(
      out.str(),
      std::regex(R"(\{"time":"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z","level":"info",)"
                 R"("event":"started","port":50051,"index":"a\\"b\\\\c\\n\\u0001"\}\n)")))
      << out.str();
}

TEST(StructuredLogTest, LinesFromManyThreadsNeverInterleave) {
  std::ostringstream out;
  StructuredLog log(&out);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 500; ++i) log.Write("info", "rpc", {"\"thread\":" + std::to_string(t)});
    });
  }
  for (std::thread& thread : threads) thread.join();
  std::istringstream lines(out.str());
  std::string line;
  int count = 0;
  const std::regex shape(R"(\{"time":"[^"]+","level":"info","event":"rpc","thread":[0-3]\})");
  while (std::getline(lines, line)) {
    EXPECT_TRUE(std::regex_match(line, shape)) << line;
    ++count;
  }
  EXPECT_EQ(count, 2000);
}

}  // namespace
}  // namespace verkenner::service
