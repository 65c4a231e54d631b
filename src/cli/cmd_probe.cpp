// `evobatch probe`: reads each job's source video and reference images from their hosts
// (byte ranges only, never the whole file, never the API key) and says which jobs the API
// would refuse, and what each usable job will cost. Nothing is sent to the API.

#include "commands.hpp"
#include "evobatch/cli/exit_code.hpp"
#include "next_steps.hpp"
#include "probe_media.hpp"
#include "report_diagnostics.hpp"

#include "evobatch/api/pricing.hpp"
#include "evobatch/manifest/loader.hpp"
#include "evobatch/probe/job_probe.hpp"
#include "evobatch/util/terminal_text.hpp"

#include <boost/json/serialize.hpp>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

namespace evobatch::cli {

namespace {

constexpr char const* k_probe_footer = R"(
Each job's video is read with HTTP Range requests until its container says what it is:
size, MP4 or MOV, video track, resolution and duration (so its exact cost: the API bills
6-20 s at 0.75 credits a second). Images are known by their first 16 bytes. Redirects are
followed (https; http only to loopback); 5xx, 429 and timeouts are retried.

Verdicts: usable (sent; a warning says when a clip is billed as 6 or 20 s), rejected (the API
would refuse it: not MP4/MOV, no video track, over 100 MB, an image not JPEG/PNG/WebP or over
10 MB, a URL its host refuses), unprobed (the host failed for now: sent at the most a task costs).

The summary ends with Next: lines, each a command that works pasted as printed.

Exit codes: 0 every job usable, 1 some rejected, 2 bad manifest, 3 some could not be probed.

Examples:
  evobatch probe jobs/demo.yaml
  evobatch probe batch.yaml --json | jq '.jobs[] | select(.verdict == "rejected")')";

char const* outcome_name(probe::ProbeOutcome o) {
    switch (o) {
    case probe::ProbeOutcome::probed: return "probed";
    case probe::ProbeOutcome::unreachable: return "unreachable";
    case probe::ProbeOutcome::transient: return "transient";
    case probe::ProbeOutcome::unchanged: return "unchanged";
    }
    return "?";
}

std::string bytes_text(std::uint64_t n) {
    if (n < 1024) {
        return fmt::format("{} B", n);
    }
    if (n < (1u << 20)) {
        return fmt::format("{:.1f} KB", static_cast<double>(n) / 1024);
    }
    return probe::size_text(n);
}

// What the video is, in a few words ("MP4 9.0 s 160x90, 18.7 KB"); "-" when not probed.
std::string video_text(probe::SourceResult const& s) {
    if (s.host.outcome != probe::ProbeOutcome::probed) {
        return "-";
    }
    probe::VideoFacts const& f = s.video;
    if (f.container == probe::Container::unknown) {
        return fmt::format("{}, {}", probe::name_of(f.container), bytes_text(f.size));
    }
    std::string const duration =
        f.duration ? fmt::format(" {:.1f} s", std::chrono::duration<double>(*f.duration).count()) : " ? s";
    std::string const frame = f.video_tracks > 0 ? fmt::format(" {}x{}", f.width, f.height) : " no video";
    return fmt::format("{}{}{}, {}", f.container == probe::Container::quicktime ? "MOV" : "MP4", duration, frame,
                       bytes_text(f.size));
}

boost::json::object source_json(probe::SourceResult const& s) {
    boost::json::object o;
    o["url"] = s.url;
    o["kind"] = s.is_video ? "video" : "image";
    o["outcome"] = outcome_name(s.host.outcome);
    o["status"] = s.host.status;
    if (!s.host.detail.empty()) {
        o["detail"] = s.host.detail;
    }
    o["requests"] = s.host.requests;
    o["bytes_read"] = s.host.bytes;
    if (!s.host.etag.empty()) {
        o["etag"] = s.host.etag;
    }
    if (!s.host.last_modified.empty()) {
        o["last_modified"] = s.host.last_modified;
    }
    if (s.host.outcome != probe::ProbeOutcome::probed) {
        return o;
    }
    if (s.is_video) {
        o["size"] = s.video.size;
        o["container"] = s.video.container == probe::Container::unknown ? "" : probe::name_of(s.video.container);
        o["format"] = s.video.format;
        o["duration_ms"] = s.video.duration ? boost::json::value(s.video.duration->count()) : boost::json::value(nullptr);
        o["video_tracks"] = s.video.video_tracks;
        o["width"] = s.video.width;
        o["height"] = s.video.height;
        o["fragmented"] = s.video.fragmented;
    } else {
        o["size"] = s.image.size;
        o["format"] = probe::name_of(s.image.format);
    }
    if (s.verdict.credits) {
        o["credits"] = *s.verdict.credits;
    }
    return o;
}

struct Totals {
    std::size_t usable = 0, warned = 0, rejected = 0, unprobed = 0;
    std::int64_t exact = 0; // of the usable jobs
    std::int64_t at_most = 0; // usable jobs without a known cost and unprobed ones, at the worst case
};

Totals totals_of(std::vector<probe::JobProbe> const& probes) {
    Totals t;
    for (probe::JobProbe const& p : probes) {
        switch (p.usability) {
        case probe::JobUsability::usable:
            ++t.usable;
            t.warned += p.warned() ? 1 : 0;
            if (p.credits) {
                t.exact += *p.credits;
            } else {
                t.at_most += api::k_max_credits_per_task;
            }
            break;
        case probe::JobUsability::rejected: ++t.rejected; break;
        case probe::JobUsability::unprobed:
            ++t.unprobed;
            t.at_most += api::k_max_credits_per_task;
            break;
        }
    }
    return t;
}

void print_table(std::vector<probe::JobProbe> const& probes) {
    std::size_t width = 3;
    for (probe::JobProbe const& p : probes) {
        width = std::max(width, p.job.size());
    }
    width = std::min<std::size_t>(width, 40);
    fmt::print("{:<{}}  {:<8}  {:>7}  {:<28}  {}\n", "JOB", width, "VERDICT", "CREDITS", "VIDEO", "WHY");
    for (probe::JobProbe const& p : probes) {
        std::string const credits = p.credits                                  ? fmt::format("{}", *p.credits)
                                    : p.usability == probe::JobUsability::rejected ? std::string("-")
                                                                                   : fmt::format("<={}", api::k_max_credits_per_task);
        fmt::print("{:<{}}  {:<8}  {:>7}  {:<28}  {}\n", p.job, width, verdict_name(p), credits,
                   p.sources.empty() ? "-" : video_text(p.sources.front()), reasons_text(p));
    }
}

} // namespace

