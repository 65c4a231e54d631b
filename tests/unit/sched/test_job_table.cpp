// JobTable's whole table of moves, with no I/O: every pair of states, the moves it lists with
// what each does to the counters, the queue and the credit budget (for a job whose probe
// predicted its cost and for one reserved at the most a task costs), and every other pair
// refused with nothing changed; the ceiling at each job's own cost; the queue's order (the manifest's,
// resends first, retries first) and jobs the manifest no longer has.

#include "sched/detail/job_table.hpp"

#include "evobatch/api/pricing.hpp"

#include <boost/test/unit_test.hpp>

#include <array>
#include <optional>
#include <ostream>
#include <stdexcept>
#include <string>

using namespace evobatch::sched::detail;

namespace evobatch::sched::detail {
std::ostream& operator<<(std::ostream& os, JobState s) {
    return os << name_of(s);
}
} // namespace evobatch::sched::detail

namespace {

constexpr std::int64_t k_worst = evobatch::api::k_max_credits_per_task;
constexpr std::int64_t k_charged = 5;   // what the server reserved for a running job's task
constexpr std::int64_t k_carried = 100; // the ledger's tasks, the running job's among them
constexpr std::int64_t k_ceiling = 1000;
constexpr std::int64_t k_predicted = 7; // a probed job's exact cost

constexpr std::array k_states = {JobState::queued,      JobState::submitting, JobState::running,
                                 JobState::completed,   JobState::failed,     JobState::uncertain,
                                 JobState::unsubmitted, JobState::held,       JobState::rejected};

// A table of three jobs: one queued before and one after the job under test, which is in `s`.
struct Fixture {
    JobTable table{k_ceiling, k_carried};

    explicit Fixture(JobState s, bool removed = false, std::optional<std::int64_t> predicted = std::nullopt) {
        table.add(JobRecord{}, JobState::queued);
        JobRecord r;
        r.removed = removed;
        r.predicted_credits = predicted;
        r.credits = s == JobState::running ? k_charged : 0;
        table.add(std::move(r), s == JobState::submitting ? JobState::queued : s);
        table.add(JobRecord{}, JobState::queued);
        if (s == JobState::submitting) {
            table.set_state(table[1], JobState::submitting);
        }
    }
    JobRecord& job() { return table[1]; }
};

struct Counts {
    std::size_t in_flight, submitting, queue;
    std::int64_t committed;
    std::array<std::size_t, k_job_states> by_state;
};

Counts counts_of(JobTable const& t) {
    Counts c{t.in_flight(), t.submitting(), t.queue().size(), t.budget().committed(), {}};
    for (JobState s : k_states) {
        c.by_state[static_cast<std::size_t>(s)] = t.count(s);
    }
    return c;
}

// What a listed move changes: in flight, submitting, the queue's length, credits committed.
struct Effect {
    int in_flight, submitting, queue;
    std::int64_t credits;
};

// `cost`: what the job reserves on submitting (its probe's prediction, else the worst case). A
// task that may exist counts at the worst case, whatever was predicted.
std::optional<Effect> listed(JobState from, JobState to, Reservation on_unsent, std::int64_t cost) {
    using S = JobState;
    bool const keep = on_unsent == Reservation::keep;
    if (from == S::queued && to == S::submitting)
        return Effect{+1, +1, -1, +cost};
    if (from == S::queued && (to == S::unsubmitted || to == S::rejected))
        return Effect{0, 0, -1, 0};
    if (from == S::submitting && to == S::running)
        return Effect{0, -1, 0, k_charged - cost};
    if (from == S::submitting && to == S::uncertain)
        return Effect{-1, -1, 0, k_worst - cost};
    if (from == S::submitting && to == S::failed)
        return Effect{-1, -1, 0, -cost};
    if (from == S::submitting && to == S::unsubmitted)
        return Effect{-1, -1, 0, keep ? k_worst - cost : -cost};
    if (from == S::running && (to == S::completed || to == S::held))
        return Effect{-1, 0, 0, 0};
    if (from == S::running && to == S::failed)
        return Effect{-1, 0, 0, -k_charged};
    if (from == S::running && to == S::queued)
        return Effect{-1, 0, +1, -k_charged};
    if (from == S::running && to == S::uncertain)
        return Effect{-1, 0, 0, k_worst - k_charged};
    return std::nullopt;
}

} // namespace

