#pragma once
// A job's media probed and judged as one: its source video and reference images, what the
// job will cost, and whether it can be sent. `evobatch probe`, `plan --probe` and `run` use
// these, so they agree.

#include "evobatch/probe/prober.hpp"
#include "evobatch/probe/rules.hpp"

#include <boost/asio/awaitable.hpp>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace evobatch::manifest {
struct Job;
} // namespace evobatch::manifest

namespace evobatch::probe {

enum class JobUsability {
    usable,   // every source probed and fine (a warning, at most)
    rejected, // a source the API would refuse: never sent, costs nothing
    unprobed, // a source could not be read for now (5xx, timeouts): sent unprobed, at the worst case
};

struct SourceResult {
    std::string url;
    bool is_video = true;
    HostAnswer host;
    VideoFacts video; // is_video
    ImageFacts image; // !is_video
    Verdict verdict;  // host.outcome == probed; otherwise the outcome says it
    bool reused = false; // an earlier probe's result, which the host confirmed unchanged
};

// How a job's sources are reached, beyond the Prober.
struct SourceAccess {
    // What an earlier probe of `url` found, if it can be reused once the host confirms its
    // validators (the ledger's `probed` events: jobs/probe_record.hpp); nothing: probe afresh.
    std::function<std::optional<SourceResult>(std::string_view url, bool is_video)> recall;
    // Where `url` is fetched from, when not from itself (`run --simulate`: the simulator stands
    // in for sim::k_media_alias). Empty: every URL from itself.
    std::function<std::string(std::string const& url)> locate;
};

struct JobProbe {
    std::string job;
    JobUsability usability = JobUsability::unprobed;
    std::string code;                    // rejected: the first source's code (`not_a_video`, `unreachable`, ...)
    std::vector<std::string> reasons;    // rejections, warnings, notes and failures, each naming its source
    std::optional<std::int64_t> credits; // the exact cost: a usable job whose video's duration is known
    std::vector<SourceResult> sources;   // the video first, then the images in order

    [[nodiscard]] bool warned() const noexcept;
};

// Combines the sources' results (pure; the video first).
JobProbe judge_job(std::string job, std::vector<SourceResult> sources);

// Probes the job's sources; one `access.recall` offers is revalidated with the host instead,
// and reused when unchanged. `access` must outlive the coroutine.
boost::asio::awaitable<JobProbe> probe_job(Prober& prober, manifest::Job const& job, SourceAccess const& access = {});

// Probes `jobs` with at most `at_once` jobs in flight, in manifest order of starting; calls
// `done(index, result)` as each finishes (for progress) and returns them all in order. Every
// reference must outlive the coroutine: pass a named `done`, not a lambda made into a
// temporary std::function.
boost::asio::awaitable<std::vector<JobProbe>> probe_jobs(
    Prober& prober, std::vector<manifest::Job> const& jobs, std::size_t at_once,
    std::function<void(std::size_t, JobProbe const&)> const& done = {}, SourceAccess const& access = {});

} // namespace evobatch::probe
