// The ledger's JSON line form: what we write parses back to the same event, whatever the text
// holds, and what replay must refuse (torn lines, wrong types, unknown events) is refused.

#include "evobatch/ledger/error.hpp"
#include "evobatch/ledger/event.hpp"

#include <boost/json/error.hpp>
#include <boost/json/parse.hpp>
#include <boost/test/data/monomorphic.hpp>
#include <boost/test/data/test_case.hpp>
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <array>
#include <cstdint>
#include <limits>
#include <random>
#include <string>

namespace evobatch::ledger {
// Boost.Test prints values it compares; an event prints as its line.
inline std::ostream& operator<<(std::ostream& os, Event const& e) {
    return os << to_json_line(e);
}
inline std::ostream& operator<<(std::ostream& os, EventType t) {
    return os << to_string(t);
}
inline std::ostream& operator<<(std::ostream& os, LedgerErrc e) {
    return os << make_error_code(e).message();
}
} // namespace evobatch::ledger

namespace {

using namespace evobatch::ledger;

constexpr std::array k_all_types{EventType::batch,      EventType::submitting, EventType::submitted,
                                 EventType::progress,   EventType::completed,  EventType::failed,
                                 EventType::uncertain,  EventType::unsent,     EventType::downloaded,
                                 EventType::probed,     EventType::rejected,   EventType::adopted};

// Every field set: round trips must keep each one.
Event full_event(EventType type) {
    Event e;
    e.type = type;
    e.t_ms = 1'767'225'600'123;
    if (type == EventType::batch) {
        e.manifest = "jobs/demo.yaml";
        e.digest = "sha256:0f1e2d";
        return e;
    }
    e.job = "clip-007";
    e.req = "9b74c9897bac770ffc029102a200c5de";
    e.task = "task-unified-1757165031-abc";
    e.attempt = 2;
    e.key = "evb-clip-007-9b74c989-2";
    e.rid = "req_01HZ";
    e.progress = 45;
    e.eta_s = 120;
    e.credits = 30;
    e.results = {"https://cdn.example.com/a.mp4?sig=x&y=1", "https://cdn.example.com/b.mp4"};
    e.error = EventError{"rate_limited", "Too many requests"};
    e.file = "out/clip-007.mp4";
    e.bytes = 18'446'744'073'709'551'615ULL; // the largest: bytes are unsigned 64-bit
    e.sha256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
    e.manifest = "jobs/demo.yaml";
    e.digest = "d";
    e.url = "https://cdn.example.com/clips/a.mp4?sig=1";
    e.duration_ms = 9'033;
    e.format = "mp4";
    e.etag = "\"5f2a-9b\"";
    e.last_modified = "Sat, 05 Dec 2026 10:00:00 GMT";
    e.verdict = "warned";
    e.pages = 3;
    e.span_from = 1'733'399'990;
    e.span_to = 1'733'400'013;
    e.candidates = "task-unified-aaa@1733400000 task-unified-bbb@1733400003";
    return e;
}

Event minimal_event(EventType type) {
    Event e;
    e.type = type;
    e.t_ms = 1;
    if (type != EventType::batch) {
        e.job = "j";
        e.req = "r";
    }
    return e;
}

boost::system::error_code parse_error(std::string_view line) {
    auto const r = parse_json_line(line);
    BOOST_TEST_CONTEXT(line) {
        BOOST_TEST(r.has_error());
    }
    return r.has_error() ? r.error() : boost::system::error_code{};
}

// A valid job-event line with `field` replaced by `value` (or left out when value is empty).
std::string line_with(std::string_view field, std::string_view value) {
    std::string line = R"({"v":1,"t":5,"job":"j","req":"r","ev":"progress")";
    if (!value.empty()) {
        line += ",\"" + std::string(field) + "\":" + std::string(value);
    }
    return line + "}";
}

} // namespace

BOOST_AUTO_TEST_SUITE(ledger_event)

