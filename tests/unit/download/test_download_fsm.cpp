// The download state machine (issue 16), walked without I/O after Boost.Redis's
// test_exec_fsm.cpp: every event in every state, and a whole file's ordinary path. Each state's
// own cases are in test_download_fsm_<state>.cpp.

#include "unit/download/download_fsm_support.hpp"

using namespace download_fsm_test;

BOOST_AUTO_TEST_SUITE(download_fsm)

// Every event in every state: the expected ones lead on, any other is a bug (logic_error).
BOOST_AUTO_TEST_CASE(every_event_in_every_state) {
    auto const h = whole();
    struct Sample {
        char const* name;
        DownloadEvent event;
    };
    std::vector<Sample> const events{
        {"start", ev::Start{}},
        {"part_opened", ev::PartOpened{0, std::nullopt}},
        {"part_refused", ev::PartRefused{"a link"}},
        {"part_emptied", ev::PartEmptied{}},
        {"stopped", ev::Stopped{}},
        {"head_received", ev::HeadReceived{&h}},
        {"response_ended/unanswered", unanswered()},
        {"response_ended/answered", ended(1000, 1000)},
        {"sealed", ev::Sealed{k_sha, k_mp4}},
        {"committed", ev::Committed{}},
        {"keep_failed", ev::KeepFailed{"fsync: I/O error"}},
        {"slept", ev::Slept{}},
    };
    struct Row {
        State state;
        std::vector<std::string> accepted;
    };
    std::vector<Row> const table{
        {State::start, {"start"}},
        {State::opening, {"part_opened", "part_refused"}},
        {State::emptying, {"part_emptied"}},
        {State::requesting, {"stopped", "head_received", "response_ended/unanswered"}},
        {State::receiving, {"response_ended/answered"}},
        {State::sleeping, {"slept"}},
        {State::verifying, {"sealed", "keep_failed"}},
        {State::committing, {"committed", "keep_failed"}},
        {State::finished, {}},
    };
    for (auto const& row : table) {
        for (auto const& sample : events) {
            BOOST_TEST_CONTEXT(to_string(row.state) << " + " << sample.name) {
                auto d = in_state(row.state);
                BOOST_TEST(d.fsm.state() == row.state);
                bool const expected =
                    std::find(row.accepted.begin(), row.accepted.end(), sample.name) != row.accepted.end();
                if (expected) {
                    BOOST_CHECK_NO_THROW(d.on(sample.event));
                } else {
                    BOOST_CHECK_THROW(d.on(sample.event), std::logic_error);
                }
            }
        }
    }
}

BOOST_AUTO_TEST_CASE(a_whole_file_is_fetched_checked_and_committed) {
    Driven d;
    BOOST_TEST(d.on(ev::Start{}).type == Type::open_part);
    BOOST_TEST(d.on(ev::PartOpened{0, std::nullopt}).type == Type::empty_part); // no record: emptied first
    BOOST_TEST(!d.last.rejected);
    auto const& send = d.on(ev::PartEmptied{});
    BOOST_TEST(send.type == Type::send_request);
    BOOST_TEST(send.url == k_url);
    BOOST_TEST(!send.range_from.has_value());
    auto const h = whole();
    auto const& take = d.on(ev::HeadReceived{&h});
    BOOST_TEST(take.type == Type::take_body);
    BOOST_TEST(take.replace);
    BOOST_REQUIRE(take.record != nullptr);
    BOOST_TEST(take.record->task_id == k_task);
    BOOST_TEST(take.record->url == k_url);
    BOOST_TEST(take.record->validator.value == k_etag);
    BOOST_TEST(take.record->size.value_or(0) == 1000u);
    BOOST_TEST(d.on(ended(1000, 1000, true)).type == Type::verify);
    BOOST_TEST(d.fsm.has_record());
    BOOST_TEST(d.on(ev::Sealed{k_sha, k_mp4}).type == Type::commit);
    auto const& done = d.on(ev::Committed{});
    BOOST_TEST(done.type == Type::done);
    BOOST_TEST(done.ok);
    BOOST_TEST(!done.resumed);
    BOOST_TEST(!done.expired);
    BOOST_TEST(done.reason.empty());
    BOOST_TEST(d.fsm.failures() == 0);
}

BOOST_AUTO_TEST_SUITE_END()
