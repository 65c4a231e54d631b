#include "source_media.hpp"

#include "media_files.hpp"

#include <boost/url/pct_string_view.hpp>

#include <fmt/format.h>

#include <array>
#include <utility>

namespace evobatch::sim {

namespace {

constexpr std::array<std::pair<MediaLie, std::string_view>, 9> k_lies = {{
    {MediaLie::none, "none"},
    {MediaLie::oversize, "oversize"},
    {MediaLie::ignore_range, "ignore_range"},
    {MediaLie::missing, "missing"},
    {MediaLie::gone, "gone"},
    {MediaLie::error, "error"},
    {MediaLie::flaky, "flaky"},
    {MediaLie::stall, "stall"},
    {MediaLie::redirect, "redirect"},
}};

api::TaskError failure(std::string_view code, std::string message) {
    return api::TaskError{std::string(code), std::move(message), "task_error"};
}

api::TaskError unreachable(std::string_view name, unsigned status) {
    return failure("resource_not_found",
                   fmt::format("the source video {} could not be fetched: HTTP {}", name, status));
}

} // namespace

std::string_view to_string(MediaLie lie) noexcept {
    for (auto const& [l, name] : k_lies) {
        if (l == lie) {
            return name;
        }
    }
    return "?";
}

std::optional<MediaLie> parse_media_lie(std::string_view name) noexcept {
    for (auto const& [l, text] : k_lies) {
        if (text == name) {
            return l;
        }
    }
    return std::nullopt;
}

std::optional<MediaTarget> parse_media_target(std::string_view target) {
    auto const query_at = target.find('?');
    std::string_view const path = target.substr(0, query_at);
    if (!path.starts_with(k_media_prefix)) {
        return std::nullopt;
    }
    std::string_view const segment = path.substr(k_media_prefix.size());
    auto const pct = boost::urls::make_pct_string_view(segment);
    MediaTarget t{pct ? pct->decode() : std::string(segment)};
    std::string_view query = query_at == std::string_view::npos ? std::string_view() : target.substr(query_at + 1);
    while (!query.empty()) {
        auto const amp = query.find('&');
        std::string_view const param = query.substr(0, amp);
        query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
        if (param.starts_with("lie=")) {
            t.lie = parse_media_lie(param.substr(4));
        }
    }
    return t;
}

std::optional<SourceVerdict> media_source_verdict(std::string_view video_url, std::string_view base_url) {
    std::string_view rest;
    if (!base_url.empty() && video_url.starts_with(base_url)) {
        rest = video_url.substr(base_url.size());
    } else if (video_url.starts_with(k_media_alias)) {
        rest = video_url.substr(k_media_alias.size()); // the name manifests give this media host
    } else {
        return std::nullopt;
    }
    auto const target = parse_media_target(rest);
    if (!target) {
        return std::nullopt;
    }
    SourceVerdict v;
    MediaFile const* const file = find_media(target->name);
    if (!target->lie) {
        v.failure = unreachable(target->name, 400);
        return v;
    }
    switch (*target->lie) {
    case MediaLie::missing:
        v.failure = unreachable(target->name, 404);
        return v;
    case MediaLie::gone:
        v.failure = unreachable(target->name, 410);
        return v;
    case MediaLie::error:
        v.failure = unreachable(target->name, 500);
        return v;
    case MediaLie::stall:
        v.failure = failure("resource_not_found",
                            fmt::format("the source video {} could not be fetched: timed out", target->name));
        return v;
    default:
        break; // the API retries a flaky host, follows redirects and reads a whole body
    }
    if (file == nullptr) {
        v.failure = unreachable(target->name, 404);
        return v;
    }
    if (*target->lie == MediaLie::oversize) {
        v.failure = failure("invalid_parameters",
                            fmt::format("the source video {} is {} bytes; the limit is {} bytes", file->name,
                                        k_oversize_bytes, k_max_source_bytes));
        return v;
    }
    switch (file->kind) {
    case MediaKind::video:
        v.seconds = file->seconds;
        return v;
    case MediaKind::audio:
        v.failure = failure("invalid_parameters",
                            fmt::format("the source video {} has no video track", file->name));
        return v;
    case MediaKind::html:
    case MediaKind::image:
        v.failure = failure("invalid_parameters", fmt::format("the source video {} is not a video ({})",
                                                              file->name, file->content_type));
        return v;
    }
    return v;
}

} // namespace evobatch::sim
