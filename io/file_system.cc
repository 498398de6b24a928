#include "synapsed/file_system.h"

namespace synapsed {

SequentialFile::~SequentialFile() = default;
RandomAccessFile::~RandomAccessFile() = default;
WritableFile::~WritableFile() = default;
FileLock::~FileLock() = default;
FileSystem::~FileSystem() = default;

}  // namespace synapsed
