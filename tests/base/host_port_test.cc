#include "base/host_port.h"

#include <gtest/gtest.h>

namespace verkenner::base {
namespace {

TEST(SplitHostPortTest, ReadsHostAndPortFromZeroTo65535) {
  auto any = SplitHostPort("127.0.0.1:0");
  ASSERT_TRUE(any.has_value());
  EXPECT_EQ(any->host, "127.0.0.1");
  EXPECT_EQ(any->port, 0);
  auto highest = SplitHostPort("[::1]:65535");
  ASSERT_TRUE(highest.has_value());
  EXPECT_EQ(highest->host, "[::1]");
  EXPECT_EQ(highest->port, 65535);
}

TEST(SplitHostPortTest, RefusesWhatIsNotAPortInRange) {
  EXPECT_FALSE(SplitHostPort("127.0.0.1:65536"));  // gRPC would listen on port 0
  EXPECT_FALSE(SplitHostPort("127.0.0.1:-1"));
  EXPECT_FALSE(SplitHostPort("127.0.0.1:+80"));
  EXPECT_FALSE(SplitHostPort("127.0.0.1:80x"));
  EXPECT_FALSE(SplitHostPort("127.0.0.1:"));
  EXPECT_FALSE(SplitHostPort("127.0.0.1"));
}

}  // namespace
}  // namespace verkenner::base
