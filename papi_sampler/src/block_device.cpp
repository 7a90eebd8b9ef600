#include "hpcmon/sampler/block_device.hpp"

#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "hpcmon/sampler/proc_file.hpp"
#include "hpcmon/sampler/proc_parsers.hpp"

namespace hpcmon::sampler {
namespace {

namespace fs = std::filesystem;

// DEVNAME from a sysfs uevent file: the kernel's own name for the device.
std::string devname_from_uevent(const std::string& uevent_path) {
  std::string text = read_small_file(uevent_path);
  auto pos = text.find("DEVNAME=");
  if (pos == std::string::npos) return {};
  auto end = text.find('\n', pos);
  return text.substr(pos + 8, end == std::string::npos ? std::string::npos : end - pos - 8);
}

std::string name_from_dev(unsigned major, unsigned minor) {
  return devname_from_uevent("/sys/dev/block/" + std::to_string(major) + ":" + std::to_string(minor) + "/uevent");
}

}  // namespace

std::string whole_disk_of(const std::string& name) {
  std::error_code ec;
  const fs::path dev = fs::path("/sys/class/block") / name;
  if (!fs::exists(dev / "partition", ec)) return name;
  // /sys/class/block/sda1 -> .../block/sda/sda1: the parent directory is the disk.
  fs::path real = fs::canonical(dev, ec);
  if (ec) return name;
  return real.parent_path().filename().string();
}

BlockDevice block_device_for_path(const std::string& path) {
  BlockDevice out;
  struct stat st{};
  if (stat(path.c_str(), &st) != 0) {
    out.error = path + ": " + std::strerror(errno);
    return out;
  }
  const unsigned major_number = major(st.st_dev), minor_number = minor(st.st_dev);
  if (major_number != 0) out.name = name_from_dev(major_number, minor_number);
  if (out.name.empty()) {
    // Anonymous device number: ask the mount table which source is mounted there.
    for (const auto& m : proc::parse_mountinfo(read_small_file("/proc/self/mountinfo"))) {
      if (m.major != major_number || m.minor != minor_number || m.source.rfind("/dev/", 0) != 0) continue;
      std::error_code ec;
      fs::path real = fs::canonical(m.source, ec);
      std::string candidate = (ec ? fs::path(m.source) : real).filename().string();
      if (fs::exists(fs::path("/sys/class/block") / candidate, ec)) {
        out.name = candidate;
        break;
      }
    }
  }
  if (out.name.empty()) {
    out.error = path + ": no block device (device " + std::to_string(major_number) + ":" +
                std::to_string(minor_number) + ")";
    return out;
  }
  out.whole_disk = whole_disk_of(out.name);
  return out;
}

}  // namespace hpcmon::sampler
