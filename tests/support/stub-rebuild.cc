// A stand-in for nixos-rebuild in tests: appends its argv (one line, NUL-free, arguments separated
// by a single space) to the file named by $IMPRINT_STUB_LOG and exits with the number written in
// the file named by $IMPRINT_STUB_EXIT (0 when unset or missing). NixOS itself cannot be built here.

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

int main(int argc, char ** argv)
{
    const char * log = std::getenv("IMPRINT_STUB_LOG");
    if (log && *log) {
        std::ofstream out(log, std::ios::app);
        for (int i = 0; i < argc; ++i)
            out << (i ? " " : "") << (i == 0 ? std::string("nixos-rebuild") : std::string(argv[i]));
        out << "\n";
    }
    int code = 0;
    if (const char * exitFile = std::getenv("IMPRINT_STUB_EXIT"); exitFile && *exitFile) {
        std::ifstream in(exitFile);
        if (in)
            in >> code;
    }
    if (code != 0)
        std::fprintf(stderr, "stub-rebuild: failing with status %d as %s says\n", code, std::getenv("IMPRINT_STUB_EXIT"));
    return code;
}
