// The Service's result files (GET /files/{id}/0.mp4): bytes made from the task id, validators,
// Range with If-Range, digest headers on demand, and the lies of SimOptions::file_lies.

#include "service.hpp"

#include "evobatch/sim/file_content.hpp"
#include "evobatch/util/encoding.hpp"
#include "evobatch/util/http_date.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace evobatch::sim {

namespace {

// Result files were last modified at this Unix time (plus one second per change): a fixed
// date, so a restarted simulator gives the same Last-Modified.
constexpr std::int64_t k_files_modified = 1'700'000'000;

} // namespace

void Service::serve_file(Route const& r, Request const& request, Now now, Reply& reply) {
    if (!method_is(request, "GET", reply)) {
        return;
    }
    if (!request.authorization.empty()) {
        ++m_stats.file_requests_with_key; // media hosts must never see the API key
    }
    if (!request.range.empty()) {
        ++m_stats.file_ranges;
        m_stats.file_ranges_with_if_range += request.if_range.empty() ? 0 : 1;
    }
    // By task id alone, whatever host and port the link named: a task reloaded from a state file
    // is served here under the links this simulator gives out.
    auto const result_size = m_book.result_size(r.id, now.steady);
    if (!result_size) {
        set_error(reply, 404, "file_not_found", fmt::format("no result file for {}", r.id));
        return;
    }
    if (lies(FileLie::html)) {
        ++m_stats.file_lies_told;
        reply.content_type = "text/html";
        reply.body = "<html>Not found</html>\n"; // what a CDN answers for an expired link, with 200
        return;
    }
    std::uint64_t const size = *result_size;
    std::string const task_id(r.id);
    int& version = m_file_versions[task_id];
    std::string const key = version == 0 ? task_id : changed_file_key(task_id, version);
    int const validator_version = lies(FileLie::keeps_etag) ? 0 : version;
    std::string const etag =
        file_etag(validator_version == 0 ? task_id : changed_file_key(task_id, validator_version), size);
    std::string const last_modified = util::http_date(k_files_modified + validator_version);
    bool const validators = !lies(FileLie::no_validator);
    RangeRequest range = parse_range(request.range, size);
    // RFC 9110 §13.1.5: a Range whose If-Range does not name the file as it is now gets the whole file.
    if (range.kind != RangeRequest::Kind::whole &&
        if_range_fails(request, validators ? etag : "", validators ? last_modified : "")) {
        if (lies(FileLie::ignores_if_range)) {
            ++m_stats.file_lies_told;
        } else {
            range = {};
        }
    }
    reply.headers.emplace_back("accept-ranges", "bytes");
    if (validators) {
        reply.headers.emplace_back("etag", etag);
        reply.headers.emplace_back("last-modified", last_modified);
    } else {
        ++m_stats.file_lies_told;
    }
    auto const extent = answer_range(reply, range, size);
    if (!extent) {
        return;
    }
    bool const video_box = !lies(FileLie::not_a_video);
    reply.content_type = video_box ? "video/mp4" : "application/octet-stream";
    m_stats.file_lies_told += video_box ? 0 : 1;
    bool const whole = range.kind == RangeRequest::Kind::whole;
    reply.file = FileSlice{key, extent->offset, extent->length};
    if (whole) {
        if (lies(FileLie::changes) && version == 0) {
            reply.file->cut_at = size / 2; // the next request finds another file
            ++version;
            ++m_stats.cut_downloads;
            ++m_stats.file_lies_told;
        } else if (draw(m_options.cut_file_ratio)) {
            reply.file->cut_at = size / 2; // the client should continue with a Range request
            ++m_stats.cut_downloads;
        }
    }
    reply.file->video_box = video_box;
    if (lies(FileLie::flipped_bit)) {
        reply.file->flip_at = size / 2;
        ++m_stats.file_lies_told;
    }
    if (m_options.file_digests || lies(FileLie::flipped_bit)) {
        add_digest_headers(key, size, video_box, whole, reply);
    }
}

bool Service::lies(FileLie lie) const noexcept {
    auto const& all = m_options.file_lies;
    return std::find(all.begin(), all.end(), lie) != all.end();
}

// The digests of the file's true bytes: of the whole file always; of the body (Content-Digest,
// RFC 9530) only when the body is the whole file.
void Service::add_digest_headers(std::string const& key, std::uint64_t size, bool video_box, bool whole, Reply& reply) {
    std::string const cache_key = fmt::format("{}/{}/{}", key, size, video_box);
    auto it = m_file_digests.find(cache_key);
    if (it == m_file_digests.end()) {
        auto const hex = expected_file_sha256(key, size, video_box);
        it = m_file_digests.emplace(cache_key, *util::hex_decode(hex)).first;
    }
    std::string const sf_value = "sha-256=:" + util::base64_encode(it->second) + ":";
    reply.headers.emplace_back("repr-digest", sf_value);
    reply.headers.emplace_back("x-amz-meta-sha256", util::hex_encode(it->second));
    if (whole) {
        reply.headers.emplace_back("content-digest", sf_value);
    }
}

} // namespace evobatch::sim
