// What evobatch parses around MediaInfoLib while probing (src/probe): the box cursor that finds
// a fragmented file's mvex, the feeding of ranges and pieces (jumps, pieces cut anywhere, a
// host's total that lies), and an image's magic bytes. The first input byte chooses how the
// host answers; the rest is the file. The probe must end within its budget, never read outside
// what it was given, and say a size it was told.

#include "evobatch/probe/image_magic.hpp"
#include "evobatch/probe/video_probe.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <variant>

using namespace evobatch::probe;

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size) {
    if (size < 1) {
        return 0;
    }
    std::uint8_t const mode = data[0];
    std::string_view const file(reinterpret_cast<char const*>(data + 1), size - 1);
    (void)image_format_of(file.substr(0, k_image_magic_bytes));

    ProbeBudget budget;
    // Pieces of at least 512 bytes: the budget (bytes given) then ends a probe within
    // max_bytes / 512 steps, whatever the parser asks.
    budget.first_request = 512 + (mode & 0x0F) * 512;
    budget.next_request = 1024 + ((mode >> 4) & 0x03) * 4096;
    budget.max_bytes = 1 << 20;
    int const max_steps = static_cast<int>(budget.max_bytes / 512) + 4;
    // A host may claim more than it has (a lying Content-Length); never less than it sends.
    std::uint64_t const total = (mode & 0x40) != 0 ? file.size() * 3 + 7 : file.size();
    bool const whole_body = (mode & 0x80) != 0; // a host that ignores Range: pieces from 0

    VideoProbe probe(budget);
    FetchRange want = probe.start();
    std::size_t piece = budget.first_request;
    for (int step = 0; step < max_steps; ++step) {
        std::uint64_t const offset = whole_body ? static_cast<std::uint64_t>(step) * piece : want.offset;
        std::string_view const bytes =
            offset < file.size() ? file.substr(static_cast<std::size_t>(offset), whole_body ? piece : want.length)
                                 : std::string_view();
        ProbeStep const next = probe.resume(offset, bytes, total);
        if (auto const* facts = std::get_if<VideoFacts>(&next)) {
            if (facts->size != total) {
                std::abort(); // the size is the host's, never the parser's guess
            }
            return 0;
        }
        want = std::get<FetchRange>(next);
        if (want.length == 0) {
            std::abort(); // a fetch of nothing would never end
        }
    }
    std::abort(); // the budget must end every probe
}
