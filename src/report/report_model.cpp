#include "evobatch/report/report_model.hpp"

#include "evobatch/ledger/replay.hpp"
#include "evobatch/manifest/manifest.hpp"
#include "evobatch/sched/request_of.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <map>

namespace evobatch::report {

namespace {

// The order states are counted in: a batch's life, then what needs attention.
constexpr std::array<std::string_view, 8> k_state_order = {"new",    "submitting", "running", "completed",
                                                           "failed", "uncertain",  "unsent",  "changed"};

Row row_of(manifest::Job const& job, ledger::JobHistory const* h) {
    Row row;
    row.id = job.id;
    row.state = "new";
    if (h == nullptr) {
        return row;
    }
    // A changed entry keeps what the ledger knows of its earlier request: that task was paid for.
    row.state = h->req != sched::request_digest(sched::request_of(job)) ? "changed"
                                                                        : std::string(to_string(h->phase));
    row.task = h->task;
    row.attempts = h->attempt;
    // Credits are reserved at submit and settled at the end; failed tasks are refunded (api.md),
    // though the ledger keeps what their `submitted` reserved.
    row.credits = h->phase == ledger::JobPhase::failed ? 0 : h->credits;
    if (!h->task.empty()) {
        row.submitted_t_ms = h->submitted_t_ms;
        bool const finished = h->phase == ledger::JobPhase::completed || h->phase == ledger::JobPhase::failed;
        if (finished && h->finished_t_ms >= h->submitted_t_ms && h->submitted_t_ms > 0) {
            row.finished_t_ms = h->finished_t_ms;
            row.actual_s = static_cast<double>(h->finished_t_ms - h->submitted_t_ms) / 1000.0;
        }
    }
    row.estimated_s = h->eta_s;
    for (ledger::Download const& d : h->downloads) {
        row.files.push_back(ResultFile{d.file, d.bytes, d.sha256});
    }
    row.error = h->error;
    return row;
}

} // namespace

Report build_report(manifest::Manifest const& manifest, ledger::Replay const& replay,
                    std::filesystem::path const& ledger_path, std::int64_t now_ms) {
    Report report;
    report.manifest = manifest.path.string();
    report.ledger = ledger_path.string();
    report.generated_t_ms = now_ms;
    report.events = replay.events;
    report.rows.reserve(manifest.jobs.size());

    Totals& t = report.totals;
    std::map<std::string, std::size_t, std::less<>> states;
    std::map<std::string, std::size_t> reasons;
    for (manifest::Job const& job : manifest.jobs) {
        Row row = row_of(job, replay.find(job.id));
        ++states[row.state];
        t.tasks += row.task.empty() ? 0 : 1;
        t.credits += row.credits;
        t.files += row.files.size();
        for (ResultFile const& f : row.files) {
            t.bytes += f.bytes;
        }
        if ((row.state == "failed" || row.state == "uncertain") && row.error) {
            ++reasons[row.error->code];
        }
        report.rows.push_back(std::move(row));
    }
    t.jobs = report.rows.size();
    for (std::string_view s : k_state_order) {
        if (auto it = states.find(s); it != states.end()) {
            t.states.emplace_back(it->first, it->second);
        }
    }
    t.failure_reasons.assign(reasons.begin(), reasons.end());
    std::stable_sort(t.failure_reasons.begin(), t.failure_reasons.end(),
                     [](auto const& a, auto const& b) { return a.second > b.second; });

    // The whole ledger's span, jobs outside the manifest included: the wall time the batch took.
    auto see = [&t](std::int64_t ms) {
        if (ms <= 0) {
            return;
        }
        t.first_t_ms = t.first_t_ms == 0 ? ms : std::min(t.first_t_ms, ms);
        t.last_t_ms = std::max(t.last_t_ms, ms);
    };
    for (ledger::BatchStart const& b : replay.batches) {
        see(b.t_ms);
    }
    for (ledger::JobHistory const& h : replay.jobs) {
        see(h.first_t_ms);
        see(h.last_t_ms);
    }
    t.wall_s = static_cast<double>(t.last_t_ms - t.first_t_ms) / 1000.0;
    return report;
}

std::string iso8601_utc(std::int64_t t_ms) {
    using namespace std::chrono;
    sys_time<milliseconds> const tp{milliseconds(t_ms)};
    sys_days const day = floor<days>(tp);
    year_month_day const ymd{day};
    hh_mm_ss<milliseconds> const time{tp - day};
    return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", static_cast<int>(ymd.year()),
                       static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                       time.hours().count(), time.minutes().count(), time.seconds().count(),
                       time.subseconds().count());
}

bool task_span(Row const& row, Totals const& totals, std::int64_t& start_ms, std::int64_t& end_ms) {
    if (row.task.empty() || row.submitted_t_ms <= 0) {
        return false;
    }
    start_ms = row.submitted_t_ms;
    end_ms = row.finished_t_ms > 0 ? row.finished_t_ms : std::max(totals.last_t_ms, row.submitted_t_ms);
    return true;
}

} // namespace evobatch::report
