#include "evobatch/report/render.hpp"

#include <fmt/format.h>

namespace evobatch::report {

namespace {

// Durations in seconds with millisecond precision, trailing zeros dropped ("42.5", "300").
std::string seconds_text(double s) {
    std::string text = fmt::format("{:.3f}", s);
    text.erase(text.find_last_not_of('0') + 1);
    if (text.back() == '.') {
        text.pop_back();
    }
    return text;
}

// The fields of several files or attempts in one cell, ';' between them.
template <class T, class Field>
std::string join(std::vector<T> const& items, Field field) {
    std::string out;
    for (std::size_t i = 0; i < items.size(); ++i) {
        out += i == 0 ? "" : ";";
        out += field(items[i]);
    }
    return out;
}

} // namespace

std::string csv_text_field(std::string_view text) {
    std::string cell;
    cell.reserve(text.size() + 3);
    // OWASP "CSV Injection": spreadsheets run cells starting with these as formulas; a leading
    // apostrophe makes them text. Error messages come from a server, so never trust them.
    if (!text.empty() && (text[0] == '=' || text[0] == '+' || text[0] == '-' || text[0] == '@' ||
                          text[0] == '\t' || text[0] == '\r')) {
        cell += '\'';
    }
    cell += text;
    if (cell.find_first_of(",\"\r\n") == std::string::npos) {
        return cell;
    }
    std::string quoted = "\"";
    for (char c : cell) {
        quoted += c;
        if (c == '"') {
            quoted += '"';
        }
    }
    quoted += '"';
    return quoted;
}

std::string render_csv(Report const& report) {
    std::string out =
        "id,state,task,attempts,credits,submitted_at,finished_at,actual_s,estimated_s,file,bytes,sha256,"
        "error_code,error_message,prompt,video,note,refunded,tasks,file_versions,candidates\r\n";
    for (Row const& r : report.rows) {
        out += csv_text_field(r.id);
        out += ',' + csv_text_field(r.state);
        out += ',' + csv_text_field(r.task);
        out += ',' + (r.attempts > 0 ? std::to_string(r.attempts) : std::string());
        out += ',' + (r.state != "new" ? std::to_string(r.credits) : std::string());
        out += ',' + (r.submitted_t_ms > 0 ? iso8601_utc(r.submitted_t_ms) : std::string());
        out += ',' + (r.finished_t_ms > 0 ? iso8601_utc(r.finished_t_ms) : std::string());
        out += ',' + (r.actual_s ? seconds_text(*r.actual_s) : std::string());
        out += ',' + (r.estimated_s ? std::to_string(*r.estimated_s) : std::string());
        out += ',' + csv_text_field(join(r.files, [](ResultFile const& f) { return f.file; }));
        out += ',' + join(r.files, [](ResultFile const& f) { return std::to_string(f.bytes); });
        out += ',' + csv_text_field(join(r.files, [](ResultFile const& f) { return f.sha256; }));
        out += ',' + csv_text_field(r.error ? r.error->code : std::string());
        out += ',' + csv_text_field(r.error ? r.error->message : std::string());
        out += ',' + csv_text_field(r.prompt);
        out += ',' + csv_text_field(r.video);
        out += ',' + csv_text_field(r.note);
        out += ',' + (r.state != "new" ? std::to_string(r.refunded) : std::string());
        // Every task of the job, earlier attempts and requests included, oldest first.
        out += ',' + csv_text_field(join(r.runs, [](TaskRun const& run) { return run.task; }));
        out += ',' + join(r.files, [](ResultFile const& f) { return std::to_string(f.version); });
        // An uncertain job's listed candidates (issue 18): `id@created_at` each.
        out += ',' + csv_text_field(join(r.candidates, [](ledger::ListedCandidate const& c) {
                   return fmt::format("{}@{}", c.id, iso8601_utc_s(c.created_at));
               }));
        out += "\r\n";
    }
    return out;
}

} // namespace evobatch::report
