#include "digest_headers.hpp"

#include "evobatch/util/encoding.hpp"
#include "evobatch/util/text.hpp"

namespace evobatch::download::detail {

namespace {

constexpr std::size_t k_sha256_bytes = 32;

std::optional<std::string> hex_of_base64(std::string_view text) {
    auto const bytes = util::base64_decode(text);
    if (!bytes || bytes->size() != k_sha256_bytes) {
        return std::nullopt;
    }
    return util::hex_encode(*bytes);
}

// Calls `member(name, value)` for each comma-separated `name=value` of a list; stops at the
// first that returns a digest.
template <class Member> std::optional<std::string> first_member(std::string_view list, Member member) {
    while (!list.empty()) {
        auto const comma = list.find(',');
        std::string_view const item = util::trim_ows(list.substr(0, comma));
        list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 1);
        auto const equals = item.find('=');
        if (equals == std::string_view::npos) {
            continue;
        }
        if (auto found =
                member(util::trim_ows(item.substr(0, equals)), util::trim_ows(item.substr(equals + 1)))) {
            return found;
        }
    }
    return std::nullopt;
}

} // namespace

std::optional<std::string> digest_field_sha256(std::string_view value) {
    return first_member(value, [](std::string_view name, std::string_view v) -> std::optional<std::string> {
        return util::iequals(name, "sha-256") ? hex_of_base64(v)
                                              : std::nullopt; // algorithm names are case-insensitive
    });
}

std::optional<std::string> structured_digest_sha256(std::string_view value) {
    return first_member(value, [](std::string_view name, std::string_view v) -> std::optional<std::string> {
        if (name != "sha-256") { // dictionary keys are lower case (RFC 8941 §3.2)
            return std::nullopt;
        }
        v = v.substr(0, v.find(';')); // parameters, if any, say nothing about the bytes
        if (v.size() < 2 || v.front() != ':' || v.back() != ':') {
            return std::nullopt; // not a byte sequence
        }
        return hex_of_base64(v.substr(1, v.size() - 2));
    });
}

std::optional<std::string> plain_sha256(std::string_view value) {
    value = util::trim_ows(value);
    if (value.size() == 2 * k_sha256_bytes) {
        if (auto const bytes = util::hex_decode(value)) {
            return util::hex_encode(*bytes);
        }
    }
    return hex_of_base64(value);
}

std::vector<DeclaredDigest> declared_sha256(net::Headers const& headers, bool whole_body) {
    std::vector<DeclaredDigest> out;
    for (auto const& [name, value] : headers) {
        std::optional<std::string> sha256;
        if (name == "digest") {
            sha256 = digest_field_sha256(value);
        } else if (name == "repr-digest" || (whole_body && name == "content-digest")) {
            sha256 = structured_digest_sha256(value);
        } else if (name.size() > 9 && name.starts_with("x-") && name.ends_with("-sha256")) {
            sha256 = plain_sha256(value);
        }
        if (sha256) {
            out.push_back({name, std::move(*sha256)});
        }
    }
    return out;
}

} // namespace evobatch::download::detail
