# evobatch_warnings: our own code compiles clean at these levels; Boost comes in as SYSTEM includes.
add_library(evobatch_warnings INTERFACE)
target_compile_options(evobatch_warnings INTERFACE -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor
                                                   -Woverloaded-virtual)
# GCC 12/13 report a mismatched operator delete for coroutine frames that use a class-specific
# operator new/delete pair, as Asio's awaitable frames do: a false positive,
# https://gcc.gnu.org/bugzilla/show_bug.cgi?id=109224
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
  target_compile_options(evobatch_warnings INTERFACE -Wno-mismatched-new-delete)
endif()
if(EVOBATCH_WARNINGS_AS_ERRORS)
  target_compile_options(evobatch_warnings INTERFACE -Werror)
endif()
