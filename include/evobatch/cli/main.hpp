#pragma once
// The command line: parses arguments, runs one subcommand and returns the process exit code
// (design.md: 0 all done, 1 some jobs failed, 2 bad input or usage, 3 interrupted, 4 stopped by the API).

namespace evobatch::cli {

int main(int argc, char** argv);

} // namespace evobatch::cli
