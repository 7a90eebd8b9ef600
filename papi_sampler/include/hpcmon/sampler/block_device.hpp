// Which block device holds a path, as /proc/diskstats names it: st_dev through
// /sys/dev/block/<major>:<minor>, or, for filesystems with anonymous device numbers
// (btrfs, overlay), the mount's source from /proc/self/mountinfo.
#pragma once

#include <string>

namespace hpcmon::sampler {

struct BlockDevice {
  std::string name;        // diskstats name of what holds the path: "vda", "sda1", "nvme0n1p2", "dm-0"
  std::string whole_disk;  // the disk a partition belongs to ("sda" for "sda1"); equals name for a disk
  std::string error;       // set when no block device holds the path (tmpfs, NFS, ...)
};

BlockDevice block_device_for_path(const std::string& path);

// The disk a diskstats name belongs to, through /sys/class/block/<name>/partition.
std::string whole_disk_of(const std::string& name);

}  // namespace hpcmon::sampler
