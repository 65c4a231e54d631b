#include "evobatch/api/secret.hpp"

#include <string.h> // explicit_bzero

namespace evobatch::api {

Secret::~Secret() {
    if (!m_value.empty()) {
        explicit_bzero(m_value.data(), m_value.size());
    }
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
