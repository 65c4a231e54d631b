#include "evobatch/download/result_file.hpp"

#include <algorithm>
#include <cctype>

namespace evobatch::download {

namespace {

constexpr std::size_t k_max_extension = 8;

// A job id's characters, and the '@' of a later request's files.
bool is_name_char(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '.' || c == '_' || c == '-' || c == '@';
}

} // namespace

std::string result_extension(std::string_view url) {
    // The path: after the authority, before any query or fragment.
    auto const scheme = url.find("://");
    std::string_view path = scheme == std::string_view::npos ? url : url.substr(scheme + 3);
    auto const slash = path.find('/');
    path = slash == std::string_view::npos ? std::string_view() : path.substr(slash);
    path = path.substr(0, path.find_first_of("?#"));
    auto const last_slash = path.rfind('/');
    std::string_view const file = last_slash == std::string_view::npos ? path : path.substr(last_slash + 1);
    auto const dot = file.rfind('.');
    if (dot == std::string_view::npos || dot + 1 == file.size()) {
        return "bin";
    }
    std::string ext(file.substr(dot + 1));
    std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    bool const clean = ext.size() <= k_max_extension &&
                       std::all_of(ext.begin(), ext.end(), [](unsigned char c) { return std::isalnum(c) != 0; });
    return clean ? ext : "bin";
}

std::string result_file_name(std::string_view job_id, std::string_view url, std::size_t index, int version) {
    std::string name(job_id);
    if (version > 1) {
        name += "@v" + std::to_string(version);
    }
    if (index > 1) {
        name += '-' + std::to_string(index);
    }
    return name + '.' + result_extension(url);
}

std::optional<std::filesystem::path> path_inside(std::filesystem::path const& dir, std::string_view name) {
    if (name.empty() || name == "." || name == ".." || !std::all_of(name.begin(), name.end(), is_name_char)) {
        return std::nullopt;
    }
    std::filesystem::path const path = dir / std::string(name);
    // Belt and braces: the name holds no separator, so its parent is `dir` itself.
    if (path.parent_path() != dir || path.filename() != std::string(name)) {
        return std::nullopt;
    }
    return path;
}

} // namespace evobatch::download
