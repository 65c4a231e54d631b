#include "evobatch/probe/job_probe.hpp"

#include "evobatch/manifest/manifest.hpp"

#include "evobatch/util/task_group.hpp"

#include <boost/asio/this_coro.hpp>

#include <fmt/format.h>

#include <algorithm>

namespace evobatch::probe {

namespace asio = boost::asio;

namespace {

std::string source_name(SourceResult const& s, std::size_t image_number) {
    return s.is_video ? std::string("video") : fmt::format("image {}", image_number);
}

} // namespace

bool JobProbe::warned() const noexcept {
    return std::any_of(sources.begin(), sources.end(),
                       [](SourceResult const& s) { return s.verdict.usability == Usability::warned; });
}

JobProbe judge_job(std::string job, std::vector<SourceResult> sources) {
    JobProbe out;
    out.job = std::move(job);
    bool rejected = false;
    bool unprobed = false;
    std::size_t image = 0;
    for (SourceResult const& s : sources) {
        std::string const name = source_name(s, s.is_video ? 0 : ++image);
        switch (s.host.outcome) {
        case ProbeOutcome::unreachable:
            // The API fetches the same URL: what refuses us for good refuses it too.
            if (!rejected) {
                out.code = "unreachable";
            }
            rejected = true;
            out.reasons.push_back(fmt::format("{}: cannot be fetched ({})", name, s.host.detail));
            continue;
        case ProbeOutcome::unchanged: // only a revalidation gets it, and it brings no facts to judge
        case ProbeOutcome::transient:
            unprobed = true;
            out.reasons.push_back(fmt::format("{}: not probed ({}); sent at the most a task costs", name, s.host.detail));
            continue;
        case ProbeOutcome::probed: break;
        }
        Verdict const& v = s.verdict;
        if (v.usability == Usability::rejected) {
            if (!rejected) {
                out.code = v.code;
            }
            rejected = true;
        }
        if (!v.reason.empty()) {
            out.reasons.push_back(fmt::format("{}: {}", name, v.reason));
        }
        if (!v.note.empty()) {
            out.reasons.push_back(fmt::format("{}: {}", name, v.note));
        }
    }
    out.usability = rejected ? JobUsability::rejected : unprobed ? JobUsability::unprobed : JobUsability::usable;
    if (out.usability == JobUsability::usable && !sources.empty() && sources.front().is_video) {
        out.credits = sources.front().verdict.credits;
    }
    out.sources = std::move(sources);
    return out;
}

namespace {

// One source: revalidated when the ledger remembers it (reused as it was if the host says it is
// unchanged), else probed and judged by the rules.
asio::awaitable<SourceResult> probe_source(Prober& prober, std::string const& url, bool is_video,
                                           SourceAccess const& access) {
    std::optional<SourceResult> known = access.recall ? access.recall(url, is_video) : std::nullopt;
    Validators validators;
    if (known) {
        validators = {known->host.etag, known->host.last_modified};
    }
    std::string const from = access.locate ? access.locate(url) : url;
    SourceResult s;
    s.url = url;
    s.is_video = is_video;
    if (is_video) {
        VideoReport report = co_await prober.video(from, known ? &validators : nullptr);
        s.host = std::move(report.host);
        s.video = std::move(report.facts);
    } else {
        ImageReport report = co_await prober.image(from, known ? &validators : nullptr);
        s.host = std::move(report.host);
        s.image = report.facts;
    }
    if (s.host.outcome == ProbeOutcome::unchanged && known) {
        known->reused = true; // the earlier verdict, which the ledger already holds
        known->host.requests = s.host.requests;
        known->host.bytes = s.host.bytes;
        co_return std::move(*known);
    }
    if (s.host.outcome == ProbeOutcome::probed) {
        s.verdict = is_video ? judge_video(s.video) : judge_image(s.image);
    }
    co_return s;
}

} // namespace

asio::awaitable<JobProbe> probe_job(Prober& prober, manifest::Job const& job, SourceAccess const& access) {
    std::vector<SourceResult> sources;
    sources.reserve(1 + job.image_urls.size());
    sources.push_back(co_await probe_source(prober, job.video_url, true, access));
    for (std::string const& url : job.image_urls) {
        sources.push_back(co_await probe_source(prober, url, false, access));
    }
    co_return judge_job(job.id, std::move(sources));
}

asio::awaitable<std::vector<JobProbe>> probe_jobs(Prober& prober, std::vector<manifest::Job> const& jobs,
                                                  std::size_t at_once,
                                                  std::function<void(std::size_t, JobProbe const&)> const& done,
                                                  SourceAccess const& access) {
    std::vector<JobProbe> results(jobs.size());
    std::size_t next = 0;
    std::exception_ptr failure;
    util::TaskGroup workers(co_await asio::this_coro::executor, [&](std::exception_ptr e) {
        if (e && !failure) {
            failure = e;
            next = jobs.size(); // the others finish the job they hold, then stop
        }
    });
    // `at_once` workers, each taking the next job in manifest order until none is left. Named:
    // a coroutine lambda's captures live in the closure, which must outlive its coroutines.
    auto const work = [&]() -> asio::awaitable<void> {
        while (next < jobs.size()) {
            std::size_t const i = next++;
            results[i] = co_await probe_job(prober, jobs[i], access);
            if (done) {
                done(i, results[i]);
            }
        }
    };
    for (std::size_t w = 0; w < std::clamp<std::size_t>(at_once, 1, std::max<std::size_t>(jobs.size(), 1)); ++w) {
        workers.spawn(work());
    }
    co_await workers.join();
    if (failure) {
        std::rethrow_exception(failure);
    }
    co_return results;
}

} // namespace evobatch::probe
