#include "evobatch/util/encoding.hpp"

#include <array>
#include <cstdint>

namespace evobatch::util {

namespace {

constexpr std::string_view k_hex = "0123456789abcdef";
constexpr std::string_view k_base64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int hex_value(char c) noexcept {
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

constexpr std::array<std::int8_t, 256> base64_values() {
    std::array<std::int8_t, 256> values{};
    values.fill(-1);
    for (std::size_t i = 0; i < k_base64.size(); ++i) {
        values[static_cast<unsigned char>(k_base64[i])] = static_cast<std::int8_t>(i);
    }
    return values;
}

constexpr auto k_base64_values = base64_values();

} // namespace

std::string hex_encode(std::string_view bytes) {
    std::string out;
    out.reserve(bytes.size() * 2);
    for (unsigned char const c : bytes) {
        out += k_hex[c >> 4];
        out += k_hex[c & 0xf];
    }
    return out;
}

std::optional<std::string> hex_decode(std::string_view text) {
    if (text.size() % 2 != 0) {
        return std::nullopt;
    }
    std::string out;
    out.reserve(text.size() / 2);
    for (std::size_t i = 0; i < text.size(); i += 2) {
        int const high = hex_value(text[i]);
        int const low = hex_value(text[i + 1]);
        if (high < 0 || low < 0) {
            return std::nullopt;
        }
        out += static_cast<char>(high << 4 | low);
    }
    return out;
}

std::string base64_encode(std::string_view bytes) {
    std::string out;
    out.reserve((bytes.size() + 2) / 3 * 4);
    std::size_t i = 0;
    auto const byte = [&](std::size_t k) {
        return static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[k]));
    };
    for (; i + 3 <= bytes.size(); i += 3) {
        std::uint32_t const v = byte(i) << 16 | byte(i + 1) << 8 | byte(i + 2);
        out += k_base64[v >> 18 & 63];
        out += k_base64[v >> 12 & 63];
        out += k_base64[v >> 6 & 63];
        out += k_base64[v & 63];
    }
    if (std::size_t const left = bytes.size() - i; left > 0) {
        std::uint32_t const v = byte(i) << 16 | (left == 2 ? byte(i + 1) << 8 : 0);
        out += k_base64[v >> 18 & 63];
        out += k_base64[v >> 12 & 63];
        out += left == 2 ? k_base64[v >> 6 & 63] : '=';
        out += '=';
    }
    return out;
}

std::optional<std::string> base64_decode(std::string_view text) {
    if (text.size() % 4 == 0 && text.ends_with('=')) { // padded: drop it, then read as unpadded
        text.remove_suffix(text.ends_with("==") ? 2 : 1);
        if (text.size() % 4 == 0) {
            return std::nullopt; // "====" and the like
        }
    }
    if (text.size() % 4 == 1) {
        return std::nullopt;
    }
    std::string out;
    out.reserve(text.size() / 4 * 3 + 2);
    std::uint32_t bits = 0;
    int count = 0;
    for (char const c : text) {
        int const v = k_base64_values[static_cast<unsigned char>(c)];
        if (v < 0) {
            return std::nullopt;
        }
        bits = bits << 6 | static_cast<std::uint32_t>(v);
        count += 6;
        if (count >= 8) {
            count -= 8;
            out += static_cast<char>(bits >> count & 0xff);
        }
    }
    if ((bits & ((1u << count) - 1)) != 0) {
        return std::nullopt; // bits after the last byte: not what an encoder writes
    }
    return out;
}

} // namespace evobatch::util
