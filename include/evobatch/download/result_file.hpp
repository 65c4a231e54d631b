#pragma once
// Where a job's result files go: `<output.dir>/<job id>.<ext>`, then `-2`, `-3`... for more
// files of the same task; a later request of the same job id (the manifest changed it) adds
// `@v2`, `@v3`... after the id, so a new result never replaces one an earlier request paid for. Nothing a server sends can choose a folder: the name comes from the
// job id (already limited to [A-Za-z0-9._-]) and an extension cleaned to [a-z0-9]. Pure.

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace evobatch::download {

// The extension of the URL's path ("mp4" for https://cdn/x/clip.MP4?sig=..), lower case, at
// most 8 of [a-z0-9]; "bin" when the path has none or it has other characters.
std::string result_extension(std::string_view url);

// `<job id>[@v<version>][-<index>].<ext>` for the index-th (1-based) result file of the
// version-th request of a job (ledger::Attempt::version; 1 adds nothing). '@' is not a job id
// character, so no other job's file can have that name.
std::string result_file_name(std::string_view job_id, std::string_view url, std::size_t index, int version = 1);

// `dir / name` when that stays directly inside `dir`, else nothing (a name with a separator,
// "." or "..", or an id that is not one of ours).
std::optional<std::filesystem::path> path_inside(std::filesystem::path const& dir, std::string_view name);

} // namespace evobatch::download
