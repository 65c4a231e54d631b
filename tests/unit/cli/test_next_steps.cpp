// The `Next:` lines of a run's summary: commands that work pasted as printed, and only the
// ones that apply (cli/next_steps.hpp).

#include "cli/next_steps.hpp"

#include <boost/test/unit_test.hpp>

#include <algorithm>

using namespace evobatch::cli;

namespace {

std::vector<std::string> const k_typed = {"build/evobatch", "run", "--max-credits=500", "jobs/my batch.yaml",
                                          "--quiet"};

bool any_has(std::vector<std::string> const& lines, std::string const& text) {
    return std::any_of(lines.begin(), lines.end(), [&](std::string const& l) { return l.find(text) != std::string::npos; });
}

} // namespace

BOOST_AUTO_TEST_SUITE(next_steps_lines)

BOOST_AUTO_TEST_CASE(arguments_are_quoted_for_a_posix_shell) {
    BOOST_TEST(shell_quote("jobs/demo.yaml") == "jobs/demo.yaml");
    BOOST_TEST(shell_quote("--max-credits=9") == "--max-credits=9");
    BOOST_TEST(shell_quote("my batch.yaml") == "'my batch.yaml'");
    BOOST_TEST(shell_quote("it's") == "'it'\\''s'");
    BOOST_TEST(shell_quote("$HOME") == "'$HOME'");
    BOOST_TEST(shell_quote("") == "''");
}

BOOST_AUTO_TEST_CASE(the_adopt_command_names_the_batch_as_typed) {
    BOOST_TEST(adopt_command("./build/evobatch", "jobs/demo.yaml", "", "clip-1") ==
               "./build/evobatch run jobs/demo.yaml --adopt clip-1=TASK");
    BOOST_TEST(adopt_command("evobatch", "my batch.yaml", "l 2.jsonl", "it's") ==
               "evobatch run 'my batch.yaml' --ledger 'l 2.jsonl' --adopt 'it'\\''s=TASK'");
}

