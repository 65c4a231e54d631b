// libFuzzer target: what the downloader makes of a media host's response head (issue 14). The
// first byte picks the status (200 or 206) and the file's extension; the rest is header lines
// `name: value`. Every check must answer or refuse, never crash; a 206 it accepts must continue
// the part exactly; the whole input, read as a part's record, must read back as itself.

#include "download/digest_headers.hpp"
#include "download/part_record.hpp"
#include "download/response_checks.hpp"

#include <cctype>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

using namespace evobatch;
using namespace evobatch::download::detail;

namespace {

net::HttpResponse head_of(std::string_view text, int status) {
    net::HttpResponse head;
    head.status = status;
    while (!text.empty()) {
        auto const end = text.find('\n');
        std::string_view const line = text.substr(0, end);
        text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
        auto const colon = line.find(':');
        if (colon == std::string_view::npos) {
            continue;
        }
        std::string name(line.substr(0, colon));
        for (char& c : name) {
            c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        }
        std::string_view value = line.substr(colon + 1);
        while (!value.empty() && value.front() == ' ') {
            value.remove_prefix(1);
        }
        head.headers.emplace_back(std::move(name), std::string(value));
    }
    return head;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size) {
    if (size == 0) {
        return 0;
    }
    constexpr std::string_view k_extensions[] = {"mp4", "webm", "bin", "mov"};
    std::string_view const extension = k_extensions[data[0] % 4];
    int const status = (data[0] & 4) != 0 ? 206 : 200;
    std::string_view const text(reinterpret_cast<char const*>(data) + 1, size - 1);
    net::HttpResponse const head = head_of(text, status);

    (void)check_response(head, extension);
    (void)check_magic(extension, text);
    (void)content_length(head);
    auto const digests = declared_sha256(head.headers, status == 200);
    for (auto const& d : digests) {
        if (d.sha256.size() != 64) {
            std::abort(); // a declared SHA-256 is always 32 bytes of hex
        }
    }
    (void)check_digests(digests, std::string(64, '0'));
    PartRecord record;
    record.task_id = "task";
    record.url = "https://files.example.com/0.mp4";
    if (auto validator = validator_of(head)) {
        record.validator = std::move(*validator);
    }
    record.size = 1000;
    if (!check_continuation(head, record, 400)) {
        auto const range = net::parse_content_range(*head.header("content-range"));
        if (!range || range->first != 400 || range->last != 999 || range->total != record.size) {
            std::abort(); // accepted a 206 that does not continue the part to the end of the file
        }
    }
    if (auto const parsed = parse_part_record(text)) {
        auto const again = parse_part_record(to_text(*parsed));
        if (!again || !(*again == *parsed)) {
            std::abort(); // what we accepted does not read back as itself
        }
    }
    return 0;
}
