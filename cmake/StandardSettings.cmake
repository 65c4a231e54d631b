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
endif()
