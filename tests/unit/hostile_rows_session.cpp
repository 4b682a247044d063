// Hostile rows whose outcome the session decides (hostile_rows.hpp): the
// state table, the trickle drops, resume as the first message only, the
// text-mode m-line rule, the error budget, and under the flood limits the
// message and join buckets and the per-pairing caps.

#include "hostile_rows.hpp"

#include <tuple>
#include <utility>

namespace onymous::test::hostile {

namespace {

void add_text_mode(std::vector<row>& rows) {
    // The text-mode m-line rule: after the grammar and the state, on the
    // mode of the session's join (the sdp: rows alternate offer and answer).
    const std::string h = head_sdp;
    const std::vector<std::pair<const char*, std::string>> video_in_text = {
        {"m=video in text mode", h + "m=video 9 UDP/TLS/RTP/SAVPF 96\r\n"},
        {"m=audio in text mode", h + "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\n"},
        {"m=applicationx in text mode", h + "m=applicationx 9 UDP/DTLS/SCTP x\r\n"},
        {"m=application without a space in text mode", h + "m=application\r\n"},
        {"m=Application in text mode", h + "m=Application 9 UDP/DTLS/SCTP x\r\n"},
        {"m= application in text mode", h + "m= application 9 UDP/DTLS/SCTP x\r\n"},
        {"video after application in text mode",
         h + "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\nm=video 9 RTP/AVP 0\r\n"},
        {"a browser's video SDP in text mode", video_sdp()},
    };
    bool as_offer = false;
    for (const auto& [name, sdp] : video_in_text) {
        const std::string type = as_offer ? "offer" : "answer";
        rows.push_back(refused(std::string("sdp: ") + name, start::paired,
                               json{{"type", type}, {"sdp", sdp}}.dump(),
                               err("invalid_sdp", says::sdp_text_mode, type)));
        as_offer = !as_offer;
    }
    rows.push_back(refused("sdp: m=video in a text session never paired is bad_state (state first)",
                           start::left, offer_text(video_sdp()),
                           err("bad_state", says::not_paired, "offer")));
    rows.push_back(
        dropped("sdp: m=video in a text pairing's trickle window is dropped (state first)",
                start::ended, offer_text(video_sdp())));
    const std::vector<std::tuple<const char*, start, std::string>> allowed = {
        {"no m= line in text mode", start::paired, head_sdp},
        {"m=application in text mode", start::paired, text_sdp("77")},
        {"video in video mode", start::video, video_sdp("78")},
    };
    for (const auto& [name, state, sdp] : allowed)
        rows.push_back(relays(std::string("sdp relayed: ") + name, state, answer_text(sdp),
                              answer_message(sdp)));
}

void add_resume(std::vector<row>& rows) {
    // resume: an unknown token gets one text whatever the reason; only as the first message.
    const std::string token22 = quoted("AAAAAAAAAAAAAAAAAAAAAA");
    const std::vector<std::pair<const char*, std::string>> unknown_resumes = {
        {"an unknown token", resume_text(token22, "0")},
        {"an empty token", resume_text(R"("")", "0")},
        {"a token of 64 bytes", resume_text(quoted(std::string(64, 'A')), "0")},
        {"a token of 64 bytes in 32 characters", resume_text(quoted(repeat("\xC3\xA9", 32)), "0")},
        {"a token with NUL, last_seq 2^64-1",
         resume_text(R"("EVIL\u0000")", "18446744073709551615")},
        {"last_seq -0", resume_text(token22, "-0")},
        {"extra fields", R"({"type":"resume","token":"EVIL","last_seq":3,"state":"paired"})"},
    };
    for (const auto& [name, text] : unknown_resumes)
        rows.push_back(refused(std::string("resume: ") + name, start::fresh, text,
                               err("resume_failed", says::resume_failed, "resume")));
    for (const auto& [name, state] :
         std::vector<std::pair<const char*, start>>{{"idle", start::idle},
                                                    {"waiting", start::waiting},
                                                    {"paired", start::paired},
                                                    {"left", start::left},
                                                    {"the trickle window", start::ended}})
        rows.push_back(refused(std::string("resume: not the first message, ") + name, state,
                               resume_text(token22, "0"),
                               err("bad_state", says::resume_not_first, "resume")));
}

void add_state_table(std::vector<row>& rows) {
    // The state table: valid messages in every state that refuses them.
    const std::vector<std::tuple<std::string, std::string, std::string>> relay_messages = {
        {"offer", "offer", offer_text(text_sdp("55"))},
        {"answer", "answer", answer_text(text_sdp("56"))},
        {"candidate", "candidate", cand_text(candidate_init("57"))},
        {"end-of-candidates null", "candidate", cand_raw("null")},
        {"end-of-candidates \"\"", "candidate", cand_text({{"candidate", ""}, {"sdpMid", "0"}})},
    };
    for (const auto& [state_name, state] :
         std::vector<std::pair<const char*, start>>{{"a fresh connection", start::fresh},
                                                    {"idle", start::idle},
                                                    {"idle after join and leave", start::left},
                                                    {"waiting", start::waiting}})
        for (const auto& [name, type, text] : relay_messages)
            rows.push_back(refused("state: " + name + " in " + state_name, state, text,
                                   err("bad_state", says::not_paired, type)));
    for (const auto& [state_name, state] : std::vector<std::pair<const char*, start>>{
             {"the trickle window after partner_left", start::ended},
             {"the trickle window after its own next", start::requeued},
             {"the trickle window after its own leave", start::self_left}})
        for (const auto& [name, type, text] : relay_messages)
            rows.push_back(dropped("state: " + name + " dropped in " + state_name, state, text));
    const json join_not_idle = err("bad_state", says::join_not_idle, "join");
    rows.push_back(refused("state: join while waiting", start::waiting,
                           join_text({{"mode", "text"}}), join_not_idle));
    rows.push_back(
        refused("state: join while paired", start::paired, join_text({}), join_not_idle));
    rows.push_back(refused("state: join while paired in video", start::video,
                           join_text({{"mode", "video"}}), join_not_idle));
    rows.push_back(refused("state: join after its own next", start::requeued,
                           join_text({{"mode", "text"}}), join_not_idle));
    const json next_without_join = err("bad_state", says::next_without_join, "next");
    rows.push_back(refused("state: next in a fresh connection", start::fresh, R"({"type":"next"})",
                           next_without_join));
    rows.push_back(refused("state: next without a join", start::idle, R"({"type":"next","EVIL":1})",
                           next_without_join));
    rows.push_back(
        answered("state: leave in a fresh connection", start::fresh, R"({"type":"leave"})", left));
    rows.push_back(answered("state: leave while waiting, extra fields ignored", start::waiting,
                            R"({"type":"leave","reason":"EVIL"})", left));
    rows.push_back(
        answered("state: next after join and leave", start::left, R"({"type":"next"})", waiting));
    rows.push_back(answered("state: next after its own next restarts the wait", start::requeued,
                            R"({"type":"next"})", waiting));
    rows.push_back(answered("state: ping while paired", start::paired, ping_text, pong));
    // report: while paired, or within 10 s of the last pairing's end.
    const std::string report = R"({"type":"report","who":"EVIL"})";
    const json no_partner = err("bad_state", says::no_partner_to_report, "report");
    rows.push_back(
        refused("state: report in a fresh connection", start::fresh, report, no_partner));
    rows.push_back(refused("state: report when never paired", start::idle, report, no_partner));
    rows.push_back(
        refused("state: report while waiting, never paired", start::waiting, report, no_partner));
    rows.push_back(answered("state: report while paired", start::paired, report, reported));
    rows.push_back(answered("state: report after partner_left", start::ended, report, reported));
    rows.push_back(answered("state: report after its own next", start::requeued, report, reported));
    rows.push_back(
        answered("state: report after its own leave", start::self_left, report, reported));
    rows.push_back({"state: report twice while paired",
                    start::paired,
                    {report, report},
                    {reported, reported}});
}

/// The budget rows' ten errors, one of each kind (max_errors 10), paired in text mode.
std::vector<std::pair<std::string, json>> ten_errors() {
    const std::string token22 = quoted("AAAAAAAAAAAAAAAAAAAAAA");
    return {
        {"{oops", err("bad_json", says::not_json)},
        {"[1]", err("invalid_message", says::not_object)},
        {R"({"type":"EVIL"})", err("unknown_type", says::unknown_type, "EVIL")},
        {R"({"type":"join"})", err("bad_state", says::join_not_idle, "join")},
        {R"({"type":"offer","sdp":"EVIL"})", err("invalid_sdp", says::sdp_no_v0, "offer")},
        {cand_text({{"candidate", "EVIL"}, {"sdpMid", "0"}}),
         err("invalid_candidate", says::candidate_prefix, "candidate")},
        {resume_text(token22, "0"), err("bad_state", says::resume_not_first, "resume")},
        {join_text({{"mode", "EVIL"}}), err("invalid_message", says::bad_mode, "join")},
        {answer_text(head_sdp + "m=video 9 RTP/AVP 0\r\n"),
         err("invalid_sdp", says::sdp_text_mode, "answer")},
        {R"({"type":"next",)", err("bad_json", says::not_json)},
    };
}

void add_budget(std::vector<row>& rows) {
    // The error budget (max_errors 10): several inputs on one connection.
    const auto errors = ten_errors();
    row budget{"budget: the tenth error is sent, then 1008; nothing after it is answered",
               start::paired};
    for (const auto& [text, error] : errors) {
        budget.input.push_back(text);
        budget.replies.push_back(error);
    }
    budget.input.push_back(ping_text);
    budget.close = 1008;
    rows.push_back(budget);

    row nine{"budget: nine errors leave the connection open", start::paired};
    for (std::size_t i = 0; i + 1 < errors.size(); ++i) {
        nine.input.push_back(errors[i].first);
        nine.replies.push_back(errors[i].second);
    }
    rows.push_back(nine);

    row mixed{"budget: accepted messages between errors are relayed, in order", start::paired};
    for (int i = 0; i < 10; ++i) {
        mixed.input.push_back(R"({"type":"fly"})");
        mixed.replies.push_back(err("unknown_type", says::unknown_type, "fly"));
        if (i % 3 == 0 && i < 9) {
            const auto sdp = text_sdp(std::to_string(60 + i));
            mixed.input.push_back(offer_text(sdp));
            mixed.relayed.push_back(offer_message(sdp));
        }
    }
    mixed.input.push_back(offer_text(text_sdp("99")));  // after the close: never relayed
    mixed.close = 1008;
    rows.push_back(mixed);

    row drops{"budget: silent drops are not errors", start::ended};
    for (int i = 0; i < 15; ++i) drops.input.push_back(cand_text(candidate_init("3", i + 1)));
    for (int i = 0; i < 9; ++i) {
        drops.input.push_back("{oops");
        drops.replies.push_back(err("bad_json", says::not_json));
    }
    rows.push_back(drops);

    row waiting_budget{"budget: spent while waiting", start::waiting};
    for (int i = 0; i < 10; ++i) {
        waiting_budget.input.push_back(join_text({{"mode", "text"}}));
        waiting_budget.replies.push_back(err("bad_state", says::join_not_idle, "join"));
    }
    waiting_budget.close = 1008;
    rows.push_back(waiting_budget);
}

}  // namespace

std::vector<row> session_rows() {
    std::vector<row> rows;
    add_text_mode(rows);
    add_resume(rows);
    add_state_table(rows);
    add_budget(rows);
    return rows;
}

std::vector<row> flood_rows() {
    // messages_per_second 1, burst 20, joins_per_second 1, join_burst 3,
    // pair_max_offers 3, pair_max_candidates 4, max_errors 6.
    std::vector<row> rows;
    const std::string join = join_text({});
    const std::string leave = R"({"type":"leave"})";
    const std::string next = R"({"type":"next"})";
    const json slow_down = err("rate_limited", says::too_many_messages);
    auto joins = [](const std::string& ref) {
        return err("rate_limited", says::too_many_joins, ref);
    };
    {
        row r{"flood: past the message burst everything is rate_limited, unparsed", start::fresh};
        for (int i = 0; i < 20; ++i) {
            r.input.push_back(ping_text);
            r.replies.push_back(pong);
        }
        for (const std::string& text :
             std::vector<std::string>{"{oops", R"({"type":"join","mode":5})", nested_arrays(40),
                                      R"({"type":"offer","sdp":"EVIL"})", ping_text}) {
            r.input.push_back(text);
            r.replies.push_back(slow_down);
        }
        r.settle = std::chrono::milliseconds(1100);  // a token a second: then one more passes
        rows.push_back(r);
    }
    {
        row r{"flood: rate_limited spends the error budget, then 1008", start::fresh};
        for (int i = 0; i < 27; ++i) r.input.push_back(ping_text);
        for (int i = 0; i < 20; ++i) r.replies.push_back(pong);
        for (int i = 0; i < 6; ++i) r.replies.push_back(slow_down);
        r.close = 1008;
        rows.push_back(r);
    }
    {
        row r{"flood: while paired the message bucket comes before the caps", start::paired};
        for (int i = 0; i < 19; ++i) {  // the join took the 20th token
            r.input.push_back(cand_raw("null"));
            r.relayed.push_back({{"type", "candidate"}, {"candidate", nullptr}});
        }
        for (int i = 0; i < 3; ++i) {
            r.input.push_back(offer_text(text_sdp("4" + std::to_string(i))));
            r.replies.push_back(slow_down);
        }
        r.settle = std::chrono::milliseconds(1100);
        r.marker = false;
        rows.push_back(r);
    }
    rows.push_back({"flood: the join bucket, before the state table",
                    start::fresh,
                    {join, leave, join, leave, join, join_text({{"mode", "text"}}), next, leave,
                     next, join_text({{"mode", 5}}), join_text({{"interests", {""}}})},
                    {waiting, left, waiting, left, waiting, joins("join"), joins("next"), left,
                     joins("next"), err("invalid_message", says::bad_mode, "join"),
                     err("invalid_message", says::interest(0, says::empty), "join")}});
    const json bad_mode = err("invalid_message", says::bad_mode, "join");
    rows.push_back({"flood: a join refused by its fields costs no join token",
                    start::fresh,
                    {join_text({{"mode", "x"}}), join_text({{"mode", "x"}}),
                     join_text({{"mode", "x"}}), join, leave, join, leave, join},
                    {bad_mode, bad_mode, bad_mode, waiting, left, waiting, left, waiting}});
    const json join_not_idle = err("bad_state", says::join_not_idle, "join");
    rows.push_back({"flood: a join refused by the state table has spent its join token",
                    start::fresh,
                    {join, join, join, join, leave, next},
                    {waiting, join_not_idle, join_not_idle, joins("join"), left, joins("next")}});
    {
        row r{"flood: the per-pairing caps, after the text-mode m-line check", start::paired};
        for (int i = 1; i <= 3; ++i) {
            const auto sdp = text_sdp("5" + std::to_string(i));
            r.input.push_back(i == 2 ? answer_text(sdp) : offer_text(sdp));
            r.relayed.push_back(i == 2 ? answer_message(sdp) : offer_message(sdp));
        }
        r.input.push_back(offer_text(text_sdp("54")));
        r.replies.push_back(err("rate_limited", says::too_many_offers, "offer"));
        r.input.push_back(answer_text(text_sdp("55")));
        r.replies.push_back(err("rate_limited", says::too_many_offers, "answer"));
        r.input.push_back(offer_text(video_sdp("56")));
        r.replies.push_back(err("invalid_sdp", says::sdp_text_mode, "offer"));
        r.input.push_back(answer_text("v=0\r\nEVIL"));
        r.replies.push_back(err("invalid_sdp", says::sdp_line, "answer"));
        for (int i = 1; i <= 4; ++i) {
            const auto init = candidate_init("6", i);
            r.input.push_back(cand_text(init));
            r.relayed.push_back(candidate_message(init));
        }
        r.input.push_back(cand_text(candidate_init("6", 5)));
        r.replies.push_back(err("rate_limited", says::too_many_candidates, "candidate"));
        r.input.push_back(cand_raw("null"));
        r.relayed.push_back({{"type", "candidate"}, {"candidate", nullptr}});
        r.input.push_back(cand_text({{"candidate", ""}, {"sdpMid", "0"}}));
        r.relayed.push_back(relayed_cand("", "0", nullptr));
        r.marker = false;
        rows.push_back(r);
    }
    {
        row r{"flood: silent drops are neither errors nor counted by the caps", start::ended};
        for (int i = 1; i <= 8; ++i) r.input.push_back(cand_text(candidate_init("7", i)));
        r.input.push_back(offer_text(text_sdp("71")));
        r.input.push_back(answer_text(text_sdp("72")));
        rows.push_back(r);
    }
    rows.push_back(
        {"flood: the error budget spent while paired, partner_left at once",
         start::paired,
         {"{oops", R"({"type":"fly"})", join_text({}), offer_text("EVIL"),
          offer_text(video_sdp("8")), cand_text({{"candidate", "x"}, {"sdpMid", "0"}}), ping_text},
         {err("bad_json", says::not_json), err("unknown_type", says::unknown_type, "fly"),
          join_not_idle, err("invalid_sdp", says::sdp_no_v0, "offer"),
          err("invalid_sdp", says::sdp_text_mode, "offer"),
          err("invalid_candidate", says::candidate_prefix, "candidate")},
         {},
         1008});
    return rows;
}

}  // namespace onymous::test::hostile