BOOST_DATA_TEST_CASE(round_trip_every_field, boost::unit_test::data::make(k_all_types), type) {
    for (Event const& e : {full_event(type), minimal_event(type)}) {
        std::string const line = to_json_line(e);
        BOOST_TEST(line.starts_with("{\"v\":1,"));
        BOOST_TEST(line.back() == '\n');
        BOOST_TEST(std::count(line.begin(), line.end(), '\n') == 1);
        auto const parsed = parse_json_line(line);
        if (!parsed) {
            BOOST_FAIL(line + parsed.error().message());
        }
        BOOST_TEST(*parsed == e);
        // Without its newline too: replay may hand us the text before the '\n'.
        auto const trimmed = parse_json_line(std::string_view(line).substr(0, line.size() - 1));
        BOOST_TEST_REQUIRE(trimmed.has_value());
        BOOST_TEST(*trimmed == e);
    }
}

BOOST_AUTO_TEST_CASE(batch_line_has_no_job_fields) {
    std::string const line = to_json_line(full_event(EventType::batch));
    BOOST_TEST(
        line ==
        R"({"v":1,"t":1767225600123,"ev":"batch","manifest":"jobs/demo.yaml","digest":"sha256:0f1e2d"})"
        "\n");
}

BOOST_AUTO_TEST_CASE(job_line_fields_in_order) {
    Event e = minimal_event(EventType::submitting);
    e.attempt = 1;
    e.key = "k";
    BOOST_TEST(to_json_line(e) ==
               "{\"v\":1,\"t\":1,\"job\":\"j\",\"req\":\"r\",\"ev\":\"submitting\",\"attempt\":1,"
               "\"key\":\"k\"}\n");
}

BOOST_AUTO_TEST_CASE(event_names) {
    for (auto const type : k_all_types) {
        BOOST_TEST((parse_event_type(to_string(type)) == type));
    }
    BOOST_TEST(to_string(EventType::unsent) == "unsent");
    BOOST_TEST((parse_event_type("unsent") == EventType::unsent));
    BOOST_TEST(to_string(EventType::probed) == "probed");
    BOOST_TEST(to_string(EventType::rejected) == "rejected");
    BOOST_TEST(!parse_event_type("Completed").has_value());
    BOOST_TEST(!parse_event_type("").has_value());
}

BOOST_AUTO_TEST_CASE(a_probed_event_is_written_in_the_tables_order) {
    Event e = minimal_event(EventType::probed);
    e.url = "https://h/a.mp4";
    e.bytes = 19'154;
    e.duration_ms = 9'000;
    e.format = "mp4";
    e.etag = "\"e1\"";
    e.verdict = "usable";
    e.credits = 7;
    BOOST_TEST(to_json_line(e) ==
               R"({"v":1,"t":1,"job":"j","req":"r","ev":"probed","credits":7,"bytes":19154,"url":"https://h/a.mp4",)"
               R"("duration_ms":9000,"format":"mp4","etag":"\"e1\"","verdict":"usable"})"
               "\n");
    auto const back = parse_json_line(to_json_line(e));
    BOOST_TEST_REQUIRE(back.has_value());
    BOOST_TEST((*back == e));
}

