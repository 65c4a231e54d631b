#include "probe_media.hpp"

#include "evobatch/jobs/probe_record.hpp"

#include "evobatch/net/tls_context.hpp"
#include "evobatch/sim/simulator.hpp"
#include "evobatch/util/terminal_text.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <functional>

#include <unistd.h>

namespace evobatch::cli {

namespace asio = boost::asio;

char const* verdict_name(probe::JobProbe const& p) {
    switch (p.usability) {
    case probe::JobUsability::usable: return p.warned() ? "warned" : "usable";
    case probe::JobUsability::rejected: return "rejected";
    case probe::JobUsability::unprobed: return "unprobed";
    }
    return "?";
}

std::string reasons_text(probe::JobProbe const& p) {
    std::string out;
    for (std::string const& reason : p.reasons) {
        out += (out.empty() ? "" : "; ") + reason;
    }
    bool const simulated = std::any_of(p.sources.begin(), p.sources.end(), [](probe::SourceResult const& s) {
        return s.host.outcome == probe::ProbeOutcome::unreachable && s.url.starts_with(sim::k_media_alias);
    });
    if (simulated) {
        out += fmt::format(" ({} names the built-in simulator's media, which only `evobatch run --simulate` reaches)",
                           sim::k_media_alias.substr(sim::k_media_alias.find("//") + 2));
    }
    return util::clean_text(out);
}

std::optional<std::chrono::milliseconds> video_duration(probe::JobProbe const& p) {
    if (p.sources.empty()) {
        return std::nullopt;
    }
    probe::SourceResult const& s = p.sources.front();
    if (!s.is_video || s.host.outcome != probe::ProbeOutcome::probed) {
        return std::nullopt;
    }
    return s.video.duration;
}

void add_max_probes_option(CLI::App& cmd, std::size_t& max_probes) {
    cmd.add_option("--max-probes", max_probes, "Jobs probed at once (default: limits.max_probes)")
        ->check(CLI::Range(1, 256));
}

std::vector<probe::JobProbe> probe_media(manifest::Manifest const& m, std::vector<manifest::Job> const& jobs,
                                         std::size_t max_probes, bool progress, ledger::Replay const* earlier) {
    std::size_t const at_once = max_probes > 0 ? max_probes : m.limits.max_probes;
    asio::io_context io;
    net::TlsContext tls(m.api.ca_file);
    probe::ProberOptions prober_options;
    prober_options.max_connections_per_host = at_once;
    probe::Prober prober(io.get_executor(), tls, prober_options);
    bool const show_progress = progress && isatty(STDERR_FILENO) != 0 && jobs.size() > 1;
    std::size_t finished = 0;
    std::function<void(std::size_t, probe::JobProbe const&)> const done = [&](std::size_t, probe::JobProbe const&) {
        ++finished;
        if (show_progress) {
            fmt::print(stderr, "\rprobing: {}/{} jobs", finished, jobs.size());
        }
    };
    probe::SourceAccess access;
    if (earlier != nullptr) {
        access.recall = jobs::recall_from(*earlier); // the hosts confirm them unchanged, or they are probed
    }
    auto future = asio::co_spawn(io, probe::probe_jobs(prober, jobs, at_once, done, access), asio::use_future);
    io.run();
    std::vector<probe::JobProbe> probes = future.get();
    if (show_progress) {
        fmt::print(stderr, "\r\x1b[K");
    }
    return probes;
}

} // namespace evobatch::cli
