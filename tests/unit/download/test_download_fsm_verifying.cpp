// DownloadFsm checking and keeping the file (states verifying, committing): every check that
// starts the file over, and write and keep failures.

#include "unit/download/download_fsm_support.hpp"

using namespace download_fsm_test;

BOOST_AUTO_TEST_SUITE(download_fsm)

BOOST_AUTO_TEST_CASE(checks_that_fail_start_the_file_over_with_their_reason) {
    auto expect_rejected = [](Driven& d, std::string const& why) {
        auto const& empty = d.last;
        BOOST_TEST(empty.type == Type::empty_part);
        BOOST_TEST(empty.rejected);
        BOOST_TEST(d.on(ev::PartEmptied{}).type == Type::sleep_until);
        auto const& done = d.on(ev::Slept{}); // one attempt allowed: its reason is the last
        BOOST_TEST(done.type == Type::done);
        BOOST_TEST(done.reason.find(why) != std::string::npos, done.reason);
    };
    { // a document, not a video
        auto d = requesting(config(1));
        auto const h = head(200, {{"content-type", "text/html"}, {"content-length", "10"}});
        BOOST_TEST(d.on(ev::HeadReceived{&h}).type == Type::refuse_body);
        d.on(ended(0, 0));
        expect_rejected(d, "text/html");
    }
    { // fewer bytes than Content-Length, though the connection ended cleanly
        auto d = requesting(config(1));
        auto const h = whole();
        d.on(ev::HeadReceived{&h});
        d.on(ended(900, 900, true));
        expect_rejected(d, "the answer declared 1000 bytes and sent 900");
    }
    { // the part is not the size the file was declared
        Driven d(config(1));
        d.on(ev::Start{});
        d.on(ev::PartOpened{400, record()});
        auto const h = rest(400);
        d.on(ev::HeadReceived{&h});
        d.on(ended(600, 999));
        expect_rejected(d, "got 999 bytes, expected 1000");
    }
    { // a declared digest that does not match
        auto d = requesting(config(1));
        auto const h = whole({{"x-amz-meta-sha256", std::string(64, 'b')}});
        d.on(ev::HeadReceived{&h});
        BOOST_TEST(d.on(ended(1000, 1000, true)).type == Type::verify);
        d.on(ev::Sealed{k_sha, k_mp4});
        expect_rejected(d, "its x-amz-meta-sha256 header says");
    }
    { // a digest declared by the first answer holds for the continued file too
        Driven d(config(1));
        d.on(ev::Start{});
        auto r = record();
        r.digests = {{"repr-digest", std::string(64, 'b')}};
        d.on(ev::PartOpened{400, r});
        auto const h = rest(400);
        d.on(ev::HeadReceived{&h});
        d.on(ended(600, 1000));
        d.on(ev::Sealed{k_sha, k_mp4});
        expect_rejected(d, "its repr-digest header says");
    }
    { // not the start of an MP4
        auto d = requesting(config(1));
        auto const h = whole();
        d.on(ev::HeadReceived{&h});
        d.on(ended(1000, 1000, true));
        d.on(ev::Sealed{k_sha, "<html>"});
        expect_rejected(d, "does not start like a .mp4 video");
    }
}

BOOST_AUTO_TEST_CASE(write_and_keep_failures_end_the_file) {
    auto d = requesting();
    auto const h = whole();
    d.on(ev::HeadReceived{&h});
    ev::ResponseEnded broken = cut(100, 100, false);
    broken.write_failure = make_error_code(boost::system::errc::no_space_on_device);
    auto const& done = d.on(broken);
    BOOST_TEST(done.type == Type::done);
    BOOST_TEST(done.reason.starts_with("cannot write /o/a.mp4.part: "));

    auto v = in_state(State::verifying);
    auto const& seal_failed = v.on(ev::KeepFailed{"fsync: I/O error"});
    BOOST_TEST(seal_failed.reason == "cannot keep /o/a.mp4: fsync: I/O error");
    BOOST_TEST(!seal_failed.ok);

    Driven r; // a resumed file that cannot be kept still counts as resumed, as before
    r.on(ev::Start{});
    r.on(ev::PartOpened{400, record()});
    auto const h2 = rest(400);
    r.on(ev::HeadReceived{&h2});
    r.on(ended(600, 1000));
    r.on(ev::Sealed{k_sha, k_mp4});
    auto const& publish_failed = r.on(ev::KeepFailed{"/o/a.mp4 is a symbolic link"});
    BOOST_TEST(publish_failed.type == Type::done);
    BOOST_TEST(publish_failed.resumed);
    BOOST_TEST(publish_failed.reason == "cannot keep /o/a.mp4: /o/a.mp4 is a symbolic link");
}

BOOST_AUTO_TEST_SUITE_END()
