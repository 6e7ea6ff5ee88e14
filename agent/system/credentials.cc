#include "agent/system/credentials.hh"

#include "agent/system/error.hh"

namespace imprint {

std::string credentialsDirectory(const EnvLookup & env)
{
    if (auto dir = env("CREDENTIALS_DIRECTORY"); dir && dir->starts_with("/"))
        return *dir;
    return kSystemCredentialsDirectory;
}

std::optional<Credential> readCredential(const Host & host, const EnvLookup & env, const std::string & name,
                                         std::size_t cap)
{
    std::string dir = credentialsDirectory(env);
    std::string path = dir + "/" + name;
    if (!host.hasEntry(path))
        return std::nullopt;
    // Written by whoever started the machine: read as a seed file (no symlink, regular file,
    // bounded). An unreadable one is an error naming it, like any seed file.
    auto value = host.readSeedFile(path, cap);
    if (!value)
        return std::nullopt;
    return Credential{std::move(*value), "credential '" + name + "' in " + dir};
}

} // namespace imprint
