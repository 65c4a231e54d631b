#include "lines.hpp"

#include "text.hpp"

#include "evobatch/util/terminal_text.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <string_view>
#include <vector>

namespace evobatch::progress::detail {

namespace {

constexpr std::string_view k_green = "32";
constexpr std::string_view k_red = "31";
constexpr std::string_view k_yellow = "33";

constexpr std::size_t k_bar_inner = 20;      // '#'/'.' cells of the bar at full width
constexpr std::size_t k_bar_inner_min = 10;  // before the pause reason is cut
constexpr std::size_t k_separator = 2;       // columns between two parts of the bar line
constexpr std::size_t k_shortest_pause = 12; // a pause reason cut shorter than this says nothing
// The whole reason is in the note that announced the pause; the bar keeps the figures in view.
constexpr std::size_t k_longest_pause = 48;

std::string paint(std::string_view text, std::string_view sgr, bool color) {
    if (!color || sgr.empty() || text.empty()) {
        return std::string(text);
    }
    return fmt::format("\x1b[{}m{}\x1b[0m", sgr, text);
}

std::size_t finished(Snapshot const& s) noexcept {
    return s.completed + s.failed + s.uncertain;
}

std::string rate_text(double rate) {
    return fmt::format("{:.1f}", std::isfinite(rate) && rate > 0 ? rate : 0.0);
}

std::string credits_text(Snapshot const& s) {
    return s.credits_ceiling > 0 ? fmt::format("{}/{}", s.credits_reserved, s.credits_ceiling)
                                 : fmt::format("{}", s.credits_reserved);
}

std::string eta_text(Snapshot const& s) {
    return s.eta ? format_duration(*s.eta) : std::string("--");
}

// One part of the bar line. Parts are dropped lowest priority first when the line is too wide.
struct Part {
    std::string text; // clean, no color
    std::string_view sgr;
    int priority = 0;
};

constexpr int k_kept = 100;          // never dropped
constexpr int k_pause_priority = 65; // above the figures, below the counts
// queued 64 and the download rate 63 come next: at the default 100 columns they fit beside the
// counts and the ETA (the bar narrows for them); credits (60) and the request rate (55) go first.
constexpr int k_queue_priority = 63;

std::string bytes_text(std::uint64_t bytes) {
    constexpr double k_mib = 1024.0 * 1024.0;
    return bytes < 1024 * 1024 ? fmt::format("{} KiB", (bytes + 1023) / 1024)
                               : fmt::format("{:.1f} MiB", static_cast<double>(bytes) / k_mib);
}

std::string bytes_rate_text(Snapshot const& s) {
    return fmt::format("{}, {}/s", bytes_text(s.download_bytes),
                       bytes_text(static_cast<std::uint64_t>(std::max(0.0, s.download_rate))));
}

std::string bar_cells(Snapshot const& s, std::size_t inner, bool color) {
    std::size_t const filled =
        s.total == 0 ? 0 : std::min(inner, inner * std::min(finished(s), s.total) / s.total);
    return "[" + paint(std::string(filled, '#'), k_green, color) + std::string(inner - filled, '.') + "]";
}

} // namespace

BarLine bar_line(Snapshot const& s, std::size_t width, bool color) {
    std::vector<Part> parts;
    parts.push_back({fmt::format("{}/{} done", s.completed, s.total), k_green, k_kept});
    parts.push_back({fmt::format("{} running", s.running + s.submitting), {}, 80});
    if (s.queued > 0) {
        parts.push_back({fmt::format("{} queued", s.queued), {}, 64});
    }
    parts.push_back({fmt::format("{} failed", s.failed), s.failed > 0 ? k_red : std::string_view{}, 90});
    if (s.uncertain > 0) {
        parts.push_back({fmt::format("{} uncertain", s.uncertain), k_yellow, 90});
    }
    if (s.stale > 0) {
        parts.push_back({fmt::format("{} stale", s.stale), k_yellow, 40});
    }
    if (s.waiting_retry > 0) {
        parts.push_back({fmt::format("{} retrying", s.waiting_retry), {}, 20});
    }
    if (s.downloads) {
        parts.push_back({fmt::format("{} files {}/s", s.downloaded,
                                     bytes_text(static_cast<std::uint64_t>(std::max(0.0, s.download_rate)))),
                         {}, 63});
    }
    parts.push_back({"credits " + credits_text(s), {}, 60});
    parts.push_back({rate_text(s.request_rate) + " req/s", {}, 55});
    parts.push_back({"ETA " + eta_text(s), {}, 70});
    if (!s.paused_reason.empty()) {
        parts.push_back({cut_to_columns("PAUSED: " + util::clean_text(s.paused_reason), k_longest_pause), k_yellow,
                         k_pause_priority});
    }

    std::size_t inner = k_bar_inner;
    bool show_bar = true;
    auto const columns = [&] {
        std::size_t n = show_bar ? inner + 2 : 0;
        for (Part const& p : parts) {
            n += (n > 0 ? k_separator : 0) + columns_of(p.text);
        }
        return n;
    };
    auto const is_pause = [](Part const& p) { return p.priority == k_pause_priority; };
    // Drops the least useful part below `limit`; false when there is none.
    auto const drop_lowest = [&](int limit) {
        auto lowest = parts.end();
        for (auto it = parts.begin(); it != parts.end(); ++it) {
            if (it->priority < limit && (lowest == parts.end() || it->priority < lowest->priority)) {
                lowest = it;
            }
        }
        if (lowest == parts.end()) {
            return false;
        }
        parts.erase(lowest);
        return true;
    };

    // Figures that matter less than a pause go first (credits and the request rate before the
    // queue and the download rate, which get the bar's narrowing first); then the pause reason
    // is cut; only then do counts go, and the pause reason when even a cut one does not fit.
    while (columns() > width && drop_lowest(k_queue_priority)) {
    }
    while (columns() > width && inner > k_bar_inner_min) {
        --inner;
    }
    while (columns() > width && drop_lowest(k_pause_priority)) {
    }
    if (columns() > width && !parts.empty() && is_pause(parts.back())) {
        std::size_t const others = columns() - columns_of(parts.back().text);
        if (others + k_shortest_pause <= width) {
            parts.back().text = cut_to_columns(parts.back().text, width - others);
        }
    }
    while (columns() > width && drop_lowest(k_kept)) {
    }
    if (columns() > width) {
        show_bar = false; // the count says the same
    }

    auto const render = [&](bool with_color) {
        std::string text = show_bar ? bar_cells(s, inner, with_color) : std::string();
        for (Part const& p : parts) {
            if (!text.empty()) {
                text += std::string(k_separator, ' ');
            }
            text += paint(p.text, p.sgr, with_color);
        }
        return text;
    };
    BarLine line;
    line.text = render(color);
    line.columns = columns_of(render(false));
    if (line.columns > width) {
        // Narrower than "412/1000 done": a terminal that narrow shows little anyway.
        line.text = cut_to_columns(render(false), width);
        line.columns = columns_of(line.text);
    }
    return line;
}

std::string plain_line(Snapshot const& s) {
    std::string line =
        fmt::format("progress: {}/{} done, {} running", s.completed, s.total, s.running + s.submitting);
    if (s.queued > 0) {
        line += fmt::format(", {} queued", s.queued);
    }
    line += fmt::format(", {} failed", s.failed);
    if (s.uncertain > 0) {
        line += fmt::format(", {} uncertain", s.uncertain);
    }
    if (s.stale > 0) {
        line += fmt::format(", {} stale", s.stale);
    }
    if (s.waiting_retry > 0) {
        line += fmt::format(", {} retrying", s.waiting_retry);
    }
    if (s.downloads) {
        line += fmt::format(", {} files downloaded ({} downloading, {})", s.downloaded, s.downloading,
                            bytes_rate_text(s));
    }
    line += fmt::format(", credits {}, {} req/s, ETA {}, elapsed {}", credits_text(s),
                        rate_text(s.request_rate), eta_text(s), format_duration(s.elapsed));
    if (!s.paused_reason.empty()) {
        line += ", paused: " + util::clean_text(s.paused_reason);
    }
    return line;
}

std::string progress_json(Snapshot const& s) {
    std::string eta =
        s.eta ? fmt::format("{}", std::max<std::int64_t>(s.eta->count(), 0)) : std::string("null");
    std::string line = fmt::format(
        R"({{"ev":"progress","elapsed_s":{},"total":{},"queued":{},"submitting":{},"running":{},"completed":{},)"
        R"("failed":{},"uncertain":{},"stale":{},"waiting_retry":{},"credits_reserved":{},"credits_ceiling":{},)"
        R"("request_rate":{},"eta_s":{})",
        s.elapsed.count(), s.total, s.queued, s.submitting, s.running, s.completed, s.failed, s.uncertain,
        s.stale, s.waiting_retry, s.credits_reserved, s.credits_ceiling, rate_text(s.request_rate), eta);
    if (!s.paused_reason.empty()) {
        line += R"(,"paused":)" + json_quote(s.paused_reason);
    }
    if (s.downloads) {
        line += fmt::format(R"(,"downloading":{},"downloaded":{},"download_bytes":{},"download_rate":{:.0f})",
                            s.downloading, s.downloaded, s.download_bytes, s.download_rate);
    }
    line += "}";
    return line;
}

std::string note_line(JobNote const& n, bool color) {
    std::string_view const sgr = n.event == "failed" ? k_red : k_yellow;
    std::string line = paint(util::clean_text(n.event), sgr, color);
    if (!n.job.empty()) {
        line += " " + util::clean_text(n.job);
    }
    if (!n.detail.empty()) {
        line += ": " + util::clean_text(n.detail);
    }
    if (!n.task.empty()) {
        line += " (task " + util::clean_text(n.task) + ")";
    }
    return line;
}

std::string note_json(JobNote const& n) {
    return fmt::format(R"({{"ev":{},"job":{},"task":{},"detail":{}}})", json_quote(n.event),
                       json_quote(n.job), json_quote(n.task), json_quote(n.detail));
}

std::string summary_text(Summary const& s, bool color) {
    std::string text =
        fmt::format("Completed {} of {} jobs; {}, {}, {}{} not submitted{}{}.\n", s.completed, s.total,
                    paint(fmt::format("{} failed", s.failed), s.failed > 0 ? k_red : "", color),
                    paint(fmt::format("{} uncertain", s.uncertain), s.uncertain > 0 ? k_yellow : "", color),
                    s.running > 0 ? fmt::format("{} still running (the next run polls them), ", s.running)
                                  : std::string(),
                    s.unsubmitted,
                    s.held > 0 ? paint(fmt::format(", {} held (changed since a paid request)", s.held), k_yellow, color)
                               : std::string(),
                    s.rejected > 0
                        ? paint(fmt::format(", {} rejected (unusable sources, never paid for)", s.rejected), k_red, color)
                        : std::string());
    if (s.probed > 0 || s.probes_out_of_reach > 0) {
        text += fmt::format("Probed: {} job{} before paying", s.probed, s.probed == 1 ? "" : "s");
        if (s.probes_reused > 0) {
            text += fmt::format(" ({} source{} reused from the ledger, unchanged)", s.probes_reused,
                                s.probes_reused == 1 ? "" : "s");
        }
        if (s.probes_out_of_reach > 0) {
            text += fmt::format("; {} not probed (run --simulate reaches only https://simulator.invalid/media/)",
                                s.probes_out_of_reach);
        }
        text += ".\n";
    }
    text += fmt::format("Credits: {}. Wall time: {}.\n",
                        s.credits_text.empty() ? fmt::format("{} charged", s.credits) : util::clean_text(s.credits_text),
                        format_duration(s.wall));
    if (s.downloads) {
        text += fmt::format("Results: {} files ({}) in {}", s.downloaded, bytes_text(s.download_bytes),
                            util::clean_text(s.output_dir));
        if (s.download_failed > 0) {
            text += paint(fmt::format("; {} not downloaded yet (run again)", s.download_failed), k_yellow, color);
        }
        if (s.expired > 0) {
            text += paint(fmt::format("; {} expired (links last about 24 h)", s.expired), k_red, color);
        }
        text += ".\n";
    }
    if (!s.ledger.empty()) {
        text += fmt::format("Ledger: {}\n", util::clean_text(s.ledger));
    }
    if (!s.stop_reason.empty()) {
        text += paint("Stopped: ", k_yellow, color) + util::clean_text(s.stop_reason) + "\n";
    }
    for (std::string const& step : s.next) {
        text += "Next: " + util::clean_text(step) + "\n";
    }
    return text;
}

std::string summary_json(Summary const& s) {
    std::string next;
    for (std::string const& step : s.next) {
        next += (next.empty() ? "" : ",") + json_quote(step);
    }
    return fmt::format(
        R"({{"ev":"summary","total":{},"completed":{},"failed":{},"uncertain":{},"running":{},"unsubmitted":{},"held":{},)"
        R"("rejected":{},"probed":{},"probes_reused":{},"credits":{},"credits_reserved":{},"credits_refunded":{},"credits_at_risk":{},"wall_s":{},"ledger":{},)"
        R"("exit_code":{},"stop_reason":{},"downloaded":{},"download_failed":{},"expired":{},"download_bytes":{},)"
        R"("next":[{}]}})",
        s.total, s.completed, s.failed, s.uncertain, s.running, s.unsubmitted, s.held, s.rejected, s.probed,
        s.probes_reused, s.credits, s.credits_reserved,
        s.credits_refunded, s.credits_at_risk, s.wall.count(), json_quote(s.ledger), s.exit_code,
        json_quote(s.stop_reason), s.downloaded, s.download_failed, s.expired, s.download_bytes, next);
}

} // namespace evobatch::progress::detail
