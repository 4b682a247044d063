// Asio and Beast are header-only by default, which makes every translation
// unit that includes them take minutes. With BOOST_ASIO_SEPARATE_COMPILATION
// and BOOST_BEAST_SEPARATE_COMPILATION (set on onymous_net), their bodies are
// compiled once, here.
#include <boost/asio/impl/src.hpp>
#include <boost/asio/ssl/impl/src.hpp>
#include <boost/beast/src.hpp>
