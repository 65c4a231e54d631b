#include "response_checks.hpp"

#include "evobatch/util/text.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>

namespace evobatch::download::detail {

namespace {

enum class Container : std::uint8_t { unknown, iso_bmff, ebml };

struct VideoExtension {
    std::string_view extension;
    Container container;
};

constexpr std::array<VideoExtension, 8> k_video_extensions = {{{"mp4", Container::iso_bmff},
                                                               {"m4v", Container::iso_bmff},
                                                               {"mov", Container::iso_bmff},
                                                               {"qt", Container::iso_bmff},
                                                               {"3gp", Container::iso_bmff},
                                                               {"3g2", Container::iso_bmff},
                                                               {"webm", Container::ebml},
                                                               {"mkv", Container::ebml}}};

// Top-level boxes a real file of the MP4 family starts with.
constexpr std::array<std::string_view, 6> k_first_boxes = {"ftyp", "moov", "mdat", "free", "skip", "wide"};
constexpr std::string_view k_ebml_magic = "\x1a\x45\xdf\xa3";

Container container_of(std::string_view extension) {
    auto const it = std::find_if(k_video_extensions.begin(), k_video_extensions.end(),
                                 [extension](VideoExtension const& v) { return v.extension == extension; });
    return it == k_video_extensions.end() ? Container::unknown : it->container;
}

bool is_document(std::string_view media_type) {
    return media_type.starts_with("text/") || media_type == "application/json" ||
           media_type == "application/xml" || media_type == "application/javascript" ||
           media_type.ends_with("+json") || media_type.ends_with("+xml");
}

bool is_video_type(std::string_view media_type) {
    return media_type.starts_with("video/") || media_type == "application/octet-stream" ||
           media_type == "binary/octet-stream";
}

// The bytes for a reason: printable ASCII as it is, anything else as \xNN.
std::string shown(std::string_view bytes) {
    std::string out;
    for (unsigned char const c : bytes) {
        out += c >= 0x20 && c < 0x7f ? std::string(1, static_cast<char>(c)) : fmt::format("\\x{:02x}", c);
    }
    return out;
}

} // namespace

std::optional<std::uint64_t> content_length(net::HttpResponse const& head) {
    auto const v = head.header("content-length");
    return v ? util::parse_decimal(*v) : std::nullopt;
}

std::optional<std::string> check_response(net::HttpResponse const& head, std::string_view extension) {
    if (auto const encoding = head.header("content-encoding")) {
        if (auto const e = util::ascii_lower(util::trim_ows(*encoding)); !e.empty() && e != "identity") {
            return fmt::format("the body is {}-encoded, not the file itself", e);
        }
    }
    auto const type = head.header("content-type");
    if (!type) {
        return std::nullopt;
    }
    std::string const media_type = util::ascii_lower(util::trim_ows(type->substr(0, type->find(';'))));
    if (media_type.empty()) {
        return std::nullopt;
    }
    if (is_document(media_type)) {
        return fmt::format("the server sent {} (a page or a document), not a result file", media_type);
    }
    if (container_of(extension) != Container::unknown && !is_video_type(media_type)) {
        return fmt::format("the server sent {} for a .{} video", media_type, extension);
    }
    return std::nullopt;
}

std::optional<std::string> check_magic(std::string_view extension, std::string_view first_bytes) {
    switch (container_of(extension)) {
    case Container::unknown:
        return std::nullopt;
    case Container::iso_bmff:
        if (first_bytes.size() >= 8 && std::find(k_first_boxes.begin(), k_first_boxes.end(),
                                                 first_bytes.substr(4, 4)) != k_first_boxes.end()) {
            return std::nullopt;
        }
        return fmt::format(
            "the file does not start like a .{} video (no ftyp, moov, mdat, free, skip or wide box "
            "at its start; it starts with \"{}\")",
            extension, shown(first_bytes.substr(0, k_magic_bytes)));
    case Container::ebml:
        if (first_bytes.starts_with(k_ebml_magic)) {
            return std::nullopt;
        }
        return fmt::format("the file does not start like a .{} video (no EBML header; it starts with \"{}\")",
                           extension, shown(first_bytes.substr(0, k_magic_bytes)));
    }
    return std::nullopt;
}

std::optional<std::string> check_digests(std::vector<DeclaredDigest> const& declared,
                                         std::string_view sha256) {
    for (auto const& d : declared) {
        if (d.sha256 != sha256) {
            return fmt::format("the file's SHA-256 is {}, its {} header says {}", sha256, d.header, d.sha256);
        }
    }
    return std::nullopt;
}

} // namespace evobatch::download::detail
