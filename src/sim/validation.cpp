#include "validation.hpp"

#include <boost/url/parse.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <string>

namespace evobatch::sim {

namespace {

// Code points, not bytes: the API's limit is in characters. Invalid UTF-8 counts byte by byte.
std::size_t count_characters(std::string_view text) noexcept {
    return static_cast<std::size_t>(std::count_if(
        text.begin(), text.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

bool ends_with_any(std::string_view path, std::initializer_list<std::string_view> extensions) {
    std::string lower(path);
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char c) { return static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c); });
    return std::any_of(extensions.begin(), extensions.end(),
                       [&](std::string_view ext) { return std::string_view(lower).ends_with(ext); });
}

// An absolute http(s) URL with a host whose path ends in one of `extensions`.
bool url_with_extension(std::string const& text, std::initializer_list<std::string_view> extensions) {
    auto const url = boost::urls::parse_uri(text);
    if (!url || (url->scheme() != "http" && url->scheme() != "https") || url->encoded_host().empty()) {
        return false;
    }
    return ends_with_any(url->path(), extensions);
}

} // namespace

std::optional<Problem> validate_create(api::CreateRequest const& request) {
    if (request.model != k_model) {
        return Problem{"model", fmt::format("model must be '{}'", k_model)};
    }
    std::size_t const characters = count_characters(request.prompt);
    if (characters == 0) {
        return Problem{"prompt", "prompt is required"};
    }
    if (characters > k_max_prompt_characters) {
        return Problem{"prompt", fmt::format("prompt has {} characters; the limit is {}", characters,
                                             k_max_prompt_characters)};
    }
    if (request.video_urls.size() != 1) {
        return Problem{"video_urls",
                       fmt::format("video_urls must hold exactly 1 URL, not {}", request.video_urls.size())};
    }
    if (!url_with_extension(request.video_urls.front(), {".mp4", ".mov"})) {
        return Problem{"video_urls", "video_urls[0] must be an http(s) URL of a .mp4 or .mov file"};
    }
    if (request.image_urls.size() > k_max_image_urls) {
        return Problem{"image_urls", fmt::format("image_urls holds {} URLs; the limit is {}",
                                                 request.image_urls.size(), k_max_image_urls)};
    }
    for (std::size_t i = 0; i < request.image_urls.size(); ++i) {
        if (!url_with_extension(request.image_urls[i], {".jpg", ".jpeg", ".png", ".webp"})) {
            return Problem{
                "image_urls",
                fmt::format("image_urls[{}] must be an http(s) URL of a .jpg, .jpeg, .png or .webp file", i)};
        }
    }
    if (request.callback_url) {
        auto const url = boost::urls::parse_uri(*request.callback_url);
        if (!url || url->scheme() != "https" || request.callback_url->size() > k_max_callback_url) {
            return Problem{"callback_url",
                           fmt::format("callback_url must be an https URL of at most {} characters",
                                       k_max_callback_url)};
        }
    }
    return std::nullopt;
}

bool valid_idempotency_key(std::string_view key) noexcept {
    if (key.size() < 16 || key.size() > 96) {
        return false;
    }
    return std::all_of(key.begin(), key.end(), [](char c) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
               c == '_' || c == '-';
    });
}

} // namespace evobatch::sim
