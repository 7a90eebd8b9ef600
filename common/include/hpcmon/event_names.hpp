// Counter event names accepted in hpc.events: PAPI presets (checked against PAPI's own
// preset table, available or not on this machine), Linux perf software events spelled
// perf::<name>, and native events spelled component:::event (checked by syntax only: a
// component such as sde registers its events at run time).
// PAPI stays out of this header; the preset table is read once per process, after
// disabling the noisy rocm_smi component. PAPI_shutdown is never called.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace hpcmon::config {

enum class EventKind { papi_preset, perf_software, native };

// The kind of a valid name, or nothing if check_event_name() would reject it.
std::optional<EventKind> event_kind(std::string_view name);

// The error message for a bad name (e.g. `unknown event "PAPI_XX"`), nothing if valid.
std::optional<std::string> check_event_name(std::string_view name);

// The perf software events accepted after "perf::" (task-clock, cpu-clock, ...).
std::span<const std::string_view> perf_software_events();

// True when PAPI's preset table could be read; otherwise PAPI_* names are checked by
// syntax only (PAPI_ followed by capitals, digits and underscores).
bool papi_preset_table_available();

}  // namespace hpcmon::config
