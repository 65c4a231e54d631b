# evobatch_warnings: our own code compiles clean at these levels; Boost comes in as SYSTEM includes.
add_library(evobatch_warnings INTERFACE)
target_compile_options(evobatch_warnings INTERFACE -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor
                                                   -Woverloaded-virtual)
if(EVOBATCH_WARNINGS_AS_ERRORS)
  target_compile_options(evobatch_warnings INTERFACE -Werror)
endif()
