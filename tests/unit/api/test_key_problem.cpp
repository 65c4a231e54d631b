#include "evobatch/api/secret.hpp"

#include <boost/test/data/monomorphic.hpp>
#include <boost/test/data/test_case.hpp>
#include <boost/test/unit_test.hpp>

#include <ostream>
#include <string>
#include <vector>

using namespace evobatch::api;
namespace bdata = boost::unit_test::data;

namespace {

constexpr char const* k_key = "sk-0123456789abcdefABCDEF_.-~+/=";

struct KeyCase {
    std::string key;
    std::string problem;
};
// Only the problem is shown: a failing case must not print the key it checks either.
std::ostream& operator<<(std::ostream& os, KeyCase const& c) { return os << c.problem; }

} // namespace

BOOST_AUTO_TEST_SUITE(api_key_problem)

BOOST_AUTO_TEST_CASE(a_printable_ascii_key_is_fine) {
    BOOST_TEST(!key_problem(k_key).has_value());
    BOOST_TEST(!key_problem("x").has_value());
}

BOOST_DATA_TEST_CASE(each_problem_is_named,
                     bdata::make(std::vector<KeyCase>{
                         {std::string(k_key) + "\r", "ends with a carriage return (a file edited on Windows?)"},
                         {std::string(k_key) + "\r\n", "ends with a carriage return (a file edited on Windows?)"},
                         {std::string(k_key) + "\n", "ends with a line break"},
                         {std::string(k_key) + " ", "ends with whitespace"},
                         {std::string(k_key) + "\t", "ends with whitespace"},
                         {"\xEF\xBB\xBF" + std::string(k_key), "starts with a byte-order mark (a file saved as UTF-8 with BOM?)"},
                         {" " + std::string(k_key), "starts with whitespace"},
                         {"sk-0123 4567", "holds whitespace"},
                         {"sk-0123\r4567", "holds whitespace"},
                         {"sk-0123\x1b" "4567", "holds a control character"},
                         {std::string("sk-0123\0" "4567", 12), "holds a control character"},
                         {"sk-0123\x7f", "holds a control character"},
                         {"sk-0123\xc2\xa0" "4567", "holds a character beyond printable ASCII (a no-break space or a letter pasted with it?)"},
                     }),
                     c) {
    auto const problem = key_problem(c.key);
    BOOST_REQUIRE(problem.has_value());
    BOOST_TEST(*problem == c.problem);
}

BOOST_AUTO_TEST_SUITE_END()
