// The ledger file under its lock: creation, the exclusive lock, repair of a torn tail left by a
// crash, and the blocking write+fdatasync (short writes, errors). Synchronous: no io_context.

#include "ledger/ledger_file.hpp"

#include "evobatch/ledger/error.hpp"
#include "evobatch/ledger/event.hpp"

#include "common/temp_dir.hpp"

#include <boost/test/unit_test.hpp>

#include <csignal>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>

#include <sys/resource.h>

namespace {

using namespace evobatch::ledger;
using evobatch::test::TempDir;

std::string read_all(std::filesystem::path const& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::string line(int n) {
    Event e;
    e.type = EventType::progress;
    e.t_ms = n;
    e.job = "job-" + std::to_string(n);
    e.req = "req";
    e.progress = n;
    return to_json_line(e);
}

// Limits the size of files this process writes, and ignores the SIGXFSZ that crossing the limit
// raises, for one test's scope: the only way to get a real short write from a regular file.
class FileSizeLimit {
public:
    explicit FileSizeLimit(rlim_t limit) {
        ::getrlimit(RLIMIT_FSIZE, &m_saved);
        m_saved_handler = std::signal(SIGXFSZ, SIG_IGN);
        rlimit const lowered{limit, m_saved.rlim_max};
        BOOST_REQUIRE(::setrlimit(RLIMIT_FSIZE, &lowered) == 0);
    }
    ~FileSizeLimit() {
        ::setrlimit(RLIMIT_FSIZE, &m_saved);
        std::signal(SIGXFSZ, m_saved_handler);
    }
    FileSizeLimit(FileSizeLimit const&) = delete;
    FileSizeLimit& operator=(FileSizeLimit const&) = delete;

private:
    rlimit m_saved{};
    void (*m_saved_handler)(int) = nullptr;
};

} // namespace

BOOST_AUTO_TEST_SUITE(ledger_file)

BOOST_AUTO_TEST_CASE(creates_folders_and_file) {
    TempDir dir;
    auto const path = dir.path() / "a" / "b" / "ledger.jsonl";
    detail::LedgerFile file(path);
    BOOST_TEST(file.is_open());
    BOOST_TEST(std::filesystem::is_regular_file(path));
    BOOST_TEST(std::filesystem::file_size(path) == 0U);
    BOOST_TEST(file.dropped_tail_bytes() == 0U);
}

BOOST_AUTO_TEST_CASE(second_open_is_busy_until_the_first_closes) {
    TempDir dir;
    auto const path = dir.path() / "ledger.jsonl";
    detail::LedgerFile first(path);
    try {
        detail::LedgerFile second(path);
        BOOST_FAIL("a second open of a locked ledger must throw");
    } catch (LedgerBusy const& e) {
        std::string const what = e.what();
        BOOST_TEST(what.find(path.string()) != std::string::npos);
        BOOST_TEST(what.find("another evobatch run") != std::string::npos);
    }
    first.close();
    BOOST_CHECK_NO_THROW(detail::LedgerFile again(path));
}

BOOST_AUTO_TEST_CASE(other_failures_are_runtime_errors_naming_the_path) {
    TempDir dir;
    auto const folder = dir.path() / "is-a-folder";
    std::filesystem::create_directories(folder);
    try {
        detail::LedgerFile file(folder);
        BOOST_FAIL("opening a folder as the ledger must throw");
    } catch (LedgerBusy const&) {
        BOOST_FAIL("not a lock problem");
    } catch (std::runtime_error const& e) {
        BOOST_TEST(std::string(e.what()).find(folder.string()) != std::string::npos);
        BOOST_TEST(std::string(e.what()).find("Is a directory") != std::string::npos);
    }
}

BOOST_AUTO_TEST_CASE(torn_tail_is_cut_off) {
    TempDir dir;
    std::string const whole = line(1) + line(2);
    std::string const torn = line(3).substr(0, 25);
    auto const path = dir.write("ledger.jsonl", whole + torn);
    detail::LedgerFile file(path);
    BOOST_TEST(file.dropped_tail_bytes() == torn.size());
    BOOST_TEST(read_all(path) == whole);
}

BOOST_AUTO_TEST_CASE(torn_first_line_is_cut_off) {
    TempDir dir;
    auto const path = dir.write("ledger.jsonl", "{\"v");
    detail::LedgerFile file(path);
    BOOST_TEST(file.dropped_tail_bytes() == 3U);
    BOOST_TEST(read_all(path).empty());
}

BOOST_AUTO_TEST_CASE(whole_event_without_newline_gets_its_newline) {
    TempDir dir;
    std::string const last = line(2);
    auto const path = dir.write("ledger.jsonl", line(1) + last.substr(0, last.size() - 1));
    detail::LedgerFile file(path);
    BOOST_TEST(file.dropped_tail_bytes() == 0U);
    BOOST_TEST(read_all(path) == line(1) + line(2));
}

BOOST_AUTO_TEST_CASE(foreign_tail_is_refused_and_left_alone) {
    TempDir dir;
    std::string const content = line(1) + "not a ledger line";
    auto const path = dir.write("ledger.jsonl", content);
    BOOST_CHECK_THROW(detail::LedgerFile file(path), std::runtime_error);
    BOOST_TEST(read_all(path) == content);
    // And the lock was released on the way out.
    std::filesystem::resize_file(path, line(1).size());
    BOOST_CHECK_NO_THROW(detail::LedgerFile file(path));
}

BOOST_AUTO_TEST_CASE(complete_file_is_untouched) {
    TempDir dir;
    std::string const content = line(1) + line(2);
    auto const path = dir.write("ledger.jsonl", content);
    detail::LedgerFile file(path);
    BOOST_TEST(read_all(path) == content);
}

BOOST_AUTO_TEST_CASE(write_and_sync_writes_everything_and_syncs) {
    TempDir dir;
    auto const path = dir.path() / "ledger.jsonl";
    detail::LedgerFile file(path);
    std::string const data = line(1) + line(2) + line(3);
    auto const outcome = detail::write_and_sync(file.fd(), data);
    BOOST_TEST(!outcome.ec);
    BOOST_TEST(outcome.synced);
    BOOST_TEST(outcome.writes == 1U);
    BOOST_TEST(outcome.bytes == data.size());
    BOOST_TEST(read_all(path) == data);
}

BOOST_AUTO_TEST_CASE(short_write_then_error_is_reported_with_what_was_written) {
    TempDir dir;
    auto const path = dir.path() / "ledger.jsonl";
    detail::LedgerFile file(path);
    std::string const data(1000, 'x');
    detail::WriteOutcome outcome;
    {
        FileSizeLimit limit(300);
        outcome = detail::write_and_sync(file.fd(), data);
    }
    // The first write() comes back short (300 bytes), the loop tries again and gets EFBIG.
    BOOST_TEST(outcome.ec == boost::system::errc::file_too_large);
    BOOST_TEST(outcome.writes == 1U);
    BOOST_TEST(outcome.bytes == 300U);
    BOOST_TEST(!outcome.synced);
    BOOST_TEST(std::filesystem::file_size(path) == 300U);
}

BOOST_AUTO_TEST_CASE(write_error_on_a_bad_descriptor) {
    auto const outcome = detail::write_and_sync(-1, "x");
    BOOST_TEST(outcome.ec == boost::system::errc::bad_file_descriptor);
    BOOST_TEST(outcome.writes == 0U);
}

BOOST_AUTO_TEST_SUITE_END()
