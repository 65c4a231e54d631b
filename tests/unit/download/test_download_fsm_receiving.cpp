// DownloadFsm taking a body (state receiving): a cut body continued from where the part ends
// under a record, or started over without a validator.

#include "unit/download/download_fsm_support.hpp"

using namespace download_fsm_test;

BOOST_AUTO_TEST_SUITE(download_fsm)

BOOST_AUTO_TEST_CASE(a_cut_body_with_a_record_is_continued_from_where_the_part_ends) {
    auto d = requesting();
    auto const h = whole();
    d.on(ev::HeadReceived{&h});
    auto const& sleep = d.on(cut(300, 300, true));
    BOOST_TEST(sleep.type == Type::sleep_until);
    BOOST_TEST((sleep.until == k_now + 500ms));
    auto const& send = d.on(ev::Slept{});
    BOOST_REQUIRE(send.range_from.has_value());
    BOOST_TEST(*send.range_from == 300u);
    BOOST_TEST(send.if_range == k_etag);
    auto const r = rest(300);
    BOOST_TEST(d.on(ev::HeadReceived{&r}).type == Type::take_body);
    BOOST_TEST(d.on(ended(700, 1000)).type == Type::verify);
}

BOOST_AUTO_TEST_CASE(a_cut_body_without_a_validator_starts_over) {
    auto d = requesting();
    auto const h = head(200, {{"content-length", "1000"}});
    auto const& take = d.on(ev::HeadReceived{&h});
    BOOST_TEST(take.type == Type::take_body);
    BOOST_TEST(take.record == nullptr);
    BOOST_TEST(d.on(cut(300, 300)).type == Type::empty_part);
    BOOST_TEST(d.on(ev::PartEmptied{}).type == Type::sleep_until);
    BOOST_TEST(!d.on(ev::Slept{}).range_from.has_value());
}

BOOST_AUTO_TEST_SUITE_END()
