#pragma once
// Helpers for manifest tests: load a fragment, and find where an error should point by naming
// the text it should point at (less brittle and more telling than counted columns).

#include "evobatch/manifest/loader.hpp"
#include "evobatch/util/utf8.hpp"

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <string_view>

namespace evobatch::test {

inline manifest::LoadResult load_text(std::string_view yaml, std::filesystem::path const& base = ".") {
    return manifest::load_manifest_text(yaml, "m.yaml", base);
}

// Line and column (1-based, columns in characters) of the `nth` occurrence of `needle`.
inline util::TextPosition where(std::string_view text, std::string_view needle, int nth = 1) {
    std::size_t at = std::string_view::npos;
    for (int i = 0; i < nth; ++i) {
        at = text.find(needle, at == std::string_view::npos ? 0 : at + 1);
        if (at == std::string_view::npos) {
            throw std::logic_error("test bug: needle not in the fragment: " + std::string(needle));
        }
    }
    return util::position_of(text, at);
}

inline std::string all_messages(manifest::LoadResult const& r) {
    std::string out;
    for (auto const& d : r.diagnostics) {
        out += util::format(d) + "\n";
    }
    return out;
}

inline std::size_t error_count(manifest::LoadResult const& r) {
    return static_cast<std::size_t>(std::count_if(r.diagnostics.begin(), r.diagnostics.end(), [](auto const& d) {
        return d.severity == util::Severity::error;
    }));
}

// True when some error is at `at` (line 0: a whole-file error) and its message contains `part`.
inline bool has_error(manifest::LoadResult const& r, util::TextPosition at, std::string_view part,
                      std::string_view file = "m.yaml") {
    return std::any_of(r.diagnostics.begin(), r.diagnostics.end(), [&](util::Diagnostic const& d) {
        return d.severity == util::Severity::error && d.file == file && d.line == at.line && d.column == at.column &&
               d.message.find(part) != std::string::npos;
    });
}

// A manifest with one complete job `j`; `fields` are extra or replacing lines at job indentation.
inline std::string one_job(std::string_view fields, bool with_prompt = true, bool with_video = true) {
    std::string s = "version: 1\njobs:\n  - id: j\n";
    if (with_prompt) {
        s += "    prompt: Make it blue\n";
    }
    if (with_video) {
        s += "    video: https://cdn.example.com/v.mp4\n";
    }
    s += fields;
    return s;
}

} // namespace evobatch::test
