#pragma once
// Each kind of line the progress view writes, as text without the line end. Pure, so tests
// check content and width directly.

#include "evobatch/progress/progress_view.hpp"

#include <cstddef>
#include <string>

namespace evobatch::progress::detail {

struct BarLine {
    std::string text;        // SGR color codes included when asked for
    std::size_t columns = 0; // what it takes on screen
};

// `[#######.....] 412/1000 done  38 running  3 failed  credits 2310/5000  4.9 req/s  ETA 12m05s`,
// at most `width` columns: the least useful parts go first, then the bar shrinks.
BarLine bar_line(Snapshot const& s, std::size_t width, bool color);

// The same facts for a log, one line: "progress: 412/1000 done, 38 running, ...".
std::string plain_line(Snapshot const& s);

// {"ev":"progress",...}
std::string progress_json(Snapshot const& s);

// "failed city-02: content_policy_violation: ... (task task-unified-...)".
std::string note_line(JobNote const& n, bool color);

// {"ev":<event>,"job":...,"task":...,"detail":...}: every field always, "" when empty.
std::string note_json(JobNote const& n);

// The summary block, lines ending in '\n', with what to do next for exit codes 1, 3 and 4.
std::string summary_text(Summary const& s, bool color);

// {"ev":"summary",...}
std::string summary_json(Summary const& s);

} // namespace evobatch::progress::detail
