// upcloud's JSON document.
// fuzz-seeds: fixtures/*/v1.json
#include "providers/upcloud/upcloud.hh"
#include "tests/fuzz/fuzz-common.hh"

IMPRINT_FUZZ_DOCUMENT_PARSER(imprint::parseUpCloudMetadata)
