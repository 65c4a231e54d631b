#include "media_files.hpp"

#include <algorithm>

namespace evobatch::sim {

MediaFile const* find_media(std::string_view name) noexcept {
    auto const files = embedded_media();
    auto const it = std::find_if(files.begin(), files.end(), [&](MediaFile const& f) { return f.name == name; });
    return it == files.end() ? nullptr : &*it;
}

} // namespace evobatch::sim
