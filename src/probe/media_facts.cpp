#include "evobatch/probe/media_facts.hpp"

namespace evobatch::probe {

char const* name_of(ImageFormat f) noexcept {
    switch (f) {
    case ImageFormat::jpeg: return "JPEG";
    case ImageFormat::png: return "PNG";
    case ImageFormat::webp: return "WebP";
    case ImageFormat::gif: return "GIF";
    case ImageFormat::bmp: return "BMP";
    case ImageFormat::tiff: return "TIFF";
    case ImageFormat::heic: return "HEIC";
    case ImageFormat::avif: return "AVIF";
    case ImageFormat::html: return "an HTML page";
    case ImageFormat::unknown: break;
    }
    return "not an image format known here";
}

char const* name_of(Container c) noexcept {
    switch (c) {
    case Container::mp4: return "MP4";
    case Container::quicktime: return "QuickTime (MOV)";
    case Container::unknown: break;
    }
    return "not MP4 or MOV";
}

} // namespace evobatch::probe
