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

json::object row_json(Row const& r) {
    json::object o;
    o["id"] = r.id;
    o["state"] = r.state;
    o["task"] = r.task.empty() ? json::value(nullptr) : json::value(r.task);
    o["attempts"] = r.attempts;
    o["credits"] = r.credits;
    o["submitted_at"] = time_or_null(r.submitted_t_ms);
    o["finished_at"] = time_or_null(r.finished_t_ms);
    o["actual_s"] = r.actual_s ? json::value(*r.actual_s) : json::value(nullptr);
    o["estimated_s"] = r.estimated_s ? json::value(*r.estimated_s) : json::value(nullptr);
    json::array files;
    for (ResultFile const& f : r.files) {
        files.push_back(json::object{{"file", f.file}, {"bytes", f.bytes}, {"sha256", f.sha256}});
    }
    o["files"] = std::move(files);
    o["error"] = r.error ? json::value(json::object{{"code", r.error->code}, {"message", r.error->message}})
                         : json::value(nullptr);
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
    json::object reasons;
    for (FailureReason const& reason : t.failure_reasons) {
        reasons[reason.code] = reason.jobs.size();
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
    json::array jobs;
    jobs.reserve(report.rows.size());
    for (Row const& r : report.rows) {
        jobs.push_back(row_json(r));
    }
    doc["jobs"] = std::move(jobs);
    return json::serialize(doc) + "\n";
}

} // namespace evobatch::report
