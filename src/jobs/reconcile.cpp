#include "evobatch/jobs/reconcile.hpp"

#include "evobatch/api/pricing.hpp"
#include "evobatch/ledger/replay.hpp"
#include "evobatch/manifest/manifest.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <tuple>

namespace evobatch::jobs {

namespace {

// Floor division for the spans' ends (ledger times are positive, but a skew need not be).
std::int64_t floor_seconds(std::int64_t ms) noexcept {
    return ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000);
}

bool at_risk_without_task(ledger::Attempt const& a) {
    return a.task.empty() &&
           (a.phase == ledger::JobPhase::submitting || a.phase == ledger::JobPhase::uncertain);
}

Claimant claimant_of(ledger::Attempt const& a, std::string const& job, std::int64_t first_sent_t_ms,
                     ResumeOptions const& resume, ReconcileOptions const& options) {
    Claimant c;
    c.job = job;
    c.attempt = a.attempt;
    c.key = a.key;
    // From the first send under the key: a same-key resend's first create may be the one that
    // made the task. Wider is never wrong here, it only makes a match less often unambiguous.
    c.sent_t_ms = first_sent_t_ms > 0 ? std::min(first_sent_t_ms, a.submitting_t_ms) : a.submitting_t_ms;
    c.ended_t_ms =
        a.phase == ledger::JobPhase::uncertain && a.finished_t_ms > 0 ? a.finished_t_ms : resume.now_ms;
    c.ended_t_ms = std::max(c.ended_t_ms, c.sent_t_ms);
    auto const skew = options.skew.count();
    auto const margin = options.margin.count();
    c.span = {floor_seconds(c.sent_t_ms + skew - margin), floor_seconds(c.ended_t_ms + skew + margin)};
    if (auto const d = options.durations.find(job); d != options.durations.end()) {
        c.duration = d->second;
    }
    auto const m = options.models.find(job);
    c.model = m != options.models.end() ? m->second : std::string(manifest::k_default_model);
    return c;
}

// An unknown model (a changed job's earlier request) or an unnamed one fits any.
bool model_fits(Claimant const& c, api::ListedTask const& t) {
    return c.model.empty() || t.model.empty() || t.model == c.model;
}

constexpr int k_none = -1;
constexpr std::size_t k_max_matchings = 64;
constexpr std::size_t k_max_steps = 200'000;

// The task-saturating, order-consistent matchings of one component: every task that some
// claimant of it could have made goes to exactly one such claimant, each claimant at most one
// task. Stops at k_max_matchings or k_max_steps (then `gave_up`).
class Matcher {
public:
    Matcher(std::vector<Claimant> const& claimants, std::vector<api::ListedTask const*> const& tasks,
            std::vector<std::size_t> const& cs, std::vector<std::size_t> const& ts,
            std::vector<std::vector<bool>> const& fits, std::chrono::milliseconds order_gap)
        : m_claimants(claimants), m_tasks(tasks), m_cs(cs), m_ts(ts), m_fits(fits), m_gap(order_gap.count()),
          m_owner(ts.size(), k_none), m_used(claimants.size(), false) {}

    void run() { place(0); }

    [[nodiscard]] bool gave_up() const noexcept { return m_gave_up; }
    // Each matching as claimant index -> task index (k_none: no task), over all claimants.
    [[nodiscard]] std::vector<std::vector<int>> const& matchings() const noexcept { return m_found; }

private:
    // Whether giving task `t` to claimant `c` agrees with the order of the pairs placed so far.
    bool in_order(std::size_t c, std::size_t t) const {
        for (std::size_t i = 0; i < m_ts.size(); ++i) {
            if (m_owner[i] == k_none) {
                continue;
            }
            auto const& oc = m_claimants[static_cast<std::size_t>(m_owner[i])];
            auto const ot = m_tasks[m_ts[i]]->created_at;
            auto const nt = m_tasks[t]->created_at;
            if (oc.sent_t_ms + m_gap <= m_claimants[c].sent_t_ms && ot > nt) {
                return false;
            }
            if (m_claimants[c].sent_t_ms + m_gap <= oc.sent_t_ms && nt > ot) {
                return false;
            }
        }
        return true;
    }

