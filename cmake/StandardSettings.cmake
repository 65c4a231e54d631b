# evobatch_settings: language level and sanitizers for every target of ours (linked privately).
add_library(evobatch_settings INTERFACE)
target_compile_features(evobatch_settings INTERFACE cxx_std_20)
set(CMAKE_CXX_EXTENSIONS OFF)
target_compile_definitions(evobatch_settings INTERFACE $<$<CONFIG:Debug>:_GLIBCXX_ASSERTIONS>)

if(EVOBATCH_SANITIZE)
  string(REPLACE ";" "," _sanitizers "${EVOBATCH_SANITIZE}")
  target_compile_options(evobatch_settings INTERFACE -fsanitize=${_sanitizers} -fno-omit-frame-pointer
                                                     -fno-sanitize-recover=all)
  target_link_options(evobatch_settings INTERFACE -fsanitize=${_sanitizers})
  if(CMAKE_CXX_COMPILER_ID STREQUAL "Clang" AND "undefined" IN_LIST EVOBATCH_SANITIZE)
    # clang 14's -fsanitize=function puts prologue data into the split functions of coroutines
    # that the assembler then cannot place ("Cannot represent a difference across sections").
    target_compile_options(evobatch_settings INTERFACE -fno-sanitize=function)
  endif()
endif()

if(EVOBATCH_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "EVOBATCH_FUZZ needs clang (libFuzzer): configure with -DCMAKE_CXX_COMPILER=clang++")
  endif()
  # Coverage feedback for libFuzzer in all our code; only the fuzz targets link its main().
  target_compile_options(evobatch_settings INTERFACE -fsanitize=fuzzer-no-link)
endif()
