#pragma once
// The report's three forms. Each returns the whole document; every piece of text from the
// ledger (server error messages above all) is escaped for its format.

#include "evobatch/report/report_model.hpp"

#include <string>
#include <string_view>

namespace evobatch::report {

// RFC 4180: a header row, then one row per job, CRLF line ends, fields with `"`, `,`, CR or LF
// quoted. Times ISO 8601 UTC, durations in seconds. Text cells that a spreadsheet would run as a
// formula (starting with = + - @, tab or CR) get a leading `'`. Job rows only: totals are in
// the JSON and HTML forms.
std::string render_csv(Report const& report);

// One JSON document: {manifest, ledger, generated_at, events, totals{...}, jobs:[...]}.
std::string render_json(Report const& report);

// One self-contained HTML page (inline CSS, no script, no external URL): totals, an SVG timeline
// with one bar per task, and the job table (`<tr class="job" data-state=...>`).
std::string render_html(Report const& report);

// The CSV field for `text`: guarded against formula injection, then quoted when needed.
std::string csv_text_field(std::string_view text);

// `text` with & < > " ' replaced by entities: safe in HTML text and quoted attributes.
std::string html_escape(std::string_view text);

} // namespace evobatch::report
