// DigitalOcean's metadata/v1.json.
// fuzz-seeds: fixtures/*/v1.json
#include "providers/digitalocean/digitalocean.hh"
#include "tests/fuzz/fuzz-common.hh"

IMPRINT_FUZZ_DOCUMENT_PARSER(imprint::parseDigitalOceanMetadata)
