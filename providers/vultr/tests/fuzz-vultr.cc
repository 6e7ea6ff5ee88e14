// vultr's JSON document.
// fuzz-seeds: fixtures/*/v1.json
#include "providers/vultr/vultr.hh"
#include "tests/fuzz/fuzz-common.hh"

IMPRINT_FUZZ_DOCUMENT_PARSER(imprint::parseVultrMetadata)
