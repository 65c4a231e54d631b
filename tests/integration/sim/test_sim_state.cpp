// The simulator's state file over real TLS on loopback: a simulator started on the file of an
// earlier one answers for that one's tasks (queries, batch reads, idempotent replays, result
// files, credits) as it did, on the same port when free; its tasks go on running by the wall
// clock while no simulator runs; a damaged, foreign or locked file is refused with its line.

#include "integration/sim/sim_test_support.hpp"

#include "evobatch/sim/file_content.hpp"

#include "common/temp_dir.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/json/parse.hpp>

#include <algorithm>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>

using namespace evobatch;
using namespace evobatch::test;
namespace asio = boost::asio;
namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

constexpr char const* k_key = "state-test-api-key-0123456789";
constexpr std::uint64_t k_file_bytes = 50'000;

sim::SimOptions with_state(fs::path const& file, double time_scale) {
    sim::SimOptions o;
    o.time_scale = time_scale;
    o.state_file = file;
    o.key = k_key;
    o.file_bytes = k_file_bytes;
    return o;
}

std::string video(int i) {
    return "https://cdn.example.com/state/clip-" + std::to_string(i) + ".mp4";
}

std::string key_of(int i) {
    return "job-" + std::to_string(i) + ".attempt-1.0123456789abcdef";
}

HttpCall authorized(HttpCall call) {
    return with_bearer(std::move(call), k_key);
}

// Creates a task for video(i) under key_of(i); returns its id.
asio::awaitable<std::string> create_task(HttpsTestClient& client, int i) {
    HttpReply const r = co_await exchange(
        client, authorized(post("/v1/videos/generations", create_body(video(i)), key_of(i))));
    co_return parse_task_or_fail(r).id;
}

std::string read_text(fs::path const& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

// The message of the std::runtime_error that start() throws, or "" when it starts.
std::string start_error(sim::SimOptions const& o) {
    sim::Simulator s(o);
    try {
        s.start();
    } catch (std::runtime_error const& e) {
        return e.what();
    }
    return {};
}

} // namespace

BOOST_AUTO_TEST_SUITE(sim_state)

BOOST_AUTO_TEST_CASE(a_restarted_simulator_answers_for_the_tasks_of_the_last_one_as_it_did) {
    TempDir dir;
    auto o = with_state(dir.path() / "sim.jsonl", 0.001); // 0.12 to 0.58 s a task
    o.fail_ratio = 0.5;
    o.credits = 1000;
    constexpr int k_tasks = 6;
    std::map<std::string, std::string> answered; // id -> the task's final answer
    std::vector<std::string> ids;
    std::string credits_before;
    sim::SimStats first;
    std::uint16_t port = 0;
    {
        SimFixture f(o);
        port = f.port();
        f.run([&]() -> asio::awaitable<void> {
            HttpsTestClient client(f.io.get_executor(), f.ca_file(), f.port());
            for (int i = 0; i < k_tasks; ++i) {
                ids.push_back(co_await create_task(client, i));
            }
            for (auto const& id : ids) {
                answered[id] = api::to_json_text(co_await wait_until_done(client, id, 10s, k_key));
            }
            credits_before = (co_await exchange(client, authorized(get("/v1/credits")))).body;
        }());
        first = f.sim.stats();
    }
    std::string const saved = read_text(*o.state_file);
    BOOST_TEST(saved.find(k_key) == std::string::npos); // never the API key
    BOOST_TEST(saved.find(key_of(0)) != std::string::npos);
    BOOST_TEST(std::count(saved.begin(), saved.end(), '\n') == k_tasks + 1); // a start line, then the tasks

    SimFixture f(o);
    BOOST_TEST(f.port() == port); // the links given out before still work
    f.run([&]() -> asio::awaitable<void> {
        HttpsTestClient client(f.io.get_executor(), f.ca_file(), f.port());
        int completed = 0;
        for (auto const& id : ids) {
            HttpReply const r = co_await exchange(client, authorized(get("/v1/tasks/" + id)));
            api::Task const task = parse_task_or_fail(r);
            BOOST_TEST(api::to_json_text(task) == answered[id]);
            if (task.status == api::TaskStatus::completed) {
                ++completed;
                BOOST_REQUIRE(task.results.size() == 1u);
                BOOST_TEST(task.results[0] == f.base_url() + "/files/" + id + "/0.mp4");
                HttpReply const file = co_await exchange(client, get("/files/" + id + "/0.mp4"));
                BOOST_TEST(file.status == 200u);
                BOOST_TEST((file.body == sim::expected_file_bytes(id, k_file_bytes)));
            }
        }
        BOOST_TEST(completed > 0);
        BOOST_TEST(completed < k_tasks); // some failed: their failure came back too

        // A named local, not a temporary of the co_await expression: GCC 12 destroyed that twice.
        std::string const read_all = api::to_json_text(api::BatchReadRequest{ids});
        HttpReply const batch = co_await exchange(client, authorized(post("/v1/tasks/batch", read_all)));
        auto const tasks = api::parse_task_list(batch.body);
        BOOST_REQUIRE(tasks.has_value());
        BOOST_REQUIRE(tasks->size() == ids.size());
        for (auto const& t : *tasks) {
            BOOST_TEST(api::to_json_text(t) == answered[t.id]);
        }

        // The same key and body: the first simulator's task, not a new one; another body conflicts.
        HttpReply const again = co_await exchange(
            client, authorized(post("/v1/videos/generations", create_body(video(2)), key_of(2))));
        BOOST_TEST(parse_task_or_fail(again).id == ids[2]);
        BOOST_TEST(again.header("idempotency-replayed") == "true");
        HttpReply const other = co_await exchange(
            client, authorized(post("/v1/videos/generations", create_body(video(9)), key_of(2))));
        check_error(other, 409, "idempotency_conflict", "Idempotency-Key");

        BOOST_TEST((co_await exchange(client, authorized(get("/v1/credits")))).body == credits_before);
    }());
    auto const s = f.sim.stats();
    BOOST_TEST(s.tasks_reloaded == static_cast<std::uint64_t>(k_tasks));
    BOOST_TEST(s.tasks_created == 0u);
    BOOST_TEST(s.replays == 1u);
    BOOST_TEST(s.tasks_completed + s.tasks_failed == static_cast<std::uint64_t>(k_tasks));
    BOOST_TEST(s.credits_spent == first.credits_spent);
    BOOST_TEST(s.credits_refunded == first.credits_refunded);
    BOOST_TEST(s.credits_reserved_now == 0);
}

