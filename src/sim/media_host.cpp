#include "media_host.hpp"

#include "media_files.hpp"
#include "source_media.hpp"

#include "evobatch/util/http_date.hpp"
#include "evobatch/util/sha256.hpp"

#include <fmt/format.h>

namespace evobatch::sim {

namespace {

// The embedded files were last modified at this Unix time: a fixed date, like result files'.
constexpr std::int64_t k_media_modified = 1'690'000'000;

} // namespace

MediaHost::MediaHost(std::string base_url, std::chrono::milliseconds stall)
    : m_base_url(std::move(base_url)), m_stall(stall) {}

std::string const& MediaHost::etag_of(MediaFile const& file) {
    auto it = m_etags.find(file.name);
    if (it == m_etags.end()) {
        std::string_view const bytes(reinterpret_cast<char const*>(file.bytes.data()), file.bytes.size());
        it = m_etags.emplace(file.name, util::sha256_hex(bytes).substr(0, 16)).first;
    }
    return it->second;
}

void MediaHost::serve(Request const& request, Reply& reply, SimStats& stats) {
    if (!method_is(request, "GET", reply)) {
        return;
    }
    if (!request.authorization.empty()) {
        ++stats.media_requests_with_authorization; // the API key must never reach a media host
    }
    if (!request.range.empty()) {
        ++stats.media_ranges;
    }
    auto const target = parse_media_target(request.target);
    if (!target || !target->lie) {
        set_error(reply, 400, "invalid_parameters",
                  "unknown lie; known: oversize, ignore_range, missing, gone, error, flaky, stall, redirect",
                  "lie");
        return;
    }
    MediaLie const lie = *target->lie;
    stats.media_lies_told += lie == MediaLie::none ? 0 : 1;
    switch (lie) {
    case MediaLie::missing:
        set_error(reply, 404, "file_not_found", fmt::format("no file {}", target->name));
        return;
    case MediaLie::gone:
        set_error(reply, 410, "file_gone", fmt::format("{} is gone", target->name));
        return;
    case MediaLie::error:
        set_error(reply, 500, "internal_error", "simulated media host error");
        return;
    case MediaLie::flaky:
        if (m_flaky_seen.emplace(request.target).second) {
            set_error(reply, 503, "service_unavailable", "simulated media host error; try again");
            return;
        }
        break;
    case MediaLie::redirect:
        reply.status = 302;
        reply.content_type = "text/plain";
        reply.headers.emplace_back("location",
                                   m_base_url + std::string(request.target.substr(0, request.target.find('?'))));
        return;
    default:
        break;
    }
    MediaFile const* const file = find_media(target->name);
    if (file == nullptr) {
        set_error(reply, 404, "file_not_found", fmt::format("no file {}", target->name));
        return;
    }
    // An oversized file claims more bytes than it has; the ones it has are the real file's.
    std::uint64_t const size = lie == MediaLie::oversize ? k_oversize_bytes : file->bytes.size();
    std::string const etag = fmt::format("\"{}-{}\"", etag_of(*file), size);
    std::string const last_modified = util::http_date(k_media_modified);
    if (not_modified(request, etag, last_modified)) {
        ++stats.media_not_modified;
        reply.status = 304;
        reply.content_type.clear();
        reply.headers.emplace_back("etag", etag);
        reply.headers.emplace_back("last-modified", last_modified);
        return;
    }
    RangeRequest const range =
        lie == MediaLie::ignore_range ? RangeRequest{} : requested_range(request, size, etag, last_modified);
    if (lie != MediaLie::ignore_range) {
        reply.headers.emplace_back("accept-ranges", "bytes");
    }
    reply.headers.emplace_back("etag", etag);
    reply.headers.emplace_back("last-modified", last_modified);
    auto const extent = answer_range(reply, range, size);
    if (!extent) {
        return;
    }
    reply.content_type = file->content_type;
    reply.file = FileSlice{std::string(file->name), extent->offset, extent->length};
    reply.file->media = file->bytes;
    if (lie == MediaLie::stall) {
        reply.stall = m_stall;
    }
}

} // namespace evobatch::sim