    void place(std::size_t i) {
        if (m_gave_up || ++m_steps > k_max_steps) {
            m_gave_up = true;
            return;
        }
        if (i == m_ts.size()) {
            std::vector<int> m(m_claimants.size(), k_none);
            for (std::size_t k = 0; k < m_ts.size(); ++k) {
                m[static_cast<std::size_t>(m_owner[k])] = static_cast<int>(m_ts[k]);
            }
            m_found.push_back(std::move(m));
            m_gave_up = m_found.size() > k_max_matchings;
            return;
        }
        for (std::size_t c : m_cs) {
            if (!m_used[c] && m_fits[c][m_ts[i]] && in_order(c, m_ts[i])) {
                m_used[c] = true;
                m_owner[i] = static_cast<int>(c);
                place(i + 1);
                m_owner[i] = k_none;
                m_used[c] = false;
            }
        }
    }

    std::vector<Claimant> const& m_claimants;
    std::vector<api::ListedTask const*> const& m_tasks;
    std::vector<std::size_t> const& m_cs; // the component's claimants
    std::vector<std::size_t> const& m_ts; // the component's tasks some claimant could have made
    std::vector<std::vector<bool>> const& m_fits;
    std::int64_t m_gap;
    std::vector<int> m_owner; // per m_ts position: the claimant placed, or k_none
    std::vector<bool> m_used;
    std::vector<std::vector<int>> m_found;
    std::size_t m_steps = 0;
    bool m_gave_up = false;
};

std::size_t find_root(std::vector<std::size_t>& parent, std::size_t i) {
    while (parent[i] != i) {
        parent[i] = parent[parent[i]];
        i = parent[i];
    }
    return i;
}

} // namespace

bool duration_fits(std::optional<std::chrono::milliseconds> probed, std::optional<double> listed,
                   std::chrono::milliseconds tolerance) {
    if (!probed || !listed || !std::isfinite(*listed)) {
        return true;
    }
    // Both as billed (6-20 s): whether the API lists the clip's own seconds or the billed ones,
    // the same clip fits.
    auto const clamp = [](double s) {
        return std::clamp(s, double{api::k_min_billed_seconds}, double{api::k_max_billed_seconds});
    };
    double const a = clamp(static_cast<double>(probed->count()) / 1000.0);
    double const b = clamp(*listed);
    return std::abs(a - b) <= static_cast<double>(tolerance.count()) / 1000.0;
}

std::string adoption_mismatch(Claimant const& c, AdoptionCandidate const& task, ReconcileOptions const& options) {
    if (!c.model.empty() && !task.model.empty() && task.model != c.model) {
        return fmt::format("the task is of model {}, the job's is {}", task.model, c.model);
    }
    if (!duration_fits(c.duration, task.duration, options.duration_tolerance)) {
        return fmt::format("the task's clip is {} s long, the job's source {:.1f} s (probed)", *task.duration,
                           static_cast<double>(c.duration->count()) / 1000.0);
    }
    if (!c.span.holds(task.created_at)) {
        return fmt::format("the task was made at {} s (server time), outside the seconds {}..{} in which the job's "
                           "create could have made it",
                           task.created_at, c.span.from, c.span.to);
    }
    return {};
}

std::size_t ReconcileScope::to_settle() const noexcept {
    return static_cast<std::size_t>(
        std::count_if(claimants.begin(), claimants.end(), [](Claimant const& c) { return c.settle; }));
}

std::string_view to_string(ReconcileVerdict verdict) noexcept {
    switch (verdict) {
    case ReconcileVerdict::unsent:
        return "unsent";
    case ReconcileVerdict::adopt:
        return "adopt";
    case ReconcileVerdict::ambiguous:
        return "ambiguous";
    case ReconcileVerdict::not_available:
        return "not_available";
    case ReconcileVerdict::unlisted:
        return "unlisted";
    }
    return "?";
}

