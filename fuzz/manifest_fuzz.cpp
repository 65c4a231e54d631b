// libFuzzer target: the manifest loader (YAML parse, every rule, id derivation) on any bytes.
// It must answer with a manifest or diagnostics, never crash, hang or leak; a manifest it
// accepts must hold only jobs that passed the rules (ids unique and non-empty).

#include "evobatch/manifest/loader.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <set>
#include <string>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size) {
    std::string_view const text(reinterpret_cast<char const*>(data), size);
    // Relative video_list / ca_file paths resolve under a folder that does not exist.
    auto const result = evobatch::manifest::load_manifest_text(text, "fuzz.yaml", "/nonexistent-evobatch-fuzz");
    if (!result.ok() && result.diagnostics.empty()) {
        std::abort(); // refused without saying why
    }
    if (result.ok()) {
        std::set<std::string> ids;
        for (auto const& job : result.manifest->jobs) {
            if (job.id.empty() || !ids.insert(job.id).second) {
                std::abort();
            }
        }
    }
    return 0;
}
