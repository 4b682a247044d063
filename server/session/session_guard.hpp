#pragma once
// signaling_session::on_home and guarded(), shared by the session's .cpp
// files: every handler of a session runs on its home's thread, and an
// exception in one session's handling closes that session alone (1011).

#include <onymous/session/signaling_session.hpp>

#include <exception>
#include <utility>

namespace onymous::session {

template <class Fn>
void signaling_session::guarded(Fn&& fn) {
    try {
        fn();
    } catch (const std::exception& e) {
        fail_internal(e.what());
    } catch (...) {
        fail_internal("unknown exception");
    }
}

template <class Fn>
void signaling_session::on_home(Fn&& fn) {
    if (home_.running_in_this_thread()) {
        guarded(fn);
        return;
    }
    home_.post(
        [self = shared_from_this(), fn = std::forward<Fn>(fn)]() mutable { self->guarded(fn); });
}

}  // namespace onymous::session
