// Reconcile's matching rules (jobs/reconcile.hpp) over recorded list pages: issue 18's cases.
#include "evobatch/jobs/reconcile.hpp"

#include "evobatch/ledger/replay.hpp"
#include "evobatch/manifest/manifest.hpp"

#include <boost/test/unit_test.hpp>

#include <fmt/format.h>

#include <limits>

using namespace evobatch;
using namespace evobatch::jobs;
using ledger::JobPhase;
using std::chrono::milliseconds;
using std::chrono::seconds;

BOOST_TEST_DONT_PRINT_LOG_VALUE(evobatch::jobs::ReconcileVerdict)

namespace {

constexpr std::int64_t k_now = 1'800'000'000'000;    // local ms
constexpr std::int64_t k_sent = k_now - 20 * 60'000; // 20 minutes ago: past a 15-minute window
constexpr std::int64_t k_sent_s = k_sent / 1000;     // the same, in seconds
constexpr std::int64_t k_gave_up = k_sent + 30'000;  // its `uncertain` event

ResumeOptions resume_options() {
    ResumeOptions o;
    o.idempotency_window = std::chrono::minutes(15);
    o.now_ms = k_now;
    return o;
}

ReconcileOptions options() {
    ReconcileOptions o;
    o.margin = seconds(10);
    return o;
}

// A job whose create got no answer at `sent` and that was given up on 30 s later.
ledger::JobHistory uncertain_job(std::string id, std::int64_t sent = k_sent,
                                 JobPhase phase = JobPhase::uncertain) {
    ledger::JobHistory h;
    h.job = std::move(id);
    h.req = "digest-" + h.job;
    h.phase = phase;
    h.key = "evb-key-" + h.job;
    h.submitting_t_ms = sent;
    h.key_first_sent_t_ms = sent;
    h.first_t_ms = sent;
    h.finished_t_ms = phase == JobPhase::uncertain ? sent + 30'000 : 0;
    return h;
}

ledger::JobHistory running_job(std::string id, std::string task) {
    ledger::JobHistory h = uncertain_job(std::move(id), k_sent, JobPhase::running);
    h.task = std::move(task);
    return h;
}

api::ListedTask listed(std::string id, std::int64_t created_at, std::optional<double> duration = std::nullopt,
                       std::string model = manifest::k_default_model) {
    api::ListedTask t;
    t.id = std::move(id);
    t.model = std::move(model);
    t.type = "video";
    t.status = api::TaskStatus::processing;
    t.created_at = created_at;
    t.duration = duration;
    return t;
}

ledger::Replay ledger_of(std::vector<ledger::JobHistory> jobs) {
    ledger::Replay r;
    for (auto& h : jobs) {
        r.index.emplace(h.job, r.jobs.size());
        r.jobs.push_back(std::move(h));
    }
    return r;
}

// One read that reached past the span's start (an older item, or the last page).
Listing pages(std::vector<api::ListedTask> tasks, std::size_t count = 1) {
    Listing l;
    l.tasks = std::move(tasks);
    l.pages = count;
    l.reached_start = true;
    return l;
}

std::vector<ReconcileDecision> decide(std::vector<ledger::JobHistory> jobs, Listing const& listing,
                                      ReconcileOptions const& o = options()) {
    auto const replay = ledger_of(std::move(jobs));
    return reconcile(reconcile_scope(replay, resume_options(), o), listing, o);
}

ReconcileDecision const& of(std::vector<ReconcileDecision> const& ds, std::string_view job) {
    auto const it =
        std::find_if(ds.begin(), ds.end(), [&](ReconcileDecision const& d) { return d.job == job; });
    BOOST_REQUIRE(it != ds.end());
    return *it;
}

} // namespace

BOOST_AUTO_TEST_SUITE(reconcile_rules)