BOOST_AUTO_TEST_CASE(a_flag_is_removed_in_both_spellings) {
    std::vector<std::string> const args = {"e", "run", "--max-credits", "5", "m.yaml", "--max-credits=7", "--quiet"};
    std::vector<std::string> const want = {"e", "run", "m.yaml", "--quiet"};
    BOOST_TEST(without_flag(args, "--max-credits", true) == want, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(a_finished_run_points_at_the_report_and_nothing_else) {
    RunEnd e;
    auto const lines = next_steps(e, k_typed, "jobs/my batch.yaml", "");
    BOOST_TEST_REQUIRE(lines.size() == 1u);
    BOOST_TEST(lines[0] == "`build/evobatch report 'jobs/my batch.yaml' -o report.html` writes a report: a row per "
                           "job, totals, a timeline");
}

BOOST_AUTO_TEST_CASE(the_ceiling_names_the_max_credits_that_covers_the_rest) {
    RunEnd e;
    e.exit_code = 3;
    e.ceiling_reached = true;
    e.ceiling_to_cover = 1355;
    auto const lines = next_steps(e, k_typed, "jobs/my batch.yaml", "l.jsonl");
    BOOST_TEST_REQUIRE(lines.size() == 1u);
    BOOST_TEST(lines[0].find("`build/evobatch run 'jobs/my batch.yaml' --quiet --max-credits 1355`") == 0u, lines[0]);
    BOOST_TEST(lines[0].find("running the same command again would stop") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(only_what_applies) {
    RunEnd e;
    e.exit_code = 1;
    e.failed = 2;
    auto lines = next_steps(e, k_typed, "m.yaml", "l.jsonl");
    BOOST_TEST(any_has(lines, "`build/evobatch status m.yaml --ledger l.jsonl --state failed`"));
    BOOST_TEST(!any_has(lines, "--retry-failed")); // none of the two can a new attempt fix
    BOOST_TEST(!any_has(lines, "uncertain"));
    BOOST_TEST(any_has(lines, "report m.yaml --ledger l.jsonl -o report.html"));
    e.failed_fixable = 1;
    lines = next_steps(e, k_typed, "m.yaml", "");
    BOOST_TEST(any_has(lines, "`build/evobatch run --max-credits=500 'jobs/my batch.yaml' --quiet --retry-failed` "
                              "gives the 1 job a new attempt"));
    e = RunEnd{};
    e.exit_code = 3;
    e.interrupted = true;
    lines = next_steps(e, k_typed, "m.yaml", "");
    BOOST_TEST_REQUIRE(lines.size() == 1u);
    BOOST_TEST(lines[0].find("`build/evobatch run --max-credits=500 'jobs/my batch.yaml' --quiet` resumes") == 0u,
               lines[0]);
    // Resuming never repeats a forced resend: a second lost answer would be sent once more.
    std::vector<std::string> forced = k_typed;
    forced.emplace_back("--resubmit-uncertain=a,b");
    lines = next_steps(e, forced, "m.yaml", "");
    BOOST_TEST(!any_has(lines, "--resubmit-uncertain"));
}

BOOST_AUTO_TEST_CASE(held_jobs_get_rerun_changed_within_a_ceiling_that_fits) {
    RunEnd e;
    e.exit_code = 1;
    e.held = 3;
    e.held_cost = 45;
    e.ceiling = 500;
    e.against_ceiling = 460;
    auto lines = next_steps(e, k_typed, "m.yaml", "");
    BOOST_TEST(any_has(lines, "`build/evobatch run 'jobs/my batch.yaml' --quiet --rerun-changed --max-credits 505` "
                              "pays up to 45 credits"));
    e.against_ceiling = 100; // fits under the ceiling as it is
    lines = next_steps(e, k_typed, "m.yaml", "");
    BOOST_TEST(any_has(lines, "`build/evobatch run --max-credits=500 'jobs/my batch.yaml' --quiet --rerun-changed`"));
    e.pending_cost = 400; // unless what the next run sends by itself comes first
    lines = next_steps(e, k_typed, "m.yaml", "");
    BOOST_TEST(any_has(lines, "--quiet --rerun-changed --max-credits 545`"));
}

BOOST_AUTO_TEST_CASE(a_probe_with_every_job_usable_points_at_run) {
    std::vector<std::string> const typed = {"build/evobatch", "probe", "jobs/my batch.yaml", "--max-probes", "4"};
    auto const next = probe_next_steps(ProbeEnd{}, typed, "jobs/my batch.yaml");
    BOOST_TEST_REQUIRE(next.size() == 1u);
    BOOST_TEST(next[0] == "`build/evobatch run 'jobs/my batch.yaml'` sends the batch");
}

BOOST_AUTO_TEST_CASE(a_probe_with_rejected_jobs_says_fix_them_and_probe_again) {
    std::vector<std::string> const typed = {"evobatch", "probe", "--max-probes=4", "it's.yaml"};
    auto const next = probe_next_steps(ProbeEnd{2, 1}, typed, "it's.yaml");
    BOOST_TEST_REQUIRE(next.size() == 1u);
    BOOST_TEST(any_has(next, "the 2 jobs listed as rejected"));
    BOOST_TEST(any_has(next, "`evobatch probe --max-probes=4 'it'\\''s.yaml'` probes again"));
    BOOST_TEST(!any_has(next, " run "));
}

BOOST_AUTO_TEST_CASE(a_probe_with_unprobed_jobs_offers_both) {
    std::vector<std::string> const typed = {"evobatch", "probe", "m.yaml"};
    auto const next = probe_next_steps(ProbeEnd{0, 1}, typed, "m.yaml");
    BOOST_TEST_REQUIRE(next.size() == 1u);
    BOOST_TEST(any_has(next, "`evobatch probe m.yaml` tries the 1 job whose hosts failed"));
    BOOST_TEST(any_has(next, "`evobatch run m.yaml` sends them anyway"));
}

BOOST_AUTO_TEST_SUITE_END()
