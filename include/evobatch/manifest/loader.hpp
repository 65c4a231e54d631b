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

// Reads, parses and validates the manifest at `path` (and the video lists it names).
// Runs synchronously on the calling thread; does no network I/O.
LoadResult load_manifest(std::filesystem::path const& path);

// The same for text already in memory: `display_name` is used in messages and `base_dir`
// resolves relative paths (video_list, ca_file, output). For tests and fuzzing.
LoadResult load_manifest_text(std::string_view text, std::filesystem::path const& display_name,
                              std::filesystem::path const& base_dir);

} // namespace evobatch::manifest
