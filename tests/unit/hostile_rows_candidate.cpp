// Hostile rows about the fields of candidate and resume (hostile_rows.hpp):
// decided by protocol::parse(), whatever the session's state ("fields
// before state").

#include "hostile_rows.hpp"

#include <tuple>

namespace onymous::test::hostile {

namespace {

void add_candidate_fields(std::vector<row>& rows) {
    // candidate: the field's type (invalid_message), then its members (invalid_candidate).
    const std::vector<std::tuple<const char*, start, std::string>> bad_cand_fields = {
        {"no candidate", start::video, R"({"type":"candidate"})"},
        {"candidate 5", start::video, cand_raw("5")},
        {"candidate a string", start::video, cand_raw(quoted(cand_line))},
        {"candidate true", start::paired, cand_raw("true")},
        {"candidate []", start::video, cand_raw("[]")},
        {"candidate [{…}]", start::video, cand_raw(R"([{"candidate":"","sdpMid":"0"}])")},
        {"candidate 5 while idle (fields before state)", start::idle, cand_raw("5")},
    };
    for (const auto& [name, state, text] : bad_cand_fields)
        rows.push_back(refused(std::string("candidate field: ") + name, state, text,
                               err("invalid_message", says::candidate_field, "candidate")));
}

void add_candidates(std::vector<row>& rows) {
    const json mid0 = {{"sdpMid", "0"}};
    auto with = [](json base, const json& extra) {
        base.update(extra);
        return base;
    };
    const json line0 = {{"candidate", cand_line}, {"sdpMid", "0"}};
    auto index = [](const std::string& value) {
        return cand_raw(R"({"candidate":")" + cand_line + R"(","sdpMLineIndex":)" + value + "}");
    };
    const std::vector<std::tuple<const char*, std::string, std::string>> bad_cands = {
        {"no candidate member", cand_text(mid0), says::candidate_string},
        {"candidate member 5", cand_text(with(mid0, {{"candidate", 5}})), says::candidate_string},
        {"candidate member null", cand_text(with(mid0, {{"candidate", nullptr}})),
         says::candidate_string},
        {"candidate member true", cand_text(with(mid0, {{"candidate", true}})),
         says::candidate_string},
        {"candidate member []", cand_text(with(mid0, {{"candidate", json::array()}})),
         says::candidate_string},
        {"candidate member {}", cand_text(with(mid0, {{"candidate", json::object()}})),
         says::candidate_string},
        {"no candidate: prefix",
         cand_text(with(mid0, {{"candidate", "1 1 udp 1 192.0.2.1 1 typ host"}})),
         says::candidate_prefix},
        {"Candidate:",
         cand_text(with(mid0, {{"candidate", "Candidate:1 1 udp 1 192.0.2.1 1 typ host"}})),
         says::candidate_prefix},
        {"CANDIDATE:", cand_text(with(mid0, {{"candidate", "CANDIDATE:1"}})),
         says::candidate_prefix},
        {"a space before candidate:", cand_text(with(mid0, {{"candidate", " " + cand_line}})),
         says::candidate_prefix},
        {"candidate without a colon", cand_text(with(mid0, {{"candidate", "candidate 1 1 udp"}})),
         says::candidate_prefix},
        {"candidat:", cand_text(with(mid0, {{"candidate", "candidat:1 1 udp"}})),
         says::candidate_prefix},
        {"the SDP form a=candidate:", cand_text(with(mid0, {{"candidate", "a=" + cand_line}})),
         says::candidate_prefix},
        {"1025 bytes",
         cand_text(with(mid0, {{"candidate", "candidate:" + std::string(1015, '1')}})),
         says::candidate_too_long},
        {"16000 bytes",
         cand_text(with(mid0, {{"candidate", "candidate:EVIL" + std::string(16000, '1')}})),
         says::candidate_too_long},
        {"U+0001", cand_text(with(mid0, {{"candidate", cand_line + "\x01"}})),
         says::candidate_control},
        {"NUL", cand_text(with(mid0, {{"candidate", cand_line + std::string(1, '\0')}})),
         says::candidate_control},
        {"a tab", cand_text(with(mid0, {{"candidate", "candidate:1\t1 udp"}})),
         says::candidate_control},
        {"a trailing CRLF", cand_text(with(mid0, {{"candidate", cand_line + "\r\n"}})),
         says::candidate_control},
        {"a line feed and a second line",
         cand_text(with(mid0, {{"candidate", cand_line + "\na=EVIL"}})), says::candidate_control},
        {"DEL", cand_text(with(mid0, {{"candidate", cand_line + "\x7f"}})),
         says::candidate_control},
        {"U+0085", cand_text(with(mid0, {{"candidate", cand_line + "\xC2\x85"}})),
         says::candidate_control},
        {"sdpMid 0", cand_text(with(line0, {{"sdpMid", 0}})), says::sdp_mid},
        {"sdpMid true", cand_text(with(line0, {{"sdpMid", true}})), says::sdp_mid},
        {"sdpMid []", cand_text(with(line0, {{"sdpMid", json::array()}})), says::sdp_mid},
        {"sdpMid {}", cand_text(with(line0, {{"sdpMid", json::object()}})), says::sdp_mid},
        {"sdpMid empty", cand_text(with(line0, {{"sdpMid", ""}})), says::sdp_mid},
        {"sdpMid of 65 bytes", cand_text(with(line0, {{"sdpMid", std::string(65, 'm')}})),
         says::sdp_mid},
        {"sdpMid of 16000 bytes", cand_text(with(line0, {{"sdpMid", std::string(16000, 'm')}})),
         says::sdp_mid},
        {"sdpMid a space", cand_text(with(line0, {{"sdpMid", " "}})), says::sdp_mid},
        {"sdpMid with a space", cand_text(with(line0, {{"sdpMid", "a b"}})), says::sdp_mid},
        {"sdpMid with NUL", cand_text(with(line0, {{"sdpMid", std::string("0\0", 2)}})),
         says::sdp_mid},
        {"sdpMid non-ASCII", cand_text(with(line0, {{"sdpMid", "\xC3\xA9"}})), says::sdp_mid},
        {"sdpMid (", cand_text(with(line0, {{"sdpMid", "("}})), says::sdp_mid},
        {"sdpMid )", cand_text(with(line0, {{"sdpMid", ")"}})), says::sdp_mid},
        {"sdpMid <", cand_text(with(line0, {{"sdpMid", "<"}})), says::sdp_mid},
        {"sdpMid >", cand_text(with(line0, {{"sdpMid", ">"}})), says::sdp_mid},
        {"sdpMid @", cand_text(with(line0, {{"sdpMid", "@"}})), says::sdp_mid},
        {"sdpMid ,", cand_text(with(line0, {{"sdpMid", ","}})), says::sdp_mid},
        {"sdpMid ;", cand_text(with(line0, {{"sdpMid", ";"}})), says::sdp_mid},
        {"sdpMid :", cand_text(with(line0, {{"sdpMid", ":"}})), says::sdp_mid},
        {"sdpMid backslash", cand_text(with(line0, {{"sdpMid", "\\"}})), says::sdp_mid},
        {"sdpMid quote", cand_text(with(line0, {{"sdpMid", "\""}})), says::sdp_mid},
        {"sdpMid /", cand_text(with(line0, {{"sdpMid", "/"}})), says::sdp_mid},
        {"sdpMid [", cand_text(with(line0, {{"sdpMid", "["}})), says::sdp_mid},
        {"sdpMid ]", cand_text(with(line0, {{"sdpMid", "]"}})), says::sdp_mid},
        {"sdpMid ?", cand_text(with(line0, {{"sdpMid", "?"}})), says::sdp_mid},
        {"sdpMid =", cand_text(with(line0, {{"sdpMid", "="}})), says::sdp_mid},
        {"sdpMid a tab", cand_text(with(line0, {{"sdpMid", "\t"}})), says::sdp_mid},
        {"sdpMLineIndex -1", index("-1"), says::mline_index},
        {"sdpMLineIndex 256", index("256"), says::mline_index},
        {"sdpMLineIndex 65536", index("65536"), says::mline_index},
        {"sdpMLineIndex 1.5", index("1.5"), says::mline_index},
        {"sdpMLineIndex 0.0", index("0.0"), says::mline_index},
        {"sdpMLineIndex 1e0", index("1e0"), says::mline_index},
        {"sdpMLineIndex 1E2", index("1E2"), says::mline_index},
        {"sdpMLineIndex \"0\"", index(R"("0")"), says::mline_index},
        {"sdpMLineIndex true", index("true"), says::mline_index},
        {"sdpMLineIndex []", index("[]"), says::mline_index},
        {"sdpMLineIndex 2^64", index("18446744073709551616"), says::mline_index},
        {"sdpMLineIndex -2^63-1", index("-9223372036854775809"), says::mline_index},
        {"usernameFragment empty", cand_text(with(line0, {{"usernameFragment", ""}})), says::ufrag},
        {"usernameFragment of 257 bytes",
         cand_text(with(line0, {{"usernameFragment", std::string(257, 'u')}})), says::ufrag},
        {"usernameFragment of 16000 bytes",
         cand_text(with(line0, {{"usernameFragment", std::string(16000, 'u')}})), says::ufrag},
        {"usernameFragment 7", cand_text(with(line0, {{"usernameFragment", 7}})), says::ufrag},
        {"usernameFragment true", cand_text(with(line0, {{"usernameFragment", true}})),
         says::ufrag},
        {"usernameFragment []", cand_text(with(line0, {{"usernameFragment", json::array()}})),
         says::ufrag},
        {"usernameFragment {}", cand_text(with(line0, {{"usernameFragment", json::object()}})),
         says::ufrag},
        {"usernameFragment with a space", cand_text(with(line0, {{"usernameFragment", "a b"}})),
         says::ufrag},
        {"usernameFragment with -", cand_text(with(line0, {{"usernameFragment", "a-b"}})),
         says::ufrag},
        {"usernameFragment with _", cand_text(with(line0, {{"usernameFragment", "a_b"}})),
         says::ufrag},
        {"usernameFragment with =", cand_text(with(line0, {{"usernameFragment", "ab=="}})),
         says::ufrag},
        {"usernameFragment with .", cand_text(with(line0, {{"usernameFragment", "a.b"}})),
         says::ufrag},
        {"usernameFragment with :", cand_text(with(line0, {{"usernameFragment", "a:b"}})),
         says::ufrag},
        {"usernameFragment non-ASCII", cand_text(with(line0, {{"usernameFragment", "\xC3\xA9"}})),
         says::ufrag},
        {"usernameFragment with NUL",
         cand_text(with(line0, {{"usernameFragment", std::string("a\0", 2)}})), says::ufrag},
        {"neither sdpMid nor sdpMLineIndex", cand_text({{"candidate", cand_line}}),
         says::needs_mid},
        {"both null",
         cand_text({{"candidate", cand_line}, {"sdpMid", nullptr}, {"sdpMLineIndex", nullptr}}),
         says::needs_mid},
        {"sdpMid null, no sdpMLineIndex",
         cand_text({{"candidate", cand_line}, {"sdpMid", nullptr}}), says::needs_mid},
        {"only a usernameFragment",
         cand_text({{"candidate", cand_line}, {"usernameFragment", "abc"}}), says::needs_mid},
        {"end-of-candidates with sdpMid of 65 bytes",
         cand_text({{"candidate", ""}, {"sdpMid", std::string(65, 'm')}}), says::sdp_mid},
        {"end-of-candidates with sdpMLineIndex 300",
         cand_text({{"candidate", ""}, {"sdpMLineIndex", 300}}), says::mline_index},
        {"end-of-candidates with an empty usernameFragment",
         cand_text({{"candidate", ""}, {"usernameFragment", ""}}), says::ufrag},
        {"end-of-candidates with sdpMid 0", cand_text({{"candidate", ""}, {"sdpMid", 0}}),
         says::sdp_mid},
    };
    start cand_state = start::video;
    for (const auto& [name, text, message] : bad_cands) {
        rows.push_back(refused(std::string("candidate: ") + name, cand_state, text,
                               err("invalid_candidate", message, "candidate")));
        cand_state = cand_state == start::video ? start::paired : start::video;
    }
    rows.push_back(refused("candidate: invalid while idle (content before state)", start::idle,
                           cand_text({{"candidate", "EVIL"}, {"sdpMid", "0"}}),
                           err("invalid_candidate", says::candidate_prefix, "candidate")));
    rows.push_back(refused("candidate: invalid while waiting (content before state)",
                           start::waiting,
                           cand_text({{"candidate", cand_line}, {"sdpMLineIndex", -5}}),
                           err("invalid_candidate", says::mline_index, "candidate")));
    rows.push_back(refused("candidate: invalid in the trickle window (content before the drop)",
                           start::ended, cand_text({{"candidate", cand_line}}),
                           err("invalid_candidate", says::needs_mid, "candidate")));
    rows.push_back(refused("candidate: invalid after its own next (content before the drop)",
                           start::requeued,
                           cand_text({{"candidate", cand_line}, {"sdpMid", "a b"}}),
                           err("invalid_candidate", says::sdp_mid, "candidate")));

    const std::string line1024 = "candidate:" + std::string(1014, '1');
    const std::string token_chars = "!#$%&'*+-.^_`{|}~09azAZ";
    rows.push_back(
        relays("candidate relayed: 1024 bytes, sdpMid of 64, sdpMLineIndex 255, ufrag of 256",
               start::video,
               cand_text({{"candidate", line1024},
                          {"sdpMid", std::string(64, 'm')},
                          {"sdpMLineIndex", 255},
                          {"usernameFragment", std::string(256, 'u')}}),
               relayed_cand(line1024, std::string(64, 'm'), 255, std::string(256, 'u'))));
    rows.push_back(relays("candidate relayed: every token character in sdpMid", start::video,
                          cand_text({{"candidate", cand_line}, {"sdpMid", token_chars}}),
                          relayed_cand(cand_line, token_chars, nullptr)));
    rows.push_back(relays(
        "candidate relayed: every ICE character in usernameFragment", start::paired,
        cand_text({{"candidate", cand_line}, {"sdpMid", "0"}, {"usernameFragment", "+/aZ09"}}),
        relayed_cand(cand_line, "0", nullptr, std::string("+/aZ09"))));
    rows.push_back(relays("candidate relayed: sdpMLineIndex -0 is the integer 0", start::video,
                          index("-0"), relayed_cand(cand_line, nullptr, 0)));
    rows.push_back(relays(
        "candidate relayed: a null usernameFragment is left out", start::video,
        cand_text({{"candidate", cand_line}, {"sdpMLineIndex", 1}, {"usernameFragment", nullptr}}),
        relayed_cand(cand_line, nullptr, 1)));
    rows.push_back(relays("candidate relayed: candidate: alone", start::video,
                          cand_text({{"candidate", "candidate:"}, {"sdpMid", "0"}}),
                          relayed_cand("candidate:", "0", nullptr)));
    rows.push_back(relays("candidate relayed: extra fields are dropped", start::video,
                          R"({"type":"candidate","seq":3,"EVIL":1,"candidate":{"candidate":")" +
                              cand_line + R"(","sdpMid":"0","sdpMLineIndex":0,"EVIL":true}})",
                          relayed_cand(cand_line, "0", 0)));
    rows.push_back(relays("candidate relayed: a bare end-of-candidates string", start::paired,
                          cand_text({{"candidate", ""}}), relayed_cand("", nullptr, nullptr)));
    rows.push_back(relays("candidate relayed: null", start::paired, cand_raw("null"),
                          {{"type", "candidate"}, {"candidate", nullptr}}));
}

