// The one translation unit that compiles Boost.Asio, its SSL layer and Beast. Every other file
// is built with BOOST_{ASIO,BEAST}_SEPARATE_COMPILATION and sees declarations only, so a one-file
// change does not recompile these libraries (same scheme as Beast's own test/lib_*.cpp).
#include <boost/asio/impl/src.hpp>
#include <boost/asio/ssl/impl/src.hpp>
#include <boost/beast/src.hpp>