BOOST_AUTO_TEST_CASE(reloaded_tasks_have_gone_on_running_by_the_wall_clock) {
    TempDir dir;
    auto const o = with_state(dir.path() / "sim.jsonl", 0.004); // 0.46 to 2.3 s a task
    std::vector<std::string> ids;
    std::chrono::steady_clock::time_point created;
    {
        SimFixture f(o);
        f.run([&]() -> asio::awaitable<void> {
            HttpsTestClient client(f.io.get_executor(), f.ca_file(), f.port());
            for (int i = 0; i < 3; ++i) {
                ids.push_back(co_await create_task(client, i));
                api::Task const t =
                    parse_task_or_fail(co_await exchange(client, authorized(get("/v1/tasks/" + ids.back()))));
                BOOST_TEST(!api::is_terminal(t.status));
            }
        }());
        created = std::chrono::steady_clock::now();
    }
    // No simulator runs meanwhile: only the wall clock can move the tasks on.
    std::this_thread::sleep_until(created + 2400ms);
    auto const started = std::chrono::steady_clock::now();
    SimFixture f(o);
    f.run([&]() -> asio::awaitable<void> {
        HttpsTestClient client(f.io.get_executor(), f.ca_file(), f.port());
        for (auto const& id : ids) {
            api::Task const t =
                parse_task_or_fail(co_await exchange(client, authorized(get("/v1/tasks/" + id))));
            BOOST_TEST(t.status_text == "completed");
            BOOST_TEST(t.progress == 100);
        }
    }());
    // The second simulator has run for less than the shortest task takes: its own clock alone
    // would still show them pending.
    auto const took = std::chrono::steady_clock::now() - started;
    BOOST_TEST((took < 460ms));
}

