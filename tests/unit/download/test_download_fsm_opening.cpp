// DownloadFsm opening and emptying the part (states opening, emptying): a part of this task
// continued with Range and If-Range, any other emptied first, one that cannot be opened or
// emptied, and no attempts allowed.

#include "unit/download/download_fsm_support.hpp"

using namespace download_fsm_test;

BOOST_AUTO_TEST_SUITE(download_fsm)

BOOST_AUTO_TEST_CASE(a_part_of_this_task_is_continued_with_range_and_if_range) {
    Driven d;
    d.on(ev::Start{});
    auto const& send = d.on(ev::PartOpened{400, record()});
    BOOST_TEST(send.type == Type::send_request);
    BOOST_REQUIRE(send.range_from.has_value());
    BOOST_TEST(*send.range_from == 400u);
    BOOST_TEST(send.if_range == k_etag);
    auto const h = rest(400);
    auto const& take = d.on(ev::HeadReceived{&h});
    BOOST_TEST(take.type == Type::take_body);
    BOOST_TEST(!take.replace);
    BOOST_TEST(take.record == nullptr);
    BOOST_TEST(d.on(ended(600, 1000)).type == Type::verify);
    BOOST_TEST(d.on(ev::Sealed{k_sha, k_mp4}).type == Type::commit);
    auto const& done = d.on(ev::Committed{});
    BOOST_TEST(done.ok);
    BOOST_TEST(done.resumed);
}

BOOST_AUTO_TEST_CASE(a_part_of_another_task_or_url_or_empty_is_emptied_first) {
    for (auto const& found : {ev::PartOpened{400, record("task-2")}, ev::PartOpened{400, record(k_task, k_url + "?x")},
                              ev::PartOpened{0, record()}, ev::PartOpened{400, std::nullopt}}) {
        Driven d;
        d.on(ev::Start{});
        BOOST_TEST(d.on(found).type == Type::empty_part);
        auto const& send = d.on(ev::PartEmptied{});
        BOOST_TEST(send.type == Type::send_request);
        BOOST_TEST(!send.range_from.has_value()); // a part without a record of ours is never continued
        BOOST_TEST(!d.fsm.has_record());
    }
}

BOOST_AUTO_TEST_CASE(a_part_that_cannot_be_opened_or_emptied_fails_the_file) {
    Driven a;
    a.on(ev::Start{});
    auto const& refused = a.on(ev::PartRefused{"/o/a.mp4.part is a symbolic link"});
    BOOST_TEST(refused.type == Type::done);
    BOOST_TEST(!refused.ok);
    BOOST_TEST(refused.reason == "/o/a.mp4.part is a symbolic link");

    Driven b;
    b.on(ev::Start{});
    b.on(ev::PartOpened{5, std::nullopt});
    auto const& failed = b.on(ev::PartEmptied{make_error_code(boost::system::errc::io_error)});
    BOOST_TEST(failed.type == Type::done);
    BOOST_TEST(failed.reason.starts_with("cannot empty /o/a.mp4.part: "));
}

BOOST_AUTO_TEST_CASE(no_attempts_allowed_gives_up_before_sending) {
    Driven d(config(0));
    d.on(ev::Start{});
    auto const& done = d.on(ev::PartOpened{400, record()});
    BOOST_TEST(done.type == Type::done);
    BOOST_TEST(done.reason == "gave up after 0 attempts: no reason given");
}

BOOST_AUTO_TEST_SUITE_END()
