#include "evobatch/cli/main.hpp"

int main(int argc, char** argv) { return evobatch::cli::main(argc, argv); }