CLI::App* add_probe_command(CLI::App& app, ProbeOptions& o) {
    auto* cmd = app.add_subcommand(
        "probe", "Read each job's video and images from their hosts (ranges only): usable, rejected, exact credits");
    cmd->add_option("manifest", o.manifest, "Manifest file (YAML)")->required();
    cmd->add_flag("--json", o.json, "Print one JSON document on stdout for machines");
    add_max_probes_option(*cmd, o.max_probes);
    cmd->add_option("--max-errors", o.max_errors, "Show at most N manifest problems (0: all)")->capture_default_str();
    cmd->footer(k_probe_footer);
    return cmd;
}

int run_probe(ProbeOptions const& options) {
    manifest::LoadResult const loaded = manifest::load_manifest(options.manifest);
    print_diagnostics(loaded.diagnostics, options.max_errors);
    if (!loaded.ok()) {
        return exit_bad_input;
    }
    manifest::Manifest const& m = *loaded.manifest;
    std::vector<probe::JobProbe> const probes = probe_media(m, m.jobs, options.max_probes, !options.json);

    Totals const t = totals_of(probes);
    std::vector<std::string> const next =
        probe_next_steps(ProbeEnd{t.rejected, t.unprobed}, options.command_line, options.manifest);
    if (options.json) {
        boost::json::array jobs;
        for (probe::JobProbe const& p : probes) {
            boost::json::object o;
            o["job"] = p.job;
            o["verdict"] = verdict_name(p);
            if (!p.code.empty()) {
                o["code"] = p.code;
            }
            o["credits"] = p.credits ? boost::json::value(*p.credits) : boost::json::value(nullptr);
            boost::json::array reasons;
            for (std::string const& r : p.reasons) {
                reasons.emplace_back(r);
            }
            o["reasons"] = std::move(reasons);
            boost::json::array sources;
            for (probe::SourceResult const& s : p.sources) {
                sources.push_back(source_json(s));
            }
            o["sources"] = std::move(sources);
            jobs.push_back(std::move(o));
        }
        boost::json::object out;
        out["manifest"] = options.manifest;
        out["jobs"] = std::move(jobs);
        out["totals"] = {{"jobs", probes.size()},      {"usable", t.usable},          {"warned", t.warned},
                         {"rejected", t.rejected},    {"unprobed", t.unprobed},      {"credits_exact", t.exact},
                         {"credits_at_most", t.at_most + t.exact}};
        boost::json::array next_json;
        for (std::string const& step : next) {
            next_json.emplace_back(step);
        }
        out["next"] = std::move(next_json);
        fmt::print("{}\n", boost::json::serialize(out));
    } else {
        print_table(probes);
        fmt::print("\n{} job{}: {} usable{}, {} rejected, {} not probed. Credits: {} exact{}.\n", probes.size(),
                   probes.size() == 1 ? "" : "s", t.usable, t.warned > 0 ? fmt::format(" ({} warned)", t.warned) : "",
                   t.rejected, t.unprobed, t.exact,
                   t.at_most > 0 ? fmt::format(", at most {} with the jobs whose cost is not known", t.exact + t.at_most)
                                 : "");
        for (std::string const& step : next) {
            fmt::print("Next: {}\n", util::clean_text(step));
        }
    }
    return t.rejected > 0 ? exit_jobs_failed : t.unprobed > 0 ? exit_interrupted : exit_ok;
}

} // namespace evobatch::cli
