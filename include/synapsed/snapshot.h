// Snapshot: a consistent, read-only view of the database at one moment.
//
// Obtained from DB::GetSnapshot and returned with DB::ReleaseSnapshot (it must
// be released before the DB is destroyed). Immutable; may be used by several
// threads at once.
#ifndef SYNAPSED_INCLUDE_SNAPSHOT_H_
#define SYNAPSED_INCLUDE_SNAPSHOT_H_

#include <cstdint>

namespace synapsed {

class Snapshot {
 public:
  // The sequence number of the last write visible in this snapshot.
  virtual uint64_t sequence() const = 0;

 protected:
  virtual ~Snapshot();
};

}  // namespace synapsed

#endif  // SYNAPSED_INCLUDE_SNAPSHOT_H_
