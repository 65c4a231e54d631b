// The report as one HTML page: escaping of hostile server text and prompts, one SVG bar per
// task (every attempt, earlier requests' too) or aggregate charts above the threshold, result
// links relative to the page, failure reasons linking their jobs.

#include "report_support.hpp"

using namespace evobatch::test::report_support;

BOOST_AUTO_TEST_SUITE(report_html)

BOOST_AUTO_TEST_CASE(escape) {
    BOOST_TEST(report::html_escape("a<b>&\"c\"'d'") == "a&lt;b&gt;&amp;&quot;c&quot;&#39;d&#39;");
    BOOST_TEST(report::html_escape("caf\xc3\xa9") == "caf\xc3\xa9");
}

BOOST_AUTO_TEST_CASE(hostile_server_text_is_escaped) {
    std::string const hostile = "<script>alert(\"x\")</script><img src=x onerror='y'> & more";
    auto const m = load();
    auto replay = sample_replay(m, hostile);
    replay.jobs[2].task = "\"><svg onload=alert(1)>"; // a task id is server text too
    std::string const html = page(report::build_report(m, replay, "l.jsonl", k_t0 + 60'000));
    BOOST_TEST(html.find("<script") == std::string::npos);
    BOOST_TEST(html.find("<img") == std::string::npos);
    BOOST_TEST(html.find("<svg onload") == std::string::npos);
    BOOST_TEST(
        html.find("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&lt;img src=x onerror=&#39;y&#39;&gt; "
                  "&amp; more") != std::string::npos);
    BOOST_TEST(html.find("&quot;&gt;&lt;svg onload=alert(1)&gt;") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(an_uncertain_jobs_candidates_under_its_error) {
    std::string const html = page(candidates_report("<b>task</b>"));
    BOOST_TEST(count(html, "<div class=\"candidates\">") == 1u);
    BOOST_TEST(html.find("candidates: <code>task-unified-aaa</code> (created 2026-01-01T00:00:00Z), "
                         "<code>&lt;b&gt;task&lt;/b&gt;</code> (created 2026-01-01T00:00:03Z); settle with "
                         "<code>run --adopt lost=TASK</code>") != std::string::npos);
    BOOST_TEST(html.find("<b>task</b>") == std::string::npos);
    BOOST_TEST(page(sample_report()).find("class=\"candidates\"") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(prompts_are_escaped_in_every_form) {
    std::string const text = std::string(k_manifest)
                                 .replace(k_manifest.find("prompt: Make it blue"), 20,
                                          R"(prompt: "</p><script>alert('p')</script> & \"=1+2\"")");
    auto loaded = manifest::load_manifest_text(text, "m.yaml", ".");
    BOOST_TEST_REQUIRE(loaded.ok());
    Report const r = report::build_report(*loaded.manifest, ledger::Replay{}, "l.jsonl", k_t0);
    std::string const prompt = R"(</p><script>alert('p')</script> & "=1+2")";
    BOOST_TEST(r.rows.at(0).prompt == prompt);

    std::string const html = page(r);
    BOOST_TEST(html.find("<script") == std::string::npos);
    BOOST_TEST(
        count(html, "&lt;/p&gt;&lt;script&gt;alert(&#39;p&#39;)&lt;/script&gt; &amp; &quot;=1+2&quot;") ==
        7u);
    BOOST_TEST(boost::json::parse(report::render_json(r)).at("jobs").at(0).at("prompt").as_string() ==
               prompt);
    auto const records = parse_csv(report::render_csv(r));
    BOOST_TEST(records.at(1).at(14) == prompt);
}

BOOST_AUTO_TEST_CASE(self_contained) {
    std::string const html = page(history_report());
    BOOST_TEST(html.starts_with("<!DOCTYPE html>"));
    BOOST_TEST(html.find("default-src 'none'") != std::string::npos);
    for (std::string_view fetches :
         {"<script", "<link", "<img", "<iframe", "<object", "src=", "url(", "@import"}) {
        BOOST_TEST(html.find(fetches) == std::string::npos, fetches);
    }
    // Links lead to a row of the page or to a result file; the source videos are text, never a link.
    BOOST_TEST(count(html, "href=") == count(html, "href=\"#job-") + count(html, "<a class=\"file\" href="));
    BOOST_TEST(count(html, "href=\"http") == 0u);
    BOOST_TEST(count(html, "http://www.w3.org/2000/svg") == 1u); // a namespace name, never fetched
}

BOOST_AUTO_TEST_CASE(one_bar_per_task_one_row_per_job) {
    Report const r = sample_report();
    std::string const html = page(r);
    BOOST_TEST(count(html, "<rect class=\"bar") == r.totals.tasks);
    BOOST_TEST(count(html, "<rect class=\"bar") == 5u);
    BOOST_TEST(count(html, "<tr class=\"job") == 7u);
    BOOST_TEST(count(html, "<tr class=\"job\" id=\"job-fresh\" data-job=\"fresh\" data-state=\"new\"") == 1u);
    BOOST_TEST(count(html, "<rect class=\"bar s-running\" data-job=\"busy\" data-state=\"running\"") == 1u);
    BOOST_TEST(count(html, "data-job=\"lost\"") == 1u); // its row, no bar
    BOOST_TEST(html.find("<title>done: completed, attempt 1, task task-1, 2026-01-01T00:00:01.000Z to "
                         "2026-01-01T00:00:43.500Z (42.5s; estimated 5m)</title>") != std::string::npos);
    // Each bar leads to its job's row.
    BOOST_TEST(count(html, "<a href=\"#job-done\"><rect class=\"bar") == 1u);
}

BOOST_AUTO_TEST_CASE(every_attempt_gets_a_bar_and_a_details_line) {
    Report const r = history_report();
    BOOST_TEST(r.totals.tasks == 8u);
    std::string const html = page(r);
    BOOST_TEST(count(html, "<rect class=\"bar") == 8u);
    BOOST_TEST(count(html, "<rect class=\"bar s-completed\" data-job=\"done\"") == 2u); // both requests
    BOOST_TEST(count(html, "<rect class=\"bar s-failed\" data-job=\"broken\"") == 3u);  // every attempt
    BOOST_TEST(html.find(">done v2</text>") != std::string::npos);
    BOOST_TEST(html.find(">broken #3</text>") != std::string::npos);
    BOOST_TEST(html.find("<title>done v2: completed, attempt 1, task task-1,") != std::string::npos);

    // The row's details: every attempt with its task, earlier requests' included, and every file.
    auto const done_row = html.find("id=\"job-done\"");
    auto const next_row = html.find("<tr class=\"job", done_row + 1);
    std::string const done = html.substr(done_row, next_row - done_row);
    BOOST_TEST(count(done, "<tr class=\"run\"") == 2u);
    BOOST_TEST(done.find("<summary>2 attempts, 1 of an earlier request; 2 files</summary>") !=
               std::string::npos);
    BOOST_TEST(done.find("<code>task-0</code>") < done.find("<code>task-1</code>"));
    BOOST_TEST(done.find("<tr class=\"run\" data-version=\"1\" data-attempt=\"1\">") != std::string::npos);
    BOOST_TEST(done.find("<tr class=\"run\" data-version=\"2\" data-attempt=\"1\">") != std::string::npos);
    BOOST_TEST(count(done, "<a class=\"file\" href=\"done.mp4\"") == 1u);    // v1, in the details
    BOOST_TEST(count(done, "<a class=\"file\" href=\"done@v2.mp4\"") == 2u); // v2: the result cell too
    BOOST_TEST(done.find(std::string(64, 'b')) != std::string::npos);        // whole hashes in the details
    BOOST_TEST(
        done.find("<code class=\"sha\" title=\"" + std::string(64, 'a') + "\">aaaaaaaaaaaa\u2026</code>") !=
        std::string::npos); // the table: a prefix, the whole in its title

    auto const broken_row = html.find("id=\"job-broken\"");
    std::string const broken =
        html.substr(broken_row, html.find("<tr class=\"job", broken_row + 1) - broken_row);
    BOOST_TEST(count(broken, "<tr class=\"run\"") == 3u);
    BOOST_TEST(count(broken, "<code>internal_error</code> try again") == 2u);
    BOOST_TEST(broken.find("<summary>3 attempts</summary>") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(result_links_are_relative_to_the_page) {
    namespace fs = std::filesystem;
    std::string const html = report::render_html(history_report(), "out");
    BOOST_TEST(
        html.find("<a class=\"file\" href=\"done@v2.mp4\" title=\"out/done@v2.mp4\">done@v2.mp4</a>") !=
        std::string::npos);
    BOOST_TEST(report::render_html(history_report(), "").find("href=\"out/done@v2.mp4\"") !=
               std::string::npos);
    BOOST_TEST(report::render_html(history_report(), "reports/2026").find("href=\"../../out/done.mp4\"") !=
               std::string::npos);

    BOOST_TEST(report::file_href("out/demo/shot-01.mp4", "out") == "demo/shot-01.mp4");
    BOOST_TEST(report::file_href("out/demo/shot-01.mp4", ".") == "out/demo/shot-01.mp4");
    BOOST_TEST(report::file_href("out/demo/shot-01.mp4", "") == "out/demo/shot-01.mp4");
    BOOST_TEST(report::file_href("out/./demo/../demo/shot-01.mp4", "out/") == "demo/shot-01.mp4");
    BOOST_TEST(report::file_href(fs::current_path() / "out/a.mp4", "out") ==
               "a.mp4"); // absolute and relative
    BOOST_TEST(report::file_href("/srv/batch/out/a.mp4", "/srv/batch/reports") == "../out/a.mp4");
    // Sharing no folder below the root: a link climbing to / would break when the page moves.
    BOOST_TEST(report::file_href("/srv/out/a.mp4", "/home/me/reports") == "file:///srv/out/a.mp4");
    // Names are percent-encoded: '#', '?', '%', a space, ':' or a quote stay part of the path.
    BOOST_TEST(report::file_href("/srv/out/a b#c?d%e:f\"g'h&i.mp4", "/srv/out") ==
               "a%20b%23c%3Fd%25e%3Af%22g%27h%26i.mp4");
    BOOST_TEST(report::file_href("/srv/out/caf\xc3\xa9.mp4", "/tmp") == "file:///srv/out/caf%C3%A9.mp4");
}

BOOST_AUTO_TEST_CASE(failure_reasons_link_their_jobs) {
    std::string const html = page(sample_report());
    auto const reasons = html.substr(html.find("<table id=\"failure-reasons\""));
    std::string const policy =
        reasons.substr(0, reasons.find("</tr>", reasons.find("content_policy_violation")));
    BOOST_TEST(policy.find("<td class=\"num\">2</td>") != std::string::npos);
    BOOST_TEST(policy.find("<a href=\"#job-broken\">broken</a> <a href=\"#job-broken-too\">broken-too</a>") !=
               std::string::npos);
    BOOST_TEST(reasons.find("<a href=\"#job-lost\">lost</a>") != std::string::npos);
    // The targets exist.
    BOOST_TEST(count(html, "id=\"job-broken\"") == 1u);
    BOOST_TEST(count(html, "id=\"job-broken-too\"") == 1u);
    BOOST_TEST(count(html, "id=\"job-lost\"") == 1u);
}

BOOST_AUTO_TEST_CASE(long_reason_lists_fold) {
    Report r = sample_report();
    r.totals.failure_reasons.at(0).jobs.assign(30, "broken");
    std::string const html = page(r);
    BOOST_TEST(count(html, "<a href=\"#job-broken\">broken</a>") == 30u);
    BOOST_TEST(html.find("<details><summary>6 more</summary>") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(many_tasks_get_thin_bars_without_labels) {
    std::string const html = page(report_of_tasks(report::detail::k_max_labelled_bars + 1));
    BOOST_TEST(count(html, "<rect class=\"bar") == report::detail::k_max_labelled_bars + 1);
    BOOST_TEST(count(html, "text-anchor=\"end\"") == 0u);
}

BOOST_AUTO_TEST_CASE(bars_up_to_the_threshold_then_aggregate_charts) {
    std::size_t const most = report::detail::k_max_task_bars;
    std::string const bars = page(report_of_tasks(most));
    BOOST_TEST(count(bars, "<rect class=\"bar") == most);
    BOOST_TEST(bars.find("id=\"jobs-chart\"") == std::string::npos);

    std::string const charts = page(report_of_tasks(most + 1));
    BOOST_TEST(count(charts, "<rect class=\"bar") == 0u);
    BOOST_TEST(count(charts, "<tr class=\"job") == most + 1); // the table keeps every job
    BOOST_TEST(charts.find("<svg xmlns=\"http://www.w3.org/2000/svg\" id=\"jobs-chart\"") !=
               std::string::npos);
    BOOST_TEST(charts.find("id=\"duration-chart\"") != std::string::npos);
    BOOST_TEST(charts.find("id=\"credits-chart\"") != std::string::npos);
    // Every task took 42.5 s against 300 s estimated: all in the 0.1-0.2 bin.
    BOOST_TEST(charts.find(fmt::format("<title>{} tasks took 0.1 to 0.2 times their estimate</title>",
                                       most + 1)) != std::string::npos);
    BOOST_TEST(charts.find("median 0.14\u00d7, 100% within their estimate") != std::string::npos);
    BOOST_TEST(charts.find(fmt::format("The {} jobs the ledger has sent", most + 1)) != std::string::npos);
    // Sampled, not drawn per task: the charts weigh the same whatever the batch's size.
    auto const timeline_size = [](std::string const& html) {
        return html.find("id=\"jobs\"") - html.find("id=\"timeline\"");
    };
    std::size_t const small = timeline_size(charts);
    std::size_t const big = timeline_size(page(report_of_tasks(10 * most)));
    BOOST_TEST(small < 60'000u);
    BOOST_TEST(big < small + 2'000);
}

BOOST_AUTO_TEST_CASE(the_job_table_cannot_widen_past_the_window) {
    std::string const html = page(sample_report());
    // Fixed columns, and cells that may break long ids, URLs, task ids and messages anywhere.
    BOOST_TEST(html.find("#job-table{width:100%;table-layout:fixed}") != std::string::npos);
    BOOST_TEST(html.find("td{overflow-wrap:anywhere}") != std::string::npos);
    BOOST_TEST(count(html, "<col class=") == 9u);
    BOOST_TEST(html.find("https:/<wbr>/<wbr>cdn.example.com/<wbr>done.mp4") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
