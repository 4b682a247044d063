// The replay history and the token directory.

#include <onymous/session/directory.hpp>
#include <onymous/session/history.hpp>
#include <onymous/session/signaling_session.hpp>

#include <catch2/catch.hpp>

using namespace onymous::session;

namespace {

frame text_of(std::size_t bytes) { return std::make_shared<const std::string>(bytes, 'x'); }

}  // namespace

TEST_CASE("the history keeps the newest messages within its bound", "[session][history]") {
    history h(100);
    CHECK_FALSE(h.push(1, text_of(40)));
    CHECK_FALSE(h.push(2, text_of(40)));
    CHECK(h.push(3, text_of(40)) == 1u);  // 120 > 100: the oldest goes
    CHECK(h.bytes() == 80);
    CHECK(h.holds_after(1, 3));
    CHECK(h.holds_after(2, 3));
    CHECK(h.holds_after(3, 3));
    CHECK_FALSE(h.holds_after(0, 3));  // seq 1 is gone
    CHECK_FALSE(h.holds_after(4, 3));  // never sent
    std::vector<std::size_t> sizes;
    h.each_after(2, [&](const frame& f) { sizes.push_back(f->size()); });
    CHECK(sizes == std::vector<std::size_t>{40});
    // A message over the bound alone is still kept, as the newest.
    CHECK(h.push(4, text_of(500)) == 3u);
    CHECK(h.size() == 1);
    CHECK(h.holds_after(3, 4));
}

TEST_CASE("an empty history serves only a resume that lacks nothing", "[session][history]") {
    history h(100);
    CHECK(h.holds_after(0, 0));
    CHECK_FALSE(h.holds_after(0, 1));
}

TEST_CASE("a token is taken once", "[session][directory]") {
    directory d;
    auto s = std::shared_ptr<signaling_session>();
    d.insert("t1", s);
    CHECK(d.size() == 1);
    CHECK(d.take("t1") == nullptr);  // a dead session: gone all the same
    CHECK(d.size() == 0);
    CHECK(d.take("t1") == nullptr);
    d.insert("t2", s);
    d.erase("t2");
    CHECK(d.size() == 0);
}