BOOST_AUTO_TEST_SUITE(job_table)

BOOST_AUTO_TEST_CASE(every_pair_of_states_moves_as_the_table_lists_or_is_refused) {
    int moves = 0;
    for (std::optional<std::int64_t> predicted :
         {std::optional<std::int64_t>(), std::optional(k_predicted)}) {
        for (JobState from : k_states) {
            for (JobState to : k_states) {
                for (Reservation on_unsent : {Reservation::release, Reservation::keep}) {
                    BOOST_TEST_CONTEXT(name_of(from) << " -> " << name_of(to)
                                                     << (on_unsent == Reservation::keep ? " (keep)" : "")
                                                     << (predicted ? " (predicted)" : "")) {
                        Fixture f(from, false, predicted);
                        // The submitting job's reservation happened in the fixture.
                        Counts const before = counts_of(f.table);
                        auto const effect = listed(from, to, on_unsent, predicted.value_or(k_worst));
                        if (!effect) {
                            BOOST_CHECK_THROW(f.table.set_state(f.job(), to, on_unsent), std::logic_error);
                            Counts const after = counts_of(f.table);
                            BOOST_TEST(f.job().state() == from);
                            BOOST_TEST(after.committed == before.committed);
                            BOOST_TEST(after.in_flight == before.in_flight);
                            BOOST_TEST(after.queue == before.queue);
                            BOOST_TEST(after.by_state == before.by_state);
                            continue;
                        }
                        ++moves;
                        if (to == JobState::running) {
                            f.job().credits = k_charged; // the create's answer, as the submitter sets it
                        }
                        f.table.set_state(f.job(), to, on_unsent);
                        Counts const after = counts_of(f.table);
                        BOOST_TEST(f.job().state() == to);
                        BOOST_TEST(static_cast<int>(after.in_flight) - static_cast<int>(before.in_flight) ==
                                   effect->in_flight);
                        BOOST_TEST(static_cast<int>(after.submitting) - static_cast<int>(before.submitting) ==
                                   effect->submitting);
                        BOOST_TEST(static_cast<int>(after.queue) - static_cast<int>(before.queue) ==
                                   effect->queue);
                        BOOST_TEST(after.committed - before.committed == effect->credits);
                        BOOST_TEST(after.by_state[static_cast<std::size_t>(from)] ==
                                   before.by_state[static_cast<std::size_t>(from)] - 1);
                        BOOST_TEST(after.by_state[static_cast<std::size_t>(to)] ==
                                   before.by_state[static_cast<std::size_t>(to)] + 1);
                        BOOST_TEST(after.in_flight ==
                                   after.by_state[static_cast<std::size_t>(JobState::submitting)] +
                                       after.by_state[static_cast<std::size_t>(JobState::running)]);
                    }
                }
            }
        }
    }
    BOOST_TEST(moves == 2 * 2 * 12); // the 12 moves listed, with either reservation asked, predicted or not
}

