#include "node_reader.hpp"

#include "evobatch/util/duration.hpp"
#include "evobatch/util/suggest.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>

namespace evobatch::manifest::detail {

namespace {

bool is_yaml11_boolean(std::string_view s) {
    static constexpr std::string_view k_words[] = {"yes", "no", "on", "off", "y", "n", "Yes", "No", "On",
                                                   "Off", "YES", "NO", "ON", "OFF"};
    return std::find(std::begin(k_words), std::end(k_words), s) != std::end(k_words);
}

} // namespace

bool NodeReader::check_mapping(YamlNode const& node, std::string_view what, std::span<std::string_view const> allowed,
                               std::function<std::optional<std::string>(std::string_view)> const& elsewhere) {
    if (node.kind != NodeKind::mapping) {
        error(node.mark, fmt::format("{} must be a mapping of `key: value` lines, not {}", what, describe(node.kind)));
        return false;
    }
    for (std::size_t i = 0; i < node.size(); ++i) {
        YamlNode const& key = node.key(i);
        if (key.kind != NodeKind::scalar) {
            error(key.mark, fmt::format("{}: a key must be a plain word, not {}", what, describe(key.kind)));
            continue;
        }
        for (std::size_t j = 0; j < i; ++j) {
            if (node.key(j).kind == NodeKind::scalar && node.key(j).value == key.value) {
                error(key.mark, fmt::format("{}: '{}' is given twice (first on line {}); keep one", what, key.value,
                                            node.key(j).mark.line));
                break;
            }
        }
        if (std::find(allowed.begin(), allowed.end(), key.value) != allowed.end()) {
            continue;
        }
        std::string message = fmt::format("{}: unknown key '{}'", what, key.value);
        if (auto const near = util::closest_match(key.value, allowed)) {
            message += fmt::format("; did you mean '{}'?", *near);
        } else if (auto const hint = elsewhere ? elsewhere(key.value) : std::nullopt) {
            message += "; " + *hint;
        } else {
            message += fmt::format("; the keys here are: {}", fmt::join(allowed, ", "));
        }
        error(key.mark, std::move(message));
    }
    return true;
}

YamlNode const* NodeReader::find(YamlNode const& mapping, std::string_view key) noexcept {
    if (mapping.kind != NodeKind::mapping) {
        return nullptr;
    }
    for (std::size_t i = 0; i < mapping.size(); ++i) {
        if (mapping.key(i).kind == NodeKind::scalar && mapping.key(i).value == key) {
            return &mapping.value_at(i);
        }
    }
    return nullptr;
}

std::optional<std::string> NodeReader::text(YamlNode const& node, std::string_view what) {
    if (node.kind == NodeKind::scalar) {
        return node.value;
    }
    error(node.mark, fmt::format("{} must be text, not {}", what, describe(node.kind)));
    return std::nullopt;
}

std::optional<bool> NodeReader::boolean(YamlNode const& node, std::string_view what) {
    if (node.kind == NodeKind::scalar && !node.quoted) {
        std::string_view const v = node.value;
        if (v == "true" || v == "True" || v == "TRUE") {
            return true;
        }
        if (v == "false" || v == "False" || v == "FALSE") {
            return false;
        }
        if (is_yaml11_boolean(v)) {
            error(node.mark, fmt::format("{} must be true or false; write {} instead of '{}'", what,
                                         (v[0] == 'y' || v[0] == 'Y' || v == "on" || v == "On" || v == "ON") ? "true"
                                                                                                          : "false",
                                         v));
            return std::nullopt;
        }
    }
    bool const quoted_word = node.kind == NodeKind::scalar && node.quoted && (node.value == "true" || node.value == "false");
    error(node.mark, fmt::format("{} must be true or false, not {}", what,
                                 quoted_word                    ? fmt::format("\"{}\" (drop the quotes)", node.value)
                                 : node.kind == NodeKind::scalar ? fmt::format("'{}'", node.value)
                                                                 : std::string(describe(node.kind))));
    return std::nullopt;
}

std::optional<std::int64_t> NodeReader::integer(YamlNode const& node, std::string_view what, std::int64_t min,
                                                std::int64_t max) {
    std::int64_t value = 0;
    if (node.kind == NodeKind::scalar && !node.quoted) {
        std::string_view v = node.value;
        if (!v.empty() && v.front() == '+') {
            v.remove_prefix(1);
        }
        auto const [end, ec] = std::from_chars(v.data(), v.data() + v.size(), value);
        if (ec == std::errc{} && end == v.data() + v.size() && !v.empty()) {
            if (value < min || value > max) {
                error(node.mark, fmt::format("{} is {}; it must be between {} and {}", what, value, min, max));
                return std::nullopt;
            }
            return value;
        }
        if (ec == std::errc::result_out_of_range) {
            error(node.mark, fmt::format("{} is out of range; it must be between {} and {}", what, min, max));
            return std::nullopt;
        }
    }
    error(node.mark, fmt::format("{} must be a whole number between {} and {}, not {}", what, min, max,
                                 node.kind == NodeKind::scalar
                                     ? (node.quoted ? fmt::format("\"{}\" (drop the quotes)", node.value)
                                                    : fmt::format("'{}'", node.value))
                                     : std::string(describe(node.kind))));
    return std::nullopt;
}

std::optional<double> NodeReader::number(YamlNode const& node, std::string_view what, double above, double max) {
    double value = 0;
    if (node.kind == NodeKind::scalar && !node.quoted) {
        std::string_view const v = node.value;
        auto const [end, ec] = std::from_chars(v.data(), v.data() + v.size(), value);
        if (ec == std::errc{} && end == v.data() + v.size() && std::isfinite(value)) {
            if (value <= above || value > max) {
                error(node.mark, fmt::format("{} is {}; it must be above {} and at most {}", what, v, above, max));
                return std::nullopt;
            }
            return value;
        }
    }
    error(node.mark, fmt::format("{} must be a number above {} and at most {}, not {}", what, above, max,
                                 node.kind == NodeKind::scalar ? fmt::format("'{}'", node.value)
                                                               : std::string(describe(node.kind))));
    return std::nullopt;
}

std::optional<std::chrono::seconds> NodeReader::duration(YamlNode const& node, std::string_view what,
                                                         std::chrono::seconds max, std::chrono::seconds min) {
    if (node.kind == NodeKind::scalar) {
        if (auto const d = util::parse_duration(node.value)) {
            if (*d < min) {
                error(node.mark,
                      fmt::format("{} is {}; it must be at least {}s", what, node.value, min.count()));
                return std::nullopt;
            }
            if (*d > max) {
                error(node.mark, fmt::format("{} is {}; it can be at most {}s ({}h)", what, node.value, max.count(),
                                             max.count() / 3600));
                return std::nullopt;
            }
            return d;
        }
    }
    error(node.mark, fmt::format("{} must be a duration such as 90s, 15m or 1h30m, not {}", what,
                                 node.kind == NodeKind::scalar ? fmt::format("'{}'", node.value)
                                                               : std::string(describe(node.kind))));
    return std::nullopt;
}

std::optional<std::vector<std::pair<std::string, Mark>>> NodeReader::text_list(YamlNode const& node,
                                                                               std::string_view what) {
    if (node.kind != NodeKind::sequence) {
        error(node.mark, fmt::format("{} must be a list ([a, b] or one `- item` per line), not {}", what,
                                     describe(node.kind)));
        return std::nullopt;
    }
    std::vector<std::pair<std::string, Mark>> items;
    items.reserve(node.children.size());
    bool ok = true;
    for (YamlNode const& item : node.children) {
        if (item.kind != NodeKind::scalar) {
            error(item.mark, fmt::format("{}: each item must be text, not {}", what, describe(item.kind)));
            ok = false;
            continue;
        }
        items.emplace_back(item.value, item.mark);
    }
    return ok ? std::optional(std::move(items)) : std::nullopt;
}

std::optional<std::string_view> NodeReader::comment_after(YamlNode const& node) const {
    bool const knows_end = node.end_offset != 0 && node.end_offset <= m_source.size();
    if (node.kind != NodeKind::scalar || !node.plain || !knows_end) {
        return std::nullopt;
    }
    std::string_view rest = m_source.substr(node.end_offset);
    rest = rest.substr(0, rest.find_first_of("\r\n"));
    std::size_t const hash = rest.find_first_not_of(" \t");
    // YAML starts a comment only at a `#` after a blank (`take#2` is text).
    if (hash == 0 || hash == std::string_view::npos || rest[hash] != '#') {
        return std::nullopt;
    }
    return rest.substr(0, rest.find_last_not_of(" \t") + 1);
}

} // namespace evobatch::manifest::detail
