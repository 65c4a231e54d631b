#pragma once
// The report's three forms. Each returns the whole document; every piece of text from the
// ledger (server error messages above all) is escaped for its format.

#include "evobatch/report/report_model.hpp"

#include <filesystem>
#include <string>
#include <string_view>

namespace evobatch::report {

// RFC 4180: a header row, then one row per job, CRLF line ends, fields with `"`, `,`, CR or LF
// quoted. Times ISO 8601 UTC, durations in seconds. Text cells that a spreadsheet would run as a
// formula (starting with = + - @, tab or CR) get a leading `'`. Job rows only: totals are in
// the JSON and HTML forms. Columns only ever get added at the end (prompt, video, note,
// refunded, tasks, file_versions came after error_message), so readers by position keep working.
std::string render_csv(Report const& report);

// One JSON document: {manifest, ledger, generated_at, events, totals{...}, jobs:[...]}; each job
// with its request (prompt, video), every file (with the request version it came from) and
// every attempt that went out (runs); failure reasons as {code: {count, jobs: [ids]}}.
std::string render_json(Report const& report);

// One self-contained HTML page (inline CSS, no script, nothing fetched): totals with the failure
// reasons' jobs, an SVG timeline with one bar per task (aggregate charts instead above 300
// tasks), and the job table (`<tr class="job" id="job-ID" data-state=...>`), each row's
// attempts and files in a <details> row under it. Result files are linked by file_href from
// `links_from`, the folder the page is written to (empty: the current directory).
std::string render_html(Report const& report, std::filesystem::path const& links_from);

// The href of a result file saved at `file` on a page in the folder `links_from`: the path
// relative to that folder (relative paths count from the current directory, where the run
// that saved them worked), or a file: URL of the absolute path when the two share no folder
// below the root. Percent-encoded (RFC 3986); html_escape it for an attribute.
std::string file_href(std::filesystem::path const& file, std::filesystem::path const& links_from);

// The CSV field for `text`: guarded against formula injection, then quoted when needed.
std::string csv_text_field(std::string_view text);

// `text` with & < > " ' replaced by entities: safe in HTML text and quoted attributes.
std::string html_escape(std::string_view text);

} // namespace evobatch::report
