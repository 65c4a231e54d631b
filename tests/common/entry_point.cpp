// The one translation unit that defines the Boost.Test runner's main() for a test tier.
#define BOOST_TEST_MODULE evobatch
#include <boost/test/unit_test.hpp>