BOOST_AUTO_TEST_CASE(a_taken_port_gives_new_links_to_the_same_files) {
    TempDir dir;
    auto const o = with_state(dir.path() / "sim.jsonl", 0); // tasks complete at once
    std::string id;
    std::string old_link;
    std::uint16_t old_port = 0;
    {
        SimFixture f(o);
        old_port = f.port();
        f.run([&]() -> asio::awaitable<void> {
            HttpsTestClient client(f.io.get_executor(), f.ca_file(), f.port());
            id = co_await create_task(client, 0);
            old_link = parse_task_or_fail(co_await exchange(client, authorized(get("/v1/tasks/" + id))))
                           .results.at(0);
        }());
    }
    asio::io_context other_io;
    asio::ip::tcp::acceptor squatter(other_io);
    squatter.open(asio::ip::tcp::v4());
    squatter.set_option(asio::ip::tcp::acceptor::reuse_address(true));
    squatter.bind({asio::ip::make_address("127.0.0.1"), old_port});
    squatter.listen();

    SimFixture f(o);
    BOOST_TEST(f.port() != old_port);
    f.run([&]() -> asio::awaitable<void> {
        HttpsTestClient client(f.io.get_executor(), f.ca_file(), f.port());
        api::Task const t = parse_task_or_fail(co_await exchange(client, authorized(get("/v1/tasks/" + id))));
        std::string const old_base = "https://127.0.0.1:" + std::to_string(old_port);
        BOOST_REQUIRE(old_link.starts_with(old_base));
        BOOST_TEST(t.results.at(0) ==
                   f.base_url() + old_link.substr(old_base.size())); // only host:port differ
        HttpReply const file = co_await exchange(client, get(old_link.substr(old_base.size())));
        BOOST_TEST(file.status == 200u);
        BOOST_TEST((file.body == sim::expected_file_bytes(id, k_file_bytes)));
    }());
}

BOOST_AUTO_TEST_CASE(a_damaged_foreign_or_locked_state_file_is_refused_with_its_line) {
    TempDir dir;
    auto o = with_state(dir.path() / "good.jsonl", 0);
    {
        SimFixture f(o);
        f.run([&]() -> asio::awaitable<void> {
            HttpsTestClient client(f.io.get_executor(), f.ca_file(), f.port());
            co_await create_task(client, 0);
        }());
        // One simulator at a time: a second one would miss the first one's tasks.
        std::string const busy = start_error(o);
        BOOST_TEST(busy.find("in use by another simulator") != std::string::npos, busy);
    }
    std::string const good = read_text(*o.state_file);
    auto const newline = good.find('\n');
    std::string const start = good.substr(0, newline + 1);
    std::string const task = good.substr(newline + 1);
    BOOST_REQUIRE(task.starts_with("{\"v\":1,\"ev\":\"task\""));

    auto replace = [](std::string text, std::string const& from, std::string const& to) {
        auto const at = text.find(from);
        BOOST_REQUIRE(at != std::string::npos);
        return text.replace(at, from.size(), to);
    };
    struct Case {
        std::string name;
        std::string text;
        std::string line;
        std::string says;
    };
    std::vector<Case> const cases = {
        {"not-json", start + "{oops\n", ":2:", "not a JSON object"},
        {"other-version", replace(start, "\"v\":1", "\"v\":7") + task, ":1:", "another version"},
        {"missing-field", start + replace(task, "\"digest\":", "\"dig\":"), ":2:", "no \"digest\""},
        {"wrong-type", start + replace(task, "\"cost\":", "\"cost\":\"x\",\"was\":"),
         ":2:", "\"cost\" is not an integer"},
        {"task-first", task + start, ":1:", "not a simulator start line"},
        {"task-twice", start + task + task, ":3:", "already on line 2"},
        {"unknown-line", start + "{\"v\":1,\"ev\":\"party\"}\n", ":2:", "unknown \"ev\""},
        {"foreign-tail", start + "hello", ":2:", "not a simulator state line"},
    };
    for (auto const& c : cases) {
        BOOST_TEST_CONTEXT(c.name) {
            auto bad = o;
            bad.state_file = dir.write(c.name + ".jsonl", c.text);
            std::string const error = start_error(bad);
            BOOST_TEST(error.find(bad.state_file->string() + c.line) != std::string::npos, error);
            BOOST_TEST(error.find(c.says) != std::string::npos, error);
            BOOST_TEST(error.find("move the file away") != std::string::npos, error);
            BOOST_TEST(read_text(*bad.state_file) == c.text); // refused, not repaired
        }
    }

    // A torn last line is a create a crash cut short, never answered: cut off, the rest reloaded.
    auto torn = o;
    torn.state_file = dir.write("torn.jsonl", good + task.substr(0, 30));
    {
        SimFixture f(torn);
        BOOST_TEST(f.sim.stats().tasks_reloaded == 1u);
    }
    std::string const repaired = read_text(*torn.state_file);
    BOOST_TEST(repaired.starts_with(good));
    std::istringstream lines(repaired);
    for (std::string line; std::getline(lines, line);) {
        BOOST_TEST(boost::json::parse(line).is_object(), line);
    }
}

BOOST_AUTO_TEST_SUITE_END()
