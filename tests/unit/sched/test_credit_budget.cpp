#include "evobatch/sched/credit_budget.hpp"

#include <boost/test/unit_test.hpp>

#include <random>
#include <vector>

using namespace evobatch::sched;

BOOST_AUTO_TEST_SUITE(credit_budget)

BOOST_AUTO_TEST_CASE(reserves_up_to_the_ceiling_exactly) {
    CreditBudget b(40);
    BOOST_TEST(b.try_reserve(15));
    BOOST_TEST(b.try_reserve(15));
    BOOST_TEST(!b.could_fit(15));
    BOOST_TEST(!b.try_reserve(15));
    BOOST_TEST(b.committed() == 30);
    BOOST_TEST(b.could_fit(10));
    BOOST_TEST(b.try_reserve(10));
    BOOST_TEST(b.committed() == 40);
    BOOST_TEST(b.available() == 0);
    BOOST_TEST(b.ceiling() == 40);
    BOOST_TEST(!b.try_reserve(1));
    BOOST_TEST(b.try_reserve(0));
}

BOOST_AUTO_TEST_CASE(settling_to_the_actual_frees_the_difference) {
    CreditBudget b(30);
    BOOST_TEST(b.try_reserve(15));
    BOOST_TEST(b.try_reserve(15));
    BOOST_TEST(b.settle(15, 7));
    BOOST_TEST(b.committed() == 22);
    BOOST_TEST(b.try_reserve(8));
    BOOST_TEST(!b.try_reserve(1));
}

BOOST_AUTO_TEST_CASE(an_actual_above_the_worst_case_is_believed_and_reported) {
    CreditBudget b(30);
    BOOST_TEST(b.try_reserve(15));
    BOOST_TEST(b.try_reserve(15));
    BOOST_TEST(!b.settle(15, 20));
    BOOST_TEST(b.committed() == 35); // what the server holds, even past the ceiling
    BOOST_TEST(b.available() == 0);
    BOOST_TEST(!b.try_reserve(0 + 1));
    b.release(20);
    BOOST_TEST(b.committed() == 15);
    BOOST_TEST(b.try_reserve(15));
}

BOOST_AUTO_TEST_CASE(release_gives_back_and_never_goes_negative) {
    CreditBudget b(100);
    BOOST_TEST(b.try_reserve(15));
    b.release(15);
    BOOST_TEST(b.committed() == 0);
    b.release(5);
    BOOST_TEST(b.committed() == 0);
    b.release(-5);
    BOOST_TEST(b.committed() == 0);
}

BOOST_AUTO_TEST_CASE(credits_carried_from_earlier_runs_count_even_past_the_ceiling) {
    CreditBudget budget(100);
    budget.carry(90);
    BOOST_TEST(budget.committed() == 90);
    BOOST_TEST(!budget.try_reserve(15)); // 90 + 15 would cross 100
    BOOST_TEST(budget.try_reserve(10));
    budget.carry(50); // more was held than the ceiling allows: nothing new fits
    BOOST_TEST(budget.available() == 0);
    BOOST_TEST(!budget.try_reserve(1));
    budget.carry(-5); // nonsense from a damaged ledger changes nothing
    BOOST_TEST(budget.committed() == 150);
}

BOOST_AUTO_TEST_CASE(odd_inputs) {
    CreditBudget zero(0);
    BOOST_TEST(!zero.try_reserve(1));
    BOOST_TEST(!zero.could_fit(-1)); // a negative reservation would raise the ceiling
    BOOST_CHECK_THROW(CreditBudget(-1), std::invalid_argument);
    CreditBudget huge(INT64_MAX);
    BOOST_TEST(huge.try_reserve(INT64_MAX - 1));
    BOOST_TEST(!huge.try_reserve(INT64_MAX)); // no overflow in the check
}

BOOST_AUTO_TEST_CASE(a_random_run_never_reserves_past_the_ceiling) {
    std::mt19937_64 rng(3);
    CreditBudget b(500);
    std::vector<std::int64_t> reserved; // worst cases not yet settled
    std::vector<std::int64_t> settled;  // actual amounts of running tasks
    for (int step = 0; step < 100'000; ++step) {
        switch (std::uniform_int_distribution<int>(0, 3)(rng)) {
        case 0:
            if (b.try_reserve(15)) {
                reserved.push_back(15);
            }
            break;
        case 1:
            if (!reserved.empty()) {
                std::int64_t const actual = std::uniform_int_distribution<std::int64_t>(5, 15)(rng);
                BOOST_TEST_REQUIRE(b.settle(reserved.back(), actual));
                reserved.pop_back();
                settled.push_back(actual);
            }
            break;
        case 2:
            if (!settled.empty()) {
                b.release(settled.back()); // refunded
                settled.pop_back();
            }
            break;
        default:
            if (!reserved.empty()) {
                b.release(reserved.back()); // the create made no task
                reserved.pop_back();
            }
        }
        BOOST_TEST_REQUIRE(b.committed() <= b.ceiling());
        std::int64_t sum = 0;
        for (auto v : reserved) {
            sum += v;
        }
        for (auto v : settled) {
            sum += v;
        }
        BOOST_TEST_REQUIRE(b.committed() == sum);
    }
}

BOOST_AUTO_TEST_SUITE_END()