BOOST_AUTO_TEST_CASE(the_queue_keeps_the_manifest_order_resends_first_retries_first) {
    JobTable t(k_ceiling, 0);
    for (int i = 0; i < 4; ++i) {
        JobRecord r;
        r.resend_key = i == 2 ? "key-of-2" : "";
        t.add(std::move(r), JobState::queued);
    }
    t.resends_first();
    BOOST_TEST((std::vector<std::size_t>(t.queue().begin(), t.queue().end()) ==
                std::vector<std::size_t>{2, 0, 1, 3}));
    t.set_state(t[2], JobState::submitting); // its turn: the front goes
    t.set_state(t[2], JobState::running);
    t.set_state(t[1], JobState::submitting); // out of turn: taken from the middle
    BOOST_TEST(
        (std::vector<std::size_t>(t.queue().begin(), t.queue().end()) == std::vector<std::size_t>{0, 3}));
    t.set_state(t[2], JobState::queued); // a retry goes first
    BOOST_TEST(
        (std::vector<std::size_t>(t.queue().begin(), t.queue().end()) == std::vector<std::size_t>{2, 0, 3}));
}

BOOST_AUTO_TEST_CASE(jobs_no_longer_in_the_manifest_are_in_flight_but_not_counted) {
    for (JobState s : k_states) {
        BOOST_TEST_CONTEXT(name_of(s)) {
            Fixture f(s, true);
            BOOST_TEST(f.table.removed() == 1u);
            BOOST_TEST(f.table.count(s) == (s == JobState::queued ? 2u : 0u));
            bool const flying = s == JobState::submitting || s == JobState::running;
            BOOST_TEST(f.table.in_flight() == (flying ? 1u : 0u));
        }
    }
    Fixture f(JobState::running, true);
    f.table.set_state(f.job(), JobState::completed);
    BOOST_TEST(f.table.count(JobState::completed) == 0u);
    BOOST_TEST(f.table.in_flight() == 0u);
}

BOOST_AUTO_TEST_CASE(nothing_starts_submitting_past_the_ceiling) {
    JobTable t(k_worst * 2 - 1, 0);
    t.add(JobRecord{}, JobState::queued);
    t.add(JobRecord{}, JobState::queued);
    BOOST_TEST(t.could_submit(t[0]));
    t.set_state(t[0], JobState::submitting);
    BOOST_TEST(!t.could_submit(t[1]));
    BOOST_CHECK_THROW(t.set_state(t[1], JobState::submitting), std::logic_error);
    BOOST_TEST(t[1].state() == JobState::queued);
    BOOST_TEST(t.budget().committed() == k_worst);
    t[0].credits = 3; // the server reserved less than the worst case: room again
    t.set_state(t[0], JobState::running);
    BOOST_TEST(t.could_submit(t[1]));
}

BOOST_AUTO_TEST_CASE(a_ceiling_admits_every_job_it_can_pay_at_its_predicted_cost) {
    // 20 credits: at the worst case one job fits; at their probed costs of 5, four do.
    JobTable t(20, 0);
    for (int i = 0; i < 5; ++i) {
        JobRecord r;
        r.predicted_credits = 5;
        t.add(std::move(r), JobState::queued);
    }
    for (std::size_t i = 0; i < 4; ++i) {
        BOOST_TEST(t.could_submit(t[i]));
        t.set_state(t[i], JobState::submitting);
        BOOST_TEST(t[i].reservation == 5);
    }
    BOOST_TEST(t.budget().committed() == 20);
    BOOST_TEST(!t.could_submit(t[4]));
    JobRecord unprobed; // no prediction: the most a task costs
    BOOST_TEST(unprobed.cost_to_reserve() == k_worst);
}

BOOST_AUTO_TEST_CASE(a_carried_ceiling_overrun_admits_nothing) {
    JobTable t(10, 50); // the ledger's tasks hold more than the ceiling
    t.add(JobRecord{}, JobState::queued);
    BOOST_TEST(!t.could_submit(t[0]));
    BOOST_TEST(t.budget().committed() == 50);
}

BOOST_AUTO_TEST_CASE(no_job_enters_a_run_submitting) {
    JobTable t(k_ceiling, 0);
    BOOST_CHECK_THROW(t.add(JobRecord{}, JobState::submitting), std::logic_error);
    BOOST_TEST(t.size() == 0u);
}

BOOST_AUTO_TEST_SUITE_END()