// A reconcile's events (issue 18): the evidence after the table's earlier fields, and back.
BOOST_AUTO_TEST_CASE(reconcile_events_are_written_in_the_tables_order) {
    Event adopted = minimal_event(EventType::adopted);
    adopted.attempt = 1;
    adopted.key = "k";
    adopted.task = "task-unified-aaa";
    adopted.credits = 12;
    adopted.verdict = "listed";
    adopted.pages = 2;
    adopted.span_from = 1'733'399'990;
    adopted.span_to = 1'733'400'013;
    adopted.candidates = "task-unified-aaa@1733400000";
    BOOST_TEST(to_json_line(adopted) ==
               R"({"v":1,"t":1,"job":"j","req":"r","ev":"adopted","task":"task-unified-aaa","attempt":1,"key":"k",)"
               R"("credits":12,"verdict":"listed","pages":2,"span_from":1733399990,"span_to":1733400013,)"
               R"("candidates":"task-unified-aaa@1733400000"})"
               "\n");
    Event asked = minimal_event(EventType::adopted);
    asked.attempt = 2;
    asked.key = "k2";
    asked.task = "task-unified-bbb";
    asked.credits = 15;
    asked.verdict = "asked";
    Event unsent = minimal_event(EventType::unsent);
    unsent.attempt = 1;
    unsent.key = "k";
    unsent.verdict = "listed";
    unsent.pages = 1;
    unsent.span_from = 10;
    unsent.span_to = 40;
    unsent.candidates = "";
    Event uncertain = minimal_event(EventType::uncertain);
    uncertain.attempt = 1;
    uncertain.key = "k";
    uncertain.error = EventError{"ambiguous", "two tasks fit"};
    uncertain.verdict = "listed";
    uncertain.pages = 1;
    uncertain.span_from = 10;
    uncertain.span_to = 40;
    uncertain.candidates = "task-unified-aaa@20 task-unified-bbb@23";
    for (Event const& e : {adopted, asked, unsent, uncertain}) {
        auto const back = parse_json_line(to_json_line(e));
        BOOST_TEST_REQUIRE(back.has_value());
        BOOST_TEST((*back == e));
    }
    BOOST_TEST(to_string(EventType::adopted) == "adopted");
    BOOST_TEST((parse_event_type("adopted") == EventType::adopted));
}

BOOST_AUTO_TEST_CASE(escapes_quotes_newlines_controls_and_keeps_unicode) {
    Event e = minimal_event(EventType::failed);
    std::string const message =
        "bad \"prompt\"\nline 2\r\n\ttab \\ back\x01\x1f\x7f caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac "
        "\xf0\x9f\x8e\xac \xe2\x80\xa8";
    e.error = EventError{"bad_request", message};
    e.job = "job \"quoted\"\n";
    e.results = {"https://x.example/a b\"c"};
    std::string const line = to_json_line(e);
    BOOST_TEST(std::count(line.begin(), line.end(), '\n') == 1);
    BOOST_TEST(line.find("\\n") != std::string::npos);
    BOOST_TEST(line.find("\\u0001") != std::string::npos);
    BOOST_TEST(line.find("caf\xc3\xa9") != std::string::npos); // UTF-8 stays as is, not \u-escaped
    BOOST_TEST(boost::json::parse(line).is_object());
    auto const parsed = parse_json_line(line);
    BOOST_TEST_REQUIRE(parsed.has_value());
    BOOST_TEST(*parsed == e);
}

BOOST_AUTO_TEST_CASE(invalid_utf8_becomes_replacement_characters) {
    Event e = minimal_event(EventType::failed);
    // A lone continuation byte, a cut 3-byte sequence at the end, an overlong '/', a surrogate.
    e.error = EventError{"x", "a\x80z \xc0\xaf \xed\xa0\x80 end\xe6\x97"};
    auto const parsed = parse_json_line(to_json_line(e));
    BOOST_TEST_REQUIRE(parsed.has_value());
    std::string const fffd = "\xEF\xBF\xBD";
    BOOST_TEST(parsed->error->message ==
               "a" + fffd + "z " + fffd + fffd + " " + fffd + fffd + fffd + " end" + fffd + fffd);
}

BOOST_AUTO_TEST_CASE(every_prefix_of_a_line_is_torn) {
    std::string line = to_json_line(full_event(EventType::completed));
    line.pop_back();
    for (std::size_t n = 0; n < line.size(); ++n) {
        auto const prefix = std::string_view(line).substr(0, n);
        BOOST_TEST_CONTEXT("prefix of " << n << " bytes") {
            BOOST_TEST(parse_json_line(prefix).has_error());
        }
    }
}

