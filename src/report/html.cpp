#include "evobatch/report/render.hpp"

#include "detail/charts.hpp"
#include "detail/page_parts.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <iterator>

namespace evobatch::report {

namespace {

namespace fs = std::filesystem;
using detail::clock_html;
using detail::human_seconds;
using detail::state_class;

// No script, no external URL: the CSP forbids both, so even text that escaped its escaping
// could neither run nor call home. Links (result files, rows) are navigation, not fetches.
constexpr char const* k_head = R"(<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>)";

// The job table has fixed column widths (table-layout: fixed) and every cell may break a word
// anywhere: ids, URLs, task ids, hashes and server messages have no spaces to wrap at, and in
// an automatic layout one of them sets the whole table's width. Prose still wraps at spaces.
constexpr char const* k_style = R"(<style>
body{font:14px/1.4 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;margin:24px;
color:#1a202c;background:#fff}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 10px}h3{font-size:15px;margin:18px 0 8px}
.meta{color:#4a5568;margin:0 0 8px;overflow-wrap:anywhere}
code{font:12px/1.3 ui-monospace,"DejaVu Sans Mono",monospace}
a{color:#2b6cb0;text-decoration:none}a:hover{text-decoration:underline}
.cards{display:flex;flex-wrap:wrap;gap:10px;margin:0;padding:0}
.card{border:1px solid #e2e8f0;border-radius:6px;padding:8px 14px;min-width:96px}
.card dt{color:#4a5568;font-size:12px}.card dd{margin:0;font-size:18px;font-weight:600}
.card dd small{font-size:12px;font-weight:400;color:#4a5568;margin-left:6px}
.states{list-style:none;padding:0;margin:12px 0;display:flex;flex-wrap:wrap;gap:14px}
.swatch{display:inline-block;width:11px;height:11px;border-radius:2px;margin-right:5px;vertical-align:-1px}
table{border-collapse:collapse;max-width:100%}
th,td{border-bottom:1px solid #e2e8f0;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#f7fafc;font-weight:600;font-size:13px}td{overflow-wrap:anywhere}.num{text-align:right}
#job-table{width:100%;table-layout:fixed}
.c-id{width:9%}.c-state{width:96px}.c-attempts{width:80px}.c-credits{width:76px}.c-time{width:96px}
.c-dur{width:86px}.c-file{width:13%}.c-err{width:18%}
td p{margin:0}.src,.sub{color:#4a5568}.sub{display:block;font-size:12px}
.note{color:#553c9a;font-size:13px;margin-top:2px}
tr.job.has-more td{border-bottom:0}tr.more td{padding-top:0}tr.job:target td{background:#fefcbf}
summary{cursor:pointer;color:#4a5568;font-size:12px;width:max-content;max-width:100%}
table.runs{width:100%;table-layout:fixed;margin:4px 0 6px;font-size:13px}.runs th{font-size:12px}
.runs th:nth-child(-n+2){width:72px}.runs th:nth-child(3){width:24%}
.runs th:nth-child(4),.runs th:nth-child(5){width:96px}.runs th:nth-child(6){width:86px}
.runs th:nth-child(7){width:84px}
ul.files{margin:0 0 6px;padding-left:18px;font-size:13px}ul.files li{overflow-wrap:anywhere}
.ver{display:inline-block;padding:0 4px;border:1px solid #cbd5e0;border-radius:4px;font-size:11px;
color:#4a5568;margin-left:4px}
.badge{display:inline-block;padding:0 6px;border-radius:9px;color:#fff;font-size:12px;white-space:nowrap}
svg{display:block;box-sizing:border-box;max-width:100%;height:auto;border:1px solid #e2e8f0;border-radius:6px}
svg text{font:11px system-ui,"DejaVu Sans",sans-serif;fill:#4a5568}svg .grid{stroke:#edf2f7}
svg .eta{stroke:#1a202c;stroke-width:2}svg a:hover rect{opacity:.75}svg .area{opacity:.9}
.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(min(100%,520px),1fr));gap:16px 20px}
figure.chart{margin:0}figure.wide{grid-column:1/-1}figcaption{color:#4a5568;font-size:13px;margin-top:6px}
.legend{display:inline-flex;flex-wrap:wrap;gap:4px 12px;margin-left:6px}
.s-new{background:#a0aec0;fill:#a0aec0}.s-submitting{background:#718096;fill:#718096}
.s-running{background:#3182ce;fill:#3182ce}.s-completed{background:#2f855a;fill:#2f855a}
.s-failed{background:#c53030;fill:#c53030}.s-uncertain{background:#c05621;fill:#c05621}
.s-unsent{background:#4a5568;fill:#4a5568}.s-rejected{background:#975a16;fill:#975a16}.s-changed{background:#6b46c1;fill:#6b46c1}.s-removed{background:#718096;fill:#718096}
.empty{color:#718096}
</style>
)";

// The failure reasons list this many job ids; the rest wait behind a <details>.
constexpr std::size_t k_reason_ids_shown = 24;
// Hex digits of a sha256 shown in the table; the whole one is in the title.
constexpr std::size_t k_sha_prefix = 12;

// `text` as a URL path (RFC 3986): bytes other than unreserved ones and "/@!$()*+,;=" are
// percent-encoded, so that a '#', '?', '%', space or ':' in a file name stays part of the name.
std::string url_path(std::string_view text) {
    constexpr std::string_view k_kept = "-._~/@!$()*+,;=";
    std::string out;
    for (char c : text) {
        auto const u = static_cast<unsigned char>(c);
        bool const plain = (u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') || (u >= '0' && u <= '9') ||
                           k_kept.find(c) != std::string_view::npos;
        out += plain ? std::string(1, c) : fmt::format("%{:02X}", u);
    }
    return out;
}

// An escaped URL that wraps after a '/' before it breaks inside a name.
std::string breakable_url(std::string_view url) {
    std::string out;
    for (char c : html_escape(url)) {
        out += c;
        if (c == '/') {
            out += "<wbr>";
        }
    }
    return out;
}

std::string job_link(std::string_view id) {
    return fmt::format("<a href=\"#job-{}\">{}</a>", html_escape(url_path(id)), html_escape(id));
}

std::string badge(std::string_view state) {
    return fmt::format("<span class=\"badge {}\">{}</span>", state_class(state), html_escape(state));
}

std::string plural(std::size_t n, std::string_view word) {
    return fmt::format("{} {}{}", n, word, n == 1 ? "" : "s");
}

// "4.1 kB", "59.8 MB", "1.2 GB".
std::string size_text(std::uint64_t bytes) {
    auto const b = static_cast<double>(bytes);
    return b < 1e6   ? fmt::format("{:.1f} kB", b / 1e3)
           : b < 1e9 ? fmt::format("{:.1f} MB", b / 1e6)
                     : fmt::format("{:.1f} GB", b / 1e9);
}

void append_card(std::string& out, std::string_view id, std::string_view name, std::string_view value,
                 std::string_view small = {}) {
    out += fmt::format("<div class=\"card\" id=\"{}\"><dt>{}</dt><dd>{}{}</dd></div>\n", id, name,
                       html_escape(value),
                       small.empty() ? "" : fmt::format("<small>{}</small>", html_escape(small)));
}

void append_cards(std::string& out, Totals const& t) {
    out += "<dl class=\"cards\">\n";
    append_card(out, "total-jobs", "jobs", std::to_string(t.jobs));
    append_card(out, "total-tasks", "tasks", std::to_string(t.tasks));
    append_card(out, "total-credits", "credits charged", std::to_string(t.credits.charged),
                jobs::usd_text(t.credits.charged, t.credits_per_usd));
    append_card(out, "total-reserved", "reserved now", std::to_string(t.credits.reserved));
    append_card(out, "total-refunded", "refunded", std::to_string(t.credits.refunded));
    if (t.credits.at_risk_count > 0) {
        append_card(out, "total-at-risk", "at risk", fmt::format("up to {}", t.credits.at_risk),
                    fmt::format("{} of unknown outcome", plural(t.credits.at_risk_count, "create or task")));
    }
    append_card(out, "total-wall", "wall time", t.first_t_ms > 0 ? human_seconds(t.wall_s) : "-");
    append_card(out, "total-files", "files", std::to_string(t.files), size_text(t.bytes));
    out += "</dl>\n";
}

// A reason's job ids as links to their rows; beyond k_reason_ids_shown, folded.
std::string reason_jobs(std::vector<std::string> const& jobs) {
    std::string out;
    for (std::size_t i = 0; i < jobs.size(); ++i) {
        if (i == k_reason_ids_shown) {
            out += fmt::format(" <details><summary>{} more</summary>", jobs.size() - i);
        }
        out += (i == 0 || i == k_reason_ids_shown) ? "" : " ";
        out += job_link(jobs[i]);
    }
    return jobs.size() > k_reason_ids_shown ? out + "</details>" : out;
}

void append_failure_reasons(std::string& out, Totals const& t) {
    out += "<h3>Failure reasons</h3>\n";
    if (t.failure_reasons.empty()) {
        out += "<p class=\"empty\" id=\"failure-reasons\">none</p>\n";
        return;
    }
    out +=
        "<table id=\"failure-reasons\">\n<thead><tr><th>error code</th><th class=\"num\">jobs</th><th>which "
        "(failed or uncertain now)</th></tr></thead>\n<tbody>\n";
    for (FailureReason const& reason : t.failure_reasons) {
        out += fmt::format(
            "<tr class=\"reason\" data-code=\"{0}\"><td><code>{0}</code></td><td class=\"num\">{1}</td>"
            "<td class=\"ids\">{2}</td></tr>\n",
            html_escape(reason.code), reason.jobs.size(), reason_jobs(reason.jobs));
    }
    out += "</tbody>\n</table>\n";
}

void append_totals(std::string& out, Report const& report) {
    Totals const& t = report.totals;
    out += "<section id=\"totals\">\n<h2>Totals</h2>\n";
    append_cards(out, t);
    out += "<ul class=\"states\">\n";
    for (auto const& [state, n] : t.states) {
        out += fmt::format("<li data-state=\"{0}\"><span class=\"swatch {1}\"></span>{0} <b>{2}</b></li>\n",
                           html_escape(state), state_class(state), n);
    }
    out += "</ul>\n";
    out += fmt::format("<p class=\"meta\">Credits: {}.", html_escape(jobs::credits_text(t.credits)));
    if (t.first_t_ms > 0) {
        out += fmt::format(" First event {}, last event {}.", iso8601_utc(t.first_t_ms),
                           iso8601_utc(t.last_t_ms));
    }
    out += "</p>\n";
    append_failure_reasons(out, t);
    out += "</section>\n";
}

// The request a row's current attempt belongs to (1 for jobs never sent).
int current_version(Row const& r) {
    auto const it =
        std::find_if(r.runs.rbegin(), r.runs.rend(), [](TaskRun const& run) { return run.current; });
    return it != r.runs.rend() ? it->version : r.runs.empty() ? 1 : r.runs.back().version;
}

std::string file_link(ResultFile const& f, fs::path const& links_from) {
    return fmt::format("<a class=\"file\" href=\"{}\" title=\"{}\">{}</a>",
                       html_escape(file_href(f.file, links_from)), html_escape(f.file),
                       html_escape(fs::path(f.file).filename().string()));
}

std::string sha_prefix(std::string_view sha256) {
    return fmt::format("<code class=\"sha\" title=\"{}\">{}\u2026</code>", html_escape(sha256),
                       html_escape(sha256.substr(0, k_sha_prefix)));
}

// The result cell: the newest request's files, linked, with a hash prefix; a version tag when
// they are not the current request's (a changed job not yet run again) or not its first.
std::string result_cell(Row const& r, fs::path const& links_from) {
    int newest = 0;
    for (ResultFile const& f : r.files) {
        newest = std::max(newest, f.version);
    }
    std::string out;
    for (ResultFile const& f : r.files) {
        if (f.version != newest) {
            continue;
        }
        out += out.empty() ? "" : "<br>";
        out += file_link(f, links_from);
        if (newest > 1 || newest != current_version(r)) {
            out += fmt::format("<span class=\"ver\">v{}</span>", newest);
        }
        out += "<br>" + sha_prefix(f.sha256);
    }
    return out;
}

std::string error_text(std::optional<ledger::EventError> const& error) {
    return error ? fmt::format("<code>{}</code> {}", html_escape(error->code), html_escape(error->message))
                 : std::string();
}

// An uncertain job's listed candidates (issue 18), under its error: each task and when it was
// made, and how a person settles the job.
std::string candidates_text(Row const& r) {
    if (r.candidates.empty()) {
        return {};
    }
    std::string out = "<div class=\"candidates\">candidates: ";
    for (std::size_t i = 0; i < r.candidates.size(); ++i) {
        out += fmt::format("{}<code>{}</code> ({})", i == 0 ? "" : ", ", html_escape(r.candidates[i].id),
                           html_escape(candidate_detail(r.candidates[i])));
    }
    out += fmt::format("; settle with <code>run --adopt {}=TASK</code></div>", html_escape(r.id));
    return out;
}

std::string duration_cell(std::optional<double> actual_s, std::optional<int> estimated_s) {
    std::string out = actual_s ? human_seconds(*actual_s) : "";
    if (estimated_s) {
        out += fmt::format("<span class=\"sub\">est. {}</span>",
                           human_seconds(static_cast<double>(*estimated_s)));
    }
    return out;
}

std::string credits_cell(std::int64_t credits, std::int64_t refunded) {
    std::string out = std::to_string(credits);
    if (refunded > 0) {
        out += fmt::format("<span class=\"sub\">{} refunded</span>", refunded);
    }
    return out;
}

std::string times_cell(std::int64_t submitted_t_ms, std::int64_t finished_t_ms, std::int64_t day_ms) {
    std::string out = clock_html(submitted_t_ms, day_ms);
    if (finished_t_ms > 0) {
        out += "<br>" + clock_html(finished_t_ms, day_ms);
    }
    return out;
}

std::string request_cell(Row const& r) {
    std::string out = fmt::format("<p class=\"prompt\">{}</p>", html_escape(r.prompt));
    if (!r.video.empty()) {
        out += fmt::format("<p class=\"src\"><code>{}</code></p>", breakable_url(r.video));
    }
    if (!r.note.empty()) {
        out += fmt::format("<p class=\"note\">{}</p>", html_escape(r.note));
    }
    return out;
}

// "2 attempts, 1 of an earlier request; 2 files": what a row's details hold.
std::string details_summary(Row const& r) {
    int const current = current_version(r);
    auto const earlier = std::count_if(r.runs.begin(), r.runs.end(),
                                       [&](TaskRun const& run) { return run.version != current; });
    std::string out = plural(r.runs.size(), "attempt");
    if (earlier > 0) {
        out += fmt::format(", {} of {}", earlier, earlier == 1 ? "an earlier request" : "earlier requests");
    }
    if (!r.files.empty()) {
        out += "; " + plural(r.files.size(), "file");
    }
    return out;
}

void append_run(std::string& out, TaskRun const& run, std::int64_t day_ms) {
    std::int64_t const sent_t_ms = run.submitted_t_ms > 0 ? run.submitted_t_ms : run.submitting_t_ms;
    out += fmt::format("<tr class=\"run\" data-version=\"{0}\" data-attempt=\"{1}\"><td>v{0}</td>"
                       "<td class=\"num\">{1}</td><td><code>{2}</code></td><td>{3}</td><td>{4}</td>"
                       "<td class=\"num\">{5}</td><td class=\"num\">{6}</td><td>{7}</td></tr>\n",
                       run.version, run.attempt, html_escape(run.task), badge(run.phase),
                       times_cell(sent_t_ms, run.finished_t_ms, day_ms),
                       duration_cell(run.actual_s, run.estimated_s), credits_cell(run.credits, run.refunded),
                       error_text(run.error));
}

// Under a job's row: every attempt that went out and every file on record, folded.
void append_details(std::string& out, Row const& r, fs::path const& links_from, std::int64_t day_ms) {
    out += fmt::format("<tr class=\"more\"><td colspan=\"9\"><details><summary>{}</summary>\n",
                       details_summary(r));
    if (!r.runs.empty()) {
        out += "<table class=\"runs\"><thead><tr><th>request</th><th class=\"num\">attempt</th><th>task</th>"
               "<th>phase</th><th>sent, ended</th><th class=\"num\">actual, est.</th>"
               "<th class=\"num\">credits</th><th>error</th></tr></thead>\n<tbody>\n";
        for (TaskRun const& run : r.runs) {
            append_run(out, run, day_ms);
        }
        out += "</tbody></table>\n";
    }
    if (!r.files.empty()) {
        out += "<ul class=\"files\">\n";
        for (ResultFile const& f : r.files) {
            out += fmt::format("<li>v{} {} {}, sha256 <code>{}</code>{}</li>\n", f.version,
                               file_link(f, links_from), size_text(f.bytes), html_escape(f.sha256),
                               f.on_disk ? "" : " <b>not on disk</b> (moved or deleted since it was downloaded)");
        }
        out += "</ul>\n";
    }
    out += "</details></td></tr>\n";
}

void append_job(std::string& out, Row const& r, fs::path const& links_from, std::int64_t day_ms) {
    std::string const id = html_escape(r.id);
    bool const more = !r.runs.empty() || !r.files.empty();
    bool const known = r.state != "new";
    out += fmt::format("<tr class=\"job{}\" id=\"job-{}\" data-job=\"{}\" data-state=\"{}\">",
                       more ? " has-more" : "", id, id, html_escape(r.state));
    out +=
        fmt::format("<td class=\"id\"><code>{}</code></td><td class=\"state\">{}</td>", id, badge(r.state));
    out += fmt::format("<td class=\"request\">{}</td>", request_cell(r));
    out +=
        fmt::format("<td class=\"num attempts\">{}</td>", r.attempts > 0 ? std::to_string(r.attempts) : "");
    out += fmt::format("<td class=\"num credits\">{}</td>", known ? credits_cell(r.credits, r.refunded) : "");
    out += fmt::format("<td class=\"time\">{}</td>", times_cell(r.submitted_t_ms, r.finished_t_ms, day_ms));
    out += fmt::format("<td class=\"num dur\">{}</td>", duration_cell(r.actual_s, r.estimated_s));
    out += fmt::format("<td class=\"file\">{}</td><td class=\"err\">{}</td></tr>\n",
                       result_cell(r, links_from), error_text(r.error) + candidates_text(r));
    if (more) {
        append_details(out, r, links_from, day_ms);
    }
}

void append_jobs(std::string& out, Report const& report, fs::path const& links_from) {
    std::int64_t const day_ms = report.totals.first_t_ms;
    out += fmt::format(
        "<section id=\"jobs\">\n<h2>Jobs</h2>\n<p class=\"meta\">Times in UTC{}; hover one for its date "
        "and milliseconds. Each row's details list every attempt and every result file.</p>\n",
        day_ms > 0 ? ", on " + iso8601_utc(day_ms).substr(0, 10) + " unless dated" : "");
    out +=
        "<table id=\"job-table\">\n<colgroup><col class=\"c-id\"><col class=\"c-state\"><col "
        "class=\"c-request\">"
        "<col class=\"c-attempts\"><col class=\"c-credits\"><col class=\"c-time\"><col class=\"c-dur\">"
        "<col class=\"c-file\"><col class=\"c-err\"></colgroup>\n"
        "<thead><tr><th>id</th><th>state</th><th>prompt and source video</th><th class=\"num\">attempts</th>"
        "<th class=\"num\">credits</th><th>submitted<br>finished</th><th "
        "class=\"num\">actual<br>estimated</th>"
        "<th>result</th><th>error</th></tr></thead>\n<tbody>\n";
    for (Row const& r : report.rows) {
        append_job(out, r, links_from, day_ms);
    }
    out += "</tbody>\n</table>\n</section>\n";
}

fs::path absolute_folder(fs::path const& p) {
    fs::path out = (p.empty() ? fs::current_path() : fs::absolute(p)).lexically_normal();
    return out.has_filename() ? out : out.parent_path();
}

} // namespace

std::string html_escape(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (char c : text) {
        switch (c) {
        case '&':
            out += "&amp;";
            break;
        case '<':
            out += "&lt;";
            break;
        case '>':
            out += "&gt;";
            break;
        case '"':
            out += "&quot;";
            break;
        case '\'':
            out += "&#39;";
            break;
        default:
            out += c;
        }
    }
    return out;
}

std::string file_href(fs::path const& file, fs::path const& links_from) {
    fs::path const target = (file.is_absolute() ? file : fs::absolute(file)).lexically_normal();
    fs::path const base = absolute_folder(links_from);
    fs::path const relative = target.lexically_relative(base);
    // A link that climbs to the root breaks as soon as the report moves: past the folders both
    // share (only "/"), the absolute path serves better.
    auto const climbs =
        std::count_if(relative.begin(), relative.end(), [](fs::path const& p) { return p == ".."; });
    fs::path const below = base.relative_path();
    auto const below_root = std::distance(below.begin(), below.end());
    if (relative.empty() || (climbs > 0 && climbs >= below_root)) {
        return "file://" + url_path(target.generic_string());
    }
    return url_path(relative.generic_string());
}

std::string render_html(Report const& report, fs::path const& links_from) {
    std::string out = k_head;
    out += "evobatch report: " + html_escape(report.manifest) + "</title>\n";
    out += k_style;
    out += "</head>\n<body>\n<header>\n<h1>evobatch report</h1>\n";
    out += fmt::format(
        "<p class=\"meta\">manifest <code>{}</code>, ledger <code>{}</code> ({} events), generated "
        "{}</p>\n</header>\n",
        html_escape(report.manifest), html_escape(report.ledger), report.events,
        iso8601_utc(report.generated_t_ms));
    append_totals(out, report);
    detail::append_timeline(out, report);
    append_jobs(out, report, links_from);
    out += "</body>\n</html>\n";
    return out;
}

} // namespace evobatch::report
