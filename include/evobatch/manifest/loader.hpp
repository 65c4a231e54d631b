#pragma once
// Loading and validating a manifest: every problem is collected, none is thrown.

#include "evobatch/manifest/manifest.hpp"
#include "evobatch/util/diagnostic.hpp"

#include <filesystem>
#include <optional>
#include <string_view>
#include <vector>

namespace evobatch::manifest {

struct LoadResult {
    std::optional<Manifest> manifest; // set only when there is no error
    std::vector<util::Diagnostic> diagnostics; // errors and warnings, in file order per file

    [[nodiscard]] bool ok() const noexcept { return manifest.has_value(); }
};

// What the caller does with the manifest, as far as checking it depends on that.
struct LoadOptions {
    // The caller reads the batch without the network (`status`, `report`): an `api.ca_file`
    // that does not exist (a simulator's temporary CA, a moved proxy CA) is a warning there,
    // not a reason to refuse the batch; every command that connects refuses it.
    bool offline = false;
};

// Reads, parses and validates the manifest at `path` (and the video lists it names).
// Runs synchronously on the calling thread; does no network I/O.
LoadResult load_manifest(std::filesystem::path const& path, LoadOptions const& options = {});

// The same for text already in memory: `display_name` is used in messages and `base_dir`
// resolves relative paths (video_list, ca_file, output). For tests and fuzzing.
LoadResult load_manifest_text(std::string_view text, std::filesystem::path const& display_name,
                              std::filesystem::path const& base_dir);

} // namespace evobatch::manifest
