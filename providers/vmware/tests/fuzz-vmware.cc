// VMware guestinfo metadata (JSON or YAML).
// fuzz-seeds: fixtures/*/guestinfo.metadata
// fuzz-dict: yaml.dict
#include "providers/vmware/vmware.hh"
#include "tests/fuzz/fuzz-common.hh"

IMPRINT_FUZZ_DOCUMENT_PARSER(imprint::parseVmwareMetadata)