BOOST_AUTO_TEST_CASE(unknown_fields_and_nulls_are_ignored) {
    auto const parsed = parse_json_line(
        R"({"v":1,"t":5,"job":"j","req":"r","ev":"submitted","task":"t1","future":{"x":[1,2]},"rid":null})");
    BOOST_TEST_REQUIRE(parsed.has_value());
    BOOST_TEST((parsed->task == std::optional<std::string>("t1")));
    BOOST_TEST(!parsed->rid.has_value());
    BOOST_TEST(parsed->type == EventType::submitted);
}

BOOST_AUTO_TEST_CASE(not_an_object_or_not_json) {
    BOOST_TEST(parse_error("[1,2]") == LedgerErrc::not_an_object);
    BOOST_TEST(parse_error("\"batch\"") == LedgerErrc::not_an_object);
    BOOST_TEST(parse_error("") != LedgerErrc::not_an_object); // a JSON error: nothing to parse
    auto const& json_category = boost::json::make_error_code(boost::json::error::syntax).category();
    BOOST_TEST((parse_error("{\"v\":1} {\"v\":1}").category() == json_category));
    // Boost.JSON refuses bad UTF-8: the reason the writer never writes any.
    BOOST_TEST((parse_error("{\"v\":1,\"t\":1,\"ev\":\"batch\",\"manifest\":\"\xff\"}").category() ==
                json_category));
}

BOOST_AUTO_TEST_CASE(missing_required_fields) {
    BOOST_TEST(parse_error(R"({"t":5,"job":"j","req":"r","ev":"progress"})") == LedgerErrc::missing_field);
    BOOST_TEST(parse_error(R"({"v":1,"job":"j","req":"r","ev":"progress"})") == LedgerErrc::missing_field);
    BOOST_TEST(parse_error(R"({"v":1,"t":5,"job":"j","req":"r"})") == LedgerErrc::missing_field);
    BOOST_TEST(parse_error(R"({"v":1,"t":5,"req":"r","ev":"progress"})") == LedgerErrc::missing_field);
    BOOST_TEST(parse_error(R"({"v":1,"t":5,"job":"j","ev":"progress"})") == LedgerErrc::missing_field);
    BOOST_TEST(parse_error(R"({"v":null,"t":5,"job":"j","req":"r","ev":"progress"})") ==
               LedgerErrc::missing_field);
    // A batch event carries no job fields.
    BOOST_TEST(parse_json_line(R"({"v":1,"t":5,"ev":"batch"})").has_value());
}

BOOST_AUTO_TEST_CASE(unknown_event_and_version) {
    BOOST_TEST(parse_error(R"({"v":1,"t":5,"job":"j","req":"r","ev":"exploded"})") ==
               LedgerErrc::unknown_event);
    BOOST_TEST(parse_error(R"({"v":2,"t":5,"job":"j","req":"r","ev":"progress"})") ==
               LedgerErrc::unsupported_version);
    BOOST_TEST(parse_error(R"({"v":0,"t":5,"ev":"batch"})") == LedgerErrc::unsupported_version);
    BOOST_TEST(parse_error(R"({"v":99999999999,"t":5,"ev":"batch"})") == LedgerErrc::unsupported_version);
}

