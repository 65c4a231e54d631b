#pragma once
// What a `.part` file belongs to, so that it is only ever continued by a download of the same
// result of the same task, from the same file on the server (issue 14 "Spliced across tasks").
// Pure: the record's text, and whether an answer continues a part.
//
// The part of `<result file>` is `<result file>.part` and its record `<result file>.part.json`:
// the task id and result URL it belongs to, the validator of the answer it began with, the
// file's size and any SHA-256 that answer declared. A part is continued only under a record of
// the same task and URL; any other part (another task's, another URL's, one from before
// records, one whose record is gone or damaged) is emptied and the file started over. So is a
// part whose answer named no validator (ETag, Last-Modified): such a server cannot promise that
// the rest it sends later belongs to the same file. One part name per result (rather than a
// name per task and URL) means no stale parts pile up, and none has to be searched for.

#include "digest_headers.hpp"

#include "evobatch/net/http_fields.hpp"
#include "evobatch/net/http_types.hpp"

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace evobatch::download::detail {

// How a resumed request names the file it continues, in If-Range (RFC 9110 §13.1.5).
struct Validator {
    enum class Kind : std::uint8_t { etag, last_modified };
    Kind kind = Kind::etag;
    std::string value; // as the server sent it (an ETag with its quotes)
    friend bool operator==(Validator const&, Validator const&) = default;
};

// The answer's ETag unless it is weak (`W/`, which If-Range must not carry), else its
// Last-Modified, else nothing: a part of that answer is never continued.
std::optional<Validator> validator_of(net::HttpResponse const& head);

struct PartRecord {
    std::string task_id;
    std::string url; // the result URL as the task gave it (before any redirect)
    Validator validator;
    std::optional<std::uint64_t> size;   // of the whole file, as the first answer declared
    std::vector<DeclaredDigest> digests; // of the whole file, as the first answer declared
    friend bool operator==(PartRecord const&, PartRecord const&) = default;
};

// One line of JSON; parse_part_record reads it back, and nothing else: anything malformed, of
// another version or with fields of the wrong types is no record.
std::string to_text(PartRecord const& record);
std::optional<PartRecord> parse_part_record(std::string_view text);

// `<target>.part` and `<target>.part.json`.
std::filesystem::path part_path(std::filesystem::path const& target);
std::filesystem::path record_path(std::filesystem::path const& target);

// Whether `record` says the part belongs to the result `url` of the task `task_id`.
bool belongs_to(PartRecord const& record, std::string_view task_id, std::string_view url);


// Whether a 206 answer to `bytes=<part_size>-` with If-Range continues the part `record`
// describes: its range starts where the part ends and runs to the end of a file of the recorded
// size, its Content-Length fits the range, and it names the same validator. The reason when not.
std::optional<std::string> check_continuation(net::HttpResponse const& head, PartRecord const& record,
                                              std::uint64_t part_size);

} // namespace evobatch::download::detail
