#include "part_record.hpp"

#include "response_checks.hpp"

#include "evobatch/util/text.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <fmt/format.h>

namespace evobatch::download::detail {

namespace json = boost::json;

namespace {

constexpr std::int64_t k_record_version = 1;

} // namespace

std::optional<Validator> validator_of(net::HttpResponse const& head) {
    if (auto const etag = head.header("etag"); etag && !etag->empty() && !etag->starts_with("W/")) {
        return Validator{Validator::Kind::etag, std::string(*etag)};
    }
    if (auto const modified = head.header("last-modified"); modified && !modified->empty()) {
        return Validator{Validator::Kind::last_modified, std::string(*modified)};
    }
    return std::nullopt;
}

std::string to_text(PartRecord const& record) {
    json::object o;
    o["evobatch_part"] = k_record_version;
    o["task"] = record.task_id;
    o["url"] = record.url;
    o[record.validator.kind == Validator::Kind::etag ? "etag" : "last_modified"] = record.validator.value;
    if (record.size) {
        o["size"] = *record.size;
    }
    json::array digests;
    for (auto const& d : record.digests) {
        digests.push_back(json::object{{"header", d.header}, {"sha256", d.sha256}});
    }
    o["digests"] = std::move(digests);
    return json::serialize(o) + "\n";
}

std::optional<PartRecord> parse_part_record(std::string_view text) {
    boost::system::error_code ec;
    json::value const v = json::parse(text, ec);
    auto const* o = ec ? nullptr : v.if_object();
    if (o == nullptr) {
        return std::nullopt;
    }
    auto const text_at = [o](std::string_view key) -> std::optional<std::string> {
        auto const* field = o->if_contains(key);
        if (field == nullptr || !field->is_string()) {
            return std::nullopt;
        }
        return std::string(field->get_string());
    };
    auto const* version = o->if_contains("evobatch_part");
    if (version == nullptr || !version->is_int64() || version->get_int64() != k_record_version) {
        return std::nullopt;
    }
    PartRecord r;
    auto task = text_at("task");
    auto url = text_at("url");
    auto etag = text_at("etag");
    auto modified = text_at("last_modified");
    if (!task || !url || etag.has_value() == modified.has_value()) {
        return std::nullopt; // exactly one validator
    }
    r.task_id = std::move(*task);
    r.url = std::move(*url);
    r.validator = etag ? Validator{Validator::Kind::etag, std::move(*etag)}
                       : Validator{Validator::Kind::last_modified, std::move(*modified)};
    if (auto const* size = o->if_contains("size")) {
        if (size->is_uint64()) {
            r.size = size->get_uint64();
        } else if (size->is_int64() && size->get_int64() >= 0) {
            r.size = static_cast<std::uint64_t>(size->get_int64());
        } else {
            return std::nullopt;
        }
    }
    auto const* digests = o->if_contains("digests");
    if (digests == nullptr || !digests->is_array()) {
        return std::nullopt;
    }
    for (auto const& d : digests->get_array()) {
        auto const* entry = d.if_object();
        auto const* header = entry != nullptr ? entry->if_contains("header") : nullptr;
        auto const* sha256 = entry != nullptr ? entry->if_contains("sha256") : nullptr;
        if (header == nullptr || sha256 == nullptr || !header->is_string() || !sha256->is_string()) {
            return std::nullopt;
        }
        r.digests.push_back({std::string(header->get_string()), std::string(sha256->get_string())});
    }
    return r;
}

std::filesystem::path part_path(std::filesystem::path const& target) {
    return std::filesystem::path(target).concat(".part");
}

std::filesystem::path record_path(std::filesystem::path const& target) {
    return std::filesystem::path(target).concat(".part.json");
}

bool belongs_to(PartRecord const& record, std::string_view task_id, std::string_view url) {
    return record.task_id == task_id && record.url == url;
}

std::optional<std::string> check_continuation(net::HttpResponse const& head, PartRecord const& record,
                                              std::uint64_t part_size) {
    auto const header = head.header("content-range");
    auto const range = header ? net::parse_content_range(*header) : std::nullopt;
    if (!range) {
        return fmt::format("a 206 answer without a usable Content-Range ({})", header ? *header : "none");
    }
    if (range->first != part_size) {
        return fmt::format("the server continued at byte {}, but the partial file ends at byte {}",
                           range->first, part_size);
    }
    if (record.size && range->total != record.size) {
        return fmt::format("the file has {} bytes now, {} when the partial file began",
                           range->total ? std::to_string(*range->total) : "an unknown number of",
                           *record.size);
    }
    if (range->total && range->last + 1 != *range->total) {
        return fmt::format("the server sent bytes {}-{} of {}, not the rest of the file", range->first,
                           range->last, *range->total);
    }
    if (auto const length = content_length(head); length && *length != range->last - range->first + 1) {
        return fmt::format("Content-Length {} does not match Content-Range {}", *length, *header);
    }
    bool const by_etag = record.validator.kind == Validator::Kind::etag;
    auto const now = head.header(by_etag ? "etag" : "last-modified");
    if (now != std::optional<std::string_view>(record.validator.value)) {
        return fmt::format("the 206 answer's {} is {}, the partial file's {}",
                           by_etag ? "ETag" : "Last-Modified", now ? *now : "missing",
                           record.validator.value);
    }
    return std::nullopt;
}

} // namespace evobatch::download::detail
