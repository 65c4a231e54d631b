#include "evobatch/api/secret.hpp"

#include <algorithm>

#include <string.h> // explicit_bzero

namespace evobatch::api {

Secret::~Secret() {
    if (!m_value.empty()) {
        explicit_bzero(m_value.data(), m_value.size());
    }
}

std::optional<std::string_view> key_problem(std::string_view key) noexcept {
    auto const printable = [](char c) { return c > 0x20 && c < 0x7F; };
    auto const whitespace = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f'; };
    if (std::all_of(key.begin(), key.end(), printable)) {
        return std::nullopt;
    }
    // What the end looks like first: that is where an editor or `$(cat file)` leaves its mark.
    if (key.ends_with('\r') || key.ends_with("\r\n")) {
        return "ends with a carriage return (a file edited on Windows?)";
    }
    if (key.ends_with('\n')) {
        return "ends with a line break";
    }
    if (!key.empty() && whitespace(key.back())) {
        return "ends with whitespace";
    }
    if (key.starts_with("\xEF\xBB\xBF")) {
        return "starts with a byte-order mark (a file saved as UTF-8 with BOM?)";
    }
    if (!key.empty() && whitespace(key.front())) {
        return "starts with whitespace";
    }
    if (std::any_of(key.begin(), key.end(), whitespace)) {
        return "holds whitespace";
    }
    if (std::any_of(key.begin(), key.end(), [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7F; })) {
        return "holds a control character";
    }
    return "holds a character beyond printable ASCII (a no-break space or a letter pasted with it?)";
}

std::string redact(std::string text, Secret const& secret) {
    std::string_view const key = secret.reveal();
    if (key.empty()) {
        return text;
    }
    for (auto at = text.find(key); at != std::string::npos; at = text.find(key, at)) {
        text.replace(at, key.size(), "[redacted]");
        at += 10;
    }
    return text;
}

} // namespace evobatch::api