void add_resume_fields(std::vector<row>& rows) {
    // resume: its fields, before the rule that it comes first (session rows).
    const std::string token22 = quoted("AAAAAAAAAAAAAAAAAAAAAA");
    const std::vector<std::tuple<const char*, std::string, std::string>> bad_resumes = {
        {"no fields", R"({"type":"resume"})", says::token_not_string},
        {"no token", R"({"type":"resume","last_seq":0})", says::token_not_string},
        {"token 5", resume_text("5", "0"), says::token_not_string},
        {"token null", resume_text("null", "0"), says::token_not_string},
        {"token true", resume_text("true", "0"), says::token_not_string},
        {"token []", resume_text("[]", "0"), says::token_not_string},
        {"token {}", resume_text("{}", "0"), says::token_not_string},
        {"token of 65 bytes", resume_text(quoted(std::string(65, 'A')), "0"), says::token_too_long},
        {"token of 66 bytes in 33 characters", resume_text(quoted(repeat("\xC3\xA9", 33)), "0"),
         says::token_too_long},
        {"token of 16000 bytes", resume_text(quoted("EVIL" + std::string(16000, 'A')), "0"),
         says::token_too_long},
        {"no last_seq", R"({"type":"resume","token":"AAAAAAAAAAAAAAAAAAAAAA"})", says::last_seq},
        {"last_seq -1", resume_text(token22, "-1"), says::last_seq},
        {"last_seq 1.5", resume_text(token22, "1.5"), says::last_seq},
        {"last_seq 0.0", resume_text(token22, "0.0"), says::last_seq},
        {"last_seq 1e2", resume_text(token22, "1e2"), says::last_seq},
        {"last_seq \"0\"", resume_text(token22, R"("0")"), says::last_seq},
        {"last_seq null", resume_text(token22, "null"), says::last_seq},
        {"last_seq true", resume_text(token22, "true"), says::last_seq},
        {"last_seq []", resume_text(token22, "[]"), says::last_seq},
        {"last_seq 2^64", resume_text(token22, "18446744073709551616"), says::last_seq},
    };
    for (const auto& [name, text, message] : bad_resumes)
        rows.push_back(refused(std::string("resume: ") + name, start::fresh, text,
                               err("invalid_message", message, "resume")));
    rows.push_back(refused("resume: bad fields after a ping (fields before state)", start::idle,
                           resume_text("5", "0"),
                           err("invalid_message", says::token_not_string, "resume")));
}

}  // namespace

std::vector<row> candidate_resume_rows() {
    std::vector<row> rows;
    add_candidate_fields(rows);
    add_candidates(rows);
    add_resume_fields(rows);
    return rows;
}

}  // namespace onymous::test::hostile
