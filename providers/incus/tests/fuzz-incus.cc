// Incus's /1.0/meta-data text.
// fuzz-seeds: fixtures/*/meta-data
// fuzz-dict: yaml.dict
#include "providers/incus/incus.hh"
#include "tests/fuzz/fuzz-common.hh"

IMPRINT_FUZZ_DOCUMENT_PARSER(imprint::parseIncusMetaData)
