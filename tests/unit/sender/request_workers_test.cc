#include "agent/sender/request_workers.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <set>
#include <thread>
#include <vector>

namespace edgerepl::sender {
namespace {

TEST(RequestWorkersTest, ReturnsEachJobsResult) {
  RequestWorkers workers(2);
  std::vector<std::future<int>> results;
  for (int i = 0; i < 10; ++i) results.push_back(workers.Submit([i] { return i * i; }));
  for (int i = 0; i < 10; ++i) EXPECT_EQ(results[i].get(), i * i);
}

// The point of the pool: a few threads serve every batch, so their gzip compressors are reused.
TEST(RequestWorkersTest, JobsRunOnItsFewLongLivedThreads) {
  RequestWorkers workers(2);
  std::set<std::thread::id> ids;
  for (int i = 0; i < 50; ++i) {
    ids.insert(workers.Submit([] { return std::this_thread::get_id(); }).get());
  }
  EXPECT_LE(ids.size(), 2u);
  EXPECT_EQ(ids.count(std::this_thread::get_id()), 0u);
}

TEST(RequestWorkersTest, RunsUpToItsThreadCountAtOnce) {
  constexpr int kThreads = 3;
  RequestWorkers workers(kThreads);
  std::atomic<int> running{0}, most{0};
  std::vector<std::future<void>> done;
  for (int i = 0; i < 12; ++i) {
    done.push_back(workers.Submit([&] {
      int now = ++running;
      for (int seen = most.load(); now > seen && !most.compare_exchange_weak(seen, now);) {
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      --running;
    }));
  }
  for (auto& f : done) f.get();
  EXPECT_LE(most.load(), kThreads);
  EXPECT_GE(most.load(), 2);
}

TEST(RequestWorkersTest, DestructionRunsTheJobsAlreadySubmitted) {
  std::atomic<int> ran{0};
  {
    RequestWorkers workers(1);
    for (int i = 0; i < 5; ++i) {
      (void)workers.Submit([&] {
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
        ++ran;
      });
    }
  }
  EXPECT_EQ(ran.load(), 5);
}

}  // namespace
}  // namespace edgerepl::sender
