#include "evobatch/util/core_dumps.hpp"

#include <sys/prctl.h>
#include <sys/resource.h>

namespace evobatch::util {

bool disable_core_dumps() noexcept {
    rlimit const none{0, 0};
    bool const limited = ::setrlimit(RLIMIT_CORE, &none) == 0;
    bool const undumpable = ::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) == 0;
    return limited && undumpable;
}

} // namespace evobatch::util