ReconcileScope reconcile_scope(ledger::Replay const& replay, ResumeOptions const& resume,
                               ReconcileOptions const& options) {
    ReconcileScope scope;
    ResumeOptions rules = resume;
    rules.resubmit_all_uncertain = false;
    rules.resubmit_uncertain.clear();
    DiskSnapshot const no_files;
    for (ledger::JobHistory const& h : replay.jobs) {
        for (ledger::Attempt const& a : h.earlier) {
            if (!a.task.empty()) {
                scope.named.insert(a.task);
            } else if (at_risk_without_task(a)) {
                Claimant c = claimant_of(a, h.job, 0, resume, options);
                c.earlier = true;
                scope.claimants.push_back(std::move(c));
            }
        }
        if (!h.task.empty()) {
            scope.named.insert(h.task);
        } else if (at_risk_without_task(h)) {
            Claimant c = claimant_of(h, h.job, h.key_first_sent_t_ms, resume, options);
            // The resume rules' word, as `run` and `status` decide it (its own request: a changed
            // manifest entry does not change what its last create may have made).
            c.settle = decide_resume(&h, h.job, h.req, rules, no_files).action == ResumeAction::uncertain;
            scope.claimants.push_back(std::move(c));
        }
    }
    std::stable_sort(
        scope.claimants.begin(), scope.claimants.end(), [](Claimant const& a, Claimant const& b) {
            return std::tie(a.sent_t_ms, a.job, a.attempt) < std::tie(b.sent_t_ms, b.job, b.attempt);
        });
    for (Claimant const& c : scope.claimants) {
        if (c.settle) {
            scope.list_until = scope.list_until ? std::min(*scope.list_until, c.span.from) : c.span.from;
        }
    }
    return scope;
}

bool add_page(Listing& listing, api::TaskList const& page, std::optional<std::int64_t> list_until) {
    if (!list_until) {
        return true;
    }
    ++listing.pages;
    listing.tasks.insert(listing.tasks.end(), page.tasks.begin(), page.tasks.end());
    for (api::UnusableListedTask const& u : page.unusable) {
        // Usable items keep their order in page.tasks: those before u.index in `data` are newer.
        ListSpan within{std::numeric_limits<std::int64_t>::min(), std::numeric_limits<std::int64_t>::max()};
        std::size_t data_index = 0;
        for (api::ListedTask const& t : page.tasks) {
            while (std::any_of(page.unusable.begin(), page.unusable.end(),
                               [&](api::UnusableListedTask const& v) { return v.index == data_index; })) {
                ++data_index; // an unusable item's place in `data`
            }
            if (data_index < u.index) {
                within.to = t.created_at;
            } else {
                within.from = t.created_at;
                break;
            }
            ++data_index;
        }
        listing.unusable.push_back(within);
    }
    bool const older = std::any_of(page.tasks.begin(), page.tasks.end(),
                                   [&](api::ListedTask const& t) { return t.created_at < *list_until; });
    // The last page only when the server says so: an empty page, fewer items than the page size
    // it says it used, or `total` read. A page short of the size we asked for proves nothing by
    // itself (a server may cap pages below it without saying): the next page is read, and an
    // empty one ends it. Calling a page the last too early would call creates unsent.
    auto const read = static_cast<std::int64_t>(listing.tasks.size() + listing.unusable.size());
    bool const last = page.items() == 0 ||
                      (page.page_size && *page.page_size > 0 && page.items() < static_cast<std::size_t>(*page.page_size)) ||
                      (page.total && read >= *page.total);
    listing.reached_start = listing.reached_start || older || last;
    return listing.reached_start;
}