BOOST_AUTO_TEST_CASE(wrong_types) {
    BOOST_TEST(parse_error(R"({"v":"1","t":5,"ev":"batch"})") == LedgerErrc::wrong_type);
    BOOST_TEST(parse_error(R"({"v":1.0,"t":5,"ev":"batch"})") == LedgerErrc::wrong_type);
    BOOST_TEST(parse_error(R"({"v":1,"t":"5","ev":"batch"})") == LedgerErrc::wrong_type);
    BOOST_TEST(parse_error(R"({"v":1,"t":5,"ev":3})") == LedgerErrc::wrong_type);
    BOOST_TEST(parse_error(R"({"v":1,"t":5,"job":7,"req":"r","ev":"progress"})") == LedgerErrc::wrong_type);
    BOOST_TEST(parse_error(R"({"v":1,"t":5,"ev":"batch","job":7})") == LedgerErrc::wrong_type);
    BOOST_TEST(parse_error(line_with("progress", "\"5\"")) == LedgerErrc::wrong_type);
    BOOST_TEST(parse_error(line_with("attempt", "1.5")) == LedgerErrc::wrong_type);
    BOOST_TEST(parse_error(line_with("eta_s", "true")) == LedgerErrc::wrong_type);
    BOOST_TEST(parse_error(line_with("credits", "[]")) == LedgerErrc::wrong_type);
    BOOST_TEST(parse_error(line_with("task", "12")) == LedgerErrc::wrong_type);
    BOOST_TEST(parse_error(line_with("results", "\"https://x\"")) == LedgerErrc::wrong_type);
    BOOST_TEST(parse_error(line_with("results", "[\"a\",2]")) == LedgerErrc::wrong_type);
    BOOST_TEST(parse_error(line_with("error", "\"boom\"")) == LedgerErrc::wrong_type);
    BOOST_TEST(parse_error(line_with("error", R"({"code":500,"message":"x"})")) == LedgerErrc::wrong_type);
    BOOST_TEST(parse_error(line_with("bytes", "\"10\"")) == LedgerErrc::wrong_type);
}

BOOST_AUTO_TEST_CASE(numbers_out_of_range) {
    BOOST_TEST(parse_error(line_with("bytes", "-1")) == LedgerErrc::out_of_range);
    BOOST_TEST(parse_error(line_with("attempt", "2147483648")) == LedgerErrc::out_of_range);
    BOOST_TEST(parse_error(line_with("progress", "-2147483649")) == LedgerErrc::out_of_range);
    BOOST_TEST(parse_error(line_with("credits", "9223372036854775808")) == LedgerErrc::out_of_range);
    BOOST_TEST(parse_error(R"({"v":1,"t":18446744073709551615,"ev":"batch"})") == LedgerErrc::out_of_range);
    // Writer and reader agree on every value the types hold, even odd ones: replay must never
    // reject a line we wrote.
    auto const parsed = parse_json_line(line_with("progress", "150"));
    BOOST_TEST_REQUIRE(parsed.has_value());
    BOOST_TEST((parsed->progress == std::optional<int>(150)));
}

BOOST_AUTO_TEST_CASE(error_fields_default_to_empty) {
    auto const parsed = parse_json_line(line_with("error", R"({"code":"server_error"})"));
    BOOST_TEST_REQUIRE(parsed.has_value());
    BOOST_TEST_REQUIRE(parsed->error.has_value());
    BOOST_TEST(parsed->error->code == "server_error");
    BOOST_TEST(parsed->error->message.empty());
}

