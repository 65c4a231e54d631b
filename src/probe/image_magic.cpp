#include "evobatch/probe/image_magic.hpp"

namespace evobatch::probe {

namespace {

bool starts(std::string_view s, std::string_view prefix) noexcept { return s.substr(0, prefix.size()) == prefix; }

bool is_html(std::string_view s) noexcept {
    // An error page served in the image's place: skip leading whitespace, then `<`.
    std::size_t i = s.find_first_not_of(" \t\r\n");
    if (starts(s.substr(i == std::string_view::npos ? s.size() : i), "\xEF\xBB\xBF")) { // a BOM first
        i += 3;
    }
    return i < s.size() && s[i] == '<';
}

} // namespace

ImageFormat image_format_of(std::string_view b) noexcept {
    using namespace std::string_view_literals;
    if (starts(b, "\xFF\xD8\xFF"sv)) {
        return ImageFormat::jpeg;
    }
    if (starts(b, "\x89PNG\r\n\x1A\n"sv)) {
        return ImageFormat::png;
    }
    if (b.size() >= 12 && starts(b, "RIFF"sv) && b.substr(8, 4) == "WEBP"sv) {
        return ImageFormat::webp;
    }
    if (starts(b, "GIF87a"sv) || starts(b, "GIF89a"sv)) {
        return ImageFormat::gif;
    }
    if (starts(b, "BM"sv)) {
        return ImageFormat::bmp;
    }
    if (starts(b, "II*\0"sv) || starts(b, "MM\0*"sv)) {
        return ImageFormat::tiff;
    }
    if (b.size() >= 12 && b.substr(4, 4) == "ftyp"sv) {
        std::string_view const brand = b.substr(8, 4);
        if (brand == "avif"sv || brand == "avis"sv) {
            return ImageFormat::avif;
        }
        if (brand == "heic"sv || brand == "heix"sv || brand == "mif1"sv || brand == "msf1"sv) {
            return ImageFormat::heic;
        }
    }
    return is_html(b) ? ImageFormat::html : ImageFormat::unknown;
}

} // namespace evobatch::probe
