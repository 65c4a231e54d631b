#include "evobatch/net/http_types.hpp"

namespace evobatch::net {

std::optional<std::string_view> HttpResponse::header(std::string_view name) const noexcept {
    for (auto const& [key, value] : headers) {
        if (key == name) {
            return std::string_view(value);
        }
    }
    return std::nullopt;
}

std::string_view to_string(Delivery d) noexcept {
    switch (d) {
    case Delivery::not_sent: return "not sent";
    case Delivery::sent_no_answer: return "sent, no answer";
    case Delivery::answered: return "answered";
    }
    return "unknown";
}

} // namespace evobatch::net
