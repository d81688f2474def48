#include "agent/backfill/runner.h"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace edgerepl::backfill {
namespace {

using std::chrono::nanoseconds;

// How long to wait while the sink is backlogged before looking again.
constexpr std::chrono::milliseconds kBacklogRecheck{100};

uint64_t TargetPoints(uint64_t per_second) {
  return std::clamp<uint64_t>(per_second, 1000, kTargetWindowPoints);
}

int64_t WindowEnd(int64_t from, nanoseconds window, int64_t to) {
  __int128 end = static_cast<__int128>(from) + window.count();
  return end >= to ? to : static_cast<int64_t>(end);
}

}  // namespace

Runner::Runner(std::string name, std::string dir, Progress progress,
               std::unique_ptr<LocalReader> reader, Sink& sink, const Clock& clock,
               queue::FileSystem& fs, BackfillMetrics* metrics)
    : name_(std::move(name)),
      dir_(std::move(dir)),
      reader_(std::move(reader)),
      sink_(sink),
      clock_(clock),
      fs_(fs),
      metrics_(metrics),
      bucket_(clock, progress.max_points_per_second, TargetPoints(progress.max_points_per_second)),
      progress_(std::move(progress)) {
  if (metrics_) metrics_->SetProgress(progress_.from_ns, progress_.to_ns, progress_.done_until_ns);
}

Runner::~Runner() {
  Stop();
}

void Runner::Start() {
  thread_ = std::thread([this] { Run(); });
}

void Runner::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

RunnerStatus Runner::Snapshot() const {
  std::lock_guard<std::mutex> lock(mu_);
  return RunnerStatus{progress_, last_error_};
}

bool Runner::Finished() const {
  std::lock_guard<std::mutex> lock(mu_);
  return progress_.cancelled || progress_.done_until_ns >= progress_.to_ns;
}

void Runner::Run() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stop_) {
    if (progress_.cancelled || progress_.done_until_ns >= progress_.to_ns) {
      if (!store_pending_) break;
    }
    lock.unlock();
    nanoseconds wait = Step();
    lock.lock();
    if (wait > nanoseconds(0)) cv_.wait_for(lock, wait, [this] { return stop_; });
  }
  if (!stop_ && !progress_.cancelled) {
    spdlog::info("replication {}: backfill read {} points, every window queued", name_,
                 progress_.points);
  }
}

Status Runner::QueueLines(const std::string& lines) {
  // Records of whole lines, at most kMaxRecordBytes each (one line may be bigger: it goes alone).
  size_t start = 0;
  while (start < lines.size()) {
    size_t end = start;
    uint32_t n = 0;
    while (end < lines.size()) {
      size_t nl = lines.find('\n', end);
      size_t next = nl == std::string::npos ? lines.size() : nl + 1;
      if (n > 0 && next - start > kMaxRecordBytes) break;
      end = next;
      ++n;
    }
    EDGEREPL_RETURN_IF_ERROR(sink_.Append(std::string_view(lines).substr(start, end - start), n));
    start = end;
  }
  return Status::Ok();
}

nanoseconds Runner::Step() {
  Progress p;
  {
    std::lock_guard<std::mutex> lock(mu_);
    p = progress_;
  }
  auto store = [this](const Progress& stored) {
    Status st = StoreProgress(fs_, dir_, stored);
    store_pending_ = !st.ok();
    if (!st.ok())
      spdlog::warn("replication {}: storing backfill progress: {}", name_, st.ToString());
  };
  if (p.cancelled || p.done_until_ns >= p.to_ns) {
    if (store_pending_) store(p);
    return store_pending_ ? nanoseconds(retry_) : nanoseconds(0);
  }
  if (sink_.Backlogged()) return kBacklogRecheck;
  if (nanoseconds wait = bucket_.Wait(); wait > nanoseconds(0)) return wait;

  const int64_t end = WindowEnd(p.done_until_ns, window_, p.to_ns);
  const auto started = clock_.Now();
  Result<WindowData> data = reader_->Read(p.done_until_ns, end);
  const double seconds = std::chrono::duration<double>(clock_.Now() - started).count();
  if (metrics_) metrics_->ObserveQuery(seconds, data.ok());
  if (!data.ok()) {
    spdlog::warn(
        "replication {}: backfill query of the local database failed (retrying in {} "
        "ms): {}",
        name_, retry_.count(), data.status().ToString());
    {
      std::lock_guard<std::mutex> lock(mu_);
      last_error_ = data.status().message();
    }
    nanoseconds wait = retry_;
    retry_ = std::min(retry_ * 2, kRetryMax);
    return wait;
  }
  retry_ = kRetryMin;
  if (data->partial && window_ > nanoseconds(1)) {
    // The local cut the answer short: the same start again with half the window.
    window_ = std::max(window_ / 2, nanoseconds(1));
    return nanoseconds(0);
  }
  if (data->points > 0) {
    Status st = QueueLines(data->lines);
    if (!st.ok()) {
      // Part of the window may be queued: it is read and queued again, whole (duplicates at the
      // remote are the same points).
      spdlog::warn("replication {}: queueing backfilled points: {}", name_, st.ToString());
      std::lock_guard<std::mutex> lock(mu_);
      last_error_ = "queueing: " + st.message();
      return retry_;
    }
    bucket_.Take(data->points);
    if (metrics_) metrics_->Read(data->points);
  }
  const uint64_t target = TargetPoints(p.max_points_per_second);
  if (data->points > target * 2) {
    window_ = std::max(window_ / 2, nanoseconds(1));
  } else if (data->points < target / 2) {
    window_ = std::min(window_ * 2, kMaxWindow);
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    progress_.done_until_ns = end;
    progress_.points += data->points;
    last_error_.clear();
    p = progress_;
  }
  store(p);
  if (metrics_) metrics_->SetProgress(p.from_ns, p.to_ns, p.done_until_ns);
  return nanoseconds(0);
}

}  // namespace edgerepl::backfill
