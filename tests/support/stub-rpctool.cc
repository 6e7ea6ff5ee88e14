// A stand-in for open-vm-tools' vmware-rpctool: `stub-rpctool "info-get guestinfo.KEY"` prints the
// file guestinfo/guestinfo.KEY beside its own binary and one newline, exit 0; a missing key is
// "No value found" on stderr and exit 1, as the real tool says it. Tests copy it into a
// directory of their own with the guestinfo/ they want. (Its environment is empty: imprint runs
// tools that way.)
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>

int main(int argc, char ** argv)
{
    std::string self = argv[0];
    std::string dir = self.substr(0, self.rfind('/'));
    std::string command = argc > 1 ? argv[1] : "";
    const std::string prefix = "info-get guestinfo.";
    if (argc != 2 || command.rfind(prefix, 0) != 0) {
        std::cerr << "Unknown command\n";
        return 1;
    }
    std::ifstream in(dir + "/guestinfo/guestinfo." + command.substr(prefix.size()), std::ios::binary);
    if (!in) {
        std::cerr << "No value found\n";
        return 1;
    }
    std::ostringstream ss;
    ss << in.rdbuf();
    std::cout << ss.str() << "\n";
    return 0;
}