BOOST_AUTO_TEST_CASE(our_own_lines_read_by_hand_as_the_json_parser_reads_them) {
    // Lines exactly as we write them take a hand-written path; a space after the `{` sends the
    // same line through the JSON parser. Both must read the same event, for every mix of
    // fields and the integers at their limits (out of range: both must refuse alike).
    std::mt19937 rng(20261125);
    auto const pick = [&](std::size_t n) { return static_cast<std::size_t>(rng() % n); };
    std::array<std::string, 9> const texts{"",  "a",        "clip-007", "}",          "],[",
                                           ":", ",\"x\":1", "\x7f",     "caf\xc3\xa9"};
    std::array<std::int64_t, 5> const longs{0, -1, 1'767'225'600'123,
                                            std::numeric_limits<std::int64_t>::max(),
                                            std::numeric_limits<std::int64_t>::min()};
    std::array<int, 5> const ints{0, 7, -3, std::numeric_limits<int>::max(), std::numeric_limits<int>::min()};
    for (int i = 0; i < 3000; ++i) {
        Event e;
        e.type = k_all_types.at(pick(k_all_types.size()));
        e.t_ms = longs.at(pick(longs.size()));
        if (e.type != EventType::batch) {
            e.job = texts.at(pick(texts.size()));
            e.req = texts.at(pick(texts.size()));
        }
        for (auto* field : {&e.task, &e.key, &e.rid, &e.file, &e.sha256, &e.manifest, &e.digest}) {
            if (pick(2) == 0) {
                *field = texts.at(pick(texts.size()));
            }
        }
        for (auto* field : {&e.attempt, &e.progress, &e.eta_s}) {
            if (pick(2) == 0) {
                *field = ints.at(pick(ints.size()));
            }
        }
        if (pick(2) == 0) {
            e.credits = longs.at(pick(longs.size()));
        }
        if (pick(2) == 0) {
            e.bytes = pick(2) == 0 ? std::numeric_limits<std::uint64_t>::max() : 18'000'000U;
        }
        for (std::size_t r = pick(3); r > 0; --r) {
            e.results.push_back(texts.at(pick(texts.size())));
        }
        if (pick(2) == 0) {
            e.error = EventError{texts.at(pick(texts.size())), texts.at(pick(texts.size()))};
        }
        std::string const line = to_json_line(e);
        auto const by_hand = parse_json_line(line);
        auto const by_json = parse_json_line("{ " + line.substr(1));
        BOOST_TEST_CONTEXT(line) {
            BOOST_TEST_REQUIRE(by_hand.has_value());
            BOOST_TEST_REQUIRE(by_json.has_value());
            BOOST_TEST(*by_hand == e);
            BOOST_TEST(*by_json == e);
        }
    }
    // Near misses of our form go to the JSON parser, which refuses or accepts them as JSON does.
    std::string const good = R"({"v":1,"t":5,"job":"j","req":"r","ev":"progress","attempt":3})";
    BOOST_TEST(parse_json_line(good).has_value());
    auto const& json_category = boost::json::make_error_code(boost::json::error::syntax).category();
    for (std::string_view const bad : {R"({"v":1,"t":05,"job":"j","req":"r","ev":"progress"})",
                                       R"({"v":1,"t":5,"job":"j","req":"r","ev":"progress","attempt":3,})",
                                       R"({"v":1,"t":5,"job":"j","req":"r","ev":"progress","attempt":+3})",
                                       R"({"v":1,"t":5,"job":"j","req":"r","ev":"progress"}})"}) {
        BOOST_TEST((parse_error(bad).category() == json_category), bad);
    }
    BOOST_TEST(parse_error(R"({"v":1,"t":5,"job":"j","req":"r","ev":"progress","attempt":3.0})") ==
               LedgerErrc::wrong_type);
    auto const minus_zero =
        parse_json_line(R"({"v":1,"t":5,"job":"j","req":"r","ev":"progress","attempt":-0})");
    BOOST_TEST_REQUIRE(minus_zero.has_value()); // JSON reads -0 as the integer 0
    BOOST_TEST((minus_zero->attempt == std::optional<int>(0)));
    auto const dup =
        parse_json_line(R"({"v":1,"t":5,"job":"j","req":"r","ev":"progress","attempt":3,"attempt":4})");
    BOOST_TEST_REQUIRE(dup.has_value()); // a JSON object keeps the last of duplicate keys
    BOOST_TEST((dup->attempt == std::optional<int>(4)));
    auto const batch_with_job = parse_json_line(R"({"v":1,"t":5,"job":"j","req":"r","ev":"batch"})");
    BOOST_TEST_REQUIRE(batch_with_job.has_value());
    BOOST_TEST(batch_with_job->job == "j");
    BOOST_TEST(parse_error(R"({"v":1,"t":5,"ev":"progress"})") == LedgerErrc::missing_field);
}

BOOST_AUTO_TEST_CASE(now_is_utc_milliseconds) {
    auto const t = now_ms();
    BOOST_TEST(t > 1'700'000'000'000); // after November 2023, in ms
    BOOST_TEST(t < 4'102'444'800'000); // before 2100
}

BOOST_AUTO_TEST_SUITE_END()
