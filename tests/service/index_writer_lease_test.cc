// The index writer's lease (service/store/index_writer_lease.h) on a real store, SQLite or
// PostgreSQL: one holder at a time, a release hands over at once, and a holder that cannot renew
// stops counting itself the writer before the store would let another take over.
#include "service/store/index_writer_lease.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "base/postgres/pg_connection.h"
#include "base/sqlite/sqlite_connection.h"
#include "tests/test_store.h"

namespace verkenner::service {
namespace {

using Clock = std::chrono::steady_clock;

class IndexWriterLeaseTest : public ::testing::Test {
 protected:
  void SetUp() override {
    directory_ = std::filesystem::temp_directory_path() /
                 absl::StrCat("verkenner-writer-lease-", getpid(), "-",
                              ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(directory_);
    std::filesystem::create_directories(directory_);
    auto test_store = testing::TestStore::Create(directory_);
    ASSERT_TRUE(test_store.ok()) << test_store.status();
    test_store_ = std::move(*test_store);
    auto store = Store::Open(test_store_->target());
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = std::move(*store);
  }
  void TearDown() override {
    store_.reset();
    test_store_.reset();
    std::filesystem::remove_all(directory_);
  }

  std::unique_ptr<IndexWriterLease> Lease(const std::string& index, absl::Duration term,
                                          absl::Duration clock_ahead = absl::ZeroDuration()) {
    IndexWriterLease::Options options;
    options.index_directory = (directory_ / index).string();
    options.term = term;
    options.now = [clock_ahead] { return absl::Now() + clock_ahead; };
    return std::make_unique<IndexWriterLease>(store_.get(), options);
  }

  // Waits up to `limit` for `condition`; how long it took, or `limit` when it never held.
  template <typename Condition>
  static Clock::duration Await(Condition condition, Clock::duration limit) {
    const auto start = Clock::now();
    while (!condition() && Clock::now() - start < limit) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return Clock::now() - start;
  }

  std::filesystem::path directory_;
  std::unique_ptr<testing::TestStore> test_store_;
  std::unique_ptr<Store> store_;
};

TEST_F(IndexWriterLeaseTest, OneHolderAtATimeTheOthersNameItAndAReleaseHandsOverAtOnce) {
  const absl::Duration term = absl::Seconds(6);
  std::unique_ptr<IndexWriterLease> a = Lease("index-a", term);
  std::unique_ptr<IndexWriterLease> b = Lease("index-b", term);
  std::unique_ptr<IndexWriterLease> tool = Lease("index-a", term);  // verkenner-index on a's
  auto by_a = a->Start("127.0.0.2:5001");
  ASSERT_TRUE(by_a.ok()) << by_a.status();
  EXPECT_EQ(by_a->holder, a->holder());
  EXPECT_TRUE(a->Held());
  EXPECT_TRUE(a->CheckHeld().ok());
  EXPECT_EQ(a->epoch(), 1);
  // Where a serves its index publication is in the store at once, not at the next renewal.
  a->SetPublication("127.0.0.2:9090");
  EXPECT_LT(
      Await([&] { return a->writer()->publication == "127.0.0.2:9090"; }, std::chrono::seconds(2)),
      std::chrono::seconds(1));

  auto by_b = b->Start("127.0.0.3:5002");
  ASSERT_TRUE(by_b.ok()) << by_b.status();
  EXPECT_EQ(by_b->holder, a->holder());
  EXPECT_EQ(by_b->location, a->location());
  EXPECT_EQ(by_b->publication, "127.0.0.2:9090");
  EXPECT_FALSE(b->Held());
  EXPECT_FALSE(b->MayWrite());
  const absl::Status refused = b->CheckHeld();
  EXPECT_EQ(refused.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(refused.message().find("imports go to the index writer at 127.0.0.2:5001"),
            std::string::npos)
      << refused;
  EXPECT_EQ(b->epoch(), 0);

  // A tool on the writer's own directory may write beside it; it does not hold the lease.
  ASSERT_TRUE(tool->Start("").ok());
  EXPECT_FALSE(tool->Held());
  EXPECT_TRUE(tool->MayWrite());
  std::unique_ptr<IndexWriterLease> elsewhere = Lease("index-b", term);  // on b's copy
  ASSERT_TRUE(elsewhere->Start("").ok());
  EXPECT_FALSE(elsewhere->MayWrite()) << "a writes another directory";
  elsewhere->Stop();
  // A co-writer stops with the holder's margin: one whose clock says a's lease is that close
  // to its end may no longer write, although a still holds it.
  std::unique_ptr<IndexWriterLease> late = Lease("index-a", term, term - term / 6);
  ASSERT_TRUE(late->Start("").ok());
  EXPECT_FALSE(late->MayWrite());
  EXPECT_EQ(late->CheckMayWrite().code(), absl::StatusCode::kAborted);
  late->Stop();
  EXPECT_EQ(late->Start("").status().code(), absl::StatusCode::kFailedPrecondition)
      << "a stopped lease is never taken again";

  // The tool claims too, every term / 3: once a lets go it could hold the lease itself, as a
  // verkenner-index run does when no server holds it. Its run ends here.
  tool->Stop();

  // A stop releases: b takes over at its next claim (term / 3), long before a's term ran out.
  a->Stop();
  EXPECT_FALSE(a->Held());
  EXPECT_EQ(a->CheckHeld().code(), absl::StatusCode::kUnavailable);
  const Clock::duration handover = Await([&] { return b->Held(); }, std::chrono::seconds(6));
  EXPECT_TRUE(b->Held());
  EXPECT_LT(handover, std::chrono::seconds(4)) << "the release did not hand over";
  EXPECT_EQ(b->epoch(), 2);
}

// An instance that awaits its first index only watches: it takes no free lease, yet names the
// writer once there is one; when it may claim, it takes the lease at its next renewal.
TEST_F(IndexWriterLeaseTest, AProcessThatMayNotClaimOnlyWatchesUntilItMay) {
  const absl::Duration term = absl::Seconds(3);
  std::atomic<bool> has_index = false;
  IndexWriterLease::Options options;
  options.index_directory = (directory_ / "index-new").string();
  options.term = term;
  options.may_claim = [&] { return has_index.load(); };
  IndexWriterLease awaiting(store_.get(), options);
  auto seen = awaiting.Start("127.0.0.3:5002");
  EXPECT_EQ(seen.status().code(), absl::StatusCode::kUnavailable) << "the lease was free";
  EXPECT_FALSE(awaiting.Held());
  EXPECT_FALSE(awaiting.writer().has_value());

  std::unique_ptr<IndexWriterLease> a = Lease("index-a", term);
  ASSERT_TRUE(a->Start("127.0.0.2:5001").ok());
  EXPECT_LT(Await([&] { return awaiting.writer().has_value(); }, std::chrono::seconds(3)),
            std::chrono::seconds(3));
  EXPECT_EQ(awaiting.writer()->holder, a->holder());
  EXPECT_FALSE(awaiting.Held());
  a->Stop();
  // Free again, and still not taken while the process may not claim.
  std::this_thread::sleep_for(absl::ToChronoMilliseconds(term / 2));
  EXPECT_FALSE(awaiting.Held());
  EXPECT_EQ(awaiting.epoch(), 0);

  has_index = true;
  EXPECT_LT(Await([&] { return awaiting.Held(); }, std::chrono::seconds(3)),
            std::chrono::seconds(3));
  EXPECT_EQ(awaiting.epoch(), 2);
}

TEST_F(IndexWriterLeaseTest, AHolderThatCannotRenewStopsWritingBeforeAnotherMayTakeOver) {
  const absl::Duration term = absl::Seconds(3);
  std::unique_ptr<IndexWriterLease> a = Lease("index-a", term);
  auto claimed = a->Start("127.0.0.2:5001");
  ASSERT_TRUE(claimed.ok()) << claimed.status();
  ASSERT_TRUE(a->Held());

  // The store stops taking writes (a lock another session holds): a's renewals hang or fail.
  std::unique_ptr<sql::Connection> blocker;
  if (test_store_->postgres()) {
    auto pg = postgres::PgConnection::Open("blocker", test_store_->target(),
                                           postgres::PgConnection::Mode::kReadWrite);
    ASSERT_TRUE(pg.ok()) << pg.status();
    blocker = std::move(*pg);
    ASSERT_TRUE(blocker->Execute("BEGIN; LOCK TABLE index_writer IN ACCESS EXCLUSIVE MODE").ok());
  } else {
    auto sqlite = sqlite::SqliteConnection::Open("blocker", test_store_->target(),
                                                 sqlite::SqliteConnection::Mode::kReadWrite);
    ASSERT_TRUE(sqlite.ok()) << sqlite.status();
    blocker = std::move(*sqlite);
    ASSERT_TRUE(blocker->Execute("BEGIN IMMEDIATE").ok());
  }
  const Clock::duration held_on = Await([&] { return !a->Held(); }, std::chrono::seconds(10));
  const int64_t stopped_micros = absl::ToUnixMicros(absl::Now());
  // The expiry of a's last claim that the store took (a renewal may have come before the block).
  ASSERT_TRUE(a->writer().has_value());
  const int64_t last_expiry_micros = a->writer()->expire_micros;
  EXPECT_FALSE(a->Held());
  EXPECT_FALSE(a->MayWrite()) << "a's own directory is no licence to write";
  EXPECT_EQ(a->CheckMayWrite().code(), absl::StatusCode::kAborted);
  // a stopped before the last expiry it wrote, so never while another could hold the lease.
  EXPECT_LT(stopped_micros, last_expiry_micros);
  EXPECT_LT(held_on, std::chrono::seconds(3));
  const absl::Status cut_off = a->CheckHeld();
  EXPECT_EQ(cut_off.code(), absl::StatusCode::kUnavailable) << cut_off;
  EXPECT_EQ(cut_off.message().find("127.0.0.2"), std::string::npos) << "it names itself";

  ASSERT_TRUE(blocker->Execute("ROLLBACK").ok());
  // The store answers again: a renews and writes again.
  Await([&] { return a->Held(); }, std::chrono::seconds(10));
  EXPECT_TRUE(a->Held());
  EXPECT_EQ(a->epoch(), 1);
}

}  // namespace
}  // namespace verkenner::service
