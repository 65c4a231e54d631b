#include "text_file.hpp"

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <system_error>

namespace evobatch::manifest::detail {

namespace fs = std::filesystem;

namespace {

TextFile fail(std::string message) { return {{}, TextProblem{std::move(message), std::nullopt}}; }

} // namespace

TextFile read_text_file(fs::path const& path) {
    std::error_code ec;
    auto const status = fs::status(path, ec);
    if (ec || !fs::exists(status)) {
        return fail("no such file; check the path");
    }
    if (fs::is_directory(status)) {
        return fail("is a directory, not a file");
    }
    if (!fs::is_regular_file(status)) {
        return fail("is not a regular file");
    }
    auto const size = fs::file_size(path, ec);
    if (!ec && size > k_max_input_bytes) {
        return fail(fmt::format("is {} MiB; the limit is {} MiB: split the batch into several manifests", size >> 20,
                                k_max_input_bytes >> 20));
    }
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        return fail(fmt::format("cannot be read: {}", std::strerror(errno)));
    }
    TextFile file;
    file.text.resize(static_cast<std::size_t>(size));
    in.read(file.text.data(), static_cast<std::streamsize>(file.text.size()));
    file.text.resize(static_cast<std::size_t>(in.gcount()));
    if (in.bad()) {
        return fail("cannot be read");
    }
    file.problem = check_utf8(file.text);
    return file;
}

std::optional<TextProblem> check_utf8(std::string_view text) {
    auto const bad = util::find_invalid_utf8(text);
    if (!bad) {
        return std::nullopt;
    }
    return TextProblem{fmt::format("byte 0x{:02X} is not UTF-8; save the file as UTF-8",
                                   static_cast<unsigned char>(text[*bad])),
                       util::position_of(text, *bad)};
}

} // namespace evobatch::manifest::detail
