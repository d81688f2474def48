#include "agent/queue/segment_writer.h"

#include "agent/queue/format.h"
#include "agent/queue/segment.h"

namespace edgerepl::queue {

Result<std::unique_ptr<SegmentWriter>> SegmentWriter::Create(FileSystem& fs, const std::string& dir,
                                                             uint64_t number) {
  std::string path = dir + "/" + SegmentFileName(number);
  Result<FilePtr> file = fs.Open(path, /*create=*/true);
  if (!file.ok()) return file.status();
  Status st = (*file)->Truncate(0);
  if (st.ok()) st = (*file)->Write(0, EncodeSegmentHeader(number));
  if (st.ok()) st = (*file)->Sync();
  if (st.ok()) st = fs.SyncDir(dir);
  if (!st.ok()) {
    file->reset();
    (void)fs.Unlink(path);  // best effort: recovery also removes a segment shorter than a header
    return st;
  }
  return std::unique_ptr<SegmentWriter>(
      new SegmentWriter(std::move(*file), number, kSegmentHeaderBytes));
}

Result<std::unique_ptr<SegmentWriter>> SegmentWriter::Reopen(FileSystem& fs, const std::string& dir,
                                                             uint64_t number, uint64_t end) {
  Result<FilePtr> file = fs.Open(dir + "/" + SegmentFileName(number), /*create=*/false);
  if (!file.ok()) return file.status();
  return std::unique_ptr<SegmentWriter>(new SegmentWriter(std::move(*file), number, end));
}

Status SegmentWriter::Append(std::string_view bytes, bool* damaged) {
  Status st = file_->Write(end_, bytes);
  if (!st.ok()) {
    // A partial record on disk would read as a torn tail or, worse, shadow the next append.
    if (!file_->Truncate(end_).ok()) *damaged = true;
    return st;
  }
  end_ += bytes.size();
  return Status::Ok();
}

Status SegmentWriter::AppendV(const std::vector<std::string_view>& parts, uint64_t bytes,
                              bool* damaged) {
  Status st = file_->WriteV(end_, parts);
  if (!st.ok()) {
    if (!file_->Truncate(end_).ok()) *damaged = true;
    return st;
  }
  end_ += bytes;
  return Status::Ok();
}

Status SegmentWriter::TruncateTo(uint64_t end) {
  EDGEREPL_RETURN_IF_ERROR(file_->Truncate(end));
  end_ = end;
  return file_->Sync();
}

}  // namespace edgerepl::queue