std::vector<ReconcileDecision> reconcile(ReconcileScope const& scope, Listing const& listing,
                                         ReconcileOptions const& options) {
    std::vector<Claimant> const& cl = scope.claimants;
    // Distinct items (a page may repeat one when tasks are made while paging), and the unknown ones.
    std::unordered_set<std::string_view> seen;
    std::vector<api::ListedTask const*> unknown;
    std::int64_t oldest = std::numeric_limits<std::int64_t>::max();
    for (api::ListedTask const& t : listing.tasks) {
        if (!seen.insert(t.id).second) {
            continue;
        }
        oldest = std::min(oldest, t.created_at);
        if (scope.named.count(t.id) == 0) {
            unknown.push_back(&t);
        }
    }
    // Without reaching past list_until, pages cover only what is newer than the oldest item
    // read: the next page may hold more of that same second.
    auto const covered = [&](Claimant const& c) { return listing.reached_start || c.span.from > oldest; };

    // in_span[c][t]: the task is of c's model and inside c's span; fits: and of c's clip's length.
    std::vector<std::vector<bool>> in_span(cl.size(), std::vector<bool>(unknown.size(), false));
    std::vector<std::vector<bool>> fits = in_span;
    // A task of another model in c's span: the list may spell a model otherwise than the
    // manifest, so it keeps c from being called unsent.
    std::vector<bool> other_model(cl.size(), false);
    for (std::size_t c = 0; c < cl.size(); ++c) {
        for (std::size_t t = 0; t < unknown.size(); ++t) {
            bool const in_time = cl[c].span.holds(unknown[t]->created_at);
            other_model[c] = other_model[c] || (in_time && !model_fits(cl[c], *unknown[t]));
            in_span[c][t] = in_time && model_fits(cl[c], *unknown[t]);
            fits[c][t] = in_span[c][t] &&
                         duration_fits(cl[c].duration, unknown[t]->duration, options.duration_tolerance);
        }
    }
    // Components: claimants and tasks joined by sharing a span (node c, or cl.size() + t).
    std::vector<std::size_t> parent(cl.size() + unknown.size());
    std::iota(parent.begin(), parent.end(), std::size_t{0});
    for (std::size_t c = 0; c < cl.size(); ++c) {
        for (std::size_t t = 0; t < unknown.size(); ++t) {
            if (in_span[c][t]) {
                parent[find_root(parent, c)] = find_root(parent, cl.size() + t);
            }
        }
    }

    std::vector<ReconcileDecision> decisions;
    std::vector<bool> decided(cl.size(), false);
    for (std::size_t c = 0; c < cl.size(); ++c) {
        if (!cl[c].settle) {
            continue;
        }
        ReconcileDecision d;
        d.job = cl[c].job;
        d.attempt = cl[c].attempt;
        d.span = cl[c].span;
        d.pages = listing.pages;
        d.items = seen.size();
        for (std::size_t t = 0; t < unknown.size(); ++t) {
            if (in_span[c][t]) {
                d.candidates.push_back(
                    {unknown[t]->id, unknown[t]->created_at, unknown[t]->duration, fits[c][t]});
            }
        }
        decisions.push_back(std::move(d));
    }
    if (!listing.available) {
        for (ReconcileDecision& d : decisions) {
            d.verdict = ReconcileVerdict::not_available;
            d.why = "the account's task list is not available here (404): nothing decided";
        }
        return decisions;
    }

    // Decide component by component; `decisions` follows the settle claimants' order.
    std::vector<std::size_t> decision_of(cl.size(), 0);
    for (std::size_t c = 0, k = 0; c < cl.size(); ++c) {
        if (cl[c].settle) {
            decision_of[c] = k++;
        }
    }
    for (std::size_t c0 = 0; c0 < cl.size(); ++c0) {
        if (!cl[c0].settle || decided[c0]) {
            continue;
        }
        std::size_t const root = find_root(parent, c0);
        std::vector<std::size_t> cs, ts;
        for (std::size_t c = 0; c < cl.size(); ++c) {
            if (find_root(parent, c) == root) {
                cs.push_back(c);
            }
        }
        std::vector<bool> foreign(unknown.size(), false); // in the component, no claimant's length
        for (std::size_t t = 0; t < unknown.size(); ++t) {
            if (find_root(parent, cl.size() + t) != root) {
                continue;
            }
            bool const someone = std::any_of(cs.begin(), cs.end(), [&](std::size_t c) { return fits[c][t]; });
            if (someone) {
                ts.push_back(t);
            } else {
                foreign[t] = true;
            }
        }
        bool const all_covered =
            std::all_of(cs.begin(), cs.end(), [&](std::size_t c) { return !cl[c].settle || covered(cl[c]); });
        Matcher matcher(cl, unknown, cs, ts, fits, options.order_gap);
        if (all_covered) {
            matcher.run();
        }
        auto const& found = matcher.matchings();
        for (std::size_t c : cs) {
            if (!cl[c].settle) {
                continue;
            }
            decided[c] = true;
            ReconcileDecision& d = decisions[decision_of[c]];
            if (!covered(cl[c])) {
                d.verdict = ReconcileVerdict::unlisted;
                d.why = "the list read stopped before this job's span: nothing decided";
                continue;
            }
            bool const unreadable =
                std::any_of(listing.unusable.begin(), listing.unusable.end(), [&](ListSpan const& u) {
                    return u.from <= cl[c].span.to && cl[c].span.from <= u.to;
                });
            if (d.candidates.empty() && unreadable) {
                d.verdict = ReconcileVerdict::ambiguous;
                d.why = "a listed task whose id no client can use may lie in its span: not called unsent";
                continue;
            }
            if (d.candidates.empty() && other_model[c]) {
                d.verdict = ReconcileVerdict::ambiguous;
                d.why = "no task of its model in its span, but one of another model (the list may name the "
                        "model otherwise): not called unsent";
                continue;
            }
            if (d.candidates.empty()) {
                d.verdict = ReconcileVerdict::unsent;
                d.why = "no task nobody names in its span: its create made no task";
                continue;
            }
            if (!all_covered) {
                d.verdict = ReconcileVerdict::ambiguous;
                d.why = "another job that may have made these tasks has a span the list read did not reach";
                continue;
            }
            if (matcher.gave_up()) {
                d.verdict = ReconcileVerdict::ambiguous;
                d.why = "too many ways to pair the span's jobs and tasks";
                continue;
            }
            if (found.empty()) {
                d.verdict = ReconcileVerdict::ambiguous;
                d.why = "more tasks nobody names in its span than its jobs can have made (another client's?)";
                continue;
            }
            int const first = found.front()[c];
            bool const same = std::all_of(found.begin(), found.end(),
                                          [&](std::vector<int> const& m) { return m[c] == first; });
            if (!same) {
                d.verdict = ReconcileVerdict::ambiguous;
                d.why = fmt::format(
                    "{} ways to pair the span's {} jobs with its {} tasks: neither creation order nor "
                    "durations tell them apart",
                    found.size(), cs.size(), ts.size());
                continue;
            }
            if (first != k_none) {
                d.verdict = ReconcileVerdict::adopt;
                d.task = unknown[static_cast<std::size_t>(first)]->id;
                d.why =
                    cs.size() == 1 && ts.size() == 1
                        ? std::string("the one task nobody names in its span")
                        : fmt::format(
                              "the only pairing of the span's {} jobs with its {} tasks by creation order "
                              "and durations",
                              cs.size(), ts.size());
                continue;
            }
            // Every pairing leaves it without a task: each candidate is another create's, unless
            // one is nobody's length at all (another client's, or a length misread): then stay.
            bool stray = false;
            for (std::size_t t = 0; t < unknown.size(); ++t) {
                stray = stray || (in_span[c][t] && foreign[t]);
            }
            if (stray || unreadable) {
                d.verdict = ReconcileVerdict::ambiguous;
                d.why = stray ? "a task in its span fits no job's clip length (another client's?), and no "
                                "task is its own"
                              : "no task is its own, but a listed task whose id no client can use may lie "
                                "in its span";
                continue;
            }
            d.verdict = ReconcileVerdict::unsent;
            d.why = "every task in its span is another job's by creation order and durations: its create "
                    "made none";
        }
    }
    return decisions;
}

std::unordered_map<std::string, std::chrono::milliseconds>
probed_durations(ledger::Replay const& replay, std::vector<manifest::Job> const& jobs) {
    std::unordered_map<std::string, std::chrono::milliseconds> out;
    for (manifest::Job const& job : jobs) {
        ledger::ProbeRecord const* p = replay.find_probe(job.video_url);
        if (p != nullptr && p->duration_ms) {
            out.emplace(job.id, std::chrono::milliseconds(*p->duration_ms));
        }
    }
    return out;
}

} // namespace evobatch::jobs
