#include "download/part_file.hpp"

#include "common/temp_dir.hpp"
#include "evobatch/util/sha256.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/test/unit_test.hpp>

#include <fcntl.h>
#include <sys/stat.h>

#include <fstream>
#include <iterator>
#include <sstream>

using namespace evobatch;
using download::detail::PartFile;
namespace asio = boost::asio;

namespace {

std::string read_all(std::filesystem::path const& file) {
    std::ifstream in(file, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Pieces of `text` appended through `part` in buffers of `piece` bytes; the sealed hash.
asio::awaitable<std::string> append_all(PartFile& part, std::string_view text, std::size_t piece) {
    std::vector<char> buffer(piece);
    for (std::size_t at = 0; at < text.size(); at += piece) {
        std::size_t const n = std::min(piece, text.size() - at);
        std::copy_n(text.data() + at, n, buffer.begin());
        void const* const handed = buffer.data(); // a pointer, not a C string to compare
        auto const error = co_await part.append(buffer, n);
        BOOST_TEST(!error);
        BOOST_TEST(buffer.size() >= piece); // a spare at least as large came back
        BOOST_TEST(static_cast<void const*>(buffer.data()) != handed); // and it is not the one in flight
    }
    BOOST_TEST(!co_await part.settle());
    co_return (co_await part.seal()).sha256;
}

struct Fixture {
    test::TempDir dir;
    asio::io_context io;
    asio::thread_pool pool{2};
    ~Fixture() { pool.join(); }

    std::shared_ptr<PartFile> open(std::string const& name) {
        boost::system::error_code error;
        auto part = PartFile::open(dir.path() / name, io.get_executor(), pool, error);
        BOOST_TEST_REQUIRE(part != nullptr);
        BOOST_TEST(!error);
        return part;
    }
};

std::string text_of(std::size_t n) {
    std::string text(n, '\0');
    for (std::size_t i = 0; i < n; ++i) {
        text[i] = static_cast<char>('a' + (i * 7 + i / 13) % 26);
    }
    return text;
}

} // namespace

BOOST_TEST_DONT_PRINT_LOG_VALUE(std::optional<std::string>)

BOOST_FIXTURE_TEST_SUITE(part_file, Fixture)

BOOST_AUTO_TEST_CASE(pieces_are_written_in_order_and_hashed_while_they_arrive) {
    std::string const text = text_of(100'003);
    auto part = open("a.part");
    std::string digest;
    asio::co_spawn(io, [&]() -> asio::awaitable<void> { digest = co_await append_all(*part, text, 4096); },
                   asio::detached);
    io.run();
    BOOST_TEST(part->size() == text.size());
    BOOST_TEST(digest == util::sha256_hex(text));
    part->close();
    BOOST_TEST(read_all(dir.path() / "a.part") == text);
}

BOOST_AUTO_TEST_CASE(bytes_an_earlier_run_left_are_read_back_into_the_hash) {
    std::string const text = text_of(50'000);
    dir.write("b.part", text.substr(0, 12'345)); // what a killed run kept
    auto part = open("b.part");
    BOOST_TEST(part->size() == 12'345u);
    std::string digest;
    asio::co_spawn(io, [&]() -> asio::awaitable<void> {
        digest = co_await append_all(*part, std::string_view(text).substr(12'345), 1000);
    }, asio::detached);
    io.run();
    BOOST_TEST(digest == util::sha256_hex(text));
    BOOST_TEST(read_all(dir.path() / "b.part") == text);
}

BOOST_AUTO_TEST_CASE(a_part_sealed_without_new_bytes_hashes_what_is_on_disk) {
    std::string const text = text_of(3000);
    dir.write("c.part", text);
    auto part = open("c.part");
    PartFile::Sealed sealed;
    asio::co_spawn(io, [&]() -> asio::awaitable<void> { sealed = co_await part->seal(); }, asio::detached);
    io.run();
    BOOST_TEST(sealed.sha256 == util::sha256_hex(text));
    BOOST_TEST(sealed.head == text.substr(0, PartFile::k_head_bytes)); // for the magic-bytes check
}

BOOST_AUTO_TEST_CASE(truncating_starts_the_file_and_its_hash_over) {
    auto part = open("d.part");
    std::string const first = text_of(9000);
    std::string const second = "the whole file, sent again";
    std::string digest;
    asio::co_spawn(io, [&]() -> asio::awaitable<void> {
        std::vector<char> buffer(first.begin(), first.end());
        BOOST_TEST(!co_await part->append(buffer, first.size()));
        BOOST_TEST(!co_await part->settle());
        BOOST_TEST(!part->truncate());
        BOOST_TEST(part->size() == 0u);
        digest = co_await append_all(*part, second, 7);
    }, asio::detached);
    io.run();
    BOOST_TEST(digest == util::sha256_hex(second));
    BOOST_TEST(read_all(dir.path() / "d.part") == second);
}

// An empty 200 that fails its checks (no video box, a wrong digest) leaves an empty part that
// was sealed, and emptying an empty part truncates nothing: the next answer's bytes go to the
// same PartFile. They are hashed whole (the sealed hash threw std::runtime_error in the pool
// job, outside its catch, which ended the process).
BOOST_AUTO_TEST_CASE(a_sealed_empty_part_takes_the_next_answer) {
    auto part = open("e.part");
    std::string const body = text_of(5000);
    PartFile::Sealed empty;
    std::string digest;
    asio::co_spawn(io, [&]() -> asio::awaitable<void> {
        empty = co_await part->seal();
        digest = co_await append_all(*part, body, 4096);
    }, asio::detached);
    io.run();
    BOOST_TEST(empty.sha256 == util::sha256_hex(""));
    BOOST_TEST(digest == util::sha256_hex(body));
    BOOST_TEST(read_all(dir.path() / "e.part") == body);
}

// The same for bytes appended to a sealed part that is not empty: the hash covers them all.
BOOST_AUTO_TEST_CASE(bytes_appended_after_a_seal_are_hashed_after_the_earlier_ones) {
    auto part = open("f.part");
    std::string const first = text_of(3000);
    std::string const more = "and then some";
    std::string sealed_first;
    std::string digest;
    asio::co_spawn(io, [&]() -> asio::awaitable<void> {
        sealed_first = co_await append_all(*part, first, 1000);
        digest = co_await append_all(*part, more, 4);
    }, asio::detached);
    io.run();
    BOOST_TEST(sealed_first == util::sha256_hex(first));
    BOOST_TEST(digest == util::sha256_hex(first + more));
}

BOOST_AUTO_TEST_CASE(a_part_that_cannot_be_opened_says_why) {
    boost::system::error_code error;
    auto part = PartFile::open(dir.path() / "missing-folder" / "e.part", io.get_executor(), pool, error);
    BOOST_TEST(part == nullptr);
    BOOST_TEST(error == boost::system::errc::no_such_file_or_directory);
}

BOOST_AUTO_TEST_CASE(a_failed_write_is_reported_and_stops_later_pieces) {
    // open() refuses devices, so the descriptor is handed in directly.
    download::detail::Fd fd(::open("/dev/full", O_RDWR | O_CLOEXEC)); // every write: ENOSPC
    BOOST_TEST_REQUIRE(fd.get() >= 0);
    auto part = std::make_shared<PartFile>(std::move(fd), 0, 0, 0, io.get_executor(), pool);
    boost::system::error_code settled;
    boost::system::error_code next;
    asio::co_spawn(io, [&]() -> asio::awaitable<void> {
        std::vector<char> buffer(100, 'x');
        BOOST_TEST(!co_await part->append(buffer, buffer.size())); // queued: the pool finds out
        settled = co_await part->settle();
        next = co_await part->append(buffer, buffer.size());
    }, asio::detached);
    io.run();
    BOOST_TEST(settled == boost::system::errc::no_space_on_device);
    BOOST_TEST(next == boost::system::errc::no_space_on_device);
}

BOOST_AUTO_TEST_CASE(a_symlink_is_never_opened_and_its_victim_stays_as_it_was) {
    auto const victim = dir.write("elsewhere/victim.txt", "precious");
    std::filesystem::create_symlink(victim, dir.path() / "f.part");
    boost::system::error_code error;
    auto part = PartFile::open(dir.path() / "f.part", io.get_executor(), pool, error);
    BOOST_TEST(part == nullptr);
    BOOST_TEST(error == boost::system::errc::too_many_symbolic_link_levels);
    BOOST_TEST(read_all(victim) == "precious");
    auto const why = download::detail::not_a_regular_file(dir.path() / "f.part");
    BOOST_TEST_REQUIRE(why.has_value());
    BOOST_TEST(why->find((dir.path() / "f.part").string()) != std::string::npos);
    BOOST_TEST(why->find("symbolic link") != std::string::npos);
    // The record beside a part is read and written the same way.
    BOOST_TEST(!download::detail::read_small_file(dir.path() / "f.part").has_value());
    BOOST_TEST(download::detail::write_small_file(dir.path() / "f.part", "{}") ==
               boost::system::errc::too_many_symbolic_link_levels);
    BOOST_TEST(read_all(victim) == "precious");
}

BOOST_AUTO_TEST_CASE(other_files_that_are_not_regular_are_refused_without_blocking) {
    BOOST_TEST_REQUIRE(::mkfifo((dir.path() / "g.part").c_str(), 0600) == 0);
    boost::system::error_code error;
    BOOST_TEST(PartFile::open(dir.path() / "g.part", io.get_executor(), pool, error) == nullptr); // no reader needed
    BOOST_TEST(error == boost::system::errc::invalid_argument);
    BOOST_TEST(download::detail::not_a_regular_file(dir.path() / "g.part").has_value());
    BOOST_TEST(PartFile::open("/dev/null", io.get_executor(), pool, error) == nullptr);
    BOOST_TEST(!download::detail::not_a_regular_file(dir.path() / "missing").has_value());
    BOOST_TEST(!download::detail::not_a_regular_file(dir.write("h.part", "x")).has_value());
}

BOOST_AUTO_TEST_CASE(a_part_knows_whether_its_name_still_holds_it) {
    auto part = open("i.part");
    BOOST_TEST(part->is_at(dir.path() / "i.part"));
    std::filesystem::rename(dir.path() / "i.part", dir.path() / "moved.part");
    dir.write("i.part", "someone else's");
    BOOST_TEST(!part->is_at(dir.path() / "i.part"));
    std::filesystem::remove(dir.path() / "i.part");
    std::filesystem::create_symlink(dir.path() / "moved.part", dir.path() / "i.part");
    BOOST_TEST(!part->is_at(dir.path() / "i.part")); // a link to it is not it
}

BOOST_AUTO_TEST_CASE(small_files_round_trip) {
    auto const path = dir.path() / "j.part.json";
    BOOST_TEST(!download::detail::write_small_file(path, "first, longer text"));
    BOOST_TEST(!download::detail::write_small_file(path, "second"));
    BOOST_TEST(download::detail::read_small_file(path) == std::optional<std::string>("second"));
    BOOST_TEST(!download::detail::read_small_file(dir.path() / "none.json").has_value());
    dir.write("big.json", std::string(64 * 1024 + 1, 'x'));
    BOOST_TEST(!download::detail::read_small_file(dir.path() / "big.json").has_value());
}

BOOST_AUTO_TEST_SUITE_END()
