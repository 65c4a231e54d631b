#include "request_text.hpp"

#include <algorithm>
#include <cctype>

namespace evobatch::net::detail {

namespace {

bool is_token(std::string_view s) {
    return !s.empty() && std::all_of(s.begin(), s.end(), [](unsigned char c) {
        return std::isalnum(c) != 0 || std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) != std::string_view::npos;
    });
}

bool is_safe_value(std::string_view s) {
    return std::none_of(s.begin(), s.end(), [](char c) { return c == '\r' || c == '\n' || c == '\0'; });
}

void add(std::string& out, std::string_view name, std::string_view value) {
    out.append(name).append(": ").append(value).append("\r\n");
}

} // namespace

std::optional<std::string> request_text(Endpoint const& endpoint, HttpRequest const& request,
                                        std::string_view user_agent) {
    bool const post = request.method == Method::post;
    std::size_t size = 128 + endpoint.target.size() + endpoint.host_header.size() + user_agent.size() + request.body.size();
    for (auto const& [name, value] : request.headers) {
        if (!is_token(name) || !is_safe_value(value)) {
            return std::nullopt;
        }
        size += name.size() + value.size() + 4;
    }
    if (!is_safe_value(user_agent) || !is_safe_value(request.content_type) || !is_safe_value(endpoint.target)) {
        return std::nullopt;
    }
    std::string out;
    out.reserve(size);
    out.append(post ? "POST " : "GET ").append(endpoint.target).append(" HTTP/1.1\r\n");
    add(out, "Host", endpoint.host_header);
    add(out, "User-Agent", user_agent);
    add(out, "Accept", "application/json");
    for (auto const& [name, value] : request.headers) {
        add(out, name, value);
    }
    if (post) {
        add(out, "Content-Type", request.content_type);
        add(out, "Content-Length", std::to_string(request.body.size()));
    }
    out.append("\r\n");
    if (post) {
        out.append(request.body);
    }
    return out;
}

} // namespace evobatch::net::detail