// Which jobs are settled is resume's word: uncertain or an old `submitting`; a `submitting` whose key
// the server still knows is resent instead, but its span's tasks are its own to claim.
BOOST_AUTO_TEST_CASE(the_scope_is_what_resume_calls_uncertain) {
    auto invalid = uncertain_job("bad-id");
    invalid.task = "odd id"; // a task the run cannot follow: named, not reconciled
    auto const replay = ledger_of({uncertain_job("u"), uncertain_job("crashed", k_sent, JobPhase::submitting),
                                   uncertain_job("recent", k_now - 60'000, JobPhase::submitting), invalid,
                                   running_job("r", "task-unified-r")});
    auto const scope = reconcile_scope(replay, resume_options(), options());
    BOOST_TEST(scope.claimants.size() == 3U);
    BOOST_TEST(scope.to_settle() == 2U);
    for (Claimant const& c : scope.claimants) {
        BOOST_TEST(c.settle == (c.job != "recent"), c.job);
    }
    BOOST_TEST(scope.named.count("task-unified-r") == 1U);
    BOOST_TEST(scope.named.count("odd id") == 1U);
    // The earliest span start, margin and skew applied: where paging stops.
    BOOST_REQUIRE(scope.list_until.has_value());
    BOOST_TEST(*scope.list_until == k_sent_s - 10);
    // An uncertain job's span ends at its `uncertain` event; a crashed `submitting`'s at now.
    BOOST_TEST(scope.claimants[0].span.to - scope.claimants[0].span.from >= 30);
    auto const crashed = std::find_if(scope.claimants.begin(), scope.claimants.end(),
                                      [](Claimant const& c) { return c.job == "crashed"; });
    BOOST_TEST(crashed->span.to == k_now / 1000 + 10);
    // --resubmit-uncertain is a one-off selection: the job is still settled from the list first.
    auto forced = resume_options();
    forced.resubmit_all_uncertain = true;
    BOOST_TEST(reconcile_scope(replay, forced, options()).to_settle() == 2U);
    // Nothing to settle: nothing to list.
    BOOST_TEST(!reconcile_scope(ledger_of({running_job("r", "t")}), resume_options(), options()).list_until);
}

BOOST_AUTO_TEST_CASE(one_job_one_task_is_adopted_with_its_evidence) {
    auto const ds =
        decide({uncertain_job("a"), running_job("r", "task-unified-r")},
               pages({listed("task-unified-new", k_sent_s + 50), listed("task-unified-x", k_sent_s + 1),
                      listed("task-unified-r", k_sent_s), listed("task-unified-old", k_sent_s - 500)},
                     2));
    BOOST_REQUIRE(ds.size() == 1U);
    BOOST_TEST(ds[0].verdict == ReconcileVerdict::adopt);
    BOOST_TEST(ds[0].task == "task-unified-x");
    BOOST_TEST(ds[0].pages == 2U);
    BOOST_TEST(ds[0].items == 4U);
    BOOST_TEST(ds[0].span.from == k_sent_s - 10);
    BOOST_TEST(ds[0].span.to == k_gave_up / 1000 + 10);
    BOOST_REQUIRE(ds[0].candidates.size() == 1U);
    BOOST_TEST(ds[0].candidates[0].id == "task-unified-x");
    BOOST_TEST(ds[0].candidates[0].created_at == k_sent_s + 1);
}

BOOST_AUTO_TEST_CASE(an_empty_span_means_the_create_made_nothing) {
    // Tasks before and after the span, and one the ledger names inside it.
    auto const ds =
        decide({uncertain_job("a"), running_job("r", "task-unified-r")},
               pages({listed("task-unified-later", k_sent_s + 600), listed("task-unified-r", k_sent_s + 2),
                      listed("task-unified-before", k_sent_s - 60)}));
    BOOST_TEST(of(ds, "a").verdict == ReconcileVerdict::unsent);
    BOOST_TEST(of(ds, "a").candidates.empty());
    // No task at all (an empty last page).
    BOOST_TEST(decide({uncertain_job("a")}, pages({})).at(0).verdict == ReconcileVerdict::unsent);
}

BOOST_AUTO_TEST_CASE(a_task_of_another_model_is_not_a_candidate_but_keeps_the_job_from_unsent) {
    // Not adopted; but the list may name a model otherwise than the manifest (an alias), and
    // calling the create unsent would pay for it twice: it stays uncertain.
    auto const ds =
        decide({uncertain_job("a")}, pages({listed("task-unified-x", k_sent_s + 1, {}, "other-model")}));
    BOOST_TEST(ds.at(0).verdict == ReconcileVerdict::ambiguous);
    BOOST_TEST(ds.at(0).candidates.empty());
    // Outside its span, another model's task changes nothing.
    auto const later =
        decide({uncertain_job("a")}, pages({listed("task-unified-x", k_sent_s + 600, {}, "other-model")}));
    BOOST_TEST(later.at(0).verdict == ReconcileVerdict::unsent);
    // A job whose model is not known (a changed job's earlier request): any model's task fits.
    auto o = options();
    o.models = {{"a", ""}};
    auto const any =
        decide({uncertain_job("a")}, pages({listed("task-unified-x", k_sent_s + 1, {}, "other-model")}), o);
    BOOST_TEST(any.at(0).verdict == ReconcileVerdict::adopt);
    // A listed item without a model could be ours.
    auto const unnamed =
        decide({uncertain_job("a")}, pages({listed("task-unified-x", k_sent_s + 1, {}, "")}));
    BOOST_TEST(unnamed.at(0).verdict == ReconcileVerdict::adopt);
}

BOOST_AUTO_TEST_CASE(a_task_another_job_names_is_never_adopted) {
    // Named by another job's current attempt, or by an earlier attempt (of this job or another).
    auto a = uncertain_job("a");
    ledger::Attempt earlier;
    earlier.phase = JobPhase::failed;
    earlier.task = "task-unified-earlier";
    earlier.submitting_t_ms = k_sent - 5'000;
    a.earlier.push_back(earlier);
    auto const ds =
        decide({a, running_job("b", "task-unified-b")},
               pages({listed("task-unified-b", k_sent_s + 1), listed("task-unified-earlier", k_sent_s)}));
    BOOST_TEST(of(ds, "a").verdict == ReconcileVerdict::unsent);
    BOOST_TEST(of(ds, "a").task.empty());
    // And beside an unknown one, the named one is no candidate.
    auto const two =
        decide({uncertain_job("a"), running_job("b", "task-unified-b")},
               pages({listed("task-unified-b", k_sent_s + 1), listed("task-unified-x", k_sent_s + 1)}));
    BOOST_TEST(of(two, "a").verdict == ReconcileVerdict::adopt);
    BOOST_TEST(of(two, "a").task == "task-unified-x");
}

BOOST_AUTO_TEST_CASE(two_jobs_two_tasks_in_the_same_second_are_ambiguous) {
    auto const ds = decide({uncertain_job("a", k_sent), uncertain_job("b", k_sent + 300)},
                           pages({listed("task-unified-y", k_sent_s), listed("task-unified-x", k_sent_s)}));
    BOOST_REQUIRE(ds.size() == 2U);
    for (auto const& d : ds) {
        BOOST_TEST(d.verdict == ReconcileVerdict::ambiguous, d.job);
        BOOST_TEST(d.candidates.size() == 2U);
        BOOST_TEST(d.task.empty());
    }
}

BOOST_AUTO_TEST_CASE(two_jobs_two_tasks_are_told_apart_by_their_durations) {
    auto o = options();
    o.durations = {{"a", milliseconds(9'400)}, {"b", milliseconds(15'000)}};
    auto const ds =
        decide({uncertain_job("a", k_sent), uncertain_job("b", k_sent + 300)},
               pages({listed("task-unified-y", k_sent_s, 9.0), listed("task-unified-x", k_sent_s, 15.0)}), o);
    BOOST_TEST(of(ds, "a").verdict == ReconcileVerdict::adopt);
    BOOST_TEST(of(ds, "a").task == "task-unified-y");
    BOOST_TEST(of(ds, "b").verdict == ReconcileVerdict::adopt);
    BOOST_TEST(of(ds, "b").task == "task-unified-x");
    // The same durations on both sides tell nothing.
    o.durations = {{"a", milliseconds(9'000)}, {"b", milliseconds(9'000)}};
    auto const same =
        decide({uncertain_job("a", k_sent), uncertain_job("b", k_sent + 300)},
               pages({listed("task-unified-y", k_sent_s, 9.0), listed("task-unified-x", k_sent_s, 9.0)}), o);
    BOOST_TEST(of(same, "a").verdict == ReconcileVerdict::ambiguous);
    BOOST_TEST(of(same, "b").verdict == ReconcileVerdict::ambiguous);
    // Past the billed range a listed length may be the clip's or the billed one: both fit.
    o.durations = {{"a", milliseconds(25'000)}};
    auto const clamped = decide({uncertain_job("a")}, pages({listed("task-unified-x", k_sent_s, 20.0)}), o);
    BOOST_TEST(clamped.at(0).verdict == ReconcileVerdict::adopt);
}

BOOST_AUTO_TEST_CASE(two_jobs_two_tasks_are_told_apart_by_creation_order) {
    // Sent 3 s apart (more than order_gap): the earlier create made the earlier task.
    auto const ds =
        decide({uncertain_job("a", k_sent), uncertain_job("b", k_sent + 3'000)},
               pages({listed("task-unified-late", k_sent_s + 3), listed("task-unified-early", k_sent_s)}));
    BOOST_TEST(of(ds, "a").verdict == ReconcileVerdict::adopt);
    BOOST_TEST(of(ds, "a").task == "task-unified-early");
    BOOST_TEST(of(ds, "b").verdict == ReconcileVerdict::adopt);
    BOOST_TEST(of(ds, "b").task == "task-unified-late");
    // Sent closer than order_gap: either may have reached the server first.
    auto const close =
        decide({uncertain_job("a", k_sent), uncertain_job("b", k_sent + 1'000)},
               pages({listed("task-unified-late", k_sent_s + 1), listed("task-unified-early", k_sent_s)}));
    BOOST_TEST(of(close, "a").verdict == ReconcileVerdict::ambiguous);
    BOOST_TEST(of(close, "b").verdict == ReconcileVerdict::ambiguous);
}

BOOST_AUTO_TEST_CASE(two_jobs_one_task_is_ambiguous_unless_a_duration_names_its_job) {
    auto const ds = decide({uncertain_job("a", k_sent), uncertain_job("b", k_sent + 300)},
                           pages({listed("task-unified-x", k_sent_s, 9.0)}));
    BOOST_TEST(of(ds, "a").verdict == ReconcileVerdict::ambiguous);
    BOOST_TEST(of(ds, "b").verdict == ReconcileVerdict::ambiguous);
    auto o = options();
    o.durations = {{"a", milliseconds(9'000)}, {"b", milliseconds(15'000)}};
    auto const told = decide({uncertain_job("a", k_sent), uncertain_job("b", k_sent + 300)},
                             pages({listed("task-unified-x", k_sent_s, 9.0)}), o);
    BOOST_TEST(of(told, "a").verdict == ReconcileVerdict::adopt);
    BOOST_TEST(of(told, "a").task == "task-unified-x");
    BOOST_TEST(of(told, "b").verdict == ReconcileVerdict::unsent); // its span's one task is a's
    BOOST_TEST(of(told, "b").candidates.size() == 1U);
    BOOST_TEST(!of(told, "b").candidates[0].fits_length);
}

BOOST_AUTO_TEST_CASE(another_clients_task_in_the_span_is_ambiguous) {
    auto const ds =
        decide({uncertain_job("a")},
               pages({listed("task-unified-theirs", k_sent_s + 2), listed("task-unified-ours", k_sent_s)}));
    BOOST_TEST(ds.at(0).verdict == ReconcileVerdict::ambiguous);
    BOOST_TEST(ds.at(0).candidates.size() == 2U);
    BOOST_TEST(ds.at(0).candidates[0].id == "task-unified-theirs"); // newest first, as listed
    // Another client's task alone: it is not ours by its length, but ours is not there either.
    auto o = options();
    o.durations = {{"a", milliseconds(9'000)}};
    auto const theirs_only =
        decide({uncertain_job("a")}, pages({listed("task-unified-theirs", k_sent_s, 15.0)}), o);
    BOOST_TEST(theirs_only.at(0).verdict == ReconcileVerdict::ambiguous);
}

BOOST_AUTO_TEST_CASE(another_clients_task_is_set_apart_by_its_duration) {
    auto o = options();
    o.durations = {{"a", milliseconds(9'000)}};
    auto const ds = decide({uncertain_job("a")},
                           pages({listed("task-unified-theirs", k_sent_s + 2, 15.0),
                                  listed("task-unified-ours", k_sent_s, 9.0)}),
                           o);
    BOOST_TEST(ds.at(0).verdict == ReconcileVerdict::adopt);
    BOOST_TEST(ds.at(0).task == "task-unified-ours");
    // A listed item without a duration could be either.
    auto const unknown_length = decide(
        {uncertain_job("a")},
        pages({listed("task-unified-theirs", k_sent_s + 2), listed("task-unified-ours", k_sent_s, 9.0)}), o);
    BOOST_TEST(unknown_length.at(0).verdict == ReconcileVerdict::ambiguous);
}

BOOST_AUTO_TEST_CASE(skewed_clocks_still_find_the_task) {
    for (int const skew_s : {90, -90}) {
        auto o = options();
        o.skew = seconds(skew_s);
        // The server wrote its own clock's second; a task of ours made then, and one at our clock's.
        auto const ds =
            decide({uncertain_job("a")}, pages({listed("task-unified-x", k_sent_s + skew_s + 1)}), o);
        BOOST_TEST(ds.at(0).verdict == ReconcileVerdict::adopt, skew_s);
        BOOST_TEST(ds.at(0).span.from == k_sent_s + skew_s - 10);
        auto const scope = reconcile_scope(ledger_of({uncertain_job("a")}), resume_options(), o);
        BOOST_TEST(*scope.list_until == k_sent_s + skew_s - 10);
        // Without the skew the task is outside the span: the job would be called unsent.
        auto const unskewed =
            decide({uncertain_job("a")}, pages({listed("task-unified-x", k_sent_s + skew_s + 1)}));
        BOOST_TEST(unskewed.at(0).verdict == ReconcileVerdict::unsent, skew_s);
    }
}

BOOST_AUTO_TEST_CASE(a_missing_list_endpoint_decides_nothing) {
    Listing missing;
    missing.available = false;
    auto const ds = decide({uncertain_job("a"), uncertain_job("b", k_sent + 5'000)}, missing);
    BOOST_REQUIRE(ds.size() == 2U);
    for (auto const& d : ds) {
        BOOST_TEST(d.verdict == ReconcileVerdict::not_available);
        BOOST_TEST(d.task.empty());
    }
}

BOOST_AUTO_TEST_CASE(paging_stops_past_the_earliest_span_and_a_short_read_decides_only_what_it_covers) {
    auto const early = uncertain_job("early", k_sent - 3'600'000); // an hour earlier
    auto const late = uncertain_job("late", k_sent);
    auto const scope = reconcile_scope(ledger_of({late, early}), resume_options(), options());
    BOOST_REQUIRE(scope.list_until.has_value());
    BOOST_TEST(*scope.list_until == (k_sent - 3'600'000) / 1000 - 10);
    BOOST_TEST(scope.claimants.front().job == "early"); // in send order
    // The read stopped (its cap) after a page reaching 100 s before `late`'s send.
    Listing cut;
    cut.tasks = {listed("task-unified-x", k_sent_s + 1), listed("task-unified-y", k_sent_s - 100)};
    cut.pages = 1;
    cut.reached_start = false;
    auto const ds = reconcile(scope, cut, options());
    BOOST_TEST(of(ds, "late").verdict == ReconcileVerdict::adopt);
    BOOST_TEST(of(ds, "early").verdict == ReconcileVerdict::unlisted);
    // A span that starts in the oldest item's second is not covered: the next page may hold more of it.
    Listing edge;
    edge.tasks = {listed("task-unified-x", k_sent_s - 10)};
    edge.pages = 1;
    auto const at_edge = reconcile(scope, edge, options());
    BOOST_TEST(of(at_edge, "late").verdict == ReconcileVerdict::unlisted);
    // Read to the end: both decided.
    cut.reached_start = true;
    auto const all = reconcile(scope, cut, options());
    BOOST_TEST(of(all, "late").verdict == ReconcileVerdict::adopt);
    BOOST_TEST(of(all, "early").verdict == ReconcileVerdict::unsent);
}

BOOST_AUTO_TEST_CASE(paging_stops_at_the_first_item_older_than_the_span_or_the_last_page) {
    auto const until =
        reconcile_scope(ledger_of({uncertain_job("a")}), resume_options(), options()).list_until;
    BOOST_REQUIRE(until.has_value());
    auto const page_of = [](std::vector<api::ListedTask> tasks,
                            std::optional<std::int64_t> total = std::nullopt) {
        api::TaskList p;
        p.tasks = std::move(tasks);
        p.total = total;
        return p;
    };
    Listing l;
    // Full pages newer than the span, or reaching exactly its first second: read on.
    BOOST_TEST(!add_page(
        l, page_of({listed("task-unified-1", k_now / 1000), listed("task-unified-2", k_sent_s + 60)}), until));
    BOOST_TEST(!add_page(
        l, page_of({listed("task-unified-3", k_sent_s + 1), listed("task-unified-4", *until)}), until));
    BOOST_TEST(!l.reached_start);
    // One item older than the span: stop.
    BOOST_TEST(add_page(l, page_of({listed("task-unified-5", *until), listed("task-unified-6", *until - 1)}), until));
    BOOST_TEST(l.reached_start);
    BOOST_TEST(l.pages == 3U);
    BOOST_TEST(l.tasks.size() == 6U);
    auto const ds = reconcile(reconcile_scope(ledger_of({uncertain_job("a")}), resume_options(), options()),
                              l, options());
    BOOST_TEST(ds.at(0).candidates.size() == 3U); // 3, 4 and 5: the span's first second is in it
    BOOST_TEST(ds.at(0).pages == 3U);
    // The last page as the server tells it: fewer items than the page size it says it used,
    // `total` read, or an empty page. A page short of what was asked proves nothing alone: a
    // server may cap its pages without saying, and calling it the last would call creates unsent.
    Listing shortl;
    BOOST_TEST(!add_page(shortl, page_of({listed("task-unified-1", k_now / 1000)}), until));
    BOOST_TEST(!shortl.reached_start);
    BOOST_TEST(add_page(shortl, page_of({}), until)); // the next page is empty: the end
    BOOST_TEST(shortl.reached_start);
    Listing capped; // the server says it serves 20 a page: 20 is not the last, 19 is
    api::TaskList twenty = page_of({});
    twenty.page_size = 20;
    for (int i = 0; i < 20; ++i) {
        twenty.tasks.push_back(listed(fmt::format("task-unified-c{}", i), k_now / 1000));
    }
    BOOST_TEST(!add_page(capped, twenty, until));
    twenty.tasks.pop_back();
    BOOST_TEST(add_page(capped, twenty, until));
    Listing counted;
    BOOST_TEST(add_page(
        counted, page_of({listed("task-unified-1", k_now / 1000), listed("task-unified-2", k_now / 1000)}, 2), until));
    // Nothing to settle: no page at all.
    Listing none;
    BOOST_TEST(add_page(none, page_of({}), std::nullopt));
    BOOST_TEST(none.pages == 0U);
}

BOOST_AUTO_TEST_CASE(a_job_whose_span_was_not_read_keeps_shared_tasks_ambiguous) {
    // `a`'s span is read; `b`'s starts earlier than what was read, and overlaps `a`'s.
    auto const scope =
        reconcile_scope(ledger_of({uncertain_job("a", k_sent), uncertain_job("b", k_sent - 15'000)}),
                        resume_options(), options());
    Listing cut;
    cut.tasks = {listed("task-unified-x", k_sent_s + 1), listed("task-unified-y", k_sent_s - 12)};
    cut.pages = 1;
    auto const ds = reconcile(scope, cut, options());
    BOOST_TEST(of(ds, "b").verdict == ReconcileVerdict::unlisted);
    BOOST_TEST(of(ds, "a").verdict == ReconcileVerdict::ambiguous);
}

BOOST_AUTO_TEST_CASE(a_task_a_still_trusted_key_may_have_made_is_not_adopted) {
    // `recent` is resent under its key (the server returns its task): its span's task may be its own.
    auto const ds = decide({uncertain_job("a", k_sent, JobPhase::submitting),
                            uncertain_job("recent", k_now - 60'000, JobPhase::submitting)},
                           pages({listed("task-unified-x", k_now / 1000 - 59)}));
    BOOST_REQUIRE(ds.size() == 1U);
    BOOST_TEST(ds[0].job == "a");
    BOOST_TEST(ds[0].verdict == ReconcileVerdict::ambiguous); // a crashed submitting's span runs to now
}

BOOST_AUTO_TEST_CASE(an_earlier_attempt_at_risk_claims_its_span_too) {
    // --resubmit-uncertain sent the key again as attempt 2; attempt 1's create may have made a task.
    auto a = uncertain_job("a", k_sent);
    a.attempt = 2;
    ledger::Attempt first;
    first.phase = JobPhase::uncertain;
    first.attempt = 1;
    first.submitting_t_ms = k_sent - 20'000;
    first.finished_t_ms = k_sent - 5'000;
    a.earlier.push_back(first);
    auto const ds = decide({a}, pages({listed("task-unified-x", k_sent_s - 3)}));
    BOOST_REQUIRE(ds.size() == 1U);
    BOOST_TEST(ds[0].attempt == 2);
    BOOST_TEST(ds[0].verdict == ReconcileVerdict::ambiguous);
}

BOOST_AUTO_TEST_CASE(too_many_pairings_are_ambiguous_without_enumerating_them_all) {
    // Eight creates and eight tasks in one second: 8! pairings, the search stops early.
    std::vector<ledger::JobHistory> jobs;
    std::vector<api::ListedTask> tasks;
    for (int i = 0; i < 8; ++i) {
        jobs.push_back(uncertain_job(fmt::format("j{}", i), k_sent + i * 100));
        tasks.push_back(listed(fmt::format("task-unified-{}", i), k_sent_s));
    }
    auto const ds = decide(std::move(jobs), pages(std::move(tasks)));
    BOOST_REQUIRE(ds.size() == 8U);
    for (auto const& d : ds) {
        BOOST_TEST(d.verdict == ReconcileVerdict::ambiguous, d.job);
        BOOST_TEST(d.candidates.size() == 8U);
        BOOST_TEST(d.why.find("too many") != std::string::npos, d.why);
    }
}

BOOST_AUTO_TEST_CASE(a_listed_task_with_an_unusable_id_in_the_span_keeps_a_job_from_unsent) {
    auto const scope = reconcile_scope(ledger_of({uncertain_job("a")}), resume_options(), options());
    auto const page_with_unusable_at = [](std::size_t index) {
        api::TaskList p; // data: [newer, <unusable at index>, older] around the span
        p.tasks = {listed("task-unified-newer", k_sent_s + 500),
                   listed("task-unified-older", k_sent_s - 500)};
        p.unusable.push_back({index, "../odd", "is a path segment"});
        return p;
    };
    // Between a newer and an older item: it may lie in the span.
    Listing between;
    BOOST_TEST(add_page(between, page_with_unusable_at(1), scope.list_until));
    BOOST_REQUIRE(between.unusable.size() == 1U);
    BOOST_TEST(between.unusable[0].from == k_sent_s - 500);
    BOOST_TEST(between.unusable[0].to == k_sent_s + 500);
    auto const ds = reconcile(scope, between, options());
    BOOST_TEST(ds.at(0).verdict == ReconcileVerdict::ambiguous);
    BOOST_TEST(ds.at(0).candidates.empty());
    // Newest of the page, above an item newer than the span: not in it.
    Listing first;
    add_page(first, page_with_unusable_at(0), scope.list_until);
    BOOST_TEST(first.unusable.at(0).from == k_sent_s + 500);
    BOOST_TEST(reconcile(scope, first, options()).at(0).verdict == ReconcileVerdict::unsent);
    // Oldest of the page, below an item older than the span (open further down): not in it.
    Listing last;
    add_page(last, page_with_unusable_at(2), scope.list_until);
    BOOST_TEST(last.unusable.at(0).to == k_sent_s - 500);
    BOOST_TEST(last.unusable.at(0).from == std::numeric_limits<std::int64_t>::min());
    BOOST_TEST(reconcile(scope, last, options()).at(0).verdict == ReconcileVerdict::unsent);
}

BOOST_AUTO_TEST_CASE(an_item_repeated_on_the_next_page_counts_once) {
    auto const ds =
        decide({uncertain_job("a")},
               pages({listed("task-unified-x", k_sent_s + 1), listed("task-unified-x", k_sent_s + 1)}, 2));
    BOOST_TEST(ds.at(0).verdict == ReconcileVerdict::adopt);
    BOOST_TEST(ds.at(0).items == 1U);
    BOOST_TEST(ds.at(0).candidates.size() == 1U);
}

BOOST_AUTO_TEST_CASE(durations_come_from_the_ledgers_probes_of_each_video) {
    ledger::Replay replay;
    ledger::ProbeRecord p;
    p.url = "https://media.example/a.mp4";
    p.duration_ms = 9'400;
    replay.probes.push_back(p);
    replay.probe_index.emplace(p.url, 0);
    manifest::Job a;
    a.id = "a";
    a.video_url = p.url;
    manifest::Job b;
    b.id = "b";
    b.video_url = "https://media.example/unprobed.mp4";
    auto const d = probed_durations(replay, {a, b});
    BOOST_TEST(d.size() == 1U);
    BOOST_TEST(d.at("a").count() == 9'400);
}

BOOST_AUTO_TEST_CASE(lengths_fit_as_billed_within_the_tolerance) {
    milliseconds const tolerance(1'000);
    BOOST_TEST(duration_fits(milliseconds(9'000), 9.0, tolerance));
    BOOST_TEST(duration_fits(milliseconds(9'400), 10.0, tolerance));
    BOOST_TEST(!duration_fits(milliseconds(9'000), 10.5, tolerance));
    // Both clamped to 6-20 s: a 4 s clip is billed as 6, a 25 s one as 20.
    BOOST_TEST(duration_fits(milliseconds(4'000), 6.0, tolerance));
    BOOST_TEST(duration_fits(milliseconds(25'000), 20.0, tolerance));
    BOOST_TEST(!duration_fits(milliseconds(4'000), 8.0, tolerance));
    // Unknown on either side, or a length that is no number: it fits.
    BOOST_TEST(duration_fits(std::nullopt, 14.0, tolerance));
    BOOST_TEST(duration_fits(milliseconds(9'000), std::nullopt, tolerance));
    BOOST_TEST(duration_fits(milliseconds(9'000), std::numeric_limits<double>::quiet_NaN(), tolerance));
}

// `run --adopt JOB=TASK`: the task a person names is held to the rules the list's matching uses.
BOOST_AUTO_TEST_CASE(a_task_named_for_adoption_must_fit_the_jobs_model_length_and_span) {
    auto o = options();
    o.durations = {{"a", milliseconds(9'000)}};
    o.models = {{"b", ""}}; // a changed job: any model
    auto const scope = reconcile_scope(ledger_of({uncertain_job("a"), uncertain_job("b")}), resume_options(), o);
    BOOST_TEST_REQUIRE(scope.claimants.size() == 2U);
    Claimant const& a = scope.claimants[0].job == "a" ? scope.claimants[0] : scope.claimants[1];
    Claimant const& b = scope.claimants[0].job == "b" ? scope.claimants[0] : scope.claimants[1];
    std::string const model(manifest::k_default_model);

    BOOST_TEST(adoption_mismatch(a, {model, k_sent_s + 1, 9.0}, o).empty());
    BOOST_TEST(adoption_mismatch(a, {"", k_sent_s + 1, std::nullopt}, o).empty()); // nothing to hold it to
    auto const other_model = adoption_mismatch(a, {"kling-v2-master", k_sent_s + 1, 9.0}, o);
    BOOST_TEST(other_model.find("of model kling-v2-master") != std::string::npos, other_model);
    auto const other_length = adoption_mismatch(a, {model, k_sent_s + 1, 15.0}, o);
    BOOST_TEST(other_length.find("clip is 15 s long, the job's source 9.0 s") != std::string::npos, other_length);
    // The span: 10 s either side of the create's send and its `uncertain` 30 s later.
    BOOST_TEST(adoption_mismatch(a, {model, k_sent_s - 10, 9.0}, o).empty());
    BOOST_TEST(adoption_mismatch(a, {model, k_sent_s + 40, 9.0}, o).empty());
    auto const before = adoption_mismatch(a, {model, k_sent_s - 11, 9.0}, o);
    BOOST_TEST(before.find("outside the seconds") != std::string::npos, before);
    BOOST_TEST(!adoption_mismatch(a, {model, k_sent_s + 41, 9.0}, o).empty());
    // No probe and any model: only the span holds it.
    BOOST_TEST(adoption_mismatch(b, {"kling-v2-master", k_sent_s, 15.0}, o).empty());
    BOOST_TEST(!adoption_mismatch(b, {"kling-v2-master", k_sent_s - 3600, 15.0}, o).empty());
}

BOOST_AUTO_TEST_CASE(verdicts_have_names) {
    BOOST_TEST(to_string(ReconcileVerdict::unsent) == "unsent");
    BOOST_TEST(to_string(ReconcileVerdict::adopt) == "adopt");
    BOOST_TEST(to_string(ReconcileVerdict::ambiguous) == "ambiguous");
    BOOST_TEST(to_string(ReconcileVerdict::not_available) == "not_available");
    BOOST_TEST(to_string(ReconcileVerdict::unlisted) == "unlisted");
}

BOOST_AUTO_TEST_SUITE_END()
