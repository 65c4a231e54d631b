#include "plan_probe.hpp"

#include "ledger_state.hpp"
#include "probe_media.hpp"

#include "evobatch/api/pricing.hpp"
#include "evobatch/probe/rules.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>

namespace evobatch::cli {

namespace {

plan::JobCost cost_of(probe::JobProbe const& p) {
    switch (p.usability) {
    case probe::JobUsability::usable: return p.credits ? plan::JobCost::exact(*p.credits) : plan::JobCost::unknown();
    case probe::JobUsability::rejected: return plan::JobCost::rejected();
    case probe::JobUsability::unprobed: break;
    }
    return plan::JobCost::unknown();
}

} // namespace

// A resend goes out under a key the server may already hold a task for: its media are not
// probed (it is the same request, and its task may exist).
std::vector<ProbedJob> probe_to_submit(manifest::Manifest const& m, jobs::ResumePlan const& r,
                                       ledger::Replay const& replay, std::size_t max_probes, bool progress) {
    std::vector<ProbedJob> out;
    std::vector<manifest::Job> to_probe;
    for (std::size_t i = 0; i < m.jobs.size(); ++i) {
        jobs::ResumeAction const action = r.starts[i].decision.action;
        if (!sends(action)) {
            continue;
        }
        out.push_back({i, action, std::nullopt, plan::JobCost::unknown()});
        if (action != jobs::ResumeAction::resend) {
            to_probe.push_back(m.jobs[i]);
        }
    }
    std::vector<probe::JobProbe> probes = probe_media(m, to_probe, max_probes, progress, &replay);
    auto next = probes.begin();
    for (ProbedJob& j : out) {
        if (j.action != jobs::ResumeAction::resend) {
            j.cost = cost_of(*next);
            j.probe = std::move(*next++);
        }
    }
    return out;
}

std::vector<plan::JobCost> costs_of(std::vector<ProbedJob> const& probed) {
    std::vector<plan::JobCost> costs;
    costs.reserve(probed.size());
    for (ProbedJob const& j : probed) {
        costs.push_back(j.cost);
    }
    return costs;
}

namespace {

// Why a job is counted at the most a task costs.
std::string unprobed_why(ProbedJob const& j) {
    if (!j.probe) {
        return "sent again under its same key, not probed";
    }
    std::string const why = reasons_text(*j.probe);
    return why.empty() ? std::string("its cost is not known") : why;
}

// The seconds a job is billed as: known for a job at its exact cost.
std::optional<int> billed_seconds_of(ProbedJob const& j) {
    auto const duration = j.probe ? video_duration(*j.probe) : std::nullopt;
    if (j.cost.kind != plan::JobCost::Kind::exact || !duration) {
        return std::nullopt;
    }
    return api::billed_seconds(probe::whole_seconds(*duration));
}

} // namespace

boost::json::array probed_to_json(manifest::Manifest const& m, std::vector<ProbedJob> const& probed) {
    boost::json::array out;
    for (ProbedJob const& j : probed) {
        boost::json::object o;
        o["id"] = m.jobs[j.index].id;
        o["action"] = jobs::to_string(j.action);
        o["probed"] = j.probe.has_value();
        o["verdict"] = j.probe ? verdict_name(*j.probe) : "unprobed";
        auto const duration = j.probe ? video_duration(*j.probe) : std::nullopt;
        auto const billed = billed_seconds_of(j);
        o["seconds"] = duration ? boost::json::value(std::chrono::duration<double>(*duration).count()) : nullptr;
        o["billed_seconds"] = billed ? boost::json::value(*billed) : nullptr;
        o["cost"] = j.cost.kind == plan::JobCost::Kind::exact      ? "exact"
                    : j.cost.kind == plan::JobCost::Kind::rejected ? "rejected"
                                                                   : "unknown";
        o["credits"] = j.cost.kind == plan::JobCost::Kind::exact ? boost::json::value(j.cost.credits) : nullptr;
        o["counted"] = j.cost.counted();
        if (j.probe && !j.probe->code.empty()) {
            o["code"] = j.probe->code;
        }
        boost::json::array reasons;
        if (!j.probe) {
            reasons.emplace_back(unprobed_why(j));
        } else {
            for (std::string const& reason : j.probe->reasons) {
                reasons.emplace_back(reason);
            }
        }
        o["reasons"] = std::move(reasons);
        out.push_back(std::move(o));
    }
    return out;
}

void print_probed(manifest::Manifest const& m, std::vector<ProbedJob> const& probed) {
    std::size_t width = 3;
    for (ProbedJob const& j : probed) {
        width = std::max(width, m.jobs[j.index].id.size());
    }
    width = std::min<std::size_t>(width, 40);
    fmt::print("{:<{}}  {:<6}  {:>7}  {:>6}  {:>7}  {}\n", "JOB", width, "ACTION", "SECONDS", "BILLED", "CREDITS",
               "NOTES");
    for (ProbedJob const& j : probed) {
        auto const duration = j.probe ? video_duration(*j.probe) : std::nullopt;
        std::string const seconds =
            duration ? fmt::format("{:.1f}", std::chrono::duration<double>(*duration).count()) : "-";
        auto const billed_seconds = billed_seconds_of(j);
        std::string const billed = billed_seconds ? fmt::format("{}", *billed_seconds) : "-";
        std::string credits;
        std::string notes;
        switch (j.cost.kind) {
        case plan::JobCost::Kind::exact:
            credits = fmt::format("{}", j.cost.credits);
            notes = reasons_text(*j.probe); // a duration billed as 6 or 20 s
            break;
        case plan::JobCost::Kind::rejected:
            credits = "-";
            notes = fmt::format("REJECTED {}: {}", j.probe->code, reasons_text(*j.probe));
            break;
        case plan::JobCost::Kind::unknown:
            credits = fmt::format("<={}", api::k_max_credits_per_task);
            notes = fmt::format("unprobed, counted at {}: {}", api::k_max_credits_per_task, unprobed_why(j));
            break;
        }
        fmt::print("{:<{}}  {:<6}  {:>7}  {:>6}  {:>7}  {}\n", m.jobs[j.index].id, width, jobs::to_string(j.action),
                   seconds, billed, credits, notes);
    }
}

} // namespace evobatch::cli
