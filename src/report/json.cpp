#include "evobatch/report/render.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

namespace evobatch::report {

namespace {

namespace json = boost::json;

json::value time_or_null(std::int64_t t_ms) {
    return t_ms > 0 ? json::value(iso8601_utc(t_ms)) : json::value(nullptr);
}

template <class T>
json::value or_null(std::optional<T> const& value) {
    return value ? json::value(*value) : json::value(nullptr);
}

// Each of `items` as `to_json` writes it.
template <class T, class ToJson>
json::array array_of(std::vector<T> const& items, ToJson to_json) {
    json::array out;
    out.reserve(items.size());
    for (T const& item : items) {
        out.push_back(to_json(item));
    }
    return out;
}

json::value text_or_null(std::string const& text) {
    return text.empty() ? json::value(nullptr) : json::value(text);
}

json::value error_json(std::optional<ledger::EventError> const& error) {
    return error ? json::value(json::object{{"code", error->code}, {"message", error->message}})
                 : json::value(nullptr);
}

json::object run_json(TaskRun const& run) {
    json::object o;
    o["version"] = run.version;
    o["attempt"] = run.attempt;
    o["task"] = text_or_null(run.task);
    o["phase"] = run.phase;
    o["current"] = run.current;
    o["submitting_at"] = time_or_null(run.submitting_t_ms);
    o["submitted_at"] = time_or_null(run.submitted_t_ms);
    o["finished_at"] = time_or_null(run.finished_t_ms);
    o["actual_s"] = or_null(run.actual_s);
    o["estimated_s"] = or_null(run.estimated_s);
    o["credits"] = run.credits;
    o["refunded"] = run.refunded;
    o["error"] = error_json(run.error);
    return o;
}

json::object row_json(Row const& r) {
    json::object o;
    o["id"] = r.id;
    o["state"] = r.state;
    o["prompt"] = r.prompt;
    o["video"] = text_or_null(r.video);
    o["note"] = text_or_null(r.note);
    o["task"] = text_or_null(r.task);
    o["attempts"] = r.attempts;
    o["credits"] = r.credits;
    o["refunded"] = r.refunded;
    o["submitted_at"] = time_or_null(r.submitted_t_ms);
    o["finished_at"] = time_or_null(r.finished_t_ms);
    o["actual_s"] = or_null(r.actual_s);
    o["estimated_s"] = or_null(r.estimated_s);
    o["files"] = array_of(r.files, [](ResultFile const& f) {
        return json::object{
            {"file", f.file}, {"bytes", f.bytes}, {"sha256", f.sha256}, {"version", f.version}};
    });
    o["error"] = error_json(r.error);
    o["runs"] = array_of(r.runs, run_json);
    o["candidates"] = array_of(r.candidates, [](ledger::ListedCandidate const& c) {
        return json::object{{"id", c.id},
                            {"created_at", iso8601_utc_s(c.created_at)},
                            {"duration_s", c.duration ? json::value(*c.duration) : json::value(nullptr)},
                            {"fits_length", c.fits_length}};
    });
    return o;
}

json::object totals_json(Totals const& t) {
    json::object o;
    o["jobs"] = t.jobs;
    o["tasks"] = t.tasks;
    json::object states;
    for (auto const& [state, n] : t.states) {
        states[state] = n;
    }
    o["states"] = std::move(states);
    o["credits"] = {{"charged", t.credits.charged},
                    {"reserved_now", t.credits.reserved},
                    {"refunded", t.credits.refunded},
                    {"at_risk", t.credits.at_risk},
                    {"credits_per_usd", t.credits_per_usd}};
    o["first_event_at"] = time_or_null(t.first_t_ms);
    o["last_event_at"] = time_or_null(t.last_t_ms);
    o["wall_s"] = t.wall_s;
    o["files"] = t.files;
    o["bytes"] = t.bytes;
    // Most jobs first, as the model orders them (serialized in insertion order).
    json::object reasons;
    for (FailureReason const& reason : t.failure_reasons) {
        json::array jobs(reason.jobs.begin(), reason.jobs.end());
        reasons[reason.code] = json::object{{"count", reason.jobs.size()}, {"jobs", std::move(jobs)}};
    }
    o["failure_reasons"] = std::move(reasons);
    return o;
}

} // namespace

std::string render_json(Report const& report) {
    json::object doc;
    doc["manifest"] = report.manifest;
    doc["ledger"] = report.ledger;
    doc["generated_at"] = iso8601_utc(report.generated_t_ms);
    doc["events"] = report.events;
    doc["totals"] = totals_json(report.totals);
    doc["jobs"] = array_of(report.rows, row_json);
    return json::serialize(doc) + "\n";
}

} // namespace evobatch::report
